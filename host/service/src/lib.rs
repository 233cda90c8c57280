//! The Step Functions service: state machines and durable executions,
//! independent of any transport. `api` puts it behind AWS's JSON protocol;
//! tests and the CLI can call it directly.
//!
//! Every operation takes AWS's request document and returns AWS's response
//! document (`serde_json::Value`), or a [`ServiceError`] with AWS's code.
//!
//! Must not depend on: HTTP (the API), the plugin runtime (tasks arrive
//! through the interpreter's `TaskSource`) or the CLI.

mod aliases;
pub mod arn;
pub mod audit;
mod callbacks;
mod error;
mod executions;
mod inspect;
mod journal;
mod listing;
mod live;
mod logging;
mod machines;
mod metric_data;
mod retention;
mod roles;
mod runner;
mod status;
mod test_state;
mod usage;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::Value;

use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::Clock;
use stepyard_interpreter::task::{TaskInvoker, TaskSource};
use stepyard_metrics::Metrics;
use stepyard_store::{ExecutionRecord, RedbStore};

pub use arn::Location;
pub use error::ServiceError;
use error::ServiceResult;
pub use live::{LiveHistory, LiveUpdate};
pub use machines::unserved_resources;
pub use metric_data::DEFAULT_METRICS_RETENTION;
pub use retention::DEFAULT_EXECUTION_RETENTION;
pub use status::{ListenerFuture, StatusChange, StatusListener};

/// The Step Functions operations [`Service::call`] serves.
pub const OPERATIONS: &[&str] = &[
    "CreateStateMachine",
    "UpdateStateMachine",
    "DescribeStateMachine",
    "ListStateMachines",
    "DeleteStateMachine",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "ListStateMachineAliases",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ValidateStateMachineDefinition",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "StartExecution",
    "StartSyncExecution",
    "DescribeExecution",
    "DescribeStateMachineForExecution",
    "ListExecutions",
    "StopExecution",
    "GetExecutionHistory",
    "RedriveExecution",
    "TestState",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
];

/// Stepyard's own operations, which [`Service::call_stepyard`] serves.
pub const STEPYARD_OPERATIONS: &[&str] = &[
    "ListTables",
    "GetItem",
    "ScanTable",
    "GetExecutionLogs",
    "DescribeLogGroups",
    "SearchExecutions",
    "CountExecutions",
    "GetMetricData",
    "GetExecutionUsage",
    "ListPlugins",
    "LookupEvents",
    "VerifyAuditTrail",
    "ListAlerts",
    "PutAlertRule",
    "DeleteAlertRule",
    "FollowEvents",
];

/// A fresh request id, as AWS gives every answer (`x-amzn-RequestId`).
pub fn new_request_id() -> String {
    stepyard_asl::ids::random_uuid().to_string()
}

/// Decides whether a state machine's role may invoke a task resource
/// (`lambda:InvokeFunction`); the error text goes into the task's failure.
pub trait RoleCheck: Send + Sync {
    /// `Ok` when the role `role_arn` may invoke `function_arn`; otherwise why not,
    /// in the words of AWS's access-denied message.
    fn may_invoke(&self, role_arn: &str, function_arn: &str) -> Result<(), String>;
}

/// The service.
pub struct Service {
    store: Arc<RedbStore>,
    tasks: Arc<dyn TaskSource>,
    clock: Arc<dyn Clock>,
    here: Location,
    roles: Option<Arc<dyn RoleCheck>>,
    /// Parsed definitions by revision id: executions of the same revision
    /// share one parse.
    parsed: Mutex<HashMap<String, Arc<StateMachine>>>,
    running: Mutex<HashMap<String, runner::Running>>,
    /// Tasks waiting for SendTaskSuccess/Failure.
    callbacks: Arc<callbacks::Callbacks>,
    /// Describes the plugins tasks run on (`Stepyard.ListPlugins`).
    plugin_catalog: Option<PluginCatalog>,
    /// Where executions and states are counted, when anyone asks.
    metrics: Option<Arc<Metrics>>,
    /// Whether API calls and refused actions are recorded in the audit trail.
    audit: Option<audit::AuditSettings>,
    /// Hears status changes (the alerts), when anyone listens.
    listener: Option<Arc<dyn StatusListener>>,
    /// Step Functions Local's test cases (`StartExecution` on `ARN#CASE`).
    test_cases: Option<Arc<dyn TestCases>>,
}

