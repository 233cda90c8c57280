//! Numbering history events and linking each to the one before it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::Utc;

use crate::clock::Clock;
use crate::history::{EventDetails, HistoryEvent, HistoryObserver};

/// AWS fails an execution whose history would pass this many events.
pub(crate) const MAX_HISTORY_EVENTS: u64 = 25_000;

/// The execution's event counter and sink.
pub(crate) struct EventLog<'a> {
    next_id: AtomicU64,
    observer: &'a dyn HistoryObserver,
    clock: &'a dyn Clock,
    wants_events: bool,
    overflowed: AtomicBool,
}

/// Where one path of execution (the machine, a branch, an iteration) is in
/// the history: the id that its next event names as `previousEventId`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub last: u64,
}

impl<'a> EventLog<'a> {
    pub(crate) fn new(observer: &'a dyn HistoryObserver, clock: &'a dyn Clock) -> Self {
        Self::starting_at(observer, clock, 1)
    }

    /// A log whose next event gets `next_id` (a resumed execution).
    pub(crate) fn starting_at(observer: &'a dyn HistoryObserver, clock: &'a dyn Clock, next_id: u64) -> Self {
        EventLog {
            next_id: AtomicU64::new(next_id),
            wants_events: observer.wants_events(),
            observer,
            clock,
            overflowed: AtomicBool::new(false),
        }
    }

    /// Records an event linked to `previous`; returns its id. `details` is
    /// only built when the observer wants events.
    pub(crate) fn record(&self, previous: u64, details: impl FnOnce() -> EventDetails) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if id > MAX_HISTORY_EVENTS {
            self.overflowed.store(true, Ordering::Relaxed);
        }
        if self.wants_events {
            let event = HistoryEvent {
                id,
                previous_event_id: previous,
                timestamp: self.timestamp(),
                details: details(),
            };
            self.observer.on_event(event);
        }
        id
    }

    /// Records an event after `cursor` and moves the cursor to it.
    pub(crate) fn advance(&self, cursor: &mut Cursor, details: impl FnOnce() -> EventDetails) -> u64 {
        let id = self.record(cursor.last, details);
        cursor.last = id;
        id
    }

    /// Records an event after `cursor` without moving it (AWS links the
    /// next event past such "side" events, e.g. `MapIterationSucceeded`).
    pub(crate) fn side(&self, cursor: &Cursor, details: impl FnOnce() -> EventDetails) -> u64 {
        self.record(cursor.last, details)
    }

    /// The id of the newest event recorded so far.
    pub(crate) fn latest(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed) - 1
    }

    /// Whether the history passed [`MAX_HISTORY_EVENTS`].
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    fn timestamp(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }
}
