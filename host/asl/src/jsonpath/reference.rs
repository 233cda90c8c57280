//! Reference paths: the restricted paths that name one place to write to
//! (`ResultPath`).

use super::java;
use super::parse::Segment;
use super::{JsonPath, PathRoot, PathSyntaxError};
use serde_json::{Map, Value};
use std::fmt;

/// A definite path of names and non-negative indexes rooted at `$`, used to
/// insert a result into a state's input.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    path: JsonPath,
    steps: Box<[RefStep]>,
}

#[derive(Debug, Clone, PartialEq)]
enum RefStep {
    Key(String),
    Index(usize),
}

/// `ResultPath` could not be applied to the input (AWS's
/// `States.ResultPathMatchFailure`). Displays as AWS's cause text, e.g.
/// `Unable to apply ReferencePath $.a.b to input {"a":"x"}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Unable to apply ReferencePath {path} to input {}", java::to_json(.input))]
pub struct ReferencePathError {
    /// The reference path as written.
    pub path: String,
    /// The input the result could not be inserted into, unchanged.
    pub input: Value,
}

impl ReferencePath {
    /// Parses a reference path: `$` alone, or `$` followed by names (`.a`,
    /// `['a']`) and non-negative indexes (`[0]`). Context (`$$`) and variable
    /// roots are refused: AWS forbids writing to them.
    pub fn parse(src: &str) -> Result<ReferencePath, PathSyntaxError> {
        let path = JsonPath::parse(src)?;
        let error = |message: &str| PathSyntaxError {
            path: src.to_owned(),
            message: message.to_owned(),
        };
        if path.root() != &PathRoot::Input {
            return Err(error(
                "A reference path must start with '$.' and cannot reference the context object or a variable",
            ));
        }
        let steps = path
            .body()
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Property { names, .. } if names.len() == 1 => Ok(RefStep::Key(names[0].clone())),
                Segment::Index(indexes) if indexes.len() == 1 && indexes[0] >= 0 => {
                    Ok(RefStep::Index(indexes[0] as usize))
                }
                _ => Err(error(
                    "A reference path may only contain field names and non-negative array indexes",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReferencePath {
            path,
            steps: steps.into_boxed_slice(),
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        self.path.as_str()
    }

    /// Returns `target` with `value` placed at this path. Missing fields along
    /// the way are created as objects; an existing field is overwritten.
    /// Fails, leaving `target` unchanged inside the error, when a step meets a
    /// value that cannot hold it: a name on a non-object, or an index on a
    /// non-array or past its end (AWS never creates arrays).
    pub fn apply(&self, target: Value, value: Value) -> Result<Value, ReferencePathError> {
        if self.steps.is_empty() {
            return Ok(value);
        }
        // Check first so a failure can hand back the untouched input.
        if !self.fits(&target) {
            return Err(ReferencePathError {
                path: self.as_str().to_owned(),
                input: target,
            });
        }
        let mut target = target;
        let mut current = &mut target;
        let last = self.steps.len() - 1;
        for (i, step) in self.steps.iter().enumerate() {
            let slot = match (step, current) {
                (RefStep::Key(key), Value::Object(map)) => {
                    if i == last {
                        map.insert(key.clone(), value);
                        break;
                    }
                    map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()))
                }
                (RefStep::Index(index), Value::Array(items)) => &mut items[*index],
                // `fits` has ruled out every other shape.
                _ => unreachable!("reference path checked before writing"),
            };
            if i == last {
                *slot = value;
                break;
            }
            current = slot;
        }
        Ok(target)
    }

    /// Whether `apply` can succeed on `target`.
    fn fits(&self, target: &Value) -> bool {
        let mut current = Some(target);
        for step in self.steps.iter() {
            match (step, current) {
                // Below a missing field everything is created, but only objects can be.
                (RefStep::Key(_), None) => {}
                (RefStep::Index(_), None) => return false,
                (RefStep::Key(key), Some(Value::Object(map))) => current = map.get(key),
                (RefStep::Index(index), Some(Value::Array(items))) => match items.get(*index) {
                    Some(item) => current = Some(item),
                    None => return false,
                },
                _ => return false,
            }
        }
        true
    }
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
