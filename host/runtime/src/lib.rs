//! The plugin runtime: every `Task` runs a sandboxed WebAssembly component
//! from the plugin folder.
//!
//! A folder holds `NAME.wasm` and, optionally, its manifest `NAME.toml` or
//! `NAME.json` (role, limits, WASI grants). [`PluginHost::load_dir`] reads
//! the manifests; a component is compiled (once, through the on-disk cache),
//! linked with the imports of `wit/plugin.wit` and pre-instantiated the
//! first time one of its functions is called, so a run pays only for the
//! plugins it uses. Each call then gets a fresh store (isolation between
//! calls) from the pooling allocator. A broken plugin is reported with its
//! path and reason and does not stop the others.
//!
//! A call is a future polled on the caller's runtime (or, when that has
//! one thread, on the guest runtime's): guest code runs in slices of one
//! epoch tick between yields, and table writes await their commit, so a
//! call holds no thread of its own. Guests that compute through whole
//! ticks take turns on fewer threads than there are cores.
//!
//! Must not depend on: the service, the API or the CLI. It implements the
//! interpreter's task traits and uses the store only through its traits.

mod call;
mod check;
mod denial;
mod describe;
mod engine;
mod folder;
mod host;
mod manifest;
mod quota;
mod usage;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use wasmtime::component::{HasSelf, Linker};

pub use check::{CheckReport, Finding, Severity, WIT_PACKAGE, check_plugin};
pub use engine::{CALL_SLOTS, CacheOutcome, CompileError, IDLE_SLOTS, Runtime};
pub use folder::PluginFolder;
pub use manifest::{Limits, Manifest, ManifestError, Preopen, WasiGrants};
pub use quota::{QUOTA_EXCEEDED, QUOTA_NAMES, Quotas};

use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::task::{CallOutcome, Function, Registry, TaskContext, TaskFailure};
use stepyard_store::{AuditLog, KvStore, LogStore};

pub(crate) mod bindings {
    // Calls are futures (`instantiate_async`, `call_handle(..).await`), and
    // so are the table writes: they await their commit without holding a
    // thread. Reads, logs and permission checks never wait, so they stay
    // plain functions.
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "task-plugin",
        // Writes and log lines count against the call's quotas: past one,
        // the import traps (`trappable`) and the call ends with
        // Runtime.QuotaExceeded.
        imports: {
            "stepyard:plugin/kv.put": async | trappable,
            "stepyard:plugin/kv.put-if-absent": async | trappable,
            "stepyard:plugin/kv.put-if-version": async | trappable,
            "stepyard:plugin/kv.update": async | trappable,
            "stepyard:plugin/kv.delete": async | trappable,
            "stepyard:plugin/log.log": trappable,
        },
        exports: { default: async },
    });
}

/// A plugin as loaded: its name, files and manifest.
#[derive(Debug)]
pub struct PluginInfo {
    /// The plugin's name: the file stem of its `NAME.wasm`.
    pub name: String,
    /// The component file, `NAME.wasm` in the plugin folder.
    pub wasm_path: PathBuf,
    /// Its manifest, `NAME.toml` or `NAME.json`; `None` when it has none.
    pub manifest_path: Option<PathBuf>,
    /// The manifest as read, or the defaults when there is no manifest file.
    pub manifest: Manifest,
    /// Whether the compiled artifact came from the cache.
    pub cache: CacheOutcome,
}

impl PluginInfo {
    /// `plugin 'NAME' (PATH)`, for error causes.
    pub fn label(&self) -> String {
        format!("plugin '{}' ({})", self.name, self.wasm_path.display())
    }
}

/// A plugin ready to call.
pub(crate) struct LoadedPlugin {
    pub info: Arc<PluginInfo>,
    pub pre: bindings::TaskPluginPre<host::CallState>,
    /// Warm instances, when the manifest asks for reuse.
    pub warm: Option<call::WarmPool>,
    /// Keeps the engine's epoch ticker alive: without it time limits stop.
    _ticker: Arc<()>,
    /// The runtime's instance slots: a call holds one while it runs.
    pub call_slots: Arc<tokio::sync::Semaphore>,
    /// The runtime's turns for guests that compute for long.
    pub compute_slots: Arc<tokio::sync::Semaphore>,
    /// Where its calls and denials are counted, if anywhere.
    pub metrics: Option<Arc<stepyard_metrics::Metrics>>,
    /// Whether its attempts' usage is kept.
    pub record_usage: bool,
    /// Where refused imports are recorded, if anywhere.
    pub audit: Option<Arc<dyn AuditLog>>,
}

