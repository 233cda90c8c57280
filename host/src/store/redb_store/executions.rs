//! State machines, versions, executions and their histories in the
//! database file. Writes go through group commit; every write that can be
//! refused (a name in use, a closed execution) decides before it writes.

use std::sync::atomic::Ordering;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::journal::{self, JOURNAL};
use super::{RedbStore, io, read_table};
use crate::store::StoreError;
use crate::store::records::*;

const MACHINES: TableDefinition<&str, &str> = TableDefinition::new("state_machines");
const VERSIONS: TableDefinition<(&str, u64), &str> = TableDefinition::new("state_machine_versions");
/// Execution ARN → record (without its definition: see `DEFINITIONS`).
pub(super) const EXECUTIONS: TableDefinition<&str, &str> = TableDefinition::new("executions");
/// (state machine ARN, start seq) → execution ARN: listing, newest first.
const BY_MACHINE: TableDefinition<(&str, u64), &str> = TableDefinition::new("executions_by_machine");
/// Start seq → ARN of the executions not yet ended: resumed when the
/// server starts. Keyed by seq so that starts and ends touch few pages.
pub(super) const RUNNING: TableDefinition<u64, &str> = TableDefinition::new("running_executions");
/// Revision id → the definition executions of that revision run: stored
/// once per revision, not in every execution record.
pub(super) const DEFINITIONS: TableDefinition<&str, &str> = TableDefinition::new("definitions");

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(io)
}

fn decode<T: DeserializeOwned>(what: &str, key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Io(format!("the stored {what} '{key}' is damaged: {e}")))
}

