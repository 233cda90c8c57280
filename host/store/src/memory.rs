//! An in-memory store: same semantics as the database, nothing on disk.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::*;

/// Tables and logs in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<BTreeMap<(String, String), (u64, String)>>,
    logs: Mutex<Vec<LogLine>>,
    usage: Mutex<Vec<TaskUsage>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl KvStore for MemoryStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Item>, StoreError> {
        validate_key(table, key)?;
        let items = lock(&self.items);
        Ok(items
            .get(&(table.to_owned(), key.to_owned()))
            .map(|(version, value)| Item {
                key: key.to_owned(),
                value: value.clone(),
                version: *version,
            }))
    }

    fn put(&self, table: &str, key: &str, value: &str, condition: Condition) -> Result<u64, StoreError> {
        validate_item(table, key, value)?;
        let mut items = lock(&self.items);
        let slot = (table.to_owned(), key.to_owned());
        let current = items.get(&slot).map(|(v, _)| *v);
        check_condition(condition, current)?;
        let version = current.unwrap_or(0) + 1;
        items.insert(slot, (version, value.to_owned()));
        Ok(version)
    }

    fn update(&self, table: &str, key: &str, changes: &Map<String, Value>) -> Result<Item, StoreError> {
        validate_key(table, key)?;
        let mut items = lock(&self.items);
        let slot = (table.to_owned(), key.to_owned());
        let (current, text) = match items.get(&slot) {
            Some((v, t)) => (*v, Some(t.as_str())),
            None => (0, None),
        };
        let value = merge(text, changes)?;
        validate_item(table, key, &value)?;
        let version = current + 1;
        items.insert(slot, (version, value.clone()));
        Ok(Item {
            key: key.to_owned(),
            value,
            version,
        })
    }

    fn delete(&self, table: &str, key: &str) -> Result<bool, StoreError> {
        validate_key(table, key)?;
        Ok(lock(&self.items).remove(&(table.to_owned(), key.to_owned())).is_some())
    }

    fn query(&self, table: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        validate_key(table, "-")?;
        let limit = limit.clamp(1, MAX_PAGE_ITEMS);
        let items = lock(&self.items);
        let start = (table.to_owned(), start_after.unwrap_or(prefix).to_owned());
        let mut page = Page::default();
        for ((t, k), (version, value)) in items.range(start..) {
            if t != table || !k.starts_with(prefix) {
                break;
            }
            if Some(k.as_str()) == start_after {
                continue;
            }
            if page.items.len() == limit {
                page.next = page.items.last().map(|i| i.key.clone());
                break;
            }
            page.items.push(Item {
                key: k.clone(),
                value: value.clone(),
                version: *version,
            });
        }
        Ok(page)
    }

    fn tables(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = lock(&self.items).keys().map(|(t, _)| t.clone()).collect();
        names.dedup();
        Ok(names)
    }
}

impl LogStore for MemoryStore {
    fn append(&self, lines: &[LogLine]) -> Result<(), StoreError> {
        lock(&self.logs).extend_from_slice(lines);
        Ok(())
    }

    fn read(&self, execution_arn: &str) -> Result<Vec<LogLine>, StoreError> {
        Ok(lock(&self.logs)
            .iter()
            .filter(|l| l.execution_arn == execution_arn)
            .cloned()
            .collect())
    }

    fn executions(&self) -> Result<Vec<String>, StoreError> {
        let mut seen = Vec::new();
        for l in lock(&self.logs).iter() {
            if !seen.contains(&l.execution_arn) {
                seen.push(l.execution_arn.clone());
            }
        }
        Ok(seen)
    }

    fn record_usage(&self, usage: TaskUsage) {
        lock(&self.usage).push(usage);
    }

    fn usage(&self, execution_arn: &str) -> Result<Vec<TaskUsage>, StoreError> {
        Ok(lock(&self.usage)
            .iter()
            .filter(|u| u.execution_arn == execution_arn)
            .cloned()
            .collect())
    }
}

/// Whether a conditional write may go ahead given the current version.
pub(crate) fn check_condition(condition: Condition, current: Option<u64>) -> Result<(), StoreError> {
    match (condition, current) {
        (Condition::Always, _) | (Condition::Absent, None) => Ok(()),
        (Condition::Absent, Some(_)) => Err(StoreError::ConditionFailed("the item already exists".into())),
        (Condition::Version(want), Some(have)) if want == have => Ok(()),
        (Condition::Version(want), have) => Err(StoreError::ConditionFailed(format!(
            "expected version {want}, found {}",
            have.map_or("no item".to_owned(), |v| v.to_string())
        ))),
    }
}