/// Mocked test cases, as Step Functions Local's MockConfigFile gives them:
/// `StartExecution` on `…:stateMachine:NAME#CASE` runs with the case's
/// mocks in front of the plugins. (On AWS, `#` is part of the name and the
/// machine does not exist; without test cases this service answers so too.)
pub trait TestCases: Send + Sync {
    /// An invoker that answers `machine`'s test case `case` in front of
    /// `inner`; `Err` says why there is no such case. Called once per
    /// execution, so invocations are counted per execution.
    fn mocked(&self, machine: &str, case: &str, inner: Arc<dyn TaskInvoker>) -> Result<Arc<dyn TaskInvoker>, String>;
}

/// Describes the plugins behind a service's tasks, as JSON
/// (`{"plugins": [...], "problems": [...]}`); the service itself knows
/// only the `TaskSource`.
pub type PluginCatalog = Arc<dyn Fn() -> Value + Send + Sync>;

impl Service {
    /// A service keeping its state in `store`, running tasks through `tasks` and
    /// reading the time from `clock`; in the default [`Location`], without role
    /// checks, with an audit trail that hides sensitive data (see [`Service::with_audit`]).
    pub fn new(store: Arc<RedbStore>, tasks: Arc<dyn TaskSource>, clock: Arc<dyn Clock>) -> Service {
        Service {
            store,
            tasks,
            clock,
            here: Location::default(),
            roles: None,
            parsed: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            callbacks: Arc::default(),
            plugin_catalog: None,
            metrics: None,
            audit: Some(audit::AuditSettings::default()),
            listener: None,
            test_cases: None,
        }
    }

    /// Serves `ARN#CASE` starts with `cases`' mocks.
    pub fn with_test_cases(mut self, cases: Arc<dyn TestCases>) -> Service {
        self.test_cases = Some(cases);
        self
    }

    /// Counts executions and states into `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Service {
        self.metrics = Some(metrics);
        self
    }

    /// Tells `listener` of every execution's status change.
    pub fn with_status_listener(mut self, listener: Arc<dyn StatusListener>) -> Service {
        self.listener = Some(listener);
        self
    }

    /// Answers `Stepyard.ListPlugins` with what `catalog` says.
    pub fn with_plugin_catalog(mut self, catalog: PluginCatalog) -> Service {
        self.plugin_catalog = Some(catalog);
        self
    }

    /// Uses another region or account in the ARNs it makes.
    pub fn with_location(mut self, here: Location) -> Service {
        self.here = here;
        self
    }

    /// Checks every Task against its machine's role.
    pub fn with_roles(mut self, roles: Arc<dyn RoleCheck>) -> Service {
        self.roles = Some(roles);
        self
    }

    /// The region and account of this service's ARNs.
    pub fn location(&self) -> &Location {
        &self.here
    }

    /// The store behind the service.
    pub fn store(&self) -> &Arc<RedbStore> {
        &self.store
    }

    /// Runs one operation by its name (`StartExecution`…).
    pub async fn call(self: &Arc<Self>, operation: &str, request: Value) -> ServiceResult<Value> {
        match operation {
            "CreateStateMachine" => self.create_state_machine(parse(request)?).await,
            "UpdateStateMachine" => self.update_state_machine(parse(request)?).await,
            "DescribeStateMachine" => self.describe_state_machine(parse(request)?),
            "ListStateMachines" => self.list_state_machines(parse(request)?),
            "DeleteStateMachine" => self.delete_state_machine(parse(request)?).await,
            "PublishStateMachineVersion" => self.publish_state_machine_version(parse(request)?).await,
            "ListStateMachineVersions" => self.list_state_machine_versions(parse(request)?),
            "DeleteStateMachineVersion" => self.delete_state_machine_version(parse(request)?).await,
            "CreateStateMachineAlias" => self.create_state_machine_alias(parse(request)?).await,
            "DescribeStateMachineAlias" => self.describe_state_machine_alias(parse(request)?),
            "ListStateMachineAliases" => self.list_state_machine_aliases(parse(request)?),
            "UpdateStateMachineAlias" => self.update_state_machine_alias(parse(request)?).await,
            "DeleteStateMachineAlias" => self.delete_state_machine_alias(parse(request)?).await,
            "ValidateStateMachineDefinition" => self.validate_state_machine_definition(parse(request)?),
            "TagResource" => self.tag_resource(parse(request)?).await,
            "UntagResource" => self.untag_resource(parse(request)?).await,
            "ListTagsForResource" => self.list_tags_for_resource(parse(request)?),
            "StartExecution" => self.start_execution(parse(request)?).await,
            "StartSyncExecution" => self.start_sync_execution(parse(request)?).await,
            "DescribeExecution" => self.describe_execution(parse(request)?),
            "DescribeStateMachineForExecution" => self.describe_state_machine_for_execution(parse(request)?),
            "ListExecutions" => self.list_executions(parse(request)?),
            "StopExecution" => self.stop_execution(parse(request)?).await,
            "GetExecutionHistory" => self.get_execution_history(parse(request)?).await,
            "RedriveExecution" => self.redrive_execution(parse(request)?).await,
            "TestState" => self.test_state(parse(request)?).await,
            "SendTaskSuccess" => self.send_task_success(parse(request)?),
            "SendTaskFailure" => self.send_task_failure(parse(request)?),
            "SendTaskHeartbeat" => self.send_task_heartbeat(parse(request)?),
            other => Err(ServiceError::new(
                "UnknownOperationException",
                format!("Operation '{other}' is not supported by this service"),
            )),
        }
    }

    /// The task invoker for an execution running as `role_arn`: the
    /// current plugins, checked against the role when roles are enforced.
    fn tasks_for(&self, role_arn: &str) -> Arc<dyn TaskInvoker> {
        let inner = self.tasks.current();
        let checked: Arc<dyn TaskInvoker> = match &self.roles {
            None => inner,
            Some(roles) => Arc::new(roles::RoleGuard {
                inner,
                role_arn: role_arn.to_owned(),
                roles: roles.clone(),
                here: self.here.clone(),
            }),
        };
        Arc::new(callbacks::CallbackInvoker {
            inner: checked,
            callbacks: self.callbacks.clone(),
        })
    }

    /// The task invoker for `record`: [`Service::tasks_for`] its role, with
    /// its test case's mocks in front when it has one.
    fn tasks_for_record(&self, record: &ExecutionRecord) -> Arc<dyn TaskInvoker> {
        let tasks = self.tasks_for(&record.role_arn);
        match (&record.test_case, &self.test_cases) {
            (Some(case), Some(cases)) => match cases.mocked(&record.machine_name, case, tasks.clone()) {
                Ok(mocked) => mocked,
                // Checked at the start; a configuration changed since then
                // leaves the plugins to answer.
                Err(_) => tasks,
            },
            _ => tasks,
        }
    }

    /// Splits a started ARN's `#CASE`, when this service has test cases
    /// (else the `#` stays part of the name, as on AWS); the case must exist.
    fn split_test_case<'a>(&self, arn: &'a str) -> ServiceResult<(&'a str, Option<String>)> {
        let (Some(cases), Some((machine_arn, case))) = (&self.test_cases, arn.rsplit_once('#')) else {
            return Ok((arn, None));
        };
        // `…:stateMachine:NAME`, or a version's or alias's `…:NAME:QUALIFIER`.
        let machine = machine_arn
            .split_once(":stateMachine:")
            .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
            .unwrap_or_default();
        cases
            .mocked(machine, case, Arc::new(stepyard_interpreter::task::NoTasks))
            .map_err(ServiceError::validation)?;
        Ok((machine_arn, Some(case.to_owned())))
    }

    fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}

