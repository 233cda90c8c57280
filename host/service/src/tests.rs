//! The service in process: an execution interrupted inside a task resumes
//! there with the same idempotency key; a failed execution redrives from the
//! state that failed.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use stepyard_interpreter::clock::{BoxFuture, ScaledClock};
use stepyard_interpreter::task::{TaskFailure, TaskInvoker, TaskRequest};

/// Records each call's idempotency key; fails the first `fail_first` calls
/// and never answers while `hang` is set.
pub(crate) struct Recorder {
    keys: Mutex<Vec<String>>,
    /// `Payload.token` of each call, when there is one.
    tokens: Mutex<Vec<String>>,
    hang: bool,
    fail_first: usize,
}

impl Recorder {
    pub(crate) fn new(hang: bool, fail_first: usize) -> Arc<Recorder> {
        Arc::new(Recorder {
            keys: Mutex::new(Vec::new()),
            tokens: Mutex::new(Vec::new()),
            hang,
            fail_first,
        })
    }
    pub(crate) fn keys(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }
}

impl TaskInvoker for Recorder {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        if let Some(token) = request.input.pointer("/Payload/token").and_then(Value::as_str) {
            self.tokens.lock().unwrap().push(token.to_owned());
        }
        let mut keys = self.keys.lock().unwrap();
        keys.push(request.context.idempotency_key.clone());
        let n = keys.len();
        let (hang, fail) = (self.hang, n <= self.fail_first);
        Box::pin(async move {
            if hang {
                std::future::pending::<()>().await;
            }
            if fail {
                return Err(TaskFailure::new("Flaky", "first call fails"));
            }
            Ok(json!({"done": true}))
        })
    }
}

pub(crate) fn service(store: &Arc<RedbStore>, tasks: Arc<Recorder>) -> Arc<Service> {
    let tasks: Arc<dyn TaskInvoker> = tasks;
    Arc::new(Service::new(
        store.clone(),
        Arc::new(tasks),
        Arc::new(ScaledClock::real()),
    ))
}

const DEFINITION: &str = r#"{"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "T"},
    "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Next": "B"},
    "B": {"Type": "Pass", "End": true}}}"#;

async fn start(service: &Arc<Service>) -> String {
    start_with(service, DEFINITION).await
}

pub(crate) async fn start_with(service: &Arc<Service>, definition: &str) -> String {
    let machine = service
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
        .await
        .unwrap();
    let started = service
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine["stateMachineArn"], "name": "e"}),
        )
        .await
        .unwrap();
    started["executionArn"].as_str().unwrap().to_owned()
}

