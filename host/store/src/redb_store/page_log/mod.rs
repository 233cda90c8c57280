//! The database file's storage backend: page writes go to a sequential log
//! and to memory; the file itself is written later, off the commit path.
//!
//! Why: a durable redb commit writes each page it changed in place (about
//! fifty 4 KiB pages for a batch of a few executions, scattered over the
//! file) and syncs the file. On the virtual disks Stepyard meets, both
//! halves cost per page rather than per byte: a buffered 4 KiB pwrite
//! takes 6–17 µs of kernel time, and the sync pays again per separate
//! write (64 scattered pages took 1.5 ms to sync, 256 KiB in one run
//! 0.4 ms). That made the writer thread the limit of the whole server.
//!
//! So a write is appended (as a record) to the active log and kept in the
//! [`Overlay`], which reads consult over the file. A sync writes the
//! records in one direct (unbuffered, block-aligned) write and syncs the
//! log. When the active log passes [`ROTATE_BYTES`], the other log takes
//! over and the overlay so far is frozen; a checkpoint thread writes it to
//! the database file in offset order (a page rewritten many times is
//! written once), syncs the file and drops it: the retired log's records
//! are then all in the file. If a checkpoint is still running at the next
//! rotation, the active log grows until it is done.
//!
//! The store's writer goes further (see [`SyncHandle`]): its commits only
//! hand their records over, and a sync thread makes them durable (and
//! answers their writers) while the next batch gathers.
//!
//! Opening replays both logs onto the file, the older generation first and
//! each up to its first torn or damaged record (a crash mid-append: never
//! acknowledged), syncs the file and empties the logs. Replaying records
//! the file already has is harmless: they are whole page images in the
//! order they were written, so the last one for each place wins.

mod checkpoint;
mod format;
#[cfg(test)]
mod tests;
mod writer;

use std::fs::{File, OpenOptions};
use std::ops::Bound;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

use super::overlay::Overlay;
use checkpoint::write_overlay;
use format::{SET_LEN, WRITE, push_record, replay};
use writer::{AlignedBuf, LogWriter};

/// The active log is handed to a checkpoint once it holds this much.
/// Larger means fewer, longer checkpoints (pages rewritten often are written
/// once each) but a longer replay after a crash.
pub(crate) const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

/// Records are written out (unsynced) once this many bytes wait, so a large
/// transaction does not hold all of its records in memory.
const SPILL_BYTES: usize = 8 * 1024 * 1024;

type IoResult<T> = std::io::Result<T>;

