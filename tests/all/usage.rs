//! Each task attempt's time and resources, kept beside the history
//! (`Stepyard.GetExecutionUsage`): CPU, peak memory, table reads and
//! writes, log lines, output size; summed per execution with its state
//! transitions.

use serde_json::{Value, json};

use crate::serve::{Server, create, ended, order_definition, temp_dir, try_target};

fn start(server: &Server, machine: &str, input: Value) -> String {
    server.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": input.to_string()}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn attempts_of<'a>(usage: &'a Value, state: &str) -> Vec<&'a Value> {
    usage["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["stateName"] == state)
        .collect()
}

#[test]
fn every_attempt_is_measured_and_summed_per_execution() {
    let plugins = temp_dir("usage-plugins");
    let source = crate::support::plugins_dir();
    for entry in std::fs::read_dir(source).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), plugins.join(entry.file_name())).unwrap();
        }
    }
    for f in ["hostile.wasm", "hostile.toml"] {
        std::fs::copy(source.join("test").join(f), plugins.join(f)).unwrap();
    }
    let server = Server::start_with_plugins(&temp_dir("usage"), &plugins, &["--time-scale", "0.2"]);
    let orders = create(&server, "orders", &order_definition());
    let ok = start(&server, &orders, json!({"order_id": "u-1", "total": 5}));
    let flaky = start(
        &server,
        &orders,
        json!({"order_id": "u-2", "total": 5, "payment": {"flaky_attempts": 2}}),
    );
    assert_eq!(ended(&server, &ok)["status"], "SUCCEEDED");
    assert_eq!(ended(&server, &flaky)["status"], "SUCCEEDED");

    let usage = server.own("GetExecutionUsage", json!({"executionArn": ok}));
    let attempts = usage["attempts"].as_array().unwrap();
    let states: Vec<&str> = attempts.iter().map(|a| a["stateName"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        ["PlaceOrder", "ProcessPayment", "ShipOrder", "ConfirmOrder"],
        "{usage}"
    );
    for a in attempts {
        assert_eq!(a["outcome"], "succeeded", "{a}");
        assert!(a["runMs"].as_f64().unwrap() > 0.0, "{a}");
        assert!(a["cpuMs"].as_f64().unwrap() > 0.0, "{a}");
        assert!(
            a["cpuMs"].as_f64().unwrap() <= a["runMs"].as_f64().unwrap() * 1.5 + 1.0,
            "{a}"
        );
        assert!(a["peakMemoryBytes"].as_u64().unwrap() >= 65536, "{a}");
        assert!(a["outputBytes"].as_u64().unwrap() > 0, "{a}");
        assert!(a["entry"].as_str().unwrap().starts_with(&ok), "{a}");
    }
    // Each step writes the order's status to the `orders` table.
    let writes: u64 = attempts.iter().map(|a| a["kvWrites"].as_u64().unwrap()).sum();
    assert!(writes >= 4, "{usage}");
    let totals = &usage["totals"];
    assert_eq!(totals["stateTransitions"], 4, "{totals}");
    assert_eq!(totals["taskAttempts"], 4);
    assert_eq!(totals["kvWrites"].as_u64().unwrap(), writes);
    assert!(totals["kvWriteBytes"].as_u64().unwrap() > 4 * "u-1".len() as u64);

    let usage = server.own("GetExecutionUsage", json!({"executionArn": flaky}));
    let pay = attempts_of(&usage, "ProcessPayment");
    let outcomes: Vec<(u64, &str)> = pay
        .iter()
        .map(|a| (a["attempt"].as_u64().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes, [(0, "failed"), (1, "failed"), (2, "succeeded")]);

    // A runaway loop is cut at its time limit: its CPU time shows it; a
    // hoarder's memory stops at its limit (128 MiB).
    let hostile = create(
        &server,
        "hostile",
        r#"{"StartAt": "Attack", "States": {"Attack": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hostile", "End": true}}}"#,
    );
    let spin = start(&server, &hostile, json!({"attack": "loop"}));
    let hoard = start(&server, &hostile, json!({"attack": "memory"}));
    assert_eq!(ended(&server, &spin)["status"], "FAILED");
    assert_eq!(ended(&server, &hoard)["status"], "FAILED");
    let spun = server.own("GetExecutionUsage", json!({"executionArn": spin}));
    let spun = &spun["attempts"][0];
    assert_eq!(spun["outcome"], "timed_out", "{spun}");
    assert!(spun["cpuMs"].as_f64().unwrap() >= 100.0, "{spun}");
    let hoarded = server.own("GetExecutionUsage", json!({"executionArn": hoard}));
    let peak = hoarded["attempts"][0]["peakMemoryBytes"].as_u64().unwrap();
    assert!((64 << 20..=128 << 20).contains(&peak), "{hoarded}");

    let (status, missing) = try_target(
        server.addr,
        "Stepyard.GetExecutionUsage",
        &json!({"executionArn": format!("{ok}-nope")}),
    )
    .unwrap();
    assert_eq!(
        (status, missing["__type"].as_str().unwrap_or_default()),
        (400, "ExecutionDoesNotExist"),
        "{missing}"
    );
}
