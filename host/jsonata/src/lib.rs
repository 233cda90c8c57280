//! A JSONata 2.0.6 evaluator over `serde_json` values, with the functions AWS Step Functions
//! adds (`$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid`, `$parse`; `$eval` removed)
//! behind [`Env::aws_functions`].
//!
//! ```
//! use stepyard_jsonata::{Env, Expression};
//! let e = Expression::parse("a.b + 1").unwrap();
//! let input = serde_json::json!({"a": {"b": 41}});
//! assert_eq!(e.evaluate(Some(&input), &Env::new()).unwrap(), Some(serde_json::json!(42)));
//! ```
//!
//! Evaluation reads the input and variables in place (borrowed); only values the expression
//! constructs are allocated, and the result is converted to an owned `serde_json::Value`.
//! Object keys keep insertion order except that integer-like keys (`"1"`) come first, which
//! is how JavaScript, and so jsonata-js, enumerates them.
//!
//! # Errors
//! Codes and messages are jsonata-js 2.0.6's (`Display` gives `"T1006: Attempted to invoke a
//! non-function"`). Codes this crate adds:
//! - [`UNSUPPORTED_RESULT`] (`SY0001`): the result is, or contains, a function;
//! - [`LIMIT_EXCEEDED`] (`U1002`): a string past JavaScript's maximum length;
//! - [`AWS_ARGUMENT_ERROR`] (`D3150`): bad argument values to the AWS functions;
//! - `U1001` is also used for runaway recursion (evaluation depth 10,000, or 100,000 tail
//!   calls), results nested deeper than 500 levels, and [`Env::time_limit`] timeouts.
//!
//! # Known differences from jsonata-js
//! - Regular expressions use the `regex` crate: no look-around or back-references, and
//!   `\d` means ASCII digits as in JavaScript.
//! - A function nested inside an object or array result is reported as
//!   [`UNSUPPORTED_RESULT`] rather than dropped the way `JSON.stringify` would drop it.
//! - `Error::position` is a byte offset of the offending token, not jsonata-js's offset.
//! - `$random(seed)` is deterministic per seed but not AWS's exact sequence.

mod ast;
mod error;
mod eval;
mod functions;
mod lexer;
mod numfmt;
mod parser;
mod process;
mod signature;
mod value;

use std::collections::HashMap;

pub use error::{Error, ErrorKind, LIMIT_EXCEEDED, UNSUPPORTED_RESULT};
pub use functions::aws::AWS_ARGUMENT_ERROR;

/// Variable lookup supplied by the caller. The interpreter provides `$states` and workflow
/// variables this way, so they are read in place rather than copied into a map.
pub trait Variables {
    /// The value bound to `$name` (`name` is given without the `$`), if any.
    fn get(&self, name: &str) -> Option<&serde_json::Value>;
}

impl Variables for HashMap<String, serde_json::Value> {
    fn get(&self, name: &str) -> Option<&serde_json::Value> {
        HashMap::get(self, name)
    }
}

impl Variables for serde_json::Map<String, serde_json::Value> {
    fn get(&self, name: &str) -> Option<&serde_json::Value> {
        serde_json::Map::get(self, name)
    }
}

/// Variables and settings for one evaluation (builder style).
#[derive(Clone, Copy, Default)]
pub struct Env<'a> {
    variables: Option<&'a dyn Variables>,
    aws: bool,
    now_millis: Option<i64>,
    time_limit: Option<std::time::Duration>,
    uuid: Option<fn() -> String>,
}

impl<'a> Env<'a> {
    /// No variables, standard JSONata functions, system clock.
    pub fn new() -> Env<'a> {
        Env::default()
    }

    /// Variables visible as `$name` (after the expression's own bindings).
    pub fn with_variables(mut self, vars: &'a dyn Variables) -> Env<'a> {
        self.variables = Some(vars);
        self
    }

    /// Enable the AWS Step Functions function set: adds `$partition`, `$range`, `$hash`,
    /// `$uuid`, `$parse`, makes `$random` accept a seed, and removes `$eval` (calling it then
    /// fails as an unknown function does: T1006).
    pub fn aws_functions(mut self, on: bool) -> Env<'a> {
        self.aws = on;
        self
    }

    /// Fail evaluations that run longer than `limit` with U1001 "Expression evaluation
    /// timeout" (the code jsonata's own harness uses), e.g. for exponential recursion that
    /// never overflows the stack. Off by default.
    pub fn time_limit(mut self, limit: std::time::Duration) -> Env<'a> {
        self.time_limit = Some(limit);
        self
    }

    /// The instant `$now()` and `$millis()` report (milliseconds since the Unix epoch). Every
    /// call within one evaluation sees the same instant. Defaults to the system clock, read
    /// once at the start of each evaluation.
    pub fn now_millis(mut self, millis: i64) -> Env<'a> {
        self.now_millis = Some(millis);
        self
    }

    /// Where `$uuid()` takes its UUIDs (the host's id source, which tests
    /// can make repeatable). Defaults to random version 4 UUIDs.
    pub fn uuid_source(mut self, source: fn() -> String) -> Env<'a> {
        self.uuid = Some(source);
        self
    }
}

/// A parsed JSONata expression: parse once, evaluate many times. `Send + Sync`, `Clone`.
#[derive(Debug, Clone)]
pub struct Expression {
    source: String,
    ast: ast::Node,
}

impl Expression {
    /// Parse `source`; syntax errors carry jsonata-js's `S0xxx` codes.
    pub fn parse(source: &str) -> Result<Expression, Error> {
        let ast = process::build(source)?;
        Ok(Expression {
            source: source.to_string(),
            ast,
        })
    }

    /// The expression text this was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluate with `input` as the context (`$`), or no context (undefined) when `None`.
    /// `Ok(None)` means the result is undefined (JSONata "nothing"). A result that is a
    /// function (or contains one) fails with [`UNSUPPORTED_RESULT`] /
    /// [`ErrorKind::UnsupportedResult`]; non-finite numbers fail with D1001.
    pub fn evaluate(
        &self,
        input: Option<&serde_json::Value>,
        env: &Env<'_>,
    ) -> Result<Option<serde_json::Value>, Error> {
        let arena = std::cell::OnceCell::new();
        let now = env.now_millis.unwrap_or_else(system_millis);
        let mut input_val = match input {
            Some(j) => value::Value::from_json(j),
            None => value::Value::Undefined,
        };
        let mut ctx = eval::Ctx::new(input_val.clone(), env.variables, env.aws, now, &arena);
        ctx.deadline = env.time_limit.map(|l| std::time::Instant::now() + l);
        ctx.uuid = env.uuid;
        let root = ctx.root();
        if let value::Value::JArray(_) = input_val {
            // jsonata-js wraps an array input so that `$` still denotes the whole array.
            input_val = value::Value::with_flags(vec![input_val], value::SEQUENCE | value::OUTER_WRAPPER);
        }
        let result = ctx.eval(&self.ast, &input_val, root)?;
        result.to_json()
    }
}

fn system_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
