//! Log lines in the database file.
//!
//! Plugins' lines arrive after every call and nobody waits for them
//! (`append_later`). They gather in a buffer that a drainer thread hands to
//! the writer every [`DRAIN_INTERVAL`]: one write of the lines of all the
//! calls since the previous one, each execution's lines as one value,
//! instead of one job and one B-tree insert per line, and a commit every
//! 50 ms that touches the log table instead of nearly every commit (that
//! made each commit ~15 % larger). Reads first write what is buffered, so a
//! reader sees every line appended before it asked. A crash loses at most
//! the lines of the last interval, as it loses lines nobody waited for.
//!
//! Stored: (execution ARN, index of the value's first line) → the lines'
//! JSON texts, one per text line (JSON text never holds a raw newline).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use redb::{ReadableTable, TableDefinition, TableHandle, WriteTransaction};

use super::commit::Committer;
use super::{RedbStore, io, read_table};
use crate::{LogLine, LogStore, StoreError, TaskUsage};

pub(super) const LOGS: TableDefinition<(&str, u64), &str> = TableDefinition::new("log_lines");
/// What task attempts used ([`TaskUsage`]), stored as log lines are.
pub(super) const USAGE: TableDefinition<(&str, u64), &str> = TableDefinition::new("task_usage");

/// Lines (execution ARN, JSON text) not yet handed to the writer.
#[derive(Default)]
pub(super) struct PendingLines {
    lines: Mutex<Vec<(String, String)>>,
    /// Drains handed to the writer and not yet committed: their lines have
    /// left `lines` (taken when the writer applies the drain) but are not
    /// yet visible to readers.
    in_flight: std::sync::atomic::AtomicUsize,
}

