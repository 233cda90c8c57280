//! JSONPath as AWS Step Functions evaluates it (the Jayway JsonPath dialect).
//!
//! A [`JsonPath`] is parsed once, when the definition loads, and evaluated many
//! times. Paths name one of three roots: `$` (the state input), `$$` (the
//! context object) or `$name` (a state machine variable); the caller hands
//! [`JsonPath::select`] the value that root names.
//!
//! Behaviour worth knowing (all taken from Jayway, which AWS runs):
//! - A *definite* path (names and single indexes only) yields one value or
//!   [`PathError::NotFound`], whose message is Jayway's and is what AWS puts in
//!   cause texts: `Invalid path '$.a' : No results for path: $['a']`.
//!   A missing intermediate name reads `Missing property in path $['a']`.
//! - An *indefinite* path (wildcards, slices, unions, filters, `..`) always
//!   yields an array, empty when nothing matches, never an error.
//! - Negative indexes count from the end; out-of-range indexes match nothing.
//! - Slices ignore a step (`[0:10:2]` is `[0:10]`), as Jayway does.
//! - Filters only ever match objects, as AWS documents for `@`.
//! - `.length()`-style functions parse but never find a value, as on AWS.

mod compare;
mod eval;
mod filter;
pub mod java;
mod parse;
mod reference;

pub use reference::{ReferencePath, ReferencePathError};

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The document a path starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// `$`: the state input (or whatever the field's input is).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: the value of a state machine variable.
    Variable(String),
}

/// A path that failed to parse. `message` follows Jayway's wording where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid JSONPath '{path}': {message}")]
pub struct PathSyntaxError {
    /// The path as written.
    pub path: String,
    /// Why it is not a valid path.
    pub message: String,
}

/// A path that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A definite path selected nothing. Displays as AWS's cause text for
    /// `InputPath`, `OutputPath` and the `*Path` fields:
    /// `Invalid path '$.x' : No results for path: $['x']`.
    #[error("Invalid path '{path}' : {message}")]
    NotFound {
        /// The path as written (`$.x`).
        path: String,
        /// Jayway's normalised rendering of the path (`$['x']`).
        rendered: String,
        /// Jayway's `PathNotFoundException` message.
        message: String,
    },
    /// A `$name` path named a variable that has no value.
    #[error("Invalid path '{path}' : The variable '{name}' is not defined")]
    UndefinedVariable {
        /// The path as written.
        path: String,
        /// The variable's name, without `$`.
        name: String,
    },
}

impl PathError {
    /// The path as written in the definition.
    pub fn path(&self) -> &str {
        match self {
            PathError::NotFound { path, .. } | PathError::UndefinedVariable { path, .. } => path,
        }
    }
}

/// A parsed JSONPath. Cheap to evaluate, `Send + Sync`, immutable.
#[derive(Debug, Clone)]
pub struct JsonPath {
    src: Box<str>,
    root: PathRoot,
    body: parse::Body,
    rendered: Box<str>,
    /// Precomputed steps when the path is only names and single indexes: the
    /// hot path walks these without allocating.
    simple: Option<Box<[Step]>>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(Box<str>),
    Index(i64),
}

impl JsonPath {
    /// Parses `$...`, `$$...` or `$name...`.
    pub fn parse(src: &str) -> Result<JsonPath, PathSyntaxError> {
        let error = |message: String| PathSyntaxError {
            path: src.to_owned(),
            message,
        };
        let (root, body_src): (PathRoot, Cow<'_, str>) = if let Some(rest) = src.strip_prefix("$$") {
            (PathRoot::Context, Cow::Owned(format!("${rest}")))
        } else if let Some(rest) = src.strip_prefix('$') {
            match rest.chars().next() {
                Some(c) if is_variable_start(c) => {
                    let end = rest.find(['.', '[']).unwrap_or(rest.len());
                    let name = &rest[..end];
                    if !name.chars().all(is_variable_continue) {
                        return Err(error(format!("Invalid variable name '{name}'")));
                    }
                    (
                        PathRoot::Variable(name.to_owned()),
                        Cow::Owned(format!("${}", &rest[end..])),
                    )
                }
                _ => (PathRoot::Input, Cow::Borrowed(src)),
            }
        } else {
            return Err(error("Path must start with '$'".to_owned()));
        };
        let body = parse::parse_body(&body_src, 0).map_err(error)?;
        let rendered = body.render('$').into_boxed_str();
        let simple = simple_steps(&body);
        Ok(JsonPath {
            src: src.into(),
            root,
            body,
            rendered,
            simple,
        })
    }

