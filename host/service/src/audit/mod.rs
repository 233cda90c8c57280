//! The audit trail, as the service offers it: recording (for the API and
//! the role checks), `Stepyard.LookupEvents` (CloudTrail's LookupEvents:
//! newest first, filters, `maxResults`, `nextToken`) and
//! `Stepyard.VerifyAuditTrail` (the hash chain walked).
//!
//! The records themselves are the store's ([`stepyard_store::audit`]); the
//! service decides whether there is a trail ([`AuditSettings`]), what a
//! call's record holds ([`ApiCall`], sensitive values hidden) and how the
//! trail is searched.

mod calls;

pub use calls::{ApiCall, SENSITIVE_FIELDS, is_read_only, redact, resource};

use std::future::Future;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Service, ServiceError, ServiceResult, parse};
use stepyard_store::AuditLog;
pub use stepyard_store::AuditedCall;
use stepyard_store::audit::{AuditEntry, AuditQuery};
pub use stepyard_store::audit::{
    AuditRecord, AuditResource, ChainProblem, EVENT_VERSION, HIDDEN, UserIdentity, event_millis,
};

/// Error codes that mean the caller was refused: not authenticated, or not
/// allowed (what `deniedOnly` selects).
pub const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
];

/// Whether and how calls are recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditSettings {
    /// Keep the values of sensitive fields (definitions, inputs, outputs,
    /// errors, causes) instead of CloudTrail's `HIDDEN_DUE_TO_SECURITY_REASONS`.
    pub include_data: bool,
}