/// The two log files of the database at `db_path`.
pub(crate) fn log_paths(db_path: &Path) -> [PathBuf; 2] {
    ["log-a", "log-b"].map(|suffix| {
        let mut name = db_path.as_os_str().to_owned();
        name.push(".");
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// Why the database file or its logs cannot be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// Another process holds the logs (and so the database).
    #[error("another process has it open")]
    InUse,
    #[error("{0}")]
    Other(String),
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> OpenError {
    OpenError::Other(format!("cannot {what} {}: {e}", path.display()))
}

fn io_error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

/// The backend redb runs on (see the module documentation).
pub(crate) struct PageLogFile {
    /// The database file as redb's own backend sees it: its length and its
    /// locks (reads and writes go through `shared.data`).
    file: FileBackend,
    shared: Arc<Shared>,
    checkpointer: Mutex<Option<JoinHandle<()>>>,
    /// Taken by the store's writer (see [`PageLogFile::sync_handle`]).
    syncs: Mutex<Option<SyncHandle>>,
}

impl std::fmt::Debug for PageLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageLogFile").field("logs", &self.shared.paths).finish()
    }
}

struct Shared {
    paths: [PathBuf; 2],
    data_path: PathBuf,
    /// The database file.
    data: File,
    /// See [`ROTATE_BYTES`].
    rotate_bytes: u64,
    /// What writes touch; held briefly.
    state: Mutex<State>,
    /// The log files; held for a whole write-out and sync, so those happen
    /// in order while writes go on. Taken before `state`, never after.
    log: Mutex<LogWriter>,
    /// Signalled when a checkpoint is asked for, ends, or must stop.
    changed: Condvar,
    /// `after_sync` requests not yet answered.
    in_flight: Mutex<usize>,
    sync_done: Condvar,
}

struct State {
    /// Records not yet written out, made under `generation`.
    pending: Vec<u8>,
    generation: u64,
    /// Bytes of records made since opening: a position in the sequence of
    /// all records, across rotations.
    appended: u64,
    /// How much of `appended` is known synced.
    durable: u64,
    /// Writes since the last rotation, not in the file.
    recent: Overlay,
    /// Writes before the last rotation that the running checkpoint is
    /// putting in the file (reads see `recent` over these over the file).
    frozen: Option<Arc<Overlay>>,
    /// `sync_data` only writes the log out; durability is asked for through
    /// [`SyncHandle::after_sync`].
    deferred: bool,
    stop: bool,
    /// A failed log write or checkpoint: nothing after it can be promised
    /// durable, so every later write and sync fails.
    broken: Option<String>,
}

impl State {
    fn check(&self) -> IoResult<()> {
        match &self.broken {
            Some(why) => Err(io_error(why.clone())),
            None => Ok(()),
        }
    }

    fn fail(&mut self, why: String) -> std::io::Error {
        self.broken = Some(why.clone());
        io_error(why)
    }
}

/// Called once the writes before it are durable (or with why not).
pub(crate) type AfterSync = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Lets the database's only writer defer syncs: its commits return once
/// their records are handed over, and it asks for their durability
/// separately, so the next batch gathers while the last one syncs.
///
/// Safe for redb because the log is one ordered sequence: a crash keeps a
/// prefix of it, and a prefix ends at or before some commit's header, i.e.
/// it is a state redb reaches after a crash anyway (a commit's pages are
/// written to free pages, its header last). A commit that is visible to
/// readers but not yet durable can be lost in a crash; none of its writers
/// has been told it succeeded.
pub(crate) struct SyncHandle {
    shared: Arc<Shared>,
    requests: mpsc::Sender<(u64, AfterSync)>,
}

impl SyncHandle {
    /// From now on, `sync_data` only hands records over.
    pub(crate) fn defer_syncs(&self) {
        self.shared.state().deferred = true;
    }

    /// Calls `done` once everything written so far is durable.
    pub(crate) fn after_sync(&self, done: AfterSync) {
        let position = self.shared.state().appended;
        *self.shared.in_flight.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        if let Err(mpsc::SendError((_, done))) = self.requests.send((position, done)) {
            done(Err("the page log is closed".into()));
        }
    }

    /// Waits until fewer than `limit` requests wait for a sync.
    pub(crate) fn wait_for_syncs_below(&self, limit: usize) {
        let mut in_flight = self.shared.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        while *in_flight >= limit {
            in_flight = self.shared.sync_done.wait(in_flight).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Opens a log file for direct writes where the file system allows them
/// (tmpfs on older kernels does not; buffered writes then).
fn open_log(path: &Path) -> Result<File, OpenError> {
    let open = |flags| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(flags)
            .open(path)
    };
    open(libc::O_DIRECT)
        .or_else(|_| open(0))
        .map_err(|e| failed("open", path, e))
}

impl PageLogFile {
    /// Opens (or creates) the database file at `path` and its logs, and
    /// replays what the logs hold onto the file.
    pub(crate) fn open(path: &Path) -> Result<PageLogFile, OpenError> {
        PageLogFile::open_rotating_at(path, ROTATE_BYTES)
    }

    /// [`PageLogFile::open`], rotating logs at `rotate_bytes` (tests rotate
    /// often).
    fn open_rotating_at(path: &Path, rotate_bytes: u64) -> Result<PageLogFile, OpenError> {
        let paths = log_paths(path);
        let files = [open_log(&paths[0])?, open_log(&paths[1])?];
        // The lock guards the replay below: nothing may touch the file
        // while another process runs on it. redb takes its own lock later.
        match files[0].try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(OpenError::InUse),
            Err(std::fs::TryLockError::Error(e)) => return Err(failed("lock", &paths[0], e)),
        }
        let data = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| failed("open", path, e))?;
        // Read through buffered handles: direct reads need aligned buffers.
        let readers = [
            File::open(&paths[0]).map_err(|e| failed("open", &paths[0], e))?,
            File::open(&paths[1]).map_err(|e| failed("open", &paths[1], e))?,
        ];
        let (generation, held) = replay(&data, path, &readers, &paths)?;
        let mut grown = [0; 2];
        for ((file, path), grown) in files.iter().zip(&paths).zip(&mut grown) {
            *grown = file.metadata().map_err(|e| failed("read the size of", path, e))?.len();
        }
        let mut log = LogWriter {
            files,
            active: 1,
            tail: Vec::new(),
            tail_start: 0,
            block: AlignedBuf::with_capacity(1 << 20),
            spare: Vec::new(),
            grown,
        };
        // Logs emptied already stay as they are (no write, no sync at open).
        log.mark_empty(generation - 1, held)
            .map_err(|e| failed("empty the page logs of", path, e))?;
        log.switch(generation);
        let own = data.try_clone().map_err(|e| failed("open", path, e))?;
        let file = FileBackend::new(data).map_err(|e| OpenError::Other(e.to_string()))?;
        let shared = Arc::new(Shared {
            paths,
            data_path: path.to_path_buf(),
            data: own,
            rotate_bytes,
            state: Mutex::new(State {
                pending: Vec::with_capacity(1 << 20),
                generation,
                appended: 0,
                durable: 0,
                recent: Overlay::default(),
                frozen: None,
                deferred: false,
                stop: false,
                broken: None,
            }),
            log: Mutex::new(log),
            changed: Condvar::new(),
            in_flight: Mutex::new(0),
            sync_done: Condvar::new(),
        });
        let worker = shared.clone();
        let checkpointer = std::thread::Builder::new()
            .name("stepyard-checkpoint".into())
            .spawn(move || worker.run_checkpoints())
            .map_err(|e| OpenError::Other(format!("cannot start the checkpoint thread: {e}")))?;
        let (requests, receiver) = mpsc::channel();
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("stepyard-sync".into())
            .spawn(move || worker.run_syncs(&receiver))
            .map_err(|e| OpenError::Other(format!("cannot start the sync thread: {e}")))?;
        let syncs = SyncHandle {
            shared: shared.clone(),
            requests,
        };
        Ok(PageLogFile {
            file,
            shared,
            checkpointer: Mutex::new(Some(checkpointer)),
            syncs: Mutex::new(Some(syncs)),
        })
    }

    /// The handle that defers syncs (see [`SyncHandle`]); there is one, for
    /// the writer thread.
    pub(crate) fn sync_handle(&self) -> Option<SyncHandle> {
        self.syncs.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self) -> MutexGuard<'_, LogWriter> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a change (written out at the next sync, or sooner when
    /// many bytes wait).
    fn append(&self, kind: u8, offset: u64, data: &[u8]) -> IoResult<()> {
        let mut state = self.state();
        state.check()?;
        let generation = state.generation;
        let before = state.pending.len();
        push_record(&mut state.pending, generation, kind, offset, data);
        state.appended += (state.pending.len() - before) as u64;
        if kind == WRITE {
            state.recent.insert(offset, data);
        }
        let spill = state.pending.len() >= SPILL_BYTES;
        drop(state);
        if spill { self.write_out(false) } else { Ok(()) }
    }

    /// Writes the waiting records to the active log, and with `sync` syncs
    /// it (then rotates if it is due).
    fn write_out(&self, sync: bool) -> IoResult<()> {
        let mut log = self.log();
        let (records, position) = {
            let mut state = self.state();
            state.check()?;
            let mut records = std::mem::take(&mut log.spare);
            std::mem::swap(&mut records, &mut state.pending);
            (records, state.appended)
        };
        let result = log.write(&records).and_then(|()| {
            if sync {
                log.files[log.active].sync_data()
            } else {
                Ok(())
            }
        });
        log.spare = records;
        log.spare.clear();
        let mut state = self.state();
        if let Err(e) = result {
            // What a failed write or sync covered may or may not be on
            // disk: no later sync may claim otherwise.
            return Err(state.fail(format!(
                "cannot write the page log {}: {e}",
                self.paths[log.active].display()
            )));
        }
        if !sync {
            return Ok(());
        }
        state.durable = state.durable.max(position);
        if log.end() < self.rotate_bytes || state.frozen.is_some() || state.stop {
            return Ok(());
        }
        // Rotate: records made from here on belong to the next turn; the
        // ones still waiting go to this log first, and the writes they
        // describe are frozen for the checkpoint together with the rest.
        state.generation += 1;
        let generation = state.generation;
        let last = std::mem::take(&mut state.pending);
        let position = state.appended;
        state.frozen = Some(Arc::new(std::mem::take(&mut state.recent)));
        drop(state);
        let result = log.write(&last).and_then(|()| log.files[log.active].sync_data());
        let mut state = self.state();
        if let Err(e) = result {
            return Err(state.fail(format!(
                "cannot write the page log {}: {e}",
                self.paths[log.active].display()
            )));
        }
        state.durable = state.durable.max(position);
        log.switch(generation);
        self.changed.notify_all();
        Ok(())
    }

    /// Makes every record made up to `position` durable.
    fn sync_to(&self, position: u64) -> IoResult<()> {
        {
            let state = self.state();
            state.check()?;
            if state.durable >= position {
                return Ok(());
            }
        }
        self.write_out(true)
    }

    /// The sync thread: answers [`SyncHandle::after_sync`] requests, as
    /// many per sync as are waiting.
    fn run_syncs(&self, requests: &mpsc::Receiver<(u64, AfterSync)>) {
        let mut batch = Vec::new();
        while let Ok(first) = requests.recv() {
            batch.push(first);
            batch.extend(requests.try_iter());
            let position = batch.iter().map(|(p, _)| *p).max().unwrap_or(0);
            let result = self.sync_to(position).map_err(|e| e.to_string());
            let answered = batch.len();
            for (_, done) in batch.drain(..) {
                done(result.clone());
            }
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            *in_flight = in_flight.saturating_sub(answered);
            self.sync_done.notify_all();
        }
    }

    /// Waits until no checkpoint is running (or the store broke).
    fn wait_for_checkpoint<'a>(&self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        while state.frozen.is_some() && state.broken.is_none() {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state
    }
}

