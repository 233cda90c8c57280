//! Raw JSON → typed [`StateMachine`], collecting every problem on the way.
//!
//! The parser never stops at the first problem: like AWS's
//! `ValidateStateMachineDefinition`, it reports all of them, each with the
//! location of the offending field.

mod fields;
mod map;
mod rules;
mod states;

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::diagnostics::{Diagnostic, codes};
use super::json::DuplicateKey;
use super::model::{Graph, QueryLanguage, State, StateIndex, StateMachine};
use super::validate;

/// Collects diagnostics while walking a definition.
pub(crate) struct Parser {
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Every state name seen so far, anywhere in the machine, with its location.
    pub(crate) names: HashMap<String, String>,
    /// The machine's default query language.
    pub(crate) machine_language: QueryLanguage,
}

impl Parser {
    pub(crate) fn schema(&mut self, message: impl Into<String>, location: &str) {
        self.error(codes::SCHEMA_VALIDATION_FAILED, message, location);
    }

    pub(crate) fn error(&mut self, code: &'static str, message: impl Into<String>, location: &str) {
        self.diagnostics
            .push(Diagnostic::error(code, message, location_or_root(location)));
    }
}

fn location_or_root(location: &str) -> &str {
    if location.is_empty() { "/" } else { location }
}

/// Parses a whole definition value.
pub(crate) fn parse_machine(value: &Value, duplicates: &[DuplicateKey]) -> Result<StateMachine, Vec<Diagnostic>> {
    let mut parser = Parser {
        diagnostics: Vec::new(),
        names: HashMap::new(),
        machine_language: QueryLanguage::JsonPath,
    };
    for dup in duplicates {
        parser.error(
            codes::DUPLICATE_STATE_NAME,
            format!("Duplicate State name: {}", dup.key),
            &format!("{}/{}", dup.object, dup.key),
        );
    }
    let Some(obj) = value.as_object() else {
        parser.schema("The state machine definition must be a JSON object", "");
        return Err(parser.diagnostics);
    };
    const TOP_FIELDS: &[&str] = &[
        "Comment",
        "StartAt",
        "States",
        "Version",
        "TimeoutSeconds",
        "QueryLanguage",
    ];
    fields::reject_unknown(&mut parser, obj, TOP_FIELDS, "");
    fields::require(&mut parser, obj, &["StartAt", "States"], "");

    let language = match obj.get("QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(v) => fields::query_language(&mut parser, v, "/QueryLanguage").unwrap_or_default(),
    };
    parser.machine_language = language;
    let comment = fields::opt_string(&mut parser, obj, "Comment", "");
    let version = fields::opt_string(&mut parser, obj, "Version", "");
    let timeout_seconds = fields::opt_int_in(&mut parser, obj, "TimeoutSeconds", "", 1, 99_999_999);

    let graph = if obj.contains_key("StartAt") && obj.contains_key("States") {
        parse_graph(&mut parser, obj, "", language)
    } else {
        None
    };
    match graph {
        Some(graph) if parser.diagnostics.is_empty() => Ok(StateMachine {
            comment,
            version,
            timeout_seconds,
            query_language: language,
            graph,
            source: value.clone(),
        }),
        _ => Err(parser.diagnostics),
    }
}

/// Parses `StartAt` + `States` of `obj` (the machine, a branch or an item processor).
pub(crate) fn parse_graph(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    location: &str,
    language: QueryLanguage,
) -> Option<Graph> {
    let start_at = match obj.get("StartAt") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            parser.schema(
                "The value for the field 'StartAt' must be a STRING",
                &format!("{location}/StartAt"),
            );
            None
        }
        None => {
            parser.schema("These fields are required: [StartAt]", location);
            None
        }
    };
    let states_loc = format!("{location}/States");
    let states_obj = match obj.get("States") {
        Some(Value::Object(m)) => m,
        Some(_) => {
            parser.schema("The value for the field 'States' must be an OBJECT", &states_loc);
            return None;
        }
        None => {
            parser.schema("These fields are required: [States]", location);
            return None;
        }
    };
    if states_obj.is_empty() {
        parser.schema("The field 'States' must have at least one state", &states_loc);
        return None;
    }

    // Names first, so transitions can be resolved while parsing each state.
    let indexes: HashMap<&str, StateIndex> = states_obj.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let mut states: Vec<State> = Vec::with_capacity(states_obj.len());
    let mut complete = true;
    for (name, value) in states_obj {
        let loc = format!("{states_loc}/{name}");
        check_state_name(parser, name, &loc);
        match states::parse_state(parser, name, value, &loc, language, &indexes) {
            Some(state) => states.push(state),
            None => complete = false,
        }
    }

    let start = start_at.and_then(|s| match indexes.get(s) {
        Some(&i) => Some(i),
        None => {
            parser.error(
                codes::MISSING_TRANSITION_TARGET,
                format!("Missing 'StartAt' target: {s}"),
                &format!("{location}/StartAt"),
            );
            None
        }
    });
    let start = start?;
    if !complete {
        return None;
    }
    let graph = Graph::new(start, states);
    validate::check_graph(parser, &graph, location);
    Some(graph)
}

fn check_state_name(parser: &mut Parser, name: &str, location: &str) {
    if name.is_empty() || name.chars().count() > 80 {
        parser.error(
            codes::INVALID_STATE_NAME,
            format!("State name '{name}' must be 1 to 80 characters long"),
            location,
        );
    } else if name.chars().any(char::is_control) {
        parser.error(
            codes::INVALID_STATE_NAME,
            format!("State name '{name}' contains control characters"),
            location,
        );
    }
    if let Some(previous) = parser.names.insert(name.to_owned(), location.to_owned())
        && previous != location
    {
        parser.error(
            codes::DUPLICATE_STATE_NAME,
            format!("Duplicate State name: {name}"),
            location,
        );
    }
}
