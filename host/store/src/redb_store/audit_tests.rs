//! The audit trail in the database: records chain from the genesis value,
//! verification names the record that was changed, removed or inserted,
//! retention keeps what is left verifiable, lookups page newest first.

use serde_json::json;

use super::audit::{AUDIT, PRUNE_BATCH};
use super::{RedbStore, io, read_table};
use crate::AuditLog;
use crate::audit::*;

pub(super) fn record(name: &str, time: &str) -> AuditRecord {
    AuditRecord {
        event_version: EVENT_VERSION.to_owned(),
        user_identity: UserIdentity::anonymous(),
        event_time: time.to_owned(),
        event_source: "states.amazonaws.com".to_owned(),
        event_name: name.to_owned(),
        aws_region: "us-east-1".to_owned(),
        source_ip_address: "127.0.0.1".to_owned(),
        user_agent: "test".to_owned(),
        error_code: None,
        error_message: None,
        request_parameters: Some(json!({"name": name})),
        response_elements: None,
        additional_event_data: None,
        request_id: "r".to_owned(),
        event_id: "e".to_owned(),
        read_only: true,
        resources: Vec::new(),
        event_type: "AwsApiCall".to_owned(),
        management_event: true,
        recipient_account_id: "123456789012".to_owned(),
        event_category: "Management".to_owned(),
    }
}

const NOW: &str = "2026-01-02T03:04:05Z";

fn append(store: &RedbStore, name: &str, time: &str) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(store.record(&record(name, time))).unwrap()
}

/// A store holding records `a`, `b`, … (one per letter), all at `NOW`.
fn trail(names: &str) -> RedbStore {
    let store = RedbStore::in_memory().unwrap();
    for (i, name) in names.chars().enumerate() {
        assert_eq!(append(&store, &name.to_string(), NOW), i as u64 + 1);
    }
    store
}

fn raw(store: &RedbStore, seq: u64) -> RawAuditRecord {
    let read = store.begin_read().unwrap();
    let audit = read_table(&read, AUDIT).unwrap().unwrap();
    RawAuditRecord::decode(audit.get(seq).unwrap().unwrap().value()).unwrap()
}

fn put(store: &RedbStore, seq: u64, raw: &RawAuditRecord) {
    let bytes = raw.encode();
    store
        .committer
        .write(move |w| {
            w.open_table(AUDIT)
                .map_err(io)?
                .insert(seq, bytes.as_slice())
                .map_err(io)?;
            Ok(())
        })
        .unwrap();
}

fn remove(store: &RedbStore, seq: u64) {
    store
        .committer
        .write(move |w| {
            w.open_table(AUDIT).map_err(io)?.remove(seq).map_err(io)?;
            Ok(())
        })
        .unwrap();
}

fn problem(store: &RedbStore) -> Option<ChainProblem> {
    store.verify_audit().unwrap().problem
}

