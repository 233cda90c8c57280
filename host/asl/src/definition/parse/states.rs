//! One state of each type.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Parser, fields, parse_graph, rules};
use crate::definition::model::*;
use crate::jsonata_template::expression_text;

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const JSONPATH_IO: &[&str] = &["InputPath", "OutputPath"];

/// The fields a state type accepts, in each query language.
fn allowed_fields(type_name: &str, language: QueryLanguage) -> Vec<&'static str> {
    let mut f: Vec<&'static str> = COMMON.to_vec();
    let jp = language == QueryLanguage::JsonPath;
    let flow: &[&str] = &["Next", "End", "Assign"];
    let own: &[&str] = match type_name {
        "Pass" => &["Result"],
        "Task" => &[
            "Resource",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
        ],
        "Choice" => &["Choices", "Default", "Assign"],
        "Wait" => &["Seconds", "Timestamp"],
        "Succeed" => &[],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &["Branches", "Retry", "Catch"],
        "Map" => &[
            "Iterator",
            "ItemProcessor",
            "MaxConcurrency",
            "Retry",
            "Catch",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "ToleratedFailureCount",
            "ToleratedFailurePercentage",
            "Label",
            "ItemSelector",
        ],
        _ => &[],
    };
    f.extend_from_slice(own);
    if matches!(type_name, "Pass" | "Task" | "Wait" | "Parallel" | "Map") {
        f.extend_from_slice(flow);
    }
    if jp {
        if type_name != "Fail" {
            f.extend_from_slice(JSONPATH_IO);
        }
        let extra: &[&str] = match type_name {
            "Pass" => &["Parameters", "ResultPath"],
            "Task" => &[
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            "Wait" => &["SecondsPath", "TimestampPath"],
            "Fail" => &["ErrorPath", "CausePath"],
            "Parallel" => &["Parameters", "ResultSelector", "ResultPath"],
            "Map" => &[
                "ItemsPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            _ => &[],
        };
        f.extend_from_slice(extra);
    } else {
        if type_name != "Fail" {
            f.push("Output");
        }
        let extra: &[&str] = match type_name {
            "Task" | "Parallel" => &["Arguments"],
            "Map" => &["Items"],
            _ => &[],
        };
        f.extend_from_slice(extra);
    }
    f
}

const TYPES: &[&str] = &["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];

pub(crate) fn parse_state(
    parser: &mut Parser,
    name: &str,
    value: &Value,
    loc: &str,
    _graph_language: QueryLanguage,
    indexes: &HashMap<&str, StateIndex>,
) -> Option<State> {
    let Some(obj) = value.as_object() else {
        parser.schema("A state must be a JSON object", loc);
        return None;
    };
    let type_name = match obj.get("Type") {
        None => {
            parser.schema("These fields are required: [Type]", loc);
            return None;
        }
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => t.as_str(),
        Some(other) => {
            parser.schema(
                format!("Invalid State Type: {}", other.as_str().unwrap_or("(not a string)")),
                &format!("{loc}/Type"),
            );
            return None;
        }
    };

    let language = match obj.get("QueryLanguage") {
        None => parser.machine_language,
        Some(v) => {
            let l = fields::query_language(parser, v, &format!("{loc}/QueryLanguage"))?;
            if parser.machine_language == QueryLanguage::Jsonata && l == QueryLanguage::JsonPath {
                parser.schema(
                    "A state cannot set QueryLanguage to JSONPath when the state machine's QueryLanguage is JSONata",
                    &format!("{loc}/QueryLanguage"),
                );
            }
            l
        }
    };

    let allowed = allowed_fields(type_name, language);
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            let other = match language {
                QueryLanguage::JsonPath => QueryLanguage::Jsonata,
                QueryLanguage::Jsonata => QueryLanguage::JsonPath,
            };
            if allowed_fields(type_name, other).contains(&key.as_str()) {
                parser.schema(
                    format!(
                        "The field '{key}' is not supported for QueryLanguage {}",
                        language.as_str()
                    ),
                    &format!("{loc}/{key}"),
                );
            } else {
                parser.schema(
                    format!("Field '{key}' is not supported by state type '{type_name}'"),
                    &format!("{loc}/{key}"),
                );
            }
        }
    }
    check_no_jsonata_in_jsonpath(parser, obj, loc, language);

    let comment = fields::opt_string(parser, obj, "Comment", loc);
    let transition = transition(parser, obj, type_name, loc, indexes);
    let io = data_flow(parser, obj, loc, language);
    let assign = match obj.get("Assign") {
        Some(v) if !matches!(type_name, "Succeed" | "Fail") => fields::assign(parser, v, loc, language),
        _ => None,
    };
    let (retry, catch) = if matches!(type_name, "Task" | "Parallel" | "Map") {
        (
            rules::retriers(parser, obj, loc),
            rules::catchers(parser, obj, loc, language, indexes),
        )
    } else {
        (Vec::new(), Vec::new())
    };

    let kind = match type_name {
        "Pass" => StateKind::Pass(PassState {
            result: obj.get("Result").cloned(),
        }),
        "Task" => StateKind::Task(Box::new(task(parser, obj, loc, language)?)),
        "Choice" => StateKind::Choice(rules::choice(parser, obj, loc, language, indexes)?),
        "Wait" => StateKind::Wait(wait(parser, obj, loc, language)?),
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail(FailState {
            error: fields::dynamic_string(parser, obj, "Error", loc, language),
            cause: fields::dynamic_string(parser, obj, "Cause", loc, language),
        }),
        "Parallel" => StateKind::Parallel(parallel(parser, obj, loc)?),
        "Map" => StateKind::Map(Box::new(super::map::map(parser, obj, loc, language)?)),
        _ => unreachable!("type names are checked above"),
    };
    Some(State {
        name: name.to_owned(),
        comment,
        query_language: language,
        kind,
        transition: transition?,
        io: io?,
        assign,
        retry,
        catch,
    })
}

