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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, WriteTransaction};

use super::super::StoreError;
use super::page_log::SyncHandle;

/// Most jobs one transaction takes (bounds a commit's size and latency).
const MAX_BATCH: usize = 4096;

/// Called with the commit's outcome.
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// Applies one job to the batch's transaction (`None`: there is none, the
/// job only learns the error through its completion).
type Job = Box<dyn FnOnce(Option<&WriteTransaction>) -> Applied + Send>;

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
        }
    }

    /// Submits `apply`; `reply` gets its result once the batch committed
    /// (or the commit's error).
    pub(crate) fn submit<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
        reply: impl FnOnce(Result<R, StoreError>) + Send + 'static,
    ) {
        let job: Job = Box::new(move |txn| {
            let result = match txn {
                Some(txn) => apply(txn),
                None => Err(StoreError::Io("not applied".into())),
            };
            let fatal = matches!(result, Err(StoreError::Io(_)));
            Applied {
                complete: Box::new(move |commit| reply(commit.and(result))),
                fatal,
            }
        });
        let sender = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let rejected = match sender {
            Some(tx) => tx.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = rejected {
            // The writer is gone (shut down): answer without a transaction.
            (job(None).complete)(Err(closed()));
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

    /// Submits a write; the receiver yields its result once committed.
    pub(crate) fn write_later<R: Send + 'static>(
        &self,
        apply: impl FnOnce(&WriteTransaction) -> Result<R, StoreError> + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<Result<R, StoreError>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(apply, move |r| {
            let _ = tx.send(r);
        });
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
    let mut batch: Vec<Job> = Vec::new();
    while let Ok(first) = jobs.recv() {
        if let Some(syncs) = syncs {
            syncs.wait_for_syncs_below(SYNCS_IN_FLIGHT);
        }
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        counters.writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        commit_batch(db, &mut batch, counters, syncs);
    }
    // Every writer has its answer before shutdown returns.
    if let Some(syncs) = syncs {
        syncs.wait_for_syncs_below(1);
    }
}

fn commit_batch(db: &Database, batch: &mut Vec<Job>, counters: &Counters, syncs: Option<&SyncHandle>) {
    let started = Instant::now();
    let txn = match db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let error = StoreError::Io(format!("cannot begin a write: {e}"));
            // The jobs never ran; answer each with the error.
            for job in batch.drain(..) {
                (job(None).complete)(Err(error.clone()));
            }
            return;
        }
    };
    let mut completions = Vec::with_capacity(batch.len());
    let mut fatal = false;
    for job in batch.drain(..) {
        let applied = job(Some(&txn));
        fatal |= applied.fatal;
        completions.push(applied.complete);
    }
    let applied = Counters::lap(&counters.apply_nanos, started);
    let outcome = if fatal {
        let _ = txn.abort();
        Err(StoreError::Io(
            "a write in the same batch failed; nothing of the batch was saved".into(),
        ))
    } else {
        txn.commit().map_err(|e| StoreError::Io(format!("cannot commit: {e}")))
    };
    let committed = Counters::lap(&counters.commit_nanos, applied);
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
