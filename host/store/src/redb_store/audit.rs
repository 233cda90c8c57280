//! The audit trail in the database file: append-only, chained, pruned by age.
//!
//! Stored: sequence number → the previous record's hash (32 bytes), this
//! record's hash (32 bytes), its JSON text. A second table keeps the chain's
//! two ends: `head`, the last record written (its number and hash, so a
//! record removed from the end shows), and `start`, where the chain begins
//! once retention has dropped records (the number of the first record kept
//! and the hash of the last one dropped), with the count of records dropped.
//!
//! A record is numbered and hashed by the writer thread, inside the batch
//! that stores it (see [`super::commit`]): numbers follow commit order, and
//! an aborted batch takes its numbers with it. Nothing rewrites a record;
//! retention deletes the oldest, a bounded batch at a time, each batch its
//! own job among the others.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};

use super::commit::Committer;
use super::{RedbStore, io, read_table};
use crate::StoreError;
use crate::audit::*;

pub(super) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_events");
pub(super) const CHAIN: TableDefinition<&str, &[u8]> = TableDefinition::new("audit_chain");

/// The last record written: its number and hash.
pub(super) const HEAD: &str = "head";
/// The first record kept after retention, and the hash it links to.
pub(super) const START: &str = "start";
/// How many records retention has dropped.
const DROPPED: &str = "dropped";

/// Most records one retention batch deletes: a few hundred B-tree removals
/// (well under a millisecond of the writer's time), so the batch that
/// carries them is not noticeably slower than any other.
pub(crate) const PRUNE_BATCH: usize = 256;

/// How often retention looks for records past their age.
const RETENTION_INTERVAL: Duration = Duration::from_secs(600);

/// Most records one lookup reads before it answers with what it has (and
/// where to go on), so a search that matches little cannot hold a reader
/// for the whole trail.
const SCAN_BUDGET: usize = 20_000;

/// How far out of time order records may be: a record's time is when its
/// request completed, its place when it was committed, so a lookup from a
/// time reads this much further back.
const TIME_SLACK_MILLIS: i64 = 60_000;

/// A place in the chain: a record's number and the hash that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Link {
    pub(super) seq: u64,
    pub(super) hash: [u8; 32],
}

impl Link {
    fn encode(self) -> [u8; 40] {
        let mut out = [0; 40];
        out[..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..].copy_from_slice(&self.hash);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Link, StoreError> {
        let (seq, hash) = (bytes.get(..8), bytes.get(8..40));
        match (seq, hash) {
            (Some(seq), Some(hash)) if bytes.len() == 40 => Ok(Link {
                seq: u64::from_be_bytes(seq.try_into().unwrap_or_default()),
                hash: hash.try_into().unwrap_or(GENESIS),
            }),
            _ => Err(io("the audit trail's chain table is damaged")),
        }
    }
}

/// Reads one of the chain's ends (`HEAD` or `START`).
pub(super) fn read_link(
    chain: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &str,
) -> Result<Option<Link>, StoreError> {
    chain
        .get(name)
        .map_err(io)?
        .map(|v| Link::decode(v.value()))
        .transpose()
}

fn read_count(chain: &impl ReadableTable<&'static str, &'static [u8]>, name: &str) -> Result<u64, StoreError> {
    Ok(chain
        .get(name)
        .map_err(io)?
        .and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// Appends one record's text: numbered after the head, linked to its hash.
fn append_job(write: &WriteTransaction, json: &str) -> Result<u64, StoreError> {
    let mut chain = write.open_table(CHAIN).map_err(io)?;
    let head = read_link(&chain, HEAD)?.unwrap_or(Link { seq: 0, hash: GENESIS });
    let raw = RawAuditRecord::linked(head.hash, json.to_owned());
    let seq = head.seq + 1;
    write
        .open_table(AUDIT)
        .map_err(io)?
        .insert(seq, raw.encode().as_slice())
        .map_err(io)?;
    chain
        .insert(HEAD, Link { seq, hash: raw.hash }.encode().as_slice())
        .map_err(io)?;
    Ok(seq)
}

impl super::super::AuditLog for RedbStore {
    fn record(&self, record: &AuditRecord) -> BoxFuture<'static, Result<u64, StoreError>> {
        // Serialised here, on the caller's thread; only numbering and
        // hashing wait for the writer.
        let json = match serde_json::to_string(record) {
            Ok(json) => json,
            Err(e) => return Box::pin(std::future::ready(Err(StoreError::Invalid(e.to_string())))),
        };
        // The record of an audited call lets the batch holding its change
        // commit (see `crate::audited_call`).
        let done = self.committer.record_later(move |write| append_job(write, &json));
        Box::pin(async move { done.await.unwrap_or_else(|_| Err(io("the database is closed"))) })
    }

    fn settled(&self) -> BoxFuture<'static, Result<(), StoreError>> {
        // An empty job: the writer applies jobs in order, so it commits
        // after every record queued before it.
        let done = self.committer.write_later(|_| Ok(()));
        Box::pin(async move { done.await.unwrap_or_else(|_| Err(io("the database is closed"))) })
    }
}

/// How big the trail is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditSummary {
    /// Records kept.
    pub records: u64,
    /// Records retention has dropped, in the life of the database.
    pub dropped: u64,
    /// The number of the last record written (0: none yet).
    pub last: u64,
}

