//! The state machine's role: with `serve --auth`, every Lambda task is
//! checked against the role's policy (`lambda:InvokeFunction` on the
//! function's ARN) before the plugin runs, as AWS checks the execution role.

use std::sync::Arc;

use serde_json::Value;

use super::{Location, RoleCheck};
use stepyard_asl::definition::ResourceKind;
use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::names;
use stepyard_interpreter::task::{TaskFailure, TaskInvoker, TaskRequest};

/// A task invoker that asks the role first.
pub(super) struct RoleGuard {
    pub inner: Arc<dyn TaskInvoker>,
    pub role_arn: String,
    pub roles: Arc<dyn RoleCheck>,
    pub here: Location,
}

impl RoleGuard {
    /// The Lambda function a task calls, as an ARN, and whether it is the
    /// `lambda:invoke` integration (vs. a function ARN as the resource).
    fn function(&self, request: &TaskRequest) -> Option<(String, bool)> {
        let (name, integration) = match &request.kind {
            ResourceKind::LambdaFunction { .. } => (request.resource.as_str(), false),
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } if resource_type == "lambda" && resource == "invoke" => {
                (request.input.get("FunctionName").and_then(Value::as_str)?, true)
            }
            _ => return None,
        };
        let arn = if name.starts_with("arn:") {
            name.to_owned()
        } else {
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                self.here.region, self.here.account
            )
        };
        Some((arn, integration))
    }
}

impl TaskInvoker for RoleGuard {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        if let Some((function_arn, integration)) = self.function(&request)
            && let Err(denied) = self.roles.may_invoke(&self.role_arn, &function_arn)
        {
            // The integration reports Lambda's own exception; a function
            // ARN as the resource fails with States.Permissions.
            let failure = if integration {
                TaskFailure::new(
                    "Lambda.AWSLambdaException",
                    format!("{denied} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)"),
                )
            } else {
                TaskFailure::new(names::PERMISSIONS, denied)
            };
            return Box::pin(async move { Err(failure) });
        }
        self.inner.invoke(request)
    }

    fn supports_heartbeats(&self, kind: &ResourceKind) -> bool {
        self.inner.supports_heartbeats(kind)
    }

    fn serves(&self, kind: &ResourceKind) -> bool {
        self.inner.serves(kind)
    }
}
