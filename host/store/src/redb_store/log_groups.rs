//! Log lines grouped as CloudWatch keeps them: one log group per state
//! machine (`/aws/vendedlogs/states/NAME` on AWS), each with a retention by
//! age and by size, independent of the executions' own expiry.
//!
//! Stored beside the lines ([`super::logs::LOGS`]):
//! - `log_sizes`: execution ARN → (when its first line was stored, epoch
//!   milliseconds; the bytes of its lines);
//! - `log_ages`: (group, that time, execution ARN) → (), each group's
//!   executions oldest first;
//! - `log_groups`: group → the bytes of all its executions' lines.
//!
//! The write that stores lines keeps the three up to date (one read and a
//! few writes per execution per drain, which gathers 50 ms of lines); expiry
//! deletes whole executions' lines, oldest first, while a group is past its
//! age or its size.

use std::time::{SystemTime, UNIX_EPOCH};

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::logs::LOGS;
use super::{RedbStore, io};
use crate::StoreError;

pub(super) const LOG_SIZES: TableDefinition<&str, (u64, u64)> = TableDefinition::new("log_sizes");
pub(super) const LOG_AGES: TableDefinition<(&str, u64, &str), ()> = TableDefinition::new("log_ages");
pub(super) const LOG_GROUPS: TableDefinition<&str, u64> = TableDefinition::new("log_groups");

/// How long and how much of each log group is kept. `None`: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogRetention {
    /// Lines whose execution's first line is older than this many
    /// milliseconds go.
    pub max_age_millis: Option<u64>,
    /// While a group holds more than this many bytes of lines, its oldest
    /// executions' lines go.
    pub max_bytes: Option<u64>,
}

/// A log group and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupSize {
    /// The group's name: its state machine's name.
    pub name: String,
    /// The bytes of its lines as stored.
    pub bytes: u64,
}

/// The log group of an execution's lines: its state machine's name
/// (`arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`), or the whole
/// ARN when it has no such part.
pub fn log_group_of(execution_arn: &str) -> &str {
    let mut parts = execution_arn.splitn(8, ':');
    match (parts.nth(5), parts.next()) {
        (Some("execution" | "express"), Some(machine)) if !machine.is_empty() => machine,
        _ => execution_arn,
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Counts `bytes` more of `arn`'s lines (called by the write that stores them).
pub(super) fn note_stored(write: &WriteTransaction, arn: &str, bytes: u64) -> Result<(), StoreError> {
    let mut sizes = write.open_table(LOG_SIZES).map_err(io)?;
    let known = sizes.get(arn).map_err(io)?.map(|v| v.value());
    let group = log_group_of(arn);
    let (first, total) = match known {
        Some((first, total)) => (first, total + bytes),
        None => {
            let first = now_millis();
            write
                .open_table(LOG_AGES)
                .map_err(io)?
                .insert((group, first, arn), ())
                .map_err(io)?;
            (first, bytes)
        }
    };
    sizes.insert(arn, (first, total)).map_err(io)?;
    add_to_group(write, group, bytes as i64)
}

/// Forgets `arn`'s lines (deleted with their execution, or expired).
pub(super) fn forget(write: &WriteTransaction, arn: &str) -> Result<(), StoreError> {
    let removed = write
        .open_table(LOG_SIZES)
        .map_err(io)?
        .remove(arn)
        .map_err(io)?
        .map(|v| v.value());
    if let Some((first, bytes)) = removed {
        let group = log_group_of(arn);
        write
            .open_table(LOG_AGES)
            .map_err(io)?
            .remove((group, first, arn))
            .map_err(io)?;
        add_to_group(write, group, -(bytes as i64))?;
    }
    Ok(())
}

fn add_to_group(write: &WriteTransaction, group: &str, delta: i64) -> Result<(), StoreError> {
    let mut groups = write.open_table(LOG_GROUPS).map_err(io)?;
    let now = groups.get(group).map_err(io)?.map_or(0, |v| v.value());
    let next = now.saturating_add_signed(delta);
    if next == 0 {
        groups.remove(group).map_err(io)?;
    } else {
        groups.insert(group, next).map_err(io)?;
    }
    Ok(())
}

/// Counts the lines of a file written before log groups were kept (once,
/// when it is opened): each execution's lines dated to the opening.
pub(super) fn backfill(write: &WriteTransaction) -> Result<u64, StoreError> {
    let mut per_execution: Vec<(String, u64)> = Vec::new();
    {
        let logs = write.open_table(LOGS).map_err(io)?;
        for entry in logs.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            let (arn, _) = k.value();
            let bytes = v.value().len() as u64;
            match per_execution.last_mut() {
                Some((last, total)) if last == arn => *total += bytes,
                _ => per_execution.push((arn.to_owned(), bytes)),
            }
        }
    }
    for (arn, bytes) in &per_execution {
        note_stored(write, arn, *bytes)?;
    }
    Ok(per_execution.len() as u64)
}

/// What one expiry write of log lines removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiredLogs {
    /// Executions whose lines all went.
    pub executions: u64,
    /// The bytes of those lines.
    pub bytes: u64,
}

