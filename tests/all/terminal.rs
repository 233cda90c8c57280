//! Seeing a run without a browser: `stepyard run` on a terminal shows a line
//! per state as it ends; piped, its output stays what scripts read; and a
//! closed pipe ends any command quietly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{plugins_dir, repo_root};

fn data_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("stepyard-terminal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn order_run(data: &std::path::Path, input: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepyard"));
    c.arg("--data")
        .arg(data)
        .arg("--plugins")
        .arg(plugins_dir())
        .arg("run")
        .arg(repo_root().join("workflows/order.asl.json"))
        .args(["--time-scale", "0", "--input", input]);
    c
}

#[test]
fn on_a_terminal_run_shows_each_state_as_it_ends() {
    let data = data_dir("tty");
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    let run = order_run(&data, r#"{"order_id":"t-1","total":7,"payment":{"flaky_attempts":2}}"#);
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let command = std::iter::once(quote(run.get_program()))
        .chain(run.get_args().map(quote))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let pay = lines
        .iter()
        .find(|l| l.trim_start().starts_with("ProcessPayment"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        pay.contains("Task") && pay.contains("succeeded") && pay.contains("2 retries"),
        "{pay}"
    );
    for state in ["PlaceOrder", "ShipOrder", "ConfirmOrder"] {
        assert!(
            lines.iter().any(|l| l.trim_start().starts_with(state)),
            "{state} missing:\n{text}"
        );
    }
    assert!(lines.iter().any(|l| l.starts_with("SUCCEEDED in ")), "{text}");
    assert!(
        text.contains("status: SUCCEEDED"),
        "the result follows as before:\n{text}"
    );
}

#[test]
fn piped_run_prints_only_the_result() {
    let data = data_dir("pipe");
    let out = order_run(&data, r#"{"order_id":"t-2","total":7}"#).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(text.starts_with("status: SUCCEEDED"), "{text}");
    assert!(!text.contains("ProcessPayment"), "{text}");
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    // Far more output than a pipe holds (a history of ~8,000 events), so
    // the writer is still writing when the reader goes: `… | head -1`.
    let items: Vec<u32> = (0..2000).collect();
    let definition = serde_json::json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let dir = data_dir("sigpipe");
    let path = dir.join("big.asl.json");
    std::fs::write(&path, definition.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .arg("--data")
        .arg(&dir)
        .args(["--store", "memory", "run"])
        .arg(&path)
        .args(["--history", "--time-scale", "0", "--input"])
        .arg(serde_json::to_string(&items).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("ExecutionStarted"), "{first}");
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        status.signal(),
        Some(libc_sigpipe()),
        "ended by SIGPIPE, as `cat` would be: {status:?}"
    );
}

/// SIGPIPE's number (13 on Linux).
fn libc_sigpipe() -> i32 {
    13
}
