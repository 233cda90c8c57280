//! State machine records as last read (see [`MachineCache`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::StateMachineRecord;

/// State machine records as last read: StartExecution reads its machine on
/// every call, and decoding the record (definition included) was ~2 % of
/// the serve bench's CPU. Only this process writes the file, and every
/// write of a machine clears the cache; a read that began before such a
/// write does not fill it (the generation moved on).
#[derive(Default)]
pub(crate) struct MachineCache {
    inner: Mutex<(u64, HashMap<String, StateMachineRecord>)>,
}

impl MachineCache {
    /// Most records kept (a server with more machines reads the rest).
    const MOST: usize = 1024;

    fn lock(&self) -> MutexGuard<'_, (u64, HashMap<String, StateMachineRecord>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(&self, arn: &str) -> Option<StateMachineRecord> {
        self.lock().1.get(arn).cloned()
    }

    /// Taken before reading the database, for [`MachineCache::insert`].
    pub(super) fn generation(&self) -> u64 {
        self.lock().0
    }

    pub(super) fn insert(&self, generation: u64, arn: &str, record: &StateMachineRecord) {
        let mut inner = self.lock();
        if inner.0 == generation && (inner.1.len() < Self::MOST || inner.1.contains_key(arn)) {
            inner.1.insert(arn.to_owned(), record.clone());
        }
    }

    pub(super) fn invalidate(&self) {
        let mut inner = self.lock();
        inner.0 += 1;
        inner.1.clear();
    }
}
