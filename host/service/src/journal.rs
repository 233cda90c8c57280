//! An execution's durable journal: buffers its history events and commits
//! them with each checkpoint (group commit shares the fsync with every
//! other execution checkpointing at the same time).
//!
//! A new execution is not stored when it is accepted but with its first
//! checkpoint (or its end, if it ends first): one commit instead of two,
//! and StartExecution answers once that commit is durable (see
//! [`DurableJournal::starting`]).
//!
//! A reader of a running execution (GetExecutionHistory, DescribeExecution)
//! first [`DurableJournal::flush`]es it, so it sees every event recorded so
//! far, e.g. a task that waits for its token. Flushes and checkpoints take
//! turns (`writing`), and once a write failed every later one is refused: a
//! history can lose its unsaved tail in a crash, never get a gap.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;

use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::history::{HistoryEvent, HistoryObserver};
use stepyard_interpreter::{CheckpointRef, Journal, JournalError};
use stepyard_store::{
    AuditedCall, ExecutionRecord, Level, LogLine, LogStore, RedbStore, Started, StoreError, StoredEvent,
};

use super::executions::event_json;
use super::logging::Logging;

/// How storing a new execution went.
#[derive(Debug, Clone)]
pub(crate) enum StartOutcome {
    /// Stored; it started at this time (epoch ms).
    Stored(i64),
    /// One with its ARN exists already: nothing was stored, this run stops.
    Exists(Box<ExecutionRecord>),
    /// The store failed: nothing was stored, this run stops.
    Failed(StoreError),
}

/// Where the outcome of a start is published (`None` until it is known).
pub(crate) type StartWatch = tokio::sync::watch::Receiver<Option<StartOutcome>>;

/// Journal and history observer of one execution.
pub(crate) struct DurableJournal {
    store: Arc<RedbStore>,
    /// The execution's start seq (its journal's key in the store).
    seq: u64,
    pending: Mutex<Vec<StoredEvent>>,
    /// The newest event id recorded (committed or not).
    last_id: AtomicU64,
    /// The last checkpoint written (a flush writes it again with the events).
    last_checkpoint: Mutex<Option<String>>,
    /// One write at a time, in order.
    writing: tokio::sync::Mutex<()>,
    /// A write failed: the execution must stop (it resumes from the store).
    failed: AtomicBool,
    /// A new execution not yet stored: the first write stores it.
    pending_start: Mutex<Option<ExecutionRecord>>,
    /// The API call that started it, if audited: storing the start is that
    /// call's change (see [`AuditedCall`]).
    call: Option<AuditedCall>,
    start_outcome: tokio::sync::watch::Sender<Option<StartOutcome>>,
    /// Where followers (the console's live view) get each event as it is
    /// recorded, committed or not; made by the first follower, so an
    /// execution nobody watches pays one atomic load per event.
    live: OnceLock<broadcast::Sender<Live>>,
    /// The machine's `loggingConfiguration`, when it writes log records.
    logging: OnceLock<ExecutionLogging>,
    /// Someone else who wants every event as it is recorded (`stepyard
    /// run`'s progress lines and `--history`).
    also: OnceLock<Arc<dyn HistoryObserver>>,
}

/// What an execution's log records need besides the event.
#[derive(Debug)]
pub(crate) struct ExecutionLogging {
    pub logging: Logging,
    pub execution_arn: String,
    pub redrive_count: u32,
}

/// What a follower of a running execution receives.
#[derive(Debug, Clone)]
pub(crate) enum Live {
    /// An event, as it is recorded.
    Event(Arc<StoredEvent>),
    /// The run stopped here (ended, or paused to resume elsewhere).
    Ended,
}

/// Events a follower may fall behind by before it must read the store.
const LIVE_BACKLOG: usize = 512;

