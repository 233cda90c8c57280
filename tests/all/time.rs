//! Waits, timeouts and virtual time.

use serde_json::json;

use crate::support::run;

#[test]
fn an_hour_long_wait_takes_no_real_time_in_virtual_time() {
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
    let started = std::time::Instant::now();
    let out = run(def, json!({"a": 1}));
    assert_eq!(out.output(), &json!({"a": 1}));
    assert!((out.elapsed - 3600.0).abs() < 0.01);
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn seconds_path_must_be_a_non_negative_integer() {
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}"#;
    let negative = run(def, json!({"s": -1}));
    assert_eq!(negative.error(), "States.Runtime");
    assert!(
        negative
            .cause()
            .ends_with("The SecondsPath parameter references a negative value: $.s == -1")
    );
    let fraction = run(def, json!({"s": 1.5}));
    assert!(
        fraction
            .cause()
            .ends_with("The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5")
    );
    assert!((run(def, json!({"s": 30})).elapsed - 30.0).abs() < 0.01);
}

#[test]
fn timestamp_waits_until_the_instant_and_past_instants_do_not_wait() {
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}"#;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let out = run(def, json!({"t": soon}));
    assert!((out.elapsed - 120.0).abs() < 2.0, "{}", out.elapsed);
    let past = run(def, json!({"t": "2001-01-01T00:00:00Z"}));
    assert!(past.elapsed < 0.01);
    let bad = run(def, json!({"t": "2016-12-05 21:29:29Z"}));
    assert_eq!(bad.error(), "States.Runtime");
}

#[test]
fn execution_timeout_ends_a_long_wait_as_timed_out() {
    let def = r#"{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#;
    let out = run(def, json!({}));
    assert_eq!(out.result.status.as_str(), "TIMED_OUT");
    assert!((out.elapsed - 10.0).abs() < 0.01);
    assert_eq!(out.event_types().last().unwrap(), "ExecutionTimedOut");
}

#[test]
fn waits_in_parallel_branches_overlap() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":5,"End":true}}},
        {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":7,"End":true}}}]}}}"#;
    assert!((run(def, json!({})).elapsed - 7.0).abs() < 0.01);
}
