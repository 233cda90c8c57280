//! The database file under failure: a full disk fails the write and loses
//! nothing committed; concurrent writers share commits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::StorageBackend;
use redb::backends::InMemoryBackend;

use super::RedbStore;
use crate::{Condition, KvStore, StoreError};

/// Memory storage that can be made to fail every write, as a full disk does.
#[derive(Debug, Clone)]
struct FlakyDisk {
    inner: Arc<InMemoryBackend>,
    full: Arc<AtomicBool>,
}

impl FlakyDisk {
    fn check(&self) -> Result<(), std::io::Error> {
        if self.full.load(Ordering::SeqCst) {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for FlakyDisk {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.write(offset, data)
    }
}

#[test]
fn a_full_disk_fails_the_write_and_loses_nothing_committed() {
    let disk = FlakyDisk {
        inner: Arc::new(InMemoryBackend::new()),
        full: Arc::new(AtomicBool::new(false)),
    };
    let store = RedbStore::with_backend(disk.clone()).unwrap();
    store.put("orders", "kept", r#"{"n":1}"#, Condition::Always).unwrap();
    disk.full.store(true, Ordering::SeqCst);
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(300_000));
    let err = store.put("orders", "lost", &big, Condition::Always).unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");
    drop(store);

    // The disk has room again: the database opens with what was committed.
    disk.full.store(false, Ordering::SeqCst);
    let reopened = RedbStore::with_backend(disk).unwrap();
    assert_eq!(reopened.get("orders", "kept").unwrap().unwrap().value, r#"{"n":1}"#);
    assert_eq!(reopened.get("orders", "lost").unwrap(), None);
    reopened.put("orders", "after", "{}", Condition::Always).unwrap();
}

#[test]
fn concurrent_writers_all_commit_and_a_failed_condition_changes_nothing() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    store.put("t", &format!("{t}-{i}"), "{}", Condition::Absent).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.query("t", "", None, 1000).unwrap().items.len(), 400);
    let err = store.put("t", "0-0", r#"{"x":1}"#, Condition::Absent).unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed(_)));
    assert_eq!(store.get("t", "0-0").unwrap().unwrap().value, "{}");
}

#[test]
fn the_task_token_key_is_made_once_per_database_and_kept() {
    let dir = crate::tests::tempdir();
    let first = RedbStore::open(dir.join("a.redb")).unwrap();
    let key = first.task_token_key();
    assert_eq!(key.len(), 32);
    drop(first);
    assert_eq!(RedbStore::open(dir.join("a.redb")).unwrap().task_token_key(), key);
    assert_ne!(RedbStore::open(dir.join("b.redb")).unwrap().task_token_key(), key);
    std::fs::remove_dir_all(dir).unwrap();
}
