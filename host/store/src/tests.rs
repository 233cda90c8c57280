//! The same behaviour from both stores.

use serde_json::json;

use super::*;

fn stores() -> Vec<(&'static str, Box<dyn KvStore>)> {
    let dir = tempdir();
    vec![
        ("memory", Box::new(MemoryStore::new())),
        ("redb", Box::new(RedbStore::open(dir.join("t.redb")).unwrap())),
    ]
}

pub(crate) fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stepyard-store-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn put_get_versions_and_conditions() {
    for (name, s) in stores() {
        assert_eq!(
            s.put("orders", "o-1", r#"{"status":"PLACED"}"#, Condition::Always)
                .unwrap(),
            1,
            "{name}"
        );
        assert_eq!(
            s.put("orders", "o-1", r#"{"status":"PAID"}"#, Condition::Version(1))
                .unwrap(),
            2,
            "{name}"
        );
        assert!(
            matches!(
                s.put("orders", "o-1", "{}", Condition::Version(1)),
                Err(StoreError::ConditionFailed(_))
            ),
            "{name}"
        );
        assert!(
            matches!(
                s.put("orders", "o-1", "{}", Condition::Absent),
                Err(StoreError::ConditionFailed(_))
            ),
            "{name}"
        );
        let item = s.get("orders", "o-1").unwrap().unwrap();
        assert_eq!(
            (item.value.as_str(), item.version),
            (r#"{"status":"PAID"}"#, 2),
            "{name}"
        );
        assert_eq!(s.get("orders", "o-2").unwrap(), None, "{name}");
        assert_eq!(s.get("other", "o-1").unwrap(), None, "{name}");
    }
}

#[test]
fn update_merges_top_level_fields() {
    for (name, s) in stores() {
        s.put("orders", "o-1", r#"{"status":"PLACED","total":5}"#, Condition::Always)
            .unwrap();
        let changes = json!({"status": "SHIPPED", "carrier": "UPS"});
        let item = s.update("orders", "o-1", changes.as_object().unwrap()).unwrap();
        let doc: Value = serde_json::from_str(&item.value).unwrap();
        assert_eq!(
            doc,
            json!({"status": "SHIPPED", "total": 5, "carrier": "UPS"}),
            "{name}"
        );
        assert_eq!(item.version, 2, "{name}");
    }
}

#[test]
fn async_writes_behave_as_the_blocking_ones() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for (name, s) in stores() {
        rt.block_on(async {
            assert_eq!(
                s.put_async("t", "k", r#"{"a":1}"#, Condition::Absent).await,
                Ok(1),
                "{name}"
            );
            assert!(
                matches!(
                    s.put_async("t", "k", "{}", Condition::Absent).await,
                    Err(StoreError::ConditionFailed(_))
                ),
                "{name}"
            );
            assert_eq!(
                s.put_async("t", "k", r#"{"a":2}"#, Condition::Version(1)).await,
                Ok(2),
                "{name}"
            );
            assert!(
                matches!(
                    s.put_async("t", "k", "{}", Condition::Version(1)).await,
                    Err(StoreError::ConditionFailed(_))
                ),
                "{name}"
            );
            assert!(
                matches!(
                    s.put_async("t", "k", "not json", Condition::Always).await,
                    Err(StoreError::Invalid(_))
                ),
                "{name}"
            );
            let changes = json!({"b": true});
            let item = s.update_async("t", "k", changes.as_object().unwrap()).await.unwrap();
            assert_eq!(
                (item.value.as_str(), item.version),
                (r#"{"a":2,"b":true}"#, 3),
                "{name}"
            );
            assert_eq!(s.get("t", "k").unwrap(), Some(item), "{name}");
            assert_eq!(s.delete_async("t", "k").await, Ok(true), "{name}");
            assert_eq!(s.delete_async("t", "k").await, Ok(false), "{name}");
            assert!(
                matches!(s.delete_async("t", "").await, Err(StoreError::Invalid(_))),
                "{name}"
            );
        });
    }
}

#[test]
fn query_pages_by_prefix_in_key_order() {
    for (name, s) in stores() {
        for k in ["b-2", "a-1", "b-1", "b-3", "c-1"] {
            s.put("t", k, "{}", Condition::Always).unwrap();
        }
        let first = s.query("t", "b-", None, 2).unwrap();
        let keys: Vec<&str> = first.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["b-1", "b-2"], "{name}");
        let rest = s.query("t", "b-", first.next.as_deref(), 2).unwrap();
        assert_eq!(
            rest.items.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
            ["b-3"],
            "{name}"
        );
        assert_eq!(rest.next, None, "{name}");
        assert_eq!(s.tables().unwrap(), ["t"], "{name}");
    }
}

#[test]
fn bad_requests_are_refused_before_writing() {
    for (name, s) in stores() {
        assert!(
            matches!(
                s.put("t", "k", "not json", Condition::Always),
                Err(StoreError::Invalid(_))
            ),
            "{name}"
        );
        assert!(
            matches!(
                s.put("bad/table", "k", "{}", Condition::Always),
                Err(StoreError::Invalid(_))
            ),
            "{name}"
        );
        assert!(
            matches!(s.put("t", "", "{}", Condition::Always), Err(StoreError::Invalid(_))),
            "{name}"
        );
        let huge = format!("\"{}\"", "x".repeat(MAX_ITEM_BYTES));
        assert!(
            matches!(s.put("t", "k", &huge, Condition::Always), Err(StoreError::Invalid(_))),
            "{name}"
        );
        assert_eq!(s.get("t", "k").unwrap(), None, "{name}");
    }
}

#[test]
fn data_survives_reopening_the_file() {
    let path = tempdir().join("reopen.redb");
    {
        let s = RedbStore::open(&path).unwrap();
        s.put("orders", "o-1", r#"{"status":"CONFIRMED"}"#, Condition::Always)
            .unwrap();
        let line = LogLine {
            timestamp: "2024-01-01T00:00:00.000Z".into(),
            execution_arn: "arn:x".into(),
            state_name: "S".into(),
            source: "p".into(),
            level: Level::Info,
            message: "hello".into(),
            fields: vec![("k".into(), "v".into())],
            entry: Some("arn:x#2".into()),
            attempt: Some(1),
        };
        s.append(&[line.clone(), line]).unwrap();
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(
        s.get("orders", "o-1").unwrap().unwrap().value,
        r#"{"status":"CONFIRMED"}"#
    );
    assert_eq!(s.read("arn:x").unwrap().len(), 2);
    assert_eq!(s.executions().unwrap(), ["arn:x"]);
}

#[test]
fn a_foreign_file_is_refused_with_its_path_and_left_untouched() {
    let path = tempdir().join("foreign.redb");
    std::fs::write(&path, b"SQLite format 3\0 this is not redb at all").unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::Open { path: p, .. } if p.ends_with("foreign.redb")),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let beside: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["foreign.redb"], "nothing is left beside it");
}

#[test]
fn another_programs_redb_file_is_refused() {
    let path = tempdir().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let def: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("their_table");
        w.open_table(def).unwrap().insert("a", "b").unwrap();
        w.commit().unwrap();
    }
    let err = RedbStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
}

fn line(arn: &str, message: String) -> LogLine {
    LogLine {
        timestamp: "2024-01-01T00:00:00.000Z".into(),
        execution_arn: arn.into(),
        state_name: "S".into(),
        source: "p".into(),
        level: Level::Info,
        message,
        fields: Vec::new(),
        entry: None,
        attempt: None,
    }
}

#[test]
fn lines_appended_later_from_many_threads_keep_each_executions_order() {
    let s = std::sync::Arc::new(RedbStore::in_memory().unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let arn = format!("arn:e{t}");
                    s.append_later(vec![line(&arn, format!("{i}a")), line(&arn, format!("{i}b\nnext"))]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // A synchronous append commits after every job queued before it.
    s.append(&[line("arn:e0", "last".into())]).unwrap();
    for t in 0..4 {
        let messages: Vec<String> = s
            .read(&format!("arn:e{t}"))
            .unwrap()
            .into_iter()
            .map(|l| l.message)
            .collect();
        let mut expected: Vec<String> = (0..100)
            .flat_map(|i| [format!("{i}a"), format!("{i}b\nnext")])
            .collect();
        if t == 0 {
            expected.push("last".into());
        }
        assert_eq!(messages, expected, "execution {t}");
    }
    assert_eq!(s.executions().unwrap().len(), 4);
}

fn execution(name: &str) -> ExecutionRecord {
    ExecutionRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:execution:m:{name}"),
        name: name.into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        version_arn: None,
        alias_arn: None,
        status: "RUNNING".into(),
        start_millis: 0,
        stop_millis: None,
        input: "{}".into(),
        output: None,
        error: None,
        cause: None,
        redrive_count: 0,
        redrive_millis: None,
        machine_name: "m".into(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        revision_id: "rev-1".into(),
        machine_update_millis: 0,
        seq: 0,
        test_case: None,
    }
}

#[test]
fn start_seqs_continue_after_reopening_and_records_keep_their_definition() {
    let path = tempdir().join("seqs.redb");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let started = |s: &RedbStore, name: &str| match rt
        .block_on(s.start_execution(execution(name), Vec::new(), None))
        .unwrap()
    {
        Started::New(r) => r,
        Started::Existing(_) => panic!("{name} exists"),
    };
    let event = |id: u64| StoredEvent {
        id,
        json: format!(r#"{{"id":{id}}}"#),
    };
    {
        let s = RedbStore::open(&path).unwrap();
        let a = started(&s, "a");
        let b = started(&s, "b");
        assert_eq!((a.seq, b.seq), (1, 2));
        let end = ExecutionEnd {
            status: "SUCCEEDED".into(),
            stop_millis: 1,
            output: Some("{}".into()),
            error: None,
            cause: None,
        };
        // b, the newest, ends: it is no longer running, only journaled.
        assert!(
            rt.block_on(s.finish_running_execution(&b, vec![event(1)], end))
                .unwrap()
        );
    }
    let s = RedbStore::open(&path).unwrap();
    assert_eq!(started(&s, "c").seq, 3, "a seq is never given twice");
    let b = s.execution(&execution("b").arn).unwrap().unwrap();
    assert_eq!(
        (b.status.as_str(), b.definition.as_str()),
        ("SUCCEEDED", execution("b").definition.as_str())
    );
    let running: Vec<String> = s.running_executions().unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(running, ["a", "c"]);
    let (events, more) = s.events(&b.arn, None, false, 10).unwrap();
    assert_eq!((events, more), (vec![event(1)], false));
}

/// A state machine record named `m` at `arn`, with `definition`.
pub(crate) fn machine_record(arn: &str, definition: &str) -> StateMachineRecord {
    StateMachineRecord {
        arn: arn.into(),
        name: "m".into(),
        definition: definition.into(),
        role_arn: "role".into(),
        machine_type: "STANDARD".into(),
        creation_millis: 0,
        update_millis: 0,
        revision_id: "r1".into(),
        logging_configuration: None,
        tracing_configuration: None,
        tags: Vec::new(),
        next_version: 1,
    }
}

#[test]
fn a_state_machine_read_after_each_change_is_the_changed_one() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let s = RedbStore::in_memory().unwrap();
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    let record = machine_record(arn, "first");
    assert!(s.state_machine(arn).unwrap().is_none());
    rt.block_on(s.create_state_machine(record)).unwrap();
    // Read twice: the second read comes from the cache.
    for _ in 0..2 {
        assert_eq!(s.state_machine(arn).unwrap().unwrap().definition, "first");
    }
    rt.block_on(s.update_state_machine(arn, |m| {
        m.definition = "second".into();
        Ok(())
    }))
    .unwrap();
    assert_eq!(s.state_machine(arn).unwrap().unwrap().definition, "second");
    rt.block_on(s.publish_version(arn, |m, v| {
        Ok(VersionRecord {
            arn: format!("{}:{v}", m.arn),
            state_machine_arn: m.arn.clone(),
            version: v,
            definition: m.definition.clone(),
            role_arn: m.role_arn.clone(),
            revision_id: m.revision_id.clone(),
            creation_millis: 0,
            description: None,
        })
    }))
    .unwrap();
    assert_eq!(s.state_machine(arn).unwrap().unwrap().next_version, 2);
    assert!(rt.block_on(s.delete_state_machine(arn)).unwrap());
    assert!(
        s.state_machine(arn).unwrap().is_none(),
        "a deleted machine is not served from the cache"
    );
}

#[test]
fn ended_executions_expire_oldest_first_with_their_history_logs_and_usage() {
    let path = tempdir().join("retention.redb");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let s = RedbStore::open(&path).unwrap();
    let arn = |name: &str| execution(name).arn;
    let end = |stop_millis: i64| ExecutionEnd {
        status: "SUCCEEDED".into(),
        stop_millis,
        output: Some("{}".into()),
        error: None,
        cause: None,
    };
    for (name, stop) in [("older", 1000), ("old", 2000), ("redriven", 1500), ("new", 5000)] {
        let started = match rt
            .block_on(s.start_execution(execution(name), Vec::new(), None))
            .unwrap()
        {
            Started::New(r) => r,
            Started::Existing(_) => panic!("{name} exists"),
        };
        let events = vec![StoredEvent {
            id: 1,
            json: r#"{"id":1}"#.into(),
        }];
        assert!(
            rt.block_on(s.finish_running_execution(&started, events, end(stop)))
                .unwrap()
        );
        s.append(&[LogLine {
            timestamp: "2026-12-07T00:00:00.000Z".into(),
            execution_arn: arn(name),
            state_name: "P".into(),
            source: "p".into(),
            level: Level::Info,
            message: format!("{name} ran"),
            fields: Vec::new(),
            entry: None,
            attempt: None,
        }])
        .unwrap();
        s.record_usage(TaskUsage {
            execution_arn: arn(name),
            ..TaskUsage::default()
        });
    }
    // Usage records are buffered (drained every 50 ms); reading flushes them.
    assert_eq!(s.usage(&arn("old")).unwrap().len(), 1);
    // A redriven execution runs again: it is not expired while it runs.
    rt.block_on(s.redrive_execution(&arn("redriven"), 3000, Vec::new(), "{}".into(), |_| Ok(())))
        .unwrap()
        .unwrap();

    let first = rt.block_on(s.expire_executions(2500, 1)).unwrap();
    assert_eq!(first.executions, 1);
    assert!(s.execution(&arn("older")).unwrap().is_none(), "the oldest goes first");
    assert!(s.execution(&arn("old")).unwrap().is_some());
    let rest = rt.block_on(s.expire_executions(2500, 100)).unwrap();
    assert_eq!(
        rest,
        Expired {
            executions: 1,
            log_values: 2
        },
        "old, with its lines and usage"
    );
    for gone in ["older", "old"] {
        assert!(s.execution(&arn(gone)).unwrap().is_none(), "{gone}");
        assert!(s.events(&arn(gone), None, false, 10).unwrap().0.is_empty(), "{gone}");
        assert!(s.read(&arn(gone)).unwrap().is_empty(), "{gone}");
        assert!(s.usage(&arn(gone)).unwrap().is_empty(), "{gone}");
    }
    let (listed, _) = s
        .executions_of(&execution("new").state_machine_arn, None, 10, |_| true)
        .unwrap();
    let mut names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["new", "redriven"]);
    assert_eq!(s.events(&arn("new"), None, false, 10).unwrap().0.len(), 1);
    assert_eq!(s.read(&arn("new")).unwrap().len(), 1);
    assert_eq!(rt.block_on(s.expire_executions(2500, 100)).unwrap(), Expired::default());
}