fn get_doc<T: DeserializeOwned>(
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
    // ---- state machines ------------------------------------------------

    /// The state machine at `arn`.
    pub fn state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        if let Some(cached) = self.machines.get(arn) {
            return Ok(Some(cached));
        }
        let generation = self.machines.generation();
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, MACHINES)? else {
            return Ok(None);
        };
        let found = table.get(arn).map_err(io)?;
        let record = found
            .map(|g| decode::<StateMachineRecord>("state machine", arn, g.value()))
            .transpose()?;
        if let Some(record) = &record {
            self.machines.insert(generation, arn, record);
        }
        Ok(record)
    }

    /// Every state machine, by ARN.
    pub fn state_machines(&self) -> Result<Vec<StateMachineRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, MACHINES)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            out.push(decode("state machine", k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Stores a new state machine, unless one exists at its ARN: then
    /// nothing is written and the existing one is returned.
    pub async fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> Result<Option<StateMachineRecord>, StoreError> {
        let text = encode(&record)?;
        let result = self
            .committer
            .write_async(move |txn| {
                if let Some(existing) = get_doc(txn, MACHINES, "state machine", &record.arn)? {
                    return Ok(Some(existing));
                }
                let mut table = txn.open_table(MACHINES).map_err(io)?;
                table.insert(record.arn.as_str(), text.as_str()).map_err(io)?;
                Ok(None)
            })
            .await;
        self.machines.invalidate();
        result
    }

    /// Changes a stored state machine with `change`, atomically. `None` if
    /// there is none at `arn`; `change`'s error leaves it as it was.
    pub async fn update_state_machine<R: Send + 'static>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut StateMachineRecord) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<Option<(StateMachineRecord, R)>, StoreError> {
        let arn = arn.to_owned();
        let result = self
            .committer
            .write_async(move |txn| {
                let Some(mut record) = get_doc::<StateMachineRecord>(txn, MACHINES, "state machine", &arn)? else {
                    return Ok(None);
                };
                let result = change(&mut record)?;
                let text = encode(&record)?;
                let mut table = txn.open_table(MACHINES).map_err(io)?;
                table.insert(arn.as_str(), text.as_str()).map_err(io)?;
                Ok(Some((record, result)))
            })
            .await;
        self.machines.invalidate();
        result
    }

    /// Deletes a state machine and its versions (executions stay).
    pub async fn delete_state_machine(&self, arn: &str) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        let result = self
            .committer
            .write_async(move |txn| {
                let existed = txn
                    .open_table(MACHINES)
                    .map_err(io)?
                    .remove(arn.as_str())
                    .map_err(io)?
                    .is_some();
                let mut versions = txn.open_table(VERSIONS).map_err(io)?;
                let keys: Vec<u64> = versions
                    .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
                    .map_err(io)?
                    .map(|e| e.map(|(k, _)| k.value().1))
                    .collect::<Result<_, _>>()
                    .map_err(io)?;
                for v in keys {
                    versions.remove((arn.as_str(), v)).map_err(io)?;
                }
                Ok(existed)
            })
            .await;
        self.machines.invalidate();
        result
    }

    /// Publishes the machine's current revision as a version, or returns the
    /// newest version when it already holds this revision. `make` builds the
    /// record from the machine and the version number. `None`: no machine.
    pub async fn publish_version(
        &self,
        arn: &str,
        make: impl FnOnce(&StateMachineRecord, u64) -> Result<VersionRecord, StoreError> + Send + 'static,
    ) -> Result<Option<VersionRecord>, StoreError> {
        let arn = arn.to_owned();
        let result = self
            .committer
            .write_async(move |txn| {
                let Some(mut machine) = get_doc::<StateMachineRecord>(txn, MACHINES, "state machine", &arn)? else {
                    return Ok(None);
                };
                let latest = {
                    let versions = txn.open_table(VERSIONS).map_err(io)?;
                    let last = versions
                        .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
                        .map_err(io)?
                        .next_back()
                        .transpose()
                        .map_err(io)?;
                    last.map(|(_, v)| decode::<VersionRecord>("version", &arn, v.value()))
                        .transpose()?
                };
                if let Some(latest) = latest.filter(|v| v.revision_id == machine.revision_id) {
                    return Ok(Some(latest));
                }
                let version = machine.next_version;
                let record = make(&machine, version)?;
                machine.next_version += 1;
                let machine_text = encode(&machine)?;
                let version_text = encode(&record)?;
                txn.open_table(MACHINES)
                    .map_err(io)?
                    .insert(arn.as_str(), machine_text.as_str())
                    .map_err(io)?;
                txn.open_table(VERSIONS)
                    .map_err(io)?
                    .insert((arn.as_str(), version), version_text.as_str())
                    .map_err(io)?;
                Ok(Some(record))
            })
            .await;
        self.machines.invalidate();
        result
    }

    /// Version `version` of the machine at `arn`.
    pub fn version(&self, arn: &str, version: u64) -> Result<Option<VersionRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, VERSIONS)? else {
            return Ok(None);
        };
        let found = table.get((arn, version)).map_err(io)?;
        found.map(|g| decode("version", arn, g.value())).transpose()
    }

    /// Every version of the machine at `arn`, newest first.
    pub fn versions_of(&self, arn: &str) -> Result<Vec<VersionRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, VERSIONS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.range((arn, 0)..=(arn, u64::MAX)).map_err(io)?.rev() {
            let (_, v) = entry.map_err(io)?;
            out.push(decode("version", arn, v.value())?);
        }
        Ok(out)
    }

    /// Deletes one version; false if there was none.
    pub async fn delete_version(&self, arn: &str, version: u64) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.committer
            .write_async(move |txn| {
                let removed = txn
                    .open_table(VERSIONS)
                    .map_err(io)?
                    .remove((arn.as_str(), version))
                    .map_err(io)?
                    .is_some();
                Ok(removed)
            })
            .await
    }

    // ---- executions ----------------------------------------------------

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
        let (arn, seq) = (record.arn, record.seq);
        self.committer
            .write_async(move |txn| {
                // Running exactly while listed in RUNNING (both change together).
                let mut running = txn.open_table(RUNNING).map_err(io)?;
                if running.remove(seq).map_err(io)?.is_none() {
                    return Ok(false);
                }
                txn.open_table(EXECUTIONS)
                    .map_err(io)?
                    .insert(arn.as_str(), text.as_str())
                    .map_err(io)?;
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
    /// `keep` filters. Returns the page and the seq to continue below. The
    /// records listed leave their definition empty.
    pub fn executions_of(
        &self,
        machine_arn: &str,
        before_seq: Option<u64>,
        limit: usize,
        keep: impl Fn(&ExecutionRecord) -> bool,
    ) -> Result<(Vec<ExecutionRecord>, Option<u64>), StoreError> {
        let read = self.begin_read()?;
        let (Some(index), Some(execs)) = (read_table(&read, BY_MACHINE)?, read_table(&read, EXECUTIONS)?) else {
            return Ok((Vec::new(), None));
        };
        let upper = before_seq.unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for entry in index.range((machine_arn, 0)..(machine_arn, upper)).map_err(io)?.rev() {
            let (k, v) = entry.map_err(io)?;
            let seq = k.value().1;
            if out.len() == limit {
                return Ok((out, Some(seq + 1)));
            }
            let arn = v.value();
            let Some(doc) = execs.get(arn).map_err(io)? else {
                continue;
            };
            let record: ExecutionRecord = decode("execution", arn, doc.value())?;
            if keep(&record) {
                out.push(record);
            }
        }
        Ok((out, None))
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
