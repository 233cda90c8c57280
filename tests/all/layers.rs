//! The crates keep their layers: a crate may use only the Stepyard crates
//! below it (ARCHITECTURE.md draws the picture). `cargo metadata` gives each
//! crate's declared dependencies; one that reaches sideways or upward fails
//! here, with the crate and the dependency named.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// Each crate and the Stepyard crates it may depend on (normal and build
/// dependencies; tests and benches may use more).
const ALLOWED: &[(&str, &[&str])] = &[
    ("stepyard-wildcard", &[]),
    ("stepyard-jsonata", &[]),
    ("stepyard-asl", &["stepyard-jsonata"]),
    (
        "stepyard-interpreter",
        &["stepyard-asl", "stepyard-jsonata", "stepyard-wildcard"],
    ),
    ("stepyard-policy", &["stepyard-wildcard"]),
    ("stepyard-store", &[]),
    ("stepyard-metrics", &[]),
    (
        "stepyard-runtime",
        &[
            "stepyard-asl",
            "stepyard-interpreter",
            "stepyard-policy",
            "stepyard-store",
            "stepyard-metrics",
        ],
    ),
    (
        "stepyard-service",
        &[
            "stepyard-asl",
            "stepyard-interpreter",
            "stepyard-store",
            "stepyard-metrics",
        ],
    ),
    ("stepyard-alerts", &["stepyard-metrics"]),
    ("stepyard-testkit", &["stepyard-asl", "stepyard-interpreter"]),
    (
        "stepyard-api",
        &["stepyard-service", "stepyard-policy", "stepyard-metrics"],
    ),
    ("stepyard-console", &["stepyard-api", "stepyard-service"]),
    (
        "stepyard",
        &[
            "stepyard-asl",
            "stepyard-interpreter",
            "stepyard-store",
            "stepyard-runtime",
            "stepyard-service",
            "stepyard-api",
            "stepyard-console",
            "stepyard-metrics",
            "stepyard-alerts",
            "stepyard-testkit",
        ],
    ),
];

/// Every workspace crate → the Stepyard crates it depends on outside tests.
fn declared_layers() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(crate::support::repo_root())
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let ours: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .filter_map(|d| d["name"].as_str())
                .filter(|name| ours.contains(name))
                .map(str::to_owned)
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

#[test]
fn no_crate_depends_on_a_crate_above_it() {
    let declared = declared_layers();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (krate, deps) in &declared {
        let Some(may) = allowed.get(krate.as_str()) else {
            wrong.push(format!(
                "{krate} is not in tests/all/layers.rs: give it its place among the layers"
            ));
            continue;
        };
        for dep in deps {
            if !may.contains(&dep.as_str()) {
                wrong.push(format!("{krate} depends on {dep}, which is not below it"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    for krate in allowed.keys() {
        assert!(
            declared.contains_key(*krate),
            "{krate} is listed but not in the workspace"
        );
    }
}

#[test]
fn the_allowed_picture_has_no_cycle() {
    // Each crate's allowed dependencies come before it in ALLOWED, so the
    // table itself is an order: nothing may use what is listed after it.
    for (i, (krate, deps)) in ALLOWED.iter().enumerate() {
        for dep in *deps {
            let at = ALLOWED.iter().position(|(k, _)| k == dep);
            assert!(
                at.is_some_and(|at| at < i),
                "{krate} may use {dep}, which is not listed before it"
            );
        }
    }
}
