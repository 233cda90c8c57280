//! The HTTP face of the [`Service`]: AWS's JSON 1.0 protocol, as the AWS
//! SDKs and CLI speak it to Step Functions.
//!
//! One route: `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`
//! and a JSON body; answers are JSON with `Content-Type:
//! application/x-amz-json-1.0`, errors `{"__type": code, "message": …}`.
//!
//! Must not depend on: the store, the interpreter or the plugin runtime;
//! it reaches them only through the service.

pub mod audit;
pub mod auth;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use audit::CallSeen;
use auth::session::{CONSOLE_HEADER, Sessions, token_from_cookies};
use auth::{AuthConfig, Principal, RequestParts};
use stepyard_metrics::Metrics;
use stepyard_service::audit::{AuditedCall, UserIdentity, is_read_only};
use stepyard_service::{RoleCheck, Service, ServiceError};

/// What the protocol prefixes operation names with.
const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// The prefix of Stepyard's own operations (tables and log lines, see
/// `service::inspect`).
const STEPYARD_PREFIX: &str = "Stepyard.";
/// The content type of requests and answers.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// The largest request body taken (a definition may be 1 MiB, AWS's limit,
/// plus the request around it).
pub(crate) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The server's shared state.
pub struct Api {
    /// The Step Functions service every operation goes to.
    pub service: Arc<Service>,
    /// With `--auth`: who may call, and the roles tasks run as.
    pub auth: Option<Arc<AuthConfig>>,
    /// Console sessions of users who signed in (with `--auth` only).
    pub sessions: Sessions,
    /// Where requests are counted, if anywhere (served at `/metrics`).
    pub metrics: Option<Arc<Metrics>>,
}

impl Api {
    /// The API of `service`; with `auth`, every call must be signed (or come
    /// from a console session) and is checked against the caller's policy.
    pub fn new(service: Arc<Service>, auth: Option<Arc<AuthConfig>>) -> Api {
        Api {
            service,
            auth,
            sessions: Sessions::default(),
            metrics: None,
        }
    }

    /// Counts every request into `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Api {
        self.metrics = Some(metrics);
        self
    }

    /// Checks that `request` may perform `action` on `resource`: without
    /// `--auth`, that it is addressed to a loopback name (see
    /// [`check_loopback_host`]); with it, that it is signed (SigV4) or
    /// carries a console session, and that the caller's policy allows it.
    pub fn authorize(&self, request: &HttpRequest<'_>, action: &str, resource: &str) -> Result<(), ServiceError> {
        self.authorize_as(request, action, resource).1
    }

    /// [`Api::authorize`], also saying who the caller is, as far as
    /// authentication got (for the audit trail): anonymous without
    /// `--auth`, the user, or `Unknown` when authentication failed.
    pub fn authorize_as(
        &self,
        request: &HttpRequest<'_>,
        action: &str,
        resource: &str,
    ) -> (UserIdentity, Result<(), ServiceError>) {
        let Some(auth) = &self.auth else {
            return (UserIdentity::anonymous(), check_loopback_host(request.headers));
        };
        let principal = match self.authenticate(auth, request) {
            Ok(principal) => principal,
            Err(e) => return (audit::unknown_identity(request.headers), Err(e)),
        };
        let allowed = principal
            .authorize(action, resource)
            .map_err(|denied| ServiceError::new("AccessDeniedException", denied.to_string()));
        (audit::user_identity(auth, principal), allowed)
    }

    /// The user a request comes from: its SigV4 signature when it has an
    /// `Authorization` header, else its console session.
    fn authenticate<'a>(&self, auth: &'a AuthConfig, request: &HttpRequest<'_>) -> Result<&'a Principal, ServiceError> {
        if request.headers.contains_key("authorization") || !request.headers.contains_key(CONSOLE_HEADER) {
            let pairs: Vec<(&str, &[u8])> = request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect();
            let parts = RequestParts {
                method: request.method.as_str(),
                path: request.uri.path(),
                query: request.uri.query().unwrap_or(""),
                headers: &pairs,
                body: request.body,
            };
            return auth
                .authenticate(&parts, chrono::Utc::now())
                .map_err(|e| ServiceError::new(e.code(), e.to_string()));
        }
        let token = request
            .headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(token_from_cookies);
        token
            .and_then(|token| self.sessions.principal(auth, token))
            .ok_or_else(|| {
                ServiceError::new(
                    "UnrecognizedClientException",
                    "The console session is missing or has expired: sign in again",
                )
            })
    }
}

