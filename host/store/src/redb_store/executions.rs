//! Executions and their histories in the database file (state machines
//! and versions: `machines.rs`). Writes go through group commit; every
//! write that can be refused (a name in use, a closed execution) decides
//! before it writes.

use std::sync::atomic::Ordering;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::journal::{self, JOURNAL};
use super::retention;
use super::{RedbStore, io, read_table};
use crate::StoreError;
use crate::records::*;

/// Execution ARN → record (without its definition: see `DEFINITIONS`).
pub(super) const EXECUTIONS: TableDefinition<&str, &str> = TableDefinition::new("executions");
/// (state machine ARN, start seq) → execution ARN: listing, newest first.
pub(super) const BY_MACHINE: TableDefinition<(&str, u64), &str> = TableDefinition::new("executions_by_machine");
/// Start seq → ARN of the executions not yet ended: resumed when the
/// server starts. Keyed by seq so that starts and ends touch few pages.
pub(super) const RUNNING: TableDefinition<u64, &str> = TableDefinition::new("running_executions");
/// Revision id → the definition executions of that revision run: stored
/// once per revision, not in every execution record.
pub(super) const DEFINITIONS: TableDefinition<&str, &str> = TableDefinition::new("definitions");

pub(super) fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(io)
}

pub(super) fn decode<T: DeserializeOwned>(what: &str, key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Io(format!("the stored {what} '{key}' is damaged: {e}")))
}

pub(super) fn get_doc<T: DeserializeOwned>(
    txn: &WriteTransaction,
    def: TableDefinition<&str, &str>,
    what: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let table = txn.open_table(def).map_err(io)?;
    let found = table.get(key).map_err(io)?;
    found.map(|g| decode(what, key, g.value())).transpose()
}

/// An execution record as stored: without its definition (kept once per
/// revision in `DEFINITIONS`).
fn encode_record(record: &mut ExecutionRecord) -> Result<String, StoreError> {
    let definition = std::mem::take(&mut record.definition);
    let text = encode(record);
    record.definition = definition;
    text
}

/// Gives `record` the definition of its revision.
fn fill_definition(
    definitions: &impl ReadableTable<&'static str, &'static str>,
    record: &mut ExecutionRecord,
) -> Result<(), StoreError> {
    if let Some(text) = definitions.get(record.revision_id.as_str()).map_err(io)? {
        record.definition = text.value().to_owned();
    }
    Ok(())
}

impl RedbStore {
    /// A start seq for a new execution (one that turns out to exist
    /// already leaves its seq unused).
    pub fn next_execution_seq(&self) -> u64 {
        self.execution_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Stores a new execution with its first events and, when it has got
    /// that far, its first checkpoint, unless one exists at its ARN (then
    /// nothing is written). A record without a seq gets the next one.
    pub async fn start_execution(
        &self,
        record: ExecutionRecord,
        events: Vec<StoredEvent>,
        checkpoint: Option<String>,
    ) -> Result<Started, StoreError> {
        // The seq and the document are made here, not on the writer thread.
        let mut record = record;
        if record.seq == 0 {
            record.seq = self.next_execution_seq();
        }
        let text = encode_record(&mut record)?;
        self.committer
            .write_async(move |txn| {
                let arn = record.arn.as_str();
                let mut executions = txn.open_table(EXECUTIONS).map_err(io)?;
                if let Some(found) = executions.get(arn).map_err(io)? {
                    let existing = decode("execution", arn, found.value())?;
                    return Ok(Started::Existing(existing));
                }
                executions.insert(arn, text.as_str()).map_err(io)?;
                drop(executions);
                let seq = record.seq;
                let mut definitions = txn.open_table(DEFINITIONS).map_err(io)?;
                if definitions.get(record.revision_id.as_str()).map_err(io)?.is_none() {
                    definitions
                        .insert(record.revision_id.as_str(), record.definition.as_str())
                        .map_err(io)?;
                }
                txn.open_table(BY_MACHINE)
                    .map_err(io)?
                    .insert((record.state_machine_arn.as_str(), seq), arn)
                    .map_err(io)?;
                txn.open_table(RUNNING).map_err(io)?.insert(seq, arn).map_err(io)?;
                journal::append(txn, seq, &events, checkpoint.as_deref())?;
                Ok(Started::New(record))
            })
            .await
    }

    /// Makes `events` and the checkpoint of the execution with start seq
    /// `seq` durable.
    pub async fn checkpoint(&self, seq: u64, events: Vec<StoredEvent>, checkpoint: String) -> Result<(), StoreError> {
        self.committer
            .write_async(move |txn| journal::append(txn, seq, &events, Some(&checkpoint)))
            .await
    }

    /// Records how a running execution ended, with its last events. Returns
    /// false (and writes nothing) when it had already ended.
    pub async fn finish_execution(
        &self,
        arn: &str,
        events: Vec<StoredEvent>,
        end: ExecutionEnd,
    ) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.committer
            .write_async(move |txn| {
                let Some(mut record) = get_doc::<ExecutionRecord>(txn, EXECUTIONS, "execution", &arn)? else {
                    return Ok(false);
                };
                if !record.is_running() {
                    return Ok(false);
                }
                record.status = end.status;
                record.stop_millis = Some(end.stop_millis);
                record.output = end.output;
                record.error = end.error;
                record.cause = end.cause;
                let text = encode_record(&mut record)?;
                txn.open_table(EXECUTIONS)
                    .map_err(io)?
                    .insert(arn.as_str(), text.as_str())
                    .map_err(io)?;
                txn.open_table(RUNNING).map_err(io)?.remove(record.seq).map_err(io)?;
                retention::mark_ended(txn, &record)?;
                journal::append(txn, record.seq, &events, None)?;
                Ok(true)
            })
            .await
    }

