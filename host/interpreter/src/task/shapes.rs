//! Mocked results checked against what an integration returns, with the
//! strictness of TestState's `fieldValidationMode`: `STRICT` (required
//! fields present, present fields of the right type), `PRESENT` (present
//! fields of the right type), `NONE`.
//!
//! Only `lambda:invoke`'s answer is modelled (Lambda's Invoke response:
//! `StatusCode` an integer, `FunctionError`, `LogResult` and
//! `ExecutedVersion` strings, `Payload` any JSON; none required; other
//! fields, such as the SDK metadata Step Functions adds, are not checked).
//! A Lambda function ARN's result is the function's own and any JSON goes;
//! other integrations are not checked yet.

use serde_json::Value;
use stepyard_asl::definition::ResourceKind;

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

/// Why `result` is not what `kind` returns, if it is not.
pub fn check_mocked_result(kind: &ResourceKind, result: &Value, mode: FieldValidation) -> Result<(), String> {
    if mode == FieldValidation::None || !super::is_lambda_invoke(kind) {
        return Ok(());
    }
    let Value::Object(fields) = result else {
        return Err("The mocked result of lambda:invoke must be a JSON object (Lambda's Invoke response).".into());
    };
    type Fits = fn(&Value) -> bool;
    let kinds: [(&str, Fits, &str); 4] = [
        (
            "StatusCode",
            |v| v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "an integer",
        ),
        ("FunctionError", Value::is_string, "a string"),
        ("LogResult", Value::is_string, "a string"),
        ("ExecutedVersion", Value::is_string, "a string"),
    ];
    for (field, fits, what) in kinds {
        if let Some(v) = fields.get(field)
            && !fits(v)
        {
            return Err(format!(
                "The mocked result of lambda:invoke has '{field}' = {v}, which must be {what} (Lambda's Invoke response)."
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stepyard_asl::definition::IntegrationPattern;

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
        let function = ResourceKind::LambdaFunction { function: "f".into() };
        assert!(check_mocked_result(&function, &json!("anything"), FieldValidation::Strict).is_ok());
    }
}
