//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector` and
//! `Assign` in JSONPath states.
//!
//! A field whose name ends in `.$` takes a path (`$...`, `$$...`, `$name...`)
//! or an intrinsic function call; the output field drops the suffix. Objects
//! and arrays are walked at any depth. Everything is compiled once: subtrees
//! without `.$` fields become constants that evaluation merely clones.

use crate::intrinsics::{IntrinsicCall, IntrinsicError, PathResolver};
use crate::jsonpath::{JsonPath, PathError, java};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Templates nested deeper than this are refused (JSON parsed by serde_json
/// cannot even reach it); it bounds recursion for values built in code.
const MAX_DEPTH: usize = 512;

/// A compiled payload template.
#[derive(Debug, Clone)]
pub struct PayloadTemplate {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    /// A subtree with no `.$` fields.
    Const(Value),
    /// An object with at least one dynamic field somewhere below; output keys are precomputed.
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Path {
        field: String,
        path: JsonPath,
    },
    Intrinsic {
        field: String,
        call: IntrinsicCall,
    },
}

/// A template field AWS would reject at `CreateStateMachine`.
///
/// `message` is AWS's diagnostic text; AWS follows it with ` at ` and the
/// location of the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// Where the offending field's object sits inside the template, JSON-pointer
    /// style without escaping: `""` for the top level, `/a/b`, `/list/0`.
    pub pointer: String,
    /// The field as written, e.g. `parsed.$`.
    pub field: String,
    /// AWS's text: `The value for the field 'parsed.$' must be a valid JSONPath
    /// or a valid intrinsic function call`.
    pub message: String,
    /// Why, in more detail (not part of AWS's text).
    pub detail: Option<String>,
}

impl TemplateError {
    /// AWS's full diagnostic given where the template is, e.g.
    /// `diagnostic("/States/IntrinsicEscape/Parameters")`.
    #[cfg(test)]
    pub(crate) fn diagnostic(&self, location: &str) -> String {
        format!("{} at {location}{}", self.message, self.pointer)
    }
}

/// A template that could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    /// A definite path (a field's value or an intrinsic's argument) found
    /// nothing. AWS fails with `States.Runtime`; see [`PayloadError::cause`].
    #[error("The JSONPath '{path}' specified for the field '{field}' could not be found in the input")]
    PathNotFound {
        /// The field as written, e.g. `value.$`.
        field: String,
        /// The path that found nothing, as written.
        path: String,
        /// The evaluation error, with Jayway's message.
        source: PathError,
    },
    /// An intrinsic function failed: AWS's `States.IntrinsicFailure`.
    #[error("{source}")]
    Intrinsic {
        /// The field as written.
        field: String,
        /// What went wrong.
        source: IntrinsicError,
    },
}

impl PayloadError {
    /// The AWS error name: `States.Runtime` or `States.IntrinsicFailure`.
    pub fn error_name(&self) -> &'static str {
        match self {
            PayloadError::PathNotFound { .. } => "States.Runtime",
            PayloadError::Intrinsic { .. } => "States.IntrinsicFailure",
        }
    }

    /// AWS's cause text, given the template's input (printed as compact JSON):
    /// `The JSONPath '$.x' specified for the field 'value.$' could not be found
    /// in the input '{"a":1}'`. The interpreter prefixes it with
    /// `An error occurred while executing the state ...`.
    pub fn cause(&self, input: &Value) -> String {
        match self {
            PayloadError::PathNotFound { field, path, .. } => format!(
                "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
                java::to_json(input)
            ),
            PayloadError::Intrinsic { source, .. } => source.to_string(),
        }
    }
}

impl PayloadTemplate {
    /// Compiles a template, reporting every invalid `.$` field.
    pub fn compile(template: &Value) -> Result<PayloadTemplate, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let root = compile_node(template, &mut String::new(), 0, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let root = root.unwrap_or_else(|| Node::Const(template.clone()));
        Ok(PayloadTemplate { root })
    }

    /// True when the template has no `.$` fields: evaluating it just clones it.
    #[cfg(test)]
    pub(crate) fn is_constant(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }

    /// Builds the payload, resolving paths through `resolver`.
    pub fn evaluate(&self, resolver: &dyn PathResolver) -> Result<Value, PayloadError> {
        evaluate_node(&self.root, resolver)
    }

    /// Every path the template reads, including intrinsic arguments, so a
    /// validator can check them (for example variable references).
    pub fn paths(&self) -> impl Iterator<Item = &JsonPath> {
        let mut paths = Vec::new();
        collect_paths(&self.root, &mut paths);
        paths.into_iter()
    }
}

fn invalid_field(pointer: &str, field: &str, detail: Option<String>) -> TemplateError {
    TemplateError {
        pointer: pointer.to_owned(),
        field: field.to_owned(),
        message: format!(
            "The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call"
        ),
        detail,
    }
}

