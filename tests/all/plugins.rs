//! Wasm plugins: the order workflow end to end, and the sandbox holding
//! against hostile plugins while other executions complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepyard_interpreter::task::TaskInvoker;
use stepyard_runtime::{CacheOutcome, PluginHost, Runtime};
use stepyard_store::{KvStore, LogStore, MemoryStore, RedbStore};

use crate::support::{plugins_dir, run_with_invoker, two_worker_runtime};

pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "stepyard-plugins-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A host on a new engine whose compile cache is `cache`.
fn load_with_cache(cache: &Path, dir: &Path, store: &Arc<MemoryStore>) -> PluginHost {
    let host = PluginHost::load_dir(
        &Runtime::new(Some(cache.to_path_buf())).unwrap(),
        dir,
        store.clone(),
        store.clone(),
    );
    host.load_all();
    host
}

/// One shared engine for the whole test binary, with a compile cache.
pub(crate) fn runtime() -> &'static Runtime {
    static RT: std::sync::OnceLock<Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| Runtime::new(Some(temp_dir("cache"))).unwrap())
}

fn load(dir: &Path, store: &Arc<MemoryStore>) -> PluginHost {
    PluginHost::load_dir(runtime(), dir, store.clone(), store.clone())
}

fn order_definition() -> String {
    let root = crate::support::repo_root();
    std::fs::read_to_string(root.join("workflows/order.asl.json")).unwrap()
}

fn order_status(store: &MemoryStore, id: &str) -> Value {
    let item = store.get("orders", id).unwrap().expect("the order is in the table");
    serde_json::from_str::<Value>(&item.value).unwrap()["status"].clone()
}

#[test]
fn the_order_workflow_writes_the_final_status_to_the_orders_table() {
    let store = Arc::new(MemoryStore::new());
    let host = load(plugins_dir(), &store);
    host.load_all();
    assert!(host.problems().is_empty(), "{:?}", host.problems());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());

    let ok = run_with_invoker(
        &order_definition(),
        json!({"order_id": "o-1", "total": 42.5}),
        tasks.clone(),
    );
    assert_eq!(ok.output()["confirmation"]["status"], "CONFIRMED");
    assert_eq!(order_status(&store, "o-1"), "CONFIRMED");

    let declined = run_with_invoker(
        &order_definition(),
        json!({"order_id": "o-2", "total": 5, "payment": {"card": "declined"}}),
        tasks.clone(),
    );
    assert_eq!(declined.error(), "OrderCancelled");
    assert_eq!(order_status(&store, "o-2"), "CANCELLED");

    // Two transient gateway timeouts, retried with backoff in virtual time.
    let flaky = run_with_invoker(
        &order_definition(),
        json!({"order_id": "o-3", "total": 5, "payment": {"flaky_attempts": 2}}),
        tasks,
    );
    assert_eq!(order_status(&store, "o-3"), "CONFIRMED");
    let failed_attempts = flaky.event_types().iter().filter(|t| *t == "TaskFailed").count();
    assert_eq!(failed_attempts, 2);

    let lines = store
        .read("arn:aws:states:us-east-1:123456789012:execution:Test:exec-1")
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.source == "paymentProcessing" && l.message == "payment captured")
    );
}

#[test]
fn a_retried_placement_does_not_write_twice() {
    let store = Arc::new(MemoryStore::new());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(load(plugins_dir(), &store).registry());
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"orderPlacement","Next":"Again"},
        "Again":{"Type":"Task","Resource":"orderPlacement","InputPath":"$$.Execution.Input","End":true}}}"#;
    // The second state is a new task (new idempotency key): the order exists.
    let out = run_with_invoker(def, json!({"order_id": "dup", "total": 1}), tasks);
    assert_eq!(out.error(), "DuplicateOrder");
    assert_eq!(store.get("orders", "dup").unwrap().unwrap().version, 1);
}

#[test]
fn a_shipment_invoked_again_with_its_key_is_the_same_shipment() {
    let store = Arc::new(MemoryStore::new());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(load(plugins_dir(), &store).registry());
    let paid = json!({"order_id": "s1", "status": "PAID"}).to_string();
    store
        .put("orders", "s1", &paid, stepyard_store::Condition::Always)
        .unwrap();
    let ship = r#"{"StartAt":"Ship","States":{"Ship":{"Type":"Task","Resource":"shippingProcess","End":true}}}"#;
    // The same execution and state: the same idempotency key, as when a
    // crash lost the first call's result.
    let first = run_with_invoker(ship, json!({"order_id": "s1"}), tasks.clone());
    let again = run_with_invoker(ship, json!({"order_id": "s1"}), tasks.clone());
    assert_eq!(first.output()["status"], "SHIPPED");
    assert_eq!(again.output(), first.output(), "the same shipment");
    assert_eq!(store.get("orders", "s1").unwrap().unwrap().version, 2, "written once");
    // Another shipment (another key) of the shipped order is refused.
    let other = r#"{"StartAt":"Wait","States":{"Wait":{"Type":"Pass","Next":"Ship"},
        "Ship":{"Type":"Task","Resource":"shippingProcess","End":true}}}"#;
    let refused = run_with_invoker(other, json!({"order_id": "s1"}), tasks);
    assert_eq!(refused.error(), "OrderNotPaid");
}

