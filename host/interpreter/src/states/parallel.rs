//! Parallel: run every branch on the same input, concurrently; the result
//! is the array of branch outputs. The first failing branch fails the state.

use futures_util::future::try_join_all;
use serde_json::Value;

use crate::error::Failure;
use crate::events::Cursor;
use crate::frame::Frame;
use crate::graph::run_graph;
use crate::history::EventDetails;
use crate::retry::RetryState;
use stepyard_asl::definition::ParallelState;

pub(crate) async fn run(
    frame: &mut Frame<'_>,
    parallel: &ParallelState,
    input: Value,
    cursor: &mut Cursor,
) -> Result<Value, Failure> {
    let exec = frame.exec;
    let mut retry = RetryState::default();
    loop {
        exec.events.advance(cursor, || EventDetails::ParallelStateStarted);
        let start = *cursor;
        let lineage = frame.lineage();
        let branches = parallel.branches.iter().enumerate().map(|(i, graph)| {
            run_graph(
                exec,
                graph,
                input.clone(),
                Some(frame.scope),
                format!("{lineage}[{i}]"),
                start,
            )
        });
        let failure = match try_join_all(branches).await {
            Ok(outputs) => {
                // AWS links what follows to the newest event of the branches.
                cursor.last = exec.events.latest();
                exec.events.side(cursor, || EventDetails::ParallelStateSucceeded);
                return Ok(Value::Array(outputs.into_iter().map(|(v, _)| v).collect()));
            }
            Err((failure, branch_cursor)) => {
                cursor.last = branch_cursor.last;
                failure
            }
        };
        match frame.next_retry(&mut retry, &failure) {
            Some(delay) => {
                exec.clock.sleep(delay).await;
            }
            None => {
                // Only the final failure is recorded; a retry starts the state over.
                exec.events.advance(cursor, || EventDetails::ParallelStateFailed);
                return Err(failure);
            }
        }
    }
}
