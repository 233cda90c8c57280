//! `stepyard plugin check`: a component's imports against the host's WIT,
//! whether it loads, and a lint of its role, each finding at its place.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::plugins::temp_dir;
use crate::support::plugins_dir;

/// Runs `stepyard plugin check --json` on `files`: one report per file and the exit code.
fn check(files: &[&Path], extra: &[&str]) -> (Vec<Value>, i32) {
    let cache = temp_dir("check-cache");
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .arg("--cache")
        .arg(&cache)
        .args(extra)
        .args(["plugin", "check", "--json"])
        .args(files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reports = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (reports, out.status.code().unwrap_or(-1))
}

/// The messages of `report`'s findings of `severity`, with their places.
fn findings<'a>(report: &'a Value, severity: &str) -> Vec<(&'a str, &'a str)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| (f["place"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}

#[test]
fn the_shipped_plugins_pass_with_what_they_call() {
    let dir = plugins_dir();
    let (reports, code) = check(
        &[&dir.join("paymentProcessing.wasm"), &dir.join("test/hostile.wasm")],
        &[],
    );
    assert_eq!(code, 0, "{reports:?}");
    let payment = &reports[0];
    assert_eq!(payment["ok"], true);
    assert_eq!(payment["wit"], "stepyard:plugin@0.1.0");
    let calls: Vec<&str> = payment["hostCalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        calls.contains(&"kv.get") && calls.contains(&"kv.update") && !calls.contains(&"kv.delete"),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.starts_with("types.")),
        "types are not calls: {calls:?}"
    );
    // Its manifest (a pasted IAM policy) grants one action it never needs.
    let warnings = findings(payment, "warning");
    assert!(
        warnings.iter().any(
            |(place, message)| place.ends_with("paymentProcessing.toml#/role/Statement/1/Action/0")
                && message.contains("grants logs:CreateLogStream, which the code never needs")
        ),
        "{warnings:?}"
    );
}

#[test]
fn mistakes_in_a_role_and_a_component_are_found_at_their_place() {
    let dir = temp_dir("check");
    let src = plugins_dir();
    std::fs::copy(src.join("test/hostile.wasm"), dir.join("lint.wasm")).unwrap();
    std::fs::write(
        dir.join("lint.toml"),
        r#"
[quotas]
log_lines_per_call = 5000
[role]
Version = "2012-10-17"
[[role.Statement]]
Effect = "Allow"
Action = ["dynamodb:PutItems", "dynamodb:*"]
Resource = "arn:aws:dynamodb:*:*:table/scratch"
"#,
    )
    .unwrap();
    std::fs::write(dir.join("broken.wasm"), b"\0asm\x01\0\0\0 not a component").unwrap();
    let (reports, code) = check(&[&dir.join("lint.wasm"), &dir.join("broken.wasm")], &[]);
    assert_eq!(code, 1);
    let lint = &reports[0];
    assert_eq!(lint["ok"], false);
    let errors = findings(lint, "error");
    assert!(
        errors.iter().any(
            |(place, message)| place.ends_with("lint.toml#/role/Statement/0/Action/0")
                && message.contains("dynamodb has no action \"PutItems\"")
        ),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(_, message)| message.contains("log_lines_per_call = 5000 exceeds the host's ceiling of 1000")),
        "{errors:?}"
    );
    let warnings = findings(lint, "warning");
    assert!(
        warnings
            .iter()
            .any(|(place, message)| place.ends_with("#/role/Statement/0/Action/1")
                && message.contains("wildcard action \"dynamodb:*\"")),
        "{warnings:?}"
    );
    // The code logs, and nothing allows logs:PutLogEvents.
    assert!(
        warnings
            .iter()
            .any(|(_, message)| message.contains("need logs:PutLogEvents, which no statement allows")),
        "{warnings:?}"
    );
    let broken = &reports[1];
    let errors = findings(broken, "error");
    assert!(
        errors
            .iter()
            .any(|(place, message)| place.ends_with("broken.wasm") && message.contains("not a valid component")),
        "{errors:?}"
    );

    // The operator's ceiling lets the raised quota through.
    let (reports, _) = check(
        &[&dir.join("lint.wasm")],
        &["--plugin-quota-ceiling", "log_lines_per_call=10000"],
    );
    assert!(
        !findings(&reports[0], "error")
            .iter()
            .any(|(_, message)| message.contains("ceiling")),
        "{reports:?}"
    );
}
