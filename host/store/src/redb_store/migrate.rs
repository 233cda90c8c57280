//! Upgrades a database file written in an earlier format, in one
//! transaction: the file is either fully upgraded or left as it was.
//!
//! `stepyard-1` → `stepyard-2`: one history event per key and a checkpoint
//! table become one journal segment per execution; each execution record
//! loses its copy of the definition (kept once per revision); the running
//! index is keyed by start seq; the counters table goes. State machines,
//! versions, the listing index, tables and log lines keep their layout.

use redb::{Database, ReadableTable, TableDefinition, TableHandle, WriteTransaction};

use super::executions::{DEFINITIONS, EXECUTIONS, RUNNING};
use super::journal::{self, JOURNAL};
use super::{META, io};
use crate::StoreError;
use crate::records::{ExecutionRecord, StoredEvent};

const V1_RUNNING: TableDefinition<&str, u64> = TableDefinition::new("running_executions");
const V1_EVENTS: TableDefinition<(&str, u64), &str> = TableDefinition::new("history_events");
const V1_CHECKPOINTS: TableDefinition<&str, &str> = TableDefinition::new("checkpoints");
const V1_COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

/// Upgrades a `stepyard-1` file to `stepyard-2` (`format` is written last,
/// in the same transaction).
pub(super) fn from_v1(db: &Database, format: &str) -> Result<(), StoreError> {
    let damaged = |what: &str, key: &str, e: &dyn std::fmt::Display| {
        StoreError::Io(format!("upgrading the file: the stored {what} '{key}' is damaged: {e}"))
    };
    let txn = db.begin_write().map_err(io)?;
    let tables: Vec<String> = txn.list_tables().map_err(io)?.map(|t| t.name().to_owned()).collect();
    let has = |name: &str| tables.iter().any(|t| t == name);

    // Executions: the definition moves out, the history and checkpoint
    // become one segment.
    let records: Vec<(String, String)> = if has(EXECUTIONS.name()) {
        let table = txn.open_table(EXECUTIONS).map_err(io)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            out.push((k.value().to_owned(), v.value().to_owned()));
        }
        out
    } else {
        Vec::new()
    };
    for (arn, text) in records {
        let mut record: ExecutionRecord = serde_json::from_str(&text).map_err(|e| damaged("execution", &arn, &e))?;
        let definition = std::mem::take(&mut record.definition);
        {
            let mut definitions = txn.open_table(DEFINITIONS).map_err(io)?;
            if definitions.get(record.revision_id.as_str()).map_err(io)?.is_none() {
                definitions
                    .insert(record.revision_id.as_str(), definition.as_str())
                    .map_err(io)?;
            }
        }
        let stored = serde_json::to_string(&record).map_err(io)?;
        txn.open_table(EXECUTIONS)
            .map_err(io)?
            .insert(arn.as_str(), stored.as_str())
            .map_err(io)?;
        let events = if has(V1_EVENTS.name()) {
            v1_events(&txn, &arn)?
        } else {
            Vec::new()
        };
        let checkpoint = if has(V1_CHECKPOINTS.name()) {
            txn.open_table(V1_CHECKPOINTS)
                .map_err(io)?
                .get(arn.as_str())
                .map_err(io)?
                .map(|g| g.value().to_owned())
        } else {
            None
        };
        journal::append(&txn, record.seq, &events, checkpoint.as_deref())?;
    }

    // The running index, keyed by seq.
    if has(V1_RUNNING.name()) {
        let running: Vec<(String, u64)> = {
            let table = txn.open_table(V1_RUNNING).map_err(io)?;
            let mut out = Vec::new();
            for entry in table.iter().map_err(io)? {
                let (k, v) = entry.map_err(io)?;
                out.push((k.value().to_owned(), v.value()));
            }
            out
        };
        txn.delete_table(V1_RUNNING).map_err(io)?;
        let mut table = txn.open_table(RUNNING).map_err(io)?;
        for (arn, seq) in running {
            table.insert(seq, arn.as_str()).map_err(io)?;
        }
    }
    delete_if_present(&txn, &tables, V1_EVENTS)?;
    delete_if_present(&txn, &tables, V1_CHECKPOINTS)?;
    delete_if_present(&txn, &tables, V1_COUNTERS)?;
    // Touch the new tables so that a file upgraded with no executions has them.
    txn.open_table(JOURNAL).map_err(io)?;
    txn.open_table(META).map_err(io)?.insert("format", format).map_err(io)?;
    txn.commit().map_err(io)
}

fn v1_events(txn: &WriteTransaction, arn: &str) -> Result<Vec<StoredEvent>, StoreError> {
    let table = txn.open_table(V1_EVENTS).map_err(io)?;
    let mut out = Vec::new();
    for entry in table.range((arn, 0)..=(arn, u64::MAX)).map_err(io)? {
        let (k, v) = entry.map_err(io)?;
        out.push(StoredEvent {
            id: k.value().1,
            json: v.value().to_owned(),
        });
    }
    Ok(out)
}

