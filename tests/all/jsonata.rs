//! JSONata states: Arguments, Output, Assign, Condition, Items, $states.

use serde_json::json;

use crate::support::{FakeTasks, Step, run, run_with};

#[test]
fn output_and_assign_see_input_and_result() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
             "Arguments":{"FunctionName":"price","Payload":{"qty":"{% $states.input.qty %}"}},
             "Assign":{"unit":"{% $states.result.unit %}"},
             "Output":{"total":"{% $states.result.unit * $states.input.qty %}"},"Next":"U"},
        "U":{"Type":"Pass","Output":{"total":"{% $states.input.total %}","unit":"{% $unit %}"},"End":true}}}"#;
    let tasks = FakeTasks::new().function("price", |req, _| {
        assert_eq!(req.input["Payload"], json!({"qty": 3}));
        Step::Ok(json!({"unit": 5}))
    });
    assert_eq!(
        run_with(def, json!({"qty": 3}), tasks).output(),
        &json!({"total": 15, "unit": 5})
    );
}

#[test]
fn condition_routes_and_rule_output_replaces_the_state_output() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[
            {"Condition":"{% $states.input.n > 10 %}","Output":{"size":"big"},"Next":"Done"}],
            "Default":"Done","Output":{"size":"small"}},
        "Done":{"Type":"Succeed"}}}"#;
    assert_eq!(run(def, json!({"n": 11})).output(), &json!({"size": "big"}));
    assert_eq!(run(def, json!({"n": 1})).output(), &json!({"size": "small"}));
}

#[test]
fn items_and_item_selector_use_the_map_item_context() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
        "Items":"{% $states.input.orders %}",
        "ItemSelector":{"i":"{% $states.context.Map.Item.Index %}","id":"{% $states.context.Map.Item.Value.id %}"},
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    let out = run(def, json!({"orders": [{"id": "a"}, {"id": "b"}]}));
    assert_eq!(out.output(), &json!([{"i": 0, "id": "a"}, {"i": 1, "id": "b"}]));
}

#[test]
fn items_of_the_wrong_type_fail_with_aws_cause() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% 1 %}",
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    let out = run(def, json!({}));
    assert_eq!(out.error(), "States.QueryEvaluationError");
    assert!(
        out.cause().ends_with("The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1"),
        "{}",
        out.cause()
    );
    assert!(out.event_types().contains(&"EvaluationFailed".to_owned()));
}

#[test]
fn undefined_results_and_functions_are_errors() {
    let undefined = r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
        "Output":{"x":"{% $states.input.missing %}"},"End":true}}}"#;
    let out = run(undefined, json!({}));
    assert_eq!(out.error(), "States.QueryEvaluationError");
    assert!(
        out.cause()
            .ends_with("specified for the field 'Output/x' returned nothing (undefined)."),
        "{}",
        out.cause()
    );

    let function = r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
        "Output":"{% function($x){$x} %}","End":true}}}"#;
    assert!(
        run(function, json!({}))
            .cause()
            .ends_with("returned an unsupported result type.")
    );

    let thrown = r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
        "Output":"{% $notAFunction(1) %}","End":true}}}"#;
    assert!(
        run(thrown, json!({}))
            .cause()
            .contains("threw an error during evaluation. T1006"),
        "thrown"
    );
}

#[test]
fn catch_output_sees_the_error_output() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f"},
             "Catch":[{"ErrorEquals":["States.ALL"],"Output":{"why":"{% $states.errorOutput.Cause %}","was":"{% $states.input %}"},"Next":"D"}],
             "End":true},
        "D":{"Type":"Succeed"}}}"#;
    let tasks = FakeTasks::new().function("f", |_, _| Step::Err("Boom", "it broke"));
    assert_eq!(
        run_with(def, json!({"a": 1}), tasks).output(),
        &json!({"why": "it broke", "was": {"a": 1}})
    );
}

#[test]
fn wait_seconds_from_an_expression() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s * 2 %}","End":true}}}"#;
    assert!((run(def, json!({"s": 30})).elapsed - 60.0).abs() < 0.01);
}

#[test]
fn aws_functions_are_available() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{
        "parts":"{% $partition([1,2,3,4,5], 2) %}","range":"{% $range(0, 10, 5) %}",
        "hash":"{% $hash('abc', 'SHA-256') %}","parsed":"{% $parse('{\"a\":1}') %}"},"End":true}}}"#;
    let out = run(def, json!({}));
    assert_eq!(out.output()["parts"], json!([[1, 2], [3, 4], [5]]));
    assert_eq!(out.output()["range"], json!([0, 5, 10]));
    assert_eq!(
        out.output()["hash"],
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(out.output()["parsed"], json!({"a": 1}));
}

#[test]
fn now_follows_the_execution_clock() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"t0":"{% $millis() %}"},"Next":"W"},
        "W":{"Type":"Wait","Seconds":3600,"Next":"B"},
        "B":{"Type":"Pass","Output":"{% $millis() - $t0 %}","End":true}}}"#;
    let elapsed = run(def, json!({})).output().as_i64().unwrap();
    assert!((3_600_000..3_601_000).contains(&elapsed), "{elapsed}");
}

#[test]
fn jsonpath_and_jsonata_states_share_variables() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"x.$":"$.v"},"Next":"B"},
        "B":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $x + 1 %}","End":true}}}"#;
    assert_eq!(run(def, json!({"v": 41})).output(), &json!(42));
}
