//! The API through the real AWS clients: boto3 and the AWS CLI
//! (tests/clients/test_clients.py), installed from PyPI by
//! scripts/install-clients.sh.

use std::process::Command;

use crate::support::plugins_dir;

#[test]
fn boto3_and_the_aws_cli_drive_the_api() {
    let root = crate::support::repo_root();
    let install = Command::new(root.join("scripts/install-clients.sh"))
        .output()
        .expect("scripts/install-clients.sh runs");
    assert!(
        install.status.success(),
        "installing boto3 and the AWS CLI failed:\n{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let python = String::from_utf8(install.stdout).unwrap().trim().to_owned();
    let cache = std::env::temp_dir().join(format!("stepyard-clients-cache-{}", std::process::id()));
    let run = Command::new(python)
        .args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(root.join("tests/clients"))
        .env("STEPYARD_BIN", env!("CARGO_BIN_EXE_stepyard"))
        .env("STEPYARD_PLUGINS", plugins_dir())
        .env("STEPYARD_CACHE", &cache)
        .output()
        .expect("python runs");
    let _ = std::fs::remove_dir_all(&cache);
    assert!(
        run.status.success(),
        "the client tests failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
