//! An execution's durable journal: buffers its history events and commits
//! them with each checkpoint (group commit shares the fsync with every
//! other execution checkpointing at the same time).
//!
//! A reader of a running execution (GetExecutionHistory, DescribeExecution)
//! first [`DurableJournal::flush`]es it, so it sees every event recorded so
//! far, e.g. a task that waits for its token. Flushes and checkpoints take
//! turns (`writing`), and once a write failed every later one is refused: a
//! history can lose its unsaved tail in a crash, never get a gap.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock::BoxFuture;
use crate::history::{HistoryEvent, HistoryObserver};
use crate::interpreter::{Checkpoint, Journal, JournalError};
use crate::store::{RedbStore, StoredEvent};

/// Journal and history observer of one execution.
pub struct DurableJournal {
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
}

impl DurableJournal {
    /// A journal whose execution's newest event so far is `last_id` and
    /// whose stored checkpoint is `checkpoint`.
    pub fn new(store: Arc<RedbStore>, seq: u64, last_id: u64, checkpoint: Option<String>) -> DurableJournal {
        DurableJournal {
            store,
            seq,
            pending: Mutex::new(Vec::new()),
            last_id: AtomicU64::new(last_id),
            last_checkpoint: Mutex::new(checkpoint),
            writing: tokio::sync::Mutex::new(()),
            failed: AtomicBool::new(false),
        }
    }

    /// Commits the events recorded since the last checkpoint (with that
    /// checkpoint again), so readers see them.
    pub async fn flush(&self) -> Result<(), JournalError> {
        let _turn = self.writing.lock().await;
        let Some(checkpoint) = self.last_checkpoint.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return Ok(());
        };
        let events = self.take_pending();
        if events.is_empty() {
            return Ok(());
        }
        self.write(events, checkpoint).await
    }

    async fn write(&self, events: Vec<StoredEvent>, checkpoint: String) -> Result<(), JournalError> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(JournalError("an earlier write of this execution failed".into()));
        }
        let result = self.store.checkpoint(self.seq, events, checkpoint.clone()).await;
        match result {
            Ok(()) => {
                *self.last_checkpoint.lock().unwrap_or_else(|e| e.into_inner()) = Some(checkpoint);
                Ok(())
            }
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                Err(JournalError(e.to_string()))
            }
        }
    }

    /// The events recorded since the last checkpoint, taken out.
    pub fn take_pending(&self) -> Vec<StoredEvent> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The newest event id recorded.
    pub fn last_id(&self) -> u64 {
        self.last_id.load(Ordering::Relaxed)
    }
}

impl HistoryObserver for DurableJournal {
    fn on_event(&self, event: HistoryEvent) {
        self.last_id.fetch_max(event.id, Ordering::Relaxed);
        let stored = StoredEvent {
            id: event.id,
            json: event.to_json_text(),
        };
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).push(stored);
    }
}

impl Journal for Arc<DurableJournal> {
    fn checkpoint(&self, checkpoint: Checkpoint) -> BoxFuture<'static, Result<(), JournalError>> {
        let journal = self.clone();
        Box::pin(async move {
            let text = serde_json::to_string(&checkpoint).map_err(|e| JournalError(e.to_string()))?;
            let _turn = journal.writing.lock().await;
            let events = journal.take_pending();
            journal.write(events, text).await
        })
    }
}
