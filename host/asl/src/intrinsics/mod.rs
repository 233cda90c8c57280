//! Intrinsic functions (`States.Format('Hello {}', $.name)`) for JSONPath states.
//!
//! A call is parsed once at definition load ([`IntrinsicCall::parse`]): unknown
//! functions, wrong argument counts, bad literals (AWS only allows the escapes
//! `\'`, `\{`, `\}` and `\\` in strings) and nesting deeper than 10 are
//! definition errors. Type errors surface when the call is evaluated, as an
//! [`IntrinsicError`] whose text becomes the cause of `States.IntrinsicFailure`.

mod functions;
mod parse;

#[cfg(test)]
use crate::jsonpath::PathRoot;
use crate::jsonpath::{JsonPath, PathError};
use parse::{Arg, Call, Piece};
#[cfg(test)]
use serde_json::Map;
use serde_json::Value;
use std::borrow::Cow;

/// Resolves path arguments: the caller decides what `$`, `$$` and `$name` mean.
pub trait PathResolver {
    /// The value `path` selects, evaluated against the document its root names.
    fn resolve<'a>(&'a self, path: &JsonPath) -> Result<Cow<'a, Value>, PathError>;
}

/// A [`PathResolver`] over plain values: the input, the context object and a
/// map of variables.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Roots<'a> {
    /// What `$` means.
    pub input: &'a Value,
    /// What `$$` means.
    pub context: &'a Value,
    /// The variables `$name` can read.
    pub variables: &'a Map<String, Value>,
}

#[cfg(test)]
impl PathResolver for Roots<'_> {
    fn resolve<'a>(&'a self, path: &JsonPath) -> Result<Cow<'a, Value>, PathError> {
        match path.root() {
            PathRoot::Input => path.select(self.input),
            PathRoot::Context => path.select(self.context),
            PathRoot::Variable(name) => match self.variables.get(name) {
                Some(value) => path.select(value),
                None => Err(PathError::UndefinedVariable {
                    path: path.as_str().to_owned(),
                    name: name.clone(),
                }),
            },
        }
    }
}

/// An intrinsic function call that is not valid syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid intrinsic function call '{src}': {message}")]
pub struct IntrinsicSyntaxError {
    /// The call as written.
    pub src: String,
    /// What is wrong with it.
    pub message: String,
}

/// An intrinsic function that failed while evaluating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntrinsicError {
    /// A path argument selected nothing.
    #[error(transparent)]
    Path(#[from] PathError),
    /// An argument was of the wrong type or out of range. Displays as
    /// `Invalid arguments in States.X: <why>`, the cause of `States.IntrinsicFailure`.
    #[error("Invalid arguments in {function}: {message}")]
    Invalid {
        /// The function, e.g. `States.ArrayGetItem`.
        function: &'static str,
        /// What was wrong, naming the argument.
        message: String,
    },
}

/// A parsed intrinsic function call, possibly with nested calls.
#[derive(Debug, Clone)]
pub struct IntrinsicCall {
    src: Box<str>,
    call: Call,
}

impl IntrinsicCall {
    /// Parses e.g. `States.Format('Hello {}', $.name)`.
    pub fn parse(src: &str) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        Ok(IntrinsicCall {
            src: src.into(),
            call: parse::parse(src)?,
        })
    }

    /// The call as written.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Evaluates the call, resolving path arguments through `resolver`.
    pub fn evaluate(&self, resolver: &dyn PathResolver) -> Result<Value, IntrinsicError> {
        evaluate_call(&self.call, resolver)
    }

    /// Every JSONPath argument, nested calls included, so a validator can
    /// check them (for example that referenced variables exist).
    pub fn paths(&self) -> impl Iterator<Item = &JsonPath> {
        let mut paths = Vec::new();
        collect_paths(&self.call, &mut paths);
        paths.into_iter()
    }
}

fn collect_paths<'c>(call: &'c Call, out: &mut Vec<&'c JsonPath>) {
    for arg in &call.args {
        match arg {
            Arg::Path(path) => out.push(path),
            Arg::Call(inner) => collect_paths(inner, out),
            Arg::Literal(_) | Arg::Str { .. } => {}
        }
    }
}

fn evaluate_call(call: &Call, resolver: &dyn PathResolver) -> Result<Value, IntrinsicError> {
    let mut args: Vec<Cow<Value>> = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(match arg {
            Arg::Literal(value) | Arg::Str { value, .. } => Cow::Borrowed(value),
            Arg::Path(path) => resolver.resolve(path)?,
            Arg::Call(inner) => Cow::Owned(evaluate_call(inner, resolver)?),
        });
    }
    // A literal Format template keeps its escapes: `\{\}` is text, not a slot.
    let template: Option<&[Piece]> = match call.args.first() {
        Some(Arg::Str { template, .. }) if call.func == parse::Func::Format => Some(template),
        _ => None,
    };
    functions::call(call.func, &args, template)
}

#[cfg(test)]
mod tests;
