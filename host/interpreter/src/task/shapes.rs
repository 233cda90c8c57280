//! Mocked results checked against what an integration returns, with the
//! strictness of TestState's `fieldValidationMode`: `STRICT` (required
//! fields present, present fields of the right type), `PRESENT` (present
//! fields of the right type), `NONE`.
//!
//! Modelled: the response fields of Lambda's Invoke (`lambda:invoke`), SQS
//! SendMessage, SNS Publish, DynamoDB GetItem/PutItem/UpdateItem/
//! DeleteItem, EventBridge PutEvents, and Step Functions' StartExecution
//! (and, for `.sync`, DescribeExecution's, whose `ExecutionArn`,
//! `StateMachineArn`, `Status` and `StartDate` are required). Fields a
//! model does not name (the SDK metadata Step Functions adds) are not
//! checked, as AWS ignores unknown fields. A Lambda function ARN's result
//! is the function's own and any JSON goes; other integrations are not
//! checked yet.

use serde_json::Value;
use stepyard_asl::definition::{IntegrationPattern, ResourceKind};

/// How strictly a mocked result is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldValidation {
    /// Required fields present, present fields of the right type (AWS's default).
    #[default]
    Strict,
    /// Present fields of the right type.
    Present,
    /// No check.
    None,
}

impl FieldValidation {
    /// `STRICT`, `PRESENT` or `NONE`.
    pub fn parse(text: &str) -> Option<FieldValidation> {
        match text {
            "STRICT" => Some(FieldValidation::Strict),
            "PRESENT" => Some(FieldValidation::Present),
            "NONE" => Some(FieldValidation::None),
            _ => None,
        }
    }
}

/// A field's type in a response model.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Obj,
    List,
    /// Epoch seconds or milliseconds, or a date text.
    Time,
}

impl Kind {
    fn fits(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Int => v.as_i64().is_some(),
            Kind::Obj => v.is_object(),
            Kind::List => v.is_array(),
            Kind::Time => v.is_number() || v.is_string(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Int => "an integer",
            Kind::Obj => "an object",
            Kind::List => "an array",
            Kind::Time => "a timestamp",
        }
    }
}

