//! Putting a frozen overlay into the database file, in the background and
//! out of the way of the commit path.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::super::overlay::Overlay;
use super::Shared;

/// How much lower than the rest of the process the checkpoint thread runs
/// (a nice value): a checkpoint has until the next rotation to finish, and
/// its page-cache writes should not take a core from the executions.
const CHECKPOINT_NICENESS: i32 = 10;

impl Shared {
    /// The checkpoint thread: puts each frozen overlay in the file and
    /// syncs it.
    pub(super) fn run_checkpoints(&self) {
        yield_to_the_rest();
        let mut buffer = Vec::new();
        loop {
            let frozen = {
                let mut state = self.state();
                loop {
                    if let Some(frozen) = &state.frozen {
                        break frozen.clone();
                    }
                    if state.stop {
                        return;
                    }
                    state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
            };
            let result = write_overlay(&self.data, &frozen, &mut buffer, true)
                .and_then(|()| self.data.sync_data())
                .map_err(|e| format!("cannot write the database file {}: {e}", self.data_path.display()));
            let mut state = self.state();
            match result {
                // The retired log keeps its records until its next turn:
                // they are older than the active log's and now in the file,
                // so replaying them first changes nothing.
                Ok(()) => state.frozen = None,
                // The overlay stays for reads; every later write fails.
                Err(why) => {
                    state.fail(why);
                    state.stop = true;
                }
            }
            self.changed.notify_all();
        }
    }
}

/// Lowers the calling thread's CPU priority and puts its I/O in the idle
/// class (the disk serves the log's syncs first). Best effort: without the
/// calls (or the permission) the thread keeps the process's priorities.
fn yield_to_the_rest() {
    #[cfg(target_os = "linux")]
    // SAFETY: both calls take plain integers and change only the calling
    // thread's scheduling; `who` 0 names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, CHECKPOINT_NICENESS);
        const IOPRIO_WHO_PROCESS: libc::c_long = 1;
        const IOPRIO_CLASS_IDLE: libc::c_long = 3;
        const IOPRIO_CLASS_SHIFT: libc::c_long = 13;
        libc::syscall(
            libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            0,
            IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT,
        );
    }
}

/// Most bytes joined into one write.
const RUN: usize = 1 << 20;

/// Checkpoint bytes pushed to the disk at a time. A checkpoint writes tens
/// of MB; left to one final sync, all of it queues at the disk at once and
/// every log sync meanwhile waits behind it (serve bench: p99
/// StartExecution 6–8 ms with checkpoints against 4–5 ms without). Pushed
/// in slices, a log sync waits for one slice at most.
const SLICE: u64 = 256 * 1024;

/// Writes an overlay's pieces to `file` in offset order, adjacent pieces
/// joined into one write, and (with `paced`) hands them to the disk slice by
/// slice, waiting for each. The caller syncs the file afterwards.
pub(super) fn write_overlay(file: &File, overlay: &Overlay, buffer: &mut Vec<u8>, paced: bool) -> std::io::Result<()> {
    let mut slice = Slice::default();
    buffer.clear();
    let mut run_start = 0;
    for (at, piece) in overlay.pieces() {
        if buffer.is_empty() || at != run_start + buffer.len() as u64 || buffer.len() + piece.len() > RUN {
            if !buffer.is_empty() {
                file.write_all_at(buffer, run_start)?;
                slice.add(run_start, buffer.len());
                buffer.clear();
                if paced && slice.bytes >= SLICE {
                    slice.push(file)?;
                }
            }
            run_start = at;
        }
        buffer.extend_from_slice(piece);
    }
    if !buffer.is_empty() {
        file.write_all_at(buffer, run_start)?;
    }
    Ok(())
}

/// The span of the writes since the last push.
#[derive(Default)]
struct Slice {
    low: u64,
    high: u64,
    bytes: u64,
}

impl Slice {
    fn add(&mut self, at: u64, len: usize) {
        if self.bytes == 0 {
            (self.low, self.high) = (at, at);
        }
        self.low = self.low.min(at);
        self.high = self.high.max(at + len as u64);
        self.bytes += len as u64;
    }

    /// Starts writing the span's dirty pages and waits for them (no file
    /// metadata, no cache flush: the final sync does those).
    fn push(&mut self, file: &File) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let flags =
                libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
            let (offset, len) = (self.low as libc::off64_t, (self.high - self.low) as libc::off64_t);
            // SAFETY: plain integers and a descriptor this File owns for
            // the whole call; the call touches no memory of ours.
            if unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = file;
        self.bytes = 0;
        Ok(())
    }
}