    /// Which document the path starts from.
    pub fn root(&self) -> &PathRoot {
        &self.root
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Jayway's normalised rendering (`$['a'][0]`), as AWS quotes it.
    pub fn rendered(&self) -> &str {
        &self.rendered
    }

    /// True when the path selects at most one node: no wildcards, filters,
    /// slices, unions or deep scans.
    pub fn is_definite(&self) -> bool {
        self.body.definite
    }

    /// True for a bare root (`$`, `$$` or `$name`), which selects the whole document.
    #[cfg(test)]
    pub(crate) fn is_root(&self) -> bool {
        self.body.segments.is_empty()
    }

    /// Evaluates the path against the value its root names.
    ///
    /// A definite path returns the value it finds (borrowed) or
    /// [`PathError::NotFound`]; an indefinite path returns an owned array of
    /// every match, possibly empty.
    pub fn select<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, PathError> {
        if let Some(steps) = &self.simple {
            let mut current = root;
            for step in steps.iter() {
                let next = match (step, current) {
                    (Step::Key(key), Value::Object(map)) => map.get(&**key),
                    (Step::Index(index), Value::Array(items)) => {
                        let effective = if *index < 0 { items.len() as i64 + index } else { *index };
                        usize::try_from(effective).ok().and_then(|i| items.get(i))
                    }
                    _ => None,
                };
                match next {
                    Some(value) => current = value,
                    None => return Err(self.not_found(root)),
                }
            }
            return Ok(Cow::Borrowed(current));
        }
        match eval::evaluate(&self.body, root, root) {
            Ok(mut results) if self.body.definite => match results.pop() {
                // Jayway returns the last result of a definite path.
                Some(value) => Ok(value),
                None => Err(self.not_found_error(format!("No results for path: {}", self.rendered))),
            },
            Ok(results) => Ok(Cow::Owned(Value::Array(
                results.into_iter().map(Cow::into_owned).collect(),
            ))),
            Err(message) => Err(self.not_found_error(message)),
        }
    }

    /// Re-runs the general evaluator to obtain Jayway's exact message.
    #[cold]
    fn not_found(&self, root: &Value) -> PathError {
        let message = match eval::evaluate(&self.body, root, root) {
            Err(message) => message,
            Ok(_) => format!("No results for path: {}", self.rendered),
        };
        self.not_found_error(message)
    }

    fn not_found_error(&self, message: String) -> PathError {
        PathError::NotFound {
            path: self.src.to_string(),
            rendered: self.rendered.to_string(),
            message,
        }
    }

    pub(crate) fn body(&self) -> &parse::Body {
        &self.body
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

impl PartialEq for JsonPath {
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

fn simple_steps(body: &parse::Body) -> Option<Box<[Step]>> {
    body.segments
        .iter()
        .map(|segment| match segment {
            parse::Segment::Property { names, .. } if names.len() == 1 => Some(Step::Key(names[0].as_str().into())),
            parse::Segment::Index(indexes) if indexes.len() == 1 => Some(Step::Index(indexes[0] as i64)),
            _ => None,
        })
        .collect()
}

/// Variable names are Unicode identifiers (the ASL spec cites UAX #31).
fn is_variable_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_variable_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests;
