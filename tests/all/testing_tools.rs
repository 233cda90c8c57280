//! `stepyard test`'s neighbours: Step Functions Local's MockConfigFile in
//! `test`, `run` and `serve`; `stepyard invoke`; `--suggest`; cases with
//! tables of their own and expectations of items and log lines.

use std::process::Command;

use serde_json::{Value, json};

use crate::testing::{case, test_json, unmet, workspace, write};

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

#[test]
fn cases_seed_tables_of_their_own_and_expect_items_and_log_lines() {
    let dir = workspace("tables");
    write(
        &dir,
        "pay.asl.json",
        r#"{"StartAt": "Pay", "States": {"Pay": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:paymentProcessing", "End": true}}}"#,
    );
    let mut cases = Vec::new();
    for i in 0..6 {
        // Every case seeds the same key with its own total: each must see its own.
        cases.push(json!({
            "name": format!("paid {i}"),
            "input": {"order_id": "o-9", "total": i + 1},
            "tables": {"orders": {"o-9": {"order_id": "o-9", "status": "PLACED", "total": i + 1}}},
            "expect": {
                "output": {"status": "PAID", "charged": i + 1}, "outputMatching": "partial",
                "tables": {"orders": {"o-9": {"status": "PAID", "charged": i + 1}, "o-10": null}},
                "logs": [{"plugin": "paymentProcessing", "level": "INFO", "message": "payment captured", "fields": {"order_id": "o-9"}}]
            }
        }));
    }
    cases.push(json!({
        "name": "wrong expectations",
        "input": {"order_id": "o-9", "total": 1},
        "tables": {"orders": {"o-9": {"order_id": "o-9", "status": "PLACED", "total": 1}}},
        "expect": {"tables": {"orders": {"o-9": {"status": "SHIPPED"}, "o-404": {"status": "PAID"}}},
                   "logs": [{"message": "never written"}]}
    }));
    write(
        &dir,
        "pay.test.json",
        &json!({"stateMachine": "pay.asl.json", "cases": cases}).to_string(),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .current_dir(&dir)
        .arg("--plugins")
        .arg(crate::support::plugins_dir())
        .arg("--cache")
        .arg(crate::serve::shared_cache())
        .args(["test", "--json", "--jobs", "3"])
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    for i in 0..6 {
        assert_eq!(case(&report, &format!("paid {i}"))["verdict"], "passed", "{report:#}");
    }
    assert_eq!(
        unmet(&report, "wrong expectations"),
        ["tables.orders.o-404", "tables.orders.o-9", "logs[0]"]
    );

    // Without a plugin folder such a case cannot run, and says why.
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 1);
    let problem = case(&report, "paid 0")["problem"].as_str().unwrap().to_owned();
    assert!(problem.contains("no plugin folder"), "{problem}");
}

#[test]
fn shrink_finds_the_smallest_input_that_fails_the_same_way() {
    let dir = workspace("shrink");
    write(
        &dir,
        "review.asl.json",
        r#"{"StartAt": "Big", "States": {
            "Big": {"Type": "Choice", "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Review"}], "Default": "Done"},
            "Review": {"Type": "Fail", "Error": "NeedsReview"},
            "Done": {"Type": "Succeed"}}}"#,
    );
    write(
        &dir,
        "review.test.json",
        r#"{"stateMachine": "review.asl.json", "cases": [
            {"name": "a big order", "input": {"order_id": "o-1", "total": 500, "items": [1, 2, 3], "note": {"gift": true}}},
            {"name": "fine", "input": {"total": 5}}]}"#,
    );
    let (report, code) = test_json(&dir, &["--shrink"]);
    assert_eq!(code, 1);
    let shrunk = report["shrunk"].as_array().unwrap();
    assert_eq!(shrunk.len(), 1, "{report:#}");
    assert_eq!(shrunk[0]["case"], "a big order");
    assert_eq!(shrunk[0]["fails"], "status");
    assert_eq!(shrunk[0]["input"], json!({"total": 500}));
}

#[test]
fn a_mocked_callback_answers_at_a_virtual_moment_and_its_heartbeats_keep_it_alive() {
    let dir = workspace("callback");
    write(
        &dir,
        "approve.asl.json",
        r#"{"StartAt": "Approve", "States": {"Approve": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "askApprover", "Payload": {"token.$": "$$.Task.Token"}},
            "HeartbeatSeconds": 60, "TimeoutSeconds": 3600, "End": true}}}"#,
    );
    write(
        &dir,
        "approve.test.yaml",
        r#"
stateMachine: approve.asl.json
cases:
  - name: approved after five minutes of heartbeats
    mocks:
      Approve: {result: {approved: true}, delay: 300, heartbeats: [50, 100, 150, 200, 250]}
    expect:
      output: {approved: true}
  - name: a silent approver times out on the heartbeat
    mocks:
      Approve: {result: {approved: true}, delay: 300}
    expect:
      error: States.HeartbeatTimeout
  - name: an approver slower than the task's timeout
    mocks:
      Approve: {result: {approved: true}, delay: 7200, heartbeats: [50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700, 750, 800, 850, 900, 950, 1000, 1050, 1100, 1150, 1200, 1250, 1300, 1350, 1400, 1450, 1500, 1550, 1600, 1650, 1700, 1750, 1800, 1850, 1900, 1950, 2000, 2050, 2100, 2150, 2200, 2250, 2300, 2350, 2400, 2450, 2500, 2550, 2600, 2650, 2700, 2750, 2800, 2850, 2900, 2950, 3000, 3050, 3100, 3150, 3200, 3250, 3300, 3350, 3400, 3450, 3500, 3550]}
    expect:
      error: States.Timeout
"#,
    );
    let (report, code) = test_json(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
}
