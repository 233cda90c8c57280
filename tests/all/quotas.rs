//! What a plugin can make the host store, and the CPU it can take: floods
//! of log lines, table writes and refused calls end with
//! `Runtime.QuotaExceeded` (or are counted and said), and spinning plugins
//! do not slow a well-behaved one beside them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepyard_interpreter::ExecutionResult;
use stepyard_interpreter::task::TaskInvoker;
use stepyard_runtime::{PluginHost, Quotas};
use stepyard_store::{KvStore, LogStore, RedbStore};

use crate::plugins::{runtime, temp_dir};
use crate::support::{plugins_dir, two_worker_runtime};

const HOSTILE: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;

/// A folder with the hostile plugin, its manifest followed by `extra`, with
/// a time limit of `timeout_seconds` (floods get a long one: a thousand
/// commits can take more than a second on a machine busy with other tests).
fn hostile_folder(timeout_seconds: u32, extra: &str) -> PathBuf {
    let dir = temp_dir("quota");
    let src = plugins_dir();
    std::fs::copy(src.join("test/hostile.wasm"), dir.join("hostile.wasm")).unwrap();
    let manifest = std::fs::read_to_string(src.join("test/hostile.toml")).unwrap();
    let manifest = manifest.replace(
        "timeout_seconds = 1\n",
        &format!("timeout_seconds = {timeout_seconds}\n"),
    );
    std::fs::write(dir.join("hostile.toml"), format!("{manifest}\n{extra}")).unwrap();
    dir
}

/// The hostile plugin over a redb store (real commits) in a new folder.
fn hostile_host(timeout_seconds: u32, extra: &str) -> (PathBuf, Arc<RedbStore>, PluginHost) {
    let dir = hostile_folder(timeout_seconds, extra);
    let store = Arc::new(RedbStore::open(dir.join("stepyard.redb")).unwrap());
    let host = PluginHost::load_dir(runtime(), &dir, store.clone(), store.clone());
    host.load_all();
    assert!(host.problems().is_empty(), "{:?}", host.problems());
    (dir, store, host)
}

/// Runs the hostile task on `input` in real time as execution `name`.
async fn attack(tasks: Arc<dyn TaskInvoker>, name: String, input: Value) -> ExecutionResult {
    use stepyard_asl::definition::StateMachine;
    use stepyard_interpreter::clock::ScaledClock;
    use stepyard_interpreter::history::NoHistory;
    use stepyard_interpreter::{ExecutionSpec, Interpreter, Services};

    let machine = Arc::new(StateMachine::parse(HOSTILE).unwrap());
    let services = Services {
        tasks,
        clock: Arc::new(ScaledClock::real()),
        history: Arc::new(NoHistory),
    };
    let spec = ExecutionSpec::local("Quotas", &name, input);
    Interpreter::new(machine, services).execute(&spec).await
}

fn execution_arn(name: &str) -> String {
    stepyard_interpreter::ExecutionSpec::local("Quotas", name, Value::Null).execution_arn
}

/// Log lines of execution `name`, once the queued ones are written.
fn lines_of(store: &RedbStore, name: &str) -> Vec<stepyard_store::LogLine> {
    // append_later lines reach the disk with the next write at the latest.
    store.put("sync", "k", "{}", stepyard_store::Condition::Always).unwrap();
    store.read(&execution_arn(name)).unwrap()
}

