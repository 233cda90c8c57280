//! One plugin call: a fresh store, instantiated from the pre-instantiated
//! component, with its limits, and every way it can end mapped to an ASL
//! error that names the plugin.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimitsBuilder, Trap, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};

use super::bindings::TaskPlugin;
use super::bindings::stepyard::plugin::types as wit;
use super::engine::describe;
use super::host::{CallState, Caller};
use super::{LoadedPlugin, PluginInfo};
use stepyard_interpreter::task::{CallOutcome, FunctionError, TaskContext, TaskFailure};
use stepyard_metrics::AttemptOutcome;
use stepyard_store::{KvStore, Level, LogStore, TaskUsage};

use super::engine::EPOCH_TICK;
use super::usage::{ComputeTicks, Limiter, measuring_cpu};

/// Bytes of stdout and stderr kept per call (the rest is dropped).
const CAPTURED_OUTPUT_BYTES: usize = 64 * 1024;

/// Warm instances of a plugin whose manifest asks for reuse.
pub(crate) struct WarmPool {
    /// Each idle instance with the runtime's idle slot it keeps.
    idle: std::sync::Mutex<Vec<(Warm, OwnedSemaphorePermit)>>,
    /// The runtime's idle slots, shared by every plugin's pool.
    slots: Arc<Semaphore>,
}

type Warm = (Store<CallState>, TaskPlugin);

/// Idle warm instances kept per plugin (while the runtime's idle slots
/// last); more concurrent calls than this create fresh ones.
const MAX_IDLE_WARM: usize = 8;

impl WarmPool {
    pub(crate) fn new(slots: Arc<Semaphore>) -> WarmPool {
        WarmPool {
            idle: std::sync::Mutex::new(Vec::new()),
            slots,
        }
    }

    /// An idle instance, if there is one (its idle slot is given back: the
    /// call holds a call slot for it).
    fn take(&self) -> Option<Warm> {
        let (warm, _idle_slot) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
        Some(warm)
    }

    /// Keeps `warm` for the next call if this plugin and the runtime have
    /// room for it; drops it otherwise.
    fn give_back(&self, warm: Warm) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= MAX_IDLE_WARM {
            return;
        }
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            idle.push((warm, slot));
        }
    }
}

