//! TEMPORARY stub (replaced by the `paths` branch).
#![allow(dead_code)]
use serde_json::{Map, Value};

use crate::intrinsics::{IntrinsicError, PathResolver};
use crate::jsonpath::{JsonPath, PathError};

#[derive(Debug, Clone)]
pub struct PayloadTemplate(Node);

#[derive(Debug, Clone)]
enum Node {
    Literal(Value),
    Path(JsonPath),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

#[derive(Debug, Clone)]
pub struct TemplateError {
    pub pointer: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PayloadError {
    #[error("The JSONPath '{path}' specified for the field '{field}' could not be found")]
    PathNotFound {
        field: String,
        path: String,
        source: PathError,
    },
    #[error("{source}")]
    Intrinsic { field: String, source: IntrinsicError },
}

fn compile(v: &Value, errs: &mut Vec<TemplateError>) -> Node {
    match v {
        Value::Object(m) => Node::Object(
            m.iter()
                .map(|(k, v)| {
                    if let Some(stripped) = k.strip_suffix(".$") {
                        let p = v.as_str().and_then(|s| JsonPath::parse(s).ok());
                        match p {
                            Some(p) => (stripped.to_owned(), Node::Path(p)),
                            None => {
                                errs.push(TemplateError {
                                    pointer: String::new(),
                                    field: k.clone(),
                                    message: format!(
                                        "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                                    ),
                                });
                                (stripped.to_owned(), Node::Literal(Value::Null))
                            }
                        }
                    } else {
                        (k.clone(), compile(v, errs))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Node::Array(a.iter().map(|v| compile(v, errs)).collect()),
        v => Node::Literal(v.clone()),
    }
}

fn eval(n: &Node, r: &dyn PathResolver, field: &str) -> Result<Value, PayloadError> {
    Ok(match n {
        Node::Literal(v) => v.clone(),
        Node::Path(p) => r
            .resolve(p)
            .map_err(|e| PayloadError::PathNotFound {
                field: format!("{field}.$"),
                path: p.as_str().to_owned(),
                source: e,
            })?
            .into_owned(),
        Node::Object(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), eval(v, r, k)?);
            }
            Value::Object(m)
        }
        Node::Array(items) => Value::Array(items.iter().map(|v| eval(v, r, field)).collect::<Result<_, _>>()?),
    })
}

impl PayloadTemplate {
    pub fn compile(template: &Value) -> Result<PayloadTemplate, Vec<TemplateError>> {
        let mut errs = Vec::new();
        let n = compile(template, &mut errs);
        if errs.is_empty() {
            Ok(PayloadTemplate(n))
        } else {
            Err(errs)
        }
    }
    pub fn evaluate(&self, resolver: &dyn PathResolver) -> Result<Value, PayloadError> {
        eval(&self.0, resolver, "")
    }
    pub fn paths(&self) -> impl Iterator<Item = &JsonPath> {
        std::iter::empty()
    }
}
