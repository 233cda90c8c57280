//! The page log under crashes: a copy of the files taken at any moment
//! (what a kill -9 leaves) opens with every acknowledged commit, whether
//! the logs rotated and checkpointed meanwhile or not.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};

use super::{PageLogFile, log_paths};
use crate::tests::tempdir;

const ITEMS: TableDefinition<u64, &[u8]> = TableDefinition::new("items");

/// A value big enough that commits span pages and logs rotate quickly.
fn value(i: u64) -> Vec<u8> {
    (0..600).map(|j| (i as usize * 31 + j) as u8).collect()
}

fn open(path: &Path, rotate_bytes: u64) -> Database {
    let backend = PageLogFile::open_rotating_at(path, rotate_bytes).expect("the page log opens");
    Database::builder()
        .create_with_backend(backend)
        .expect("the database opens")
}

/// Copies the database file and its logs, as a crash would leave them.
fn crash_copy(path: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("copy.redb");
    for (from, to) in [path.to_path_buf()]
        .iter()
        .chain(&log_paths(path))
        .zip([copy.clone()].iter().chain(&log_paths(&copy)))
    {
        std::fs::copy(from, to).unwrap();
    }
    copy
}

/// Every item `0..count` is there with its value.
fn assert_items(db: &Database, count: u64) {
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(ITEMS).unwrap();
    assert!(
        table.len().unwrap() >= count,
        "{} items, expected at least {count}",
        table.len().unwrap()
    );
    for i in 0..count {
        let got = table.get(i).unwrap().unwrap_or_else(|| panic!("item {i} is missing"));
        assert_eq!(got.value(), &value(i)[..], "item {i} is damaged");
    }
}

fn insert(db: &Database, i: u64) {
    let txn = db.begin_write().unwrap();
    txn.open_table(ITEMS).unwrap().insert(i, &value(i)[..]).unwrap();
    txn.commit().unwrap();
}

#[test]
fn a_crash_copy_taken_after_any_commit_holds_every_commit_before_it() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, 64 * 1024);
    for i in 0..120 {
        insert(&db, i);
        if i % 7 == 3 {
            let copy = crash_copy(&path, &dir.join(format!("crash-{i}")));
            assert_items(&open(&copy, 64 * 1024), i + 1);
        }
    }
    drop(db);
}

#[test]
fn deferred_syncs_answer_in_order_and_a_crash_keeps_what_they_acknowledged() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let backend = PageLogFile::open_rotating_at(&path, 32 * 1024).unwrap();
    let syncs = backend.sync_handle().expect("one handle");
    assert!(backend.sync_handle().is_none(), "the handle is handed out once");
    let db = Database::builder().create_with_backend(backend).unwrap();
    syncs.defer_syncs();
    let (tx, rx) = mpsc::channel();
    for i in 0..200 {
        insert(&db, i);
        let tx = tx.clone();
        syncs.after_sync(Box::new(move |result| tx.send((i, result)).unwrap()));
        if i % 50 == 49 {
            syncs.wait_for_syncs_below(1);
            let answered: Vec<_> = rx.try_iter().collect();
            assert!(answered.iter().all(|(_, r)| r.is_ok()), "{answered:?}");
            let copy = crash_copy(&path, &dir.join(format!("crash-{i}")));
            assert_items(&open(&copy, 32 * 1024), i + 1);
        }
    }
    drop(db);
}

#[test]
fn a_clean_close_leaves_a_plain_database_file_and_empty_logs() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, 16 * 1024);
    for i in 0..50 {
        insert(&db, i);
    }
    drop(db);
    for log in log_paths(&path) {
        // The logs keep their blocks (the next turns overwrite them), but
        // hold nothing to replay.
        let bytes = std::fs::read(&log).unwrap();
        assert!(!bytes.is_empty(), "{} lost its blocks", log.display());
        let (_, changes) = super::format::parse_log(&bytes, &log).unwrap().expect("an emptied log");
        assert!(
            changes.is_empty(),
            "{} still holds {} changes",
            log.display(),
            changes.len()
        );
    }
    // redb alone reads it: nothing was left in the logs.
    assert_items(&Database::create(&path).unwrap(), 50);
}

