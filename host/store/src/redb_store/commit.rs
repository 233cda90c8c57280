//! Group commit: one writer thread owns every write transaction.
//!
//! Writers from any thread (executions checkpointing, plugins writing
//! tables) submit a job; the writer thread takes every job waiting, applies
//! them all in one transaction and commits once, then answers each. While
//! one commit syncs to disk the next batch gathers, so durability costs one
//! fsync per batch, not one per write.
//!
//! A job must not write before it has decided whether it succeeds: a job
//! that returns a logical error (a failed condition, a name in use) leaves
//! the shared transaction untouched. A storage error aborts the whole batch,
//! and every job in it gets the error: nothing of the batch is committed,
//! nothing committed before it is lost.
//!
//! The writes of an armed [`AuditedCall`] are answered when applied, and
//! their batch waits for the call's audit record before it commits (see
//! [`crate::audited_call`]). Jobs of other callers that arrive meanwhile
//! wait for the next batch, in the order they came.

use std::collections::VecDeque;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, WriteTransaction};

use super::super::StoreError;
use super::page_log::SyncHandle;
use crate::audited_call::{AuditedCall, HOLD_LIMIT};

/// Most jobs one transaction takes (bounds a commit's size and latency).
const MAX_BATCH: usize = 4096;

/// Called with the commit's outcome.
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// Applies one job to the batch's transaction (`None`: there is none, the
/// job only learns the error through its completion). With `held`, the
/// job is answered at once, before the commit.
type Apply = Box<dyn FnOnce(Option<&WriteTransaction>, bool) -> Applied + Send>;

/// One write submitted to the writer.
struct Job {
    apply: Apply,
    role: Role,
}

/// What a job is to an audited call.
enum Role {
    /// An ordinary write.
    Plain,
    /// A write of an armed call: held for its record.
    Change(AuditedCall),
    /// The call's audit record: its batch may commit.
    Record(AuditedCall),
}

/// A write made now: a change of the task's audited call, if it is held.
fn current_change() -> Role {
    AuditedCall::holding().map_or(Role::Plain, Role::Change)
}

/// What applying a job gave.
struct Applied {
    complete: Completion,
    /// The job hit a storage error: the batch must not commit.
    fatal: bool,
}

/// How many transactions the writer committed, how many writes they
/// carried (their ratio is the mean batch size), and where its time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Transactions the writer ran (each commit is one fsync on a file).
    pub commits: u64,
    /// Writes (jobs) applied in those transactions.
    pub writes: u64,
    /// Time spent applying writes to transactions.
    pub apply: Duration,
    /// Time spent committing (writing pages, fsync).
    pub commit: Duration,
    /// Time spent answering the writers.
    pub reply: Duration,
    /// The longest one batch took (apply + commit + reply).
    pub longest: Duration,
    /// Batches that took longer than [`SLOW_BATCH`].
    pub slow: u64,
    /// Time batches spent waiting for audit records (part of `apply`).
    pub hold: Duration,
    /// Audited calls whose change and record committed in one batch.
    pub bound: u64,
    /// Audited calls whose batch stopped waiting for their record
    /// ([`HOLD_LIMIT`]): the change committed first, the record later.
    pub unbound: u64,
}

/// A batch slower than this delays its writers noticeably (counted in
/// [`CommitStats::slow`]).
pub const SLOW_BATCH: Duration = Duration::from_millis(4);

/// The writer thread's counters, readable from any thread.
#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    writes: AtomicU64,
    apply_nanos: AtomicU64,
    commit_nanos: AtomicU64,
    reply_nanos: AtomicU64,
    longest_nanos: AtomicU64,
    slow: AtomicU64,
    hold_nanos: AtomicU64,
    bound: AtomicU64,
    unbound: AtomicU64,
}

impl Counters {
    /// Adds the time since `since` to `counter`; returns now.
    fn lap(counter: &AtomicU64, since: Instant) -> Instant {
        let now = Instant::now();
        counter.fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
        now
    }
}

/// The handle writers submit jobs through.
pub(crate) struct Committer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Committer {
    /// Starts the writer thread for `db`. With `syncs` (a file store), its
    /// commits do not wait for the disk: a batch's writers are answered once
    /// the log holding it is synced, while the next batch gathers.
    pub(crate) fn start(db: Arc<Database>, syncs: Option<SyncHandle>) -> Result<Committer, StoreError> {
        if let Some(syncs) = &syncs {
            syncs.defer_syncs();
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("stepyard-commit".into())
            .spawn(move || write_loop(&db, &rx, &thread_counters, syncs.as_ref()))
            .map_err(|e| StoreError::Io(format!("cannot start the database writer: {e}")))?;
        Ok(Committer {
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            counters,
        })
    }

    /// The commits so far.
    pub(crate) fn stats(&self) -> CommitStats {
        let c = &self.counters;
        let time = |n: &AtomicU64| Duration::from_nanos(n.load(Ordering::Relaxed));
        CommitStats {
            commits: c.commits.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            apply: time(&c.apply_nanos),
            commit: time(&c.commit_nanos),
            reply: time(&c.reply_nanos),
            longest: time(&c.longest_nanos),
            slow: c.slow.load(Ordering::Relaxed),
            hold: time(&c.hold_nanos),
            bound: c.bound.load(Ordering::Relaxed),
            unbound: c.unbound.load(Ordering::Relaxed),
        }
    }

    /// Submits `apply`; `reply` gets its result once the batch committed
    /// (or the commit's error). A write of an armed [`AuditedCall`] (the
    /// task's current one) gets it as soon as it is applied instead, and
    /// its batch commits with the call's record.
    pub(crate) fn submit<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
        reply: impl FnOnce(Result<R, StoreError>) + Send + 'static,
    ) {
        self.submit_as(current_change(), apply, reply, None);
    }

