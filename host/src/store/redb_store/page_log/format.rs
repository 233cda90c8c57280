//! The page log's bytes: file header, records, and the replay at open.
//!
//! A log file: a header (magic `SYPGLOG1`, generation u64, CRC-32 of the
//! generation), then records: kind (u8: 1 write, 2 set length), offset
//! (u64; the new length for kind 2), data length (u32), CRC-32 (u32) of the
//! generation, kind, offset, length and data; then the data. Integers are
//! little-endian. A record's CRC covers the generation so that records left
//! from a file's earlier turn can never pass for the current one's; the
//! records end at the first that does not check (zeros, an old turn's
//! bytes, or a torn append).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{OpenError, failed};

const MAGIC: &[u8; 8] = b"SYPGLOG1";
pub(super) const FILE_HEADER: usize = 8 + 8 + 4;
const RECORD_HEADER: usize = 1 + 8 + 4 + 4;
pub(super) const WRITE: u8 = 1;
pub(super) const SET_LEN: u8 = 2;

fn checksum(generation: u64, header: &[u8], data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&generation.to_le_bytes());
    hasher.update(header);
    hasher.update(data);
    hasher.finalize()
}

/// The first bytes of a log file in its turn `generation`.
pub(super) fn file_header(generation: u64) -> [u8; FILE_HEADER] {
    let mut header = [0; FILE_HEADER];
    header[..8].copy_from_slice(MAGIC);
    header[8..16].copy_from_slice(&generation.to_le_bytes());
    let crc = crc32fast::hash(&generation.to_le_bytes());
    header[16..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// Appends one record to `out`.
pub(super) fn push_record(out: &mut Vec<u8>, generation: u64, kind: u8, offset: u64, data: &[u8]) {
    let mut header = [0u8; RECORD_HEADER - 4];
    header[0] = kind;
    header[1..9].copy_from_slice(&offset.to_le_bytes());
    header[9..13].copy_from_slice(&(data.len() as u32).to_le_bytes());
    let crc = checksum(generation, &header, data);
    out.reserve(RECORD_HEADER + data.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(data);
}

/// One change a log holds.
#[derive(Debug, PartialEq)]
pub(super) enum Change<'a> {
    Write(u64, &'a [u8]),
    SetLen(u64),
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
    if head.len() < FILE_HEADER || &head[..8] != MAGIC || crc32fast::hash(&head[8..16]) != le_u32(&head[16..]) {
        return Err(OpenError::Other(format!(
            "{} is not a Stepyard page log (its header is damaged); move it away only if the database beside it is known to be whole",
            path.display()
        )));
    }
    let generation = le_u64(&head[8..16]);
    let mut changes = Vec::new();
    let mut at = FILE_HEADER;
    while let Some(header) = bytes.get(at..at + RECORD_HEADER) {
        let (kind, offset, len, crc) = (
            header[0],
            le_u64(&header[1..]),
            le_u32(&header[9..]) as usize,
            le_u32(&header[13..]),
        );
        let Some(data) = bytes.get(at + RECORD_HEADER..at + RECORD_HEADER + len) else {
            break;
        };
        if checksum(generation, &header[..13], data) != crc {
            break;
        }
        match kind {
            WRITE => changes.push(Change::Write(offset, data)),
            SET_LEN if len == 0 => changes.push(Change::SetLen(offset)),
            _ => break,
        }
        at += RECORD_HEADER + len;
    }
    Ok(Some((generation, changes)))
}

/// Applies both logs' records to the database file (the older generation
/// first) and syncs it; returns the generation the next log starts.
pub(super) fn replay(data: &File, path: &Path, logs: &[File; 2], paths: &[PathBuf; 2]) -> Result<u64, OpenError> {
    let mut contents = [Vec::new(), Vec::new()];
    for i in 0..2 {
        let len = logs[i].metadata().map_err(|e| failed("read", &paths[i], e))?.len();
        contents[i] = vec![0; usize::try_from(len).map_err(|e| failed("read", &paths[i], e))?];
        logs[i]
            .read_exact_at(&mut contents[i], 0)
            .map_err(|e| failed("read", &paths[i], e))?;
    }
    let mut parsed = Vec::new();
    for i in 0..2 {
        if let Some(log) = parse_log(&contents[i], &paths[i])? {
            parsed.push(log);
        }
    }
    parsed.sort_by_key(|(generation, _)| *generation);
    let next = parsed.last().map_or(1, |(generation, _)| generation + 1);
    if parsed.iter().any(|(_, changes)| !changes.is_empty()) {
        for (_, changes) in &parsed {
            for change in changes {
                match *change {
                    Change::Write(offset, bytes) => data.write_all_at(bytes, offset),
                    Change::SetLen(len) => data.set_len(len),
                }
                .map_err(|e| failed("replay the page log onto", path, e))?;
            }
        }
        data.sync_all().map_err(|e| failed("sync", path, e))?;
    }
    Ok(next)
}
