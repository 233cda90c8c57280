//! The page log's bytes: file header, records, and the replay at open.
//!
//! A log file: a header (magic `SYPGLOG2`, generation u64, CRC-32 of the
//! generation), then records: kind (u8: 1 write, 2 set length, 3 zeros),
//! offset (u64; the new length for kind 2), length (u32: of the data for
//! kind 1, of the run of zero bytes for kind 3), CRC-32 (u32) of the
//! generation, kind, offset, length and data; then the data (kind 1 only).
//! Integers are little-endian. A record's CRC covers the generation so that
//! records left from a file's earlier turn can never pass for the current
//! one's; the records end at the first that does not check (zeros, an old
//! turn's bytes, or a torn append).
//!
//! Kind 3 exists because about half of what redb writes is the unused,
//! zeroed end of B-tree pages: a page write is logged as its bytes up to
//! its last non-zero one plus a zeros record, which halves the log.
//! `SYPGLOG1` logs (no kind 3) are still replayed; an older Stepyard meets
//! the new magic with a clear error instead of stopping at the first kind-3
//! record.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{OpenError, failed};

const MAGIC: &[u8; 8] = b"SYPGLOG2";
/// The magic of logs without zeros records (still replayed).
const MAGIC_V1: &[u8; 8] = b"SYPGLOG1";
/// The magic of an emptied log: it holds nothing to replay, and its
/// generation is the newest any bytes left in the file were written under
/// (the next turn's is higher, so those bytes can never pass its checks).
const MAGIC_EMPTY: &[u8; 8] = b"SYPGLOGE";
pub(super) const FILE_HEADER: usize = 8 + 8 + 4;
const RECORD_HEADER: usize = 1 + 8 + 4 + 4;
pub(super) const WRITE: u8 = 1;
pub(super) const SET_LEN: u8 = 2;
const ZEROS: u8 = 3;
/// A page's zero tail shorter than this is logged as data (a zeros record
/// has a header of its own).
const MIN_ZEROS: usize = 64;

fn checksum(generation: u64, header: &[u8], data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&generation.to_le_bytes());
    hasher.update(header);
    hasher.update(data);
    hasher.finalize()
}

/// The first bytes of a log file in its turn `generation`.
pub(super) fn file_header(generation: u64) -> [u8; FILE_HEADER] {
    header_with(MAGIC, generation)
}

/// The first bytes of a log emptied after turn `generation` (see
/// [`MAGIC_EMPTY`]).
pub(super) fn empty_header(generation: u64) -> [u8; FILE_HEADER] {
    header_with(MAGIC_EMPTY, generation)
}

