//! The embedded default: one redb database file.
//!
//! Every write is durable before the call returns, and concurrent writes
//! share commits (see [`commit`]); a failed write (a full disk, an I/O
//! error) leaves everything committed before it intact. A file that is not
//! a Stepyard database is refused with its path, never reset.

mod aliases;
mod audit;
#[cfg(test)]
mod audit_tests;
mod audit_verify;
#[cfg(test)]
mod audited_call_tests;
mod commit;
mod executions;
mod journal;
mod kv;
mod log_groups;
mod logs;
mod machine_cache;
mod machines;
mod metrics;
mod migrate;
mod overlay;
mod page_log;
mod retention;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, TableDefinition, TableHandle};

use super::StoreError;
pub use aliases::AliasWrite;
pub use audit::AuditSummary;
use commit::Committer;
pub use commit::{CommitStats, SLOW_BATCH};
pub use log_groups::{ExpiredLogs, LogGroupSize, LogRetention, log_group_of};
pub use metrics::{MergeAggregates, MetricMinute};
pub use retention::Expired;

const META: TableDefinition<&str, &str> = TableDefinition::new("stepyard_meta");

/// The value of the `format` meta key this version writes and reads.
const FORMAT: &str = "stepyard-2";

/// A store in one database file.
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
    committer: Arc<Committer>,
    /// Hands buffered log lines to the writer (see `logs`).
    log_drainer: logs::Drainer,
    /// The start seq last handed to an execution (see `start_execution`).
    execution_seq: AtomicU64,
    /// Log lines waiting for the writer (see `logs`).
    pending_lines: Arc<logs::PendingLines>,
    /// Task usage records not yet handed to the writer (same drainer).
    pending_usage: Arc<logs::PendingLines>,
    /// The secret that keys task tokens (see [`RedbStore::task_token_key`]).
    task_token_key: Arc<[u8]>,
    /// State machines as last read (see [`machine_cache::MachineCache`]).
    machines: Arc<machine_cache::MachineCache>,
    /// Deletes audit records past their age, once asked to
    /// ([`RedbStore::keep_audit_for`]).
    audit_retention: Mutex<Option<audit::Retention>>,
}

impl Drop for RedbStore {
    fn drop(&mut self) {
        // The drainer holds the writer: stop both, so the file is closed.
        self.close();
    }
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").field("path", &self.path).finish()
    }
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
}

impl RedbStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let refuse = |reason: String| StoreError::Open {
            path: shown.clone(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| refuse(format!("cannot create {}: {e}", dir.display())))?;
        }
        let in_use = || {
            refuse(
                "another Stepyard process has it open (a running `stepyard serve`? stop it, or use another --data directory)"
                    .to_owned(),
            )
        };
        let backend = page_log::PageLogFile::open(&path).map_err(|e| match e {
            page_log::OpenError::InUse => in_use(),
            page_log::OpenError::Other(reason) => refuse(reason),
        })?;
        let syncs = backend.sync_handle();
        let db = Database::builder().create_with_backend(backend).map_err(|e| {
            // Logs made just now for a file that is not ours go again.
            for log in page_log::log_paths(&path) {
                if std::fs::metadata(&log).is_ok_and(|m| m.len() == 0) {
                    let _ = std::fs::remove_file(&log);
                }
            }
            match e {
                redb::DatabaseError::DatabaseAlreadyOpen => in_use(),
                other => refuse(format!("{other} (is it a Stepyard database?)")),
            }
        })?;
        let db = Arc::new(db);
        check_format(&db).map_err(|e| match e {
            StoreError::Io(reason) | StoreError::Invalid(reason) => refuse(reason),
            other => other,
        })?;
        RedbStore::with_database(db, path, syncs)
    }

    /// A store held in memory only (`--store memory`): the same tables and
    /// group commit, nothing on disk.
    pub fn in_memory() -> Result<RedbStore, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(io)?;
        let db = Arc::new(db);
        check_format(&db)?;
        RedbStore::with_database(db, PathBuf::from(":memory:"), None)
    }

    /// A store on any redb backend (tests inject failing storage).
    #[cfg(test)]
    pub(crate) fn with_backend(backend: impl redb::StorageBackend) -> Result<RedbStore, StoreError> {
        let db = Arc::new(Database::builder().create_with_backend(backend).map_err(io)?);
        check_format(&db)?;
        RedbStore::with_database(db, PathBuf::from(":backend:"), None)
    }

    fn with_database(
        db: Arc<Database>,
        path: PathBuf,
        syncs: Option<page_log::SyncHandle>,
    ) -> Result<RedbStore, StoreError> {
        let execution_seq = AtomicU64::new(executions::last_execution_seq(&db)?);
        let task_token_key = task_token_key(&db)?;
        let committer = Arc::new(Committer::start(db.clone(), syncs)?);
        let pending_lines: Arc<logs::PendingLines> = Arc::default();
        let pending_usage: Arc<logs::PendingLines> = Arc::default();
        let log_drainer = logs::Drainer::start(pending_lines.clone(), pending_usage.clone(), committer.clone())?;
        Ok(RedbStore {
            db,
            path,
            committer,
            log_drainer,
            execution_seq,
            pending_lines,
            pending_usage,
            task_token_key,
            machines: Arc::default(),
            audit_retention: Mutex::new(None),
        })
    }

    /// A random secret made with the database (32 bytes, kept in
    /// `stepyard_meta`): it keys the tokens of `.waitForTaskToken` tasks,
    /// so that they survive a restart but cannot be derived from an
    /// execution's ARN.
    pub fn task_token_key(&self) -> Arc<[u8]> {
        self.task_token_key.clone()
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many transactions this store committed and how many writes they
    /// carried, since it opened.
    pub fn commit_stats(&self) -> CommitStats {
        self.committer.stats()
    }

    /// Finishes the writes in flight and stops the writer thread; later
    /// writes fail.
    pub fn close(&self) {
        self.stop_audit_retention();
        self.log_drainer.stop();
        // The lines the drainer took last are queued before this.
        self.committer.shutdown();
    }

    fn begin_read(&self) -> Result<redb::ReadTransaction, StoreError> {
        self.db.begin_read().map_err(io)
    }
}

