//! TEMPORARY stub (replaced by the `paths` branch): dotted paths only.
#![allow(dead_code)]
use std::borrow::Cow;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    Input,
    Context,
    Variable(String),
}

#[derive(Debug, Clone)]
pub struct JsonPath {
    src: String,
    root: PathRoot,
    parts: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid path")]
pub struct PathSyntaxError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum PathError {
    #[error("No results for path: {normalized}")]
    NotFound { normalized: String },
}

impl JsonPath {
    pub fn parse(src: &str) -> Result<JsonPath, PathSyntaxError> {
        let (root, rest) = if let Some(r) = src.strip_prefix("$$") {
            (PathRoot::Context, r)
        } else if let Some(r) = src.strip_prefix('$') {
            if r.is_empty() || r.starts_with('.') || r.starts_with('[') {
                (PathRoot::Input, r)
            } else {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                (PathRoot::Variable(r[..end].to_owned()), &r[end..])
            }
        } else {
            return Err(PathSyntaxError);
        };
        let parts = rest.split('.').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        Ok(JsonPath {
            src: src.to_owned(),
            root,
            parts,
        })
    }
    pub fn root(&self) -> &PathRoot {
        &self.root
    }
    pub fn as_str(&self) -> &str {
        &self.src
    }
    pub fn is_definite(&self) -> bool {
        true
    }
    pub fn select<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, PathError> {
        let mut v = root;
        for p in &self.parts {
            v = v.get(p).ok_or_else(|| PathError::NotFound {
                normalized: self.src.clone(),
            })?;
        }
        Ok(Cow::Borrowed(v))
    }
}

#[derive(Debug, Clone)]
pub struct ReferencePath(JsonPath);

#[derive(Debug, Clone, thiserror::Error)]
#[error("Unable to apply ResultPath")]
pub struct ReferencePathError;

impl ReferencePath {
    pub fn parse(src: &str) -> Result<ReferencePath, PathSyntaxError> {
        JsonPath::parse(src).map(ReferencePath)
    }
    pub fn as_str(&self) -> &str {
        &self.0.src
    }
    pub fn apply(&self, mut target: Value, value: Value) -> Result<Value, ReferencePathError> {
        if self.0.parts.is_empty() {
            return Ok(value);
        }
        let mut cur = &mut target;
        for p in &self.0.parts {
            if !cur.is_object() {
                return Err(ReferencePathError);
            }
            cur = cur
                .as_object_mut()
                .unwrap()
                .entry(p.clone())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        *cur = value;
        Ok(target)
    }
}
