//! The `stepyard` binary's contract: `--json` output and exit codes.

use std::io::Write;
use std::process::Command;

use serde_json::{Value, json};

/// The binary, with a data directory of its own: concurrent tests must not
/// share a database (redb locks its file).
fn stepyard() -> Command {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let data = std::env::temp_dir().join(format!(
        "stepyard-cli-data-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepyard"));
    c.arg("--data")
        .arg(data)
        .arg("--plugins")
        .arg("/nonexistent-plugin-folder");
    c
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

fn run_json(def: &str, input: &str, extra: &[&str]) -> (Value, i32) {
    let path = write_temp(&format!("{}.json", fastrand_name()), def);
    let out = stepyard()
        .arg("run")
        .arg(&path)
        .args(["--input", input, "--json"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}")),
        out.status.code().unwrap(),
    )
}

fn fastrand_name() -> String {
    uuid_like()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("def{}", N.fetch_add(1, Ordering::SeqCst))
}

#[test]
fn run_json_prints_one_object_and_exits_zero_on_success() {
    let (v, code) = run_json(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
        r#"{"x":1}"#,
        &[],
    );
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"], json!({"x": 1}));
    assert_eq!(code, 0);
}

#[test]
fn failed_executions_exit_non_zero_with_error_and_cause() {
    let (v, code) = run_json(
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}"#,
        "{}",
        &[],
    );
    assert_eq!(
        (v["status"].as_str(), v["error"].as_str(), v["cause"].as_str()),
        (Some("FAILED"), Some("E"), Some("C"))
    );
    assert_eq!(code, 1);
}

#[test]
fn invalid_definitions_report_status_and_aws_message() {
    let (v, code) = run_json(r#"{"StartAt":"A"}"#, "{}", &[]);
    assert_eq!(v["status"], "INVALID_DEFINITION");
    assert_eq!(v["error"], "InvalidDefinition");
    assert_eq!(code, 1);
}

#[test]
fn an_integration_no_plugin_serves_is_refused_before_the_run_at_its_resource() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Q","States":{
        "Q":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}}}}}}"#;
    let (v, code) = run_json(def, "[1]", &[]);
    assert_eq!((v["status"].as_str(), code), (Some("INVALID_DEFINITION"), 1), "{v}");
    assert_eq!(
        v["diagnostics"][0]["location"],
        "/States/M/ItemProcessor/States/Q/Resource"
    );
    assert!(
        v["cause"]
            .as_str()
            .unwrap()
            .contains("arn:aws:states:::dynamodb:putItem is not recognized"),
        "{v}"
    );
    // `validate` says so too.
    let path = write_temp(&format!("{}.json", fastrand_name()), def);
    let out = stepyard().args(["validate", "--json"]).arg(&path).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["result"].as_str(), out.status.code()),
        (Some("FAIL"), Some(1)),
        "{v}"
    );
    assert_eq!(
        v["diagnostics"][0]["location"],
        "/States/M/ItemProcessor/States/Q/Resource"
    );
}

#[test]
fn history_flag_adds_events() {
    let (v, _) = run_json(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
        "{}",
        &["--history"],
    );
    let types: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn time_scale_zero_skips_real_waiting() {
    let started = std::time::Instant::now();
    let (v, _) = run_json(
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}"#,
        "{}",
        &["--time-scale", "0"],
    );
    assert_eq!(v["status"], "SUCCEEDED");
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn malformed_input_is_a_clear_error() {
    let path = write_temp(
        "ok.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
    );
    let out = stepyard()
        .arg("run")
        .arg(&path)
        .args(["--input", "{not json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("not valid JSON"), "{stderr}");
}

#[test]
fn validate_exits_one_and_lists_diagnostics() {
    let path = write_temp(
        "bad.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#,
    );
    let out = stepyard().arg("validate").arg(&path).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["diagnostics"][0]["location"], "/States/A/Next");
}

#[test]
fn deeply_nested_input_is_rejected_with_a_clear_error() {
    let path = write_temp(
        "pass.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
    );
    let input = write_temp("deep.json", &("[".repeat(10_000) + &"]".repeat(10_000)));
    let out = stepyard()
        .arg("run")
        .arg(&path)
        .arg("--input-file")
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[test]
fn invalid_utf8_definitions_name_the_file() {
    let dir = std::env::temp_dir().join(format!("stepyard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.json");
    std::fs::write(&path, b"{\"StartAt\":\"\xe9\"}").unwrap();
    let out = stepyard().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("latin1.json") && stderr.contains("UTF-8"), "{stderr}");
}

#[test]
fn a_large_array_input_runs_through_a_map() {
    let items: Vec<u32> = (0..20_000).collect();
    let input = write_temp("big.json", &serde_json::to_string(&json!({"items": items})).unwrap());
    let def = write_temp(
        "map.json",
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":null,
            "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#,
    );
    let out = stepyard()
        .arg("run")
        .arg(&def)
        .arg("--input-file")
        .arg(&input)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 20,000 iterations need more than AWS's 25,000 history events.
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["error"], "States.Runtime");
    assert!(v["cause"].as_str().unwrap().contains("25000"));
}
