//! The one wasmtime [`Engine`] a host uses: pooling allocation, epoch
//! interruption driven by a ticker thread, and an on-disk cache of
//! compiled components.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};
use stepyard_metrics::Metrics;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the ticker advances the epoch: the granularity of CPU limits,
/// and the longest a guest computes before its call yields to the executor.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Largest linear memory any plugin may be given (manifests are checked
/// against it): the pooling allocator reserves slots of this size.
pub(crate) const MAX_MEMORY_BYTES: usize = 1 << 30;

/// Component instances the pooling allocator holds at once (the calls in
/// flight and the idle warm instances together).
const POOL_INSTANCES: u32 = 256;

/// Calls that may hold an instance at once: the pool's slots less room for
/// idle warm instances ([`IDLE_SLOTS`]). A call beyond this waits for a
/// slot instead of failing, so a burst of executions queues for its plugins
/// as it would for any busy worker.
pub const CALL_SLOTS: usize = 224;

/// Idle warm instances kept at once, by all plugins that ask for reuse
/// together: with [`CALL_SLOTS`] calls in flight the pool is then full, never
/// over. A plugin that finds no room drops its instance after the call.
pub const IDLE_SLOTS: usize = POOL_INSTANCES as usize - CALL_SLOTS;

/// Why a component could not be compiled or loaded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

/// The engine and where compiled artifacts are kept. Cloning is cheap and
/// shares the engine.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    /// Hex of the engine's compatibility hash: artifacts from another
    /// wasmtime version or configuration never match.
    engine_key: String,
    /// The ticker thread runs while this is alive; every loaded plugin keeps
    /// a clone, so its calls stay interruptible after the runtime is dropped.
    ticker: Arc<()>,
    /// Instance slots for calls ([`CALL_SLOTS`]), shared by every plugin.
    call_slots: Arc<tokio::sync::Semaphore>,
    /// Instance slots for idle warm instances ([`IDLE_SLOTS`]).
    idle_slots: Arc<tokio::sync::Semaphore>,
    /// Turns for guests that compute without calling the host: one fewer
    /// than the cores, so a spinning plugin never holds every core and
    /// well-behaved calls (and the interpreter) always find one.
    compute_slots: Arc<tokio::sync::Semaphore>,
    /// Where task attempts and policy denials are counted, if anywhere.
    metrics: Option<Arc<Metrics>>,
    /// Whether each attempt's time and resources are kept beside the history.
    record_usage: bool,
    /// The most a manifest's `[quotas]` may ask for (the operator's setting).
    quota_ceiling: crate::quota::Quotas,
}

impl Runtime {
    /// Builds the engine, with the pooling allocator when the machine allows
    /// its address-space reservation and on-demand allocation otherwise.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Runtime, CompileError> {
        let engine = match Engine::new(&config(true)) {
            Ok(e) => e,
            Err(_) => {
                Engine::new(&config(false)).map_err(|e| CompileError(format!("cannot create the wasm engine: {e}")))?
            }
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = format!("{:016x}", h.finish());
        let ticker = Arc::new(());
        start_ticker(engine.clone(), Arc::downgrade(&ticker));
        Ok(Runtime {
            engine,
            cache_dir,
            engine_key,
            ticker,
            call_slots: Arc::new(tokio::sync::Semaphore::new(CALL_SLOTS)),
            idle_slots: Arc::new(tokio::sync::Semaphore::new(IDLE_SLOTS)),
            compute_slots: Arc::new(tokio::sync::Semaphore::new(compute_slot_count())),
            metrics: None,
            record_usage: true,
            quota_ceiling: crate::quota::Quotas::default(),
        })
    }

