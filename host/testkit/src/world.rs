//! What a case's real plugins run against: tables of its own, seeded from
//! the case, and the log lines they write. The testkit knows no store and
//! no plugin runtime; the caller (the CLI) supplies a [`World`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use stepyard_interpreter::task::TaskInvoker;

/// Table items by table, then key.
pub type Tables = BTreeMap<String, BTreeMap<String, Value>>;

/// Makes a fresh place for each case that needs one.
pub trait World: Send + Sync {
    /// Plugins over tables of their own, seeded with `tables`; `Err` says
    /// why they could not be set up (a seed the store refuses).
    fn case(&self, tables: &Tables) -> Result<Box<dyn CaseWorld>, String>;
}

/// One case's plugins, tables and log lines.
pub trait CaseWorld: Send + Sync {
    /// The plugins, over this case's tables.
    fn tasks(&self) -> Arc<dyn TaskInvoker>;
    /// An item of this case's tables, after its run.
    fn item(&self, table: &str, key: &str) -> Option<Value>;
    /// The log lines plugins wrote during `execution_arn`, each as
    /// `{"level", "state", "plugin", "message", "fields"}`.
    fn logs(&self, execution_arn: &str) -> Vec<Value>;
}
