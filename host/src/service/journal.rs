//! An execution's durable journal: buffers its history events and commits
//! them with each checkpoint (group commit shares the fsync with every
//! other execution checkpointing at the same time).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock::BoxFuture;
use crate::history::{HistoryEvent, HistoryObserver};
use crate::interpreter::{Checkpoint, Journal, JournalError};
use crate::store::{RedbStore, StoredEvent};

/// Journal and history observer of one execution.
pub struct DurableJournal {
    store: Arc<RedbStore>,
    arn: String,
    pending: Mutex<Vec<StoredEvent>>,
    /// The newest event id recorded (committed or not).
    last_id: AtomicU64,
}

impl DurableJournal {
    /// A journal whose execution's newest event so far is `last_id`.
    pub fn new(store: Arc<RedbStore>, arn: String, last_id: u64) -> DurableJournal {
        DurableJournal {
            store,
            arn,
            pending: Mutex::new(Vec::new()),
            last_id: AtomicU64::new(last_id),
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

impl Journal for DurableJournal {
    fn checkpoint(&self, checkpoint: Checkpoint) -> BoxFuture<'static, Result<(), JournalError>> {
        let events = self.take_pending();
        let store = self.store.clone();
        let arn = self.arn.clone();
        Box::pin(async move {
            let text = serde_json::to_string(&checkpoint).map_err(|e| JournalError(e.to_string()))?;
            store
                .checkpoint(&arn, events, text)
                .await
                .map_err(|e| JournalError(e.to_string()))
        })
    }
}