/// Compiles `value`, found at `pointer`; `None` means the subtree has no `.$`
/// fields (the caller copies it once, at the highest constant level, so
/// compiling stays linear). `pointer` is a scratch buffer restored on return.
fn compile_node(value: &Value, pointer: &mut String, depth: usize, errors: &mut Vec<TemplateError>) -> Option<Node> {
    if depth > MAX_DEPTH {
        errors.push(TemplateError {
            pointer: pointer.clone(),
            field: String::new(),
            message: format!("The template is nested more than {MAX_DEPTH} levels deep"),
            detail: None,
        });
        return None;
    }
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            let mut seen = HashSet::with_capacity(map.len());
            let mut dynamic = false;
            for (key, child) in map {
                let (name, node) = match key.strip_suffix(".$") {
                    Some(name) => (name, Some(compile_dynamic(child, pointer, key, errors))),
                    None => {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(key);
                        let node = compile_node(child, pointer, depth + 1, errors);
                        pointer.truncate(len);
                        (key.as_str(), node)
                    }
                };
                if !seen.insert(name) {
                    errors.push(duplicate(pointer, key, name));
                }
                dynamic |= node.is_some();
                fields.push((name.to_owned(), node, child));
            }
            // A rejected template is never evaluated: skip building it.
            if !dynamic || !errors.is_empty() {
                return None;
            }
            let fields = fields
                .into_iter()
                .map(|(name, node, child)| (name, node.unwrap_or_else(|| Node::Const(child.clone()))))
                .collect();
            Some(Node::Object(fields))
        }
        Value::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                nodes.push(compile_node(item, pointer, depth + 1, errors));
                pointer.truncate(len);
            }
            if nodes.iter().all(Option::is_none) || !errors.is_empty() {
                return None;
            }
            let nodes = nodes
                .into_iter()
                .zip(items)
                .map(|(node, item)| node.unwrap_or_else(|| Node::Const(item.clone())))
                .collect();
            Some(Node::Array(nodes))
        }
        _ => None,
    }
}

fn duplicate(pointer: &str, field: &str, name: &str) -> TemplateError {
    TemplateError {
        pointer: pointer.to_owned(),
        field: field.to_owned(),
        message: format!("The field '{name}' is defined more than once after removing the '.$' suffix"),
        detail: None,
    }
}

/// The value of a `.$` field: a path if it starts with `$`, else an intrinsic call.
fn compile_dynamic(value: &Value, pointer: &str, field: &str, errors: &mut Vec<TemplateError>) -> Node {
    let Value::String(text) = value else {
        errors.push(invalid_field(
            pointer,
            field,
            Some("the value is not a string".to_owned()),
        ));
        return Node::Const(Value::Null);
    };
    let compiled = if text.starts_with('$') {
        JsonPath::parse(text)
            .map(|path| Node::Path {
                field: field.to_owned(),
                path,
            })
            .map_err(|e| e.to_string())
    } else {
        IntrinsicCall::parse(text)
            .map(|call| Node::Intrinsic {
                field: field.to_owned(),
                call,
            })
            .map_err(|e| e.to_string())
    };
    compiled.unwrap_or_else(|detail| {
        errors.push(invalid_field(pointer, field, Some(detail)));
        Node::Const(Value::Null)
    })
}

fn evaluate_node(node: &Node, resolver: &dyn PathResolver) -> Result<Value, PayloadError> {
    match node {
        Node::Const(value) => Ok(value.clone()),
        Node::Object(fields) => {
            let mut map = Map::with_capacity(fields.len());
            for (key, child) in fields {
                map.insert(key.clone(), evaluate_node(child, resolver)?);
            }
            Ok(Value::Object(map))
        }
        Node::Array(items) => items
            .iter()
            .map(|item| evaluate_node(item, resolver))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Node::Path { field, path } => match resolver.resolve(path) {
            Ok(value) => Ok(value.into_owned()),
            Err(source) => Err(PayloadError::PathNotFound {
                field: field.clone(),
                path: path.as_str().to_owned(),
                source,
            }),
        },
        Node::Intrinsic { field, call } => call.evaluate(resolver).map_err(|error| match error {
            IntrinsicError::Path(source) => PayloadError::PathNotFound {
                field: field.clone(),
                path: source.path().to_owned(),
                source,
            },
            source => PayloadError::Intrinsic {
                field: field.clone(),
                source,
            },
        }),
    }
}

fn collect_paths<'n>(node: &'n Node, out: &mut Vec<&'n JsonPath>) {
    match node {
        Node::Const(_) => {}
        Node::Object(fields) => fields.iter().for_each(|(_, child)| collect_paths(child, out)),
        Node::Array(items) => items.iter().for_each(|item| collect_paths(item, out)),
        Node::Path { path, .. } => out.push(path),
        Node::Intrinsic { call, .. } => out.extend(call.paths()),
    }
}

#[cfg(test)]
mod tests;
