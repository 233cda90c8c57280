//! History events: AWS's types, ids and previous-event links.

use serde_json::json;

use crate::support::{FakeTasks, Step, run, run_with};

fn links(out: &crate::support::Outcome) -> Vec<(String, u64, u64)> {
    out.events
        .iter()
        .map(|e| (e.details.type_name(), e.id, e.previous_event_id))
        .collect()
}

#[test]
fn a_pass_chain_links_each_event_to_the_one_before() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}"#;
    let out = run(def, json!({}));
    let expected = [
        ("ExecutionStarted", 1, 0),
        ("PassStateEntered", 2, 0),
        ("PassStateExited", 3, 2),
        ("PassStateEntered", 4, 3),
        ("PassStateExited", 5, 4),
        ("ExecutionSucceeded", 6, 5),
    ];
    let expected: Vec<_> = expected.iter().map(|(t, i, p)| (t.to_string(), *i, *p)).collect();
    assert_eq!(links(&out), expected);
}

#[test]
fn lambda_arns_record_lambda_events_and_retries_repeat_them() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
        "Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"End":true}}}"#;
    let tasks = FakeTasks::new().function("f", |_, n| {
        if n == 0 {
            Step::Err("E", "x")
        } else {
            Step::Ok(json!(1))
        }
    });
    let out = run_with(def, json!({}), tasks);
    assert_eq!(
        out.event_types(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn service_integrations_record_task_events_with_resource_type() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
        "Parameters":{"FunctionName":"f","Payload":{}},"End":true}}}"#;
    let out = run_with(
        def,
        json!({}),
        FakeTasks::new().function("f", |_, _| Step::Ok(json!({"Payload": 1}))),
    );
    let scheduled = out
        .events
        .iter()
        .find(|e| e.details.type_name() == "TaskScheduled")
        .unwrap()
        .to_json();
    assert_eq!(scheduled["taskScheduledEventDetails"]["resourceType"], "lambda");
    assert_eq!(scheduled["taskScheduledEventDetails"]["resource"], "invoke");
    assert_eq!(
        scheduled["taskScheduledEventDetails"]["parameters"],
        r#"{"FunctionName":"f","Payload":{}}"#
    );
}

#[test]
fn sequential_map_iterations_link_like_aws() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    let out = run(def, json!([1, 2]));
    let expected = [
        ("ExecutionStarted", 1, 0),
        ("MapStateEntered", 2, 0),
        ("MapStateStarted", 3, 2),
        ("MapIterationStarted", 4, 3),
        ("PassStateEntered", 5, 4),
        ("PassStateExited", 6, 5),
        ("MapIterationSucceeded", 7, 6),
        ("MapIterationStarted", 8, 6),
        ("PassStateEntered", 9, 8),
        ("PassStateExited", 10, 9),
        ("MapIterationSucceeded", 11, 10),
        ("MapStateSucceeded", 12, 11),
        ("MapStateExited", 13, 11),
        ("ExecutionSucceeded", 14, 13),
    ];
    let expected: Vec<_> = expected.iter().map(|(t, i, p)| (t.to_string(), *i, *p)).collect();
    assert_eq!(links(&out), expected);
}

#[test]
fn error_causes_cite_the_entered_event_id() {
    let def =
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","InputPath":"$.x","End":true}}}"#;
    let out = run(def, json!({}));
    assert!(out.cause().contains("(entered at the event id #4)"), "{}", out.cause());
}

/// The `…EventDetails` member of the first event of type `kind`, as AWS writes it.
fn details_of(out: &crate::support::Outcome, kind: &str) -> serde_json::Value {
    let event = out
        .events
        .iter()
        .find(|e| e.details.type_name() == kind)
        .unwrap_or_else(|| panic!("no {kind} event in {:?}", out.event_types()));
    let text: serde_json::Value = serde_json::from_str(&event.to_json_text()).unwrap();
    let key = text
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.ends_with("EventDetails"))
        .unwrap_or_else(|| panic!("{kind} has no details"))
        .clone();
    text[key].clone()
}