/// (field, type, required) of a response model.
type Field = (&'static str, Kind, bool);

const LAMBDA_INVOKE: &[Field] = &[
    ("StatusCode", Kind::Int, false),
    ("FunctionError", Kind::Str, false),
    ("LogResult", Kind::Str, false),
    ("ExecutedVersion", Kind::Str, false),
];
const SQS_SEND: &[Field] = &[
    ("MessageId", Kind::Str, false),
    ("MD5OfMessageBody", Kind::Str, false),
    ("MD5OfMessageAttributes", Kind::Str, false),
    ("SequenceNumber", Kind::Str, false),
];
const SNS_PUBLISH: &[Field] = &[("MessageId", Kind::Str, false), ("SequenceNumber", Kind::Str, false)];
const DYNAMODB_GET: &[Field] = &[("Item", Kind::Obj, false), ("ConsumedCapacity", Kind::Obj, false)];
const DYNAMODB_WRITE: &[Field] = &[
    ("Attributes", Kind::Obj, false),
    ("ConsumedCapacity", Kind::Obj, false),
    ("ItemCollectionMetrics", Kind::Obj, false),
];
const EVENTS_PUT: &[Field] = &[("Entries", Kind::List, false), ("FailedEntryCount", Kind::Int, false)];
const STATES_START: &[Field] = &[("ExecutionArn", Kind::Str, true), ("StartDate", Kind::Time, true)];
const STATES_DESCRIBE: &[Field] = &[
    ("ExecutionArn", Kind::Str, true),
    ("StateMachineArn", Kind::Str, true),
    ("Status", Kind::Str, true),
    ("StartDate", Kind::Time, true),
    ("StopDate", Kind::Time, false),
    ("Name", Kind::Str, false),
    ("Input", Kind::Str, false),
    ("Output", Kind::Str, false),
    ("Error", Kind::Str, false),
    ("Cause", Kind::Str, false),
];

/// The model of what `kind` returns, and its name for messages.
fn model(kind: &ResourceKind) -> Option<(&'static [Field], &'static str)> {
    let ResourceKind::Service {
        resource_type,
        resource,
        pattern,
    } = kind
    else {
        return None;
    };
    let sync = *pattern == IntegrationPattern::Sync;
    Some(match (resource_type.as_str(), resource.as_str()) {
        ("lambda", "invoke") if !sync => (LAMBDA_INVOKE, "Lambda's Invoke response"),
        ("sqs", "sendMessage") => (SQS_SEND, "SQS's SendMessage response"),
        ("sns", "publish") => (SNS_PUBLISH, "SNS's Publish response"),
        ("dynamodb", "getItem") => (DYNAMODB_GET, "DynamoDB's GetItem response"),
        ("dynamodb", "putItem" | "updateItem" | "deleteItem") => (DYNAMODB_WRITE, "DynamoDB's write response"),
        ("events", "putEvents") => (EVENTS_PUT, "EventBridge's PutEvents response"),
        ("states", "startExecution") if sync => (STATES_DESCRIBE, "Step Functions' DescribeExecution response"),
        ("states", "startExecution") => (STATES_START, "Step Functions' StartExecution response"),
        _ => return None,
    })
}

/// Why `result` is not what `kind` returns, if it is not.
pub fn check_mocked_result(kind: &ResourceKind, result: &Value, mode: FieldValidation) -> Result<(), String> {
    if mode == FieldValidation::None {
        return Ok(());
    }
    let (
        Some((fields, model_name)),
        ResourceKind::Service {
            resource_type,
            resource,
            ..
        },
    ) = (model(kind), kind)
    else {
        return Ok(());
    };
    let api = format!("{resource_type}:{resource}");
    let Value::Object(given) = result else {
        return Err(format!(
            "The mocked result of {api} must be a JSON object ({model_name})."
        ));
    };
    for (field, kind, required) in fields {
        match given.get(*field) {
            Some(v) if !kind.fits(v) => {
                return Err(format!(
                    "The mocked result of {api} has '{field}' = {v}, which must be {} ({model_name}).",
                    kind.name()
                ));
            }
            None if *required && mode == FieldValidation::Strict => {
                return Err(format!(
                    "The mocked result of {api} lacks '{field}', which {model_name} always has."
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invoke() -> ResourceKind {
        ResourceKind::Service {
            resource_type: "lambda".into(),
            resource: "invoke".into(),
            pattern: IntegrationPattern::RequestResponse,
        }
    }

    #[test]
    fn lambda_invoke_results_are_checked_field_by_field() {
        let ok = json!({"StatusCode": 200, "Payload": {"a": 1}, "Whatever": true});
        assert!(check_mocked_result(&invoke(), &ok, FieldValidation::Strict).is_ok());
        let bad = json!({"StatusCode": "200"});
        let e = check_mocked_result(&invoke(), &bad, FieldValidation::Present).unwrap_err();
        assert!(e.contains("'StatusCode'") && e.contains("integer"), "{e}");
        assert!(check_mocked_result(&invoke(), &bad, FieldValidation::None).is_ok());
        assert!(check_mocked_result(&invoke(), &json!([1]), FieldValidation::Strict).is_err());
        let sync = ResourceKind::Service {
            resource_type: "states".into(),
            resource: "startExecution".into(),
            pattern: IntegrationPattern::Sync,
        };
        let partial = json!({"ExecutionArn": "arn", "Status": "SUCCEEDED"});
        let e = check_mocked_result(&sync, &partial, FieldValidation::Strict).unwrap_err();
        assert!(e.contains("lacks 'StateMachineArn'"), "{e}");
        assert!(check_mocked_result(&sync, &partial, FieldValidation::Present).is_ok());
        let function = ResourceKind::LambdaFunction { function: "f".into() };
        assert!(check_mocked_result(&function, &json!("anything"), FieldValidation::Strict).is_ok());
    }
}
