//! `stepyard test`: suites, mocks, expectations, coverage, snapshots and
//! Step Functions Local's MockConfigFile, through the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// A directory of its own for a test's suites and machines.
pub(crate) fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-testing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `stepyard test ARGS --json` in `dir`: (the report, the exit code).
pub(crate) fn test_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(dir)
        .args(["--plugins", "/nonexistent-plugin-folder", "test", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

/// The case named `name` in a JSON report.
pub(crate) fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in {report:#}"))
}

/// The expectations a case missed, by name.
pub(crate) fn unmet(report: &Value, name: &str) -> Vec<String> {
    case(report, name)["unmet"]
        .as_array()
        .map(|u| {
            u.iter()
                .map(|x| x["expectation"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Validate → Charge (Retry, Catch) → Route (Choice: 2 rules + Default) →
/// a Map of Ship over the items, or Rejected (Fail), or Refund.
const SHOP: &str = r#"{
  "StartAt": "Charge",
  "States": {
    "Charge": {
      "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
      "ResultPath": "$.charge",
      "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60, "MaxAttempts": 2}],
      "Catch": [{"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Rejected"}],
      "Next": "Route"
    },
    "Route": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.charge.amount", "NumericGreaterThan": 100, "Next": "Review"},
        {"Variable": "$.charge.amount", "NumericGreaterThan": 0, "Next": "ShipAll"}
      ],
      "Default": "Refund"
    },
    "Review": {"Type": "Wait", "Seconds": 86400, "Next": "ShipAll"},
    "ShipAll": {
      "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
      "ItemProcessor": {"StartAt": "Ship", "States": {
        "Ship": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ship",
                 "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}], "End": true}
      }},
      "ResultPath": "$.shipped", "End": true
    },
    "Refund": {"Type": "Pass", "Result": "refunded", "ResultPath": "$.refund", "End": true},
    "Rejected": {"Type": "Fail", "Error": "Rejected", "Cause": "the card was declined"}
  }
}"#;

#[test]
fn every_expectation_kind_passes_when_met_and_fails_when_not() {
    let dir = workspace("expectations");
    write(&dir, "shop.asl.json", SHOP);
    write(
        &dir,
        "shop.test.yaml",
        r#"
stateMachine: shop.asl.json
mocks:
  Charge: {result: {amount: 5}}
  Ship: {result: shipped}
cases:
  - name: met
    input: {items: [1, 2]}
    expect:
      status: SUCCEEDED
      output: {items: [1, 2], charge: {amount: 5}, shipped: [shipped, shipped]}
      path: [Charge, Route, ShipAll, "ShipAll[0].Ship", "ShipAll[1].Ship"]
      notEntered: [Refund]
      states:
        Charge: {input: {items: [1, 2]}, output: {charge: {amount: 5}}, matching: partial, attempts: 1}
        "ShipAll[1].Ship": {input: 2, output: shipped}
  - name: partial and includes
    input: {items: [1]}
    expect:
      output: {charge: {}}
      outputMatching: partial
      path: [Charge, "ShipAll[0].Ship"]
      pathMatching: includes
  - name: unmet
    input: {items: [1]}
    expect:
      status: FAILED
      output: {items: [1]}
      error: Rejected
      cause: nope
      path: [Charge, Refund]
      notEntered: [Route]
      states:
        Charge: {attempts: 2, output: {charge: {amount: 6}}, matching: partial}
        Refund: {input: {}}
  - name: partial output with a field missing
    input: {items: []}
    expect:
      output: {charge: {amount: 5, currency: EUR}}
      outputMatching: partial
      path: [Route, Charge]
      pathMatching: includes
"#,
    );
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(case(&report, "met")["verdict"], "passed", "{report:#}");
    assert_eq!(case(&report, "partial and includes")["verdict"], "passed", "{report:#}");
    assert_eq!(
        unmet(&report, "unmet"),
        [
            "status",
            "output",
            "error",
            "cause",
            "path",
            "notEntered",
            "states.Charge.output",
            "states.Charge.attempts",
            "states.Refund"
        ]
    );
    let output = &case(&report, "unmet")["unmet"][1];
    assert!(
        output["differences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "/charge: not expected, got {\"amount\":5}"),
        "{output:#}"
    );
    assert_eq!(
        unmet(&report, "partial output with a field missing"),
        ["output", "path"]
    );
    let missing = &case(&report, "partial output with a field missing")["unmet"][0]["differences"];
    assert_eq!(missing, &json!(["/charge/currency: expected \"EUR\", missing"]));
    assert_eq!(
        (report["passed"].clone(), report["failed"].clone()),
        (json!(2), json!(2))
    );
}

#[test]
fn mocks_count_every_invocation_across_retries_and_map_iterations() {
    let dir = workspace("counting");
    write(&dir, "shop.asl.json", SHOP);
    write(
        &dir,
        "counting.test.yaml",
        r#"
stateMachine: shop.asl.json
cases:
  - name: retries and iterations share the state's counter
    input: {items: [a, b]}
    mocks:
      Charge:
        sequence: [{error: Busy}, {error: Busy}, {result: {amount: 500}}]
      Ship:
        sequence: [{error: Lost}, {result: first}, {result: second}]
    expect:
      # Two Busy retries of an hour-long interval, a day's review: no real waiting.
      path: [Charge, Route, Review, ShipAll, "ShipAll[0].Ship", "ShipAll[1].Ship"]
      output: {shipped: [first, second]}
      outputMatching: partial
      states:
        Charge: {attempts: 3}
        "ShipAll[0].Ship": {attempts: 2}
        "ShipAll[1].Ship": {attempts: 1}
  - name: a missing response fails the invocation that reaches it
    input: {items: [a]}
    mocks:
      Charge: {sequence: [{error: Busy}]}
    expect:
      error: States.Runtime
      cause: "The mock for state 'Charge' has no response for invocation 1 (it has 0)."
  - name: a forced Choice goes where it is told
    input: {items: [a]}
    mocks:
      Charge: {result: {amount: 5}}
      Route: {next: Refund}
    expect:
      path: [Charge, Route, Refund]
"#,
    );
    let started = std::time::Instant::now();
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    // A day and two minutes of waits took no real time.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn coverage_counts_each_choice_rule_catch_and_retry_edge_and_gates_the_run() {
    let dir = workspace("coverage");
    write(&dir, "shop.asl.json", SHOP);
    let half = r#"
stateMachine: shop.asl.json
mocks:
  Ship: {result: ok}
cases:
  - name: small order
    input: {items: [a]}
    mocks:
      Charge: {result: {amount: 5}}
  - name: declined
    mocks:
      Charge: {error: Declined}
    expect: {error: Rejected}
"#;
    write(&dir, "shop.test.yaml", half);
    let (report, code) = test_json(&dir, &["--coverage", "--min-coverage", "100"]);
    assert_eq!(code, 1, "below the minimum: {report:#}");
    let edges = report["coverage"]["machines"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["edges"]
        .as_array()
        .unwrap()
        .clone();
    let hits = |location: &str, kind: &str| -> u64 {
        edges
            .iter()
            .find(|e| e["location"] == location && e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} at {location}"))["hits"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(hits("/States/Route/Choices/0", "choiceRule"), 0);
    assert_eq!(hits("/States/Route/Choices/1", "choiceRule"), 1);
    assert_eq!(hits("/States/Route/Default", "choiceDefault"), 0);
    assert_eq!(hits("/States/Charge/Catch/0", "catch"), 1);
    assert_eq!(hits("/States/Rejected", "state"), 1);
    assert_eq!(hits("/States/Charge/Retry/0", "retryTaken"), 0);
    assert_eq!(hits("/States/ShipAll/ItemProcessor/States/Ship", "state"), 1);
    assert_eq!(
        hits("/States/ShipAll/ItemProcessor/States/Ship/Retry/0", "retryExhausted"),
        0
    );

    // The missing edges, one case each.
    write(
        &dir,
        "shop.test.yaml",
        &format!(
            "{half}{}",
            r#"
  - name: big order after a busy retry
    input: {items: [a]}
    mocks:
      Charge: {sequence: [{error: Busy}, {result: {amount: 500}}]}
  - name: nothing charged
    mocks:
      Charge: {result: {amount: 0}}
  - name: always busy
    mocks:
      Charge: {error: Busy}
    expect: {error: Busy}
  - name: a parcel lost twice
    input: {items: [a]}
    mocks:
      Charge: {result: {amount: 5}}
      Ship: {error: Lost}
    expect: {error: Lost}
"#
        ),
    );
    let (report, code) = test_json(&dir, &["--coverage", "--min-coverage", "100"]);
    assert_eq!(code, 0, "{report:#}");
    let machine = report["coverage"]["machines"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert!(
        machine["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["hits"].as_u64().unwrap() > 0)
    );

    // LCOV: a line per state, a branch per edge.
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(&dir)
        .args([
            "--plugins",
            "/nonexistent",
            "test",
            "--coverage",
            "--coverage-format",
            "lcov",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SF:") && text.contains("BRDA:") && text.contains("end_of_record"),
        "{text}"
    );
    assert!(text.contains("LF:7\nLH:7\n"), "{text}");
}

#[test]
fn a_snapshot_is_written_then_holds_the_history_to_it() {
    let dir = workspace("snapshot");
    let machine = |result: &str| {
        format!(
            r#"{{"StartAt": "Wait", "States": {{"Wait": {{"Type": "Wait", "Seconds": 3600, "Next": "Done"}},
               "Done": {{"Type": "Pass", "Parameters": {{"at.$": "$$.State.EnteredTime", "id.$": "States.UUID()", "r": "{result}"}}, "End": true}}}}}}"#
        )
    };
    write(&dir, "m.asl.json", &machine("one"));
    write(
        &dir,
        "m.test.yaml",
        "stateMachine: m.asl.json\ncases:\n  - name: run\n    snapshot: true\n",
    );
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    let file = dir.join("__snapshots__/m.test.yaml/run.json");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let done = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "PassStateExited")
        .unwrap();
    let output: Value = serde_json::from_str(done["stateExitedEventDetails"]["output"].as_str().unwrap()).unwrap();
    // The fixed start plus the hour waited; the UUID masked.
    assert_eq!(
        output,
        json!({"at": "2024-01-01T01:00:00.000Z", "id": "<uuid>", "r": "one"})
    );

    // Unchanged: it matches again (UUIDs differ from run to run).
    assert_eq!(test_json(&dir, &[]).1, 0);

    // A change to the definition shows as the event that changed.
    write(&dir, "m.asl.json", &machine("two"));
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 1);
    let unmet = &case(&report, "run")["unmet"][0];
    assert_eq!(unmet["expectation"], "snapshot");
    let differences = unmet["differences"].as_array().unwrap();
    assert!(
        differences
            .iter()
            .any(|d| d.as_str().unwrap().contains("PassStateExited")
                && d.as_str().unwrap().contains("/r: expected \"one\", got \"two\"")),
        "{unmet:#}"
    );
    assert_eq!(test_json(&dir, &["--update-snapshots"]).1, 0);
    assert_eq!(test_json(&dir, &[]).1, 0);
}

#[test]
fn junit_reports_each_case_and_its_failure() {
    let dir = workspace("junit");
    write(
        &dir,
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}}"#,
    );
    write(
        &dir,
        "m.test.json",
        r#"{"stateMachine": "m.asl.json", "cases": [
            {"name": "ok", "expect": {"output": 1}},
            {"name": "a <wrong> one", "expect": {"output": 2}},
            {"name": "later", "skip": true}]}"#,
    );
    let junit = dir.join("junit.xml");
    let (_, code) = test_json(&dir, &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="stepyard test" tests="3" failures="1" errors="0" skipped="1">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"name="a &lt;wrong&gt; one""#), "{xml}");
    assert!(
        xml.contains("<failure message=\"output: the output differs\">"),
        "{xml}"
    );
    assert!(xml.contains("<skipped/>"), "{xml}");
}

#[test]
fn the_projects_workflows_pass_their_suites_with_every_edge_covered() {
    let root = crate::support::repo_root();
    let junit = std::env::temp_dir().join(format!("stepyard-workflows-{}.xml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(root)
        .args(["--plugins"])
        .arg(crate::support::plugins_dir())
        .args(["--cache"])
        .arg(std::env::temp_dir().join("stepyard-testing-cache"))
        .args(["test", "workflows", "--coverage", "--min-coverage", "100", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("coverage workflows/order.asl.json: 100.0%"), "{stdout}");
    assert!(std::fs::read_to_string(&junit).unwrap().contains("failures=\"0\""));
}

#[test]
fn uuids_and_times_repeat_from_run_to_run_of_a_case() {
    let dir = workspace("fixed-ids");
    write(
        &dir,
        "ids.asl.json",
        r#"{"StartAt": "JsonPath", "States": {
            "JsonPath": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()", "at.$": "$$.State.EnteredTime"}, "ResultPath": "$.p", "Next": "Later"},
            "Later": {"Type": "Wait", "Seconds": 90, "Next": "Jsonata"},
            "Jsonata": {"Type": "Pass", "QueryLanguage": "JSONata",
                        "Output": "{% $merge([$states.input, {'uuid': $uuid(), 'now': $now()}]) %}", "End": true}}}"#,
    );
    write(
        &dir,
        "ids.test.yaml",
        "stateMachine: ids.asl.json\ncontext: {startTime: \"2025-06-01T12:00:00Z\"}\ncases:\n  - name: one\n  - name: two\n",
    );
    let outputs = |report: &Value| -> (Value, Value) {
        (
            case(report, "one")["output"].clone(),
            case(report, "two")["output"].clone(),
        )
    };
    let (first, code) = test_json(&dir, &[]);
    assert_eq!(code, 0, "{first:#}");
    let (again, _) = test_json(&dir, &[]);
    assert_eq!(outputs(&first), outputs(&again), "the same ids and times on every run");
    let (one, two) = outputs(&first);
    assert_ne!(one["p"]["id"], two["p"]["id"], "each case has ids of its own");
    assert_ne!(one["p"]["id"], one["uuid"]);
    assert_eq!(one["p"]["at"], "2025-06-01T12:00:00.000Z");
    assert_eq!(one["now"], "2025-06-01T12:01:30.000Z", "90 s of virtual time later");
}

#[test]
fn a_slow_mock_meets_the_tasks_timeout_in_virtual_time_and_variables_are_checked() {
    let dir = workspace("delay");
    write(
        &dir,
        "slow.asl.json",
        r#"{"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow",
                     "TimeoutSeconds": 30, "Assign": {"answer.$": "$.n", "fixed": "x"},
                     "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TooSlow"}], "End": true},
            "TooSlow": {"Type": "Fail", "Error": "TooSlow"}}}"#,
    );
    write(
        &dir,
        "slow.test.yaml",
        r#"
stateMachine: slow.asl.json
cases:
  - name: in time
    mocks:
      Call: {result: {n: 7}, delay: 29}
    expect:
      states:
        Call: {variables: {answer: 7, fixed: x}}
  - name: too slow
    mocks:
      Call: {result: {n: 7}, delay: 3600}
    expect:
      error: TooSlow
      path: [Call, TooSlow]
  - name: wrong variables
    mocks:
      Call: {result: {n: 8}}
    expect:
      states:
        Call: {variables: {answer: 7}}
"#,
    );
    let started = std::time::Instant::now();
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(case(&report, "in time")["verdict"], "passed", "{report:#}");
    assert_eq!(case(&report, "too slow")["verdict"], "passed", "{report:#}");
    assert_eq!(unmet(&report, "wrong variables"), ["states.Call.variables"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "an hour took no real time"
    );
}
