//! The environment the commands share: the data directory (database and
//! compile cache) and the plugin folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use stepyard_interpreter::task::Registry;
use stepyard_runtime::{PluginHost, Runtime};
use stepyard_store::{KvStore, LogStore, MemoryStore, RedbStore};

#[derive(Debug, Args, Clone)]
pub(crate) struct EnvArgs {
    /// Where the database and the compiled-plugin cache live.
    #[arg(long, value_name = "DIR", default_value = ".stepyard", global = true)]
    pub data: PathBuf,
    /// The plugin folder: NAME.wasm with NAME.toml or NAME.json beside it.
    #[arg(long, value_name = "DIR", default_value = "plugins", global = true)]
    pub plugins: PathBuf,
    /// Where tables and logs live: the database in the data directory, or
    /// memory (gone when the command ends; the compile cache is still used).
    #[arg(long, value_enum, default_value_t = StoreKind::Redb, global = true)]
    pub store: StoreKind,
    /// Where compiled plugins are cached (default: DATA/cache).
    #[arg(long, value_name = "DIR", global = true)]
    pub cache: Option<PathBuf>,
    /// The most a plugin manifest's `[quotas]` may ask for, as
    /// NAME=VALUE,… (log_lines_per_call, log_kb_per_call,
    /// table_writes_per_call, table_write_kb_per_call). Without it,
    /// manifests may only lower the defaults.
    #[arg(
        long,
        value_name = "QUOTAS",
        global = true,
        env = "STEPYARD_PLUGIN_QUOTA_CEILING",
        value_parser = stepyard_runtime::Quotas::parse_list
    )]
    pub plugin_quota_ceiling: Option<stepyard_runtime::Quotas>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StoreKind {
    Redb,
    Memory,
}

/// The opened database and loaded plugins.
pub(crate) struct Env {
    pub host: PluginHost,
}

impl EnvArgs {
    /// The compiled-plugin cache directory.
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(|| self.data.join("cache"))
    }

    /// The plugin runtime (engine, compile cache, the operator's quota ceiling).
    pub(crate) fn runtime(&self) -> anyhow::Result<Runtime> {
        let runtime = Runtime::new(Some(self.cache_dir()))?;
        Ok(match self.plugin_quota_ceiling {
            Some(ceiling) => runtime.with_quota_ceiling(ceiling),
            None => runtime,
        })
    }

    /// Opens the database in the data directory.
    pub(crate) fn store(&self) -> anyhow::Result<Arc<RedbStore>> {
        Ok(Arc::new(RedbStore::open(self.data.join("stepyard.redb"))?))
    }

    fn stores(&self) -> anyhow::Result<(Arc<dyn KvStore>, Arc<dyn LogStore>)> {
        Ok(match self.store {
            StoreKind::Redb => {
                let s = self.store()?;
                (s.clone(), s)
            }
            StoreKind::Memory => {
                let s = Arc::new(MemoryStore::new());
                (s.clone(), s)
            }
        })
    }

    /// Opens the database and loads the plugin folder, reporting (not
    /// failing on) plugins that do not load.
    pub(crate) fn open(&self) -> anyhow::Result<Env> {
        let (kv, logs) = self.stores()?;
        self.load_plugins(kv, logs, None)
    }

    /// Loads the plugin folder over a store in memory that the caller keeps
    /// (to seed tables and read what the plugins wrote).
    pub(crate) fn open_in_memory(&self) -> anyhow::Result<(Env, Arc<MemoryStore>)> {
        let store = Arc::new(MemoryStore::new());
        let env = self.load_plugins(store.clone(), store.clone(), None)?;
        Ok((env, store))
    }

    /// Loads the plugin folder over a database already open, counting
    /// plugin calls (attempts, retries, CPU, memory) into `metrics`.
    pub(crate) fn open_on(
        &self,
        store: Arc<RedbStore>,
        metrics: Arc<stepyard_metrics::Metrics>,
    ) -> anyhow::Result<Env> {
        self.load_plugins(store.clone(), store, Some(metrics))
    }

    fn load_plugins(
        &self,
        kv: Arc<dyn KvStore>,
        logs: Arc<dyn LogStore>,
        metrics: Option<Arc<stepyard_metrics::Metrics>>,
    ) -> anyhow::Result<Env> {
        let mut runtime = self.runtime()?;
        if let Some(metrics) = metrics {
            runtime = runtime.with_metrics(metrics);
        }
        let host = PluginHost::load_dir(&runtime, &self.plugins, kv, logs);
        for p in host.problems() {
            eprintln!("warning: {p}");
        }
        Ok(Env { host })
    }
}

impl Env {
    /// The task registry, with the `--lambdas` aliases applied.
    pub(crate) fn registry(&self, lambdas: Option<&Path>) -> anyhow::Result<Registry> {
        let mut registry = self.host.registry();
        if let Some(path) = lambdas {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let map: BTreeMap<String, String> = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} must be a JSON object of function name → plugin name",
                    path.display()
                )
            })?;
            for (function, plugin) in map {
                registry.alias(function, plugin);
            }
        }
        Ok(registry)
    }
}
