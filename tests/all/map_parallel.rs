//! Map and Parallel.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use crate::support::{FakeTasks, Step, run, run_with};

#[test]
fn map_preserves_item_order_and_applies_item_selector() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
        "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","tag.$":"$.tag"},
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
        "ResultPath":"$.out","End":true}}}"#;
    let out = run(def, json!({"items": ["a", "b"], "tag": "t"}));
    assert_eq!(
        out.output()["out"],
        json!([{"i": 0, "v": "a", "tag": "t"}, {"i": 1, "v": "b", "tag": "t"}])
    );
}

#[test]
fn map_max_concurrency_bounds_running_iterations() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":3,
        "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work","End":true}}},"End":true}}}"#;
    let tasks = FakeTasks::new().function("work", |req, _| {
        Step::After(
            Duration::from_secs(1),
            Box::new(Step::Ok(json!({"done": req.input.clone()}))),
        )
    });
    let max = tasks.max_in_flight.clone();
    let out = run_with(def, json!([1, 2, 3, 4, 5, 6, 7]), tasks);
    assert_eq!(out.output().as_array().unwrap().len(), 7);
    assert_eq!(max.load(Ordering::SeqCst), 3);
    // 7 one-second items, 3 at a time: three waves.
    assert!((out.elapsed - 3.0).abs() < 0.01, "{}", out.elapsed);
}

#[test]
fn map_fails_on_the_first_failed_iteration() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map",
        "ItemProcessor":{"StartAt":"C","States":{
            "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"Bad"}],"Default":"Ok"},
            "Bad":{"Type":"Fail","Error":"BadItem","Cause":"two"},
            "Ok":{"Type":"Succeed"}}},"End":true}}}"#;
    let out = run(def, json!([1, 2, 3]));
    assert_eq!(out.error(), "BadItem");
    assert!(out.event_types().contains(&"MapIterationFailed".to_owned()));
    assert_eq!(out.event_types().iter().filter(|t| *t == "MapStateFailed").count(), 1);
}

#[test]
fn map_over_a_non_array_is_a_runtime_error() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.x",
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    assert_eq!(run(def, json!({"x": 5})).error(), "States.Runtime");
}

#[test]
fn tolerated_failures_let_the_map_succeed() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,
        "ItemProcessor":{"StartAt":"C","States":{
            "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"Bad"}],"Default":"Ok"},
            "Bad":{"Type":"Fail","Error":"BadItem"},
            "Ok":{"Type":"Succeed"}}},"End":true}}}"#;
    let out = run(def, json!([1, 2, 3]));
    assert_eq!(out.output()[0], json!(1));
    let over = run(def, json!([2, 2, 3]));
    assert_eq!(over.error(), "States.ExceedToleratedFailureThreshold");
}

#[test]
fn parallel_runs_branches_concurrently_and_collects_in_branch_order() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"Slow","States":{"Slow":{"Type":"Wait","Seconds":10,"Next":"A"},"A":{"Type":"Pass","Result":"a","End":true}}},
        {"StartAt":"Fast","States":{"Fast":{"Type":"Wait","Seconds":10,"Next":"B"},"B":{"Type":"Pass","Result":"b","End":true}}}]}}}"#;
    let out = run(def, json!({}));
    assert_eq!(out.output(), &json!(["a", "b"]));
    assert!(
        (out.elapsed - 10.0).abs() < 0.01,
        "branches ran one after the other: {}",
        out.elapsed
    );
}

#[test]
fn a_failing_branch_fails_the_parallel_state_with_its_error() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
        {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"BranchBroke","Cause":"c"}}}]}}}"#;
    let out = run(def, json!({}));
    assert_eq!(out.error(), "BranchBroke");
    assert_eq!(out.cause(), "c");
}

#[test]
fn parallel_retry_reruns_every_branch() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
        "Retry":[{"ErrorEquals":["E"],"MaxAttempts":2,"IntervalSeconds":1}],
        "Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true}}}]}}}"#;
    let tasks = FakeTasks::new().function("f", |_, n| if n < 2 { Step::Err("E", "") } else { Step::Ok(json!(n)) });
    let out = run_with(def, json!({}), tasks);
    assert_eq!(out.output(), &json!([2]));
    assert_eq!(
        out.event_types()
            .iter()
            .filter(|t| *t == "ParallelStateStarted")
            .count(),
        3
    );
}

#[test]
fn task_idempotency_keys_name_their_branch_and_iteration_and_repeat_on_a_rerun() {
    use std::sync::{Arc, Mutex};
    let definition = r#"{"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "work", "End": true}}}}}},
        {"StartAt": "Solo", "States": {"Solo": {"Type": "Task", "Resource": "work", "Next": "Again"},
            "Again": {"Type": "Task", "Resource": "work", "End": true}}}
    ]}}}"#;
    let run = || {
        let keys = Arc::new(Mutex::new(Vec::new()));
        let seen = keys.clone();
        let tasks = FakeTasks::new().function("work", move |req, _| {
            seen.lock().unwrap().push(req.context.idempotency_key.clone());
            Step::Ok(json!(1))
        });
        let outcome = run_with(definition, json!({"items": [1, 2, 3]}), tasks);
        assert_eq!(outcome.result.status.as_str(), "SUCCEEDED");
        let mut keys = keys.lock().unwrap().clone();
        keys.sort();
        keys
    };
    let keys = run();
    let suffixes: Vec<&str> = keys.iter().map(|k| k.split_once('#').unwrap().1).collect();
    assert_eq!(
        suffixes,
        [
            "2[0]/Each#0[0]/Work#0",
            "2[0]/Each#0[1]/Work#0",
            "2[0]/Each#0[2]/Work#0",
            "2[1]/Again#0",
            "2[1]/Solo#0"
        ]
    );
    // Concurrent branches interleave their event ids differently each run;
    // the keys do not change.
    assert_eq!(run(), keys);
}