/// Runs one call. Guest code runs on the polling thread, in slices of one
/// epoch tick: between slices the call yields to the executor, so a guest
/// that computes for long does not starve other tasks, and once its time
/// limit is spent the next tick stops it.
pub(crate) async fn call(
    plugin: &LoadedPlugin,
    function: &str,
    payload: &Value,
    context: &TaskContext,
    kv: Arc<dyn KvStore>,
    logs: &dyn LogStore,
) -> CallOutcome {
    let info = &plugin.info;
    let timeout_ms = match context.timeout_seconds {
        Some(s) => info.manifest.limits.timeout_ms.min(s.saturating_mul(1000)),
        None => info.manifest.limits.timeout_ms,
    };
    let caller = Caller {
        plugin: info.clone(),
        function: function.to_owned(),
        execution_arn: context.execution_arn.clone(),
        state_name: context.state_name.clone(),
        entry: context.idempotency_key.clone(),
        attempt: context.retry_count,
        metrics: plugin.metrics.clone(),
    };
    let called = Instant::now();
    let started = chrono::Utc::now();
    // Held until the instance is dropped or given back idle. The plugin's
    // time limit starts once it has a slot, as a function's timeout starts
    // once it runs.
    let Ok(_slot) = plugin.call_slots.acquire().await else {
        return service_error("Lambda.ServiceException", "the plugin host is shutting down".into());
    };
    let queued = called.elapsed();
    let (mut store, warm_instance) = match plugin.warm.as_ref().and_then(WarmPool::take) {
        Some((mut store, instance)) => {
            let state = store.data_mut();
            state.caller = caller;
            state.kv = kv;
            state.counters = Default::default();
            state.quota_use = Default::default();
            state.compute = Default::default();
            (store, Some(instance))
        }
        None => match new_store(plugin, caller, kv) {
            Ok(store) => (store, None),
            Err(outcome) => return outcome,
        },
    };
    let turn = limit_time(
        &mut store,
        Duration::from_millis(timeout_ms),
        info.manifest.limits.cpu_ms,
        plugin.compute_slots.clone(),
    );

    let wit_context = wit::TaskContext {
        function_name: function.to_owned(),
        execution_arn: context.execution_arn.clone(),
        execution_name: context.execution_name.clone(),
        state_machine_arn: context.state_machine_arn.clone(),
        state_name: context.state_name.clone(),
        retry_count: context.retry_count,
        idempotency_key: context.idempotency_key.clone(),
    };
    let input = payload.to_string();
    let mut cpu = Duration::ZERO;
    let instance = match warm_instance {
        Some(i) => Ok(i),
        None => measuring_cpu(plugin.pre.instantiate_async(&mut store), &mut cpu).await,
    };
    let result = match instance {
        Ok(i) => measuring_cpu(i.call_handle(&mut store, &input, &wit_context), &mut cpu)
            .await
            .map(|r| (i, r)),
        // Calls and idle instances together never outnumber the pool's
        // instances, but components with many memories or tables can use
        // up those: AWS's throttling error, which Retry can name.
        Err(e) if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => {
            return service_error(
                "Lambda.TooManyRequestsException",
                format!("{}: too many plugin instances at once ({})", info.label(), describe(&e)),
            );
        }
        Err(e) => Err(e),
    };
    let output_bytes = match &result {
        Ok((_, Ok(output))) => output.len(),
        Ok((_, Err(e))) => e.error.len() + e.cause.len(),
        Err(_) => 0,
    };
    let (outcome, reusable) = match result {
        Ok((instance, Ok(output))) => (output_outcome(info, &output), Some(instance)),
        Ok((instance, Err(e))) => (
            CallOutcome::FunctionError(FunctionError {
                error_type: e.error,
                message: e.cause,
                stack_trace: Vec::new(),
            }),
            Some(instance),
        ),
        // A trapped instance is never reused: its state is unknown.
        Err(e) => (trap_outcome(info, &e, timeout_ms, store.data().compute), None),
    };
    // A warm instance must not keep a compute turn while idle.
    drop(turn.lock().unwrap_or_else(|e| e.into_inner()).1.take());
    let log_lines = finish(store.data_mut(), &outcome, info, logs);
    let peak_memory = store.data().limits.peak_memory;
    let ran = called.elapsed().saturating_sub(queued);
    let attempt = match &outcome {
        CallOutcome::Ok(_) => AttemptOutcome::Succeeded,
        CallOutcome::ServiceError(f) if f.error == stepyard_interpreter::names::TIMEOUT => AttemptOutcome::TimedOut,
        _ => AttemptOutcome::Failed,
    };
    if plugin.record_usage {
        let state = store.data();
        let counters = state.counters;
        logs.record_usage(TaskUsage {
            execution_arn: context.execution_arn.clone(),
            state_name: context.state_name.clone(),
            entry: context.idempotency_key.clone(),
            attempt: context.retry_count,
            plugin: info.name.clone(),
            outcome: attempt.label().to_owned(),
            started: stepyard_asl::timestamp::format_millis(started),
            queued_ms: millis(queued),
            run_ms: millis(ran),
            cpu_ms: millis(cpu),
            peak_memory_bytes: peak_memory as u64,
            kv_reads: counters.kv_reads,
            kv_read_bytes: counters.kv_read_bytes,
            kv_writes: counters.kv_writes,
            kv_write_bytes: counters.kv_write_bytes,
            log_lines,
            output_bytes: output_bytes as u64,
        });
    }
    if let (Some(pool), Some(instance)) = (&plugin.warm, reusable) {
        pool.give_back((store, instance));
    }
    if let Some(metrics) = &plugin.metrics {
        let machine = context.state_machine_arn.rsplit(':').next().unwrap_or_default();
        metrics.task_attempt(
            machine,
            &context.state_name,
            &info.name,
            attempt,
            context.retry_count > 0,
            queued,
            ran,
        );
        metrics.task_usage(&info.name, cpu, peak_memory);
    }
    outcome
}

/// The longest a guest keeps a compute turn: a few ticks, so a computing
/// guest always gives it back at its next tick first (were this one tick,
/// the timer could free the turn while the guest still computes, and two
/// spinners would run at once).
const TURN_AT_MOST: Duration = Duration::from_millis(EPOCH_TICK.as_millis() as u64 * 3);

/// A guest's turn to compute, held while it runs a slice once it has
/// been found computing through whole ticks: the slice's number and the
/// permit.
type ComputeTurn = Arc<std::sync::Mutex<(u64, Option<OwnedSemaphorePermit>)>>;