#[test]
fn floods_end_with_the_quota_error_while_other_executions_go_on() {
    let (dir, store, host) = hostile_host(60, "");
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = two_worker_runtime();
    let (logs, writes, denials, fine) = rt.block_on(async {
        let logs = tokio::spawn(attack(
            tasks.clone(),
            "log-flood".into(),
            json!({"attack": "log_flood", "count": 5000}),
        ));
        let writes = tokio::spawn(attack(
            tasks.clone(),
            "write-flood".into(),
            json!({"attack": "write_flood", "count": 5000}),
        ));
        let denials = tokio::spawn(attack(
            tasks.clone(),
            "denial-flood".into(),
            json!({"attack": "denial_flood", "count": 5000}),
        ));
        let mut fine = Vec::new();
        for i in 0..4 {
            let input = json!({"attack": "small_writes", "count": 20, "tag": format!("fine{i}")});
            fine.push(attack(tasks.clone(), format!("fine-{i}"), input).await);
        }
        (logs.await.unwrap(), writes.await.unwrap(), denials.await.unwrap(), fine)
    });
    for f in &fine {
        assert_eq!(f.output, Some(json!({"written": 20})), "{:?}", f.cause);
    }

    // The log flood: stopped at its quota (1 MiB of lines per call; each
    // 256 KiB field is cut to 1 KiB first).
    assert_eq!(logs.error.as_deref(), Some("Runtime.QuotaExceeded"));
    let cause = logs.cause.clone().unwrap_or_default();
    assert!(
        cause.contains("plugin 'hostile'") && cause.contains("quotas.log_kb_per_call"),
        "{cause}"
    );
    let lines = lines_of(&store, "log-flood");
    let plugin_lines: Vec<_> = lines.iter().filter(|l| l.source == "hostile").collect();
    assert!((900..=1000).contains(&plugin_lines.len()), "{}", plugin_lines.len());
    let stored: usize = plugin_lines
        .iter()
        .map(|l| l.message.len() + l.fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>())
        .sum();
    assert!(stored <= 1 << 20, "{stored} bytes of lines kept");
    assert!(plugin_lines[0].fields[0].1.len() < 1100, "a field is capped");
    // The host's own line saying why is kept, past the plugin's quota.
    assert!(
        lines
            .iter()
            .any(|l| l.source == "stepyard" && l.message.starts_with("Runtime.QuotaExceeded")),
        "{:?}",
        lines.last()
    );

    // The write flood: the first 1,000 writes are stored, then the call stops.
    assert_eq!(writes.error.as_deref(), Some("Runtime.QuotaExceeded"));
    let cause = writes.cause.unwrap_or_default();
    assert!(
        cause.contains("quota of 1000 table writes per call") && cause.contains("quotas.table_writes_per_call"),
        "{cause}"
    );
    let flood = store.query("scratch", "flood-", None, 1000).unwrap();
    assert_eq!(flood.items.len(), 1000);
    assert!(flood.next.is_none() || store.get("scratch", "flood-1000").unwrap().is_none());

    // The refused calls: the first 100 are logged (and audited), the rest
    // counted and said once.
    assert_eq!(denials.output, Some(json!({"tried": 5000})));
    let lines = lines_of(&store, "denial-flood");
    let denied = lines.iter().filter(|l| l.message.starts_with("AccessDenied")).count();
    assert_eq!(denied, 100);
    assert!(
        lines
            .iter()
            .any(|l| l.message.starts_with("4900 more access denials of plugin 'hostile'")),
        "{:?}",
        lines.last()
    );

    // The data directory stays small: about 1 MiB of log lines were kept,
    // not the 1.3 GB the plugin sent.
    let size = std::fs::metadata(dir.join("stepyard.redb")).unwrap().len();
    assert!(size < 64 << 20, "the database grew to {size} bytes");
}

#[test]
fn a_manifest_lowers_its_quotas_and_raises_them_only_under_the_operators_ceiling() {
    let (_dir, store, host) = hostile_host(60, "[quotas]\nlog_lines_per_call = 10\n");
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = two_worker_runtime();
    let out = rt.block_on(attack(
        tasks.clone(),
        "ten".into(),
        json!({"attack": "log_flood", "count": 10}),
    ));
    assert_eq!(out.output, Some(json!({"logged": 10})), "{:?}", out.cause);
    let out = rt.block_on(attack(
        tasks,
        "eleven".into(),
        json!({"attack": "log_flood", "count": 11}),
    ));
    assert_eq!(out.error.as_deref(), Some("Runtime.QuotaExceeded"));
    assert!(
        out.cause
            .as_deref()
            .unwrap_or_default()
            .contains("quota of 10 log lines per call"),
        "{:?}",
        out.cause
    );
    assert_eq!(
        lines_of(&store, "eleven")
            .iter()
            .filter(|l| l.source == "hostile")
            .count(),
        10
    );

    // Raising a quota past the host's ceiling is refused when it loads…
    let raised = "[quotas]\ntable_writes_per_call = 5000\n";
    let dir = hostile_folder(60, raised);
    let store = Arc::new(RedbStore::open(dir.join("stepyard.redb")).unwrap());
    let host = PluginHost::load_dir(runtime(), &dir, store.clone(), store.clone());
    host.load_all();
    let problem = &host.problems()[0];
    assert!(
        problem
            .reason
            .contains("table_writes_per_call = 5000 exceeds the host's ceiling of 1000"),
        "{problem}"
    );
    // …and taken once the operator raised it.
    let ceiling = Quotas::parse_list("table_writes_per_call=10000").unwrap();
    let raised_runtime = runtime().clone().with_quota_ceiling(ceiling);
    let host = PluginHost::load_dir(&raised_runtime, &dir, store.clone(), store.clone());
    host.load_all();
    assert!(host.problems().is_empty(), "{:?}", host.problems());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let out = rt.block_on(attack(
        tasks,
        "raised".into(),
        json!({"attack": "write_flood", "count": 1500}),
    ));
    assert_eq!(out.output, Some(json!({"written": 1500})), "{:?}", out.cause);
}

/// The well-behaved call's time: 300 small table writes, each awaiting
/// its commit, as execution `name`.
async fn small_writes(tasks: &Arc<dyn TaskInvoker>, name: &str) -> Duration {
    let started = Instant::now();
    let out = attack(
        tasks.clone(),
        name.to_owned(),
        json!({"attack": "small_writes", "count": 300, "tag": name}),
    )
    .await;
    assert_eq!(out.output, Some(json!({"written": 300})), "{name}: {:?}", out.cause);
    started.elapsed()
}