    /// Counts every plugin call and denial into `metrics` (for plugins
    /// loaded from now on).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Runtime {
        self.metrics = Some(metrics);
        self
    }

    /// Keeps (the default) or not each task attempt's time and resources
    /// (for plugins loaded from now on).
    pub fn with_usage(mut self, record: bool) -> Runtime {
        self.record_usage = record;
        self
    }

    /// Lets manifests raise their quotas up to `ceiling` (by default they
    /// may only lower them), for plugins loaded from now on.
    pub fn with_quota_ceiling(mut self, ceiling: crate::quota::Quotas) -> Runtime {
        self.quota_ceiling = ceiling;
        self
    }

    pub(crate) fn quota_ceiling(&self) -> &crate::quota::Quotas {
        &self.quota_ceiling
    }

    pub(crate) fn record_usage(&self) -> bool {
        self.record_usage
    }

    /// Where calls are counted, if anywhere.
    pub(crate) fn metrics(&self) -> Option<Arc<Metrics>> {
        self.metrics.clone()
    }

    /// The shared wasmtime engine, which components and linkers are built for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A token that keeps the epoch ticker running while it is held.
    pub(crate) fn ticker(&self) -> Arc<()> {
        self.ticker.clone()
    }

    /// The turns guests that compute for long take (see `call::limit_time`).
    pub(crate) fn compute_slots(&self) -> Arc<tokio::sync::Semaphore> {
        self.compute_slots.clone()
    }

    /// The instance slots calls take turns on.
    pub(crate) fn call_slots(&self) -> Arc<tokio::sync::Semaphore> {
        self.call_slots.clone()
    }

    /// Idle warm instances kept now, by every plugin together (at most
    /// [`IDLE_SLOTS`]).
    pub fn idle_instances(&self) -> usize {
        IDLE_SLOTS - self.idle_slots.available_permits()
    }

    /// The instance slots idle warm instances keep.
    pub(crate) fn idle_slots(&self) -> Arc<tokio::sync::Semaphore> {
        self.idle_slots.clone()
    }

    /// Compiles `bytes`, or loads the artifact compiled earlier for the same
    /// bytes and engine. A stale or unreadable artifact is a cache miss.
    pub fn component(&self, bytes: &[u8]) -> Result<(Component, CacheOutcome), CompileError> {
        let artifact = self.cache_dir.as_ref().map(|dir| self.artifact_path(dir, bytes));
        if let Some(path) = &artifact
            && path.is_file()
        {
            // Read into memory rather than mapped: a mapped artifact that
            // someone truncates while it is in use would crash the host.
            if let Ok(bytes) = std::fs::read(path) {
                // SAFETY: the cache directory holds only artifacts this host
                // wrote with `Component::serialize` for this engine (the file
                // name carries the engine's compatibility hash); wasmtime
                // checks the header, and a file that fails to deserialize is
                // recompiled and overwritten.
                if let Ok(c) = unsafe { Component::deserialize(&self.engine, &bytes) } {
                    return Ok((c, CacheOutcome::Hit));
                }
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| CompileError(describe(&e)))?;
        if let Some(path) = &artifact
            && let Ok(serialized) = component.serialize()
        {
            // A failed write only costs a recompile next time.
            let _ = write_atomically(path, &serialized);
        }
        Ok((
            component,
            if artifact.is_some() {
                CacheOutcome::Compiled
            } else {
                CacheOutcome::Uncached
            },
        ))
    }

    fn artifact_path(&self, dir: &Path, bytes: &[u8]) -> PathBuf {
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        dir.join(format!("{hex}-{}.cwasm", self.engine_key))
    }
}

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from an artifact compiled earlier; no compile.
    Hit,
    /// Compiled now, and the artifact written to the cache for next time.
    Compiled,
    /// Compiled now; the runtime has no cache directory.
    Uncached,
}

fn config(pooling: bool) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    c.parallel_compilation(true);
    // For profiling plugins: wasmtime writes /tmp/perf-PID.map, so `perf
    // report` names guest functions instead of showing `[unknown]`.
    if std::env::var_os("STEPYARD_PERFMAP").is_some() {
        c.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if pooling {
        let mut p = PoolingAllocationConfig::default();
        p.total_component_instances(POOL_INSTANCES);
        p.total_core_instances(4096);
        p.total_memories(512);
        p.total_tables(4096);
        p.max_memory_size(MAX_MEMORY_BYTES);
        // Reset a slot by rewriting only the pages the last instance
        // touched (found with PAGEMAP_SCAN, Linux 6.7+) instead of
        // decommitting it: the next instance then takes no page faults.
        p.pagemap_scan(wasmtime::Enabled::Auto);
        p.linear_memory_keep_resident(16 << 20);
        p.table_keep_resident(1 << 20);
        p.max_core_instances_per_component(64);
        p.max_memories_per_component(16);
        p.max_tables_per_component(64);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(p));
    }
    c
}

/// One fewer than the machine's cores, and at least one.
fn compute_slot_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    cores.saturating_sub(1).max(1)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the runtime is dropped.
fn start_ticker(engine: Engine, alive: Weak<()>) {
    std::thread::Builder::new()
        .name("stepyard-epoch".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch ticker thread");
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// An error with its root cause, on one line.
pub(crate) fn describe(e: &wasmtime::Error) -> String {
    let root = e.root_cause().to_string();
    let top = e.to_string();
    if top == root || top.contains(&root) {
        top
    } else {
        format!("{top}: {root}")
    }
}