/// A plugin that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// The plugin's name: the file stem of its `NAME.wasm`.
    pub name: String,
    /// The component file (also when the manifest is what failed).
    pub path: PathBuf,
    /// What failed: a bad manifest, an unreadable or invalid component, missing imports…
    pub reason: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "plugin '{}' ({}) not loaded: {}",
            self.name,
            self.path.display(),
            self.reason
        )
    }
}

/// One `NAME.wasm` of the folder: its manifest, read at once, and the
/// component, loaded on first use.
struct Entry {
    name: String,
    wasm_path: PathBuf,
    manifest_path: Option<PathBuf>,
    manifest: Result<Manifest, String>,
    loaded: OnceLock<Result<Arc<LoadedPlugin>, String>>,
}

/// What loading needs, shared by every entry of a host.
struct Loader {
    runtime: Runtime,
    linker: Result<Linker<host::CallState>, String>,
    audit: Option<Arc<dyn AuditLog>>,
}

impl Entry {
    fn functions(&self) -> Vec<String> {
        match &self.manifest {
            Ok(m) => m.functions.clone(),
            Err(_) => vec![self.name.clone()],
        }
    }

    /// The plugin, when loading it was done (or tried) already.
    fn loaded(&self) -> Option<Result<Arc<LoadedPlugin>, String>> {
        self.loaded.get().cloned()
    }

    /// The loaded plugin, compiling it on first use.
    fn get(&self, loader: &Loader) -> Result<Arc<LoadedPlugin>, String> {
        self.loaded.get_or_init(|| self.load(loader).map(Arc::new)).clone()
    }

    fn load(&self, loader: &Loader) -> Result<LoadedPlugin, String> {
        let manifest = self.manifest.clone()?;
        let linker = loader.linker.as_ref().map_err(Clone::clone)?;
        if manifest.limits.memory_bytes > engine::MAX_MEMORY_BYTES {
            return Err(format!(
                "limits.memory_mb exceeds the host's maximum of {} MiB",
                engine::MAX_MEMORY_BYTES >> 20
            ));
        }
        manifest.quotas.check_within(loader.runtime.quota_ceiling())?;
        let bytes = std::fs::read(&self.wasm_path).map_err(|e| format!("cannot read: {e}"))?;
        let (component, cache) = loader
            .runtime
            .component(&bytes)
            .map_err(|e| format!("not a valid component: {e}"))?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| format!("its imports cannot be satisfied: {}", engine::describe(&e)))?;
        let pre = bindings::TaskPluginPre::new(instance_pre)
            .map_err(|e| format!("it does not export the task-plugin world: {}", engine::describe(&e)))?;
        let info = PluginInfo {
            name: self.name.clone(),
            wasm_path: self.wasm_path.clone(),
            manifest_path: self.manifest_path.clone(),
            manifest,
            cache,
        };
        let warm = info
            .manifest
            .reuse_instances
            .then(|| call::WarmPool::new(loader.runtime.idle_slots()));
        Ok(LoadedPlugin {
            info: Arc::new(info),
            pre,
            warm,
            _ticker: loader.runtime.ticker(),
            call_slots: loader.runtime.call_slots(),
            compute_slots: loader.runtime.compute_slots(),
            metrics: loader.runtime.metrics(),
            record_usage: loader.runtime.record_usage(),
            audit: loader.audit.clone(),
        })
    }

    fn problem(&self, reason: String) -> LoadProblem {
        LoadProblem {
            name: self.name.clone(),
            path: self.wasm_path.clone(),
            reason,
        }
    }
}

/// The plugins of one folder, with the stores their imports use.
pub struct PluginHost {
    entries: Vec<Arc<Entry>>,
    loader: Arc<Loader>,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
}

impl PluginHost {
    /// Reads the manifests of every `*.wasm` in `dir` (a missing folder has
    /// no plugins). Components load when first called, or with [`Self::load_all`].
    pub fn load_dir(runtime: &Runtime, dir: &Path, kv: Arc<dyn KvStore>, logs: Arc<dyn LogStore>) -> PluginHost {
        PluginHost::load_dir_audited(runtime, dir, kv, logs, None)
    }

