//! Durable throughput of `stepyard serve`: the real server in-process (the
//! JSON 1.0 API over HTTP, the redb store on a real file with fsync, the
//! order workflow's Wasm plugins), driven over keep-alive connections.
//!
//! ```sh
//! STEPYARD_PLUGINS=/path/to/plugins cargo bench --bench serve
//! ```
//!
//! Settings (environment):
//! - `STEPYARD_PLUGINS`: the plugin folder (default `<repo>/plugins`, built
//!   with `scripts/build-plugins.sh` when the order plugins are missing);
//! - `STEPYARD_CACHE`: the compiled-plugin cache (default `<repo>/.stepyard/cache`);
//! - `BENCH_EXECUTIONS` (default 4000): StartExecution requests measured;
//! - `BENCH_CONNECTIONS` (default 8): concurrent keep-alive connections;
//! - `BENCH_RATE` (default: none): offer StartExecution requests at this
//!   many per second (open loop; latency counts from each request's due
//!   time) instead of sending each as soon as a connection is free;
//! - `BENCH_WARMUP` (default 200): executions run (and waited for) first;
//! - `BENCH_RESTART=1`: after the warm-up, stop the server and start it
//!   again on the same database (a long-lived server's usual state: its
//!   page logs have their blocks; use a warm-up of about 1,600 to fill
//!   them, 2 × 64 MB);
//! - `BENCH_STORE=memory`: redb's in-memory backend instead of the file, to
//!   see what the disk costs (not a durable figure);
//! - `BENCH_OBSERVE=0`: no metrics and no per-attempt usage (as `serve
//!   --no-metrics --no-usage`), to see what observing costs; on by
//!   default, as `serve` runs.
//! - `BENCH_AUDIT=0`: no audit trail (as `serve --no-audit`), to see what
//!   recording every call costs.
//! - `BENCH_RETENTION=SECONDS`: closed executions expire this long after
//!   they end (as `serve --execution-retention`; expiry runs every minute),
//!   to see the file stop growing once expiry frees pages as fast as new
//!   executions use them.
//!
//! Targets (2-core machine): ≥ 2,000 durable order executions per second,
//! p99 StartExecution latency < 5 ms.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepyard_api::Api;
use stepyard_console::router;
use stepyard_interpreter::clock::{Clock, ScaledClock};
use stepyard_metrics::Metrics;
use stepyard_runtime::{PluginFolder, Runtime};
use stepyard_service::Service;
use stepyard_service::audit::AuditSettings;
use stepyard_store::{AuditLog, CommitStats, RedbStore, SLOW_BATCH};

/// The allocator the `stepyard` binary uses, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "serve/client.rs"]
mod client;
#[path = "serve/measure.rs"]
mod measure;
/// The binary's own process settings, so the figures are the server's.
#[path = "../src/process.rs"]
mod process;

use client::Connection;
use measure::{Usage, fsync_probe, millis, num_cpus, percentile};

const ROLE: &str = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole";
/// The plugins the order workflow calls on its success path.
const ORDER_PLUGINS: [&str; 4] = [
    "orderPlacement",
    "paymentProcessing",
    "shippingProcess",
    "orderConfirmation",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got '{v}'")),
        Err(_) => default,
    }
}

/// The plugin folder; the default one is built when the order plugins are
/// missing from it.
fn plugins_dir() -> PathBuf {
    let dir = std::env::var_os("STEPYARD_PLUGINS").map_or_else(|| root().join("plugins"), PathBuf::from);
    let missing = |d: &Path| ORDER_PLUGINS.iter().any(|p| !d.join(format!("{p}.wasm")).is_file());
    if missing(&dir) {
        assert!(
            std::env::var_os("STEPYARD_PLUGINS").is_none(),
            "STEPYARD_PLUGINS={} lacks the order plugins ({ORDER_PLUGINS:?})",
            dir.display()
        );
        let status = std::process::Command::new(root().join("scripts/build-plugins.sh"))
            .env("STEPYARD_SKIP_PYTHON", "1")
            .status()
            .expect("running scripts/build-plugins.sh");
        assert!(status.success() && !missing(&dir), "scripts/build-plugins.sh failed");
    }
    dir
}

