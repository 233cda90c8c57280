//! Durable progress: what an execution must make durable before it acts,
//! and where a resumed execution picks up.
//!
//! The interpreter checkpoints at every top-level state transition, right
//! after the `…StateEntered` event and before the state does anything. A
//! [`Journal`] makes that checkpoint, and every event recorded before it,
//! durable; only then does the state run. After a crash the execution
//! resumes inside the checkpointed state: everything the state did after it
//! entered is done again (a task is invoked again with the same idempotency
//! key, a Wait sleeps until its original deadline).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::BoxFuture;

/// A top-level state as it was entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The state's name.
    pub state: String,
    /// Its effective input (what `…StateEntered` recorded).
    pub input: Value,
    /// The top-level variables when it was entered.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Value>,
    /// Id of its `…StateEntered` event.
    pub entered_event_id: u64,
    /// The event `…StateEntered` followed.
    pub entered_previous_event_id: u64,
    /// When it was entered, in microseconds since the Unix epoch (waits and
    /// `$$.State.EnteredTime` keep this instant across a restart).
    pub entered_time_micros: i64,
}

/// A [`Checkpoint`] as the interpreter writes it: the same fields, borrowed
/// from the running state (its input and the variables can be large, and
/// they are only serialized), serialized to the same JSON.
#[derive(Debug, Serialize)]
pub struct CheckpointRef<'a> {
    /// [`Checkpoint::state`]: the name of the state entered.
    pub state: &'a str,
    /// [`Checkpoint::input`]: the state's effective input.
    pub input: &'a Value,
    /// [`Checkpoint::variables`]: the top-level variables at entry.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub variables: &'a Map<String, Value>,
    /// [`Checkpoint::entered_event_id`]: id of the `…StateEntered` event.
    pub entered_event_id: u64,
    /// [`Checkpoint::entered_previous_event_id`]: the event `…StateEntered` followed.
    pub entered_previous_event_id: u64,
    /// [`Checkpoint::entered_time_micros`]: the entry instant, in Unix microseconds.
    pub entered_time_micros: i64,
}

impl Checkpoint {
    pub(crate) fn entered_time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.entered_time_micros).unwrap_or_default()
    }
}

/// Where an execution starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// From `StartAt`, with `ExecutionStarted`.
    Fresh,
    /// After a restart, inside the checkpointed state. The history must hold
    /// no event after the checkpoint's `…StateEntered` (the journal
    /// discards them before resuming), so ids continue from it.
    Resume(Checkpoint),
    /// The checkpointed state is entered again after event `last_event_id`
    /// (`RedriveExecution`, whose caller recorded `ExecutionRedriven`).
    Reenter {
        /// The state to enter again, with its input and variables.
        checkpoint: Checkpoint,
        /// The newest event already recorded (on a redrive, `ExecutionRedriven`); new ids
        /// follow it.
        last_event_id: u64,
    },
}

/// Why a journal could not make progress durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JournalError(pub String);

/// Makes an execution's progress durable.
pub trait Journal: Send + Sync {
    /// Completes once `checkpoint` and every event the execution recorded
    /// before it are durable. The state acts only after `Ok`; on `Err` the
    /// execution stops where it is (see [`Interrupted`]).
    /// The checkpoint is read before this returns (the future borrows the
    /// journal, not the checkpoint).
    fn checkpoint<'j>(&'j self, checkpoint: &CheckpointRef<'_>) -> BoxFuture<'j, Result<(), JournalError>>;
}

/// An execution stopped because its progress could not be made durable; it
/// is still running as far as the store knows, and resumes from its last
/// checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the execution's progress could not be saved: {0}")]
pub struct Interrupted(pub JournalError);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Checkpoint, CheckpointRef};

    #[test]
    fn a_borrowed_checkpoint_reads_back_as_the_owned_one() {
        let input = json!({"order_id": "o-1", "items": [1, 2]});
        for variables in [
            serde_json::Map::new(),
            json!({"x": 1}).as_object().cloned().unwrap_or_default(),
        ] {
            let written = CheckpointRef {
                state: "PlaceOrder",
                input: &input,
                variables: &variables,
                entered_event_id: 2,
                entered_previous_event_id: 1,
                entered_time_micros: 1_700_000_000_000_000,
            };
            let text = serde_json::to_string(&written).unwrap();
            let read: Checkpoint = serde_json::from_str(&text).unwrap();
            assert_eq!(
                read,
                Checkpoint {
                    state: "PlaceOrder".into(),
                    input: input.clone(),
                    variables: variables.clone(),
                    entered_event_id: 2,
                    entered_previous_event_id: 1,
                    entered_time_micros: 1_700_000_000_000_000,
                }
            );
            assert_eq!(
                text,
                serde_json::to_string(&read).unwrap(),
                "the same text as the owned form"
            );
        }
    }
}
