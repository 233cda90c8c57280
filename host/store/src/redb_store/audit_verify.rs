//! Walking the audit trail's hash chain (CloudTrail's log file validation).
//!
//! Each record stores the hash it links to (the previous record's) and its
//! own. Walking in order, from where the chain starts to the head the
//! trail last wrote, tells a changed record (its text no longer matches its
//! hash) from a removed one (a number missing, or a link naming a hash no
//! record has) and from an inserted one (the record after it links to the
//! record before it). Records are read one at a time, so a walk over a
//! long trail needs no more memory than a short one.

use redb::ReadableTable;

use super::audit::{AUDIT, CHAIN, HEAD, Link, START, read_link};
use super::{RedbStore, io, read_table};
use crate::StoreError;
use crate::audit::*;

/// One record as the walk sees it.
struct Seen {
    seq: u64,
    raw: RawAuditRecord,
}

impl RedbStore {
    /// Walks the audit trail's chain and reports the first place it is
    /// broken (changed, removed or inserted records), or that it is intact.
    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        let read = self.begin_read()?;
        let (start, head, dropped) = match read_table(&read, CHAIN)? {
            Some(chain) => (
                read_link(&chain, START)?.unwrap_or(Link { seq: 1, hash: GENESIS }),
                read_link(&chain, HEAD)?,
                self.audit_summary()?.dropped,
            ),
            None => (Link { seq: 1, hash: GENESIS }, None, 0),
        };
        let mut report = ChainReport {
            records: 0,
            start: start.seq,
            dropped,
            problem: None,
        };
        let Some(audit) = read_table(&read, AUDIT)? else {
            report.problem = head.filter(|h| h.seq >= start.seq).map(|h| ChainProblem::Missing {
                from: start.seq,
                to: h.seq,
            });
            return Ok(report);
        };
        let mut records = audit
            .iter()
            .map_err(io)?
            .map(|entry| {
                let (seq, value) = entry.map_err(io)?;
                let seq = seq.value();
                Ok(RawAuditRecord::decode(value.value())
                    .map(|raw| Seen { seq, raw })
                    .map_err(|reason| ChainProblem::Damaged { seq, reason }))
            })
            .peekable();
        let mut walk = Walk {
            expected: start,
            first: true,
        };
        while let Some(current) = records.next().transpose()? {
            let current = match current {
                Ok(seen) => seen,
                Err(damaged) => {
                    report.problem = Some(damaged);
                    return Ok(report);
                }
            };
            // One record of lookahead: whether the record after this one
            // links past it tells an inserted record from a changed one.
            let after = match records.peek() {
                Some(Ok(Ok(seen))) => Some(seen),
                _ => None,
            };
            if let Some(problem) = walk.step(&current, after) {
                report.problem = Some(problem);
                return Ok(report);
            }
            report.records += 1;
        }
        report.problem = walk.end(head);
        Ok(report)
    }
}

/// Where the walk is: the link the next record must have.
struct Walk {
    expected: Link,
    /// No record checked yet: the next one must follow the chain's start.
    first: bool,
}

impl Walk {
    /// Checks one record (with the one after it, if any); moves on.
    fn step(&mut self, current: &Seen, after: Option<&Seen>) -> Option<ChainProblem> {
        let seq = current.seq;
        if seq > self.expected.seq {
            return Some(ChainProblem::Missing {
                from: self.expected.seq,
                to: seq - 1,
            });
        }
        if seq < self.expected.seq {
            // Before the chain's start: nothing should be there.
            return Some(ChainProblem::Inserted { seq });
        }
        let intact = chain_hash(&current.raw.previous, current.raw.json.as_bytes()) == current.raw.hash;
        let linked = current.raw.previous == self.expected.hash;
        // The record after this one links to the one before it: this one
        // was put in between.
        let skipped = after.is_some_and(|a| a.seq == seq + 1 && a.raw.previous == self.expected.hash);
        if skipped && (!linked || !intact || after.is_some_and(|a| a.raw.previous != current.raw.hash)) {
            return Some(ChainProblem::Inserted { seq });
        }
        if !linked {
            return Some(if self.first {
                ChainProblem::BadStart { seq }
            } else {
                ChainProblem::Unlinked { seq }
            });
        }
        if !intact {
            return Some(ChainProblem::Changed { seq });
        }
        self.first = false;
        self.expected = Link {
            seq: seq + 1,
            hash: current.raw.hash,
        };
        None
    }

    /// After the last record: it must be the head the trail last wrote.
    fn end(&self, head: Option<Link>) -> Option<ChainProblem> {
        let head = head?;
        let last = self.expected.seq - 1;
        if head.seq > last {
            return Some(ChainProblem::Missing {
                from: last + 1,
                to: head.seq,
            });
        }
        if head.seq < last || head.hash != self.expected.hash {
            return Some(ChainProblem::BadHead {
                seq: last,
                head: head.seq,
            });
        }
        None
    }
}

/// Editing the trail as someone holding the file could, to test that
/// verification finds it (the `tamper` feature; never in the binary's
/// own commands).
#[cfg(feature = "tamper")]
impl RedbStore {
    /// The stored parts of record `seq`.
    pub fn tamper_audit_read(&self, seq: u64) -> Result<Option<RawAuditRecord>, StoreError> {
        let read = self.begin_read()?;
        let Some(audit) = read_table(&read, AUDIT)? else {
            return Ok(None);
        };
        let value = audit.get(seq).map_err(io)?;
        value
            .map(|v| RawAuditRecord::decode(v.value()).map_err(|reason| super::audit::damaged(seq, &reason)))
            .transpose()
    }

    /// Stores `raw` as record `seq`, over whatever is there; the chain's
    /// head is left as it is.
    pub fn tamper_audit_write(&self, seq: u64, raw: &RawAuditRecord) -> Result<(), StoreError> {
        let bytes = raw.encode();
        self.committer.write(move |write| {
            write
                .open_table(AUDIT)
                .map_err(io)?
                .insert(seq, bytes.as_slice())
                .map_err(io)?;
            Ok(())
        })
    }

    /// Removes record `seq`; returns whether there was one.
    pub fn tamper_audit_remove(&self, seq: u64) -> Result<bool, StoreError> {
        self.committer.write(move |write| {
            let removed = write.open_table(AUDIT).map_err(io)?.remove(seq).map_err(io)?.is_some();
            Ok(removed)
        })
    }
}
