//! Plugin calls under load: more calls than the instance pool has slots
//! wait for one instead of failing their tasks, and idle warm instances
//! never take the slots calls need.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepyard_interpreter::task::TaskInvoker;
use stepyard_runtime::{CALL_SLOTS, IDLE_SLOTS, PluginHost, Runtime};
use stepyard_store::{KvStore, MemoryStore};

use crate::plugins::{run_one, runtime, temp_dir};
use crate::support::{plugins_dir, two_worker_runtime};

/// A table store whose writes wait at a gate until it opens, counting the
/// writers that reached it.
struct GatedTables {
    inner: MemoryStore,
    open: tokio::sync::watch::Receiver<bool>,
    arrived: std::sync::atomic::AtomicUsize,
}

impl GatedTables {
    /// A store whose gate is `open` at first, and the gate's handle.
    fn new(open: bool) -> (tokio::sync::watch::Sender<bool>, Arc<GatedTables>) {
        let (gate, receiver) = tokio::sync::watch::channel(open);
        let tables = GatedTables {
            inner: MemoryStore::new(),
            open: receiver,
            arrived: Default::default(),
        };
        (gate, Arc::new(tables))
    }
}

impl KvStore for GatedTables {
    fn get(&self, table: &str, key: &str) -> Result<Option<stepyard_store::Item>, stepyard_store::StoreError> {
        self.inner.get(table, key)
    }
    fn put(
        &self,
        table: &str,
        key: &str,
        value: &str,
        condition: stepyard_store::Condition,
    ) -> Result<u64, stepyard_store::StoreError> {
        self.inner.put(table, key, value, condition)
    }
    fn update(
        &self,
        table: &str,
        key: &str,
        changes: &serde_json::Map<String, Value>,
    ) -> Result<stepyard_store::Item, stepyard_store::StoreError> {
        self.inner.update(table, key, changes)
    }
    fn delete(&self, table: &str, key: &str) -> Result<bool, stepyard_store::StoreError> {
        self.inner.delete(table, key)
    }
    fn put_async(
        &self,
        table: &str,
        key: &str,
        value: &str,
        condition: stepyard_store::Condition,
    ) -> stepyard_interpreter::clock::BoxFuture<'_, Result<u64, stepyard_store::StoreError>> {
        let (table, key, value) = (table.to_owned(), key.to_owned(), value.to_owned());
        let mut open = self.open.clone();
        Box::pin(async move {
            self.arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = open.wait_for(|open| *open).await;
            self.inner.put(&table, &key, &value, condition)
        })
    }
    fn query(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<stepyard_store::Page, stepyard_store::StoreError> {
        self.inner.query(table, prefix, start_after, limit)
    }
    fn tables(&self) -> Result<Vec<String>, stepyard_store::StoreError> {
        self.inner.tables()
    }
}

#[test]
fn calls_beyond_the_instance_slots_wait_for_one_instead_of_failing() {
    use std::sync::atomic::Ordering;

    let (gate, tables) = GatedTables::new(false);
    let logs = Arc::new(MemoryStore::new());
    let host = PluginHost::load_dir(runtime(), plugins_dir(), tables.clone(), logs);
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    // No Retry: a call that failed for want of an instance would fail the
    // execution.
    let place = r#"{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orderPlacement","End":true}}}"#;
    let rt = two_worker_runtime();
    let calls = stepyard_runtime::CALL_SLOTS + 40;
    let results = rt.block_on(async {
        let runs: Vec<_> = (0..calls)
            .map(|n| {
                let input = json!({"order_id": format!("burst-{n}"), "total": 1});
                tokio::spawn(run_one(tasks.clone(), place, input))
            })
            .collect();
        // Every slot ends up held by a call waiting at the gate; the rest
        // wait for a slot, not at the gate.
        let deadline = Instant::now() + Duration::from_secs(60);
        while tables.arrived.load(Ordering::SeqCst) < stepyard_runtime::CALL_SLOTS && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let held = tables.arrived.load(Ordering::SeqCst);
        gate.send_replace(true);
        let mut out = Vec::new();
        for r in runs {
            out.push(r.await.unwrap());
        }
        (held, out)
    });
    let (held, results) = results;
    assert_eq!(held, stepyard_runtime::CALL_SLOTS, "calls holding an instance at once");
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r.status.as_str(), "SUCCEEDED", "{n}: {:?} {:?}", r.error, r.cause);
    }
    assert_eq!(tables.arrived.load(Ordering::SeqCst), calls);
}