fn header_with(magic: &[u8; 8], generation: u64) -> [u8; FILE_HEADER] {
    let mut header = [0; FILE_HEADER];
    header[..8].copy_from_slice(magic);
    header[8..16].copy_from_slice(&generation.to_le_bytes());
    let crc = crc32fast::hash(&generation.to_le_bytes());
    header[16..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// Appends the record of a change to `out`: `kind` [`WRITE`] with `data`,
/// or [`SET_LEN`] (no data). A write's zero tail becomes a zeros record.
pub(super) fn push_record(out: &mut Vec<u8>, generation: u64, kind: u8, offset: u64, data: &[u8]) {
    let zeros = if kind == WRITE { zero_tail(data) } else { 0 };
    if zeros < MIN_ZEROS {
        push_raw(out, generation, kind, offset, data.len(), data);
        return;
    }
    let kept = data.len() - zeros;
    if kept > 0 {
        push_raw(out, generation, WRITE, offset, kept, &data[..kept]);
    }
    push_raw(out, generation, ZEROS, offset + kept as u64, zeros, &[]);
}

fn push_raw(out: &mut Vec<u8>, generation: u64, kind: u8, offset: u64, len: usize, data: &[u8]) {
    let mut header = [0u8; RECORD_HEADER - 4];
    header[0] = kind;
    header[1..9].copy_from_slice(&offset.to_le_bytes());
    header[9..13].copy_from_slice(&(len as u32).to_le_bytes());
    let crc = checksum(generation, &header, data);
    out.reserve(RECORD_HEADER + data.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(data);
}

/// How many bytes at the end of `data` are zero.
fn zero_tail(data: &[u8]) -> usize {
    let mut end = data.len();
    // Eight bytes at a time while they are all zero, then byte by byte.
    while end >= 8 && data[end - 8..end].iter().fold(0u8, |acc, b| acc | b) == 0 {
        end -= 8;
    }
    while end > 0 && data[end - 1] == 0 {
        end -= 1;
    }
    data.len() - end
}

/// One change a log holds.
#[derive(Debug, PartialEq)]
pub(super) enum Change<'a> {
    Write(u64, &'a [u8]),
    /// This many zero bytes from the offset.
    Zeros(u64, u64),
    SetLen(u64),
}

fn write_zeros(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    const CHUNK: [u8; 4096] = [0; 4096];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK.len() as u64);
        file.write_all_at(&CHUNK[..n as usize], offset + done)?;
        done += n;
    }
    Ok(())
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

fn le_u32(bytes: &[u8]) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(word)
}

/// A log file's generation and its whole records (up to the first that
/// does not check); `Ok(None)` for a file with nothing to replay.
pub(super) fn parse_log<'a>(bytes: &'a [u8], path: &Path) -> Result<Option<(u64, Vec<Change<'a>>)>, OpenError> {
    let head = &bytes[..bytes.len().min(FILE_HEADER)];
    // Empty (never used, or emptied at a clean close), or a header that
    // never reached the disk whole (a crash right after a rotation, before
    // the new log's first sync): nothing in that turn was acknowledged.
    if head.iter().all(|b| *b == 0) || (head.len() < FILE_HEADER && MAGIC.starts_with(&head[..head.len().min(8)])) {
        return Ok(None);
    }
    if head.len() < FILE_HEADER
        || (&head[..8] != MAGIC && &head[..8] != MAGIC_V1 && &head[..8] != MAGIC_EMPTY)
        || crc32fast::hash(&head[8..16]) != le_u32(&head[16..])
    {
        return Err(OpenError::Other(format!(
            "{} is not a Stepyard page log (its header is damaged); move it away only if the database beside it is known to be whole",
            path.display()
        )));
    }
    let generation = le_u64(&head[8..16]);
    let mut changes = Vec::new();
    if &head[..8] == MAGIC_EMPTY {
        return Ok(Some((generation, changes)));
    }
    let mut at = FILE_HEADER;
    while let Some(header) = bytes.get(at..at + RECORD_HEADER) {
        let (kind, offset, len, crc) = (
            header[0],
            le_u64(&header[1..]),
            le_u32(&header[9..]) as usize,
            le_u32(&header[13..]),
        );
        let data_len = if kind == ZEROS { 0 } else { len };
        let Some(data) = bytes.get(at + RECORD_HEADER..at + RECORD_HEADER + data_len) else {
            break;
        };
        if checksum(generation, &header[..13], data) != crc {
            break;
        }
        match kind {
            WRITE => changes.push(Change::Write(offset, data)),
            ZEROS => changes.push(Change::Zeros(offset, len as u64)),
            SET_LEN if len == 0 => changes.push(Change::SetLen(offset)),
            _ => break,
        }
        at += RECORD_HEADER + data_len;
    }
    Ok(Some((generation, changes)))
}

/// The generation an emptied log's header names (see [`MAGIC_EMPTY`]).
fn emptied_generation(head: &[u8]) -> Option<u64> {
    (head.len() >= FILE_HEADER && &head[..8] == MAGIC_EMPTY && crc32fast::hash(&head[8..16]) == le_u32(&head[16..]))
        .then(|| le_u64(&head[8..16]))
}