#[test]
fn an_empty_assign_records_no_assigned_variables() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{},"Next":"B"},
        "B":{"Type":"Pass","Assign":{"x":1},"End":true}}}"#;
    let out = run(def, json!({}));
    let exits: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.details.type_name() == "PassStateExited")
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.to_json_text()).unwrap()["stateExitedEventDetails"].clone()
        })
        .collect();
    assert!(exits[0].get("assignedVariables").is_none(), "{}", exits[0]);
    assert!(exits[0].get("assignedVariablesDetails").is_none(), "{}", exits[0]);
    assert_eq!(exits[1]["assignedVariables"], json!({"x": "1"}));
}

#[test]
fn evaluation_failures_name_the_failing_field_as_their_location() {
    let output = r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
        "Output":{"a":[0,"{% $nothing %}"]},"End":true}}}"#;
    let details = details_of(&run(output, json!({})), "EvaluationFailed");
    assert_eq!(details["location"], "Output/a/1");
    assert_eq!(details["state"], "P");

    let items = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% 1 %}",
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    assert_eq!(
        details_of(&run(items, json!({})), "EvaluationFailed")["location"],
        "Items"
    );

    let timestamp = r#"{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait",
        "Timestamp":"{% 'not a date' %}","End":true}}}"#;
    assert_eq!(
        details_of(&run(timestamp, json!({})), "EvaluationFailed")["location"],
        "Timestamp"
    );
}

#[test]
fn an_evaluation_failure_about_no_one_field_has_no_location() {
    // The Map has no Items: its input itself is not an array.
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    let details = details_of(&run(def, json!({"not": "an array"})), "EvaluationFailed");
    assert!(details.get("location").is_none(), "{details}");
}

#[test]
fn a_task_timeout_records_no_cause() {
    let slow = || {
        FakeTasks::new().function("f", |_, _| {
            Step::After(std::time::Duration::from_secs(30), Box::new(Step::Ok(json!(1))))
        })
    };
    let lambda = r#"{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","TimeoutSeconds":5,"End":true}}}"#;
    let out = run_with(lambda, json!({}), slow());
    assert_eq!(out.error(), "States.Timeout");
    assert_eq!(out.result.cause, None);
    assert_eq!(
        details_of(&out, "LambdaFunctionTimedOut"),
        json!({"error": "States.Timeout"})
    );
    assert_eq!(details_of(&out, "ExecutionFailed"), json!({"error": "States.Timeout"}));

    let service = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
        "Parameters":{"FunctionName":"f"},"TimeoutSeconds":5,"End":true}}}"#;
    let out = run_with(service, json!({}), slow());
    assert_eq!(
        details_of(&out, "TaskTimedOut"),
        json!({"error": "States.Timeout", "resourceType": "lambda", "resource": "invoke"})
    );
}

#[test]
fn a_caught_task_timeout_still_shows_an_empty_cause() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","TimeoutSeconds":5,
        "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},
        "Caught":{"Type":"Pass","End":true}}}"#;
    let slow = FakeTasks::new().function("f", |_, _| {
        Step::After(std::time::Duration::from_secs(30), Box::new(Step::Ok(json!(1))))
    });
    let out = run_with(def, json!({}), slow);
    assert_eq!(out.output(), &json!({"Error": "States.Timeout", "Cause": ""}));
}

#[test]
fn a_child_evaluation_failure_is_recorded_once() {
    let pass = r#"{"Type":"Pass","Output":{"e":"{% $nothing %}"},"End":true}"#;
    let map = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"M","States":{{"M":{{"Type":"Map","Items":"{{% [1, 2] %}}",
        "MaxConcurrency":1,"ItemProcessor":{{"StartAt":"P","States":{{"P":{pass}}}}},"End":true}}}}}}"#
    );
    let out = run(&map, json!({}));
    assert_eq!(out.error(), "States.QueryEvaluationError");
    assert_eq!(
        out.event_types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "MapIterationFailed",
            "MapStateFailed",
            "ExecutionFailed",
        ]
    );
    // The execution's failure follows the Map's.
    let last = out.events.last().unwrap();
    assert_eq!(last.previous_event_id, out.events[out.events.len() - 2].id);

    let parallel = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"Par","States":{{"Par":{{"Type":"Parallel","End":true,
        "Branches":[{{"StartAt":"P","States":{{"P":{pass}}}}}]}}}}}}"#
    );
    let out = run(&parallel, json!({}));
    let types = out.event_types();
    assert_eq!(
        types.iter().filter(|t| *t == "EvaluationFailed").count(),
        1,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "ParallelStateFailed").count(),
        1,
        "{types:?}"
    );
}