/// A JSONPath state may not hold `{% … %}` in the fields AWS evaluates.
fn check_no_jsonata_in_jsonpath(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, language: QueryLanguage) {
    if language != QueryLanguage::JsonPath {
        return;
    }
    for key in [
        "TimeoutSeconds",
        "HeartbeatSeconds",
        "Seconds",
        "Timestamp",
        "MaxConcurrency",
        "Items",
    ] {
        if let Some(Value::String(s)) = obj.get(key)
            && expression_text(s).is_some()
        {
            parser.schema(
                format!("The field '{key}' holds a JSONata expression but the state's QueryLanguage is JSONPath"),
                &format!("{loc}/{key}"),
            );
        }
    }
}

fn transition(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    type_name: &str,
    loc: &str,
    indexes: &HashMap<&str, StateIndex>,
) -> Option<Transition> {
    if matches!(type_name, "Choice" | "Succeed" | "Fail") {
        return Some(Transition::None);
    }
    match (obj.get("Next"), obj.get("End")) {
        (Some(_), Some(_)) => {
            parser.schema("The fields 'Next' and 'End' are mutually exclusive", loc);
            None
        }
        (None, None) => {
            parser.schema("These fields are required: [Next or End]", loc);
            None
        }
        (None, Some(Value::Bool(true))) => Some(Transition::End),
        (None, Some(_)) => {
            parser.schema("The value for the field 'End' must be true", &format!("{loc}/End"));
            None
        }
        (Some(next), None) => target(parser, next, "Next", loc, indexes).map(Transition::Next),
    }
}

/// Resolves a `Next`-like field to a state index.
pub(crate) fn target(
    parser: &mut Parser,
    value: &Value,
    key: &str,
    loc: &str,
    indexes: &HashMap<&str, StateIndex>,
) -> Option<StateIndex> {
    let Some(name) = value.as_str() else {
        parser.schema(
            format!("The value for the field '{key}' must be a STRING"),
            &format!("{loc}/{key}"),
        );
        return None;
    };
    match indexes.get(name) {
        Some(&i) => Some(i),
        None => {
            parser.error(
                crate::definition::diagnostics::codes::MISSING_TRANSITION_TARGET,
                format!("Missing '{key}' target: {name}"),
                &format!("{loc}/{key}"),
            );
            None
        }
    }
}

