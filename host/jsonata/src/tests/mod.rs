//! Behaviour tests with inline fixtures, one module per area.

mod aws;
mod functions;
mod language;
mod robustness;

use serde_json::{Value, json};

use crate::{Env, Error, Expression};

/// Evaluate `expr` against `input` with default settings.
pub(super) fn ev(expr: &str, input: Value) -> Result<Option<Value>, Error> {
    Expression::parse(expr)?.evaluate(Some(&input), &Env::new())
}

/// Evaluate and unwrap a defined result.
pub(super) fn val(expr: &str, input: Value) -> Value {
    match ev(expr, input) {
        Ok(Some(v)) => v,
        other => panic!("{expr}: expected a value, got {other:?}"),
    }
}

/// Evaluate with no input.
pub(super) fn v0(expr: &str) -> Value {
    val_env(expr, &Env::new())
}

pub(super) fn val_env(expr: &str, env: &Env<'_>) -> Value {
    match Expression::parse(expr).and_then(|e| e.evaluate(None, env)) {
        Ok(Some(v)) => v,
        other => panic!("{expr}: expected a value, got {other:?}"),
    }
}

/// The error code `expr` fails with (parse or evaluation).
pub(super) fn code(expr: &str, input: Value) -> String {
    match ev(expr, input) {
        Err(e) => e.code,
        Ok(v) => panic!("{expr}: expected an error, got {v:?}"),
    }
}

pub(super) fn undefined(expr: &str, input: Value) -> bool {
    matches!(ev(expr, input), Ok(None))
}

pub(super) fn sample() -> Value {
    json!({
        "Account": {
            "Name": "Firefly",
            "Order": [
                {"OrderID": "order103", "Product": [
                    {"Name": "Bowler Hat", "Price": 34.45, "Quantity": 2},
                    {"Name": "Trilby hat", "Price": 21.67, "Quantity": 1}]},
                {"OrderID": "order104", "Product": [
                    {"Name": "Bowler Hat", "Price": 34.45, "Quantity": 4},
                    {"Name": "Cloak", "Price": 107.99, "Quantity": 1}]}
            ]
        }
    })
}
