//! The audit trail's records and their hash chain (the CloudTrail analogue).
//!
//! A record is one event in CloudTrail's record shape ([`AuditRecord`]): an
//! API call that reached `stepyard serve`, or an action a plugin's role
//! refused. The store keeps records append-only, each with the SHA-256 of
//! the previous record's hash followed by the record's JSON text as stored
//! ([`chain_hash`]), chained from [`GENESIS`], so that a changed, removed or
//! inserted record shows (`RedbStore::verify_audit`). Who builds a record
//! (the API, the plugin runtime) decides what goes in it, redaction
//! included; the store writes the text it serialises, and never changes it.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The record format version: CloudTrail's, of the fields these records use
/// (`eventCategory` came with 1.07, `tlsDetails`, which Stepyard leaves out,
/// with 1.08).
pub const EVENT_VERSION: &str = "1.08";

/// The hash the first record of a trail links to: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0; 32];

/// What the value of a sensitive field is replaced with, CloudTrail's text
/// for the request and response fields an AWS model marks sensitive.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// The link of a record: SHA-256 of the previous record's hash, then the
/// record's JSON text as stored.
pub fn chain_hash(previous: &[u8; 32], json: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(json);
    hasher.finalize().into()
}

/// One event, in CloudTrail's record shape and field order. Serialised
/// (compact, in this order) it is the text that is stored and hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The record format's version ([`EVENT_VERSION`]).
    pub event_version: String,
    /// Who acted.
    pub user_identity: UserIdentity,
    /// When the request completed: RFC 3339 in UTC, to the second
    /// (`2026-01-02T03:04:05Z`), as CloudTrail writes it.
    pub event_time: String,
    /// The service the request was made to (`states.amazonaws.com`…).
    pub event_source: String,
    /// The operation (`StartExecution`) or, for a plugin's refused import,
    /// the action's name (`PutItem`).
    pub event_name: String,
    /// The region the request was made to.
    pub aws_region: String,
    /// The caller's IP address; for a plugin's action, the plugin's name
    /// (as CloudTrail names the AWS service that acted).
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    /// The request's `User-Agent`.
    pub user_agent: String,
    /// The error code, when the request failed or was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error's text, when the request failed or was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The request's parameters, sensitive values replaced by [`HIDDEN`]
    /// unless data is kept; `null` when the request had none readable.
    pub request_parameters: Option<Value>,
    /// The answer of a call that changes something (reads have `null`, as
    /// in CloudTrail), sensitive values replaced likewise.
    pub response_elements: Option<Value>,
    /// What else is known that is neither request nor answer (Stepyard's
    /// own operation name, the execution a plugin ran for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    /// The request id the API answered with (`x-amzn-RequestId`).
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// A UUID naming this record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// The resources the request named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<AuditResource>,
    /// `AwsApiCall`.
    pub event_type: String,
    /// Whether this is a management event (the Step Functions API) rather
    /// than a data event (a table item).
    pub management_event: bool,
    /// The account the event belongs to.
    pub recipient_account_id: String,
    /// `Management` or `Data`.
    pub event_category: String,
}

/// Who made a request: CloudTrail's `userIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `IAMUser`, `AssumedRole`, `AWSAccount` (anonymous callers) or
    /// `Unknown` (a request whose signature did not check out).
    #[serde(rename = "type")]
    pub kind: String,
    /// A unique id of the caller (empty for anonymous callers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The caller's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The caller's account (`anonymous` for anonymous callers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The access key the request was signed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The user's name (IAM users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

impl UserIdentity {
    /// A caller nobody authenticated: CloudTrail's shape for an anonymous
    /// request (`AWSAccount`, account `anonymous`), which is every caller
    /// of a server without `--auth`.
    pub fn anonymous() -> UserIdentity {
        UserIdentity {
            kind: "AWSAccount".to_owned(),
            principal_id: Some(String::new()),
            arn: None,
            account_id: Some("anonymous".to_owned()),
            access_key_id: None,
            user_name: None,
        }
    }

    /// The name a search by user matches (CloudTrail's `Username`): the
    /// user's name; for an assumed role, its session name (the last part of
    /// the ARN); else the account (`anonymous`).
    pub fn name(&self) -> Option<&str> {
        if let Some(name) = &self.user_name {
            return Some(name);
        }
        if let Some(arn) = &self.arn
            && arn.contains(":assumed-role/")
        {
            return arn.rsplit('/').next();
        }
        self.account_id.as_deref()
    }
}

