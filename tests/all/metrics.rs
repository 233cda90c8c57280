//! `GET /metrics`: executions, states, task attempts, policy denials and API
//! calls counted while a server runs, in OpenMetrics text.

use serde_json::{Value, json};

use crate::serve::{Server, create, ended, http_get, order_definition, temp_dir, try_target};

/// The value of the sample whose line starts with `series`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

#[test]
fn executions_states_tasks_and_requests_are_counted() {
    let plugins = temp_dir("metrics-plugins");
    let source = crate::support::plugins_dir();
    for entry in std::fs::read_dir(source).unwrap().flatten() {
        let path = entry.path();
        if path.is_file() {
            std::fs::copy(&path, plugins.join(path.file_name().unwrap())).unwrap();
        }
    }
    for f in ["hostile.wasm", "hostile.toml"] {
        std::fs::copy(source.join("test").join(f), plugins.join(f)).unwrap();
    }
    let data = temp_dir("metrics");
    let server = Server::start_with_plugins(&data, &plugins, &["--time-scale", "0.2"]);
    let orders = create(&server, "orders", &order_definition());
    let start = |input: &str| {
        server.ok("StartExecution", json!({"stateMachineArn": orders, "input": input}))["executionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let runs = [
        start(r#"{"order_id":"m-1","total":5}"#),
        start(r#"{"order_id":"m-2","total":5,"payment":{"flaky_attempts":2}}"#),
        start(r#"{"order_id":"m-3","total":5,"payment":{"card":"declined"}}"#),
    ];
    let ends: Vec<Value> = runs.iter().map(|arn| ended(&server, arn)).collect();
    let statuses: Vec<&Value> = ends.iter().map(|e| &e["status"]).collect();
    assert_eq!(statuses, ["SUCCEEDED", "SUCCEEDED", "FAILED"], "{ends:#?}");
    let attack = r#"{"StartAt": "Steal", "States": {"Steal": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hostile", "End": true}}}"#;
    let thief = create(&server, "thief", attack);
    let stolen = server.ok(
        "StartExecution",
        json!({"stateMachineArn": thief, "input": r#"{"attack":"forbidden_table"}"#}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ended(&server, &stolen)["status"], "FAILED");

    // An execution's end is visible a moment before its run task is gone
    // from the running gauge: scrape until it is.
    let scrape = || http_get(server.addr, "/metrics", &server.addr.to_string());
    let (mut status, mut text) = scrape();
    for _ in 0..100 {
        if status != 200 || sample(&text, r#"stepyard_executions_running{state_machine="orders"}"#) == 0.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        (status, text) = scrape();
    }
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("# EOF\n"));
    assert_eq!(
        sample(&text, r#"stepyard_executions_started_total{state_machine="orders"}"#),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_executions_completed_total{state_machine="orders",status="SUCCEEDED"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_executions_completed_total{state_machine="orders",status="FAILED"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, r#"stepyard_executions_running{state_machine="orders"}"#),
        0.0
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_task_retries_total{state_machine="orders",state="ProcessPayment"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_state_duration_seconds_count{state_machine="orders",state="ProcessPayment",type="Task",outcome="caught_error"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_task_attempts_total{state_machine="orders",state="ProcessPayment",plugin="paymentProcessing",outcome="failed"}"#
        ),
        3.0,
        "two gateway timeouts and one declined card"
    );
    assert_eq!(
        sample(
            &text,
            r#"stepyard_policy_denials_total{plugin="hostile",action="dynamodb:PutItem"}"#
        ),
        1.0
    );
    assert!(
        sample(
            &text,
            r#"stepyard_api_requests_total{operation="StartExecution",code="OK"}"#
        ) >= 4.0
    );
    // Transitions: 4 + 4 + 4 states entered, and the thief's one.
    assert_eq!(
        sample(&text, r#"stepyard_state_transitions_total{state_machine="orders"}"#),
        12.0
    );
    assert!(!text.contains("execution:"), "no execution ARN is a label");
    // Two machines created and four executions started: six audited
    // changes, each committed with its record or (past the hold limit)
    // without. The counters follow the store's once a second.
    let changes = |text: &str| -> f64 {
        ["with_record", "record_later"]
            .iter()
            .filter_map(|kind| {
                let series = format!("stepyard_audited_changes_total{{kind=\"{kind}\"}}");
                text.lines()
                    .find_map(|l| l.strip_prefix(series.as_str())?.trim().parse::<f64>().ok())
            })
            .sum()
    };
    for _ in 0..60 {
        if changes(&text) >= 6.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        text = scrape().1;
    }
    assert!(changes(&text) >= 6.0, "{text}");

    // Without --auth, only loopback names are answered (DNS rebinding).
    let (refused, _) = http_get(server.addr, "/metrics", "attacker.example:80");
    assert_eq!(refused, 400);

    // The same figures per minute, kept across a restart.
    let check = |answer: &Value| {
        assert_eq!(
            summary(answer, "ExecutionsStarted", "stateMachine", "orders")["sampleCount"],
            3
        );
        assert_eq!(
            summary(answer, "ExecutionsFailed", "stateMachine", "orders")["sampleCount"],
            1
        );
        let time = summary(answer, "ExecutionTime", "stateMachine", "orders");
        assert_eq!(time["sampleCount"], 3);
        let (p50, p99) = (time["p50"].as_f64().unwrap(), time["p99"].as_f64().unwrap());
        assert!(
            0.0 < p50 && p50 <= p99 && p99 <= time["maximum"].as_f64().unwrap(),
            "{time}"
        );
        assert_eq!(
            summary(answer, "TaskRetries", "plugin", "paymentProcessing")["sampleCount"],
            2
        );
        assert_eq!(
            summary(answer, "TaskFailures", "plugin", "paymentProcessing")["sampleCount"],
            3
        );
        assert_eq!(summary(answer, "PolicyDenials", "plugin", "hostile")["sampleCount"], 1);
        let pay = answer["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["metric"] == "StateTime" && s["state"] == "ProcessPayment")
            .unwrap();
        assert_eq!(pay["summary"]["sampleCount"], 3);
    };
    let an_hour = json!({"startTime": unix_now() - 3600.0});
    check(&server.own("GetMetricData", an_hour.clone()));
    server.stop();
    let server = Server::start_with_plugins(&data, &plugins, &[]);
    check(&server.own("GetMetricData", an_hour.clone()));
    let only = server.own(
        "GetMetricData",
        json!({"startTime": unix_now() - 3600.0, "stateMachine": "thief"}),
    );
    assert!(
        only["series"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["stateMachine"] == "thief"),
        "{only}"
    );
    let (status, bad) = try_target(
        server.addr,
        "Stepyard.GetMetricData",
        &json!({"startTime": unix_now() - 3600.0, "period": 90}),
    )
    .unwrap();
    assert_eq!(status, 400);
    assert!(bad["message"].as_str().unwrap().contains("multiple of 60"), "{bad}");
    server.stop();

    // And in a terminal, from the database itself once no server holds it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(["metrics", "orders", "--since", "1h", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("orders "))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        row.split_whitespace().take(6).collect::<Vec<_>>(),
        ["orders", "3", "2", "1", "0", "0"],
        "{text}"
    );
    assert!(text.contains("ProcessPayment"), "{text}");
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The whole-range figures of `metric` whose `dimension` is `value`.
fn summary<'a>(answer: &'a Value, metric: &str, dimension: &str, value: &str) -> &'a Value {
    answer["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["metric"] == metric && s[dimension] == value)
        .map(|s| &s["summary"])
        .unwrap_or_else(|| panic!("no {metric} for {dimension}={value} in {answer}"))
}