#[test]
fn what_the_logs_held_before_a_restart_never_comes_back() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, 16 * 1024);
    for i in 0..50 {
        insert(&db, i);
    }
    let generations = |path: &Path| -> Vec<u64> {
        log_paths(path)
            .iter()
            .filter_map(|log| {
                let bytes = std::fs::read(log).unwrap();
                super::format::parse_log(&bytes, log)
                    .unwrap()
                    .map(|(generation, _)| generation)
            })
            .collect()
    };
    // The newest turn whose records the logs' blocks can still hold.
    let before = generations(&crash_copy(&path, &dir.join("before")))
        .into_iter()
        .max()
        .unwrap();
    drop(db);
    assert!(
        generations(&path).into_iter().max() >= Some(before),
        "the emptied logs name an older generation than their blocks hold"
    );
    // The next run stops (crashes) at once; the one after rewrites every
    // item: the records of the first run are still in the logs' blocks,
    // and would undo these if they replayed.
    let stopped = open(&path, 16 * 1024);
    let path = crash_copy(&path, &dir.join("stopped"));
    drop(stopped);
    let db = open(&path, 16 * 1024);
    let rewritten = |i: u64| -> Vec<u8> { value(i + 1000) };
    for i in 0..50 {
        let txn = db.begin_write().unwrap();
        txn.open_table(ITEMS).unwrap().insert(i, &rewritten(i)[..]).unwrap();
        txn.commit().unwrap();
    }
    let copy = crash_copy(&path, &dir.join("crash"));
    // Every turn since has a newer generation than any record left over,
    // so no left-over record can pass for one of them.
    assert!(
        generations(&copy).into_iter().min().unwrap() > before,
        "a turn after the restart reused generation {before} or older"
    );
    drop(db);
    for db in [open(&copy, 16 * 1024), open(&path, 16 * 1024)] {
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(ITEMS).unwrap();
        for i in 0..50 {
            assert_eq!(table.get(i).unwrap().unwrap().value(), &rewritten(i)[..], "item {i}");
        }
    }
}

#[test]
fn a_torn_append_is_dropped_and_the_rest_replays() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, u64::MAX);
    for i in 0..20 {
        insert(&db, i);
    }
    let copy = crash_copy(&path, &dir.join("crash"));
    drop(db);
    // The end of a record cut off, and garbage after it.
    let log = &log_paths(&copy)[0];
    let len = std::fs::metadata(log).unwrap().len();
    let mut bytes = std::fs::read(log).unwrap();
    let records_end = bytes.iter().rposition(|b| *b != 0).unwrap() + 1;
    bytes.truncate(records_end - 3);
    bytes.extend_from_slice(&[0xA5; 100]);
    bytes.resize(len as usize, 0);
    std::fs::write(log, bytes).unwrap();
    // The last commit's header record may be the one cut: all but it stay.
    assert_items(&open(&copy, u64::MAX), 19);
}

#[test]
fn a_log_grows_a_mebibyte_of_zeros_at_a_time_and_replays_across_them() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, u64::MAX);
    let log = &log_paths(&path)[0];
    let size = || std::fs::metadata(log).unwrap().len();
    insert(&db, 0);
    assert!(
        size() >= super::writer::GROW_BYTES,
        "the first commit grew the log to {}",
        size()
    );
    let (mut growths, mut last) = (0, size());
    for i in 1..400 {
        insert(&db, i);
        if size() != last {
            assert!(size() - last >= super::writer::GROW_BYTES, "grew by {}", size() - last);
            growths += 1;
            last = size();
        }
    }
    assert!(
        growths >= 1,
        "400 commits fit in the first mebibyte: the test proves nothing"
    );
    let copy = crash_copy(&path, &dir.join("crash"));
    drop(db);
    assert_items(&open(&copy, u64::MAX), 400);
}

#[test]
fn a_damaged_log_header_is_refused_with_the_logs_path() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    drop(open(&path, u64::MAX));
    let log = &log_paths(&path)[1];
    std::fs::write(log, b"this is not a page log at all").unwrap();
    let error = PageLogFile::open(&path).unwrap_err().to_string();
    assert!(
        error.contains(&log.display().to_string()) && error.contains("not a Stepyard page log"),
        "{error}"
    );
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = tempdir();
    let path = dir.join("db.redb");
    let db = open(&path, u64::MAX);
    assert!(matches!(PageLogFile::open(&path), Err(super::OpenError::InUse)));
    drop(db);
    assert!(PageLogFile::open(&path).is_ok(), "free again once closed");
}
