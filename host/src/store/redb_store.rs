//! The embedded default: one redb database file.
//!
//! Each write is one transaction, committed durably before the call
//! returns; a failed write (a full disk, an I/O error) leaves everything
//! committed before it intact. A file that is not a Stepyard database is
//! refused with its path, never reset.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde_json::{Map, Value};

use super::memory::check_condition;
use super::*;

const META: TableDefinition<&str, &str> = TableDefinition::new("stepyard_meta");
const KV: TableDefinition<(&str, &str), (u64, &str)> = TableDefinition::new("kv_items");
const LOGS: TableDefinition<(&str, u64), &str> = TableDefinition::new("log_lines");

/// The value of the `format` meta key this version writes and reads.
const FORMAT: &str = "stepyard-1";

/// A store in one database file.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
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
                refuse("another Stepyard process has it open (use another --data directory)".to_owned())
            }
            other => refuse(format!("{other} (is it a Stepyard database?)")),
        })?;
        let store = RedbStore { db, path };
        store.check_format().map_err(|e| match e {
            StoreError::Io(reason) | StoreError::Invalid(reason) => refuse(reason),
            other => other,
        })?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stamps a new file; refuses a redb file written by something else.
    fn check_format(&self) -> Result<(), StoreError> {
        let read = self.db.begin_read().map_err(io)?;
        let tables: Vec<String> = read.list_tables().map_err(io)?.map(|t| t.name().to_owned()).collect();
        let format = match read.open_table(META) {
            Ok(meta) => meta.get("format").map_err(io)?.map(|v| v.value().to_owned()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(io(e)),
        };
        drop(read);
        match format {
            Some(f) if f == FORMAT => Ok(()),
            Some(f) => Err(StoreError::Invalid(format!(
                "it holds data in format '{f}', this Stepyard reads '{FORMAT}'"
            ))),
            None if tables.is_empty() => {
                let write = self.db.begin_write().map_err(io)?;
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

    fn read_item(&self, table: &str, key: &str) -> Result<Option<(u64, String)>, StoreError> {
        let read = self.db.begin_read().map_err(io)?;
        let kv = match read.open_table(KV) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let found = kv.get((table, key)).map_err(io)?;
        Ok(found.map(|g| {
            let (version, value) = g.value();
            (version, value.to_owned())
        }))
    }
}

impl KvStore for RedbStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Item>, StoreError> {
        validate_key(table, key)?;
        Ok(self.read_item(table, key)?.map(|(version, value)| Item {
            key: key.to_owned(),
            value,
            version,
        }))
    }

    fn put(&self, table: &str, key: &str, value: &str, condition: Condition) -> Result<u64, StoreError> {
        validate_item(table, key, value)?;
        let write = self.db.begin_write().map_err(io)?;
        let version = {
            let mut kv = write.open_table(KV).map_err(io)?;
            let current = kv.get((table, key)).map_err(io)?.map(|g| g.value().0);
            check_condition(condition, current)?;
            let version = current.unwrap_or(0) + 1;
            kv.insert((table, key), (version, value)).map_err(io)?;
            version
        };
        write.commit().map_err(io)?;
        Ok(version)
    }

    fn update(&self, table: &str, key: &str, changes: &Map<String, Value>) -> Result<Item, StoreError> {
        validate_key(table, key)?;
        let write = self.db.begin_write().map_err(io)?;
        let item = {
            let mut kv = write.open_table(KV).map_err(io)?;
            let current = kv.get((table, key)).map_err(io)?.map(|g| {
                let (v, t) = g.value();
                (v, t.to_owned())
            });
            let value = merge(current.as_ref().map(|(_, t)| t.as_str()), changes)?;
            validate_item(table, key, &value)?;
            let version = current.map_or(0, |(v, _)| v) + 1;
            kv.insert((table, key), (version, value.as_str())).map_err(io)?;
            Item {
                key: key.to_owned(),
                value,
                version,
            }
        };
        write.commit().map_err(io)?;
        Ok(item)
    }

    fn delete(&self, table: &str, key: &str) -> Result<bool, StoreError> {
        validate_key(table, key)?;
        let write = self.db.begin_write().map_err(io)?;
        let existed = write
            .open_table(KV)
            .map_err(io)?
            .remove((table, key))
            .map_err(io)?
            .is_some();
        write.commit().map_err(io)?;
        Ok(existed)
    }

    fn query(&self, table: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        validate_key(table, "-")?;
        let limit = limit.clamp(1, MAX_PAGE_ITEMS);
        let read = self.db.begin_read().map_err(io)?;
        let kv = match read.open_table(KV) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Page::default()),
            Err(e) => return Err(io(e)),
        };
        let start = start_after.unwrap_or(prefix);
        let mut page = Page::default();
        for entry in kv.range((table, start)..).map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            let (t, key) = k.value();
            if t != table || !key.starts_with(prefix) {
                break;
            }
            if Some(key) == start_after {
                continue;
            }
            if page.items.len() == limit {
                page.next = page.items.last().map(|i| i.key.clone());
                break;
            }
            let (version, value) = v.value();
            page.items.push(Item {
                key: key.to_owned(),
                value: value.to_owned(),
                version,
            });
        }
        Ok(page)
    }

    fn tables(&self) -> Result<Vec<String>, StoreError> {
        let read = self.db.begin_read().map_err(io)?;
        let kv = match read.open_table(KV) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut names: Vec<String> = Vec::new();
        for entry in kv.iter().map_err(io)? {
            let (k, _) = entry.map_err(io)?;
            let t = k.value().0;
            if names.last().map(String::as_str) != Some(t) {
                names.push(t.to_owned());
            }
        }
        Ok(names)
    }
}