impl RedbStore {
    /// Every log group with the bytes it holds, largest first.
    pub fn log_groups(&self) -> Result<Vec<LogGroupSize>, StoreError> {
        self.flush_lines();
        let read = self.begin_read()?;
        let Some(groups) = super::read_table(&read, LOG_GROUPS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in groups.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            out.push(LogGroupSize {
                name: k.value().to_owned(),
                bytes: v.value(),
            });
        }
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Deletes the lines of up to `limit` executions, oldest first in each
    /// group, that `retention` no longer keeps at `now_millis`.
    pub async fn expire_logs(
        &self,
        retention: LogRetention,
        now_millis: u64,
        limit: usize,
    ) -> Result<ExpiredLogs, StoreError> {
        if retention == LogRetention::default() {
            return Ok(ExpiredLogs::default());
        }
        self.committer
            .write_async(move |txn| {
                let cutoff = retention.max_age_millis.map(|age| now_millis.saturating_sub(age));
                let groups: Vec<(String, u64)> = {
                    let groups = txn.open_table(LOG_GROUPS).map_err(io)?;
                    groups
                        .iter()
                        .map_err(io)?
                        .map(|e| e.map(|(k, v)| (k.value().to_owned(), v.value())))
                        .collect::<Result<_, _>>()
                        .map_err(io)?
                };
                let mut doomed: Vec<String> = Vec::new();
                for (group, mut bytes) in groups {
                    let ages = txn.open_table(LOG_AGES).map_err(io)?;
                    let sizes = txn.open_table(LOG_SIZES).map_err(io)?;
                    let range = ages
                        .range((group.as_str(), 0, "")..=(group.as_str(), u64::MAX, "\u{10FFFF}"))
                        .map_err(io)?;
                    for entry in range {
                        if doomed.len() >= limit {
                            break;
                        }
                        let (k, _) = entry.map_err(io)?;
                        let (_, first, arn) = k.value();
                        let too_old = cutoff.is_some_and(|c| first < c);
                        let too_big = retention.max_bytes.is_some_and(|max| bytes > max);
                        if !too_old && !too_big {
                            break;
                        }
                        bytes -= sizes.get(arn).map_err(io)?.map_or(0, |v| v.value().1).min(bytes);
                        doomed.push(arn.to_owned());
                    }
                }
                let mut expired = ExpiredLogs::default();
                let mut logs = txn.open_table(LOGS).map_err(io)?;
                for arn in &doomed {
                    let indexes: Vec<u64> = logs
                        .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
                        .map_err(io)?
                        .map(|e| e.map(|(k, _)| k.value().1))
                        .collect::<Result<_, _>>()
                        .map_err(io)?;
                    for index in indexes {
                        if let Some(v) = logs.remove((arn.as_str(), index)).map_err(io)? {
                            expired.bytes += v.value().len() as u64;
                        }
                    }
                    forget(txn, arn)?;
                    expired.executions += 1;
                }
                Ok(expired)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Level, LogLine, LogStore};

    fn line(machine: &str, execution: &str, message: &str) -> LogLine {
        LogLine {
            timestamp: "2026-12-07T00:00:00.000Z".into(),
            execution_arn: format!("arn:aws:states:us-east-1:1:execution:{machine}:{execution}"),
            state_name: "S".into(),
            source: "p".into(),
            level: Level::Info,
            message: message.into(),
            fields: Vec::new(),
            entry: None,
            attempt: None,
        }
    }

    fn group_bytes(store: &RedbStore, name: &str) -> u64 {
        store
            .log_groups()
            .unwrap()
            .iter()
            .find(|g| g.name == name)
            .map_or(0, |g| g.bytes)
    }

    #[tokio::test]
    async fn a_group_past_its_size_loses_its_oldest_executions_lines_and_others_keep_theirs() {
        let store = RedbStore::open(crate::tests::tempdir().join("logs.redb")).unwrap();
        let text = "x".repeat(1000);
        for i in 0..5 {
            store.append(&[line("big", &format!("e{i}"), &text)]).unwrap();
            // Each execution's first line is dated when stored: keep them apart.
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        store.append(&[line("small", "only", "hello")]).unwrap();
        let before = group_bytes(&store, "big");
        assert!(before > 5000, "{before}");
        // A second value of an execution counts towards the same group.
        store.append(&[line("big", "e4", &text)]).unwrap();
        assert!(group_bytes(&store, "big") > before + 1000);

        let keep = 2_500;
        let retention = LogRetention {
            max_age_millis: None,
            max_bytes: Some(keep),
        };
        let expired = store.expire_logs(retention, now_millis(), 100).await.unwrap();
        assert!(expired.executions >= 3, "{expired:?}");
        assert!(group_bytes(&store, "big") <= keep);
        let arn = |e: &str| format!("arn:aws:states:us-east-1:1:execution:big:{e}");
        assert!(store.read(&arn("e0")).unwrap().is_empty(), "the oldest went");
        assert_eq!(store.read(&arn("e4")).unwrap().len(), 2, "the newest stayed");
        assert_eq!(
            store
                .read("arn:aws:states:us-east-1:1:execution:small:only")
                .unwrap()
                .len(),
            1
        );
        assert!(group_bytes(&store, "small") > 0);

        // By age: everything stored before now is older than 0 ms... after a moment.
        std::thread::sleep(std::time::Duration::from_millis(5));
        let retention = LogRetention {
            max_age_millis: Some(1),
            max_bytes: None,
        };
        store.expire_logs(retention, now_millis(), 100).await.unwrap();
        assert!(store.log_groups().unwrap().is_empty());
        assert!(store.read(&arn("e4")).unwrap().is_empty());
    }

    #[test]
    fn lines_of_a_file_from_before_log_groups_are_counted_when_it_is_opened() {
        let path = crate::tests::tempdir().join("old.redb");
        {
            let store = RedbStore::open(&path).unwrap();
            store.append(&[line("m", "a", "one"), line("m", "b", "two")]).unwrap();
            // As an older Stepyard left it: lines, no counts.
            let write = store.db.begin_write().unwrap();
            write.delete_table(LOG_SIZES).unwrap();
            write.delete_table(LOG_AGES).unwrap();
            write.delete_table(LOG_GROUPS).unwrap();
            write.commit().unwrap();
            store.close();
        }
        let store = RedbStore::open(&path).unwrap();
        assert!(group_bytes(&store, "m") > 0);
    }

    #[test]
    fn an_executions_group_is_its_state_machines_name() {
        assert_eq!(
            log_group_of("arn:aws:states:us-east-1:123456789012:execution:orders:o-1"),
            "orders"
        );
        assert_eq!(log_group_of("arn:aws:states:us-east-1:1:express:fast:x:y"), "fast");
        assert_eq!(log_group_of("not-an-arn"), "not-an-arn");
    }
}
