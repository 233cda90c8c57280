//! Seeing a state's data at each step of its data flow, as TestState's
//! `inspectionData` shows it: what `InputPath` selected, what `Parameters`
//! (or JSONata's `Arguments`) built, the raw result, and the result after
//! `ResultSelector` and after `ResultPath`.
//!
//! Only TestState (and the console's step details, through it) asks for
//! this; an interpreter without an inspector pays one branch per stage.

use serde_json::Value;

/// A step of a state's data flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// After `InputPath` (`afterInputPath`).
    AfterInputPath,
    /// After `Parameters` (`afterParameters`).
    AfterParameters,
    /// After JSONata's `Arguments` (`afterArguments`).
    AfterArguments,
    /// The task's (or Parallel's, Map's) raw result (`result`).
    Result,
    /// After `ResultSelector` (`afterResultSelector`).
    AfterResultSelector,
    /// After `ResultPath` (`afterResultPath`).
    AfterResultPath,
}

impl Stage {
    /// The field of TestState's `inspectionData` that holds this stage.
    pub fn field(self) -> &'static str {
        match self {
            Stage::AfterInputPath => "afterInputPath",
            Stage::AfterParameters => "afterParameters",
            Stage::AfterArguments => "afterArguments",
            Stage::Result => "result",
            Stage::AfterResultSelector => "afterResultSelector",
            Stage::AfterResultPath => "afterResultPath",
        }
    }
}

/// Receives each stage of each state's data flow.
pub trait Inspector: Send + Sync {
    /// `state` reached `stage` with `value`.
    fn stage(&self, state: &str, stage: Stage, value: &Value);
}
