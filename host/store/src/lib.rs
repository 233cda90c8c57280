//! Storage for what plugins write: key-value tables (the DynamoDB analogue)
//! and log lines (the CloudWatch Logs analogue).
//!
//! Two implementations of the same traits: [`RedbStore`], one embedded
//! database file (the default), and [`MemoryStore`] for tests and
//! benchmarks. The interpreter never sees either; the plugin runtime does.
//!
//! Besides tables and logs, the redb store keeps the service's state
//! machines, executions and histories ([`RedbStore`]'s record methods), and
//! the audit trail ([`audit`]): append-only, hash-chained records of API
//! calls and refused plugin actions.
//!
//! Must not depend on: any other Stepyard crate. It stores documents and
//! checkpoints as the service hands them over (JSON text, bytes); what they
//! mean is the interpreter's and the service's business.

pub mod audit;
pub mod audited_call;
mod memory;
mod merge;
mod records;
mod redb_store;
mod usage;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use audit::{AuditLog, AuditRecord, AuditResource, UserIdentity};
pub use audited_call::AuditedCall;
use futures_util::future::BoxFuture;
pub use memory::MemoryStore;
pub(crate) use merge::merge;
pub use records::*;
pub use redb_store::{
    AliasWrite, AuditSummary, CommitStats, Expired, ExpiredLogs, LogGroupSize, LogRetention, MergeAggregates,
    MetricMinute, RedbStore, SLOW_BATCH, log_group_of,
};
pub use usage::TaskUsage;

/// Longest key a table accepts (DynamoDB's partition key limit).
pub(crate) const MAX_KEY_BYTES: usize = 2048;
/// Largest item a table accepts (DynamoDB's item limit).
pub(crate) const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Most items one query page returns, whatever the caller asks.
pub const MAX_PAGE_ITEMS: usize = 1000;

/// A stored item: its JSON document and version (1 on first write, +1 on
/// each write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The item's key within its table: 1-2,048 bytes.
    pub key: String,
    /// The item as JSON text, at most 400 KiB.
    pub value: String,
    /// The item's version: 1 on first write, one more on each later write.
    pub version: u64,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The items, in key order; at most [`MAX_PAGE_ITEMS`].
    pub items: Vec<Item>,
    /// The key to continue after, when more items may follow.
    pub next: Option<String>,
}

/// When a put may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Unconditionally, over an existing item or none.
    Always,
    /// Only when the key does not exist.
    Absent,
    /// Only when the item is at this version.
    Version(u64),
}

/// What can go wrong in a store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file cannot be used; nothing was changed in it.
    #[error("cannot open the database {path}: {reason}")]
    Open {
        /// The database file's path, as given.
        path: String,
        /// Why it cannot be used (locked, not a Stepyard database, I/O error…).
        reason: String,
    },
    /// A conditional write did not happen because its condition was false.
    #[error("the conditional request failed: {0}")]
    ConditionFailed(String),
    /// The request itself is wrong (bad key, not JSON, too large…).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Reading or writing failed (disk full, I/O error); a failed write
    /// changed nothing.
    #[error("storage failure: {0}")]
    Io(String),
}

/// Key-value tables.
///
/// Writes come in two forms: the plain methods return once the write is
/// durable, blocking the thread meanwhile; the `_async` ones return a future
/// that does, so a plugin waiting for its write does not hold a thread. A
/// store whose writes never wait (such as [`MemoryStore`]) keeps the default
/// `_async` methods, which do the plain write at once.
pub trait KvStore: Send + Sync {
    /// The item under `key`, or `None` when there is none.
    fn get(&self, table: &str, key: &str) -> Result<Option<Item>, StoreError>;
    /// Writes `value` (JSON text) under `key` if `condition` holds; returns
    /// the new version.
    fn put(&self, table: &str, key: &str, value: &str, condition: Condition) -> Result<u64, StoreError>;
    /// Merges the top-level fields of `changes` into the item (creating it).
    fn update(&self, table: &str, key: &str, changes: &Map<String, Value>) -> Result<Item, StoreError>;
    /// Removes the item under `key`; returns whether there was one.
    fn delete(&self, table: &str, key: &str) -> Result<bool, StoreError>;
    /// [`Self::put`], completing once the write is durable.
    fn put_async(
        &self,
        table: &str,
        key: &str,
        value: &str,
        condition: Condition,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(std::future::ready(self.put(table, key, value, condition)))
    }
    /// [`Self::update`], completing once the write is durable.
    fn update_async(
        &self,
        table: &str,
        key: &str,
        changes: &Map<String, Value>,
    ) -> BoxFuture<'_, Result<Item, StoreError>> {
        Box::pin(std::future::ready(self.update(table, key, changes)))
    }
    /// [`Self::delete`], completing once the write is durable.
    fn delete_async(&self, table: &str, key: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(std::future::ready(self.delete(table, key)))
    }
    /// Items whose key starts with `prefix`, in key order, after `start_after`.
    fn query(&self, table: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<Page, StoreError>;
    /// The tables that hold at least one item.
    fn tables(&self) -> Result<Vec<String>, StoreError>;
}

