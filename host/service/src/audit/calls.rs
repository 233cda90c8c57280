//! What an API call's audit record holds: the call as the API saw it
//! ([`ApiCall`]), with the values AWS's Step Functions model marks
//! sensitive replaced by [`HIDDEN`] unless the trail keeps data.

use std::future::Future;

use serde_json::{Map, Value};

use super::{AuditRecord, AuditResource, EVENT_VERSION, HIDDEN, UserIdentity};
use crate::{Service, ServiceError, ServiceResult};

/// The request and answer fields whose values are hidden: those AWS's
/// Step Functions model marks sensitive (definitions, execution inputs and
/// outputs, errors and causes, version and alias descriptions, TestState's
/// variables, mocks and inspection data), wherever they appear.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "definition",
    "input",
    "output",
    "error",
    "cause",
    "description",
    "versionDescription",
    "redriveCause",
    "variables",
    "mock",
    "inspectionData",
];

/// One API call, as the API saw it.
#[derive(Debug, Clone)]
pub struct ApiCall<'a> {
    /// The service the call is addressed to (`states.amazonaws.com`, or the
    /// service of the AWS action a Stepyard operation stands for).
    pub event_source: &'a str,
    /// The operation (`StartExecution`, `LookupEvents`).
    pub event_name: &'a str,
    /// Who called (anonymous without `--auth`).
    pub identity: UserIdentity,
    /// The caller's address.
    pub source_ip: String,
    /// The request's `User-Agent`.
    pub user_agent: String,
    /// The request document, when it was one.
    pub request: Option<&'a Value>,
    /// The answer, or the error the caller got.
    pub outcome: Result<&'a Value, &'a ServiceError>,
    /// The request id the answer carries.
    pub request_id: &'a str,
    /// The resources the call named.
    pub resources: Vec<AuditResource>,
    /// Whether the operation only reads ([`is_read_only`]).
    pub read_only: bool,
    /// A data event (a table's items) rather than a management event.
    pub data_event: bool,
    /// What else is worth keeping (the IAM action a Stepyard operation was
    /// checked as).
    pub additional: Option<Value>,
}

/// Whether an operation only reads: CloudTrail's `readOnly` (`Describe…`,
/// `List…`, `Get…`, validation, and Stepyard's own operations, which all read).
pub fn is_read_only(operation: &str, own: bool) -> bool {
    if own {
        // Stepyard's own operations read, but for the alert rules.
        return !matches!(operation, "PutAlertRule" | "DeleteAlertRule");
    }
    ["Describe", "List", "Get", "Validate", "Search", "Count", "Lookup"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// `value` with every [`SENSITIVE_FIELDS`] value replaced by [`HIDDEN`],
/// at any depth.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if SENSITIVE_FIELDS.contains(&k.as_str()) {
                        Value::from(HIDDEN)
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// The `resources` entry of an ARN, typed by what it names; `None` for
/// `*` and text that is not an ARN.
pub fn resource(arn: &str, account: &str) -> Option<AuditResource> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return None;
    }
    let kind = match (parts[2], parts[5]) {
        ("states", "stateMachine") => "AWS::StepFunctions::StateMachine",
        ("states", "execution" | "express") => "AWS::StepFunctions::Execution",
        ("states", "activity") => "AWS::StepFunctions::Activity",
        ("dynamodb", rest) if rest.starts_with("table/") => "AWS::DynamoDB::Table",
        ("logs", _) => "AWS::Logs::LogGroup",
        ("lambda", _) => "AWS::Lambda::Function",
        _ => "AWS::Unknown",
    };
    Some(AuditResource {
        arn: arn.to_owned(),
        account_id: if parts[4].is_empty() { account } else { parts[4] }.to_owned(),
        kind: kind.to_owned(),
    })
}

/// The time of a record: the wall clock, to the second, as CloudTrail
/// writes it (not the service's clock, which `--time-scale` speeds up).
fn event_time() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Service {
    /// Appends the record of `call` to the audit trail, when there is one
    /// (`None` when calls are not recorded). Queued when this returns; the
    /// future completes once the record is durable, so an answer sent
    /// after it is never without its record.
    pub fn record_call(&self, call: ApiCall<'_>) -> Option<impl Future<Output = ServiceResult<u64>> + Send + use<>> {
        let settings = self.audit?;
        let shown = |v: &Value| if settings.include_data { v.clone() } else { redact(v) };
        let read_only = call.read_only;
        let (response, error_code, error_message) = match call.outcome {
            // Reads have no responseElements, as in CloudTrail.
            Ok(_) if read_only => (None, None, None),
            Ok(answer) => (Some(shown(answer)), None, None),
            Err(e) => (None, Some(e.code.to_owned()), Some(e.message.clone())),
        };
        let record = AuditRecord {
            event_version: EVENT_VERSION.to_owned(),
            user_identity: call.identity,
            event_time: event_time(),
            event_source: call.event_source.to_owned(),
            event_name: call.event_name.to_owned(),
            aws_region: self.here.region.clone(),
            source_ip_address: call.source_ip,
            user_agent: call.user_agent,
            error_code,
            error_message,
            request_parameters: call.request.map(shown),
            response_elements: response,
            additional_event_data: call.additional,
            request_id: call.request_id.to_owned(),
            event_id: crate::new_request_id(),
            read_only,
            resources: call.resources,
            event_type: "AwsApiCall".to_owned(),
            management_event: !call.data_event,
            recipient_account_id: self.here.account.clone(),
            event_category: if call.data_event { "Data" } else { "Management" }.to_owned(),
        };
        Some(self.record(&record))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sensitive_values_are_hidden_at_any_depth_and_the_rest_kept() {
        let request = json!({
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "input": "{\"card\":\"4111\"}",
            "definition": {"StartAt": "A"},
            "routingConfiguration": [{"description": "x", "weight": 100}],
        });
        assert_eq!(
            redact(&request),
            json!({
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                "input": HIDDEN,
                "definition": HIDDEN,
                "routingConfiguration": [{"description": HIDDEN, "weight": 100}],
            })
        );
    }

    #[test]
    fn reads_are_read_only_and_resources_are_typed() {
        assert!(is_read_only("DescribeExecution", false));
        assert!(is_read_only("ScanTable", true));
        assert!(!is_read_only("PutAlertRule", true));
        assert!(!is_read_only("StopExecution", false));
        let r = resource("arn:aws:states:us-east-1:123456789012:execution:m:e", "1").unwrap();
        assert_eq!(r.kind, "AWS::StepFunctions::Execution");
        assert_eq!(r.account_id, "123456789012");
        assert_eq!(
            resource("arn:aws:dynamodb:us-east-1:123456789012:table/orders", "1")
                .unwrap()
                .kind,
            "AWS::DynamoDB::Table"
        );
        assert!(resource("*", "1").is_none());
    }
}