#[test]
fn the_python_plugin_serves_the_same_contract() {
    let store = Arc::new(MemoryStore::new());
    let host = load(plugins_dir(), &store);
    let mut registry = host.registry();
    registry.alias("orderConfirmation", "orderConfirmationPy");
    let out = run_with_invoker(
        &order_definition(),
        json!({"order_id": "py-1", "total": 3}),
        Arc::new(registry),
    );
    assert_eq!(out.output()["confirmation"]["status"], "CONFIRMED");
    let item: Value = serde_json::from_str(&store.get("orders", "py-1").unwrap().unwrap().value).unwrap();
    assert_eq!(item["confirmed_by"], "python");
}

/// A folder with the hostile plugin, a malformed one and a well-behaved one.
fn hostile_folder() -> PathBuf {
    let dir = temp_dir("hostile");
    let src = plugins_dir();
    for f in [
        "test/hostile.wasm",
        "test/hostile.toml",
        "conformance/id_function.wasm",
        "conformance/id_function.toml",
    ] {
        let name = Path::new(f).file_name().unwrap();
        std::fs::copy(src.join(f), dir.join(name)).unwrap();
    }
    std::fs::write(dir.join("broken.wasm"), b"\0asm\x01\0\0\0 this is not a component").unwrap();
    dir
}

#[test]
fn hostile_plugins_fail_their_tasks_while_other_executions_complete() {
    let store = Arc::new(MemoryStore::new());
    let host = load(&hostile_folder(), &store);
    host.load_all();
    let problems = host.problems();
    let broken = problems
        .iter()
        .find(|p| p.name == "broken")
        .expect("broken.wasm is reported");
    assert!(broken.path.ends_with("broken.wasm") && !broken.reason.is_empty());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());

    let attack = |a: &str| {
        let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;
        (a.to_owned(), run_with_invoker(def, json!({"attack": a}), tasks.clone()))
    };
    let good = || {
        let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"id_function","End":true}}}"#;
        run_with_invoker(def, json!({"fine": true}), tasks.clone())
    };
    let expected = [
        ("loop", "States.Timeout"),
        ("memory", "Runtime.OutOfMemory"),
        ("recursion", "Runtime.StackOverflow"),
        ("big_output", "States.DataLimitExceeded"),
        ("forbidden_table", "AccessDeniedException"),
        ("read_file", "SandboxDenied"),
        ("env", "SandboxDenied"),
        ("network", "SandboxDenied"),
    ];
    // Every attack runs on its own thread, next to well-behaved executions.
    std::thread::scope(|s| {
        let attacks: Vec<_> = expected.iter().map(|(a, _)| s.spawn(move || attack(a))).collect();
        let goods: Vec<_> = (0..4).map(|_| s.spawn(good)).collect();
        for (handle, (name, error)) in attacks.into_iter().zip(expected) {
            let (_, out) = handle.join().unwrap();
            assert_eq!(out.error(), error, "attack {name}: {:?}", out.result.cause);
        }
        for g in goods {
            assert_eq!(g.join().unwrap().output(), &json!({"fine": true}));
        }
    });
    let broken_call = run_with_invoker(
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"broken","End":true}}}"#,
        json!({}),
        tasks,
    );
    assert_eq!(broken_call.error(), "Runtime.InvalidPlugin");
    assert!(broken_call.cause().contains("broken.wasm"));
    // The denied write is in the log, and nothing was written.
    let lines = store
        .read("arn:aws:states:us-east-1:123456789012:execution:Test:exec-1")
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.source == "stepyard" && l.message.contains("not authorized to perform: dynamodb:PutItem"))
    );
    assert_eq!(store.get("payments", "p-1").unwrap(), None);
}