    /// Records how an execution ended, given the record it ran with (its
    /// runner's copy: while an execution runs nothing else changes its
    /// record). Does what [`finish_execution`](Self::finish_execution) does,
    /// but the ended record is made here, not decoded and encoded again on
    /// the writer thread.
    pub async fn finish_running_execution(
        &self,
        running: &ExecutionRecord,
        events: Vec<StoredEvent>,
        end: ExecutionEnd,
    ) -> Result<bool, StoreError> {
        let mut record = ExecutionRecord {
            status: end.status,
            stop_millis: Some(end.stop_millis),
            output: end.output,
            error: end.error,
            cause: end.cause,
            definition: String::new(),
            ..running.clone_without_definition()
        };
        let text = encode_record(&mut record)?;
        self.committer
            .write_async(move |txn| {
                let (arn, seq) = (record.arn.as_str(), record.seq);
                // Running exactly while listed in RUNNING (both change together).
                let mut running = txn.open_table(RUNNING).map_err(io)?;
                if running.remove(seq).map_err(io)?.is_none() {
                    return Ok(false);
                }
                drop(running);
                txn.open_table(EXECUTIONS)
                    .map_err(io)?
                    .insert(arn, text.as_str())
                    .map_err(io)?;
                retention::mark_ended(txn, &record)?;
                journal::append(txn, seq, &events, None)?;
                Ok(true)
            })
            .await
    }

    /// Marks an ended execution running again (`RedriveExecution`);
    /// `check` refuses executions that cannot be redriven.
    pub async fn redrive_execution(
        &self,
        arn: &str,
        redrive_millis: i64,
        events: Vec<StoredEvent>,
        checkpoint: String,
        check: impl FnOnce(&ExecutionRecord) -> Result<(), StoreError> + Send + 'static,
    ) -> Result<Option<ExecutionRecord>, StoreError> {
        let arn = arn.to_owned();
        self.committer
            .write_async(move |txn| {
                let Some(mut record) = get_doc::<ExecutionRecord>(txn, EXECUTIONS, "execution", &arn)? else {
                    return Ok(None);
                };
                check(&record)?;
                retention::unmark_ended(txn, &record)?;
                record.status = "RUNNING".into();
                record.redrive_count += 1;
                record.redrive_millis = Some(redrive_millis);
                record.stop_millis = None;
                record.output = None;
                record.error = None;
                record.cause = None;
                let text = encode_record(&mut record)?;
                txn.open_table(EXECUTIONS)
                    .map_err(io)?
                    .insert(arn.as_str(), text.as_str())
                    .map_err(io)?;
                txn.open_table(RUNNING)
                    .map_err(io)?
                    .insert(record.seq, arn.as_str())
                    .map_err(io)?;
                journal::append(txn, record.seq, &events, Some(&checkpoint))?;
                fill_definition(&txn.open_table(DEFINITIONS).map_err(io)?, &mut record)?;
                Ok(Some(record))
            })
            .await
    }

