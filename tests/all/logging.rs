//! A state machine's `loggingConfiguration`: history events written as log
//! records in AWS's shape at the chosen level, beside the plugins' lines.

use serde_json::{Value, json};

use crate::serve::{Server, ended, order_definition, temp_dir};

const ROLE: &str = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole";
const GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/orders:*";

/// The execution's log records (lines from `states`), parsed.
fn records(server: &Server, arn: &str) -> (Vec<Value>, Vec<Value>) {
    let lines = server.own("GetExecutionLogs", json!({"executionArn": arn}))["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (states, plugins): (Vec<Value>, Vec<Value>) = lines.into_iter().partition(|l| l["source"] == "states");
    let records = states
        .iter()
        .map(|l| serde_json::from_str(l["message"].as_str().unwrap()).unwrap())
        .collect();
    (records, plugins)
}

#[test]
fn the_level_picks_the_events_written_as_records_of_aws_shape() {
    let server = Server::start(&temp_dir("logging"), &[]);
    let config = json!({"level": "ERROR", "includeExecutionData": false,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}]});
    let machine = server.ok(
        "CreateStateMachine",
        json!({"name": "logged", "definition": order_definition(), "roleArn": ROLE, "loggingConfiguration": config}),
    )["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server.ok("DescribeStateMachine", json!({"stateMachineArn": machine}))["loggingConfiguration"],
        config,
        "the configuration round-trips"
    );
    let declined = server.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": r#"{"order_id":"l-1","total":5,"payment":{"card":"declined"}}"#}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ended(&server, &declined)["status"], "FAILED");
    let (errors, plugin_lines) = records(&server, &declined);
    let types: Vec<&str> = errors.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["TaskFailed", "FailStateEntered", "ExecutionFailed"],
        "{errors:#?}"
    );
    let failed = &errors[2];
    assert_eq!(failed["execution_arn"], declined.as_str());
    assert_eq!(failed["redrive_count"], "0");
    assert!(
        failed["id"].is_string() && failed["previous_event_id"].is_string() && failed["event_timestamp"].is_string()
    );
    assert_eq!(failed["details"]["error"], "OrderCancelled");
    assert!(
        errors[1]["details"].get("input").is_none(),
        "execution data left out: {}",
        errors[1]
    );
    assert!(
        !plugin_lines.is_empty(),
        "the plugins' own lines stay beside the records"
    );

    // ALL with data: every event, inputs and outputs included.
    let all = json!({"level": "ALL", "includeExecutionData": true,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}]});
    server.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "loggingConfiguration": all}),
    );
    let ok = server.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": r#"{"order_id":"l-2","total":5}"#}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ended(&server, &ok)["status"], "SUCCEEDED");
    let history = crate::serve::history(&server, &ok);
    let (everything, _) = records(&server, &ok);
    assert_eq!(everything.len(), history.len(), "one record per event");
    assert_eq!(everything[0]["type"], "ExecutionStarted");
    assert!(everything[0]["details"]["input"].as_str().unwrap().contains("l-2"));

    // What AWS refuses.
    let (status, refused) = server.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "loggingConfiguration": {"level": "ALL"}}),
    );
    assert_eq!(
        (status, refused["__type"].as_str()),
        (400, Some("InvalidLoggingConfiguration")),
        "{refused}"
    );
}