    /// [`PluginHost::load_dir`], recording every import a plugin's role
    /// refuses in `audit` (the audit trail), when given.
    pub fn load_dir_audited(
        runtime: &Runtime,
        dir: &Path,
        kv: Arc<dyn KvStore>,
        logs: Arc<dyn LogStore>,
        audit: Option<Arc<dyn AuditLog>>,
    ) -> PluginHost {
        let mut linker = Linker::<host::CallState>::new(runtime.engine());
        let linker = link(&mut linker).map(|()| linker);
        let loader = Arc::new(Loader {
            runtime: runtime.clone(),
            linker,
            audit,
        });
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        let entries = paths
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .map(|wasm_path| {
                let (name, manifest_path) = name_and_manifest(&wasm_path);
                let manifest = match &manifest_path {
                    Some(p) => Manifest::load(p, &name).map_err(|e| e.to_string()),
                    None => Ok(Manifest::default_for(&name)),
                };
                Arc::new(Entry {
                    name,
                    wasm_path,
                    manifest_path,
                    manifest,
                    loaded: OnceLock::new(),
                })
            })
            .collect();
        PluginHost {
            entries,
            loader,
            kv,
            logs,
        }
    }

    /// Compiles and links every plugin now (for listing, or to fail early).
    pub fn load_all(&self) {
        for e in &self.entries {
            let _ = e.get(&self.loader);
        }
    }

    /// The plugins loaded so far, for `stepyard plugins`.
    pub fn plugins(&self) -> impl Iterator<Item = &PluginInfo> {
        self.entries.iter().filter_map(|e| match e.loaded.get() {
            Some(Ok(p)) => Some(&*p.info),
            _ => None,
        })
    }

    /// Plugins known not to load: bad manifests at once, bad components
    /// once loading was tried.
    pub fn problems(&self) -> Vec<LoadProblem> {
        self.entries
            .iter()
            .filter_map(|e| match (&e.manifest, e.loaded.get()) {
                (Err(reason), _) | (_, Some(Err(reason))) => Some(e.problem(reason.clone())),
                _ => None,
            })
            .collect()
    }

    fn entry_for(&self, function: &str) -> Option<&Arc<Entry>> {
        self.entries
            .iter()
            .find(|e| e.functions().iter().any(|f| f == function))
    }

    /// Calls `function` on the current thread, which must not be one of an
    /// async runtime's (for benchmarks and tools): the call is driven to its
    /// end here. `None` when no plugin serves `function`.
    pub fn call_blocking(&self, function: &str, payload: &Value, context: &TaskContext) -> Option<CallOutcome> {
        let entry = self.entry_for(function)?;
        Some(match entry.get(&self.loader) {
            Ok(plugin) => on_io_runtime(
                &entry.name,
                call::call(&plugin, function, payload, context, self.kv.clone(), &*self.logs),
            ),
            Err(reason) => invalid_plugin(entry, &reason),
        })
    }

    /// A task registry that calls these plugins by function name. A plugin
    /// that fails to load still answers, with the reason it failed.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        for entry in &self.entries {
            for function in entry.functions() {
                let f = PluginFunction {
                    entry: entry.clone(),
                    loader: self.loader.clone(),
                    function: function.clone(),
                    kv: self.kv.clone(),
                    logs: self.logs.clone(),
                };
                registry.register(function, Arc::new(f));
            }
        }
        registry
    }
}

/// A plugin's name (the file stem of `NAME.wasm`) and its manifest,
/// `NAME.toml` or `NAME.json` beside it, if there is one.
pub(crate) fn name_and_manifest(wasm_path: &Path) -> (String, Option<PathBuf>) {
    let name = wasm_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let manifest_path = ["toml", "json"]
        .iter()
        .map(|ext| wasm_path.with_extension(ext))
        .find(|p| p.is_file());
    (name, manifest_path)
}

fn invalid_plugin(entry: &Entry, reason: &str) -> CallOutcome {
    CallOutcome::ServiceError(TaskFailure::new(
        "Runtime.InvalidPlugin",
        format!(
            "plugin '{}' ({}) could not be loaded: {reason}",
            entry.name,
            entry.wasm_path.display()
        ),
    ))
}

fn link(linker: &mut Linker<host::CallState>) -> Result<(), String> {
    wasmtime_wasi::p2::add_to_linker_async(linker).map_err(|e| engine::describe(&e))?;
    bindings::TaskPlugin::add_to_linker::<host::CallState, HasSelf<host::CallState>>(linker, |s| s)
        .map_err(|e| engine::describe(&e))
}

/// One function name served by a plugin.
struct PluginFunction {
    entry: Arc<Entry>,
    loader: Arc<Loader>,
    function: String,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
}