pub(crate) async fn wait_status(service: &Arc<Service>, arn: &str, status: &str) -> Value {
    for _ in 0..500 {
        let d = service
            .call("DescribeExecution", json!({"executionArn": arn}))
            .await
            .unwrap();
        if d["status"] == status {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{arn} never reached {status}");
}

pub(crate) async fn event_types(service: &Arc<Service>, arn: &str) -> Vec<String> {
    let h = service
        .call("GetExecutionHistory", json!({"executionArn": arn, "maxResults": 1000}))
        .await
        .unwrap();
    let events = h["events"].as_array().unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1), "{events:#?}");
    }
    events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_execution_resumes_in_its_task_with_the_same_idempotency_key() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let first = Recorder::new(true, 0);
    let before = service(&store, first.clone());
    let arn = start(&before).await;
    while first.keys().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The process "dies" inside the task: nothing after the checkpoint of
    // T's entry was committed.
    before.suspend_all();
    drop(before);

    let second = Recorder::new(false, 0);
    let after = service(&store, second.clone());
    assert_eq!(after.resume_all().await.unwrap(), 1);
    wait_status(&after, &arn, "SUCCEEDED").await;
    assert_eq!(second.keys(), first.keys());
    let types = event_types(&after, &arn).await;
    assert_eq!(
        types.iter().filter(|t| *t == "TaskStateEntered").count(),
        1,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "LambdaFunctionScheduled").count(),
        1,
        "{types:?}"
    );
    assert_eq!(types.last().unwrap(), "ExecutionSucceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_execution_redrives_from_the_state_that_failed() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let tasks = Recorder::new(false, 1);
    let service = service(&store, tasks.clone());
    let arn = start(&service).await;
    let failed = wait_status(&service, &arn, "FAILED").await;
    assert_eq!(failed["error"], "Flaky");
    service
        .call("RedriveExecution", json!({"executionArn": arn}))
        .await
        .unwrap();
    let done = wait_status(&service, &arn, "SUCCEEDED").await;
    assert_eq!(done["redriveCount"], 1);
    let types = event_types(&service, &arn).await;
    let redriven = types.iter().position(|t| t == "ExecutionRedriven").unwrap();
    assert_eq!(types[redriven - 1], "ExecutionFailed");
    // Only the failed state runs again: Pass A is not re-entered.
    assert_eq!(types[redriven + 1], "TaskStateEntered");
    assert_eq!(
        types.iter().filter(|t| *t == "PassStateEntered").count(),
        2,
        "{types:?}"
    );
    assert_eq!(tasks.keys().len(), 2);

    // ListExecutions tells redriven executions from the others.
    let machine = service
        .call("DescribeExecution", json!({"executionArn": arn}))
        .await
        .unwrap()["stateMachineArn"]
        .clone();
    let other = service
        .call("StartExecution", json!({"stateMachineArn": machine, "name": "e2"}))
        .await
        .unwrap()["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_status(&service, &other, "SUCCEEDED").await;
    let listed = |request: Value| {
        let service = service.clone();
        async move {
            let page = service.call("ListExecutions", request).await?;
            Ok::<_, ServiceError>(
                page["executions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["executionArn"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>(),
            )
        }
    };
    let redriven = listed(json!({"stateMachineArn": machine, "redriveFilter": "REDRIVEN"}));
    assert_eq!(redriven.await.unwrap(), std::slice::from_ref(&arn));
    let not_redriven = listed(json!({"stateMachineArn": machine, "redriveFilter": "NOT_REDRIVEN"}));
    assert_eq!(not_redriven.await.unwrap(), std::slice::from_ref(&other));
    assert_eq!(listed(json!({"stateMachineArn": machine})).await.unwrap(), [other, arn]);
    let wrong = listed(json!({"stateMachineArn": machine, "redriveFilter": "SOMETIMES"}));
    assert_eq!(wrong.await.unwrap_err().code, "ValidationException");
    let pending = listed(json!({"stateMachineArn": machine, "statusFilter": "PENDING_REDRIVE"}));
    assert_eq!(pending.await.unwrap_err().code, "ValidationException");
}

const CALLBACK: &str = r#"{"StartAt": "Approve", "States": {
    "Approve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "HeartbeatSeconds": 600,
                "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}}"#;

async fn wait_token(tasks: &Recorder) -> String {
    loop {
        if let Some(t) = tasks.tokens.lock().unwrap().last() {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_task_waits_for_its_token_across_a_restart() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let first = Recorder::new(false, 0);
    let before = service(&store, first.clone());
    let arn = start_with(&before, CALLBACK).await;
    let token = wait_token(&first).await;
    // Keyed by the database's secret: not the bare hash of the entry
    // (ARN and event id), which anyone who can list executions knows.
    let bare: String = {
        use sha2::Digest;
        sha2::Sha256::digest(format!("{arn}#2").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(token.len(), 64);
    assert_ne!(token, bare);
    before
        .call("SendTaskHeartbeat", json!({"taskToken": token}))
        .await
        .unwrap();
    let unknown = before
        .call("SendTaskSuccess", json!({"taskToken": "0".repeat(64), "output": "{}"}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, "TaskDoesNotExist");
    before.suspend_all();
    drop(before);

    // After a restart the task is dispatched again with the same token, and
    // the worker's answer completes it.
    let second = Recorder::new(false, 0);
    let after = service(&store, second.clone());
    after.resume_all().await.unwrap();
    assert_eq!(wait_token(&second).await, token);
    after
        .call(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"approved\": true}"}),
        )
        .await
        .unwrap();
    let done = wait_status(&after, &arn, "SUCCEEDED").await;
    assert_eq!(done["output"], r#"{"approved":true}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_task_failure_fails_the_task_with_the_workers_error() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let tasks = Recorder::new(false, 0);
    let service = service(&store, tasks.clone());
    let arn = start_with(&service, CALLBACK).await;
    let token = wait_token(&tasks).await;
    service
        .call(
            "SendTaskFailure",
            json!({"taskToken": token, "error": "Rejected", "cause": "not approved"}),
        )
        .await
        .unwrap();
    let failed = wait_status(&service, &arn, "FAILED").await;
    assert_eq!(
        (failed["error"].as_str(), failed["cause"].as_str()),
        (Some("Rejected"), Some("not approved"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_in_use_is_the_same_request_only_while_it_runs_with_the_same_input() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let tasks = Recorder::new(true, 0);
    let service = service(&store, tasks.clone());
    let machine = service
        .call(
            "CreateStateMachine",
            json!({"name": "m", "definition": DEFINITION, "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
        .await
        .unwrap()["stateMachineArn"]
        .clone();
    let start = |input: &str| {
        service.call(
            "StartExecution",
            json!({"stateMachineArn": machine, "name": "e", "input": input}),
        )
    };
    // Concurrent identical requests: one execution, one answer.
    let (a, b) = tokio::join!(start(r#"{"n":1}"#), start(r#"{"n":1}"#));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    let arn = a["executionArn"].as_str().unwrap().to_owned();
    wait_status(&service, &arn, "RUNNING").await;
    while tasks.keys().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let err = start(r#"{"n":2}"#).await.unwrap_err();
    assert_eq!(err.code, "ExecutionAlreadyExists", "{err:?}");
    assert_eq!(start(r#"{"n":1}"#).await.unwrap(), a);

    service
        .call("StopExecution", json!({"executionArn": arn}))
        .await
        .unwrap();
    let before = event_types(&service, &arn).await;
    // Ended: even the same request is refused, and leaves no trace.
    let err = start(r#"{"n":1}"#).await.unwrap_err();
    assert_eq!(err.code, "ExecutionAlreadyExists", "{err:?}");
    assert_eq!(event_types(&service, &arn).await, before);
    assert_eq!(tasks.keys().len(), 1, "the refused run invoked nothing");
    // The refused run stops on its own, soon after the answer.
    for _ in 0..200 {
        if service.running_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the refused run is still listed as running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_by_status_pages_through_one_machines_executions_newest_first() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let service = service(&store, Recorder::new(true, 0));
    let create = |name: &str| {
        service.call(
            "CreateStateMachine",
            json!({"name": name, "definition": DEFINITION, "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
    };
    let machine = create("m").await.unwrap()["stateMachineArn"].clone();
    // A machine whose name starts with the other's: its executions' ARNs
    // share that prefix up to the separator.
    let other = create("m2").await.unwrap()["stateMachineArn"].clone();
    let mut arns = Vec::new();
    for (on, name) in [
        (&machine, "a"),
        (&other, "x"),
        (&machine, "b"),
        (&machine, "c"),
        (&other, "y"),
    ] {
        let started = service
            .call("StartExecution", json!({"stateMachineArn": on, "name": name}))
            .await
            .unwrap();
        arns.push((name, started["executionArn"].as_str().unwrap().to_owned()));
    }
    for (_, arn) in &arns {
        wait_status(&service, arn, "RUNNING").await;
    }
    let arn_of = |name: &str| arns.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    service
        .call("StopExecution", json!({"executionArn": arn_of("b")}))
        .await
        .unwrap();

    let list = |status: Option<&str>, token: Option<Value>| {
        let mut request = json!({"stateMachineArn": machine, "maxResults": 1});
        if let Some(status) = status {
            request["statusFilter"] = status.into();
        }
        if let Some(token) = token {
            request["nextToken"] = token;
        }
        service.call("ListExecutions", request)
    };
    let all_pages = |status: Option<&'static str>| async move {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = list(status, token).await.unwrap();
            for e in page["executions"].as_array().unwrap() {
                if let Some(status) = status {
                    assert_eq!(e["status"], status, "{e}");
                }
                names.push(e["name"].as_str().unwrap().to_owned());
            }
            match page.get("nextToken") {
                Some(t) => token = Some(t.clone()),
                None => return names,
            }
        }
    };
    assert_eq!(all_pages(Some("RUNNING")).await, ["c", "a"]);
    assert_eq!(all_pages(Some("ABORTED")).await, ["b"]);
    assert_eq!(all_pages(None).await, ["c", "b", "a"]);
    assert!(all_pages(Some("SUCCEEDED")).await.is_empty());
    service.suspend_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_starts_its_versions_by_weight_and_keeps_them_from_deletion() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let service = service(&store, Recorder::new(false, 0));
    let call = |operation: &'static str, request: Value| {
        let service = service.clone();
        async move { service.call(operation, request).await }
    };
    let machine = call(
        "CreateStateMachine",
        json!({"name": "m", "definition": DEFINITION, "roleArn": "arn:aws:iam::123456789012:role/r", "publish": true}),
    )
    .await
    .unwrap();
    let (machine, v1) = (
        machine["stateMachineArn"].as_str().unwrap().to_owned(),
        machine["stateMachineVersionArn"].as_str().unwrap().to_owned(),
    );
    let changed = DEFINITION.replacen("{", r#"{"Comment": "v2", "#, 1);
    let v2 = call(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "definition": changed, "publish": true}),
    )
    .await
    .unwrap()["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let create = |routing: Value| {
        call(
            "CreateStateMachineAlias",
            json!({"name": "PROD", "routingConfiguration": routing}),
        )
    };
    let alias = create(json!([{"stateMachineVersionArn": v1, "weight": 100}]))
        .await
        .unwrap();
    let alias = alias["stateMachineAliasArn"].as_str().unwrap().to_owned();
    assert_eq!(alias, format!("{machine}:PROD"));
    // The same request again is answered with the same alias; another is a conflict.
    let again = create(json!([{"stateMachineVersionArn": v1, "weight": 100}]))
        .await
        .unwrap();
    assert_eq!(again["stateMachineAliasArn"], alias);
    let other = create(json!([{"stateMachineVersionArn": v2, "weight": 100}])).await;
    assert_eq!(other.unwrap_err().code, "ConflictException");

    let start = |name: String| call("StartExecution", json!({"stateMachineArn": alias, "name": name}));
    let first = start("first".into()).await.unwrap()["executionArn"].clone();
    let described = call("DescribeExecution", json!({"executionArn": first})).await.unwrap();
    assert_eq!(described["stateMachineAliasArn"], alias);
    assert_eq!(described["stateMachineVersionArn"], v1);

    // Half and half: forty starts land on both versions.
    let routing = json!([{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 50}]);
    call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": routing}),
    )
    .await
    .unwrap();
    for n in 0..40 {
        start(format!("split-{n}")).await.unwrap();
    }
    let listed = call("ListExecutions", json!({"stateMachineArn": alias, "maxResults": 100}))
        .await
        .unwrap();
    let listed = listed["executions"].as_array().unwrap();
    assert_eq!(listed.len(), 41);
    assert!(listed.iter().all(|e| e["stateMachineAliasArn"] == alias));
    let on_v2 = listed.iter().filter(|e| e["stateMachineVersionArn"] == v2).count();
    assert!((1..40).contains(&on_v2), "{on_v2} of 40 on version 2");
    let by_version = call("ListExecutions", json!({"stateMachineArn": v2, "maxResults": 100}))
        .await
        .unwrap();
    assert_eq!(by_version["executions"].as_array().unwrap().len(), on_v2);

    let described = call("DescribeStateMachineAlias", json!({"stateMachineAliasArn": alias}))
        .await
        .unwrap();
    assert_eq!(described["name"], "PROD");
    assert_eq!(described["routingConfiguration"], routing);
    let aliases = call("ListStateMachineAliases", json!({"stateMachineArn": machine}))
        .await
        .unwrap();
    assert_eq!(aliases["stateMachineAliases"][0]["stateMachineAliasArn"], alias);

    // A version an alias routes to cannot be deleted.
    let refused = call("DeleteStateMachineVersion", json!({"stateMachineVersionArn": v1})).await;
    let refused = refused.unwrap_err();
    assert_eq!(refused.code, "ConflictException");
    assert!(refused.message.contains("PROD"), "{}", refused.message);

    // Routing configurations are checked as AWS checks them.
    let bad = |routing: Value| {
        call(
            "CreateStateMachineAlias",
            json!({"name": "B", "routingConfiguration": routing}),
        )
    };
    let over = bad(json!([{"stateMachineVersionArn": v1, "weight": 60}, {"stateMachineVersionArn": v2, "weight": 60}]));
    assert_eq!(over.await.unwrap_err().code, "ValidationException");
    let three = json!([{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 25},
                       {"stateMachineVersionArn": format!("{machine}:3"), "weight": 25}]);
    assert_eq!(bad(three).await.unwrap_err().code, "ValidationException");
    let unpublished = bad(json!([{"stateMachineVersionArn": format!("{machine}:9"), "weight": 100}]));
    assert_eq!(unpublished.await.unwrap_err().code, "ResourceNotFound");
    let numeric = call(
        "CreateStateMachineAlias",
        json!({"name": "7", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
    );
    assert_eq!(numeric.await.unwrap_err().code, "InvalidName");

    call("DeleteStateMachineAlias", json!({"stateMachineAliasArn": alias}))
        .await
        .unwrap();
    let gone = call("DescribeStateMachineAlias", json!({"stateMachineAliasArn": alias})).await;
    assert_eq!(gone.unwrap_err().code, "ResourceNotFound");
    assert_eq!(start("late".into()).await.unwrap_err().code, "StateMachineDoesNotExist");
    call("DeleteStateMachineVersion", json!({"stateMachineVersionArn": v1}))
        .await
        .unwrap();

    // Deleting the machine deletes its aliases: a machine created again
    // under the name has none.
    let stage = json!({"name": "STAGE", "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]});
    call("CreateStateMachineAlias", stage).await.unwrap();
    call("DeleteStateMachine", json!({"stateMachineArn": machine}))
        .await
        .unwrap();
    call(
        "CreateStateMachine",
        json!({"name": "m", "definition": DEFINITION, "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .await
    .unwrap();
    let aliases = call("ListStateMachineAliases", json!({"stateMachineArn": machine}))
        .await
        .unwrap();
    assert_eq!(aliases["stateMachineAliases"], json!([]));
    service.suspend_all();
}

#[test]
fn pages_by_arn_continue_after_the_last_listed_one() {
    let items = [("a:3", 3), ("a:2", 2), ("a:1", 1)];
    let page = |token: Option<&str>| page_by_arn(&items, token, 2, ("items", "arn"), |(arn, at)| (*arn, *at * 1000));
    let first = page(None).unwrap();
    assert_eq!(
        first["items"],
        json!([{"arn": "a:3", "creationDate": 3.0}, {"arn": "a:2", "creationDate": 2.0}])
    );
    assert_eq!(first["nextToken"], "a:2");
    let second = page(Some("a:2")).unwrap();
    assert_eq!(second["items"], json!([{"arn": "a:1", "creationDate": 1.0}]));
    assert!(second.get("nextToken").is_none());
    assert_eq!(page(Some("a:9")).unwrap_err().code, "InvalidToken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_operation_is_served_and_no_other() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let service = service(&store, Recorder::new(false, 0));
    for op in OPERATIONS {
        let code = service.call(op, json!({})).await.err().map(|e| e.code);
        assert_ne!(code, Some("UnknownOperationException"), "{op}");
    }
    for op in STEPYARD_OPERATIONS {
        let code = service.call_stepyard(op, json!({})).await.err().map(|e| e.code);
        assert_ne!(code, Some("UnknownOperationException"), "{op}");
    }
    let unknown = service.call("Nope", json!({})).await.unwrap_err();
    assert_eq!(unknown.code, "UnknownOperationException");
}
