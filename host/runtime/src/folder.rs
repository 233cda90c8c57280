//! A plugin folder watched while a server runs: plugins dropped in,
//! replaced or removed are picked up without a restart.
//!
//! Each execution takes the folder's current registry when it starts and
//! keeps it, so a running execution keeps the plugin versions it started
//! with. The folder is looked at again at most once a second, and only a
//! change of its listing (names, sizes, modification times) reloads it;
//! unchanged components come back from the compile cache. Each load reads
//! every component in the background at once, so a running execution keeps
//! the code of its plugins even if their files are replaced later.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::{PluginHost, Runtime};
use stepyard_interpreter::task::{TaskInvoker, TaskSource};
use stepyard_store::{AuditLog, KvStore, LogStore};

/// How often the folder's listing is looked at, at most.
const RESCAN_INTERVAL: Duration = Duration::from_secs(1);

type Listing = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// The plugins of a folder, reloaded when the folder changes.
pub struct PluginFolder {
    runtime: Runtime,
    dir: PathBuf,
    kv: Arc<dyn KvStore>,
    logs: Arc<dyn LogStore>,
    audit: Option<Arc<dyn AuditLog>>,
    state: Mutex<FolderState>,
}

struct FolderState {
    listing: Listing,
    checked: Instant,
    tasks: Arc<dyn TaskInvoker>,
    host: Arc<PluginHost>,
}

fn listing(dir: &Path) -> Listing {
    let mut out: Listing = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "wasm" || x == "toml" || x == "json")
            })
            .map(|e| {
                let meta = e.metadata().ok();
                (
                    e.path(),
                    meta.as_ref().map_or(0, |m| m.len()),
                    meta.and_then(|m| m.modified().ok()),
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Reads and compiles (or takes from the cache) every plugin of `host` on
/// a thread of its own; a call arriving first simply loads its plugin.
fn load_in_background(host: &Arc<PluginHost>) {
    let host = host.clone();
    let _ = std::thread::Builder::new()
        .name("stepyard-plugin-load".into())
        .spawn(move || host.load_all());
}

impl PluginFolder {
    /// Loads `dir` now and watches it from then on.
    pub fn new(runtime: Runtime, dir: PathBuf, kv: Arc<dyn KvStore>, logs: Arc<dyn LogStore>) -> PluginFolder {
        PluginFolder::new_audited(runtime, dir, kv, logs, None)
    }

    /// [`PluginFolder::new`], recording every import a plugin's role
    /// refuses in `audit` (the audit trail), when given.
    pub fn new_audited(
        runtime: Runtime,
        dir: PathBuf,
        kv: Arc<dyn KvStore>,
        logs: Arc<dyn LogStore>,
        audit: Option<Arc<dyn AuditLog>>,
    ) -> PluginFolder {
        let listing = listing(&dir);
        let host = Arc::new(PluginHost::load_dir_audited(
            &runtime,
            &dir,
            kv.clone(),
            logs.clone(),
            audit.clone(),
        ));
        load_in_background(&host);
        let tasks: Arc<dyn TaskInvoker> = Arc::new(host.registry());
        PluginFolder {
            runtime,
            dir,
            kv,
            logs,
            audit,
            state: Mutex::new(FolderState {
                listing,
                checked: Instant::now(),
                tasks,
                host,
            }),
        }
    }

    /// The plugin host of the folder as it is now.
    pub fn host(&self) -> Arc<PluginHost> {
        self.refresh().1
    }

    fn refresh(&self) -> (Arc<dyn TaskInvoker>, Arc<PluginHost>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= RESCAN_INTERVAL {
            state.checked = Instant::now();
            let now = listing(&self.dir);
            if now != state.listing {
                let host = Arc::new(PluginHost::load_dir_audited(
                    &self.runtime,
                    &self.dir,
                    self.kv.clone(),
                    self.logs.clone(),
                    self.audit.clone(),
                ));
                load_in_background(&host);
                for p in host.problems() {
                    eprintln!("stepyard: {p}");
                }
                state.tasks = Arc::new(host.registry());
                state.host = host;
                state.listing = now;
            }
        }
        (state.tasks.clone(), state.host.clone())
    }
}

impl TaskSource for PluginFolder {
    fn current(&self) -> Arc<dyn TaskInvoker> {
        self.refresh().0
    }
}