/// Without `--auth` the server listens on loopback only, but a page on any
/// site can still make a browser send requests there; if that site's name
/// resolves to 127.0.0.1 (DNS rebinding) the browser even treats them as
/// same-origin. Requiring a loopback name in `Host` refuses them.
pub fn check_loopback_host(headers: &HeaderMap) -> Result<(), ServiceError> {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let loopback =
        name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(ServiceError::new(
            "AccessDeniedException",
            format!(
                "The server runs without --auth and answers only requests addressed to a loopback name \
                 (localhost, 127.0.0.1, [::1]), not '{host}'"
            ),
        ))
    }
}

/// An HTTP request, as a signature covers it.
pub struct HttpRequest<'a> {
    /// Its method.
    pub method: &'a Method,
    /// Its path and query.
    pub uri: &'a Uri,
    /// Its headers.
    pub headers: &'a HeaderMap,
    /// Its body.
    pub body: &'a [u8],
}

impl RoleCheck for AuthConfig {
    fn may_invoke(&self, role_arn: &str, function_arn: &str) -> Result<(), String> {
        match self.role(role_arn) {
            Some(role) => role.allows_invoke(function_arn),
            None => Err(format!(
                "The role {role_arn} is not defined in the auth file, so it may not perform: lambda:InvokeFunction on resource: {function_arn}"
            )),
        }
    }
}

/// The router serving the API.
pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(api)
}

async fn handle(
    State(api): State<Arc<Api>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    if api.service.audit().is_none() {
        return handle_call(api, method, uri, headers, extensions, body, None).await;
    }
    // An audited call runs as its own task: a client that hangs up must
    // not cancel it between its change and its record.
    let call = AuditedCall::new();
    let work = call
        .clone()
        .scope(handle_call(api, method, uri, headers, extensions, body, Some(call)));
    tokio::spawn(work).await.unwrap_or_else(|e| {
        error_response(&ServiceError::new(
            "InternalFailure",
            format!("The call failed inside the server: {e}"),
        ))
    })
}

async fn handle_call(
    api: Arc<Api>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
    call: Option<AuditedCall>,
) -> Response {
    let began = std::time::Instant::now();
    let request_id = stepyard_service::new_request_id();
    let mut seen = CallSeen::default();
    let mut result = dispatch(&api, &method, &uri, &headers, &body, &mut seen, call.as_ref()).await;
    // A request without a target is no API call (a browser's stray GET).
    if !seen.operation.is_empty()
        && let Some(written) = api.record_call(&seen, &headers, &extensions, result.as_ref(), &request_id)
    {
        if seen.only_reads() {
            // A read changed nothing, so its answer does not wait for the
            // commit: polling DescribeExecution would otherwise cost a
            // durable write per call.
            tokio::spawn(async move {
                if let Err(e) = written.await {
                    eprintln!(
                        "warning: a read could not be recorded in the audit trail: {}",
                        e.message
                    );
                }
            });
        } else if let Err(e) = written.await {
            // Never a change the trail does not hold: the caller learns
            // that the call (which may have taken effect) went unrecorded.
            result = Err(ServiceError::new(
                "InternalFailure",
                format!("The call could not be recorded in the audit trail: {}", e.message),
            ));
        }
    }
    if let Some(metrics) = &api.metrics {
        let code = result.as_ref().map_or_else(|e| e.code, |_| "OK");
        // Only operations that exist are labels: a client inventing targets
        // must not invent series.
        let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
        let operation = match (target.strip_prefix(TARGET_PREFIX), target.strip_prefix(STEPYARD_PREFIX)) {
            (Some(op), _) if stepyard_service::OPERATIONS.contains(&op) => op,
            (_, Some(op)) if stepyard_service::STEPYARD_OPERATIONS.contains(&op) => target,
            _ => "unknown",
        };
        metrics.api_request(operation, code, began.elapsed());
    }
    match result {
        Ok(value) => answer(StatusCode::OK, &value, &request_id),
        Err(e) => error_response_with_id(&e, &request_id),
    }
}

