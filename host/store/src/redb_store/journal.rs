//! Execution histories as journal segments.
//!
//! Each durable write of a running execution (a checkpoint, a flush, its
//! end) stores the events recorded since the previous write, and the
//! checkpoint at that moment, as one value: a *segment*, keyed by the
//! execution's start seq and the id of the segment's first event. One
//! B-tree insert per write instead of one per event, and because the key
//! starts with the start seq, executions running at the same time write
//! next to each other: a group commit dirties a few pages, not one page per
//! execution (which is what keying by execution ARN did).
//!
//! A segment's bytes: the checkpoint (`u32` length, then its JSON text;
//! length 0 when there is none), then each event as `u64` id, `u32` length
//! and the event's JSON text, all little-endian.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::io;
use crate::{StoreError, StoredEvent};

/// (execution start seq, first event id) → segment.
pub(super) const JOURNAL: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("journal_segments");

/// A decoded segment.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Segment {
    pub checkpoint: Option<String>,
    pub events: Vec<StoredEvent>,
}

/// Encodes a segment (see the module comment).
pub(super) fn encode(checkpoint: Option<&str>, events: &[StoredEvent]) -> Vec<u8> {
    let size = 4 + checkpoint.map_or(0, str::len) + events.iter().map(|e| 12 + e.json.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    let checkpoint = checkpoint.unwrap_or("");
    out.extend_from_slice(&(checkpoint.len() as u32).to_le_bytes());
    out.extend_from_slice(checkpoint.as_bytes());
    for e in events {
        out.extend_from_slice(&e.id.to_le_bytes());
        out.extend_from_slice(&(e.json.len() as u32).to_le_bytes());
        out.extend_from_slice(e.json.as_bytes());
    }
    out
}

/// Reads a segment of the execution `arn` (named in the error when the bytes
/// are damaged).
pub(super) fn decode(arn: &str, bytes: &[u8]) -> Result<Segment, StoreError> {
    let damaged = || StoreError::Io(format!("the stored history of {arn} is damaged"));
    let mut reader = Reader { bytes };
    let checkpoint_len = reader.u32().ok_or_else(damaged)? as usize;
    let checkpoint = match checkpoint_len {
        0 => None,
        n => Some(reader.text(n).ok_or_else(damaged)?),
    };
    let mut events = Vec::new();
    while !reader.bytes.is_empty() {
        let id = reader.u64().ok_or_else(damaged)?;
        let len = reader.u32().ok_or_else(damaged)? as usize;
        let json = reader.text(len).ok_or_else(damaged)?;
        events.push(StoredEvent { id, json });
    }
    Ok(Segment { checkpoint, events })
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn text(&mut self, n: usize) -> Option<String> {
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// Appends a segment to the journal of the execution with start seq `seq`
/// (nothing when it would be empty).
pub(super) fn append(
    txn: &WriteTransaction,
    seq: u64,
    events: &[StoredEvent],
    checkpoint: Option<&str>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(JOURNAL).map_err(io)?;
    if let Some(first) = events.first() {
        let bytes = encode(checkpoint, events);
        table.insert((seq, first.id), bytes.as_slice()).map_err(io)?;
    } else if let Some(checkpoint) = checkpoint {
        // A checkpoint with no new event replaces the newest segment's.
        let newest = table
            .range((seq, 0)..=(seq, u64::MAX))
            .map_err(io)?
            .next_back()
            .transpose()
            .map_err(io)?
            .map(|(k, v)| (k.value().1, v.value().to_vec()));
        let (first, events) = match newest {
            Some((first, bytes)) => (first, decode("", &bytes)?.events),
            None => (0, Vec::new()),
        };
        let bytes = encode(Some(checkpoint), &events);
        table.insert((seq, first), bytes.as_slice()).map_err(io)?;
    }
    Ok(())
}

/// Removes every event after `last_id` (a resumed execution redoes them);
/// the checkpoints of the segments kept stay as they are.
pub(super) fn discard_after(txn: &WriteTransaction, arn: &str, seq: u64, last_id: u64) -> Result<(), StoreError> {
    let mut table = txn.open_table(JOURNAL).map_err(io)?;
    // Segments holding an event after `last_id`, newest first (a
    // segment with no event keyed at or before it is kept as it is).
    let mut later: Vec<(u64, Segment)> = Vec::new();
    for entry in table.range((seq, 0)..=(seq, u64::MAX)).map_err(io)?.rev() {
        let (key, value) = entry.map_err(io)?;
        let first = key.value().1;
        let segment = decode(arn, value.value())?;
        if first > last_id || segment.events.last().is_some_and(|e| e.id > last_id) {
            later.push((first, segment));
        } else {
            break;
        }
    }
    for (first, mut segment) in later {
        table.remove((seq, first)).map_err(io)?;
        // A segment that straddles `last_id` keeps its events up to it.
        segment.events.retain(|e| e.id <= last_id);
        if !segment.events.is_empty() {
            let kept = encode(segment.checkpoint.as_deref(), &segment.events);
            table.insert((seq, first), kept.as_slice()).map_err(io)?;
        }
    }
    Ok(())
}

/// The id of the newest event in the journal of `seq` (0 when none).
pub(super) fn last_event_id_in(
    table: &impl ReadableTable<(u64, u64), &'static [u8]>,
    arn: &str,
    seq: u64,
) -> Result<u64, StoreError> {
    for entry in table.range((seq, 0)..=(seq, u64::MAX)).map_err(io)?.rev() {
        let (_, value) = entry.map_err(io)?;
        if let Some(last) = decode(arn, value.value())?.events.last() {
            return Ok(last.id);
        }
    }
    Ok(0)
}

/// The newest checkpoint in the journal of `seq`.
pub(super) fn last_checkpoint_in(
    table: &impl ReadableTable<(u64, u64), &'static [u8]>,
    arn: &str,
    seq: u64,
) -> Result<Option<String>, StoreError> {
    for entry in table.range((seq, 0)..=(seq, u64::MAX)).map_err(io)?.rev() {
        let (_, value) = entry.map_err(io)?;
        if let Some(checkpoint) = decode(arn, value.value())?.checkpoint {
            return Ok(Some(checkpoint));
        }
    }
    Ok(None)
}

/// A page of the history of `seq`: events after `after` (before it when
/// `reverse`), at most `limit`, and whether more follow.
pub(super) fn page(
    table: &impl ReadableTable<(u64, u64), &'static [u8]>,
    arn: &str,
    seq: u64,
    after: Option<u64>,
    reverse: bool,
    limit: usize,
) -> Result<(Vec<StoredEvent>, bool), StoreError> {
    let mut out = Vec::new();
    if reverse {
        let before = after.unwrap_or(u64::MAX);
        for entry in table.range((seq, 0)..(seq, before)).map_err(io)?.rev() {
            let (_, value) = entry.map_err(io)?;
            for event in decode(arn, value.value())?.events.into_iter().rev() {
                if event.id >= before {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(event);
            }
        }
        return Ok((out, false));
    }
    let from = after.map_or(0, |a| a + 1);
    // The segment holding `from` starts at or before it.
    let start = table
        .range((seq, 0)..=(seq, from))
        .map_err(io)?
        .next_back()
        .transpose()
        .map_err(io)?
        .map_or(from, |(k, _)| k.value().1);
    for entry in table.range((seq, start)..=(seq, u64::MAX)).map_err(io)? {
        let (_, value) = entry.map_err(io)?;
        for event in decode(arn, value.value())?.events {
            if event.id < from {
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(event);
        }
    }
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64) -> StoredEvent {
        StoredEvent {
            id,
            json: format!(r#"{{"id":{id},"text":"é\"x"}}"#),
        }
    }

    #[test]
    fn a_segment_round_trips_and_damage_is_named() {
        let events = vec![event(3), event(4)];
        let bytes = encode(Some(r#"{"state":"A"}"#), &events);
        let back = decode("arn:x", &bytes).unwrap();
        assert_eq!(back.checkpoint.as_deref(), Some(r#"{"state":"A"}"#));
        assert_eq!(back.events, events);
        assert_eq!(decode("arn:x", &encode(None, &[])).unwrap(), Segment::default());
        for cut in [1, 5, bytes.len() - 1] {
            let err = decode("arn:x", &bytes[..cut]).unwrap_err();
            assert!(err.to_string().contains("history of arn:x is damaged"), "{err}");
        }
    }

    /// A journal of 10 events in segments [1..3], [4..6] (checkpoint B),
    /// [7..10] (checkpoint C) for seq 5, and one event of seq 6.
    fn sample() -> redb::Database {
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .unwrap();
        let txn = db.begin_write().unwrap();
        append(&txn, 5, &(1..=3).map(event).collect::<Vec<_>>(), None).unwrap();
        append(&txn, 5, &(4..=6).map(event).collect::<Vec<_>>(), Some("B")).unwrap();
        append(&txn, 5, &(7..=10).map(event).collect::<Vec<_>>(), Some("C")).unwrap();
        append(&txn, 6, &[event(1)], Some("other")).unwrap();
        txn.commit().unwrap();
        db
    }

    fn ids(events: &[StoredEvent]) -> Vec<u64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn pages_read_across_segments_in_both_directions() {
        use redb::ReadableDatabase;
        let db = sample();
        let read = db.begin_read().unwrap();
        let table = read.open_table(JOURNAL).unwrap();
        let (p, more) = page(&table, "a", 5, None, false, 4).unwrap();
        assert_eq!((ids(&p), more), (vec![1, 2, 3, 4], true));
        let (p, more) = page(&table, "a", 5, Some(4), false, 4).unwrap();
        assert_eq!((ids(&p), more), (vec![5, 6, 7, 8], true));
        let (p, more) = page(&table, "a", 5, Some(8), false, 4).unwrap();
        assert_eq!((ids(&p), more), (vec![9, 10], false));
        let (p, more) = page(&table, "a", 5, None, true, 3).unwrap();
        assert_eq!((ids(&p), more), (vec![10, 9, 8], true));
        let (p, more) = page(&table, "a", 5, Some(5), true, 10).unwrap();
        assert_eq!((ids(&p), more), (vec![4, 3, 2, 1], false));
        assert_eq!(last_event_id_in(&table, "a", 5).unwrap(), 10);
        assert_eq!(last_checkpoint_in(&table, "a", 5).unwrap().as_deref(), Some("C"));
        assert_eq!(last_event_id_in(&table, "a", 7).unwrap(), 0);
    }

    #[test]
    fn discarding_keeps_events_up_to_the_id_and_their_checkpoint() {
        use redb::ReadableDatabase;
        let db = sample();
        let txn = db.begin_write().unwrap();
        discard_after(&txn, "a", 5, 5).unwrap();
        // A checkpoint with no new event replaces the newest one.
        append(&txn, 5, &[], Some("D")).unwrap();
        txn.commit().unwrap();
        let read = db.begin_read().unwrap();
        let table = read.open_table(JOURNAL).unwrap();
        let (p, _) = page(&table, "a", 5, None, false, 100).unwrap();
        assert_eq!(ids(&p), vec![1, 2, 3, 4, 5]);
        assert_eq!(last_checkpoint_in(&table, "a", 5).unwrap().as_deref(), Some("D"));
        let (p, _) = page(&table, "a", 6, None, false, 100).unwrap();
        assert_eq!(ids(&p), vec![1], "another execution's journal is untouched");
    }
}