#[test]
fn components_compile_once_and_load_from_the_cache() {
    let cache = temp_dir("cache-once");
    let dir = temp_dir("one");
    std::fs::copy(
        plugins_dir().join("orderConfirmation.wasm"),
        dir.join("orderConfirmation.wasm"),
    )
    .unwrap();
    let store = Arc::new(MemoryStore::new());
    let first = load_with_cache(&cache, &dir, &store);
    assert_eq!(first.plugins().next().unwrap().cache, CacheOutcome::Compiled);
    let second = load_with_cache(&cache, &dir, &store);
    assert_eq!(second.plugins().next().unwrap().cache, CacheOutcome::Hit);
    // A damaged artifact is a cache miss, not an error.
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(entry.unwrap().path(), b"garbage").unwrap();
    }
    let third = load_with_cache(&cache, &dir, &store);
    assert_eq!(third.plugins().next().unwrap().cache, CacheOutcome::Compiled);
}

#[test]
fn warm_instances_are_reused_until_one_traps() {
    let dir = temp_dir("warm");
    let src = plugins_dir();
    std::fs::copy(src.join("test/hostile.wasm"), dir.join("hostile.wasm")).unwrap();
    let manifest = std::fs::read_to_string(src.join("test/hostile.toml")).unwrap();
    std::fs::write(
        dir.join("hostile.toml"),
        format!("{manifest}\n[instance]\nreuse = true\n"),
    )
    .unwrap();
    let store = Arc::new(MemoryStore::new());
    let host = load(&dir, &store);
    host.load_all();
    assert!(host.plugins().next().unwrap().manifest.reuse_instances);
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;
    for _ in 0..3 {
        assert_eq!(
            run_with_invoker(def, json!({"attack": "none"}), tasks.clone()).output(),
            &json!({"ok": true})
        );
    }
    // A trap discards the instance; the next call gets a fresh one.
    assert_eq!(
        run_with_invoker(def, json!({"attack": "loop"}), tasks.clone()).error(),
        "States.Timeout"
    );
    assert_eq!(
        run_with_invoker(def, json!({"attack": "none"}), tasks).output(),
        &json!({"ok": true})
    );
}

#[test]
fn plugins_compile_only_when_first_called() {
    let store = Arc::new(MemoryStore::new());
    let host = load(plugins_dir(), &store);
    assert_eq!(host.plugins().count(), 0, "nothing is compiled before a call");
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"orderConfirmation","End":true}}}"#;
    let out = run_with_invoker(def, json!({"order_id": "lazy"}), tasks);
    assert_eq!(out.output()["status"], "CONFIRMED");
    let loaded: Vec<&str> = host.plugins().map(|p| p.name.as_str()).collect();
    assert_eq!(loaded, ["orderConfirmation"]);
}

#[test]
fn on_a_multi_threaded_runtime_calls_run_in_place_and_limits_still_hold() {
    use stepyard_asl::definition::StateMachine;
    use stepyard_interpreter::clock::ScaledClock;
    use stepyard_interpreter::history::NoHistory;
    use stepyard_interpreter::{ExecutionSpec, Interpreter, Services};

    let store = Arc::new(MemoryStore::new());
    let host = load(&hostile_folder(), &store);
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;
    let machine = Arc::new(StateMachine::parse(def).unwrap());
    let services = Services {
        tasks,
        clock: Arc::new(ScaledClock::real()),
        history: Arc::new(NoHistory),
    };
    let interpreter = Interpreter::new(machine, services);
    let rt = two_worker_runtime();
    let (looping, fine) = rt.block_on(async {
        let spin = ExecutionSpec::local("Test", "spin", json!({"attack": "loop"}));
        let ok = ExecutionSpec::local("Test", "ok", json!({"attack": "none"}));
        let i1 = interpreter.clone();
        let i2 = interpreter.clone();
        let spin = tokio::spawn(async move { i1.execute(&spin).await });
        let ok = tokio::spawn(async move { i2.execute(&ok).await });
        (spin.await.unwrap(), ok.await.unwrap())
    });
    assert_eq!(looping.error.as_deref(), Some("States.Timeout"));
    assert_eq!(fine.output, Some(json!({"ok": true})));
}

/// Runs `definition` on `input` with the real clock of the runtime it is
/// polled on.
pub(crate) async fn run_one(
    tasks: Arc<dyn TaskInvoker>,
    definition: &str,
    input: Value,
) -> stepyard_interpreter::ExecutionResult {
    use stepyard_asl::definition::StateMachine;
    use stepyard_interpreter::clock::ScaledClock;
    use stepyard_interpreter::history::NoHistory;
    use stepyard_interpreter::{ExecutionSpec, Interpreter, Services};

    let machine = Arc::new(StateMachine::parse(definition).unwrap());
    let services = Services {
        tasks,
        clock: Arc::new(ScaledClock::real()),
        history: Arc::new(NoHistory),
    };
    let spec = ExecutionSpec::local("Test", "real", input);
    Interpreter::new(machine, services).execute(&spec).await
}