/// Lets guest code run for `budget` of real time from now (and, with a
/// CPU limit, for `cpu_ms` of computing), yielding to the executor at every
/// epoch tick. The budget is wall time, as a blocking call had: time spent
/// waiting in host calls (a commit, a sleep) counts, and the guest is
/// stopped at the first tick after the budget, once it runs wasm code again.
///
/// A guest that computes through whole ticks without calling the host
/// (a spinner, a long computation) must take one of the runtime's compute
/// turns before each further slice: there are fewer turns than cores, so
/// spinning plugins share what is left and never take every thread, and a
/// well-behaved call beside them (which calls the host between short bursts,
/// and so never waits for a turn) keeps its speed. The turn is given back at
/// the next tick, or after [`TURN_AT_MOST`] of wall time (a guest that took
/// a turn and then waits in a host call, a sleep say, must not keep it),
/// and turns are handed out first come, first served.
fn limit_time(
    store: &mut Store<CallState>,
    budget: Duration,
    cpu_ms: Option<u64>,
    compute_slots: Arc<Semaphore>,
) -> ComputeTurn {
    let deadline = Instant::now() + budget;
    let cpu_ticks = cpu_ms.map(|ms| ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1));
    let turn: ComputeTurn = Arc::default();
    let held = turn.clone();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut ctx| {
        // Give back the turn of the slice that just ended.
        drop(held.lock().unwrap_or_else(|e| e.into_inner()).1.take());
        if Instant::now() >= deadline {
            // Trap::Interrupt, which trap_outcome reports as States.Timeout.
            return Ok(UpdateDeadline::Interrupt);
        }
        let compute = &mut ctx.data_mut().compute;
        let computing = compute.tick();
        if cpu_ticks.is_some_and(|max| compute.computing > max) {
            compute.cpu_limit_reached = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        if !computing {
            // tokio's yield lets the runtime poll its I/O and timers before
            // resuming the guest (a plain wake-up would put it straight back
            // in the run queue).
            return Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now())));
        }
        let (slots, held) = (compute_slots.clone(), held.clone());
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                tokio::task::yield_now().await;
                // A closed semaphore (never, while the runtime lives) lets
                // the guest go on without a turn rather than hang.
                if let Ok(permit) = slots.acquire_owned().await {
                    let slice = {
                        let mut turn = held.lock().unwrap_or_else(|e| e.into_inner());
                        turn.0 += 1;
                        turn.1 = Some(permit);
                        turn.0
                    };
                    tokio::spawn(async move {
                        tokio::time::sleep(TURN_AT_MOST).await;
                        let mut turn = held.lock().unwrap_or_else(|e| e.into_inner());
                        if turn.0 == slice {
                            turn.1 = None;
                        }
                    });
                }
            }),
        ))
    });
    turn
}

/// A fresh store with the plugin's sandbox and limits.
fn new_store(plugin: &LoadedPlugin, caller: Caller, kv: Arc<dyn KvStore>) -> Result<Store<CallState>, CallOutcome> {
    let info = &plugin.info;
    let stdout = MemoryOutputPipe::new(CAPTURED_OUTPUT_BYTES);
    let stderr = MemoryOutputPipe::new(CAPTURED_OUTPUT_BYTES);
    let wasi = sandbox(info, &stdout, &stderr).map_err(|e| {
        service_error(
            "Runtime.InvalidPlugin",
            format!("{}: cannot set up its sandbox: {e}", info.label()),
        )
    })?;
    let limits = Limiter {
        limits: StoreLimitsBuilder::new()
            .memory_size(info.manifest.limits.memory_bytes)
            .instances(64)
            .tables(64)
            .memories(16)
            .table_elements(100_000)
            .trap_on_grow_failure(true)
            .build(),
        peak_memory: 0,
    };
    let state = CallState {
        wasi,
        table: ResourceTable::new(),
        limits,
        counters: Default::default(),
        caller,
        kv,
        audit: plugin.audit.clone(),
        logs: Vec::new(),
        quota_use: Default::default(),
        compute: Default::default(),
        stdout,
        stderr,
        stdout_seen: 0,
        stderr_seen: 0,
    };
    let mut store = Store::new(plugin.pre.engine(), state);
    store.limiter(|s| &mut s.limits);
    Ok(store)
}

