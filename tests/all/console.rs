//! The web console: its history model under Node's test runner
//! (host/console/tests), and the pages in a real browser, Debian's
//! Chromium driven by Selenium (tests/console/test_console.py), installed
//! by scripts/install-browser.sh. Screenshots land in
//! target/console-screenshots/.

use std::process::Command;

use crate::support::{plugins_dir, repo_root};

#[test]
fn the_console_reads_histories_as_the_engine_records_them() {
    let out = Command::new("node")
        .args(["--test", "host/console/tests/"])
        .current_dir(repo_root())
        .output()
        .expect("node runs (Node.js 18 or newer)");
    assert!(
        out.status.success(),
        "the console's model tests failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_console_shows_executions_in_a_real_browser() {
    let root = repo_root();
    let install = Command::new(root.join("scripts/install-browser.sh"))
        .output()
        .expect("scripts/install-browser.sh runs");
    assert!(
        install.status.success(),
        "installing Chromium and Selenium failed:\n{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let python = String::from_utf8(install.stdout).unwrap().trim().to_owned();
    let cache = std::env::temp_dir().join(format!("stepyard-console-cache-{}", std::process::id()));
    let run = Command::new(python)
        .args(["-m", "unittest", "-v", "test_console"])
        .current_dir(root.join("tests/console"))
        .env("STEPYARD_BIN", env!("CARGO_BIN_EXE_stepyard"))
        .env("STEPYARD_PLUGINS", plugins_dir())
        .env("STEPYARD_CACHE", &cache)
        .env("STEPYARD_SCREENSHOTS", root.join("target/console-screenshots"))
        .output()
        .expect("python runs");
    let _ = std::fs::remove_dir_all(&cache);
    assert!(
        run.status.success(),
        "the console tests failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