fn delete_if_present<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &WriteTransaction,
    tables: &[String],
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    if tables.iter().any(|t| t == def.name()) {
        txn.delete_table(def).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use redb::{Database, TableDefinition};

    use crate::tests::tempdir;
    use crate::{KvStore, LogStore, RedbStore};

    const V1_EXECUTIONS: TableDefinition<&str, &str> = TableDefinition::new("executions");
    const V1_BY_MACHINE: TableDefinition<(&str, u64), &str> = TableDefinition::new("executions_by_machine");
    const V1_KV: TableDefinition<(&str, &str), (u64, &str)> = TableDefinition::new("kv_items");
    const V1_LOGS: TableDefinition<(&str, u64), &str> = TableDefinition::new("log_lines");
    const META: TableDefinition<&str, &str> = TableDefinition::new("stepyard_meta");

    fn record(name: &str, seq: u64, status: &str) -> String {
        serde_json::json!({
            "arn": format!("arn:aws:states:us-east-1:123456789012:execution:m:{name}"),
            "name": name,
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "status": status,
            "startMillis": 1,
            "input": "{}",
            "machineName": "m",
            "definition": "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}",
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "revisionId": "rev-1",
            "machineUpdateMillis": 1,
            "seq": seq
        })
        .to_string()
    }

    /// A file as Stepyard wrote it in format `stepyard-1`.
    fn v1_file(path: &std::path::Path) {
        let db = Database::create(path).unwrap();
        let w = db.begin_write().unwrap();
        w.open_table(META).unwrap().insert("format", "stepyard-1").unwrap();
        let arn = |n: &str| format!("arn:aws:states:us-east-1:123456789012:execution:m:{n}");
        let (done, running) = (arn("done"), arn("running"));
        {
            let mut t = w.open_table(V1_EXECUTIONS).unwrap();
            t.insert(done.as_str(), record("done", 1, "SUCCEEDED").as_str())
                .unwrap();
            t.insert(running.as_str(), record("running", 2, "RUNNING").as_str())
                .unwrap();
            let mut by = w.open_table(V1_BY_MACHINE).unwrap();
            by.insert(
                ("arn:aws:states:us-east-1:123456789012:stateMachine:m", 1),
                done.as_str(),
            )
            .unwrap();
            by.insert(
                ("arn:aws:states:us-east-1:123456789012:stateMachine:m", 2),
                running.as_str(),
            )
            .unwrap();
            w.open_table(super::V1_RUNNING)
                .unwrap()
                .insert(running.as_str(), 2)
                .unwrap();
            let mut events = w.open_table(super::V1_EVENTS).unwrap();
            for id in 1..=3 {
                events
                    .insert((done.as_str(), id), format!(r#"{{"id":{id}}}"#).as_str())
                    .unwrap();
            }
            events.insert((running.as_str(), 1), r#"{"id":1}"#).unwrap();
            events.insert((running.as_str(), 2), r#"{"id":2}"#).unwrap();
            w.open_table(super::V1_CHECKPOINTS)
                .unwrap()
                .insert(running.as_str(), r#"{"state":"P"}"#)
                .unwrap();
            w.open_table(super::V1_COUNTERS)
                .unwrap()
                .insert("execution", 2)
                .unwrap();
            w.open_table(V1_KV)
                .unwrap()
                .insert(("orders", "o-1"), (1, r#"{"order_id":"o-1"}"#))
                .unwrap();
            let line = r#"{"timestamp":"2024-01-01T00:00:00.000Z","execution_arn":"X","state_name":"S","source":"p","level":"INFO","message":"hi"}"#;
            w.open_table(V1_LOGS).unwrap().insert((done.as_str(), 0), line).unwrap();
        }
        w.commit().unwrap();
    }

    #[test]
    fn a_stepyard_1_file_is_upgraded_with_everything_in_it() {
        let path = tempdir().join("v1.redb");
        v1_file(&path);
        let store = RedbStore::open(&path).unwrap();
        let done = "arn:aws:states:us-east-1:123456789012:execution:m:done";
        let running = "arn:aws:states:us-east-1:123456789012:execution:m:running";
        let record = store.execution(done).unwrap().unwrap();
        assert_eq!(record.status, "SUCCEEDED");
        assert!(record.definition.contains("StartAt"), "{record:?}");
        let (events, more) = store.events(done, None, false, 10).unwrap();
        assert_eq!(
            (events.iter().map(|e| e.id).collect::<Vec<_>>(), more),
            (vec![1, 2, 3], false)
        );
        assert_eq!(store.last_event_id(running).unwrap(), 2);
        assert_eq!(
            store.checkpoint_of(running).unwrap().as_deref(),
            Some(r#"{"state":"P"}"#)
        );
        let names: Vec<String> = store
            .running_executions()
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["running"]);
        assert_eq!(store.next_execution_seq(), 3);
        assert_eq!(
            store.get("orders", "o-1").unwrap().unwrap().value,
            r#"{"order_id":"o-1"}"#
        );
        assert_eq!(store.read(done).unwrap().len(), 1);
        drop(store);
        // Upgraded once: it opens as a stepyard-2 file from then on.
        let again = RedbStore::open(&path).unwrap();
        assert_eq!(again.events(done, None, false, 10).unwrap().0.len(), 3);
    }
}