impl StorageBackend for PageLogFile {
    fn len(&self) -> IoResult<u64> {
        self.file.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> IoResult<()> {
        // Under the lock: a checkpoint drops its overlay only after writing
        // it, so a read sees each byte either in an overlay or in the file.
        let state = self.shared.state();
        self.shared.data.read_exact_at(out, offset)?;
        if let Some(frozen) = &state.frozen {
            frozen.patch(offset, out);
        }
        state.recent.patch(offset, out);
        Ok(())
    }

    fn set_len(&self, len: u64) -> IoResult<()> {
        self.shared.append(SET_LEN, len, &[])?;
        let mut state = self.shared.state();
        if len < self.file.len()? {
            // A running checkpoint could write past the new end.
            state = self.shared.wait_for_checkpoint(state);
            state.check()?;
            state.recent.truncate(len);
        }
        self.file.set_len(len)
    }

    fn sync_data(&self) -> IoResult<()> {
        let state = self.shared.state();
        state.check()?;
        if state.deferred {
            // The sync thread writes the records out (see `SyncHandle`).
            return Ok(());
        }
        drop(state);
        self.shared.write_out(true)
    }

    fn write(&self, offset: u64, data: &[u8]) -> IoResult<()> {
        self.shared.append(WRITE, offset, data)
    }

    /// A clean close: every write is put in the file, the file synced and
    /// the logs emptied, so the next open has nothing to replay.
    fn close(&self) -> IoResult<()> {
        self.shared.state().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.checkpointer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
        let mut log = self.shared.log();
        let mut state = self.shared.state();
        // A broken store keeps its logs for the next open to replay.
        let result = state.check().and_then(|()| {
            let mut buffer = Vec::new();
            write_overlay(&self.shared.data, &state.recent, &mut buffer, false)?;
            self.shared.data.sync_data()?;
            state.recent = Overlay::default();
            log.mark_empty(state.generation, [true, true]).map_err(|e| {
                io_error(format!(
                    "cannot empty the page logs {} and {}: {e}",
                    self.shared.paths[0].display(),
                    self.shared.paths[1].display()
                ))
            })?;
            Ok(())
        });
        drop(state);
        // Free for the next open now, whatever threads still hold a handle.
        let _ = log.files[0].unlock();
        drop(log);
        let closed = self.file.close();
        result.and(closed)
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}