    /// Removes the events after `last_id` (a resumed execution redoes them).
    pub async fn discard_events_after(&self, arn: &str, last_id: u64) -> Result<(), StoreError> {
        let arn = arn.to_owned();
        self.committer
            .write_async(move |txn| {
                let Some(record) = get_doc::<ExecutionRecord>(txn, EXECUTIONS, "execution", &arn)? else {
                    return Ok(());
                };
                journal::discard_after(txn, &arn, record.seq, last_id)
            })
            .await
    }

    /// The execution at `arn`, with its definition.
    pub fn execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, EXECUTIONS)? else {
            return Ok(None);
        };
        let Some(found) = table.get(arn).map_err(io)? else {
            return Ok(None);
        };
        let mut record: ExecutionRecord = decode("execution", arn, found.value())?;
        if let Some(definitions) = read_table(&read, DEFINITIONS)? {
            fill_definition(&definitions, &mut record)?;
        }
        Ok(Some(record))
    }

    /// The start seq of the execution at `arn`.
    fn seq_of(&self, read: &redb::ReadTransaction, arn: &str) -> Result<Option<u64>, StoreError> {
        let Some(table) = read_table(read, EXECUTIONS)? else {
            return Ok(None);
        };
        let found = table.get(arn).map_err(io)?;
        found
            .map(|g| decode::<ExecutionRecord>("execution", arn, g.value()).map(|r| r.seq))
            .transpose()
    }

    /// Executions of a machine, newest first, starting below `before_seq`;
    /// `keep` filters. Returns the page (summaries: see [`ExecutionSummary`])
    /// and the seq to continue below.
    pub fn executions_of(
        &self,
        machine_arn: &str,
        before_seq: Option<u64>,
        limit: usize,
        keep: impl Fn(&ExecutionSummary) -> bool,
    ) -> Result<(Vec<ExecutionSummary>, Option<u64>), StoreError> {
        let read = self.begin_read()?;
        let (Some(index), Some(execs)) = (read_table(&read, BY_MACHINE)?, read_table(&read, EXECUTIONS)?) else {
            return Ok((Vec::new(), None));
        };
        let upper = before_seq.unwrap_or(u64::MAX);
        let entries = index
            .range((machine_arn, 0)..(machine_arn, upper))
            .map_err(io)?
            .rev()
            .map(|entry| entry.map(|(k, v)| (k.value().1, v)));
        page_of(entries, &execs, limit, keep)
    }

    /// Visits a machine's executions newest first, until `visit` says
    /// `false` (or none are left).
    pub fn scan_executions_of(
        &self,
        machine_arn: &str,
        mut visit: impl FnMut(&ExecutionSummary) -> bool,
    ) -> Result<(), StoreError> {
        let read = self.begin_read()?;
        let (Some(index), Some(execs)) = (read_table(&read, BY_MACHINE)?, read_table(&read, EXECUTIONS)?) else {
            return Ok(());
        };
        for entry in index
            .range((machine_arn, 0)..=(machine_arn, u64::MAX))
            .map_err(io)?
            .rev()
        {
            let (_, arn) = entry.map_err(io)?;
            let arn = arn.value();
            let Some(doc) = execs.get(arn).map_err(io)? else {
                continue;
            };
            let summary: ExecutionSummary = decode("execution", arn, doc.value())?;
            if !visit(&summary) {
                break;
            }
        }
        Ok(())
    }

    /// Like [`executions_of`](Self::executions_of), over the executions not
    /// yet ended whose ARNs start with `arn_prefix` (one state machine's):
    /// read from the index of running executions, so listing the running
    /// ones does not read every execution the machine ever had.
    pub fn running_executions_of(
        &self,
        arn_prefix: &str,
        before_seq: Option<u64>,
        limit: usize,
        keep: impl Fn(&ExecutionSummary) -> bool,
    ) -> Result<(Vec<ExecutionSummary>, Option<u64>), StoreError> {
        let read = self.begin_read()?;
        let (Some(running), Some(execs)) = (read_table(&read, RUNNING)?, read_table(&read, EXECUTIONS)?) else {
            return Ok((Vec::new(), None));
        };
        let upper = before_seq.unwrap_or(u64::MAX);
        let entries = running
            .range(0..upper)
            .map_err(io)?
            .rev()
            .map(|entry| entry.map(|(k, v)| (k.value(), v)))
            .filter(|entry| {
                entry
                    .as_ref()
                    .map_or(true, |(_, arn)| arn.value().starts_with(arn_prefix))
            });
        page_of(entries, &execs, limit, keep)
    }

    /// Executions not yet ended, oldest first, with their definitions.
    pub fn running_executions(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        let read = self.begin_read()?;
        let (Some(running), Some(execs)) = (read_table(&read, RUNNING)?, read_table(&read, EXECUTIONS)?) else {
            return Ok(Vec::new());
        };
        let definitions = read_table(&read, DEFINITIONS)?;
        let mut out: Vec<ExecutionRecord> = Vec::new();
        for entry in running.iter().map_err(io)? {
            let (_, arn) = entry.map_err(io)?;
            let arn = arn.value();
            if let Some(doc) = execs.get(arn).map_err(io)? {
                let mut record: ExecutionRecord = decode("execution", arn, doc.value())?;
                if let Some(definitions) = &definitions {
                    fill_definition(definitions, &mut record)?;
                }
                out.push(record);
            }
        }
        Ok(out)
    }

    /// A page of an execution's history: events after `after` (before it,
    /// in reverse), at most `limit`, and whether more follow.
    pub fn events(
        &self,
        arn: &str,
        after: Option<u64>,
        reverse: bool,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, bool), StoreError> {
        let read = self.begin_read()?;
        let (Some(seq), Some(table)) = (self.seq_of(&read, arn)?, read_table(&read, JOURNAL)?) else {
            return Ok((Vec::new(), false));
        };
        journal::page(&table, arn, seq, after, reverse, limit)
    }

    /// The id of an execution's newest event (0 when it has none).
    pub fn last_event_id(&self, arn: &str) -> Result<u64, StoreError> {
        let read = self.begin_read()?;
        let (Some(seq), Some(table)) = (self.seq_of(&read, arn)?, read_table(&read, JOURNAL)?) else {
            return Ok(0);
        };
        journal::last_event_id_in(&table, arn, seq)
    }

    /// An execution's last checkpoint (JSON), if it has one.
    pub fn checkpoint_of(&self, arn: &str) -> Result<Option<String>, StoreError> {
        let read = self.begin_read()?;
        let (Some(seq), Some(table)) = (self.seq_of(&read, arn)?, read_table(&read, JOURNAL)?) else {
            return Ok(None);
        };
        journal::last_checkpoint_in(&table, arn, seq)
    }
}

