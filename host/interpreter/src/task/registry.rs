//! A registry of named functions behind the [`TaskInvoker`] trait: resolves
//! a Task's `Resource` (a Lambda ARN, a bare name, or
//! `arn:aws:states:::lambda:invoke` with `FunctionName`) to a function and
//! shapes the result and errors as AWS Lambda does.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{ResourceKind, TaskContext, TaskFailure, TaskInvoker, TaskRequest};
use crate::clock::BoxFuture;

/// An error a function raises, as a Lambda runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType`: becomes the ASL error name that `Retry`/`Catch` match.
    pub error_type: String,
    /// `errorMessage`.
    pub message: String,
    /// `stackTrace` lines, when the runtime gives them.
    pub stack_trace: Vec<String>,
}

impl FunctionError {
    /// An error without a stack trace.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> FunctionError {
        FunctionError {
            error_type: error_type.into(),
            message: message.into(),
            stack_trace: Vec::new(),
        }
    }
}

/// What a function call produced: a result, a function error (the
/// function ran and raised), or a failure of the service itself (the
/// function could not run: its name is the ASL error, e.g. `Lambda.Unknown`).
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// The function's response payload (wrapped in `lambda:invoke`'s result shape there).
    Ok(Value),
    /// The function raised: its `errorType` becomes the state's error name.
    FunctionError(FunctionError),
    /// The function could not run: the state fails with this failure as it is.
    ServiceError(TaskFailure),
}

/// Something the registry can call by name.
pub trait Function: Send + Sync {
    /// Runs the function on `payload`, the Lambda event, for the task `context` describes.
    fn call(&self, payload: Value, context: TaskContext) -> BoxFuture<'static, CallOutcome>;
}

/// Named functions and aliases (`--lambdas`: a definition's function name
/// → the function that serves it).
#[derive(Default, Clone)]
pub struct Registry {
    functions: HashMap<String, Arc<dyn Function>>,
    aliases: HashMap<String, String>,
}

impl Registry {
    /// A registry with no functions and no aliases.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Serves calls to `name` with `function`, replacing any function already under it.
    pub fn register(&mut self, name: impl Into<String>, function: Arc<dyn Function>) {
        self.functions.insert(name.into(), function);
    }

    /// Makes calls to `name` go to the function registered as `target`.
    pub fn alias(&mut self, name: impl Into<String>, target: impl Into<String>) {
        self.aliases.insert(name.into(), target.into());
    }

    /// The names functions are registered under (not aliases), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// The function a `FunctionName` (name, partial or full ARN, with or
    /// without a qualifier) refers to.
    pub fn resolve(&self, function_name: &str) -> Option<Arc<dyn Function>> {
        let name = function_name_of(function_name);
        let target = self.aliases.get(name).map_or(name, String::as_str);
        self.functions
            .get(target)
            .or_else(|| self.aliases.get("*").and_then(|t| self.functions.get(t)))
            .cloned()
    }
}

/// `arn:aws:lambda:us-east-1:123456789012:function:name:prod` → `name`;
/// `123456789012:function:name` → `name`; `name:prod` → `name`.
pub(crate) fn function_name_of(reference: &str) -> &str {
    let parts: Vec<&str> = reference.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() => parts[i + 1],
        _ => parts[0],
    }
}

/// AWS's cause for a function that does not exist.
fn not_found(reference: &str) -> TaskFailure {
    let name = function_name_of(reference);
    TaskFailure::new(
        "Lambda.ResourceNotFoundException",
        format!(
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
            stepyard_asl::ids::random_uuid()
        ),
    )
}

/// A function error as Step Functions reports it: the error type as the
/// error name, the Lambda error document as the cause.
fn function_failure(e: FunctionError) -> TaskFailure {
    let cause = json!({
        "errorMessage": e.message,
        "errorType": e.error_type,
        "requestId": stepyard_asl::ids::random_uuid().to_string(),
        "stackTrace": e.stack_trace,
    });
    TaskFailure {
        error: e.error_type,
        cause: Some(cause.to_string()),
    }
}

