//! Closed executions expire, as on AWS (90 days after they end by
//! default): the record, its history, its log lines and usage records go
//! together, oldest first, in small writes so that expiry never holds the
//! writer long.
//!
//! Stored: (stop time in epoch milliseconds, start seq) → execution ARN,
//! for every ended execution. An execution's end writes its entry in the
//! same transaction; a redrive removes it.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::executions::{BY_MACHINE, EXECUTIONS, decode};
use super::journal::JOURNAL;
use super::logs::{LOGS, USAGE};
use super::{RedbStore, io};
use crate::{ExecutionRecord, StoreError};

pub(super) const ENDED: TableDefinition<(u64, u64), &str> = TableDefinition::new("ended_executions");

/// Lists an execution as ended at `stop_millis`.
pub(super) fn mark_ended(txn: &WriteTransaction, record: &ExecutionRecord) -> Result<(), StoreError> {
    if let Some(stop) = record.stop_millis {
        txn.open_table(ENDED)
            .map_err(io)?
            .insert((stop.max(0) as u64, record.seq), record.arn.as_str())
            .map_err(io)?;
    }
    Ok(())
}

/// Takes an execution off the ended list (it runs again).
pub(super) fn unmark_ended(txn: &WriteTransaction, record: &ExecutionRecord) -> Result<(), StoreError> {
    if let Some(stop) = record.stop_millis {
        txn.open_table(ENDED)
            .map_err(io)?
            .remove((stop.max(0) as u64, record.seq))
            .map_err(io)?;
    }
    Ok(())
}

/// Lists every ended execution of a file written before the list existed
/// (once, when it is opened).
pub(super) fn backfill(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let executions = match txn.open_table(EXECUTIONS) {
        Ok(t) => t,
        Err(e) => return Err(io(e)),
    };
    let mut ended = txn.open_table(ENDED).map_err(io)?;
    let mut count = 0;
    for entry in executions.iter().map_err(io)? {
        let (arn, text) = entry.map_err(io)?;
        let record: ExecutionRecord = decode("execution", arn.value(), text.value())?;
        if let (false, Some(stop)) = (record.is_running(), record.stop_millis) {
            ended
                .insert((stop.max(0) as u64, record.seq), arn.value())
                .map_err(io)?;
            count += 1;
        }
    }
    Ok(count)
}

/// What one expiry write removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    /// Executions (records with their histories).
    pub executions: u64,
    /// Their log lines' and usage records' stored values (each holds one
    /// or more lines).
    pub log_values: u64,
}

impl RedbStore {
    /// Deletes up to `limit` executions that ended before `before_millis`,
    /// with their histories, log lines and usage records, oldest first.
    pub async fn expire_executions(&self, before_millis: i64, limit: usize) -> Result<Expired, StoreError> {
        let before = before_millis.max(0) as u64;
        self.committer
            .write_async(move |txn| {
                let doomed: Vec<((u64, u64), String)> = {
                    let ended = txn.open_table(ENDED).map_err(io)?;
                    ended
                        .range((0, 0)..(before, 0))
                        .map_err(io)?
                        .take(limit)
                        .map(|e| e.map(|(k, v)| (k.value(), v.value().to_owned())))
                        .collect::<Result<_, _>>()
                        .map_err(io)?
                };
                let mut expired = Expired::default();
                let mut ended = txn.open_table(ENDED).map_err(io)?;
                let mut executions = txn.open_table(EXECUTIONS).map_err(io)?;
                let mut by_machine = txn.open_table(BY_MACHINE).map_err(io)?;
                let mut journal = txn.open_table(JOURNAL).map_err(io)?;
                let mut logs = txn.open_table(LOGS).map_err(io)?;
                let mut usage = txn.open_table(USAGE).map_err(io)?;
                for (key, arn) in doomed {
                    ended.remove(key).map_err(io)?;
                    let seq = key.1;
                    let record = executions
                        .remove(arn.as_str())
                        .map_err(io)?
                        .map(|g| decode::<ExecutionRecord>("execution", &arn, g.value()))
                        .transpose()?;
                    if let Some(record) = record {
                        by_machine
                            .remove((record.state_machine_arn.as_str(), seq))
                            .map_err(io)?;
                        expired.executions += 1;
                    }
                    for first in seconds_of(&journal, seq)? {
                        journal.remove((seq, first)).map_err(io)?;
                    }
                    for table in [&mut logs, &mut usage] {
                        let indexes = seconds_of(&*table, arn.as_str())?;
                        expired.log_values += indexes.len() as u64;
                        for index in indexes {
                            table.remove((arn.as_str(), index)).map_err(io)?;
                        }
                    }
                    super::log_groups::forget(txn, &arn)?;
                }
                Ok(expired)
            })
            .await
    }
}

/// The second parts of the keys `(first, *)` of `table` (collected:
/// redb removes outside an iteration).
fn seconds_of<'k, F: redb::Key + 'static, V: redb::Value + 'static>(
    table: &impl ReadableTable<(F, u64), V>,
    first: F::SelfType<'k>,
) -> Result<Vec<u64>, StoreError>
where
    F::SelfType<'k>: Clone,
{
    let mut out = Vec::new();
    for entry in table.range((first.clone(), 0)..=(first, u64::MAX)).map_err(io)? {
        let (k, _) = entry.map_err(io)?;
        out.push(k.value().1);
    }
    Ok(out)
}