async fn dispatch(
    api: &Api,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    seen: &mut CallSeen,
    call: Option<&AuditedCall>,
) -> Result<Value, ServiceError> {
    if method != Method::POST {
        return Err(ServiceError::new(
            "UnknownOperationException",
            "The API takes POST requests with an X-Amz-Target header",
        ));
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServiceError::new("UnknownOperationException", "Missing X-Amz-Target header"))?;
    let (operation, own) = match (target.strip_prefix(TARGET_PREFIX), target.strip_prefix(STEPYARD_PREFIX)) {
        (Some(operation), _) => (operation, false),
        (None, Some(operation)) => (operation, true),
        (None, None) => {
            seen.operation = target.to_owned();
            return Err(ServiceError::new(
                "UnknownOperationException",
                format!("Unknown target '{target}': expected {TARGET_PREFIX}<Operation>"),
            ));
        }
    };
    seen.operation = operation.to_owned();
    seen.own = own;
    let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ServiceError::new("SerializationException", format!("The request is not valid JSON: {e}")))?
    };
    if !request.is_object() {
        return Err(ServiceError::new(
            "SerializationException",
            "The request must be a JSON object",
        ));
    }
    let (action, resource) = if own {
        own_action(operation, &request)
    } else {
        (format!("states:{operation}"), resource_of(api, operation, &request))
    };
    let http = HttpRequest {
        method,
        uri,
        headers,
        body,
    };
    let (identity, allowed) = api.authorize_as(&http, &action, &resource);
    seen.identity = Some(identity);
    if api.service.audit().is_some() {
        seen.request = Some(request.clone());
    }
    seen.action = action;
    seen.resource = resource;
    allowed?;
    if let Some(call) = call
        && commits_with_its_record(operation, own)
    {
        call.arm();
    }
    if own {
        api.service.call_stepyard(operation, request).await
    } else {
        api.service.call(operation, request).await
    }
}

/// Whether an operation's change commits together with its audit record
/// (see [`AuditedCall`]): every change but those that run an execution or a
/// state inside the call, whose plugins' writes would hold every other
/// writer until the call ends.
fn commits_with_its_record(operation: &str, own: bool) -> bool {
    !is_read_only(operation, own) && !matches!(operation, "StartSyncExecution" | "TestState")
}

/// The IAM action and resource of one of Stepyard's own operations: the
/// DynamoDB and CloudWatch Logs actions they stand for.
fn own_action(operation: &str, request: &Value) -> (String, String) {
    let field = |name: &str| request.get(name).and_then(Value::as_str);
    let table = || field("table").map_or_else(|| "*".to_owned(), stepyard_policy::arn::table_arn);
    match operation {
        "GetItem" => ("dynamodb:GetItem".into(), table()),
        "ScanTable" => ("dynamodb:Scan".into(), table()),
        "ListTables" => ("dynamodb:ListTables".into(), "*".into()),
        "GetExecutionLogs" => (
            "logs:GetLogEvents".into(),
            field("executionArn").unwrap_or("*").to_owned(),
        ),
        "DescribeLogGroups" => ("logs:DescribeLogGroups".into(), "*".into()),
        // The console's searches and counts are ListExecutions with filters.
        "SearchExecutions" | "CountExecutions" => (
            "states:ListExecutions".into(),
            field("stateMachineArn").unwrap_or("*").to_owned(),
        ),
        "ListPlugins" => ("lambda:ListFunctions".into(), "*".into()),
        "GetMetricData" => ("cloudwatch:GetMetricData".into(), "*".into()),
        // Rules and alarms, and the events they match.
        "ListAlerts" | "FollowEvents" => ("events:ListRules".into(), "*".into()),
        "PutAlertRule" => ("events:PutRule".into(), "*".into()),
        "DeleteAlertRule" => ("events:DeleteRule".into(), "*".into()),
        // What an execution used is part of describing it.
        "GetExecutionUsage" => (
            "states:DescribeExecution".into(),
            field("executionArn").unwrap_or("*").to_owned(),
        ),
        // The audit trail, as CloudTrail's event history; verifying it
        // reads every record.
        "LookupEvents" | "VerifyAuditTrail" => ("cloudtrail:LookupEvents".into(), "*".into()),
        other => (format!("stepyard:{other}"), "*".into()),
    }
}

