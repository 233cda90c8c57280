//! `stepyard plugin new` → `plugin build` → `plugin check` → the project's
//! own test suite and `invoke`, for every language, from a clean folder
//! (the toolchains are installed on first use, under target/toolchains).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::plugins::temp_dir;
use crate::support::repo_root;

fn stepyard(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepyard"));
    c.arg("--cache").arg(cache);
    // Toolchains are kept between test runs; the Rust build shares the
    // repository's plugin target folder (same SDK dependencies).
    c.env("STEPYARD_TOOLCHAINS", repo_root().join("target/toolchains"));
    c.env("CARGO_TARGET_DIR", repo_root().join("plugins/target"));
    c
}

fn ok(output: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Scaffolds, builds, checks, tests and invokes plugin `name` in `lang`.
fn round_trip(lang: &str, name: &str) {
    let work = temp_dir(&format!("scaffold-{lang}"));
    let cache = work.join("cache");
    let project: PathBuf = work.join(name);
    ok(
        stepyard(&cache)
            .args(["plugin", "new", name, "--lang", lang, "--dir"])
            .arg(&project)
            .output()
            .unwrap(),
        "plugin new",
    );
    for file in [
        format!("{name}.toml"),
        format!("{name}.test.yaml"),
        "README.md".into(),
        "wit/plugin.wit".into(),
    ] {
        assert!(project.join(&file).is_file(), "{lang}: {file} is missing");
    }
    let built = stepyard(&cache)
        .args(["plugin", "build"])
        .arg(&project)
        .output()
        .unwrap();
    ok(built, &format!("{lang}: plugin build"));
    let dist = project.join("dist");
    let wasm = dist.join(format!("{name}.wasm"));
    assert!(wasm.is_file() && dist.join(format!("{name}.toml")).is_file());

    // The scaffold's role grants what its handler uses, and nothing more.
    let report: Value = serde_json::from_str(&ok(
        stepyard(&cache)
            .args(["plugin", "check", "--json"])
            .arg(&wasm)
            .output()
            .unwrap(),
        "plugin check",
    ))
    .unwrap();
    assert_eq!(report["ok"], true, "{lang}: {report}");
    let calls = report["hostCalls"].to_string();
    assert!(
        calls.contains("kv.get") && calls.contains("kv.put") && calls.contains("log.log"),
        "{lang}: {calls}"
    );

    // The project's own suite runs the real plugin.
    ok(
        stepyard(&cache)
            .arg("--plugins")
            .arg(&dist)
            .arg("test")
            .arg(&project)
            .output()
            .unwrap(),
        &format!("{lang}: stepyard test"),
    );
    let invoked: Value = serde_json::from_str(&ok(
        stepyard(&cache)
            .arg("--plugins")
            .arg(&dist)
            .args(["invoke", name, "--input", r#"{"name": "Ada"}"#, "--json"])
            .output()
            .unwrap(),
        "invoke",
    ))
    .unwrap();
    assert_eq!(
        invoked["result"],
        json!({"message": "Hello, Ada!", "greetings": 1}),
        "{lang}: {invoked}"
    );
    assert_eq!(invoked["logs"][0]["message"], "greeted", "{lang}: {invoked}");

    // Nothing changed: the second build is skipped.
    let again = stepyard(&cache)
        .args(["plugin", "build"])
        .arg(&project)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    ok(again, "second build");
    assert!(said.contains("is up to date"), "{lang}: {said}");
}

#[test]
fn a_rust_plugin_from_scaffold_to_invocation() {
    round_trip("rust", "greetRust");
}

#[test]
fn a_python_plugin_from_scaffold_to_invocation() {
    round_trip("python", "greetPython");
}

#[test]
fn javascript_and_typescript_plugins_from_scaffold_to_invocation() {
    round_trip("js", "greetJs");
    round_trip("ts", "greetTs");
}

#[test]
fn a_folder_that_is_not_a_project_is_refused_with_its_path() {
    let work = temp_dir("not-a-project");
    let out = stepyard(&work.join("cache"))
        .args(["plugin", "build"])
        .arg(&work)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("is not a plugin project") && said.contains(&*work.to_string_lossy()),
        "{said}"
    );
    let taken = temp_dir("taken");
    std::fs::write(taken.join("x"), "").unwrap();
    let out = stepyard(&work.join("cache"))
        .args(["plugin", "new", "greet", "--dir"])
        .arg(&taken)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists and is not empty"));
}

/// `value` with every number as a float: Rust writes `5.0` where
/// JavaScript writes `5`, the same JSON number.
fn numbers_as_floats(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_floats).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), numbers_as_floats(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_order_workflow_runs_on_javascript_plugins_as_on_rust_ones() {
    same_as_rust("plugins/js/order");
}

#[test]
fn the_order_workflow_runs_on_python_plugins_as_on_rust_ones() {
    same_as_rust("plugins/python/order");
}

/// Builds the order plugins of `project` (another language) and runs the
/// order workflow on them and on the Rust plugins: outputs, events, ids and
/// table items must be the same.
fn same_as_rust(project: &str) {
    use std::sync::Arc;
    use stepyard_runtime::PluginHost;
    use stepyard_store::{KvStore, MemoryStore};

    let work = temp_dir("order-language");
    let dist = work.join("dist");
    let project = repo_root().join(project);
    ok(
        stepyard(&work.join("cache"))
            .args(["plugin", "build"])
            .arg(&project)
            .arg("--out")
            .arg(&dist)
            .output()
            .unwrap(),
        "plugin build",
    );
    let lambdas: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(project.join("lambdas.json")).unwrap()).unwrap();
    let definition = std::fs::read_to_string(repo_root().join("workflows/order.asl.json")).unwrap();
    let inputs = [
        json!({"order_id": "o-1", "total": 42.5, "items": [{"sku": "A-1", "qty": 2}]}),
        json!({"order_id": "o-2", "total": 5, "payment": {"card": "declined"}}),
        json!({"order_id": "o-3", "total": 5, "payment": {"flaky_attempts": 2}}),
        json!({"order_id": "o-4", "total": -1}),
    ];
    // Each language on tables of its own; the same execution name, so the
    // same idempotency keys (and so the same payment ids and tracking numbers).
    let run_all = |dir: &Path, aliases: &[(&String, &String)]| {
        let store = Arc::new(MemoryStore::new());
        let host = PluginHost::load_dir(crate::plugins::runtime(), dir, store.clone(), store.clone());
        host.load_all();
        assert!(host.problems().is_empty(), "{:?}", host.problems());
        let mut registry = host.registry();
        for (function, plugin) in aliases {
            registry.alias((*function).clone(), (*plugin).clone());
        }
        let registry = Arc::new(registry);
        let outcomes: Vec<Value> = inputs
            .iter()
            .map(|input| {
                let out = crate::support::run_with_invoker(&definition, input.clone(), registry.clone());
                // A Lambda error's cause carries a random requestId.
                let cause = match out.result.cause.as_deref().map(serde_json::from_str::<Value>) {
                    Some(Ok(Value::Object(mut fields))) => {
                        fields.remove("requestId");
                        Value::Object(fields)
                    }
                    _ => json!(out.result.cause),
                };
                json!({"output": out.result.output, "error": out.result.error, "cause": cause,
                       "events": out.event_types()})
            })
            .collect();
        let items: Vec<Value> = ["o-1", "o-2", "o-3"]
            .iter()
            .map(|id| serde_json::from_str(&store.get("orders", id).unwrap().unwrap().value).unwrap())
            .collect();
        (numbers_as_floats(&json!(outcomes)), numbers_as_floats(&json!(items)))
    };
    let other = run_all(&dist, &lambdas.iter().collect::<Vec<_>>());
    let rust = run_all(crate::support::plugins_dir(), &[]);
    assert_eq!(other.0, rust.0, "the executions differ");
    assert_eq!(other.1, rust.1, "the orders table differs");
    assert_eq!(other.1[0]["status"], "CONFIRMED");
    assert_eq!(other.1[1]["status"], "CANCELLED");
}