/// `lambda:invoke`'s result shape around a function's payload.
pub(crate) fn invoke_output(payload: Value) -> Value {
    let request_id = stepyard_asl::ids::random_uuid().to_string();
    let length = payload.to_string().len().to_string();
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let trace = format!(
        "Root=1-{:08x}-{}",
        chrono::Utc::now().timestamp(),
        &stepyard_asl::ids::random_uuid().simple().to_string()[..24]
    );
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "Connection": ["keep-alive"],
                "Content-Length": [length],
                "Content-Type": ["application/json"],
                "Date": [date],
                "X-Amz-Executed-Version": ["$LATEST"],
                "X-Amzn-Trace-Id": [trace],
                "x-amzn-Remapped-Content-Length": ["0"],
                "x-amzn-RequestId": [request_id],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": "$LATEST",
                "X-Amzn-Trace-Id": trace,
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    })
}

impl TaskInvoker for Registry {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let TaskRequest {
            resource,
            kind,
            input,
            context,
            ..
        } = request;
        let (reference, payload, wrap) = match &kind {
            ResourceKind::LambdaFunction { .. } => (resource.clone(), input, false),
            ResourceKind::Service {
                resource_type,
                resource: action,
                ..
            } if resource_type == "lambda" && action == "invoke" => {
                let Some(name) = input.get("FunctionName").and_then(Value::as_str).map(str::to_owned) else {
                    let failure = TaskFailure::new(
                        crate::names::RUNTIME,
                        "The lambda:invoke integration needs a FunctionName string in its parameters",
                    );
                    return Box::pin(async move { Err(failure) });
                };
                let payload = input
                    .get("Payload")
                    .cloned()
                    .unwrap_or(Value::Object(Default::default()));
                (name, payload, true)
            }
            _ => {
                return super::NoTasks.invoke(TaskRequest {
                    resource,
                    kind,
                    input,
                    context,
                    heartbeat: Default::default(),
                });
            }
        };
        let Some(function) = self.resolve(&reference) else {
            let failure = not_found(&reference);
            return Box::pin(async move { Err(failure) });
        };
        let call = function.call(payload, context);
        Box::pin(async move {
            match call.await {
                CallOutcome::Ok(v) => Ok(if wrap { invoke_output(v) } else { v }),
                CallOutcome::FunctionError(e) => Err(function_failure(e)),
                CallOutcome::ServiceError(f) => Err(f),
            }
        })
    }

    /// Lambda functions (by ARN or name) and the `lambda:invoke`
    /// integration: what plugins stand for.
    fn serves(&self, kind: &ResourceKind) -> bool {
        matches!(kind, ResourceKind::LambdaFunction { .. }) || super::is_lambda_invoke(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;
    impl Function for Echo {
        fn call(&self, payload: Value, _: TaskContext) -> BoxFuture<'static, CallOutcome> {
            Box::pin(async move { CallOutcome::Ok(payload) })
        }
    }

    #[test]
    fn function_names_are_taken_from_arns_and_qualifiers() {
        assert_eq!(
            function_name_of("arn:aws:lambda:us-east-1:123456789012:function:pay:prod"),
            "pay"
        );
        assert_eq!(function_name_of("123456789012:function:pay"), "pay");
        assert_eq!(function_name_of("pay:prod"), "pay");
        assert_eq!(function_name_of("pay"), "pay");
    }

    #[test]
    fn aliases_redirect_and_unknown_names_are_absent() {
        let mut r = Registry::new();
        r.register("echo", Arc::new(Echo));
        r.alias("lambda_func_uid0001", "echo");
        assert!(
            r.resolve("arn:aws:lambda:us-east-1:1:function:lambda_func_uid0001")
                .is_some()
        );
        assert!(r.resolve("other").is_none());
    }

    #[test]
    fn invoke_output_wraps_the_payload_like_lambda_invoke() {
        let out = invoke_output(json!({"a": 1}));
        assert_eq!(out["Payload"], json!({"a": 1}));
        assert_eq!(out["StatusCode"], 200);
        assert_eq!(out["ExecutedVersion"], "$LATEST");
        assert_eq!(out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"], "7");
    }

    #[test]
    fn function_errors_become_lambda_error_documents() {
        let f = function_failure(FunctionError::new("PaymentDeclined", "card refused"));
        assert_eq!(f.error, "PaymentDeclined");
        let cause: Value = serde_json::from_str(f.cause.as_deref().unwrap()).unwrap();
        assert_eq!(cause["errorMessage"], "card refused");
        assert_eq!(cause["errorType"], "PaymentDeclined");
    }
}
