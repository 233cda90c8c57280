//! Closed executions expire after `--execution-retention` (90 days by
//! default, as on AWS), with their histories and log lines; what was
//! dropped is counted.

use serde_json::json;

use crate::serve::{Server, create, ended, http_get, order_definition, temp_dir, try_target};

#[test]
fn closed_executions_expire_with_their_history_and_logs() {
    let data = temp_dir("retention");
    let keep = ["--execution-retention", "2s"];
    let server = Server::start(&data, &keep);
    let orders = create(&server, "orders", &order_definition());
    let start = |server: &Server, id: &str| {
        server.ok(
            "StartExecution",
            json!({"stateMachineArn": orders, "input": json!({"order_id": id, "total": 3}).to_string()}),
        )["executionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let old = start(&server, "r-1");
    assert_eq!(ended(&server, &old)["status"], "SUCCEEDED");
    wait_for_lines(&server, &old);
    server.stop();
    std::thread::sleep(std::time::Duration::from_millis(2500));

    // Expiry runs when the server starts, then every minute.
    let server = Server::start(&data, &keep);
    let fresh = start(&server, "r-2");
    assert_eq!(ended(&server, &fresh)["status"], "SUCCEEDED");
    let mut gone = false;
    for _ in 0..100 {
        let (status, answer) = server.call("DescribeExecution", json!({"executionArn": old}));
        if status == 400 {
            assert_eq!(answer["__type"], "ExecutionDoesNotExist", "{answer}");
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(gone, "{old} expired");
    let (status, _) = server.call("GetExecutionHistory", json!({"executionArn": old}));
    assert_eq!(status, 400);
    let listed = server.ok("ListExecutions", json!({"stateMachineArn": orders}));
    let names: Vec<&str> = listed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "{listed}");
    assert_eq!(
        server.ok("DescribeExecution", json!({"executionArn": fresh}))["status"],
        "SUCCEEDED"
    );
    // The order's table item is the plugins' data, not the execution's: it stays.
    assert_eq!(
        server.own("GetItem", json!({"table": "orders", "key": "r-1"}))["item"]["value"]["status"],
        "CONFIRMED"
    );
    assert_eq!(dropped_counter(&server, "executions"), 1);
}

#[test]
fn a_log_group_past_its_size_loses_its_oldest_lines_and_the_bytes_are_counted() {
    let data = temp_dir("log-retention");
    let server = Server::start(&data, &[]);
    let orders = create(&server, "orders", &order_definition());
    let mut arns = Vec::new();
    for id in ["l-1", "l-2"] {
        let arn = server.ok(
            "StartExecution",
            json!({"stateMachineArn": orders, "input": json!({"order_id": id, "total": 3}).to_string()}),
        )["executionArn"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(ended(&server, &arn)["status"], "SUCCEEDED");
        // Lines are dated when first stored, and stored within 50 ms of
        // being written; reading them stores them now, so the second
        // execution's lines are surely dated after the first's. (A plugin's
        // lines reach the store just after its call: wait for them.)
        wait_for_lines(&server, &arn);
        std::thread::sleep(std::time::Duration::from_millis(5));
        arns.push(arn);
    }
    let groups = server.own("DescribeLogGroups", json!({}));
    let stored = groups["logGroups"][0]["storedBytes"].as_u64().unwrap();
    assert_eq!(groups["logGroups"][0]["logGroupName"], "orders", "{groups}");
    server.stop();

    // Room for about one execution's lines: the older one's go at start.
    let size = format!("{}B", stored * 2 / 3);
    let server = Server::start(&data, &["--log-group-size", &size]);
    let lines = |arn: &str| log_lines(&server, arn);
    let mut dropped = false;
    for _ in 0..100 {
        if lines(&arns[0]) == 0 {
            dropped = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(dropped, "the older execution's lines went");
    assert!(lines(&arns[1]) > 0, "the newer execution's lines stayed");
    let described = server.ok("DescribeExecution", json!({"executionArn": arns[0]}));
    assert_eq!(described["status"], "SUCCEEDED", "the execution itself stays");
    let bytes = dropped_counter(&server, "log_bytes");
    assert!(bytes > 0 && bytes <= stored, "{bytes} of {stored}");
    server.stop();
}

/// The `stepyard_retention_dropped_total` counter of `kind`. It moves just
/// after the deletion commits, so a reader that saw the data go may look a
/// moment before it does: wait up to five seconds for it to appear.
fn dropped_counter(server: &Server, kind: &str) -> u64 {
    let prefix = format!("stepyard_retention_dropped_total{{kind=\"{kind}\"}} ");
    for _ in 0..100 {
        let (_, metrics) = http_get(server.addr, "/metrics", "localhost");
        let value = metrics.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok());
        if let Some(value) = value {
            return value;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{prefix}is not reported");
}

/// How many log lines an execution has (an execution without lines is
/// answered ResourceNotFound).
fn log_lines(server: &Server, arn: &str) -> usize {
    let target = "Stepyard.GetExecutionLogs";
    let (status, answer) = try_target(server.addr, target, &json!({"executionArn": arn})).unwrap();
    match status {
        200 => answer["lines"].as_array().unwrap().len(),
        _ => {
            assert_eq!(answer["__type"], "ResourceNotFound", "{answer}");
            0
        }
    }
}

/// Waits until an execution's log lines are stored (a plugin's lines reach
/// the store just after its call, so maybe after the execution's end).
fn wait_for_lines(server: &Server, arn: &str) {
    for _ in 0..100 {
        if log_lines(server, arn) > 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{arn} has no log lines after 5 s");
}
