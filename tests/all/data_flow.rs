//! InputPath → Parameters → ResultSelector → ResultPath → OutputPath.

use serde_json::json;

use crate::support::{FakeTasks, Step, run, run_with};

#[test]
fn pass_chain_applies_every_path_in_order() {
    let def = r#"{
      "StartAt": "A",
      "States": {
        "A": {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "fixed": 1},
              "ResultPath": "$.order.copy", "Next": "B"},
        "B": {"Type": "Pass", "OutputPath": "$.order", "End": true}
      }
    }"#;
    let out = run(def, json!({"order": {"id": "o-1"}, "other": true}));
    assert_eq!(out.output(), &json!({"id": "o-1", "copy": {"id": "o-1", "fixed": 1}}));
}

#[test]
fn pass_result_replaces_the_effective_input_and_is_not_evaluated() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x.$":"$.y"},"ResultPath":"$.r","End":true}}}"#;
    let out = run(def, json!({"y": 1}));
    assert_eq!(out.output(), &json!({"y": 1, "r": {"x.$": "$.y"}}));
}

#[test]
fn parameters_may_be_any_json_value_and_templates_inside_an_array_are_evaluated() {
    // The service accepts any JSON value as Parameters (deployed samples
    // use an array); objects inside the array are templates too.
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Parameters":[{"id.$":"$.id"}, 3, "text"],"ResultPath":"$.list","Next":"B"},
        "B":{"Type":"Pass","Parameters":"plain","ResultPath":"$.word","End":true}}}"#;
    let out = run(def, json!({"id": "o-1"}));
    assert_eq!(
        out.output(),
        &json!({"id": "o-1", "list": [{"id": "o-1"}, 3, "text"], "word": "plain"})
    );
}

#[test]
fn null_paths_discard_or_empty() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Result":"ignored","ResultPath":null,"Next":"B"},
        "B":{"Type":"Pass","InputPath":null,"Next":"C"},
        "C":{"Type":"Pass","OutputPath":null,"End":true}}}"#;
    let out = run(def, json!({"keep": 1}));
    assert_eq!(out.output(), &json!({}));
}

#[test]
fn task_result_selector_then_result_path() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:charge",
        "Parameters":{"amount.$":"$.total"},
        "ResultSelector":{"receipt.$":"$.id"},
        "ResultPath":"$.payment","End":true}}}"#;
    let tasks = FakeTasks::new().function("charge", |req, _| {
        assert_eq!(req.input, json!({"amount": 42}));
        Step::Ok(json!({"id": "r-9", "noise": true}))
    });
    let out = run_with(def, json!({"total": 42}), tasks);
    assert_eq!(out.output(), &json!({"total": 42, "payment": {"receipt": "r-9"}}));
}

#[test]
fn missing_parameters_path_is_a_runtime_error_naming_field_and_input() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$.missing"},"End":true}}}"#;
    let out = run(def, json!({"a": 1}));
    assert_eq!(out.error(), "States.Runtime");
    assert_eq!(
        out.cause(),
        "An error occurred while executing the state 'P' (entered at the event id #2). \
         The JSONPath '$.missing' specified for the field 'v.$' could not be found in the input '{\"a\":1}'"
    );
}

#[test]
fn context_object_exposes_execution_and_state() {
    let def = r#"{"StartAt":"Here","States":{"Here":{"Type":"Pass",
        "Parameters":{"name.$":"$$.State.Name","input.$":"$$.Execution.Input","sm.$":"$$.StateMachine.Name"},"End":true}}}"#;
    let out = run(def, json!({"k": "v"}));
    assert_eq!(
        out.output(),
        &json!({"name": "Here", "input": {"k": "v"}, "sm": "Test"})
    );
}

#[test]
fn output_over_256_kib_fails_with_data_limit_exceeded() {
    let big = "a".repeat(300 * 1024);
    let def = format!(r#"{{"StartAt":"S","States":{{"S":{{"Type":"Pass","Result":"{big}","End":true}}}}}}"#);
    let out = run(&def, json!({}));
    assert_eq!(out.error(), "States.DataLimitExceeded");
    assert!(out.cause().contains("'S'"), "{}", out.cause());
}

#[test]
fn choice_routes_on_the_first_matching_rule_and_falls_back_to_default() {
    let def = r#"{"StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[
            {"And":[{"Variable":"$.n","NumericGreaterThan":10},{"Variable":"$.s","StringMatches":"big*"}],"Next":"Big"},
            {"Not":{"Variable":"$.n","IsNumeric":true},"Next":"NaN"}],
          "Default":"Small"},
        "Big":{"Type":"Pass","Result":"big","End":true},
        "NaN":{"Type":"Pass","Result":"nan","End":true},
        "Small":{"Type":"Pass","Result":"small","End":true}}}"#;
    assert_eq!(run(def, json!({"n": 11, "s": "bigger"})).output(), &json!("big"));
    assert_eq!(run(def, json!({"n": 11, "s": "tiny"})).output(), &json!("small"));
    assert_eq!(run(def, json!({"n": "x", "s": ""})).output(), &json!("nan"));
}

#[test]
fn choice_without_match_or_default_fails() {
    let def = r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
        {"Variable":"$.n","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}"#;
    assert_eq!(run(def, json!({"n": 2})).error(), "States.NoChoiceMatched");
}

#[test]
fn fail_state_reads_error_and_cause_from_paths() {
    let def = r#"{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}"#;
    let out = run(def, json!({"e": "Oops", "c": "because"}));
    assert_eq!(out.error(), "Oops");
    assert_eq!(out.cause(), "because");
}