/// Opens `def` for reading; a table never written reads as `None`.
fn read_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    read: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
    match read.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(io(e)),
    }
}

/// The meta key of the task token secret (hex).
const TASK_TOKEN_KEY: &str = "task_token_key";

/// The database's task token secret, made (and stored) on first use.
fn task_token_key(db: &Database) -> Result<Arc<[u8]>, StoreError> {
    let read = db.begin_read().map_err(io)?;
    let stored = match read_table(&read, META)? {
        Some(meta) => meta.get(TASK_TOKEN_KEY).map_err(io)?.map(|v| v.value().to_owned()),
        None => None,
    };
    drop(read);
    if let Some(hex) = stored {
        return decode_hex(&hex)
            .map(Arc::from)
            .ok_or_else(|| StoreError::Invalid(format!("the stored {TASK_TOKEN_KEY} is damaged")));
    }
    let key: [u8; 32] = rand::random();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let write = db.begin_write().map_err(io)?;
    write
        .open_table(META)
        .map_err(io)?
        .insert(TASK_TOKEN_KEY, hex.as_str())
        .map_err(io)?;
    write.commit().map_err(io)?;
    Ok(Arc::from(key.as_slice()))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.is_empty() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Stamps a new file; refuses a redb file written by something else.
fn check_format(db: &Database) -> Result<(), StoreError> {
    let read = db.begin_read().map_err(io)?;
    let tables: Vec<String> = read.list_tables().map_err(io)?.map(|t| t.name().to_owned()).collect();
    let format = match read_table(&read, META)? {
        Some(meta) => meta.get("format").map_err(io)?.map(|v| v.value().to_owned()),
        None => None,
    };
    drop(read);
    match format {
        Some(f) if f == FORMAT => {
            // Files from before the ended list: list their ended executions once.
            if !tables.iter().any(|t| t == retention::ENDED.name()) && tables.iter().any(|t| t == "executions") {
                let write = db.begin_write().map_err(io)?;
                retention::backfill(&write)?;
                write.commit().map_err(io)?;
            }
            // Files from before log groups: count their lines once.
            if !tables.iter().any(|t| t == log_groups::LOG_SIZES.name())
                && tables.iter().any(|t| t == logs::LOGS.name())
            {
                let write = db.begin_write().map_err(io)?;
                log_groups::backfill(&write)?;
                write.commit().map_err(io)?;
            }
            Ok(())
        }
        Some(f) if f == "stepyard-1" => migrate::from_v1(db, FORMAT),
        Some(f) => Err(StoreError::Invalid(format!(
            "it holds data in format '{f}', this Stepyard reads '{FORMAT}'"
        ))),
        None if tables.is_empty() => {
            let write = db.begin_write().map_err(io)?;
            write
                .open_table(META)
                .map_err(io)?
                .insert("format", FORMAT)
                .map_err(io)?;
            write.commit().map_err(io)
        }
        None => Err(StoreError::Invalid(format!(
            "it is a redb database of another program (tables: {})",
            tables.join(", ")
        ))),
    }
}
