//! The embedded default: one redb database file.
//!
//! Every write is durable before the call returns, and concurrent writes
//! share commits (see [`commit`]); a failed write (a full disk, an I/O
//! error) leaves everything committed before it intact. A file that is not
//! a Stepyard database is refused with its path, never reset.

mod commit;
mod executions;
mod journal;
mod kv;
mod logs;
mod migrate;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use redb::{Database, ReadableDatabase, TableDefinition, TableHandle};

use super::StoreError;
use commit::Committer;
pub use commit::{CommitStats, SLOW_BATCH};

const META: TableDefinition<&str, &str> = TableDefinition::new("stepyard_meta");

/// The value of the `format` meta key this version writes and reads.
const FORMAT: &str = "stepyard-2";

/// A store in one database file.
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
    committer: Committer,
    /// The start seq last handed to an execution (see `start_execution`).
    execution_seq: AtomicU64,
    /// Log lines waiting for the writer (see `logs`).
    pending_lines: Arc<logs::PendingLines>,
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
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => {
                refuse(
                    "another Stepyard process has it open (a running `stepyard serve`? stop it, or use another --data directory)"
                        .to_owned(),
                )
            }
            other => refuse(format!("{other} (is it a Stepyard database?)")),
        })?;
        let db = Arc::new(db);
        check_format(&db).map_err(|e| match e {
            StoreError::Io(reason) | StoreError::Invalid(reason) => refuse(reason),
            other => other,
        })?;
        RedbStore::with_database(db, path)
    }

    /// A store held in memory only (`--store memory`): the same tables and
    /// group commit, nothing on disk.
    pub fn in_memory() -> Result<RedbStore, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(io)?;
        let db = Arc::new(db);
        check_format(&db)?;
        RedbStore::with_database(db, PathBuf::from(":memory:"))
    }

    /// A store on any redb backend (tests inject failing storage).
    #[cfg(test)]
    pub(crate) fn with_backend(backend: impl redb::StorageBackend) -> Result<RedbStore, StoreError> {
        let db = Arc::new(Database::builder().create_with_backend(backend).map_err(io)?);
        check_format(&db)?;
        RedbStore::with_database(db, PathBuf::from(":backend:"))
    }

    fn with_database(db: Arc<Database>, path: PathBuf) -> Result<RedbStore, StoreError> {
        let execution_seq = AtomicU64::new(executions::last_execution_seq(&db)?);
        let committer = Committer::start(db.clone())?;
        Ok(RedbStore {
            db,
            path,
            committer,
            execution_seq,
            pending_lines: Arc::default(),
        })
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
        Some(f) if f == FORMAT => Ok(()),
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