impl RedbStore {
    /// A page of audit records, newest first, that `keep` accepts (see
    /// [`AuditQuery`]). A page may hold fewer than `limit` records and still
    /// have a `next`, when the lookup read its budget of records.
    pub fn audit_lookup(
        &self,
        query: &AuditQuery,
        keep: impl Fn(&AuditRecord) -> bool,
    ) -> Result<AuditPage, StoreError> {
        let read = self.begin_read()?;
        let Some(audit) = read_table(&read, AUDIT)? else {
            return Ok(AuditPage::default());
        };
        let limit = query.limit.max(1);
        let range = match query.before {
            Some(before) => audit.range(..before),
            None => audit.range::<u64>(..),
        }
        .map_err(io)?;
        let mut page = AuditPage::default();
        for (scanned, entry) in range.rev().enumerate() {
            let (seq, value) = entry.map_err(io)?;
            let seq = seq.value();
            if scanned >= SCAN_BUDGET {
                page.next = Some(seq + 1);
                break;
            }
            let raw = RawAuditRecord::decode(value.value()).map_err(|reason| damaged(seq, &reason))?;
            let record: AuditRecord = serde_json::from_str(&raw.json).map_err(|e| damaged(seq, &e.to_string()))?;
            let millis = event_millis(&record.event_time).unwrap_or(i64::MIN);
            if let Some(since) = query.since_millis {
                if millis < since.saturating_sub(TIME_SLACK_MILLIS) {
                    break;
                }
                if millis < since {
                    continue;
                }
            }
            if query.until_millis.is_some_and(|until| millis > until) || !keep(&record) {
                continue;
            }
            if page.entries.len() == limit {
                page.next = page.entries.last().map(|e| e.seq);
                break;
            }
            page.entries.push(AuditEntry {
                seq,
                record,
                json: raw.json,
            });
        }
        Ok(page)
    }

    /// How many records the trail keeps, has dropped, and the last one's number.
    pub fn audit_summary(&self) -> Result<AuditSummary, StoreError> {
        let read = self.begin_read()?;
        let records = match read_table(&read, AUDIT)? {
            Some(audit) => audit.len().map_err(io)?,
            None => 0,
        };
        let (dropped, last) = match read_table(&read, CHAIN)? {
            Some(chain) => (
                read_count(&chain, DROPPED)?,
                read_link(&chain, HEAD)?.map_or(0, |l| l.seq),
            ),
            None => (0, 0),
        };
        Ok(AuditSummary { records, dropped, last })
    }

    /// Deletes up to `max` of the oldest records whose time is before
    /// `cutoff_millis`, as one write; returns how many it deleted. The hash
    /// of the last one deleted becomes where the chain starts, so the rest
    /// still verifies. Stops at a record whose time cannot be read (it is
    /// kept, for `verify_audit` to report).
    pub fn prune_audit(&self, cutoff_millis: i64, max: usize) -> Result<usize, StoreError> {
        prune_batch(&self.db, &self.committer, cutoff_millis, max)
    }

    /// Deletes records older than `max_age` in the background, now and
    /// every ten minutes, until the store closes.
    pub fn keep_audit_for(&self, max_age: Duration) -> Result<(), StoreError> {
        let retention = Retention::start(Arc::downgrade(&self.db), self.committer.clone(), max_age)?;
        let previous = self
            .audit_retention
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(retention);
        if let Some(previous) = previous {
            previous.stop();
        }
        Ok(())
    }

    /// Stops the retention thread, if one runs.
    pub(super) fn stop_audit_retention(&self) {
        let retention = self.audit_retention.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(retention) = retention {
            retention.stop();
        }
    }
}

