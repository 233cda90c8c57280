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

    /// Every Task state's resource, with the location of its `Resource`
    /// field (`/States/P/Branches/0/States/Charge/Resource`), branches and
    /// item processors included: what a host checks it can serve.
    pub fn task_resources(&self) -> Vec<(String, &TaskState)> {
        let mut found = Vec::new();
        collect_tasks(&self.graph, &self.source, "", &mut found);
        found
    }
}

fn collect_tasks<'m>(graph: &'m Graph, json: &Value, base: &str, found: &mut Vec<(String, &'m TaskState)>) {
    for state in &graph.states {
        let location = format!("{base}/States/{}", state.name);
        let written = &json["States"][state.name.as_str()];
        match &state.kind {
            StateKind::Task(task) => found.push((format!("{location}/Resource"), task)),
            StateKind::Parallel(parallel) => {
                for (i, branch) in parallel.branches.iter().enumerate() {
                    let at = format!("{location}/Branches/{i}");
                    collect_tasks(branch, &written["Branches"][i], &at, found);
                }
            }
            StateKind::Map(map) => {
                // The item processor under its current name or the older one.
                let field = if written.get("ItemProcessor").is_some() {
                    "ItemProcessor"
                } else {
                    "Iterator"
                };
                collect_tasks(&map.processor, &written[field], &format!("{location}/{field}"), found);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod task_resource_tests {
    use super::*;

    #[test]
    fn tasks_are_found_in_branches_and_item_processors_with_their_locations() {
        let machine = StateMachine::parse(
            r#"{"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "Next": "M", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}]},
                "M": {"Type": "Map", "Next": "L", "Iterator":
                    {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}},
                "L": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}"#,
        )
        .unwrap();
        let found: Vec<String> = machine.task_resources().into_iter().map(|(at, _)| at).collect();
        assert_eq!(
            found,
            [
                "/States/P/Branches/0/States/A/Resource",
                "/States/M/Iterator/States/B/Resource",
                "/States/L/Resource"
            ]
        );
    }
}
