//! Every call the API answers goes to the audit trail (CloudTrail's
//! analogue, `stepyard_service::audit`): who called ([`identity`]), from
//! where, what was asked and what came of it, refusals included. A
//! change's answer waits until its record is durable, and the record
//! commits in the change's own transaction (see
//! [`stepyard_service::audit::AuditedCall`]), so nothing is answered, or
//! kept after a crash, that the trail does not hold.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use serde_json::{Value, json};

use stepyard_service::ServiceError;
use stepyard_service::audit::{ApiCall, UserIdentity, is_read_only, resource};

use super::Api;
use super::auth::{AuthConfig, Principal};

/// The longest operation name or user agent kept (a caller chooses them).
const MAX_TEXT: usize = 256;

/// What the API learned of a call while handling it.
#[derive(Debug, Default)]
pub struct CallSeen {
    /// The operation (`StartExecution`), once the target was read.
    pub operation: String,
    /// Whether it is one of Stepyard's own operations.
    pub own: bool,
    /// The request document, once parsed.
    pub request: Option<Value>,
    /// The IAM action it was checked as (`states:StartExecution`).
    pub action: String,
    /// The resource it was checked on (`*` for none).
    pub resource: String,
    /// Who called, as far as authentication got.
    pub identity: Option<UserIdentity>,
}

impl CallSeen {
    /// Whether the call only reads, so that no change it made can be left
    /// without its record: its answer need not wait until the record is
    /// durable (the record still joins the next commit, and lookups of the
    /// trail wait for it).
    pub fn only_reads(&self) -> bool {
        is_read_only(&self.operation, self.own)
    }
}

/// The identity of an authenticated user: CloudTrail's `IAMUser`.
pub(crate) fn user_identity(auth: &AuthConfig, principal: &Principal) -> UserIdentity {
    UserIdentity {
        kind: "IAMUser".to_owned(),
        principal_id: Some(principal.access_key_id().to_owned()),
        arn: Some(principal.arn().to_owned()),
        account_id: Some(auth.account().to_owned()),
        access_key_id: Some(principal.access_key_id().to_owned()),
        user_name: Some(principal.name().to_owned()),
    }
}

/// The identity of a caller whose authentication failed: `Unknown`, with
/// the access key its signature named, if any.
pub(crate) fn unknown_identity(headers: &HeaderMap) -> UserIdentity {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .map(|k| truncate(k.trim(), 128));
    UserIdentity {
        kind: "Unknown".to_owned(),
        principal_id: None,
        arn: None,
        account_id: None,
        access_key_id: key,
        user_name: None,
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The caller's address, from the connection (`unknown` when the server
/// was not started with connection info).
pub fn source_ip(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The service an IAM action belongs to, as CloudTrail's `eventSource`.
fn event_source(action: &str) -> String {
    match action.split_once(':') {
        Some((service, _)) if !service.is_empty() => format!("{service}.amazonaws.com"),
        _ => "states.amazonaws.com".to_owned(),
    }
}

impl Api {
    /// Appends the record of a call to the audit trail (`None` when the
    /// server keeps none); the future completes once it is durable.
    pub fn record_call(
        &self,
        seen: &CallSeen,
        headers: &HeaderMap,
        extensions: &Extensions,
        outcome: Result<&Value, &ServiceError>,
        request_id: &str,
    ) -> Option<impl Future<Output = Result<u64, ServiceError>> + Send + use<>> {
        let account = &self.service.location().account;
        let identity = seen.identity.clone().unwrap_or_else(|| match &self.auth {
            None => UserIdentity::anonymous(),
            Some(_) => unknown_identity(headers),
        });
        let own = seen.own;
        let event_source = if own {
            event_source(&seen.action)
        } else {
            "states.amazonaws.com".to_owned()
        };
        let operation = truncate(&seen.operation, MAX_TEXT);
        let user_agent = headers
            .get("user-agent")
            .map(|v| truncate(&String::from_utf8_lossy(v.as_bytes()), MAX_TEXT))
            .unwrap_or_default();
        let call = ApiCall {
            event_source: &event_source,
            event_name: &operation,
            identity,
            source_ip: source_ip(extensions),
            user_agent,
            request: seen.request.as_ref(),
            outcome,
            request_id,
            resources: resource(&seen.resource, account).into_iter().collect(),
            read_only: is_read_only(&seen.operation, own),
            data_event: seen.action.starts_with("dynamodb:"),
            additional: own
                .then(|| json!({"stepyardOperation": format!("Stepyard.{operation}"), "action": seen.action})),
        };
        self.service.record_call(call)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_failed_signature_keeps_the_access_key_it_named() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        let identity = unknown_identity(&headers);
        assert_eq!(identity.kind, "Unknown");
        assert_eq!(identity.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(unknown_identity(&HeaderMap::new()).access_key_id, None);
    }

    #[test]
    fn stepyards_operations_are_sourced_from_the_service_they_stand_for() {
        assert_eq!(event_source("dynamodb:GetItem"), "dynamodb.amazonaws.com");
        assert_eq!(event_source("cloudtrail:LookupEvents"), "cloudtrail.amazonaws.com");
        assert_eq!(event_source(""), "states.amazonaws.com");
    }
}
