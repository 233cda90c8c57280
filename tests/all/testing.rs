//! `stepyard test`: suites, mocks, expectations, coverage, snapshots and
//! Step Functions Local's MockConfigFile, through the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// A directory of its own for a test's suites and machines.
fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-testing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `stepyard test ARGS --json` in `dir`: (the report, the exit code).
fn test_json(dir: &Path, args: &[&str]) -> (Value, i32) {
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
fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in {report:#}"))
}

/// The expectations a case missed, by name.
fn unmet(report: &Value, name: &str) -> Vec<String> {
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

/// The state machine of AWS's guide to Step Functions Local's mocked
/// service integrations (a Lambda call with retries, then an SQS message),
/// and its mock configuration file's shape.
const LAMBDA_SQS: &str = r#"{
  "StartAt": "LambdaState",
  "States": {
    "LambdaState": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
      "Next": "SQSState"
    },
    "SQSState": {
      "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
      "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue", "MessageBody.$": "$"},
      "End": true
    }
  }
}"#;

const MOCK_CONFIG: &str = r#"{
  "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
    "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
    "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}
  }}},
  "MockedResponses": {
    "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
    "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
    "MockedLambdaRetry": {
      "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
      "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}
    }
  }
}"#;

#[test]
fn step_functions_local_mock_config_cases_run_as_written() {
    let dir = workspace("mock-config");
    write(&dir, "LambdaSQSIntegration.asl.json", LAMBDA_SQS);
    write(&dir, "MockConfigFile.json", MOCK_CONFIG);
    write(
        &dir,
        "sfn-local.test.yaml",
        r#"
stateMachine: LambdaSQSIntegration.asl.json
cases:
  - name: happy path
    testCase: HappyPath
    expect:
      output: {MessageId: 3bcb6e8e-8b51-4375-b0bc-1a59812c6e51}
      outputMatching: partial
      states:
        LambdaState: {attempts: 1, output: {Payload: {body: Hello from Lambda!}}, matching: partial}
  - name: retry path
    testCase: RetryPath
    expect:
      states:
        LambdaState: {attempts: 4, output: {StatusCode: 200}, matching: partial}
"#,
    );
    let (report, code) = test_json(&dir, &["--mock-config", "MockConfigFile.json"]);
    assert_eq!(code, 0, "{report:#}");

    // `stepyard run` takes the same file and case.
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(&dir)
        .args([
            "--plugins",
            "/nonexistent",
            "--data",
            "data",
            "run",
            "LambdaSQSIntegration.asl.json",
        ])
        .args(["--mock-config", "MockConfigFile.json", "--test-case", "RetryPath"])
        .args(["--json", "--history", "--time-scale", "0"])
        .output()
        .unwrap();
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["status"], "SUCCEEDED", "{run:#}");
    assert_eq!(run["output"]["MessageId"], "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51");
    let failures = run["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .count();
    assert_eq!(failures, 3, "{run:#}");
    assert!(!dir.join("data/stepyard.redb").exists(), "a mocked run is not stored");

    // Without the file, a case that names a test case is refused at its place.
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(&dir)
        .args(["--plugins", "/nonexistent", "test"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("cases[0].testCase") && stderr.contains("MockConfigFile"),
        "{stderr}"
    );
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
fn serve_runs_arn_hash_case_with_the_mock_configs_test_case() {
    let dir = workspace("serve-mock-config");
    let config = write(&dir, "MockConfigFile.json", MOCK_CONFIG);
    let plugins = dir.join("no-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let server = crate::serve::Server::start_with_plugins(
        &dir.join("data"),
        &plugins,
        &["--time-scale", "0.001", "--mock-config", config.to_str().unwrap()],
    );
    let machine = crate::serve::create(&server, "LambdaSQSIntegration", LAMBDA_SQS);
    let started = server.ok(
        "StartExecution",
        json!({"stateMachineArn": format!("{machine}#RetryPath"), "name": "retried"}),
    );
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    assert!(arn.ends_with(":execution:LambdaSQSIntegration:retried"), "{arn}");
    let described = crate::serve::ended(&server, &arn);
    assert_eq!(described["status"], "SUCCEEDED", "{described:#}");
    let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["MessageId"], "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51");
    let failures = crate::serve::history(&server, &arn)
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .count();
    assert_eq!(failures, 3, "invocations 0, 1 and 2 threw");

    let (status, answer) = server.call(
        "StartExecution",
        json!({"stateMachineArn": format!("{machine}#NoSuchCase")}),
    );
    assert_eq!(
        (status, answer["__type"].as_str().unwrap_or_default()),
        (400, "ValidationException"),
        "{answer}"
    );
    assert!(answer["message"].as_str().unwrap().contains("NoSuchCase"), "{answer}");
    // Without a case the plugins answer, and there is none here.
    let plain = server.ok("StartExecution", json!({"stateMachineArn": machine}));
    let described = crate::serve::ended(&server, plain["executionArn"].as_str().unwrap());
    assert_eq!(described["status"], "FAILED", "{described:#}");
}

#[test]
fn without_a_mock_config_the_case_suffix_names_no_machine_as_on_aws() {
    let dir = workspace("serve-no-mock-config");
    let plugins = dir.join("no-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let server = crate::serve::Server::start_with_plugins(&dir.join("data"), &plugins, &[]);
    let machine = crate::serve::create(
        &server,
        "Plain",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let (status, answer) = server.call(
        "StartExecution",
        json!({"stateMachineArn": format!("{machine}#HappyPath")}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["__type"], "StateMachineDoesNotExist", "{answer}");
}

#[test]
fn invoke_calls_one_plugin_with_seeded_tables_and_shows_its_logs_and_usage() {
    let dir = workspace("invoke");
    let seed = write(
        &dir,
        "seed.json",
        r#"{"orders": {"o-9": {"order_id": "o-9", "status": "PLACED", "total": 12}}}"#,
    );
    let invoke = |input: &str| {
        Command::new(env!("CARGO_BIN_EXE_stepyard"))
            .arg("--plugins")
            .arg(crate::support::plugins_dir())
            .arg("--cache")
            .arg(crate::serve::shared_cache())
            .args([
                "invoke",
                "paymentProcessing",
                "--json",
                "--input",
                input,
                "--table-seed",
            ])
            .arg(&seed)
            .output()
            .unwrap()
    };
    let out = invoke(r#"{"order_id": "o-9", "total": 12}"#);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["result"]["status"], "PAID", "{answer:#}");
    assert_eq!(
        answer["tables"]["orders"]["o-9"]["status"], "PAID",
        "the seeded item was updated"
    );
    assert_eq!(answer["logs"][0]["message"], "payment captured");
    assert_eq!(answer["usage"]["kvWrites"], 1, "{answer:#}");
    assert!(answer["usage"]["runMs"].as_f64().unwrap() > 0.0);

    // A declined card is the function's error; the exit code says so.
    let out = invoke(r#"{"order_id": "o-9", "total": 12, "payment": {"card": "declined"}}"#);
    assert_eq!(out.status.code(), Some(1));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["error"], "PaymentDeclined", "{answer:#}");
    assert_eq!(
        answer["tables"]["orders"]["o-9"]["status"], "PLACED",
        "nothing was charged"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .arg("--plugins")
        .arg(crate::support::plugins_dir())
        .args(["--cache", "/tmp/stepyard-invoke-cache", "invoke", "noSuchFunction"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("noSuchFunction") && stderr.contains("paymentProcessing"),
        "{stderr}"
    );
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
fn suggest_finds_inputs_for_every_edge_of_a_twenty_rule_choice() {
    let dir = workspace("suggest");
    let rules = json!([
        {"Variable": "$.n", "NumericEquals": 5},
        {"Variable": "$.n", "NumericGreaterThan": 100},
        {"Variable": "$.n", "NumericLessThan": -100},
        {"Variable": "$.price", "NumericGreaterThanEquals": 50.5},
        {"Variable": "$.price", "NumericLessThanEquals": 0.5},
        {"Variable": "$.s", "StringEquals": "gold"},
        {"Variable": "$.s", "StringMatches": "vip-*"},
        {"Variable": "$.s", "StringGreaterThan": "zz"},
        {"Variable": "$.flag", "BooleanEquals": true},
        {"Variable": "$.at", "TimestampGreaterThan": "2030-01-01T00:00:00Z"},
        {"Variable": "$.at", "TimestampLessThan": "2000-01-01T00:00:00Z"},
        {"Variable": "$.at", "TimestampEquals": "2024-05-05T05:05:05Z"},
        {"Variable": "$.opt", "IsPresent": true},
        {"Variable": "$.nul", "IsNull": true},
        {"Variable": "$.kind", "IsString": true},
        {"Variable": "$.num", "IsNumeric": false},
        {"And": [{"Variable": "$.a", "NumericGreaterThan": 1}, {"Variable": "$.b", "StringEquals": "y"}]},
        {"Or": [{"Variable": "$.c", "BooleanEquals": true}, {"Variable": "$.d", "NumericEquals": 7}]},
        {"Not": {"Variable": "$.e", "StringEquals": "keep"}},
        {"Variable": "$.limit", "NumericGreaterThanPath": "$.cap"}
    ]);
    let mut states = serde_json::Map::new();
    let mut choices = Vec::new();
    for (i, rule) in rules.as_array().unwrap().iter().enumerate() {
        let mut rule = rule.clone();
        rule["Next"] = json!(format!("R{i}"));
        choices.push(rule);
        states.insert(format!("R{i}"), json!({"Type": "Pass", "End": true}));
    }
    states.insert(
        "Route".into(),
        json!({"Type": "Choice", "Choices": choices, "Default": "Other"}),
    );
    states.insert("Other".into(), json!({"Type": "Pass", "End": true}));
    write(
        &dir,
        "route.asl.json",
        &json!({"StartAt": "Route", "States": states}).to_string(),
    );
    let base = json!({"n": 0, "price": 10, "s": "plain", "flag": false, "at": "2020-01-01T00:00:00Z", "nul": 1,
                      "kind": 1, "num": 1, "a": 0, "b": "n", "c": false, "d": 0, "e": "keep", "limit": 1, "cap": 10});
    write(
        &dir,
        "route.test.json",
        &json!({"stateMachine": "route.asl.json", "cases": [{"name": "ordinary", "input": base}]}).to_string(),
    );
    let (report, code) = test_json(&dir, &["--suggest"]);
    assert_eq!(code, 0, "{report:#}");
    let found = report["suggestions"].as_object().unwrap().values().next().unwrap();
    assert_eq!(found["unreached"], json!([]), "{found:#}");
    let suggested = found["found"].as_array().unwrap();
    let locations: Vec<&str> = suggested.iter().map(|s| s["location"].as_str().unwrap()).collect();
    let wanted: Vec<String> = (0..20).map(|i| format!("/States/Route/Choices/{i}")).collect();
    assert_eq!(locations, wanted);
    assert!(suggested.iter().all(|s| s["fromStart"] == true), "{found:#}");

    // The suggested inputs, as cases, cover every edge.
    let cases: Vec<Value> = std::iter::once(json!({"name": "ordinary", "input": base}))
        .chain(
            suggested
                .iter()
                .enumerate()
                .map(|(i, s)| json!({"name": format!("suggested {i}"), "input": s["input"]})),
        )
        .collect();
    write(
        &dir,
        "route.test.json",
        &json!({"stateMachine": "route.asl.json", "cases": cases}).to_string(),
    );
    let (report, code) = test_json(&dir, &["--min-coverage", "100"]);
    assert_eq!(code, 0, "{report:#}");
}