/// One page of a listing: the summaries of `entries` (start seq and
/// execution ARN, in listing order) that `keep` keeps, up to `limit`, and
/// the seq to continue below when more entries follow.
fn page_of<'a>(
    entries: impl Iterator<Item = Result<(u64, redb::AccessGuard<'a, &'static str>), redb::StorageError>>,
    execs: &redb::ReadOnlyTable<&'static str, &'static str>,
    limit: usize,
    keep: impl Fn(&ExecutionSummary) -> bool,
) -> Result<(Vec<ExecutionSummary>, Option<u64>), StoreError> {
    let mut out = Vec::new();
    for entry in entries {
        let (seq, arn) = entry.map_err(io)?;
        if out.len() == limit {
            return Ok((out, Some(seq + 1)));
        }
        let arn = arn.value();
        let Some(doc) = execs.get(arn).map_err(io)? else {
            continue;
        };
        let summary: ExecutionSummary = decode("execution", arn, doc.value())?;
        if keep(&summary) {
            out.push(summary);
        }
    }
    Ok((out, None))
}

/// The highest start seq given so far (0 in a new database). Every
/// execution stored is in `RUNNING` until it ends, and its end writes a
/// journal segment, so the highest seq is the last key of one of them.
pub(super) fn last_execution_seq(db: &redb::Database) -> Result<u64, StoreError> {
    use redb::ReadableDatabase;
    let read = db.begin_read().map_err(io)?;
    let running = match read_table(&read, RUNNING)? {
        Some(t) => t.last().map_err(io)?.map_or(0, |(k, _)| k.value()),
        None => 0,
    };
    let journaled = match read_table(&read, JOURNAL)? {
        Some(t) => t.last().map_err(io)?.map_or(0, |(k, _)| k.value().0),
        None => 0,
    };
    Ok(running.max(journaled))
}
