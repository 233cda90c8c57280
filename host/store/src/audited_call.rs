//! A change and its audit record, committed together.
//!
//! An API call that changes something is answered only once its audit
//! record is durable. Committing the change, then the record, in two
//! batches would leave a moment where a crash keeps the change without its
//! record, and would cost every change a second commit. So a call's writes
//! are *held* instead: the writer applies them and answers them at once,
//! before they are committed; the call builds its record from that answer;
//! and the writer keeps the batch open until the record has joined it. The
//! change and its record then commit in one transaction, or neither does.
//!
//! A call is bound by running it inside [`AuditedCall::scope`] once it is
//! [armed](AuditedCall::arm) (only calls that answer quickly after their
//! last write should be: a batch waits for the record). A write made by
//! another task on the call's behalf joins by running inside the scope of
//! the [`AuditedCall::current`] it captured. A batch waits at most
//! [`HOLD_LIMIT`] for a record; past it the batch commits, and the record
//! follows in a later one, as if the call were unbound (counted in
//! [`CommitStats::unbound`](crate::CommitStats::unbound)).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a batch holding a call's change waits for the call's record.
/// The record is built from the answer in microseconds; this only bounds
/// the harm of a call that never records (a bug), which would otherwise
/// stall every writer.
pub const HOLD_LIMIT: Duration = Duration::from_millis(100);

tokio::task_local! {
    static CURRENT: AuditedCall;
}

/// One API call whose writes commit together with its audit record.
#[derive(Clone, Debug, Default)]
pub struct AuditedCall(Arc<CallState>);

#[derive(Debug, Default)]
pub(crate) struct CallState {
    /// Its writes are held for the record (set before the call writes).
    armed: AtomicBool,
    /// Its record (or its release) was applied, or a batch gave up
    /// waiting: from now on its writes are ordinary ones.
    settled: AtomicBool,
}

impl AuditedCall {
    /// A call not yet armed: its writes are ordinary ones until
    /// [`arm`](Self::arm) is called.
    pub fn new() -> AuditedCall {
        AuditedCall::default()
    }

    /// Holds the call's writes from now on for its record.
    pub fn arm(&self) {
        self.0.armed.store(true, Ordering::Release);
    }

    /// Whether the call's writes are held.
    pub fn is_armed(&self) -> bool {
        self.0.armed.load(Ordering::Acquire)
    }

    /// Runs `work` as part of this call: the store writes it makes are the
    /// call's, and so is the audit record it appends.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// The call the running task works for, if any.
    pub fn current() -> Option<AuditedCall> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// The call the running task works for, if its writes are still held.
    pub(crate) fn holding() -> Option<AuditedCall> {
        Self::current().filter(|call| call.is_armed() && !call.is_settled())
    }

    pub(crate) fn is_settled(&self) -> bool {
        self.0.settled.load(Ordering::Acquire)
    }

    /// Its record is in (or a batch stopped waiting for it).
    pub(crate) fn settle(&self) {
        self.0.settled.store(true, Ordering::Release);
    }

    pub(crate) fn same(&self, other: &AuditedCall) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_is_current_only_inside_its_scope_and_holds_only_once_armed() {
        assert!(AuditedCall::current().is_none());
        let call = AuditedCall::new();
        let inner = call.clone();
        call.clone()
            .scope(async move {
                assert!(AuditedCall::current().is_some_and(|c| c.same(&inner)));
                assert!(AuditedCall::holding().is_none(), "not armed yet");
                inner.arm();
                assert!(AuditedCall::holding().is_some());
                inner.settle();
                assert!(AuditedCall::holding().is_none(), "settled");
            })
            .await;
        // A spawned task does not inherit the call.
        let spawned = call.scope(async { tokio::spawn(async { AuditedCall::current().is_none() }).await });
        assert!(spawned.await.unwrap());
    }
}
