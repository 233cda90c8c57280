//! Retry and Catch.

use serde_json::json;

use crate::support::{FakeTasks, Step, run_with};

const FLAKY: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"flaky",
    "Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}],
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Recover"}],"End":true},
  "Recover":{"Type":"Pass","End":true}}}"#;

#[test]
fn retries_back_off_geometrically_in_clock_time() {
    let tasks = FakeTasks::new().function("flaky", |_, attempt| {
        if attempt < 2 {
            Step::Err("Transient", "try again")
        } else {
            Step::Ok(json!("done"))
        }
    });
    let calls = tasks.calls.clone();
    let out = run_with(FLAKY, json!({}), tasks);
    assert_eq!(out.output(), &json!("done"));
    let times: Vec<_> = calls.lock().unwrap().iter().map(|c| c.2).collect();
    assert_eq!(times.len(), 3);
    assert_eq!((times[1] - times[0]).num_seconds(), 2);
    assert_eq!((times[2] - times[1]).num_seconds(), 6);
}

#[test]
fn exhausted_retries_fall_through_to_catch_with_error_output() {
    let tasks = FakeTasks::new().function("flaky", |_, _| Step::Err("Transient", "still down"));
    let calls = tasks.calls.clone();
    let out = run_with(FLAKY, json!({"keep": 1}), tasks);
    assert_eq!(
        out.output(),
        &json!({"keep": 1, "error": {"Error": "Transient", "Cause": "still down"}})
    );
    assert_eq!(calls.lock().unwrap().len(), 4, "one call and three retries");
}

#[test]
fn unmatched_errors_are_not_retried() {
    let tasks = FakeTasks::new().function("flaky", |_, _| Step::Err("Permanent", "no"));
    let calls = tasks.calls.clone();
    let out = run_with(FLAKY, json!({}), tasks);
    assert_eq!(out.output()["error"]["Error"], "Permanent");
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[test]
fn uncaught_task_error_fails_the_execution_with_its_name_and_cause() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","End":true}}}"#;
    let out = run_with(
        def,
        json!({}),
        FakeTasks::new().function("f", |_, _| Step::Err("PaymentDeclined", "card")),
    );
    assert_eq!(out.error(), "PaymentDeclined");
    assert_eq!(out.cause(), "card");
}

#[test]
fn task_timeout_raises_states_timeout_at_the_deadline() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"slow","TimeoutSeconds":5,"End":true}}}"#;
    let tasks = FakeTasks::new().function("slow", |_, _| {
        Step::After(std::time::Duration::from_secs(60), Box::new(Step::Ok(json!(1))))
    });
    let out = run_with(def, json!({}), tasks);
    assert_eq!(out.error(), "States.Timeout");
    assert!((out.elapsed - 5.0).abs() < 0.01, "timed out after {}s", out.elapsed);
    assert!(out.event_types().contains(&"LambdaFunctionTimedOut".to_owned()));
}

#[test]
fn task_failed_wildcard_does_not_catch_timeouts() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"slow","TimeoutSeconds":1,
        "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],"End":true},
        "Caught":{"Type":"Succeed"}}}"#;
    let tasks = FakeTasks::new().function("slow", |_, _| {
        Step::After(std::time::Duration::from_secs(10), Box::new(Step::Ok(json!(1))))
    });
    assert_eq!(run_with(def, json!({}), tasks).error(), "States.Timeout");
}

#[test]
fn states_all_does_not_catch_runtime_errors() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","InputPath":"$.nope",
        "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
        "Caught":{"Type":"Succeed"}}}"#;
    let out = run_with(
        def,
        json!({}),
        FakeTasks::new().function("f", |_, _| Step::Ok(json!(1))),
    );
    assert_eq!(out.error(), "States.Runtime");
}

#[test]
fn max_delay_caps_the_backoff() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
        "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":10,"BackoffRate":10,"MaxAttempts":3,"MaxDelaySeconds":15}],"End":true}}}"#;
    let tasks = FakeTasks::new().function("f", |_, _| Step::Err("E", ""));
    let out = run_with(def, json!({}), tasks);
    assert_eq!(out.error(), "E");
    assert!((out.elapsed - (10.0 + 15.0 + 15.0)).abs() < 0.01, "{}", out.elapsed);
}

#[test]
fn retry_count_is_visible_in_the_context_object() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
        "ResultSelector":{"attempt.$":"$$.State.RetryCount"},
        "Retry":[{"ErrorEquals":["E"],"MaxAttempts":2}],"End":true}}}"#;
    let tasks = FakeTasks::new().function("f", |_, attempt| {
        if attempt < 2 {
            Step::Err("E", "")
        } else {
            Step::Ok(json!({}))
        }
    });
    let out = run_with(def, json!({}), tasks);
    assert_eq!(out.output(), &json!({"attempt": 2}));
}

#[test]
fn fail_inside_a_catch_target_ends_the_execution() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
        "Catch":[{"ErrorEquals":["Declined"],"Next":"Cancelled"}],"End":true},
        "Cancelled":{"Type":"Fail","Error":"OrderCancelled","Cause":"payment declined"}}}"#;
    let out = run_with(
        def,
        json!({}),
        FakeTasks::new().function("f", |_, _| Step::Err("Declined", "")),
    );
    assert_eq!(out.error(), "OrderCancelled");
}

#[test]
fn a_silent_task_fails_with_a_heartbeat_timeout_that_states_timeout_catches() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f","HeartbeatSeconds":10,"TimeoutSeconds":100,
        "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},
        "Caught":{"Type":"Pass","End":true}}}"#;
    let silent = FakeTasks::new().function("f", |_, _| {
        Step::After(std::time::Duration::from_secs(30), Box::new(Step::Ok(json!(1))))
    });
    let out = run_with(def, json!({}), silent);
    assert_eq!(out.output(), &json!({"Error": "States.HeartbeatTimeout", "Cause": ""}));
    assert!((out.elapsed - 10.0).abs() < 0.01, "{}", out.elapsed);

    let chatty = FakeTasks::new().function("f", |_, _| {
        let beat = |then| Step::After(std::time::Duration::from_secs(6), Box::new(Step::Beat(Box::new(then))));
        beat(beat(beat(Step::Ok(json!("done")))))
    });
    assert_eq!(run_with(def, json!({}), chatty).output(), &json!("done"));
}
