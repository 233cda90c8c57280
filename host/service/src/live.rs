//! Following a running execution's history as it is recorded: what the
//! console's live view shows within a moment of each event.
//!
//! Events reach followers from memory when the interpreter records them,
//! before they are committed (most are committed with the next
//! checkpoint). A follower first reads the history so far
//! (GetExecutionHistory, which commits what is pending), then takes the
//! events whose ids come after what it read: none is missed, none repeats.

use serde_json::Value;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::Service;
use super::executions::event_json;
use super::journal::Live;

/// The events a running execution records from the moment it is followed.
pub struct LiveHistory {
    events: broadcast::Receiver<Live>,
}

/// What [`LiveHistory::next`] gives.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveUpdate {
    /// An event, in GetExecutionHistory's shape.
    Event(Value),
    /// The follower fell behind and events were dropped: read the history
    /// after the last event it has, then go on.
    Missed,
    /// The run stopped in this process (the execution ended, or the server
    /// is shutting down): nothing more comes.
    Ended,
}

impl Service {
    /// The events `execution_arn` records from now on; `None` when it does
    /// not run in this process (it ended, or never ran here).
    pub fn follow_execution(&self, execution_arn: &str) -> Option<LiveHistory> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let journal = &running.get(execution_arn)?.journal;
        Some(LiveHistory {
            events: journal.follow(),
        })
    }
}

impl LiveHistory {
    /// The next update.
    pub async fn next(&mut self) -> LiveUpdate {
        match self.events.recv().await {
            Ok(Live::Event(stored)) => LiveUpdate::Event(event_json(&stored, true)),
            Ok(Live::Ended) | Err(RecvError::Closed) => LiveUpdate::Ended,
            Err(RecvError::Lagged(_)) => LiveUpdate::Missed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::LiveUpdate;
    use crate::tests::{Recorder, service, start_with, wait_status};
    use stepyard_store::RedbStore;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_follower_gets_each_new_event_in_order_then_the_end() {
        let store = Arc::new(RedbStore::in_memory().unwrap());
        let service = service(&store, Recorder::new(false, 0));
        let definition = r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 1, "Next": "B"},
            "B": {"Type": "Pass", "End": true}}}"#;
        let arn = start_with(&service, definition).await;
        let mut live = service.follow_execution(&arn).expect("it runs here");
        let mut ids = Vec::new();
        let mut types = Vec::new();
        loop {
            match live.next().await {
                LiveUpdate::Event(event) => {
                    ids.push(event["id"].as_u64().unwrap());
                    types.push(event["type"].as_str().unwrap().to_owned());
                    assert!(event["timestamp"].is_number(), "events have the API's shape: {event}");
                }
                LiveUpdate::Missed => panic!("nothing should be missed"),
                LiveUpdate::Ended => break,
            }
        }
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        assert_eq!(
            types.last().map(String::as_str),
            Some("ExecutionSucceeded"),
            "{types:?}"
        );
        assert!(types.contains(&"WaitStateExited".to_owned()), "{types:?}");
        wait_status(&service, &arn, "SUCCEEDED").await;
        assert!(
            service.follow_execution(&arn).is_none(),
            "an ended execution has no live events"
        );
        let history = service
            .call("GetExecutionHistory", json!({"executionArn": arn, "maxResults": 100}))
            .await
            .unwrap();
        let stored: Vec<u64> = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["id"].as_u64())
            .collect();
        assert!(
            stored.ends_with(&ids),
            "what was pushed is what was stored: {stored:?} vs {ids:?}"
        );
        let _: Value = history;
    }
}
