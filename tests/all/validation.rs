//! Definitions AWS would reject, with every problem and its location.

use stepyard_asl::definition::StateMachine;

fn problems(def: &str) -> Vec<(String, String)> {
    match StateMachine::parse(def) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .into_iter()
            .map(|d| (d.code.to_owned(), d.location))
            .collect(),
    }
}

fn has(def: &str, code: &str, location: &str) {
    let found = problems(def);
    assert!(
        found.iter().any(|(c, l)| c == code && l == location),
        "expected {code} at {location}, got {found:?}"
    );
}

#[test]
fn missing_states_is_reported_at_the_root() {
    let e = StateMachine::parse(r#"{"StartAt":"A"}"#).unwrap_err();
    assert_eq!(
        e.aws_message(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"
    );
}

#[test]
fn unknown_next_and_unreachable_states_are_both_reported() {
    let def =
        r#"{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}}"#;
    let e = StateMachine::parse(def).unwrap_err();
    assert_eq!(
        e.aws_message(),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next'"
    );
    let def = r#"{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","End":true},"pass2":{"Type":"Pass","End":true}}}"#;
    has(def, "MISSING_TRANSITION_TARGET", "/States/pass2");
}

#[test]
fn bad_retry_fields_name_their_location() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true,
        "Retry":[{"ErrorEquals":["E"],"BackoffRate":0.5},{"ErrorEquals":["States.ALL","X"]}]}}}"#;
    has(def, "SCHEMA_VALIDATION_FAILED", "/States/T/Retry/0/BackoffRate");
    has(def, "SCHEMA_VALIDATION_FAILED", "/States/T/Retry/1/ErrorEquals");
}

#[test]
fn states_all_must_be_the_last_catcher() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true,
        "Catch":[{"ErrorEquals":["States.ALL"],"Next":"T"},{"ErrorEquals":["E"],"Next":"T"}]}}}"#;
    has(def, "SCHEMA_VALIDATION_FAILED", "/States/T/Catch/0/ErrorEquals");
}

#[test]
fn jsonpath_fields_are_rejected_in_jsonata_states() {
    let def =
        r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}}"#;
    has(def, "SCHEMA_VALIDATION_FAILED", "/States/P/InputPath");
}

#[test]
fn duplicate_state_names_across_branches_are_rejected() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},
        {"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}]}}}"#;
    has(def, "DUPLICATE_STATE_NAME", "/States/P/Branches/1/States/X");
}

#[test]
fn duplicate_keys_in_states_are_rejected() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Pass","End":true}}}"#;
    has(def, "DUPLICATE_STATE_NAME", "/States/A");
}

#[test]
fn several_problems_are_all_listed() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Next":"Nowhere","Bogus":1},
        "W":{"Type":"Wait","End":true},
        "C":{"Type":"Choice","Choices":[]}}}"#;
    let found = problems(def);
    assert!(found.len() >= 4, "{found:?}");
}

#[test]
fn a_graph_without_a_terminal_state_is_rejected() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}"#;
    has(def, "MISSING_END_STATE", "/");
}

#[test]
fn malformed_json_and_deep_nesting_are_clear_errors() {
    let e = StateMachine::parse("{\"StartAt\": ").unwrap_err();
    assert_eq!(e.diagnostics[0].code, "INVALID_JSON_DESCRIPTION");
    let deep = format!("{{\"StartAt\":\"A\",\"States\":{}}}", "[".repeat(10_000));
    assert_eq!(
        StateMachine::parse(&deep).unwrap_err().diagnostics[0].code,
        "INVALID_JSON_DESCRIPTION"
    );
}

#[test]
fn a_valid_definition_parses() {
    assert!(problems(r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#).is_empty());
}