/// Only a record's time, for retention (the rest of the text is skipped).
#[derive(serde::Deserialize)]
struct EventTime {
    #[serde(rename = "eventTime")]
    event_time: String,
}

pub(super) fn damaged(seq: u64, reason: &str) -> StoreError {
    io(format!("audit record {seq} is damaged: {reason}"))
}

/// Deletes records `first..=last` (the oldest), if the oldest is still
/// `first`, and moves the chain's start past them.
fn prune_job(write: &WriteTransaction, first: u64, last: u64) -> Result<usize, StoreError> {
    let mut audit = write.open_table(AUDIT).map_err(io)?;
    let oldest = audit.first().map_err(io)?.map(|(k, _)| k.value());
    if oldest != Some(first) {
        // Someone pruned meanwhile: decide again next time.
        return Ok(0);
    }
    let hash = match audit.get(last).map_err(io)? {
        Some(value) => {
            RawAuditRecord::decode(value.value())
                .map_err(|reason| damaged(last, &reason))?
                .hash
        }
        None => return Ok(0),
    };
    let mut deleted = 0usize;
    audit
        .retain_in(first..=last, |_, _| {
            deleted += 1;
            false
        })
        .map_err(io)?;
    let mut chain = write.open_table(CHAIN).map_err(io)?;
    let dropped = read_count(&chain, DROPPED)? + deleted as u64;
    chain
        .insert(START, Link { seq: last + 1, hash }.encode().as_slice())
        .map_err(io)?;
    chain.insert(DROPPED, dropped.to_be_bytes().as_slice()).map_err(io)?;
    Ok(deleted)
}

/// The retention thread.
pub(super) struct Retention {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Retention {
    fn start(
        db: std::sync::Weak<redb::Database>,
        committer: Arc<Committer>,
        max_age: Duration,
    ) -> Result<Retention, StoreError> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("stepyard-audit-retention".into())
            .spawn(move || {
                let (stopped, wake) = &*signal;
                loop {
                    // Only while the store is open: a strong reference
                    // would keep the file open after it closed.
                    if let Some(db) = db.upgrade() {
                        prune_all(&db, &committer, max_age, stopped);
                    }
                    let guard = stopped.lock().unwrap_or_else(|e| e.into_inner());
                    let (guard, _) = wake
                        .wait_timeout_while(guard, RETENTION_INTERVAL, |stop| !*stop)
                        .unwrap_or_else(|e| e.into_inner());
                    if *guard {
                        return;
                    }
                }
            })
            .map_err(|e| StoreError::Io(format!("cannot start the audit retention: {e}")))?;
        Ok(Retention {
            stop,
            thread: Some(thread),
        })
    }

    fn stop(mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Deletes every record past its age, a batch at a time, each batch a job
/// of its own (other writes go between them).
fn prune_all(db: &redb::Database, committer: &Committer, max_age: Duration, stopped: &Mutex<bool>) {
    let cutoff = SystemTime::now()
        .checked_sub(max_age)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(i64::MIN, |d| d.as_millis() as i64);
    while !*stopped.lock().unwrap_or_else(|e| e.into_inner()) {
        match prune_batch(db, committer, cutoff, PRUNE_BATCH) {
            Ok(n) if n == PRUNE_BATCH => {}
            _ => return,
        }
    }
}

/// One bounded retention batch: which records are past their age is read
/// outside the writer (it parses each record's text); the writer only
/// deletes.
fn prune_batch(db: &redb::Database, committer: &Committer, cutoff: i64, max: usize) -> Result<usize, StoreError> {
    use redb::ReadableDatabase;
    let read = db.begin_read().map_err(io)?;
    let Some(audit) = read_table(&read, AUDIT)? else {
        return Ok(0);
    };
    let (mut first, mut last) = (None, None);
    for entry in audit.iter().map_err(io)?.take(max.max(1)) {
        let (seq, value) = entry.map_err(io)?;
        let old = RawAuditRecord::decode(value.value())
            .ok()
            .and_then(|raw| serde_json::from_str::<EventTime>(&raw.json).ok())
            .and_then(|t| event_millis(&t.event_time))
            .is_some_and(|millis| millis < cutoff);
        if !old {
            break;
        }
        first.get_or_insert(seq.value());
        last = Some(seq.value());
    }
    drop(read);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(0);
    };
    committer.write(move |write| prune_job(write, first, last))
}