impl DurableJournal {
    /// A journal whose execution's newest event so far is `last_id` and
    /// whose stored checkpoint is `checkpoint`.
    /// An execution that is stored already, started at `start_millis`.
    pub(crate) fn new(
        store: Arc<RedbStore>,
        seq: u64,
        start_millis: i64,
        last_id: u64,
        checkpoint: Option<String>,
    ) -> DurableJournal {
        DurableJournal {
            store,
            seq,
            pending: Mutex::new(Vec::new()),
            last_id: AtomicU64::new(last_id),
            last_checkpoint: Mutex::new(checkpoint),
            writing: tokio::sync::Mutex::new(()),
            failed: AtomicBool::new(false),
            pending_start: Mutex::new(None),
            call: None,
            start_outcome: tokio::sync::watch::Sender::new(Some(StartOutcome::Stored(start_millis))),
            live: OnceLock::new(),
            logging: OnceLock::new(),
            also: OnceLock::new(),
        }
    }

    /// Hands every event from now on to `observer` too.
    pub(crate) fn also_tell(&self, observer: Arc<dyn HistoryObserver>) {
        let _ = self.also.set(observer);
    }

    /// The journal of a new execution (`record`, with its seq), stored by
    /// its first write; [`start_watch`](Self::start_watch) tells how that went.
    pub(crate) fn starting(store: Arc<RedbStore>, record: ExecutionRecord) -> DurableJournal {
        DurableJournal {
            store,
            seq: record.seq,
            pending: Mutex::new(Vec::new()),
            last_id: AtomicU64::new(0),
            last_checkpoint: Mutex::new(None),
            writing: tokio::sync::Mutex::new(()),
            failed: AtomicBool::new(false),
            pending_start: Mutex::new(Some(record)),
            // StartExecution's call: the start is its change, and commits
            // with its audit record.
            call: AuditedCall::current(),
            start_outcome: tokio::sync::watch::Sender::new(None),
            live: OnceLock::new(),
            logging: OnceLock::new(),
            also: OnceLock::new(),
        }
    }

    /// Where the outcome of storing the execution's start is published.
    pub(crate) fn start_watch(&self) -> StartWatch {
        self.start_outcome.subscribe()
    }

    /// Whether this run was refused at its start (its execution was not
    /// stored by it: nothing of it is to be saved).
    pub(crate) fn refused(&self) -> bool {
        matches!(
            &*self.start_outcome.borrow(),
            Some(StartOutcome::Exists(_) | StartOutcome::Failed(_))
        )
    }

