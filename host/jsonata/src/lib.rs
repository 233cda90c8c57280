//! Placeholder with the engine's public API; the real engine lands on the
//! `jsonata` branch.
#![allow(dead_code, unused_variables)]

use serde_json::Value;

/// Caller-supplied variables.
pub trait Variables {
    fn get(&self, name: &str) -> Option<&Value>;
}

/// Evaluation settings.
#[derive(Default)]
pub struct Env<'a> {
    variables: Option<&'a dyn Variables>,
    aws: bool,
    now: Option<i64>,
}

impl<'a> Env<'a> {
    pub fn new() -> Self {
        Env::default()
    }
    pub fn with_variables(mut self, v: &'a dyn Variables) -> Self {
        self.variables = Some(v);
        self
    }
    pub fn aws_functions(mut self, on: bool) -> Self {
        self.aws = on;
        self
    }
    pub fn now_millis(mut self, ms: i64) -> Self {
        self.now = Some(ms);
        self
    }
}

/// A JSONata error with jsonata-js's code and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: String,
    pub message: String,
    pub position: Option<usize>,
}

impl Error {
    pub fn is_unsupported_result(&self) -> bool {
        self.code == "SY001"
    }
}

/// A parsed expression.
#[derive(Debug)]
pub struct Expression {
    source: String,
}

impl Expression {
    pub fn parse(source: &str) -> Result<Expression, Error> {
        Ok(Expression {
            source: source.to_owned(),
        })
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn evaluate(&self, input: Option<&Value>, env: &Env<'_>) -> Result<Option<Value>, Error> {
        Err(Error {
            code: "X0000".into(),
            message: "not implemented".into(),
            position: None,
        })
    }
}