/// Times the well-behaved call alone and beside three spinners, on `rt`;
/// the best of three each, so a moment of load on the machine does not
/// decide.
fn alone_and_beside_spinners(
    rt: &tokio::runtime::Runtime,
    tasks: &Arc<dyn TaskInvoker>,
    tag: &str,
) -> (Duration, Duration) {
    rt.block_on(async {
        let mut alone = Duration::MAX;
        let mut beside = Duration::MAX;
        for round in 0..3 {
            alone = alone.min(small_writes(tasks, &format!("{tag}-alone-{round}")).await);
            let spinners: Vec<_> = (0..3)
                .map(|i| {
                    let name = format!("{tag}-spin-{round}-{i}");
                    tokio::spawn(attack(tasks.clone(), name, json!({"attack": "loop"})))
                })
                .collect();
            // Let the spinners get going (they spin until their 1 s limit).
            tokio::time::sleep(Duration::from_millis(100)).await;
            beside = beside.min(small_writes(tasks, &format!("{tag}-beside-{round}")).await);
            for s in spinners {
                assert_eq!(s.await.unwrap().error.as_deref(), Some("States.Timeout"));
            }
        }
        (alone, beside)
    })
}

#[test]
fn spinning_plugins_do_not_slow_a_well_behaved_one() {
    let (_dir, _store, host) = hostile_host(1, "");
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    // As in `run` (one thread for the interpreter and the store) and as
    // in `serve` (two workers on this machine).
    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (rt, tag) in [(&one_thread, "one-thread"), (&two_worker_runtime(), "two-workers")] {
        let (alone, beside) = alone_and_beside_spinners(rt, &tasks, tag);
        eprintln!("{tag}: 300 writes {alone:?} alone, {beside:?} beside three spinners");
        assert!(
            beside <= alone * 2,
            "{tag}: 300 writes took {alone:?} alone and {beside:?} beside three spinners"
        );
    }
}

#[test]
fn a_computing_plugin_that_then_sleeps_does_not_keep_its_turn() {
    let (_dir, _store, host) = hostile_host(10, "");
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let rt = two_worker_runtime();
    // About a tenth of a second of computing: long enough to need turns.
    let work = json!({"attack": "compute", "count": 100_000_000u64});
    let (alone, beside) = rt.block_on(async {
        let started = Instant::now();
        let out = attack(tasks.clone(), "compute-alone".into(), work.clone()).await;
        assert!(out.output.is_some(), "{:?} {:?}", out.error, out.cause);
        let alone = started.elapsed();
        // Another guest computes (taking turns), then sleeps three seconds
        // in the host: its turn must not be kept through the sleep.
        let sleeper = tokio::spawn(attack(
            tasks.clone(),
            "sleeper".into(),
            json!({"attack": "compute_then_sleep", "count": 100_000_000u64}),
        ));
        tokio::time::sleep(alone + Duration::from_millis(200)).await;
        let started = Instant::now();
        let out = attack(tasks.clone(), "compute-beside".into(), work).await;
        assert!(out.output.is_some(), "{:?} {:?}", out.error, out.cause);
        let beside = started.elapsed();
        assert!(sleeper.await.unwrap().output.is_some());
        (alone, beside)
    });
    eprintln!("{alone:?} alone, {beside:?} beside a sleeping guest that had a turn");
    assert!(
        beside < alone * 3 + Duration::from_millis(500),
        "{alone:?} alone, {beside:?} beside a sleeping guest that had a turn"
    );
}

#[test]
fn a_cpu_limit_stops_a_computing_plugin_before_its_time_limit() {
    let dir = hostile_folder(1, "");
    // The same plugin with a CPU limit of 0.2 s under a 1 s time limit.
    let manifest = std::fs::read_to_string(dir.join("hostile.toml"))
        .unwrap()
        .replace("timeout_seconds = 1", "timeout_seconds = 1\ncpu_seconds = 0.2");
    std::fs::write(dir.join("hostile.toml"), manifest).unwrap();
    let store = Arc::new(RedbStore::open(dir.join("stepyard.redb")).unwrap());
    let host = PluginHost::load_dir(runtime(), &dir, store.clone(), store.clone());
    host.load_all();
    assert!(host.problems().is_empty(), "{:?}", host.problems());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
    let started = Instant::now();
    let out = two_worker_runtime().block_on(attack(tasks, "cpu".into(), json!({"attack": "loop"})));
    assert_eq!(out.error.as_deref(), Some("States.Timeout"));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    // States.Timeout carries no cause (as on AWS); the host's log line says why.
    let lines = lines_of(&store, "cpu");
    assert!(
        lines
            .iter()
            .any(|l| l.message.contains("computed for longer than its CPU limit of 200 ms")),
        "{lines:?}"
    );
}