/// Applies both logs' records to the database file (the older generation
/// first) and syncs it. Returns the generation the next log starts, and
/// which logs held a turn (emptied ones are not read past their header).
pub(super) fn replay(
    data: &File,
    path: &Path,
    logs: &[File; 2],
    paths: &[PathBuf; 2],
) -> Result<(u64, [bool; 2]), OpenError> {
    let mut contents = [Vec::new(), Vec::new()];
    let mut emptied = [None, None];
    for i in 0..2 {
        let len = logs[i].metadata().map_err(|e| failed("read", &paths[i], e))?.len();
        let mut head = [0; FILE_HEADER];
        let head_len = FILE_HEADER.min(usize::try_from(len).unwrap_or(FILE_HEADER));
        logs[i]
            .read_exact_at(&mut head[..head_len], 0)
            .map_err(|e| failed("read", &paths[i], e))?;
        emptied[i] = emptied_generation(&head[..head_len]);
        if emptied[i].is_some() {
            continue;
        }
        contents[i] = vec![0; usize::try_from(len).map_err(|e| failed("read", &paths[i], e))?];
        logs[i]
            .read_exact_at(&mut contents[i], 0)
            .map_err(|e| failed("read", &paths[i], e))?;
    }
    let mut parsed = Vec::new();
    for i in 0..2 {
        if let Some(generation) = emptied[i] {
            parsed.push((generation, Vec::new()));
        } else if let Some(log) = parse_log(&contents[i], &paths[i])? {
            parsed.push(log);
        }
    }
    let held = [0, 1].map(|i| emptied[i].is_none() && !contents[i].is_empty());
    parsed.sort_by_key(|(generation, _)| *generation);
    let next = parsed.last().map_or(1, |(generation, _)| generation + 1);
    if parsed.iter().any(|(_, changes)| !changes.is_empty()) {
        for (_, changes) in &parsed {
            for change in changes {
                match *change {
                    Change::Write(offset, bytes) => data.write_all_at(bytes, offset),
                    Change::Zeros(offset, len) => write_zeros(data, offset, len),
                    Change::SetLen(len) => data.set_len(len),
                }
                .map_err(|e| failed("replay the page log onto", path, e))?;
            }
        }
        data.sync_all().map_err(|e| failed("sync", path, e))?;
    }
    Ok((next, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(non_zero: usize) -> Vec<u8> {
        let mut page = vec![0u8; 4096];
        for (i, b) in page.iter_mut().take(non_zero).enumerate() {
            *b = (i % 251) as u8 + 1;
        }
        page
    }

    #[test]
    fn zero_tails_are_measured_to_the_last_non_zero_byte() {
        assert_eq!(zero_tail(&page(4096)), 0);
        assert_eq!(zero_tail(&page(1000)), 3096);
        assert_eq!(zero_tail(&page(1003)), 3093);
        assert_eq!(zero_tail(&page(0)), 4096);
        assert_eq!(zero_tail(&[]), 0);
        assert_eq!(zero_tail(&[0, 0, 0]), 3);
        assert_eq!(zero_tail(&[1, 0, 2, 0, 0]), 2);
    }

    #[test]
    fn a_page_with_a_zero_tail_is_logged_short_and_replays_whole() {
        let generation = 7;
        let mut log = file_header(generation).to_vec();
        let (half, empty, full, short_tail) = (page(1500), page(0), page(4096), page(4096 - 10));
        push_record(&mut log, generation, WRITE, 0, &half);
        push_record(&mut log, generation, WRITE, 4096, &empty);
        push_record(&mut log, generation, WRITE, 8192, &full);
        push_record(&mut log, generation, WRITE, 12288, &short_tail);
        // Far less than four pages: the zero tails are not in the log.
        assert!(log.len() < 1500 + 4096 + 4096 + 200, "{} bytes", log.len());

        let path = Path::new("test.log");
        let (parsed_generation, changes) = parse_log(&log, path).unwrap().unwrap();
        assert_eq!(parsed_generation, generation);
        assert_eq!(changes[0], Change::Write(0, &half[..1500]));
        assert_eq!(changes[1], Change::Zeros(1500, 4096 - 1500));
        assert_eq!(changes[2], Change::Zeros(4096, 4096));
        assert_eq!(changes[3], Change::Write(8192, &full[..]));
        // A tail too short for a record of its own stays in the data.
        assert_eq!(changes[4], Change::Write(12288, &short_tail[..]));
        assert_eq!(changes.len(), 5);

        // Replayed over a file full of other bytes, the zeros are written.
        let dir = crate::tests::tempdir();
        let data_path = dir.join("data");
        let data = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&data_path)
            .unwrap();
        data.write_all_at(&[0xEE; 4 * 4096], 0).unwrap();
        let paths = [dir.join("a"), dir.join("b")];
        std::fs::write(&paths[0], &log).unwrap();
        std::fs::write(&paths[1], b"").unwrap();
        let logs = paths.clone().map(|p| File::open(p).unwrap());
        assert_eq!(
            replay(&data, &data_path, &logs, &paths).unwrap(),
            (generation + 1, [true, false])
        );
        let mut out = vec![0u8; 4 * 4096];
        data.read_exact_at(&mut out, 0).unwrap();
        assert_eq!(out, [half, empty, full, short_tail].concat());
    }

    #[test]
    fn a_log_of_the_first_format_still_replays() {
        let mut log = file_header(3).to_vec();
        log[..8].copy_from_slice(MAGIC_V1);
        push_raw(&mut log, 3, WRITE, 0, 4, b"abcd");
        let (generation, changes) = parse_log(&log, Path::new("old.log")).unwrap().unwrap();
        assert_eq!((generation, changes), (3, vec![Change::Write(0, b"abcd")]));
    }

    #[test]
    fn a_torn_zeros_record_ends_the_log() {
        let mut log = file_header(1).to_vec();
        push_record(&mut log, 1, WRITE, 0, &page(100));
        let whole = log.len();
        log.truncate(whole - 3);
        let (_, changes) = parse_log(&log, Path::new("torn.log")).unwrap().unwrap();
        assert_eq!(changes, vec![Change::Write(0, &page(100)[..100])]);
    }
}
