//! Workflow variables and their scopes.

use serde_json::json;

use crate::support::run;

#[test]
fn assign_sees_the_result_and_takes_effect_after_the_state() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Result":{"q":"question"},"Assign":{"answer":42,"question.$":"$.q"},"Next":"B"},
        "B":{"Type":"Pass","Assign":{"answer":"changed"},"InputPath":"$answer","OutputPath":"$answer","ResultPath":"$.x","End":true}}}"#;
    // B's OutputPath still reads the value from before B's own Assign.
    let out = run(def, json!({}));
    assert_eq!(out.output(), &json!(42));
    let exited = out
        .events
        .iter()
        .find(|e| e.details.type_name() == "PassStateExited")
        .unwrap()
        .to_json();
    assert_eq!(
        exited["stateExitedEventDetails"]["assignedVariables"]["question"],
        "\"question\""
    );
}

#[test]
fn map_iterations_read_outer_variables_but_do_not_leak_their_own() {
    let def = r#"{"StartAt":"Init","States":{
        "Init":{"Type":"Pass","Assign":{"x":1},"Next":"M"},
        "M":{"Type":"Map","ItemProcessor":{"StartAt":"In","States":{
            "In":{"Type":"Pass","Assign":{"inner":"i"},"Parameters":{"x.$":"$x"},"End":true}}},"Next":"After"},
        "After":{"Type":"Pass","Parameters":{"x.$":"$x","inner.$":"$inner"},"End":true}}}"#;
    let out = run(def, json!([1, 2]));
    assert_eq!(
        out.error(),
        "States.Runtime",
        "an inner variable must not be visible outside the Map"
    );
    assert!(out.cause().contains("'$inner'"), "{}", out.cause());
    let inside = r#"{"StartAt":"Init","States":{
        "Init":{"Type":"Pass","Assign":{"x":1},"Next":"M"},
        "M":{"Type":"Map","ItemProcessor":{"StartAt":"In","States":{
            "In":{"Type":"Pass","Parameters":{"x.$":"$x","item.$":"$"},"End":true}}},"End":true}}}"#;
    assert_eq!(
        run(inside, json!([1, 2])).output(),
        &json!([{"x": 1, "item": 1}, {"x": 1, "item": 2}])
    );
}

#[test]
fn variables_flow_into_parameters_and_choice() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"limit":10},"Next":"C"},
        "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanPath":"$limit","Next":"Over"}],"Default":"Under"},
        "Over":{"Type":"Pass","Parameters":{"limit.$":"$limit","verdict":"over"},"End":true},
        "Under":{"Type":"Pass","Parameters":{"verdict":"under"},"End":true}}}"#;
    assert_eq!(
        run(def, json!({"n": 11})).output(),
        &json!({"limit": 10, "verdict": "over"})
    );
    assert_eq!(run(def, json!({"n": 3})).output(), &json!({"verdict": "under"}));
}

#[test]
fn catch_assign_sees_the_error_output() {
    let def = r#"{"StartAt":"P","States":{
        "P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}],
             "Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err.$":"$.Error"},"Next":"Use"}],"End":true},
        "Use":{"Type":"Pass","Parameters":{"err.$":"$err"},"End":true}}}"#;
    assert_eq!(run(def, json!({})).output(), &json!({"err": "E"}));
}