/// The ARN an operation acts on, as IAM sees it (`*` for operations on no
/// particular resource).
fn resource_of(api: &Api, operation: &str, request: &Value) -> String {
    let field = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
    let found = match operation {
        "CreateStateMachine" => field("name").map(|n| api.service.location().state_machine_arn(&n)),
        "TagResource" | "UntagResource" | "ListTagsForResource" => field("resourceArn"),
        "DeleteStateMachineVersion" => field("stateMachineVersionArn"),
        "DescribeStateMachineAlias" | "UpdateStateMachineAlias" | "DeleteStateMachineAlias" => {
            field("stateMachineAliasArn")
        }
        // The alias to be: its machine (the versions') and its name.
        "CreateStateMachineAlias" => request
            .pointer("/routingConfiguration/0/stateMachineVersionArn")
            .and_then(Value::as_str)
            .and_then(|v| v.rsplit_once(':'))
            .zip(field("name"))
            .map(|((machine, _), name)| format!("{machine}:{name}")),
        "DescribeExecution"
        | "StopExecution"
        | "GetExecutionHistory"
        | "RedriveExecution"
        | "DescribeStateMachineForExecution" => field("executionArn"),
        "ListStateMachines" | "ValidateStateMachineDefinition" | "TestState" => None,
        _ => field("stateMachineArn"),
    };
    // A malformed ARN is checked against the policy as given; the operation
    // then refuses it with InvalidArn if the caller may go that far.
    found.unwrap_or_else(|| "*".to_owned())
}

fn answer(status: StatusCode, value: &Value, request_id: &str) -> Response {
    let mut response = (status, value.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// AWS's JSON 1.0 error answer, with a fresh request id.
pub fn error_response(e: &ServiceError) -> Response {
    error_response_with_id(e, &stepyard_service::new_request_id())
}

/// AWS's JSON 1.0 error answer, with the request id `request_id` (the one
/// its audit record names).
pub fn error_response_with_id(e: &ServiceError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = answer(status, &json!({"__type": e.code, "message": e.message}), request_id);
    if let Ok(v) = HeaderValue::from_str(e.code) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::own_action;

    #[test]
    fn stepyards_own_operations_are_checked_as_the_aws_actions_they_stand_for() {
        let table = stepyard_policy::arn::table_arn("orders");
        let of = |op: &str, request| own_action(op, &request);
        assert_eq!(
            of("GetItem", json!({"table": "orders", "key": "k"})),
            ("dynamodb:GetItem".into(), table.clone())
        );
        assert_eq!(
            of("ScanTable", json!({"table": "orders"})),
            ("dynamodb:Scan".into(), table)
        );
        assert_eq!(of("ListTables", json!({})), ("dynamodb:ListTables".into(), "*".into()));
        let arn = "arn:aws:states:us-east-1:123456789012:execution:order:e";
        assert_eq!(
            of("GetExecutionLogs", json!({"executionArn": arn})),
            ("logs:GetLogEvents".into(), arn.into())
        );
        assert_eq!(of("ListAlerts", json!({})), ("events:ListRules".into(), "*".into()));
        // No table named: checked against every table.
        assert_eq!(of("ScanTable", json!({})), ("dynamodb:Scan".into(), "*".into()));
    }
}
