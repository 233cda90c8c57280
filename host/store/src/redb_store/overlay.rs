//! Byte ranges written to a file but not yet handed to it: the newest
//! content of each range, kept as non-overlapping pieces.

use std::collections::BTreeMap;

/// Writes not yet in the file (see [`super::page_log`]).
#[derive(Debug, Default)]
pub(super) struct Overlay {
    /// Start offset → content; no two pieces overlap.
    pieces: BTreeMap<u64, Box<[u8]>>,
    bytes: usize,
}

impl Overlay {
    /// Records `data` at `offset`, replacing whatever older pieces said
    /// about those bytes.
    pub(super) fn insert(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // A page written again: pieces are disjoint, so one with this
        // start and length is all that covers those bytes.
        if let Some(piece) = self.pieces.get_mut(&offset)
            && piece.len() == data.len()
        {
            piece.copy_from_slice(data);
            return;
        }
        let end = offset + data.len() as u64;
        self.cut(offset, end);
        self.bytes += data.len();
        self.pieces.insert(offset, data.into());
    }

    /// Removes every byte at or past `len` (the file was shortened).
    pub(super) fn truncate(&mut self, len: u64) {
        self.cut(len, u64::MAX);
    }

    /// Removes the bytes in `start..end`, keeping the parts of pieces
    /// outside it.
    fn cut(&mut self, start: u64, end: u64) {
        // Pieces are sorted and disjoint, so their ends rise with their
        // starts: walking back from the last piece starting before `end`,
        // the first one ending at or before `start` ends the overlap.
        let overlapping: Vec<u64> = self
            .pieces
            .range(..end)
            .rev()
            .take_while(|(at, piece)| **at + piece.len() as u64 > start)
            .map(|(at, _)| *at)
            .collect();
        for at in overlapping {
            let Some(piece) = self.pieces.remove(&at) else { continue };
            self.bytes -= piece.len();
            let piece_end = at + piece.len() as u64;
            if at < start {
                let head = &piece[..(start - at) as usize];
                self.bytes += head.len();
                self.pieces.insert(at, head.into());
            }
            if piece_end > end {
                let tail = &piece[(end - at) as usize..];
                self.bytes += tail.len();
                self.pieces.insert(end, tail.into());
            }
        }
    }

    /// Copies what the overlay holds for `offset..offset + out.len()` over
    /// `out` (read from the file first).
    pub(super) fn patch(&self, offset: u64, out: &mut [u8]) {
        let end = offset + out.len() as u64;
        for (at, piece) in self.pieces.range(..end).rev() {
            let piece_end = *at + piece.len() as u64;
            if piece_end <= offset {
                break;
            }
            let from = offset.max(*at);
            let to = end.min(piece_end);
            out[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&piece[(from - at) as usize..(to - at) as usize]);
        }
    }

    /// The pieces in offset order.
    pub(super) fn pieces(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.pieces.iter().map(|(at, piece)| (*at, &piece[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::Overlay;
    use proptest::prelude::*;

    /// The overlay over a file of `base` gives what writing in order gives.
    fn check(base: &[u8], writes: &[(u64, Vec<u8>)], truncate_to: Option<u64>) {
        let mut model = base.to_vec();
        let mut overlay = Overlay::default();
        for (offset, data) in writes {
            let end = *offset as usize + data.len();
            if model.len() < end {
                model.resize(end, 0);
            }
            model[*offset as usize..end].copy_from_slice(data);
            overlay.insert(*offset, data);
        }
        if let Some(len) = truncate_to {
            model.truncate(len as usize);
            overlay.truncate(len);
        }
        let mut out = base.to_vec();
        out.resize(model.len(), 0);
        overlay.patch(0, &mut out);
        assert_eq!(out, model);
        // Pieces are disjoint, sorted, and their sizes add up.
        let mut last_end = 0;
        let mut total = 0;
        for (at, piece) in overlay.pieces() {
            assert!(at >= last_end, "pieces overlap");
            last_end = at + piece.len() as u64;
            total += piece.len();
        }
        assert_eq!(total, overlay.bytes);
        // Partial reads agree with the whole.
        for start in (0..model.len()).step_by(3) {
            let len = (model.len() - start).min(7);
            // The file's bytes (zeros where it grew past the base).
            let mut part: Vec<u8> = (start..start + len)
                .map(|i| base.get(i).copied().unwrap_or(0))
                .collect();
            overlay.patch(start as u64, &mut part);
            assert_eq!(part, model[start..start + len]);
        }
    }

    #[test]
    fn later_writes_win_over_the_parts_they_cover() {
        let base = vec![0xEE; 40];
        check(
            &base,
            &[
                (0, vec![1; 10]),
                (20, vec![2; 10]),
                (5, vec![3; 20]), // covers the end of one piece and the start of another
                (7, vec![4; 2]),  // splits a piece in three
                (30, vec![5; 12]),
            ],
            None,
        );
    }

    #[test]
    fn truncation_drops_the_bytes_past_the_end() {
        check(
            &[9; 16],
            &[(0, vec![1; 8]), (8, vec![2; 8]), (16, vec![3; 8])],
            Some(12),
        );
    }

    proptest! {
        #[test]
        fn any_sequence_of_writes_reads_back_as_written(
            writes in prop::collection::vec((0u64..64, prop::collection::vec(any::<u8>(), 1..24)), 0..24),
            truncate_to in prop::option::of(0u64..96),
        ) {
            check(&[0xAB; 48], &writes, truncate_to);
        }
    }
}
