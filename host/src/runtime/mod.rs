//! The plugin runtime: every `Task` runs a sandboxed WebAssembly component
//! from the plugin folder.
//!
//! A folder holds `NAME.wasm` and, optionally, its manifest `NAME.toml` or
//! `NAME.json` (role, limits, WASI grants). [`PluginHost::load_dir`] compiles
//! each component once (through the on-disk cache), links it with the
//! imports of `wit/plugin.wit`, and pre-instantiates it; each call then gets a
//! fresh store (isolation between calls) from the pooling allocator. A broken
//! plugin is reported with its path and reason and does not stop the others.

mod call;
mod engine;
mod host;
mod manifest;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use wasmtime::component::{HasSelf, Linker};

pub use engine::{CacheOutcome, CompileError, Runtime};
pub use host::{ACCOUNT, REGION, table_arn};
pub use manifest::{Limits, Manifest, ManifestError, Preopen, WasiGrants};

use crate::clock::BoxFuture;
use crate::store::{KvStore, LogStore};
use crate::task::{CallOutcome, Function, Registry, TaskContext, TaskFailure};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "task-plugin" });
}

/// A plugin as loaded: its name, files and manifest.
#[derive(Debug)]
pub struct PluginInfo {
    pub name: String,
    pub wasm_path: PathBuf,
    pub manifest_path: Option<PathBuf>,
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
}

/// A plugin that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub name: String,
    pub path: PathBuf,
    pub reason: String,
}

/// The loaded plugins of one folder, with the stores their imports use.
pub struct PluginHost {
    plugins: Vec<Arc<LoadedPlugin>>,
    problems: Vec<LoadProblem>,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
}

impl PluginHost {
    /// Loads every `*.wasm` in `dir` (a missing folder loads nothing).
    pub fn load_dir(runtime: &Runtime, dir: &Path, kv: Arc<dyn KvStore>, logs: Arc<dyn LogStore>) -> PluginHost {
        let mut host = PluginHost {
            plugins: Vec::new(),
            problems: Vec::new(),
            kv,
            logs,
        };
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => return host,
        };
        paths.sort();
        let mut linker = Linker::<host::CallState>::new(runtime.engine());
        if let Err(e) = link(&mut linker) {
            host.problems.push(LoadProblem {
                name: "*".into(),
                path: dir.to_path_buf(),
                reason: e,
            });
            return host;
        }
        for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "wasm")) {
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            match load_one(runtime, &linker, &path, &name) {
                Ok(p) => host.plugins.push(Arc::new(p)),
                Err(reason) => host.problems.push(LoadProblem { name, path, reason }),
            }
        }
        host
    }

    /// What loaded, for `stepyard plugins`.
    pub fn plugins(&self) -> impl Iterator<Item = &PluginInfo> {
        self.plugins.iter().map(|p| &*p.info)
    }

    /// What did not load, and why.
    pub fn problems(&self) -> &[LoadProblem] {
        &self.problems
    }

    /// Calls `function` on the current thread (no async runtime needed):
    /// what a task call does, minus the hop to a blocking thread. `None`
    /// when no loaded plugin serves `function`.
    pub fn call_blocking(&self, function: &str, payload: &Value, context: &TaskContext) -> Option<CallOutcome> {
        let plugin = self
            .plugins
            .iter()
            .find(|p| p.info.manifest.functions.iter().any(|f| f == function))?;
        Some(call::call(
            plugin,
            function,
            payload,
            context,
            self.kv.clone(),
            &*self.logs,
        ))
    }

    /// A task registry that calls these plugins by function name. A plugin
    /// that failed to load still answers, with the reason it failed.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        for p in &self.plugins {
            for function in &p.info.manifest.functions {
                let f = PluginFunction {
                    plugin: p.clone(),
                    function: function.clone(),
                    kv: self.kv.clone(),
                    logs: self.logs.clone(),
                };
                registry.register(function.clone(), Arc::new(f));
            }
        }
        for problem in &self.problems {
            let failure = TaskFailure::new(
                "Runtime.InvalidPlugin",
                format!(
                    "plugin '{}' ({}) could not be loaded: {}",
                    problem.name,
                    problem.path.display(),
                    problem.reason
                ),
            );
            registry.register(problem.name.clone(), Arc::new(Broken(failure)));
        }
        registry
    }
}

