//! Several `stepyard run` at once in one data directory (a test suite run
//! in parallel, two terminals): the first holds the database and serves
//! the others; every execution is stored, with one set of tables.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::serve::{shared_cache, temp_dir};
use crate::support::{plugins_dir, repo_root};

fn stepyard(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepyard"));
    c.arg("--data")
        .arg(data)
        .arg("--plugins")
        .arg(plugins_dir())
        .arg("--cache")
        .arg(shared_cache());
    c
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}):\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn runs_at_once_all_finish_and_every_execution_is_stored() {
    let data = temp_dir("runs-at-once");
    let order = repo_root().join("workflows/order.asl.json");
    let runs = 6;
    let children: Vec<_> = (0..runs)
        .map(|i| {
            stepyard(&data)
                .arg("run")
                .arg(&order)
                .args(["--json", "--time-scale", "0.05", "--name", &format!("together-{i}")])
                .arg("--input")
                .arg(format!(r#"{{"order_id": "t-{i}", "total": {}}}"#, 10 + i))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let answer = json_of(&out);
        assert_eq!(answer["status"], "SUCCEEDED", "{answer}");
        assert!(out.status.success());
    }

    // Nobody holds the directory now: these open the database themselves.
    let out = stepyard(&data)
        .args(["executions", "order", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    names.sort();
    let expected: Vec<String> = (0..runs).map(|i| format!("together-{i}")).collect();
    assert_eq!(names, expected, "every run stored its execution");
    for i in 0..runs {
        let out = stepyard(&data)
            .args(["history", &format!("order:together-{i}")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("ExecutionSucceeded"), "together-{i}: {text}");
        let item = stepyard(&data)
            .args(["table", "get", "orders", &format!("t-{i}")])
            .output()
            .unwrap();
        let item: Value = serde_json::from_slice(&item.stdout).unwrap();
        assert_eq!(item["status"], "CONFIRMED", "{item}");
    }
    assert!(
        !data.join("serve.addr").exists(),
        "the last holder let go of the directory"
    );
    // Counted as serve counts them, whichever process ran them.
    let out = stepyard(&data).args(["metrics", "order", "--json"]).output().unwrap();
    let metrics: Value = serde_json::from_slice(&out.stdout).unwrap();
    let started = metrics["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["metric"] == "ExecutionsStarted")
        .map(|s| s["summary"]["sampleCount"].clone());
    assert_eq!(started, Some(json!(runs)), "{metrics}");
    // And the plugins' calls, per plugin.
    let out = stepyard(&data).args(["metrics", "--json"]).output().unwrap();
    let metrics: Value = serde_json::from_slice(&out.stdout).unwrap();
    let attempts = metrics["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["metric"] == "TaskAttempts" && s["plugin"] == "orderPlacement")
        .map(|s| s["summary"]["sampleCount"].clone());
    assert_eq!(attempts, Some(json!(runs)), "{metrics}");
}

#[test]
fn logs_filter_by_level_state_and_plugin_and_follow_an_execution() {
    let data = temp_dir("logs-filters");
    let order = repo_root().join("workflows/order.asl.json");
    let ran = stepyard(&data)
        .arg("run")
        .arg(&order)
        .args(["--json", "--name", "declined"])
        .args([
            "--input",
            r#"{"order_id": "l-1", "total": 5, "payment": {"card": "declined"}}"#,
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&ran)["status"], "FAILED");
    let lines = |extra: &[&str]| -> Vec<Value> {
        let out = stepyard(&data)
            .args(["logs", "declined", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let all = lines(&[]);
    let states: std::collections::BTreeSet<&str> = all.iter().map(|l| l["state_name"].as_str().unwrap()).collect();
    assert!(states.len() >= 3, "{all:?}");
    let pay = lines(&["--state", "ProcessPayment"]);
    assert!(!pay.is_empty() && pay.len() < all.len());
    assert!(pay.iter().all(|l| l["state_name"] == "ProcessPayment"));
    let by_plugin = lines(&["--plugin", "orderCancellation"]);
    assert!(!by_plugin.is_empty() && by_plugin.iter().all(|l| l["source"] == "orderCancellation"));
    let serious = lines(&["--level", "warn"]);
    assert!(
        serious.iter().all(|l| l["level"] == "WARN" || l["level"] == "ERROR"),
        "{serious:?}"
    );
    assert!(serious.len() < all.len());
    let refused = stepyard(&data).args(["logs", "--level", "loud"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a level"));

    // --follow prints what is there, then keeps waiting for more.
    let mut follower = stepyard(&data)
        .args(["logs", "declined", "--follow", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open: a follower whose reader went away ends (a closed pipe).
    let mut reader = std::io::BufReader::new(follower.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&first).unwrap(), all[0]);
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(follower.try_wait().unwrap().is_none(), "still following");
    follower.kill().unwrap();
    follower.wait().unwrap();
}
