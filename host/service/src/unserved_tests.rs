//! Definitions are checked against what this server can call.

use std::sync::Arc;

use serde_json::json;

use super::Service;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::task::{Registry, TaskInvoker};
use stepyard_store::RedbStore;

#[tokio::test]
async fn an_integration_no_plugin_serves_is_refused_at_its_resource_when_created() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let tasks: Arc<dyn TaskInvoker> = Arc::new(Registry::new());
    let service = Arc::new(Service::new(store, Arc::new(tasks), Arc::new(ScaledClock::real())));
    let definition = r#"{"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "L", "Branches": [{"StartAt": "Q", "States": {
            "Q": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}]},
        "L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "f"}, "End": true}}}"#;
    let create = |definition: &str| {
        service.call(
            "CreateStateMachine",
            json!({"name": "m", "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
    };
    let refused = create(definition).await.unwrap_err();
    assert_eq!(refused.code, "InvalidDefinition");
    assert!(
        refused
            .message
            .contains("arn:aws:states:::sqs:sendMessage is not recognized")
            && refused.message.contains("at /States/P/Branches/0/States/Q/Resource"),
        "{}",
        refused.message
    );
    assert!(
        !refused.message.contains("/States/L/"),
        "lambda:invoke is served: {}",
        refused.message
    );
    let validated = service
        .call("ValidateStateMachineDefinition", json!({"definition": definition}))
        .await
        .unwrap();
    assert_eq!(validated["result"], "FAIL");
    assert_eq!(
        validated["diagnostics"][0]["location"],
        "/States/P/Branches/0/States/Q/Resource"
    );
    // Lambda functions are served even before a plugin of that name exists
    // (the call fails, as on AWS); so is lambda:invoke.
    let served = definition.replace(
        "arn:aws:states:::sqs:sendMessage",
        "arn:aws:lambda:us-east-1:123456789012:function:g",
    );
    create(&served).await.unwrap();
}