/// How serious a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// The finest detail a plugin logs.
    Trace,
    /// Detail for debugging a plugin.
    Debug,
    /// Ordinary progress; also what a plugin prints to stdout.
    Info,
    /// Something to look at: a denial, dropped lines, what a plugin prints to stderr.
    Warn,
    /// A failure, such as a trap or a call's service error.
    Error,
}

impl Level {
    /// The level in upper case, as it is stored (`TRACE` … `ERROR`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One stored log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339 with milliseconds.
    pub timestamp: String,
    /// The execution the line belongs to; lines are read back by it.
    pub execution_arn: String,
    /// The state whose task wrote the line.
    pub state_name: String,
    /// The plugin that wrote the line, or `stepyard` for the host's own
    /// lines (denials, traps).
    pub source: String,
    /// `TRACE` to `ERROR`; printed lines are `INFO` (stdout) or `WARN` (stderr).
    pub level: Level,
    /// The text: a plugin's `log` message, or one line it printed.
    pub message: String,
    /// Structured extras as name-value pairs (`stream` for captured stdout/stderr).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    /// Which entry of the state wrote it: the task's idempotency key
    /// (`{execution ARN}#{entered event id}` at the top level, with the
    /// branch or iteration lineage inside Parallel and Map), so the lines of
    /// one state entry can be told from another's. Absent in lines written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The attempt that wrote it: 0 for the first, 1 for the first retry…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
}

/// Log lines, kept per execution.
pub trait LogStore: Send + Sync {
    /// Stores `lines`; they are durable when it returns.
    fn append(&self, lines: &[LogLine]) -> Result<(), StoreError>;
    /// Stores `lines` without waiting for them to be durable (logs are best
    /// effort): they are durable no later than any write to the same store
    /// that starts after this call, and a failure is dropped.
    fn append_later(&self, lines: Vec<LogLine>) {
        let _ = self.append(&lines);
    }
    /// The lines of one execution, in the order they were written.
    fn read(&self, execution_arn: &str) -> Result<Vec<LogLine>, StoreError>;
    /// Executions that have log lines, most recent last.
    fn executions(&self) -> Result<Vec<String>, StoreError>;
    /// Keeps what a task attempt used, as [`append_later`](Self::append_later)
    /// keeps lines: best effort, without waiting. Dropped by stores that
    /// keep no usage.
    fn record_usage(&self, usage: TaskUsage) {
        let _ = usage;
    }
    /// What each task attempt of an execution used, in the order recorded.
    fn usage(&self, execution_arn: &str) -> Result<Vec<TaskUsage>, StoreError> {
        let _ = execution_arn;
        Ok(Vec::new())
    }
}

/// Checks a key and a JSON document before any write.
pub(crate) fn validate_item(table: &str, key: &str, value: &str) -> Result<(), StoreError> {
    validate_key(table, key)?;
    validate_item_size(value)?;
    serde_json::from_str::<Value>(value)
        .map_err(|e| StoreError::Invalid(format!("the item is not valid JSON: {e}")))?;
    Ok(())
}

/// Checks an item's size (all a document [`merge`] wrote needs: it is JSON).
pub(crate) fn validate_item_size(value: &str) -> Result<(), StoreError> {
    if value.len() > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item size {} bytes exceeds the {MAX_ITEM_BYTES}-byte limit",
            value.len()
        )));
    }
    Ok(())
}

pub(crate) fn validate_key(table: &str, key: &str) -> Result<(), StoreError> {
    let table_ok = !table.is_empty()
        && table.len() <= 255
        && table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !table_ok {
        return Err(StoreError::Invalid(format!(
            "table name '{table}' must be 1-255 characters of a-z, A-Z, 0-9, '_', '-' or '.'"
        )));
    }
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(StoreError::Invalid(format!(
            "key must be 1-{MAX_KEY_BYTES} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