/// A resource a request named: CloudTrail's `resources` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResource {
    /// Its ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// The account that owns it.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// Its type (`AWS::StepFunctions::StateMachine`, `AWS::DynamoDB::Table`…).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Where audit records go.
pub trait AuditLog: Send + Sync {
    /// Appends `record` to the trail. It is queued when this returns, so
    /// it is written even if the future is dropped; the future completes
    /// with the record's sequence number once the record is durable.
    fn record(&self, record: &AuditRecord) -> BoxFuture<'static, Result<u64, StoreError>>;

    /// Completes once every record queued before this call is durable and
    /// visible to lookups: a reader of the trail sees the calls made before
    /// it, including those whose answers did not wait for their records.
    fn settled(&self) -> BoxFuture<'static, Result<(), StoreError>>;
}

/// One stored record: its place in the trail, the record, and its JSON
/// text exactly as stored and hashed.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its sequence number (1 for the first record of a trail).
    pub seq: u64,
    /// The record.
    pub record: AuditRecord,
    /// The record's JSON text, as stored.
    pub json: String,
}

/// Which records a lookup wants, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records before this sequence number (a page's continuation).
    pub before: Option<u64>,
    /// Only records at or after this time (epoch milliseconds).
    pub since_millis: Option<i64>,
    /// Only records at or before this time (epoch milliseconds).
    pub until_millis: Option<i64>,
    /// At most this many records.
    pub limit: usize,
}

/// One page of a lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditPage {
    /// The records found, newest first.
    pub entries: Vec<AuditEntry>,
    /// Where the next page starts (its [`AuditQuery::before`]), when older
    /// records may match.
    pub next: Option<u64>,
}

/// What walking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The records walked.
    pub records: u64,
    /// The sequence number the chain starts at (1, or after the records
    /// retention dropped).
    pub start: u64,
    /// Records retention has dropped, in the life of the database.
    pub dropped: u64,
    /// The first problem found; `None` when the chain is intact.
    pub problem: Option<ChainProblem>,
}

/// A place where the chain is broken, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// The record's content no longer matches its hash.
    #[error("record {seq} was changed: its content no longer matches its hash")]
    Changed {
        /// The record.
        seq: u64,
    },
    /// Sequence numbers are missing.
    #[error("{}", missing(*.from, *.to))]
    Missing {
        /// The first missing one.
        from: u64,
        /// The last missing one.
        to: u64,
    },
    /// A record that does not belong: the one after it links to the one
    /// before it.
    #[error("record {seq} was inserted: record {} links to record {}, the one before it", .seq + 1, .seq - 1)]
    Inserted {
        /// The record.
        seq: u64,
    },
    /// The record does not link to the record before it, and its link names
    /// no record that is there.
    #[error(
        "record {seq} does not follow record {}: its link names a hash no record here has \
         (a record between them was removed and the later ones renumbered, or record {} was rewritten with a new hash)",
        .seq - 1, .seq - 1
    )]
    Unlinked {
        /// The record.
        seq: u64,
    },
    /// The first record does not link to where the chain starts.
    #[error("record {seq} does not follow the chain's start (the genesis value, or the last record retention dropped)")]
    BadStart {
        /// The record.
        seq: u64,
    },
    /// The last record is not the one the trail last wrote.
    #[error("record {seq} is the last one, but the trail last wrote record {head}{}", if .seq > .head { ": the records after it were added" } else { ": it was rewritten" })]
    BadHead {
        /// The last record there is.
        seq: u64,
        /// The last record written.
        head: u64,
    },
    /// The record cannot be read at all.
    #[error("record {seq} is damaged: {reason}")]
    Damaged {
        /// The record.
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl ChainProblem {
    /// The record where the chain breaks (the first missing one, for
    /// removed records).
    pub fn seq(&self) -> u64 {
        match self {
            ChainProblem::Changed { seq }
            | ChainProblem::Inserted { seq }
            | ChainProblem::Unlinked { seq }
            | ChainProblem::BadStart { seq }
            | ChainProblem::BadHead { seq, .. }
            | ChainProblem::Damaged { seq, .. } => *seq,
            ChainProblem::Missing { from, .. } => *from,
        }
    }

    /// What kind of break it is: `changed`, `missing`, `inserted`,
    /// `unlinked`, `bad-start`, `bad-head` or `damaged`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChainProblem::Changed { .. } => "changed",
            ChainProblem::Missing { .. } => "missing",
            ChainProblem::Inserted { .. } => "inserted",
            ChainProblem::Unlinked { .. } => "unlinked",
            ChainProblem::BadStart { .. } => "bad-start",
            ChainProblem::BadHead { .. } => "bad-head",
            ChainProblem::Damaged { .. } => "damaged",
        }
    }
}

