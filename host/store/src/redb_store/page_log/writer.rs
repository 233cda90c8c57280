//! Writing the active log: records appended after its end with direct,
//! block-aligned writes (the last, partial block is written again with the
//! records that follow it).

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::format::{FILE_HEADER, empty_header, file_header};

/// Direct writes start and end on this boundary (any device's block size
/// divides it).
const BLOCK: usize = 4096;

/// A log that must grow grows by at least this much at once. A sync that
/// extends the file also commits its new size, which costs more than one
/// that overwrites written blocks (measured on this VM, 64 KiB direct
/// writes + fdatasync: 260-318 µs appending, 150-185 µs over written
/// blocks, 191-194 µs growing 1 MiB at a time).
pub(super) const GROW_BYTES: u64 = 1 << 20;

// The header fits in the one block `mark_empty` writes.
const _: () = assert!(FILE_HEADER <= BLOCK);

/// The log files and where the active one ends.
pub(super) struct LogWriter {
    pub(super) files: [File; 2],
    pub(super) active: usize,
    /// The bytes of the active log's last, partial block (written, and
    /// written again with the records that follow them).
    pub(super) tail: Vec<u8>,
    /// Where that block starts.
    pub(super) tail_start: u64,
    /// Reused for each direct write.
    pub(super) block: AlignedBuf,
    /// Reused to take `State::pending` without allocating.
    pub(super) spare: Vec<u8>,
    /// How many bytes each log file has written (records, or zeros past
    /// them that no replay reads as a record).
    pub(super) grown: [u64; 2],
}

impl LogWriter {
    /// Bytes in the active log (header and records).
    pub(super) fn end(&self) -> u64 {
        self.tail_start + self.tail.len() as u64
    }

    /// Writes `records` after the active log's end (not synced).
    pub(super) fn write(&mut self, records: &[u8]) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.block.clear();
        self.block.extend(&self.tail);
        self.block.extend(records);
        let written = self.block.len();
        self.block.pad_to(BLOCK);
        let padded = self.block.len();
        let end = self.tail_start + padded as u64;
        if end > self.grown[self.active] {
            // Zeros after the records: the syncs until they are overwritten
            // do not grow the file.
            // Whole blocks, as direct writes need, even past a file whose
            // length is not a multiple of them (one copied by hand).
            let grown_to = end.max((self.grown[self.active] + GROW_BYTES).next_multiple_of(BLOCK as u64));
            self.block.zero_extend((grown_to - end) as usize);
        }
        let file = &self.files[self.active];
        match file.write_all_at(self.block.as_slice(), self.tail_start) {
            // A nearly full disk may hold the records without the zeros.
            Err(e) if self.block.len() > padded && e.kind() == std::io::ErrorKind::StorageFull => {
                self.block.truncate(padded);
                file.write_all_at(self.block.as_slice(), self.tail_start)?;
            }
            other => other?,
        }
        let active = self.active;
        self.grown[active] = self.grown[active].max(self.tail_start + self.block.len() as u64);
        let whole = written / BLOCK * BLOCK;
        self.tail.clear();
        self.tail.extend_from_slice(&self.block.as_slice()[whole..written]);
        self.tail_start += whole as u64;
        Ok(())
    }

    /// Marks the logs picked by `which` that have bytes as emptied after
    /// turn `generation`
    /// (see `format::empty_header`) and syncs it. The files keep their
    /// blocks: a sync that overwrites written blocks costs half of one that
    /// extends the file (measured on this VM: 101-110 µs and two context
    /// switches against 232-270 µs and three, for a 64 KiB direct write
    /// and fdatasync), so a restarted server does not start slow again.
    pub(super) fn mark_empty(&mut self, generation: u64, which: [bool; 2]) -> std::io::Result<()> {
        self.block.clear();
        self.block.extend(&empty_header(generation));
        self.block.pad_to(BLOCK);
        for (file, _) in self.files.iter().zip(which).filter(|(_, picked)| *picked) {
            if file.metadata()?.len() == 0 {
                // Never written: nothing in it to outdate.
                continue;
            }
            file.write_all_at(self.block.as_slice(), 0)?;
            file.sync_all()?;
        }
        Ok(())
    }

    /// Makes the other log active, starting turn `generation` (its header
    /// is written with the first records after it).
    pub(super) fn switch(&mut self, generation: u64) {
        self.active = 1 - self.active;
        self.tail.clear();
        self.tail.extend_from_slice(&file_header(generation));
        self.tail_start = 0;
    }
}

/// A byte buffer whose start is [`BLOCK`]-aligned, as direct I/O needs.
pub(super) struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub(super) fn with_capacity(capacity: usize) -> AlignedBuf {
        let raw = vec![0; capacity + BLOCK];
        let start = raw.as_ptr().align_offset(BLOCK);
        AlignedBuf { raw, start, len: 0 }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn reserve(&mut self, more: usize) {
        let capacity = self.raw.len() - self.start;
        if self.len + more > capacity {
            let mut grown = AlignedBuf::with_capacity((self.len + more).next_power_of_two());
            grown.extend(self.as_slice());
            *self = grown;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        let at = self.start + self.len;
        self.raw[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Zero-fills up to the next multiple of `block`.
    fn pad_to(&mut self, block: usize) {
        let padded = self.len.div_ceil(block) * block;
        self.reserve(padded - self.len);
        self.raw[self.start + self.len..self.start + padded].fill(0);
        self.len = padded;
    }

    /// Keeps the first `len` bytes.
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Appends `n` zero bytes.
    fn zero_extend(&mut self, n: usize) {
        self.reserve(n);
        self.raw[self.start + self.len..self.start + self.len + n].fill(0);
        self.len += n;
    }

    fn as_slice(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }
}