fn data_flow(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, language: QueryLanguage) -> Option<DataFlow> {
    let before = parser.diagnostics.len();
    let flow = match language {
        QueryLanguage::JsonPath => DataFlow::JsonPath(Box::new(JsonPathFlow {
            input_path: fields::optional_path(parser, obj, "InputPath", loc),
            parameters: obj
                .get("Parameters")
                .and_then(|v| fields::payload(parser, v, "Parameters", loc)),
            result_selector: obj
                .get("ResultSelector")
                .and_then(|v| fields::payload(parser, v, "ResultSelector", loc)),
            result_path: fields::result_path(parser, obj, loc),
            output_path: fields::optional_path(parser, obj, "OutputPath", loc),
        })),
        QueryLanguage::Jsonata => DataFlow::Jsonata(JsonataFlow {
            arguments: obj
                .get("Arguments")
                .and_then(|v| fields::jsonata(parser, v, "Arguments", loc)),
            output: obj
                .get("Output")
                .and_then(|v| fields::jsonata(parser, v, "Output", loc)),
        }),
    };
    (parser.diagnostics.len() == before).then_some(flow)
}

fn task(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, language: QueryLanguage) -> Option<TaskState> {
    let resource = match obj.get("Resource") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            parser.schema(
                "The value for the field 'Resource' must be a non-empty STRING",
                &format!("{loc}/Resource"),
            );
            return None;
        }
        None => {
            parser.schema("These fields are required: [Resource]", loc);
            return None;
        }
    };
    let timeout_seconds = fields::dynamic_int(parser, obj, "TimeoutSeconds", loc, language, 1, 99_999_999);
    let heartbeat_seconds = fields::dynamic_int(parser, obj, "HeartbeatSeconds", loc, language, 1, 99_999_999);
    if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) = (&timeout_seconds, &heartbeat_seconds)
        && h >= t
    {
        parser.schema(
            "HeartbeatSeconds must be smaller than TimeoutSeconds",
            &format!("{loc}/HeartbeatSeconds"),
        );
    }
    let credentials = obj.get("Credentials").cloned();
    if let Some(c) = &credentials {
        let has_role = c
            .as_object()
            .is_some_and(|m| m.contains_key("RoleArn") || m.contains_key("RoleArn.$"));
        if !has_role {
            parser.schema(
                "The field 'RoleArn' is required but was missing",
                &format!("{loc}/Credentials"),
            );
        }
    }
    let kind = crate::definition::ResourceKind::classify(&resource);
    Some(TaskState {
        resource,
        kind,
        timeout_seconds,
        heartbeat_seconds,
        credentials,
    })
}

fn wait(parser: &mut Parser, obj: &Map<String, Value>, loc: &str, language: QueryLanguage) -> Option<WaitState> {
    let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        .into_iter()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if present.len() != 1 {
        parser.schema(
            "A Wait state must have exactly one of Seconds, SecondsPath, Timestamp or TimestampPath",
            loc,
        );
        return None;
    }
    if obj.contains_key("Seconds") || obj.contains_key("SecondsPath") {
        fields::dynamic_signed(parser, obj, "Seconds", loc, language, 0, 99_999_999).map(WaitState::Seconds)
    } else {
        if let Some(Value::String(s)) = obj.get("Timestamp")
            && expression_text(s).is_none()
            && crate::timestamp::parse(s).is_none()
        {
            parser.schema(
                "The value for the field 'Timestamp' must be a valid ISO-8601 extended offset date-time",
                &format!("{loc}/Timestamp"),
            );
            return None;
        }
        fields::dynamic_string(parser, obj, "Timestamp", loc, language).map(WaitState::Timestamp)
    }
}

fn parallel(parser: &mut Parser, obj: &Map<String, Value>, loc: &str) -> Option<ParallelState> {
    let Some(branches) = obj.get("Branches") else {
        parser.schema("These fields are required: [Branches]", loc);
        return None;
    };
    let Some(list) = branches.as_array() else {
        parser.schema(
            "The value for the field 'Branches' must be an ARRAY",
            &format!("{loc}/Branches"),
        );
        return None;
    };
    let mut graphs = Vec::with_capacity(list.len());
    let mut ok = true;
    for (i, b) in list.iter().enumerate() {
        let bloc = format!("{loc}/Branches/{i}");
        let Some(bobj) = b.as_object() else {
            parser.schema("A branch must be a JSON object", &bloc);
            ok = false;
            continue;
        };
        fields::reject_unknown(parser, bobj, &["StartAt", "States", "Comment", "QueryLanguage"], &bloc);
        let language = parser.machine_language;
        match parse_graph(parser, bobj, &bloc, language) {
            Some(g) => graphs.push(g),
            None => ok = false,
        }
    }
    ok.then_some(ParallelState { branches: graphs })
}
