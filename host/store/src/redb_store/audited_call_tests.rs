//! An audited call's change and its record commit in one batch; others'
//! writes are not lost meanwhile; a call that never records holds nobody
//! past the limit; caches never keep what a held write replaced.

use std::sync::Arc;
use std::time::Duration;

use super::RedbStore;
use super::audit_tests::record;
use crate::audited_call::{AuditedCall, HOLD_LIMIT};
use crate::{AuditLog, Condition, KvStore, StateMachineRecord};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
const NOW: &str = "2026-01-02T03:04:05Z";

fn machine(definition: &str) -> StateMachineRecord {
    crate::tests::machine_record(ARN, definition)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn armed() -> AuditedCall {
    let call = AuditedCall::new();
    call.arm();
    call
}

#[test]
fn an_audited_change_is_answered_before_its_commit_and_commits_with_its_record() {
    let rt = runtime();
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let before = store.commit_stats();
    let s = store.clone();
    rt.block_on(armed().scope(async move {
        assert_eq!(s.create_state_machine(machine("first")).await.unwrap(), None);
        // Answered, not committed: nobody reads it before its record is in.
        assert!(s.state_machine(ARN).unwrap().is_none());
        assert_eq!(s.audit_summary().unwrap().records, 0);
        s.record(&record("CreateStateMachine", NOW)).await.unwrap();
    }));
    let after = store.commit_stats();
    assert_eq!(store.state_machine(ARN).unwrap().unwrap().definition, "first");
    assert_eq!(store.audit_summary().unwrap().records, 1);
    assert_eq!((after.bound - before.bound, after.unbound - before.unbound), (1, 0));
    assert_eq!(
        after.commits - before.commits,
        1,
        "one commit for the change and its record"
    );
}

#[test]
fn an_unarmed_call_and_a_call_outside_any_scope_write_as_before() {
    let rt = runtime();
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let s = store.clone();
    rt.block_on(AuditedCall::new().scope(async move {
        s.create_state_machine(machine("first")).await.unwrap();
        // Durable when answered: the call was not armed.
        assert!(s.state_machine(ARN).unwrap().is_some());
        s.record(&record("DescribeStateMachine", NOW)).await.unwrap();
    }));
    assert_eq!(store.commit_stats().bound, 0);
    assert_eq!(store.audit_summary().unwrap().records, 1);
}

#[test]
fn others_writes_while_a_batch_waits_for_a_record_are_kept() {
    let rt = runtime();
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let s = store.clone();
    rt.block_on(async move {
        let call = armed();
        let held = s.clone();
        call.clone()
            .scope(async move { held.create_state_machine(machine("first")).await.unwrap() })
            .await;
        // Another caller (no scope) writes while the batch waits.
        let other = s.clone();
        let put = tokio::spawn(async move { other.put_async("orders", "o-1", "{}", Condition::Always).await });
        tokio::time::sleep(Duration::from_millis(5)).await;
        let recorder = s.clone();
        call.scope(async move { recorder.record(&record("CreateStateMachine", NOW)).await })
            .await
            .unwrap();
        put.await.unwrap().unwrap();
    });
    assert!(store.get("orders", "o-1").unwrap().is_some());
    assert!(store.state_machine(ARN).unwrap().is_some());
    assert_eq!(store.commit_stats().bound, 1);
}

#[test]
fn a_call_that_never_records_holds_its_batch_no_longer_than_the_limit() {
    let rt = runtime();
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let s = store.clone();
    let started = std::time::Instant::now();
    rt.block_on(async move {
        let held = s.clone();
        armed()
            .scope(async move { held.create_state_machine(machine("first")).await.unwrap() })
            .await;
        // Nothing records it; an ordinary write still gets through.
        s.put_async("orders", "o-1", "{}", Condition::Always).await.unwrap();
    });
    assert!(started.elapsed() >= HOLD_LIMIT, "the batch waited for the record");
    assert!(store.state_machine(ARN).unwrap().is_some(), "committed without it");
    assert_eq!(store.commit_stats().unbound, 1);
}

#[test]
fn a_read_between_a_held_change_and_its_commit_leaves_no_stale_machine_cached() {
    let rt = runtime();
    let store = Arc::new(RedbStore::in_memory().unwrap());
    rt.block_on(store.create_state_machine(machine("first"))).unwrap();
    let s = store.clone();
    rt.block_on(async move {
        let call = armed();
        let held = s.clone();
        call.clone()
            .scope(async move {
                held.update_state_machine(ARN, |m| {
                    m.definition = "second".into();
                    Ok(())
                })
                .await
                .unwrap()
            })
            .await;
        // Read (and cached) before the change commits: the old one.
        assert_eq!(s.state_machine(ARN).unwrap().unwrap().definition, "first");
        let recorder = s.clone();
        call.scope(async move { recorder.record(&record("UpdateStateMachine", NOW)).await })
            .await
            .unwrap();
    });
    assert_eq!(store.state_machine(ARN).unwrap().unwrap().definition, "second");
}