    /// Stores the execution's start with the events recorded so far, if
    /// no write has yet (an execution that ends before its first checkpoint).
    pub(crate) async fn ensure_started(&self) -> Result<(), JournalError> {
        let _turn = self.writing.lock().await;
        if self.pending_start.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            return Ok(());
        }
        let events = self.take_pending();
        self.write(events, None).await
    }

    /// Commits the events recorded since the last checkpoint (with that
    /// checkpoint again), so readers see them.
    pub(crate) async fn flush(&self) -> Result<(), JournalError> {
        let _turn = self.writing.lock().await;
        let Some(checkpoint) = self.last_checkpoint.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return Ok(());
        };
        let events = self.take_pending();
        if events.is_empty() {
            return Ok(());
        }
        self.write(events, Some(checkpoint)).await
    }

    /// Writes `events` and `checkpoint` (none only for a start that ends
    /// before its first checkpoint); the first write also stores the start.
    async fn write(&self, events: Vec<StoredEvent>, checkpoint: Option<String>) -> Result<(), JournalError> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(JournalError("an earlier write of this execution failed".into()));
        }
        let start = self.pending_start.lock().unwrap_or_else(|e| e.into_inner()).take();
        let result = match (start, &checkpoint) {
            (Some(record), _) => self.store_start(record, events, checkpoint.clone()).await,
            (None, Some(text)) => self.store.checkpoint(self.seq, events, text.clone()).await,
            // Only `ensure_started` writes without a checkpoint, and only
            // while the start is pending.
            (None, None) => {
                debug_assert!(events.is_empty(), "events written without a checkpoint");
                Ok(())
            }
        };
        match result {
            Ok(()) => {
                if checkpoint.is_some() {
                    *self.last_checkpoint.lock().unwrap_or_else(|e| e.into_inner()) = checkpoint;
                }
                Ok(())
            }
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                Err(JournalError(e.to_string()))
            }
        }
    }

    /// Stores the execution's start, publishing how it went.
    async fn store_start(
        &self,
        record: ExecutionRecord,
        events: Vec<StoredEvent>,
        checkpoint: Option<String>,
    ) -> Result<(), StoreError> {
        let arn = record.arn.clone();
        let stored = self.store.start_execution(record, events, checkpoint);
        let stored = match self.call.clone() {
            Some(call) => call.scope(stored).await,
            None => stored.await,
        };
        let (outcome, result) = match stored {
            Ok(Started::New(record)) => (StartOutcome::Stored(record.start_millis), Ok(())),
            Ok(Started::Existing(existing)) => (
                StartOutcome::Exists(Box::new(existing)),
                Err(StoreError::ConditionFailed(format!("{arn} exists already"))),
            ),
            Err(e) => (StartOutcome::Failed(e.clone()), Err(e)),
        };
        self.start_outcome.send_replace(Some(outcome));
        result
    }

    /// The events recorded since the last checkpoint, taken out.
    pub(crate) fn take_pending(&self) -> Vec<StoredEvent> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The newest event id recorded.
    pub(crate) fn last_id(&self) -> u64 {
        self.last_id.load(Ordering::Relaxed)
    }

    /// Writes the events `logging` selects as log records from now on.
    pub(crate) fn set_logging(&self, logging: ExecutionLogging) {
        let _ = self.logging.set(logging);
    }

    /// The log record of `stored`, when the machine's logging wants it.
    fn log_record(&self, stored: &StoredEvent) -> Option<LogLine> {
        let config = self.logging.get()?;
        let event = event_json(stored, true);
        let event_type = event.get("type").and_then(serde_json::Value::as_str)?;
        if !config.logging.writes(event_type) {
            return None;
        }
        let record = config
            .logging
            .record(&event, &config.execution_arn, config.redrive_count);
        let failed = config.logging.writes_at_error(event_type);
        Some(LogLine {
            timestamp: stepyard_asl::timestamp::format_millis(chrono::Utc::now()),
            execution_arn: config.execution_arn.clone(),
            state_name: event_state_name(&event).unwrap_or_default(),
            source: "states".to_owned(),
            level: if failed { Level::Error } else { Level::Info },
            message: record.to_string(),
            fields: config
                .logging
                .log_group_arn
                .iter()
                .map(|arn| ("log_group".to_owned(), arn.clone()))
                .collect(),
            entry: None,
            attempt: None,
        })
    }

    /// Every event recorded from now on, then [`Live::Ended`].
    pub(crate) fn follow(&self) -> broadcast::Receiver<Live> {
        self.live.get_or_init(|| broadcast::channel(LIVE_BACKLOG).0).subscribe()
    }

    /// Tells the followers that the run stopped.
    pub(crate) fn end_live(&self) {
        if let Some(tx) = self.live.get() {
            let _ = tx.send(Live::Ended);
        }
    }
}

impl HistoryObserver for DurableJournal {
    fn on_event(&self, event: HistoryEvent) {
        self.last_id.fetch_max(event.id, Ordering::Relaxed);
        if let Some(also) = self.also.get() {
            also.on_event(event.clone());
        }
        let stored = StoredEvent {
            id: event.id,
            json: event.to_json_text(),
        };
        if let Some(tx) = self.live.get()
            && tx.receiver_count() > 0
        {
            let _ = tx.send(Live::Event(Arc::new(stored.clone())));
        }
        if let Some(line) = self.log_record(&stored) {
            // Outside the journal's commit: logs are best effort.
            self.store.append_later(vec![line]);
        }
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).push(stored);
    }
}

impl Journal for DurableJournal {
    fn checkpoint<'j>(&'j self, checkpoint: &CheckpointRef<'_>) -> BoxFuture<'j, Result<(), JournalError>> {
        let journal = self;
        let text = serde_json::to_string(checkpoint).map_err(|e| JournalError(e.to_string()));
        Box::pin(async move {
            let text = text?;
            let _turn = journal.writing.lock().await;
            let events = journal.take_pending();
            journal.write(events, Some(text)).await
        })
    }
}

/// The state an event is about, when its details name one.
fn event_state_name(event: &serde_json::Value) -> Option<String> {
    event
        .as_object()?
        .iter()
        .find(|(k, _)| k.ends_with("EventDetails"))
        .and_then(|(_, d)| d.get("name"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}
