//! Problems found in a definition, reported the way AWS's
//! `ValidateStateMachineDefinition` reports them.

use std::fmt;

/// How bad a diagnostic is. Only errors make a definition invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// The definition is invalid; AWS would refuse it.
    Error,
    /// Worth reporting, but the definition is still accepted.
    Warning,
}

/// One problem, with AWS's code and a JSON-pointer-like location
/// (`/States/Charge/Retry/0/BackoffRate`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Whether the problem makes the definition invalid.
    pub severity: Severity,
    /// AWS's diagnostic code, one of [`codes`] (`SCHEMA_VALIDATION_FAILED`…).
    pub code: &'static str,
    /// What is wrong, in AWS's wording where AWS has one.
    pub message: String,
    /// Where: a JSON-pointer-like path into the definition, `/` for the whole of it.
    pub location: String,
}

/// AWS's diagnostic codes.
pub mod codes {
    /// A field is missing, misplaced, of the wrong type or out of range.
    pub const SCHEMA_VALIDATION_FAILED: &str = "SCHEMA_VALIDATION_FAILED";
    /// The definition text is not JSON.
    pub const INVALID_JSON_DESCRIPTION: &str = "INVALID_JSON_DESCRIPTION";
    pub(crate) const MISSING_DESCRIPTION: &str = "MISSING_DESCRIPTION";
    /// A `StartAt`, `Next` or `Default` names no state of its graph, or a state is unreachable.
    pub const MISSING_TRANSITION_TARGET: &str = "MISSING_TRANSITION_TARGET";
    /// A graph has no terminal state (`End`, Succeed or Fail).
    pub const MISSING_END_STATE: &str = "MISSING_END_STATE";
    /// Two states share a name, anywhere in the machine.
    pub const DUPLICATE_STATE_NAME: &str = "DUPLICATE_STATE_NAME";
    pub(crate) const INVALID_STATE_NAME: &str = "INVALID_STATE_NAME";
}

impl Diagnostic {
    /// A diagnostic of [`Severity::Error`]: AWS's `code` and `message` at `location`.
    pub fn error(code: &'static str, message: impl Into<String>, location: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: location.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} at {}", self.code, self.message, self.location)
    }
}

/// A definition AWS would refuse, with every problem found.
#[derive(Debug, Clone, thiserror::Error)]
pub struct InvalidDefinition {
    /// Every problem found, in the order the parser met them.
    pub diagnostics: Vec<Diagnostic>,
}

impl InvalidDefinition {
    /// The error text AWS's CreateStateMachine gives for `InvalidDefinition`.
    pub fn aws_message(&self) -> String {
        let joined: Vec<String> = self.diagnostics.iter().map(Diagnostic::to_string).collect();
        format!("Invalid State Machine Definition: '{}'", joined.join(", "))
    }
}

impl fmt::Display for InvalidDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aws_message())
    }
}
