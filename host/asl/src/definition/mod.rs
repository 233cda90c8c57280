//! The definition model and its validation.
//!
//! [`StateMachine::parse`] turns ASL text into a [`StateMachine`] or an
//! [`InvalidDefinition`] listing every problem with its location. A
//! `StateMachine` is always valid: the interpreter never sees raw JSON.

mod diagnostics;
mod json;
mod model;
mod parse;
mod resource;
mod validate;

pub use diagnostics::{Diagnostic, InvalidDefinition, Severity, codes};
pub use model::*;
pub use resource::{IntegrationPattern, ResourceKind};

use serde_json::Value;

impl StateMachine {
    /// Parses and validates ASL text.
    pub fn parse(text: &str) -> Result<StateMachine, InvalidDefinition> {
        if text.trim().is_empty() {
            return Err(InvalidDefinition {
                diagnostics: vec![Diagnostic::error(
                    codes::MISSING_DESCRIPTION,
                    "The definition is empty",
                    "/",
                )],
            });
        }
        let (value, duplicates) = json::parse(text).map_err(|e| InvalidDefinition {
            diagnostics: vec![Diagnostic::error(
                codes::INVALID_JSON_DESCRIPTION,
                format!("Invalid JSON: {e}"),
                "/",
            )],
        })?;
        parse::parse_machine(&value, &duplicates).map_err(|diagnostics| InvalidDefinition { diagnostics })
    }

    /// Validates an already-parsed JSON value (duplicate keys are no longer visible).
    pub fn from_value(value: &Value) -> Result<StateMachine, InvalidDefinition> {
        parse::parse_machine(value, &[]).map_err(|diagnostics| InvalidDefinition { diagnostics })
    }
}