/// Reads a request document into its typed form; a wrong shape is AWS's
/// `ValidationException` (or `SerializationException` for a wrong type).
fn parse<T: DeserializeOwned>(request: Value) -> ServiceResult<T> {
    serde_json::from_value(request).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("missing field") {
            ServiceError::validation(format!("1 validation error detected: {text}"))
        } else {
            ServiceError::new("SerializationException", text)
        }
    })
}

/// AWS's JSON protocol writes timestamps as epoch seconds.
fn epoch(millis: i64) -> Value {
    Value::from(millis as f64 / 1000.0)
}

/// One page of `items` after the one whose ARN is `token`, as
/// `{"<field>": [{"<arn_field>": …, "creationDate": …}], "nextToken": …}`:
/// the token is the last listed ARN, so items added or removed between
/// pages shift nothing.
fn page_by_arn<T>(
    items: &[T],
    token: Option<&str>,
    limit: usize,
    (field, arn_field): (&str, &str),
    arn_and_creation: impl Fn(&T) -> (&str, i64),
) -> ServiceResult<Value> {
    let start = match token {
        None => 0,
        Some(token) => items
            .iter()
            .position(|item| arn_and_creation(item).0 == token)
            .map(|i| i + 1)
            .ok_or_else(|| ServiceError::invalid_token(token))?,
    };
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|item| {
            let (arn, created) = arn_and_creation(item);
            serde_json::json!({ arn_field: arn, "creationDate": epoch(created) })
        })
        .collect();
    let mut out = serde_json::json!({ field: page });
    if start + limit < items.len() {
        out["nextToken"] = arn_and_creation(&items[start + limit - 1]).0.into();
    }
    Ok(out)
}

/// `maxResults`: AWS's default page is 100, its largest 1000; 0 means the
/// default.
fn page_size(max_results: Option<i64>) -> ServiceResult<usize> {
    match max_results {
        None | Some(0) => Ok(100),
        Some(n) if (1..=1000).contains(&n) => Ok(n as usize),
        Some(n) => Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
        ))),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unserved_tests;