impl LogStore for RedbStore {
    fn append(&self, lines: &[LogLine]) -> Result<(), StoreError> {
        if lines.is_empty() {
            return Ok(());
        }
        let write = self.db.begin_write().map_err(io)?;
        {
            let mut logs = write.open_table(LOGS).map_err(io)?;
            for line in lines {
                let arn = line.execution_arn.as_str();
                let last = logs
                    .range((arn, 0)..=(arn, u64::MAX))
                    .map_err(io)?
                    .next_back()
                    .transpose()
                    .map_err(io)?
                    .map(|(k, _)| k.value().1);
                let seq = last.map_or(0, |s| s + 1);
                let text = serde_json::to_string(line).map_err(io)?;
                logs.insert((arn, seq), text.as_str()).map_err(io)?;
            }
        }
        write.commit().map_err(io)
    }

    fn read(&self, execution_arn: &str) -> Result<Vec<LogLine>, StoreError> {
        let read = self.db.begin_read().map_err(io)?;
        let logs = match read.open_table(LOGS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut out = Vec::new();
        for entry in logs.range((execution_arn, 0)..=(execution_arn, u64::MAX)).map_err(io)? {
            let (_, v) = entry.map_err(io)?;
            out.push(serde_json::from_str(v.value()).map_err(|e| io(format!("a stored log line is damaged: {e}")))?);
        }
        Ok(out)
    }

    fn executions(&self) -> Result<Vec<String>, StoreError> {
        let read = self.db.begin_read().map_err(io)?;
        let logs = match read.open_table(LOGS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        // (first line's timestamp, execution): the first line of each
        // execution is its seq 0 entry.
        let mut out: Vec<(String, String)> = Vec::new();
        for entry in logs.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            let (arn, seq) = k.value();
            if seq == 0 {
                let line: LogLine = serde_json::from_str(v.value()).map_err(io)?;
                out.push((line.timestamp, arn.to_owned()));
            }
        }
        out.sort();
        Ok(out.into_iter().map(|(_, arn)| arn).collect())
    }
}