/// The WASI context: nothing granted but what the manifest lists.
fn sandbox(
    info: &PluginInfo,
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> Result<wasmtime_wasi::WasiCtx, String> {
    let grants = &info.manifest.wasi;
    let mut b = WasiCtxBuilder::new();
    b.stdout(stdout.clone()).stderr(stderr.clone());
    b.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
    b.socket_addr_check(|_, _| Box::pin(async { false }));
    for (k, v) in &grants.env {
        b.env(k, v);
    }
    for p in &grants.preopens {
        let perms = if p.read_only {
            wasmtime_wasi::FsPerms::ReadOnly
        } else {
            wasmtime_wasi::FsPerms::ReadWrite
        };
        b.preopened_dir(&p.host, &p.guest, perms)
            .map_err(|e| format!("{}: {e}", p.host.display()))?;
    }
    if !grants.clocks {
        b.wall_clock(FrozenClock).monotonic_clock(FrozenClock);
    }
    Ok(b.build())
}

/// A clock that always reads zero: what a plugin without the clock grant sees.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn now(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

fn service_error(error: &str, cause: String) -> CallOutcome {
    CallOutcome::ServiceError(TaskFailure {
        error: error.to_owned(),
        cause: Some(cause),
    })
}

/// A successful return: JSON within the plugin's output limit.
fn output_outcome(info: &PluginInfo, output: &str) -> CallOutcome {
    let max = info.manifest.limits.max_output_bytes;
    if output.len() > max {
        return service_error(
            stepyard_interpreter::names::DATA_LIMIT_EXCEEDED,
            format!(
                "{} returned {} bytes, more than its output limit of {max} bytes",
                info.label(),
                output.len()
            ),
        );
    }
    match serde_json::from_str(output) {
        Ok(v) => CallOutcome::Ok(v),
        Err(e) => service_error(
            "Runtime.InvalidOutput",
            format!("{} returned text that is not JSON: {e}", info.label()),
        ),
    }
}

/// A call that did not return: what stopped it, in ASL terms.
fn trap_outcome(info: &PluginInfo, e: &wasmtime::Error, timeout_ms: u64, compute: ComputeTicks) -> CallOutcome {
    let label = info.label();
    if let Some(quota) = e.downcast_ref::<crate::quota::QuotaExceeded>() {
        return service_error(crate::quota::QUOTA_EXCEEDED, format!("{label} {quota}"));
    }
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return match trap {
            Trap::Interrupt if compute.cpu_limit_reached => service_error(
                stepyard_interpreter::names::TIMEOUT,
                format!(
                    "{label} computed for longer than its CPU limit of {} ms and was stopped",
                    info.manifest.limits.cpu_ms.unwrap_or_default()
                ),
            ),
            Trap::Interrupt => service_error(
                stepyard_interpreter::names::TIMEOUT,
                format!("{label} ran longer than its time limit of {timeout_ms} ms and was stopped"),
            ),
            Trap::StackOverflow => service_error(
                "Runtime.StackOverflow",
                format!("{label} exhausted its call stack (deep recursion)"),
            ),
            Trap::MemoryOutOfBounds => service_error(
                "Runtime.Trap",
                format!(
                    "{label} trapped: {trap} (in Rust and C guests often an overflow of the stack kept in linear memory)"
                ),
            ),
            other => service_error("Runtime.Trap", format!("{label} trapped: {other}")),
        };
    }
    let text = describe(e);
    if text.contains("forcing trap when growing memory") || text.contains("memory minimum size") {
        let limit = info.manifest.limits.memory_bytes >> 20;
        return service_error(
            "Runtime.OutOfMemory",
            format!("{label} exceeded its memory limit of {limit} MiB ({text})"),
        );
    }
    service_error("Runtime.Trap", format!("{label} failed: {text}"))
}

/// Stores the call's log lines, with what it printed and how it ended.
/// Hands the call's log lines (and what it printed) to the log store; how
/// many there were.
fn finish(state: &mut CallState, outcome: &CallOutcome, info: &PluginInfo, logs: &dyn LogStore) -> u32 {
    let streams = [
        ("stdout", state.stdout.contents(), state.stdout_seen, Level::Info),
        ("stderr", state.stderr.contents(), state.stderr_seen, Level::Warn),
    ];
    for (stream, bytes, seen, level) in streams {
        // A warm instance's pipes keep what earlier calls printed.
        let new = bytes.get(seen..).unwrap_or_default();
        let text = String::from_utf8_lossy(new);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            state.printed_line(level, line, stream);
        }
        if stream == "stdout" {
            state.stdout_seen = bytes.len();
        } else {
            state.stderr_seen = bytes.len();
        }
    }
    let used = std::mem::take(&mut state.quota_use);
    if used.dropped_lines > 0 {
        let quota = info.manifest.quotas.log_lines_per_call;
        state.host_log(
            Level::Warn,
            format!(
                "{} lines {} printed to stdout/stderr were dropped: past its quota of {quota} log lines per call",
                used.dropped_lines,
                info.label()
            ),
        );
    }
    if used.unrecorded_denials > 0 {
        state.host_log(
            Level::Warn,
            format!(
                "{} more access denials of {} were not logged or audited (the first {} of a call are)",
                used.unrecorded_denials,
                info.label(),
                crate::quota::MAX_DENIAL_RECORDS
            ),
        );
    }
    let dropped = used.dropped_lines + used.unrecorded_denials;
    if let (Some(metrics), true) = (&state.caller.metrics, dropped > 0) {
        metrics.plugin_lines_dropped(&info.name, dropped);
    }
    if let CallOutcome::ServiceError(f) = outcome {
        state.host_log(
            Level::Error,
            format!("{}: {}", f.error, f.cause.as_deref().unwrap_or("")),
        );
    }
    let lines = std::mem::take(&mut state.logs);
    // Logs are best effort: a failed write must not change the task's
    // outcome, and the call does not wait for them to reach the disk (they
    // do with the execution's next checkpoint at the latest).
    let count = lines.len() as u32;
    if !lines.is_empty() {
        logs.append_later(lines);
    }
    count
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