impl Function for PluginFunction {
    fn call(&self, payload: Value, context: TaskContext) -> BoxFuture<'static, CallOutcome> {
        let entry = self.entry.clone();
        let loader = self.loader.clone();
        let function = self.function.clone();
        let kv = self.kv.clone();
        let logs = self.logs.clone();
        Box::pin(async move {
            if clock_is_paused() {
                return call_in_virtual_time(entry, loader, function, payload, context, kv, logs).await;
            }
            let plugin = match entry.loaded() {
                Some(loaded) => loaded,
                // A first-use compile takes up to seconds of CPU: it must
                // not stall the executor.
                None => {
                    let (e, l) = (entry.clone(), loader);
                    match tokio::task::spawn_blocking(move || e.get(&l)).await {
                        Ok(loaded) => loaded,
                        Err(e) => return host_failure(&entry.name, &e),
                    }
                }
            };
            let plugin = match plugin {
                Ok(plugin) => plugin,
                Err(reason) => return invalid_plugin(&entry, &reason),
            };
            if !caller_has_one_thread() {
                return call::call(&plugin, &function, &payload, &context, kv, &*logs).await;
            }
            // On a one-thread runtime (`run`, which holds the database) the
            // guest's slices would stall the interpreter and the store: run
            // it on the guest runtime's threads instead.
            let Some(guests) = guest_runtime() else {
                return host_failure(&entry.name, &"cannot start the guest runtime");
            };
            let call = async move { call::call(&plugin, &function, &payload, &context, kv, &*logs).await };
            match guests.spawn(call).await {
                Ok(outcome) => outcome,
                Err(e) => host_failure(&entry.name, &e),
            }
        })
    }
}

/// A call from a runtime whose clock is paused (virtual time: TestState,
/// `run --time-scale 0`, tests). There time must stand still while a plugin
/// runs, as it would if the plugin's work took no time: were the call
/// awaited there, the runtime would look idle while the guest waits for a
/// commit or a sleep, and jump its clock to the next timer (the task's own
/// timeout, say). A blocking task keeps a paused clock from advancing, so
/// the call runs on one, driven by a real-time runtime of its own, where
/// WASI's sleeps and polls also take real time and so complete.
async fn call_in_virtual_time(
    entry: Arc<Entry>,
    loader: Arc<Loader>,
    function: String,
    payload: Value,
    context: TaskContext,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
) -> CallOutcome {
    let name = entry.name.clone();
    let run = move || match entry.get(&loader) {
        Ok(plugin) => on_io_runtime(
            &entry.name,
            call::call(&plugin, &function, &payload, &context, kv, &*logs),
        ),
        Err(reason) => invalid_plugin(&entry, &reason),
    };
    match tokio::task::spawn_blocking(run).await {
        Ok(outcome) => outcome,
        Err(e) => host_failure(&name, &e),
    }
}

fn host_failure(plugin: &str, e: &dyn std::fmt::Display) -> CallOutcome {
    CallOutcome::ServiceError(TaskFailure::new(
        "Runtime.HostError",
        format!("plugin '{plugin}': the host failed running it: {e}"),
    ))
}

/// Whether the runtime polling the caller runs on a paused clock. Only a
/// current-thread runtime can be paused; there, a paused clock is one that
/// does not move while real time does (it only moves when the runtime
/// idles, which it cannot do while this runs on its thread).
fn clock_is_paused() -> bool {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
        return false;
    }
    let before = tokio::time::Instant::now();
    let real = std::time::Instant::now();
    // Wait for the real clock to tick (nanoseconds with a TSC clock source;
    // bounded, and a clock that never moves counts as paused, which only
    // costs the slower path).
    for _ in 0..100_000 {
        if std::time::Instant::now() > real {
            return tokio::time::Instant::now() == before;
        }
        std::hint::spin_loop();
    }
    true
}

/// Whether the caller runs on a current-thread runtime.
fn caller_has_one_thread() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// The runtime guest code runs on when its caller has one thread: a worker
/// per core, so calls run in parallel, and spinning guests take turns (see
/// `call::limit_time`) on all but one of them.
fn guest_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores)
                .thread_name("stepyard-guest")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

/// Drives a call to its end on the current thread, with the real-time
/// runtime providing WASI's timers.
fn on_io_runtime(plugin: &str, call: impl std::future::Future<Output = CallOutcome>) -> CallOutcome {
    match wasi_io_runtime() {
        Some(rt) => rt.block_on(call),
        None => host_failure(plugin, &"cannot start its I/O runtime"),
    }
}

/// The real-time runtime for calls made outside async code or from virtual
/// time (one worker, which only drives timers; calls run on their caller's thread).
fn wasi_io_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("stepyard-wasi-io")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

#[cfg(test)]
mod tests;