#[test]
fn records_chain_from_the_genesis_value_and_verify() {
    let store = trail("abc");
    assert_eq!(raw(&store, 1).previous, GENESIS);
    for seq in 1..=3 {
        let r = raw(&store, seq);
        assert_eq!(r.hash, chain_hash(&r.previous, r.json.as_bytes()));
        if seq > 1 {
            assert_eq!(
                r.previous,
                raw(&store, seq - 1).hash,
                "record {seq} links to the one before"
            );
        }
    }
    // The stored text is the record's JSON, fields in CloudTrail's order.
    let text = raw(&store, 2).json;
    assert!(
        text.starts_with(r#"{"eventVersion":"1.08","userIdentity":{"type":"AWSAccount""#),
        "{text}"
    );
    let report = store.verify_audit().unwrap();
    assert_eq!(
        (report.records, report.start, report.dropped, report.problem),
        (3, 1, 0, None)
    );
    assert_eq!(RedbStore::in_memory().unwrap().verify_audit().unwrap().records, 0);
}

#[test]
fn a_changed_byte_is_found_in_its_record() {
    let store = trail("abcde");
    let mut r = raw(&store, 3);
    r.json = r.json.replacen("\"c\"", "\"C\"", 1);
    put(&store, 3, &r);
    assert_eq!(problem(&store), Some(ChainProblem::Changed { seq: 3 }));
}

#[test]
fn a_removed_record_is_found_by_its_number_first_middle_or_last() {
    for (seq, expected) in [
        (1, ChainProblem::Missing { from: 1, to: 1 }),
        (3, ChainProblem::Missing { from: 3, to: 3 }),
        (5, ChainProblem::Missing { from: 5, to: 5 }),
    ] {
        let store = trail("abcde");
        remove(&store, seq);
        assert_eq!(problem(&store), Some(expected), "record {seq} removed");
    }
}

#[test]
fn a_removed_record_is_found_when_the_later_ones_were_renumbered() {
    let store = trail("abcde");
    for seq in 3..=4 {
        put(&store, seq, &raw(&store, seq + 1));
    }
    remove(&store, 5);
    assert_eq!(problem(&store), Some(ChainProblem::Unlinked { seq: 3 }));
}

#[test]
fn an_inserted_record_is_found_whether_or_not_its_link_was_forged() {
    for forged in [true, false] {
        let store = trail("abcde");
        for seq in (3..=5).rev() {
            put(&store, seq + 1, &raw(&store, seq));
        }
        let text = raw(&store, 2).json.replace("\"b\"", "\"x\"");
        let link = if forged { raw(&store, 2).hash } else { [9; 32] };
        put(&store, 3, &RawAuditRecord::linked(link, text));
        assert_eq!(
            problem(&store),
            Some(ChainProblem::Inserted { seq: 3 }),
            "forged link: {forged}"
        );
    }
}

#[test]
fn a_record_added_after_the_head_or_rewritten_whole_is_found() {
    let store = trail("abc");
    put(
        &store,
        4,
        &RawAuditRecord::linked(raw(&store, 3).hash, raw(&store, 3).json),
    );
    assert_eq!(problem(&store), Some(ChainProblem::BadHead { seq: 4, head: 3 }));

    // The last record rewritten with a hash that matches its new text.
    let store = trail("abc");
    let r = raw(&store, 3);
    put(
        &store,
        3,
        &RawAuditRecord::linked(r.previous, r.json.replace("\"c\"", "\"z\"")),
    );
    assert_eq!(problem(&store), Some(ChainProblem::BadHead { seq: 3, head: 3 }));

    // A middle one likewise: the next record no longer links to it.
    let store = trail("abc");
    let r = raw(&store, 2);
    put(
        &store,
        2,
        &RawAuditRecord::linked(r.previous, r.json.replace("\"b\"", "\"z\"")),
    );
    assert_eq!(problem(&store), Some(ChainProblem::Unlinked { seq: 3 }));
}

#[test]
fn a_damaged_record_is_named() {
    let store = trail("ab");
    let bytes = vec![1u8; 10];
    store
        .committer
        .write(move |w| {
            w.open_table(AUDIT)
                .map_err(io)?
                .insert(2, bytes.as_slice())
                .map_err(io)?;
            Ok(())
        })
        .unwrap();
    assert!(matches!(problem(&store), Some(ChainProblem::Damaged { seq: 2, .. })));
}

#[test]
fn retention_drops_the_oldest_and_what_is_left_still_verifies() {
    let store = RedbStore::in_memory().unwrap();
    for i in 0..10 {
        append(&store, &format!("old{i}"), "2020-01-01T00:00:00Z");
    }
    for i in 0..3 {
        append(&store, &format!("new{i}"), NOW);
    }
    let cutoff = event_millis("2025-01-01T00:00:00Z").unwrap();
    // Bounded batches: four, then the other six, then nothing.
    assert_eq!(store.prune_audit(cutoff, 4).unwrap(), 4);
    let report = store.verify_audit().unwrap();
    assert_eq!(
        (report.records, report.start, report.dropped, report.problem),
        (9, 5, 4, None)
    );
    assert_eq!(store.prune_audit(cutoff, PRUNE_BATCH).unwrap(), 6);
    assert_eq!(store.prune_audit(cutoff, PRUNE_BATCH).unwrap(), 0);
    // The chain goes on from the last record dropped.
    assert_eq!(append(&store, "later", NOW), 14);
    let report = store.verify_audit().unwrap();
    assert_eq!(
        (report.records, report.start, report.dropped, report.problem),
        (4, 11, 10, None)
    );
    let summary = store.audit_summary().unwrap();
    assert_eq!((summary.records, summary.dropped, summary.last), (4, 10, 14));
    // A removed first record after retention is still found.
    remove(&store, 11);
    assert_eq!(problem(&store), Some(ChainProblem::Missing { from: 11, to: 11 }));
}

#[test]
fn retention_can_drop_every_record_and_the_next_one_still_links() {
    let store = RedbStore::in_memory().unwrap();
    for _ in 0..3 {
        append(&store, "old", "2020-01-01T00:00:00Z");
    }
    assert_eq!(store.prune_audit(i64::MAX, PRUNE_BATCH).unwrap(), 3);
    assert_eq!(store.verify_audit().unwrap().problem, None);
    assert_eq!(append(&store, "new", NOW), 4);
    let report = store.verify_audit().unwrap();
    assert_eq!((report.records, report.start, report.problem), (1, 4, None));
}

#[test]
fn the_retention_thread_prunes_in_the_background() {
    let store = RedbStore::in_memory().unwrap();
    append(&store, "old", "2020-01-01T00:00:00Z");
    append(&store, "new", "2999-01-01T00:00:00Z");
    store.keep_audit_for(std::time::Duration::from_secs(86_400)).unwrap();
    let started = std::time::Instant::now();
    while store.audit_summary().unwrap().dropped == 0 {
        assert!(started.elapsed().as_secs() < 10, "nothing pruned");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(store.audit_summary().unwrap().records, 1);
    store.close();
}

#[test]
fn lookups_page_newest_first_through_filters_and_times() {
    let store = RedbStore::in_memory().unwrap();
    for (i, time) in ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]
        .iter()
        .enumerate()
    {
        append(&store, &format!("a{i}"), time);
        append(&store, &format!("b{i}"), time);
    }
    let names = |page: &AuditPage| {
        page.entries
            .iter()
            .map(|e| e.record.event_name.clone())
            .collect::<Vec<_>>()
    };
    let all = AuditQuery {
        limit: 4,
        ..AuditQuery::default()
    };
    let first = store.audit_lookup(&all, |_| true).unwrap();
    assert_eq!(names(&first), ["b2", "a2", "b1", "a1"]);
    let rest = store
        .audit_lookup(
            &AuditQuery {
                before: first.next,
                ..all.clone()
            },
            |_| true,
        )
        .unwrap();
    assert_eq!(
        (names(&rest), rest.next),
        (vec!["b0".to_owned(), "a0".to_owned()], None)
    );
    // The stored text comes back as it was hashed.
    assert_eq!(first.entries[0].json, raw(&store, 6).json);

    let only_a = store.audit_lookup(&all, |r| r.event_name.starts_with('a')).unwrap();
    assert_eq!(names(&only_a), ["a2", "a1", "a0"]);
    let day = AuditQuery {
        since_millis: event_millis("2026-01-02T00:00:00Z"),
        until_millis: event_millis("2026-01-02T12:00:00Z"),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(names(&store.audit_lookup(&day, |_| true).unwrap()), ["b1", "a1"]);
}