    fn submit_as<R: Send + 'static>(
        &self,
        role: Role,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
        reply: impl FnOnce(Result<R, StoreError>) + Send + 'static,
        committed: Option<Box<dyn FnOnce() + Send>>,
    ) {
        let apply: Apply = Box::new(move |txn, held| {
            let result = match txn {
                Some(txn) => apply(txn),
                None => Err(StoreError::Io("not applied".into())),
            };
            let fatal = matches!(result, Err(StoreError::Io(_)));
            let complete: Completion = if held {
                // The call goes on now; a failed commit reaches it through
                // its record's answer.
                reply(result);
                Box::new(move |_| committed.into_iter().for_each(|f| f()))
            } else {
                Box::new(move |commit| {
                    committed.into_iter().for_each(|f| f());
                    reply(commit.and(result));
                })
            };
            Applied { complete, fatal }
        });
        let job = Job { apply, role };
        let sender = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let rejected = match sender {
            Some(tx) => tx.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = rejected {
            // The writer is gone (shut down): answer without a transaction.
            ((job.apply)(None, false).complete)(Err(closed()));
        }
    }

    /// Writes and waits on this thread (for callers outside async code).
    pub(crate) fn write<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(apply, move |r| {
            let _ = tx.send(r);
        });
        rx.recv().unwrap_or_else(|_| Err(closed()))
    }

    /// Writes and awaits the commit.
    pub(crate) async fn write_async<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let rx = self.write_later(apply);
        rx.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Writes and awaits the answer (see [`submit`](Self::submit)), then
    /// runs `committed` once the batch has committed (or failed to), even
    /// when the answer came first: for caches of what was written.
    pub(crate) async fn write_async_then<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
        committed: impl FnOnce() + Send + 'static,
    ) -> Result<R, StoreError> {
        let rx = self.later(current_change(), apply, Some(Box::new(committed)));
        rx.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Submits a write; the receiver yields its result once committed
    /// (see [`submit`](Self::submit) for an audited call's writes).
    pub(crate) fn write_later<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<Result<R, StoreError>> {
        self.later(current_change(), apply, None)
    }

    /// Submits the audit record of the task's current call: the batch
    /// holding the call's writes may then commit. The receiver yields its
    /// result once committed.
    pub(crate) fn record_later<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<Result<R, StoreError>> {
        self.later(AuditedCall::holding().map_or(Role::Plain, Role::Record), apply, None)
    }

    fn later<R: Send + 'static>(
        &self,
        role: Role,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
        committed: Option<Box<dyn FnOnce() + Send>>,
    ) -> tokio::sync::oneshot::Receiver<Result<R, StoreError>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let reply = move |r| {
            let _ = tx.send(r);
        };
        self.submit_as(role, apply, reply, committed);
        rx
    }

    /// Stops taking jobs, lets the writer finish what it has, and waits.
    pub(crate) fn shutdown(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn closed() -> StoreError {
    StoreError::Io("the database is closed".into())
}

/// Batches that may wait for their sync at once. One: the next batch gathers
/// while the last one syncs. Two (the next applied meanwhile) made batches
/// half as large and cost more CPU per execution in alternating serve-bench
/// runs: every commit has a cost of its own.
const SYNCS_IN_FLIGHT: usize = 1;

fn write_loop(db: &Database, jobs: &mpsc::Receiver<Job>, counters: &Counters, syncs: Option<&SyncHandle>) {
    // Jobs that came while a batch waited for records: the next batch's
    // first, in the order they came.
    let mut deferred: VecDeque<Job> = VecDeque::new();
    loop {
        let first = match deferred.pop_front() {
            Some(job) => job,
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        if let Some(syncs) = syncs {
            syncs.wait_for_syncs_below(SYNCS_IN_FLIGHT);
        }
        let mut batch = Batch::begin(db);
        batch.apply(first);
        while batch.jobs < MAX_BATCH {
            match deferred.pop_front().map_or_else(|| jobs.try_recv().ok(), Some) {
                Some(job) => batch.apply(job),
                None => break,
            }
        }
        batch.await_records(jobs, &mut deferred, counters);
        counters.writes.fetch_add(batch.jobs as u64, Ordering::Relaxed);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        batch.commit(counters, syncs);
    }
    // Every writer has its answer before shutdown returns.
    if let Some(syncs) = syncs {
        syncs.wait_for_syncs_below(1);
    }
}

/// One transaction being filled.
struct Batch {
    /// `Err`: it could not begin; every job gets that error.
    txn: Result<WriteTransaction, StoreError>,
    completions: Vec<Completion>,
    /// A job hit a storage error: the batch must not commit.
    fatal: bool,
    /// Calls whose writes it holds, waiting for their records.
    waiting: Vec<AuditedCall>,
    /// Calls whose record joined their change here.
    bound: u64,
    jobs: usize,
    started: Instant,
}

impl Batch {
    fn begin(db: &Database) -> Batch {
        Batch {
            txn: db
                .begin_write()
                .map_err(|e| StoreError::Io(format!("cannot begin a write: {e}"))),
            completions: Vec::new(),
            fatal: false,
            waiting: Vec::new(),
            bound: 0,
            jobs: 0,
            started: Instant::now(),
        }
    }

    fn is_waiting_for(&self, call: &AuditedCall) -> bool {
        self.waiting.iter().any(|w| w.same(call))
    }

    fn apply(&mut self, job: Job) {
        self.jobs += 1;
        let txn = self.txn.as_ref().ok();
        let held = match &job.role {
            // A settled call's writes (its batch stopped waiting) are
            // ordinary; so is everything when there is no transaction.
            Role::Change(call) if txn.is_some() && !call.is_settled() => {
                if !self.is_waiting_for(call) {
                    self.waiting.push(call.clone());
                }
                true
            }
            _ => false,
        };
        let applied = (job.apply)(txn, held);
        self.fatal |= applied.fatal;
        self.completions.push(applied.complete);
        if let Role::Record(call) = &job.role {
            if self.is_waiting_for(call) {
                self.bound += 1;
                self.waiting.retain(|w| !w.same(call));
            }
            call.settle();
        }
    }

    /// Whether a job that came while the batch waits for records joins it:
    /// the calls' own writes and records do, and ordinary writes while
    /// there is room (the writer would idle otherwise). A new call's
    /// change does not: it would make the batch wait longer; it starts the
    /// next one, and every job after it waits behind it, in order.
    fn takes_while_waiting(&self, job: &Job, deferring: bool) -> bool {
        match &job.role {
            Role::Change(call) | Role::Record(call) if self.is_waiting_for(call) => true,
            Role::Change(_) => false,
            Role::Plain | Role::Record(_) => !deferring && self.jobs < MAX_BATCH,
        }
    }

    /// Applies the records of the calls whose writes it holds as they come
    /// (and other jobs, see [`takes_while_waiting`](Self::takes_while_waiting)),
    /// until no record is missing or [`HOLD_LIMIT`] has passed.
    fn await_records(&mut self, jobs: &mpsc::Receiver<Job>, deferred: &mut VecDeque<Job>, counters: &Counters) {
        let since = Instant::now();
        let deadline = since + HOLD_LIMIT;
        while !self.waiting.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match jobs.recv_timeout(left) {
                Ok(job) if self.takes_while_waiting(&job, !deferred.is_empty()) => self.apply(job),
                Ok(job) => deferred.push_back(job),
                Err(_) => break,
            }
        }
        // Past the limit (or shutting down): commit without them; their
        // records, when they come, are ordinary writes.
        counters.unbound.fetch_add(self.waiting.len() as u64, Ordering::Relaxed);
        for call in self.waiting.drain(..) {
            call.settle();
        }
        counters.bound.fetch_add(self.bound, Ordering::Relaxed);
        Counters::lap(&counters.hold_nanos, since);
    }

    fn commit(self, counters: &Counters, syncs: Option<&SyncHandle>) {
        let started = self.started;
        let applied = Counters::lap(&counters.apply_nanos, started);
        let outcome = match self.txn {
            Err(e) => Err(e),
            Ok(txn) if self.fatal => {
                let _ = txn.abort();
                Err(StoreError::Io(
                    "a write in the same batch failed; nothing of the batch was saved".into(),
                ))
            }
            Ok(txn) => txn.commit().map_err(|e| StoreError::Io(format!("cannot commit: {e}"))),
        };
        let committed = Counters::lap(&counters.commit_nanos, applied);
        let completions = self.completions;
        let answer = move |outcome: Result<(), StoreError>| {
            for complete in completions {
                complete(outcome.clone());
            }
        };
        match (syncs, outcome) {
            (Some(syncs), Ok(())) => syncs.after_sync(Box::new(move |synced| {
                answer(synced.map_err(|e| StoreError::Io(format!("cannot commit: {e}"))))
            })),
            (_, outcome) => answer(outcome),
        }
        let done = Counters::lap(&counters.reply_nanos, committed);
        let took = done - started;
        counters
            .longest_nanos
            .fetch_max(took.as_nanos() as u64, Ordering::Relaxed);
        if took > SLOW_BATCH {
            counters.slow.fetch_add(1, Ordering::Relaxed);
        }
    }
}