fn missing(from: u64, to: u64) -> String {
    if from == to {
        format!("record {from} is missing: it was removed")
    } else {
        format!("records {from} to {to} are missing: they were removed")
    }
}

/// A stored record's parts: its link to the previous record, its hash and
/// its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAuditRecord {
    /// The hash of the record before it (its link).
    pub previous: [u8; 32],
    /// [`chain_hash`] of `previous` and `json`, as written.
    pub hash: [u8; 32],
    /// The record's JSON text.
    pub json: String,
}

impl RawAuditRecord {
    /// A record linked to `previous`, its hash computed.
    pub fn linked(previous: [u8; 32], json: String) -> RawAuditRecord {
        let hash = chain_hash(&previous, json.as_bytes());
        RawAuditRecord { previous, hash, json }
    }

    /// As stored: link, hash, text.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.json.len());
        out.extend_from_slice(&self.previous);
        out.extend_from_slice(&self.hash);
        out.extend_from_slice(self.json.as_bytes());
        out
    }

    /// Reads a stored value back.
    pub(crate) fn decode(bytes: &[u8]) -> Result<RawAuditRecord, String> {
        if bytes.len() < 64 {
            return Err(format!("{} bytes, shorter than its two hashes", bytes.len()));
        }
        let (previous, rest) = bytes.split_at(32);
        let (hash, json) = rest.split_at(32);
        let json = std::str::from_utf8(json).map_err(|e| format!("its text is not UTF-8: {e}"))?;
        Ok(RawAuditRecord {
            previous: previous.try_into().unwrap_or(GENESIS),
            hash: hash.try_into().unwrap_or(GENESIS),
            json: json.to_owned(),
        })
    }
}

/// A record's time as epoch milliseconds (`None` when it does not parse).
pub fn event_millis(event_time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(event_time)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_covers_the_previous_hash_and_every_byte_of_the_text() {
        let first = chain_hash(&GENESIS, br#"{"eventName":"StartExecution"}"#);
        assert_ne!(first, chain_hash(&GENESIS, br#"{"eventName":"StartExecutioN"}"#));
        assert_ne!(first, chain_hash(&[1; 32], br#"{"eventName":"StartExecution"}"#));
        // SHA-256 of 32 zero bytes then the text, as any sha256sum computes it.
        let mut input = vec![0u8; 32];
        input.extend_from_slice(b"abc");
        assert_eq!(chain_hash(&GENESIS, b"abc"), <[u8; 32]>::from(Sha256::digest(&input)));
    }

    #[test]
    fn a_stored_record_reads_back_and_a_short_one_is_damaged() {
        let raw = RawAuditRecord::linked([7; 32], "{}".to_owned());
        assert_eq!(RawAuditRecord::decode(&raw.encode()).unwrap(), raw);
        assert!(RawAuditRecord::decode(&[0; 40]).unwrap_err().contains("40 bytes"));
    }

    #[test]
    fn a_search_by_user_matches_the_user_the_role_session_or_anonymous() {
        let mut user = UserIdentity::anonymous();
        assert_eq!(user.name(), Some("anonymous"));
        user.arn = Some("arn:aws:sts::123456789012:assumed-role/hostile-role/hostile".into());
        assert_eq!(user.name(), Some("hostile"));
        user.user_name = Some("reader".into());
        assert_eq!(user.name(), Some("reader"));
    }

    #[test]
    fn times_parse_as_rfc_3339() {
        assert_eq!(event_millis("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(event_millis("yesterday"), None);
    }
}