/// Most events one LookupEvents page holds (CloudTrail's limit).
const MAX_RESULTS: i64 = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LookupEventsRequest {
    #[serde(default)]
    lookup_attributes: Vec<LookupAttribute>,
    /// Epoch seconds, as the JSON protocol writes timestamps.
    start_time: Option<f64>,
    end_time: Option<f64>,
    max_results: Option<i64>,
    next_token: Option<String>,
    /// Only calls that were refused (Stepyard's addition).
    #[serde(default)]
    denied_only: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LookupAttribute {
    attribute_key: String,
    attribute_value: String,
}

/// One condition on records, from a lookup attribute.
enum Filter {
    EventId(String),
    EventName(String),
    EventSource(String),
    ReadOnly(bool),
    Username(String),
    AccessKeyId(String),
    ResourceName(String),
    ResourceType(String),
}

impl Filter {
    fn parse(attribute: LookupAttribute) -> ServiceResult<Filter> {
        let value = attribute.attribute_value;
        Ok(match attribute.attribute_key.as_str() {
            "EventId" => Filter::EventId(value),
            "EventName" => Filter::EventName(value),
            "EventSource" => Filter::EventSource(value),
            "ReadOnly" => Filter::ReadOnly(value.eq_ignore_ascii_case("true")),
            "Username" => Filter::Username(value),
            "AccessKeyId" => Filter::AccessKeyId(value),
            "ResourceName" => Filter::ResourceName(value),
            "ResourceType" => Filter::ResourceType(value),
            other => {
                return Err(ServiceError::new(
                    "InvalidLookupAttributesException",
                    format!(
                        "'{other}' is not a lookup attribute (EventId, EventName, EventSource, ReadOnly, \
                         Username, AccessKeyId, ResourceName, ResourceType)"
                    ),
                ));
            }
        })
    }

    fn keeps(&self, record: &AuditRecord) -> bool {
        match self {
            Filter::EventId(id) => record.event_id == *id,
            Filter::EventName(name) => record.event_name == *name,
            Filter::EventSource(source) => record.event_source == *source,
            Filter::ReadOnly(read_only) => record.read_only == *read_only,
            Filter::Username(name) => record.user_identity.name() == Some(name.as_str()),
            Filter::AccessKeyId(key) => record.user_identity.access_key_id.as_deref() == Some(key.as_str()),
            // A name matches the ARN itself or its last part.
            Filter::ResourceName(name) => record.resources.iter().any(|r| {
                r.arn == *name || r.arn.ends_with(&format!(":{name}")) || r.arn.ends_with(&format!("/{name}"))
            }),
            Filter::ResourceType(kind) => record.resources.iter().any(|r| r.kind == *kind),
        }
    }
}

/// Whether a record is of a refused call.
pub fn is_denied(record: &AuditRecord) -> bool {
    record
        .error_code
        .as_deref()
        .is_some_and(|code| DENIED_CODES.contains(&code))
}

impl Service {
    /// Records every API call (and every refusal of a role) in the audit
    /// trail with `settings`; `None` turns the trail off.
    pub fn with_audit(mut self, settings: Option<AuditSettings>) -> Service {
        self.audit = settings;
        self
    }

    /// Whether calls are recorded, and how.
    pub fn audit(&self) -> Option<AuditSettings> {
        self.audit
    }

    /// Appends `record` to the audit trail; completes once it is durable.
    /// Queued at once: it is written even if the future is dropped.
    pub fn record(&self, record: &AuditRecord) -> impl Future<Output = ServiceResult<u64>> + Send + use<> {
        let written = self.store.record(record);
        async move { Ok(written.await?) }
    }

    pub(crate) fn lookup_events(&self, request: Value) -> ServiceResult<Value> {
        let req: LookupEventsRequest = parse(request)?;
        let filters = req
            .lookup_attributes
            .into_iter()
            .map(Filter::parse)
            .collect::<ServiceResult<Vec<_>>>()?;
        let limit = match req.max_results {
            None | Some(0) => MAX_RESULTS,
            Some(n @ 1..=MAX_RESULTS) => n,
            Some(n) => {
                return Err(ServiceError::new(
                    "InvalidMaxResultsException",
                    format!("maxResults must be between 1 and {MAX_RESULTS}, got {n}"),
                ));
            }
        } as usize;
        let millis = |t: Option<f64>| t.map(|s| (s * 1000.0).round() as i64);
        let (since, until) = (millis(req.start_time), millis(req.end_time));
        if let (Some(since), Some(until)) = (since, until)
            && since > until
        {
            return Err(ServiceError::new(
                "InvalidTimeRangeException",
                "startTime must be before endTime",
            ));
        }
        let before = match &req.next_token {
            None => None,
            Some(token) => Some(token.parse::<u64>().map_err(|_| {
                ServiceError::new("InvalidNextTokenException", format!("Invalid nextToken: '{token}'"))
            })?),
        };
        let query = AuditQuery {
            before,
            since_millis: since,
            until_millis: until,
            limit,
        };
        let denied_only = req.denied_only;
        let page = self.store.audit_lookup(&query, |r| {
            filters.iter().all(|f| f.keeps(r)) && (!denied_only || is_denied(r))
        })?;
        let events: Vec<Value> = page.entries.iter().map(event_json).collect();
        let mut out = json!({ "events": events });
        if let Some(next) = page.next {
            out["nextToken"] = next.to_string().into();
        }
        Ok(out)
    }

    pub(crate) fn verify_audit_trail(&self) -> ServiceResult<Value> {
        let report = self.store.verify_audit()?;
        let mut out = json!({
            "records": report.records,
            "start": report.start,
            "dropped": report.dropped,
            "intact": report.problem.is_none(),
        });
        if let Some(problem) = &report.problem {
            out["problem"] = json!({
                "sequence": problem.seq(),
                "kind": problem.kind(),
                "message": problem.to_string(),
            });
        }
        Ok(out)
    }
}

/// One event of a LookupEvents answer, in CloudTrail's shape: the fields
/// searched by, and the record itself as JSON text (`cloudTrailEvent`).
fn event_json(entry: &AuditEntry) -> Value {
    let r = &entry.record;
    let mut event = json!({
        "eventId": r.event_id,
        "eventName": r.event_name,
        "readOnly": r.read_only.to_string(),
        "eventTime": event_millis(&r.event_time).map_or(Value::Null, |ms| Value::from(ms as f64 / 1000.0)),
        "eventSource": r.event_source,
        "resources": r.resources.iter().map(|res| json!({"resourceType": res.kind, "resourceName": res.arn})).collect::<Vec<_>>(),
        "cloudTrailEvent": entry.json,
        "sequence": entry.seq,
    });
    if let Some(key) = &r.user_identity.access_key_id {
        event["accessKeyId"] = key.clone().into();
    }
    if let Some(name) = r.user_identity.name() {
        event["username"] = name.into();
    }
    event
}