/// Runs `calls` executions of a one-task machine on `function` at once,
/// their table writes held at `tables`' gate until all `calls` have
/// reached it (or a minute passed); returns how many had, and the results.
fn burst(
    rt: &tokio::runtime::Runtime,
    tasks: &Arc<dyn TaskInvoker>,
    tables: &GatedTables,
    gate: &tokio::sync::watch::Sender<bool>,
    function: &str,
    calls: usize,
) -> (usize, Vec<stepyard_interpreter::ExecutionResult>) {
    use std::sync::atomic::Ordering;

    let definition =
        format!(r#"{{"StartAt":"P","States":{{"P":{{"Type":"Task","Resource":"{function}","End":true}}}}}}"#);
    gate.send_replace(false);
    let before = tables.arrived.load(Ordering::SeqCst);
    rt.block_on(async {
        let runs: Vec<_> = (0..calls)
            .map(|n| {
                let (tasks, definition) = (tasks.clone(), definition.clone());
                let input = json!({"order_id": format!("{function}-{n}"), "total": 1});
                tokio::spawn(async move { run_one(tasks, &definition, input).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while tables.arrived.load(Ordering::SeqCst) - before < calls && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let held = tables.arrived.load(Ordering::SeqCst) - before;
        gate.send_replace(true);
        let mut out = Vec::new();
        for r in runs {
            out.push(r.await.unwrap());
        }
        (held, out)
    })
}

#[test]
fn idle_warm_instances_never_take_the_slots_a_burst_of_calls_needs() {
    // Five plugins that keep warm instances (8 each would be 40 idle) and
    // one that does not, all the orderPlacement component.
    let dir = temp_dir("idle-slots");
    let src = plugins_dir();
    let manifest = std::fs::read_to_string(src.join("orderPlacement.toml"))
        .unwrap()
        .replace("[instance]\nreuse = true\n", "");
    let warm: Vec<String> = (1..=5).map(|n| format!("warm{n}")).collect();
    for name in warm.iter().map(String::as_str).chain(["cold"]) {
        std::fs::copy(src.join("orderPlacement.wasm"), dir.join(format!("{name}.wasm"))).unwrap();
        let mut text = manifest.replace("orderPlacement", name);
        if name != "cold" {
            text.push_str("\n[instance]\nreuse = true\n");
        }
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    }
    let (gate, tables) = GatedTables::new(true);
    // A runtime of its own: its idle instances are this test's alone.
    let runtime = Runtime::new(Some(temp_dir("idle-slots-cache"))).unwrap();
    let host = PluginHost::load_dir(&runtime, &dir, tables.clone(), Arc::new(MemoryStore::new()));
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = two_worker_runtime();

    // Eight calls at once of each warm plugin: 40 instances to keep, room
    // for IDLE_SLOTS of them.
    for name in &warm {
        let (held, results) = burst(&rt, &tasks, &tables, &gate, name, 8);
        assert_eq!(held, 8);
        assert!(results.iter().all(|r| r.status.as_str() == "SUCCEEDED"));
    }
    assert_eq!(runtime.idle_instances(), IDLE_SLOTS);

    // Every call slot held at once by the other plugin: the pool has an
    // instance for each (40 idle ones would have left it 8 short).
    let (held, results) = burst(&rt, &tasks, &tables, &gate, "cold", CALL_SLOTS);
    assert_eq!(held, CALL_SLOTS, "calls holding an instance at once");
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r.status.as_str(), "SUCCEEDED", "{n}: {:?} {:?}", r.error, r.cause);
    }
    // The warm instances are still there for their plugins.
    assert_eq!(runtime.idle_instances(), IDLE_SLOTS);
}