fn link(linker: &mut Linker<host::CallState>) -> Result<(), String> {
    wasmtime_wasi::p2::add_to_linker_sync(linker).map_err(|e| engine::describe(&e))?;
    bindings::TaskPlugin::add_to_linker::<host::CallState, HasSelf<host::CallState>>(linker, |s| s)
        .map_err(|e| engine::describe(&e))
}

fn load_one(
    runtime: &Runtime,
    linker: &Linker<host::CallState>,
    path: &Path,
    name: &str,
) -> Result<LoadedPlugin, String> {
    let manifest_path = ["toml", "json"]
        .iter()
        .map(|ext| path.with_extension(ext))
        .find(|p| p.is_file());
    let manifest = match &manifest_path {
        Some(p) => Manifest::load(p, name).map_err(|e| e.to_string())?,
        None => Manifest::default_for(name),
    };
    if manifest.limits.memory_bytes > engine::MAX_MEMORY_BYTES {
        return Err(format!(
            "limits.memory_mb exceeds the host's maximum of {} MiB",
            engine::MAX_MEMORY_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let (component, cache) = runtime
        .component(&bytes)
        .map_err(|e| format!("not a valid component: {e}"))?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(|e| format!("its imports cannot be satisfied: {}", engine::describe(&e)))?;
    let pre = bindings::TaskPluginPre::new(instance_pre)
        .map_err(|e| format!("it does not export the task-plugin world: {}", engine::describe(&e)))?;
    let info = PluginInfo {
        name: name.to_owned(),
        wasm_path: path.to_path_buf(),
        manifest_path,
        manifest,
        cache,
    };
    let warm = info.manifest.reuse_instances.then(call::WarmPool::default);
    Ok(LoadedPlugin {
        info: Arc::new(info),
        pre,
        warm,
        _ticker: runtime.ticker(),
    })
}

/// One function name served by a plugin.
struct PluginFunction {
    plugin: Arc<LoadedPlugin>,
    function: String,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
}

impl Function for PluginFunction {
    fn call(&self, payload: Value, context: TaskContext) -> BoxFuture<'static, CallOutcome> {
        let plugin = self.plugin.clone();
        let function = self.function.clone();
        let kv = self.kv.clone();
        let logs = self.logs.clone();
        Box::pin(async move {
            // Guest code runs on a blocking thread: it must not stall the
            // executor, and epoch interruption bounds how long it holds one.
            let label = plugin.info.label();
            let job = tokio::task::spawn_blocking(move || {
                // WASI's blocking operations (sleeps, polls) run on a
                // real-time runtime of their own: the caller's runtime may
                // run in virtual time, where they would never complete.
                let _io = wasi_io_runtime().map(|rt| rt.enter());
                call::call(&plugin, &function, &payload, &context, kv, &*logs)
            });
            match job.await {
                Ok(outcome) => outcome,
                Err(e) => CallOutcome::ServiceError(TaskFailure::new(
                    "Runtime.HostError",
                    format!("{label}: the host failed running it: {e}"),
                )),
            }
        })
    }
}

/// The runtime WASI's host implementations block on (one worker, real time).
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

/// The stand-in for a plugin that did not load.
struct Broken(TaskFailure);

impl Function for Broken {
    fn call(&self, _payload: Value, _context: TaskContext) -> BoxFuture<'static, CallOutcome> {
        let failure = self.0.clone();
        Box::pin(async move { CallOutcome::ServiceError(failure) })
    }
}