/// The server: service, store and plugins on a multi-threaded runtime of
/// its own (as `stepyard serve` runs them).
struct Server {
    runtime: tokio::runtime::Runtime,
    service: Arc<Service>,
    store: Arc<RedbStore>,
    clock: Arc<ScaledClock>,
    addr: std::net::SocketAddr,
    dir: PathBuf,
}

impl Server {
    fn start(plugins: PathBuf, cache: PathBuf, durable: bool) -> Server {
        let dir = std::env::temp_dir().join(format!("stepyard-bench-serve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the bench directory");
        Server::start_in(dir, plugins, cache, durable)
    }

    /// Starts on the database in `dir` (made or reopened).
    fn start_in(dir: PathBuf, plugins: PathBuf, cache: PathBuf, durable: bool) -> Server {
        let store = if durable {
            RedbStore::open(dir.join("stepyard.redb"))
        } else {
            RedbStore::in_memory()
        };
        let store = Arc::new(store.expect("the store opens"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("the server runtime starts");
        let observe = std::env::var("BENCH_OBSERVE").map_or(true, |v| v != "0");
        let metrics = observe.then(|| Arc::new(Metrics::new()));
        let mut plugin_runtime = Runtime::new(Some(cache))
            .expect("the plugin engine starts")
            .with_usage(observe);
        if let Some(metrics) = &metrics {
            plugin_runtime = plugin_runtime.with_metrics(metrics.clone());
        }
        // As `serve` does: every call recorded, unless BENCH_AUDIT=0.
        let audit = std::env::var("BENCH_AUDIT")
            .map_or(true, |v| v != "0")
            .then(AuditSettings::default);
        let folder = Arc::new(PluginFolder::new_audited(
            plugin_runtime,
            plugins,
            store.clone(),
            store.clone(),
            audit.map(|_| store.clone() as Arc<dyn AuditLog>),
        ));
        let problems = folder.host().problems().to_vec();
        assert!(problems.is_empty(), "plugins not loaded: {problems:?}");
        let (service, clock, addr) = runtime.block_on(async {
            let clock = Arc::new(ScaledClock::real());
            let mut service = Service::new(store.clone(), folder, clock.clone()).with_audit(audit);
            let mut api_metrics = None;
            if let Some(metrics) = metrics {
                service = service.with_metrics(metrics.clone());
                api_metrics = Some(metrics);
            }
            let service = Arc::new(service);
            service.keep_metrics(stepyard_service::DEFAULT_METRICS_RETENTION);
            if let Some(seconds) = std::env::var("BENCH_RETENTION").ok().and_then(|s| s.parse().ok()) {
                service.keep_executions(std::time::Duration::from_secs(seconds));
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("an address");
            let mut api = Api::new(service.clone(), None);
            if let Some(metrics) = api_metrics {
                api = api.with_metrics(metrics);
            }
            let app = router(Arc::new(api)).into_make_service_with_connect_info::<std::net::SocketAddr>();
            tokio::spawn(async move { axum::serve(listener, app).await });
            (service, clock, addr)
        });
        Server {
            runtime,
            service,
            store,
            clock,
            addr,
            dir,
        }
    }

    /// Epoch milliseconds on the service's clock.
    fn now_millis(&self) -> i64 {
        let _guard = self.runtime.enter();
        self.clock.now().timestamp_millis()
    }

    /// Stops, keeping the database.
    fn shut_down(self) -> PathBuf {
        self.service.suspend_all();
        self.runtime.shutdown_timeout(Duration::from_millis(500));
        self.store.close();
        self.dir
    }

    fn stop(self) {
        let dir = self.shut_down();
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// What one round of StartExecution requests gave.
struct Round {
    arns: Vec<String>,
    latencies: Vec<Duration>,
    /// Service clock (epoch ms) when the first request went out.
    first_millis: i64,
    started: Instant,
    /// Wall time of the requests alone.
    requests: Duration,
}

/// Sends `count` StartExecution requests over `connections` connections:
/// each as soon as a connection is free, or, with a `rate`, request `i` at
/// `i / rate` seconds (an open loop: its latency counts from then, so a
/// server that falls behind is not hidden by the client slowing down).
async fn start_round(
    server: &Server,
    machine: &str,
    tag: &str,
    count: usize,
    connections: usize,
    rate: Option<f64>,
) -> Round {
    let mut conns = Vec::new();
    for _ in 0..connections {
        conns.push(Connection::open(server.addr).await.expect("connect"));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let first_millis = server.now_millis();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for mut conn in conns {
        let (next, machine, tag) = (next.clone(), machine.to_owned(), tag.to_owned());
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return out;
                }
                // The request as text, straight (names are plain ASCII:
                // nothing to escape but the input's quotes).
                let input = format!(
                    r#"{{"order_id":"{tag}-{i}","total":42.5,"currency":"EUR","customer":{{"id":"c-7","tier":"silver"}},"items":[{{"sku":"A-1","qty":1,"price":30.0}},{{"sku":"B-2","qty":2,"price":6.25}}]}}"#
                );
                let request = format!(
                    r#"{{"stateMachineArn":"{machine}","name":"{tag}-{i}","input":"{}"}}"#,
                    input.replace('"', "\\\"")
                );
                let sent = match rate {
                    Some(rate) => {
                        let due = started + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let (status, answer): (u16, Value) = conn.call_text("StartExecution", &request).await.expect("the connection works");
                let latency = sent.elapsed();
                assert_eq!(status, 200, "StartExecution failed: {answer}");
                out.push((i, answer["executionArn"].as_str().unwrap().to_owned(), latency));
            }
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        all.extend(done.expect("a client task"));
    }
    let requests = started.elapsed();
    all.sort_by_key(|(i, _, _)| *i);
    Round {
        arns: all.iter().map(|(_, a, _)| a.clone()).collect(),
        latencies: all.iter().map(|(_, _, l)| *l).collect(),
        first_millis,
        started,
        requests,
    }
}

/// Waits until every execution of `arns` has ended, newest first (the
/// newest end last, so this polls about one execution at a time while they
/// run). Returns each one's DescribeExecution answer.
async fn wait_ended(conn: &mut Connection, arns: &[String]) -> Vec<Value> {
    let mut ended = vec![Value::Null; arns.len()];
    for i in (0..arns.len()).rev() {
        loop {
            let request = json!({"executionArn": arns[i]});
            let (status, answer) = conn
                .call("DescribeExecution", &request)
                .await
                .expect("the server answers");
            // With BENCH_RETENTION an execution that ended long enough ago is gone.
            if status == 400 && answer["__type"] == "ExecutionDoesNotExist" {
                ended[i] = json!({"status": "EXPIRED"});
                break;
            }
            assert_eq!(status, 200, "DescribeExecution failed: {answer}");
            if answer["status"] != "RUNNING" {
                ended[i] = answer;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    ended
}

fn main() {
    // As the `stepyard` binary does.
    process::disable_transparent_huge_pages();
    process::restore_default_sigpipe();
    let executions = env_usize("BENCH_EXECUTIONS", 4000);
    let connections = env_usize("BENCH_CONNECTIONS", 8).max(1);
    let rate = Some(env_usize("BENCH_RATE", 0)).filter(|r| *r > 0).map(|r| r as f64);
    let warmup = env_usize("BENCH_WARMUP", 200);
    let plugins = plugins_dir();
    let cache = std::env::var_os("STEPYARD_CACHE").map_or_else(|| root().join(".stepyard/cache"), PathBuf::from);
    let durable = std::env::var("BENCH_STORE").map_or(true, |s| s != "memory");
    let restart = std::env::var_os("BENCH_RESTART").is_some_and(|v| v == "1") && durable;
    let mut server = Server::start(plugins.clone(), cache.clone(), durable);
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client runtime starts");
    let machine = client.block_on(async {
        let mut control = Connection::open(server.addr).await.expect("connect");
        let definition = std::fs::read_to_string(root().join("workflows/order.asl.json")).unwrap();
        let created = control
            .ok(
                "CreateStateMachine",
                &json!({"name": "order", "definition": definition, "roleArn": ROLE}),
            )
            .await;
        let machine = created["stateMachineArn"].as_str().unwrap().to_owned();

        // Warm up: plugins compile (or load from the cache) on first use.
        if warmup > 0 {
            let round = start_round(&server, &machine, "warm", warmup, connections, None).await;
            wait_ended(&mut control, &round.arns).await;
        }
        machine
    });
    if restart {
        // A server restarted on a database in use, as most starts are.
        let dir = server.shut_down();
        server = Server::start_in(dir, plugins.clone(), cache, durable);
    }
    let server = server;
    client.block_on(async {
        let mut control = Connection::open(server.addr).await.expect("connect");

        let (fsync_p50, fsync_p99) = fsync_probe(&server.dir);
        let commits_before = server.store.commit_stats();
        let writer_cpu_before = Usage::thread_cpu("stepyard-commit");
        let usage_before = Usage::now();
        let round = start_round(&server, &machine, "bench", executions, connections, rate).await;
        let ended = wait_ended(&mut control, &round.arns).await;
        let polled = round.started.elapsed();
        let usage = usage_before.zip(Usage::now()).map(|(a, b)| b.since(a));
        let commits_after = server.store.commit_stats();
        let writer_cpu = Usage::thread_cpu("stepyard-commit") - writer_cpu_before;

        let mut failed = 0;
        let mut last_stop = round.first_millis;
        for answer in &ended {
            if answer["status"] != "SUCCEEDED" && answer["status"] != "EXPIRED" {
                failed += 1;
                if failed <= 3 {
                    eprintln!("not SUCCEEDED: {answer}");
                }
            }
            let stop = (answer["stopDate"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
            last_stop = last_stop.max(stop);
        }
        assert_eq!(failed, 0, "{failed} of {executions} executions did not succeed");
        // First request → last execution ended, on the service's clock.
        let elapsed = Duration::from_millis((last_stop - round.first_millis).max(1) as u64);

        // The histories, counted after the clock stopped.
        let (mut events, mut entered) = (0usize, 0usize);
        for arn in &round.arns {
            let request = json!({"executionArn": arn, "maxResults": 1000, "includeExecutionData": false});
            let (status, page) = control.call("GetExecutionHistory", &request).await.expect("the server answers");
            if status == 400 && page["__type"] == "ExecutionDoesNotExist" {
                continue; // expired since (BENCH_RETENTION)
            }
            assert_eq!(status, 200, "GetExecutionHistory failed: {page}");
            let list = page["events"].as_array().expect("events");
            events += list.len();
            entered += list
                .iter()
                .filter(|e| e["type"].as_str().is_some_and(|t| t.ends_with("StateEntered")))
                .count();
        }

        let mut sorted = round.latencies.clone();
        sorted.sort();
        let secs = elapsed.as_secs_f64();
        let CommitStats {
            commits,
            writes,
            apply,
            commit,
            reply,
            longest,
            slow,
            hold,
            bound,
            unbound,
        } = commits_after;
        let (commits, writes) = (commits - commits_before.commits, writes - commits_before.writes);
        let (hold, bound, unbound) = (
            hold - commits_before.hold,
            bound - commits_before.bound,
            unbound - commits_before.unbound,
        );
        let (apply, commit, reply) = (
            apply - commits_before.apply,
            commit - commits_before.commit,
            reply - commits_before.reply,
        );
        println!(
            "stepyard serve, {}, plugins from {}",
            if durable {
                "durable (redb file, fsync)"
            } else {
                "NOT DURABLE (redb in memory)"
            },
            plugins.display()
        );
        println!(
            "  {executions} order executions over {connections} keep-alive connections, {} ({warmup} warm-up executions before{}); \
             disk: fdatasync of 4 KiB p50 {:.2} ms, p99 {:.2} ms",
            rate.map_or("each as soon as a connection is free".to_owned(), |r| format!("offered at {r:.0}/s")),
            if restart { ", then a restart on the same database" } else { "" },
            millis(fsync_p50),
            millis(fsync_p99)
        );
        println!(
            "  durable order executions/s : {:>9.0}   (first request -> all ended: {:.0} ms; requests alone: {:.0} ms, {:.0} starts/s; waiting saw the end after {:.0} ms)",
            executions as f64 / secs,
            millis(elapsed),
            millis(round.requests),
            executions as f64 / round.requests.as_secs_f64(),
            millis(polled)
        );
        println!(
            "  StartExecution latency     : p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            millis(percentile(&sorted, 0.50)),
            millis(percentile(&sorted, 0.99)),
            millis(*sorted.last().unwrap())
        );
        println!(
            "  state transitions/s        : {:>9.0}   ({entered} StateEntered; {events} history events, {:.0} events/s)",
            entered as f64 / secs,
            events as f64 / secs
        );
        println!(
            "  redb commits               : {commits} ({:.0}/s), {writes} writes, mean batch {:.1}; {:.1} writes per execution",
            commits as f64 / secs,
            writes as f64 / commits.max(1) as f64,
            writes as f64 / executions as f64
        );
        let per_commit = |d: Duration| millis(d) / commits.max(1) as f64;
        let per_execution = |d: Duration| d.as_secs_f64() * 1e6 / executions as f64;
        println!(
            "  writer thread              : per commit {:.2} ms applying, {:.2} ms committing, {:.2} ms answering; \
             per execution {:.0} + {:.0} + {:.0} µs ({:.0}% busy, {:.0} µs CPU); longest batch {:.1} ms, {} batches over {} ms (since the server started)",
            per_commit(apply),
            per_commit(commit),
            per_commit(reply),
            per_execution(apply),
            per_execution(commit),
            per_execution(reply),
            100.0 * (apply + commit + reply).as_secs_f64() / secs,
            writer_cpu * 1e6 / executions as f64,
            millis(longest),
            slow,
            SLOW_BATCH.as_millis()
        );
        println!(
            "  audited changes            : {bound} committed with their record, {unbound} without (record later); \
             batches waited {:.0} ms for records in all ({:.1} µs per execution, part of applying)",
            millis(hold),
            per_execution(hold)
        );
        if let Some(u) = usage {
            let cpu = u.user + u.system;
            println!(
                "  CPU (server + client)      : {cpu:.2} s ({:.2} user, {:.2} kernel) over {:.2} s ({:.0}% of {} cores), {:.0} µs per execution",
                u.user,
                u.system,
                polled.as_secs_f64(),
                100.0 * cpu / polled.as_secs_f64() / num_cpus() as f64,
                num_cpus(),
                cpu * 1e6 / executions as f64
            );
            println!(
                "  written to the file        : {:.1} MB, {:.1} KB per execution, {:.0} KB per commit",
                u.written as f64 / 1e6,
                u.written as f64 / 1e3 / executions as f64,
                u.written as f64 / 1e3 / commits.max(1) as f64
            );
        }
        if let Ok(meta) = std::fs::metadata(server.store.path()) {
            println!("  database file              : {:.1} MB", meta.len() as f64 / 1e6);
        }
    });
    drop(client);
    server.stop();
}