#[test]
fn a_computing_plugin_does_not_hold_a_single_threaded_runtime() {
    let store = Arc::new(MemoryStore::new());
    let host = load(&hostile_folder(), &store);
    host.load_all();
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;
    // The looping call starts first; the well-behaved one, started while it
    // runs on the runtime's only thread, still ends long before the loop's
    // one-second limit: the loop yields at every epoch tick.
    let started = Instant::now();
    let (looping, fine, fine_after) = rt.block_on(async {
        let looping = tokio::spawn(run_one(tasks.clone(), def, json!({"attack": "loop"})));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let fine = run_one(tasks.clone(), def, json!({"attack": "none"})).await;
        let fine_after = started.elapsed();
        (looping.await.unwrap(), fine, fine_after)
    });
    assert_eq!(fine.output, Some(json!({"ok": true})));
    assert!(fine_after < Duration::from_millis(600), "{fine_after:?}");
    assert_eq!(looping.error.as_deref(), Some("States.Timeout"));
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn a_sleeping_plugin_times_out_in_real_and_in_virtual_time() {
    let store = Arc::new(MemoryStore::new());
    let host = load(&plugins_dir().join("conformance"), &store);
    host.load_all();
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let def =
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"wait_60_seconds","TimeoutSeconds":1,"End":true}}}"#;
    let rt = two_worker_runtime();
    let started = Instant::now();
    let real = rt.block_on(run_one(tasks.clone(), def, json!({})));
    assert_eq!(real.error.as_deref(), Some("States.Timeout"));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // In virtual time the plugin's sleeps still take real time (and the
    // clock stands still meanwhile): its own one-second limit stops it.
    let started = Instant::now();
    let virtual_time = run_with_invoker(def, json!({}), tasks);
    assert_eq!(virtual_time.error(), "States.Timeout");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn plugins_await_their_database_writes_on_one_worker_thread() {
    let dir = temp_dir("redb");
    let store = Arc::new(RedbStore::open(dir.join("stepyard.redb")).unwrap());
    let host = PluginHost::load_dir(runtime(), plugins_dir(), store.clone(), store.clone());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    // One worker thread for sixteen executions whose plugins write to
    // tables: each write is awaited, not waited for on the thread.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let definition = order_definition();
    let results = rt.block_on(async {
        let runs: Vec<_> = (0..16)
            .map(|n| {
                let input = json!({"order_id": format!("db-{n}"), "total": 5});
                tokio::spawn({
                    let (tasks, definition) = (tasks.clone(), definition.clone());
                    async move { run_one(tasks, &definition, input).await }
                })
            })
            .collect();
        let mut out = Vec::new();
        for r in runs {
            out.push(r.await.unwrap());
        }
        out
    });
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r.status.as_str(), "SUCCEEDED", "{n}: {:?}", r.cause);
        let item = store
            .get("orders", &format!("db-{n}"))
            .unwrap()
            .expect("the order is stored");
        assert_eq!(
            serde_json::from_str::<Value>(&item.value).unwrap()["status"],
            "CONFIRMED"
        );
    }
    let lines = store
        .read("arn:aws:states:us-east-1:123456789012:execution:Test:real")
        .unwrap();
    assert!(lines.iter().any(|l| l.source == "paymentProcessing"));
}

#[test]
fn calls_abandoned_mid_flight_leave_the_host_usable() {
    let store = Arc::new(MemoryStore::new());
    let host = load(&plugins_dir().join("conformance"), &store);
    host.load_all();
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = two_worker_runtime();
    let waiting = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"wait_60_seconds","End":true}}}"#;
    let id = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"id_function","End":true}}}"#;
    // More abandoned calls than the pooling allocator has instance slots
    // (256): each dropped call must give its slot and stack back.
    rt.block_on(async {
        for _ in 0..30 {
            let calls: Vec<_> = (0..10)
                .map(|_| {
                    let call = run_one(tasks.clone(), waiting, json!({}));
                    tokio::spawn(tokio::time::timeout(Duration::from_millis(20), call))
                })
                .collect();
            for c in calls {
                assert!(c.await.unwrap().is_err(), "the call was abandoned");
            }
        }
        let fine = run_one(tasks.clone(), id, json!({"still": "fine"})).await;
        assert_eq!(fine.output, Some(json!({"still": "fine"})));
    });
}
