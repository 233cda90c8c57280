//! Plugin invocation latency and order-workflow throughput, in memory.
//!
//! Needs the guest plugins: run `scripts/build-plugins.sh` first.
//! Targets (2-core machine): a Rust plugin call ≤ 20 µs at the median, a
//! Python plugin call ≤ 1 ms, the 4-step order workflow with Rust plugins
//! and table writes > 5,000 executions per second.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::NoHistory;
use stepyard_interpreter::task::{CallOutcome, TaskContext};
use stepyard_interpreter::{ExecutionSpec, Interpreter, Services};
use stepyard_runtime::{PluginHost, Runtime};
use stepyard_store::{KvStore, MemoryStore};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

fn context(function: &str) -> TaskContext {
    TaskContext {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:bench:e".into(),
        execution_name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".into(),
        state_name: function.into(),
        retry_count: 0,
        idempotency_key: "bench#2".into(),
        task_token: None,
        timeout_seconds: None,
    }
}

/// About 200 bytes of order JSON.
fn order() -> Value {
    json!({"order_id": "o-1", "total": 42.5, "currency": "EUR",
           "customer": {"id": "c-7", "tier": "silver", "email": "c7@example.com"},
           "items": [{"sku": "A-1", "qty": 1, "price": 30.0}, {"sku": "B-2", "qty": 2, "price": 6.25}]})
}

fn host(dir: &Path) -> (PluginHost, Arc<MemoryStore>) {
    let runtime = Runtime::new(Some(root().join(".stepyard/cache"))).expect("engine");
    let store = Arc::new(MemoryStore::new());
    let host = PluginHost::load_dir(&runtime, dir, store.clone(), store.clone());
    assert!(
        host.problems().is_empty(),
        "run scripts/build-plugins.sh first: {:?}",
        host.problems()
    );
    (host, store)
}

fn invocation(c: &mut Criterion) {
    let (rust, _) = host(&root().join("plugins/conformance"));
    let input = order();
    let ctx = context("id_function");
    assert!(matches!(
        rust.call_blocking("id_function", &input, &ctx),
        Some(CallOutcome::Ok(_))
    ));
    c.bench_function("plugin_call/rust_id_function", |b| {
        b.iter(|| rust.call_blocking("id_function", &input, &ctx))
    });

    // The same Python component twice: fresh instances, and warm reuse.
    let dir = std::env::temp_dir().join(format!("stepyard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let py = root().join("plugins/orderConfirmationPy.wasm");
    let rs = root().join("plugins/orderConfirmation.wasm");
    let role = "[role]\nStatement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n";
    for (name, wasm, reuse) in [
        ("pyFresh", &py, false),
        ("pyWarm", &py, true),
        ("rsFresh", &rs, false),
        ("rsWarm", &rs, true),
    ] {
        std::fs::copy(wasm, dir.join(format!("{name}.wasm"))).unwrap();
        std::fs::write(
            dir.join(format!("{name}.toml")),
            format!("{role}[limits]\nmemory_mb = 128\n[instance]\nreuse = {reuse}\n"),
        )
        .unwrap();
    }
    let (all, store) = host(&dir);
    store
        .put("orders", "o-1", &input.to_string(), stepyard_store::Condition::Always)
        .unwrap();
    let mut group = c.benchmark_group("plugin_call");
    group.sample_size(30).measurement_time(Duration::from_secs(5));
    for name in ["pyFresh", "pyWarm", "rsFresh", "rsWarm"] {
        let ctx = context(name);
        assert!(
            matches!(all.call_blocking(name, &input, &ctx), Some(CallOutcome::Ok(_))),
            "{name}"
        );
        group.bench_function(format!("order_confirmation_{name}"), |b| {
            b.iter(|| all.call_blocking(name, &input, &ctx))
        });
    }
    group.finish();
    languages(c);
}

/// The same handler (`stepyard plugin new`'s greeting) in each language,
/// fresh instance per call, when `STEPYARD_BENCH_LANG_DIR` names a plugin
/// folder holding them (`scripts/bench-languages.sh` builds it).
fn languages(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("STEPYARD_BENCH_LANG_DIR") else {
        return;
    };
    let (host, _store) = host(Path::new(&dir));
    host.load_all();
    let names: Vec<String> = host.plugins().map(|p| p.name.clone()).collect();
    let input = json!({"name": "Ada"});
    let mut group = c.benchmark_group("plugin_call_language");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    for name in names {
        let ctx = context(&name);
        assert!(
            matches!(host.call_blocking(&name, &input, &ctx), Some(CallOutcome::Ok(_))),
            "{name}"
        );
        group.bench_function(format!("greet_fresh_{name}"), |b| {
            b.iter(|| host.call_blocking(&name, &input, &ctx))
        });
    }
    group.finish();
}

/// Order workflow executions per second: `concurrency` executions in flight
/// on a multi-threaded runtime, each with its own order id.
fn order_throughput(c: &mut Criterion) {
    let (host, _store) = host(&root().join("plugins"));
    let registry = Arc::new(host.registry());
    let text = std::fs::read_to_string(root().join("workflows/order.asl.json")).unwrap();
    let machine = Arc::new(StateMachine::parse(&text).unwrap());
    let services = Services {
        tasks: registry,
        clock: Arc::new(ScaledClock::real()),
        history: Arc::new(NoHistory),
    };
    let interpreter = Interpreter::new(machine, services);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let mut next = 0u64;
    let mut group = c.benchmark_group("order_workflow");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for concurrency in [1usize, 64] {
        group.bench_function(format!("executions_{concurrency}_in_flight"), |b| {
            b.iter_custom(|iters| {
                let batch = iters as usize * concurrency;
                let specs: Vec<ExecutionSpec> = (0..batch)
                    .map(|_| {
                        next += 1;
                        ExecutionSpec::local(
                            "order",
                            &format!("e{next}"),
                            json!({"order_id": format!("o-{next}"), "total": 10}),
                        )
                    })
                    .collect();
                let start = Instant::now();
                rt.block_on(async {
                    let mut set = tokio::task::JoinSet::new();
                    for chunk in specs.chunks(batch.div_ceil(concurrency).max(1)) {
                        let chunk = chunk.to_vec();
                        let i = interpreter.clone();
                        set.spawn(async move {
                            for spec in &chunk {
                                let r = i.execute(spec).await;
                                assert_eq!(r.status.as_str(), "SUCCEEDED", "{:?}", r.cause);
                            }
                        });
                    }
                    while set.join_next().await.is_some() {}
                });
                // Time per execution × concurrency: criterion's "time" is then
                // the wall time of one batch of `concurrency` executions.
                start.elapsed() / concurrency as u32
            })
        });
    }
    group.finish();
}

criterion_group!(benches, invocation, order_throughput);
criterion_main!(benches);