impl PendingLines {
    fn push(&self, encoded: Vec<(String, String)>) {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).extend(encoded);
    }

    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether every line appended so far is committed.
    fn is_settled(&self) -> bool {
        self.in_flight.load(std::sync::atomic::Ordering::Acquire) == 0
            && self.lines.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    fn is_empty(&self) -> bool {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

/// How long appended lines may wait in the buffer.
pub(super) const DRAIN_INTERVAL: Duration = Duration::from_millis(50);

/// The thread that hands buffered lines to the writer.
pub(super) struct Drainer {
    /// Set (and notified) to stop.
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drainer {
    pub(super) fn start(
        pending: Arc<PendingLines>,
        usage: Arc<PendingLines>,
        committer: Arc<Committer>,
    ) -> Result<Drainer, StoreError> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("stepyard-logs".into())
            .spawn(move || {
                let (stopped, wake) = &*signal;
                let mut stopped = stopped.lock().unwrap_or_else(|e| e.into_inner());
                while !*stopped {
                    stopped = wake
                        .wait_timeout(stopped, DRAIN_INTERVAL)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    for (buffer, table) in [(&pending, LOGS), (&usage, USAGE)] {
                        if !buffer.is_empty() {
                            buffer.in_flight.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                            let (taken, done) = (buffer.clone(), buffer.clone());
                            committer.submit(
                                move |write| write_lines(write, table, taken.take()),
                                move |_: Result<(), StoreError>| {
                                    done.in_flight.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                                },
                            );
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Io(format!("cannot start the log writer: {e}")))?;
        Ok(Drainer {
            stop,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands what is buffered to the writer one last time and stops.
    pub(super) fn stop(&self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl RedbStore {
    /// Writes the buffered lines now (readers call this first). Best
    /// effort: when they cannot be written (a closed store, a full disk)
    /// the reader still gets what is stored.
    pub(super) fn flush_lines(&self) {
        // Also through the writer while a drain is applied but not yet
        // committed: the job below commits after it.
        if self.pending_lines.is_settled() {
            return;
        }
        // Through the writer, after any drain already queued: when this
        // returns, every line appended before it is committed.
        let pending = self.pending_lines.clone();
        let _ = self
            .committer
            .write(move |write| write_lines(write, LOGS, pending.take()));
    }

    fn flush_usage(&self) {
        if self.pending_usage.is_settled() {
            return;
        }
        let pending = self.pending_usage.clone();
        let _ = self
            .committer
            .write(move |write| write_lines(write, USAGE, pending.take()));
    }
}

impl LogStore for RedbStore {
    fn append(&self, lines: &[LogLine]) -> Result<(), StoreError> {
        if lines.is_empty() {
            return Ok(());
        }
        let encoded = encode_lines(lines)?;
        // After the lines still buffered, which were appended before these.
        let pending = self.pending_lines.clone();
        self.committer.write(move |write| {
            let mut all = pending.take();
            all.extend(encoded);
            write_lines(write, LOGS, all)
        })
    }

    fn append_later(&self, lines: Vec<LogLine>) {
        // A line that cannot be encoded is dropped like a failed write.
        let Ok(encoded) = encode_lines(&lines) else {
            return;
        };
        if !encoded.is_empty() {
            self.pending_lines.push(encoded);
        }
    }

    fn read(&self, execution_arn: &str) -> Result<Vec<LogLine>, StoreError> {
        self.flush_lines();
        let read = self.begin_read()?;
        let Some(logs) = read_table(&read, LOGS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in logs.range((execution_arn, 0)..=(execution_arn, u64::MAX)).map_err(io)? {
            let (_, v) = entry.map_err(io)?;
            for text in v.value().lines() {
                out.push(decode_line(text)?);
            }
        }
        Ok(out)
    }

    fn record_usage(&self, usage: TaskUsage) {
        if let Ok(text) = serde_json::to_string(&usage) {
            self.pending_usage.push(vec![(usage.execution_arn, text)]);
        }
    }

    fn usage(&self, execution_arn: &str) -> Result<Vec<TaskUsage>, StoreError> {
        self.flush_usage();
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, USAGE)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table
            .range((execution_arn, 0)..=(execution_arn, u64::MAX))
            .map_err(io)?
        {
            let (_, v) = entry.map_err(io)?;
            for text in v.value().lines() {
                out.push(serde_json::from_str(text).map_err(|e| io(format!("a stored usage record is damaged: {e}")))?);
            }
        }
        Ok(out)
    }

    fn executions(&self) -> Result<Vec<String>, StoreError> {
        self.flush_lines();
        let read = self.begin_read()?;
        let Some(logs) = read_table(&read, LOGS)? else {
            return Ok(Vec::new());
        };
        // (first line's timestamp, execution): each execution's first
        // value starts at index 0.
        let mut out: Vec<(String, String)> = Vec::new();
        for entry in logs.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            let (arn, index) = k.value();
            if index == 0
                && let Some(first) = v.value().lines().next()
            {
                out.push((decode_line(first)?.timestamp, arn.to_owned()));
            }
        }
        out.sort();
        Ok(out.into_iter().map(|(_, arn)| arn).collect())
    }
}

fn decode_line(text: &str) -> Result<LogLine, StoreError> {
    serde_json::from_str(text).map_err(|e| io(format!("a stored log line is damaged: {e}")))
}

/// Each line's execution and JSON text.
fn encode_lines(lines: &[LogLine]) -> Result<Vec<(String, String)>, StoreError> {
    lines
        .iter()
        .map(|line| Ok((line.execution_arn.clone(), serde_json::to_string(line).map_err(io)?)))
        .collect()
}

/// Appends lines after each execution's last one in `table`: the lines of
/// one execution (kept in their order) become one value.
fn write_lines(
    write: &WriteTransaction,
    table: TableDefinition<(&str, u64), &str>,
    mut encoded: Vec<(String, String)>,
) -> Result<(), StoreError> {
    if encoded.is_empty() {
        return Ok(());
    }
    // Stable: each execution's lines keep their order.
    encoded.sort_by(|a, b| a.0.cmp(&b.0));
    let mut logs = write.open_table(table).map_err(io)?;
    let mut rest = encoded.as_slice();
    while let Some((arn, _)) = rest.first() {
        let count = rest.iter().take_while(|(a, _)| a == arn).count();
        let (group, tail) = rest.split_at(count);
        rest = tail;
        let next = logs
            .range((arn.as_str(), 0)..=(arn.as_str(), u64::MAX))
            .map_err(io)?
            .next_back()
            .transpose()
            .map_err(io)?
            .map_or(0, |(k, v)| k.value().1 + v.value().lines().count() as u64);
        let mut value = String::with_capacity(group.iter().map(|(_, t)| t.len() + 1).sum());
        for (i, (_, text)) in group.iter().enumerate() {
            if i > 0 {
                value.push('\n');
            }
            value.push_str(text);
        }
        logs.insert((arn.as_str(), next), value.as_str()).map_err(io)?;
        // Log lines count towards their log group's size (usage records
        // are not log lines and have no group).
        if table.name() == LOGS.name() {
            super::log_groups::note_stored(write, arn, value.len() as u64)?;
        }
    }
    Ok(())
}
