//! A refused import in the audit trail: the record of a plugin's call that
//! its role does not allow, in CloudTrail's shape, as CloudTrail records a
//! role's refused call (the role's session is the plugin's function).

use serde_json::json;
use stepyard_policy::arn::{ACCOUNT, REGION};
use stepyard_store::audit::{AuditRecord, AuditResource, EVENT_VERSION, UserIdentity};

use super::host::Caller;

/// The record of `action` on `resource`, refused with `message`, for `caller`.
pub(crate) fn record(caller: &Caller, action: &str, resource: &str, message: &str) -> AuditRecord {
    let (service, name) = action.split_once(':').unwrap_or(("states", action));
    let role_arn = format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/{}-role/{}",
        caller.plugin.name, caller.function
    );
    let kind = match service {
        "dynamodb" => "AWS::DynamoDB::Table",
        "logs" => "AWS::Logs::LogGroup",
        _ => "AWS::Unknown",
    };
    let mut parameters = json!({});
    if let Some(table) = resource.split_once(":table/").map(|(_, t)| t) {
        parameters["tableName"] = table.into();
    } else {
        parameters["resource"] = resource.into();
    }
    AuditRecord {
        event_version: EVENT_VERSION.to_owned(),
        user_identity: UserIdentity {
            kind: "AssumedRole".to_owned(),
            principal_id: Some(format!("{}-role:{}", caller.plugin.name, caller.function)),
            arn: Some(role_arn),
            account_id: Some(ACCOUNT.to_owned()),
            access_key_id: None,
            user_name: None,
        },
        event_time: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        event_source: format!("{service}.amazonaws.com"),
        event_name: name.to_owned(),
        aws_region: REGION.to_owned(),
        // The plugin acted, not a network peer: named as CloudTrail names
        // the AWS service that made a call.
        source_ip_address: caller.plugin.name.clone(),
        user_agent: format!("stepyard-plugin/{}", caller.plugin.name),
        error_code: Some("AccessDenied".to_owned()),
        error_message: Some(message.to_owned()),
        request_parameters: Some(parameters),
        response_elements: None,
        additional_event_data: Some(json!({
            "executionArn": caller.execution_arn,
            "stateName": caller.state_name,
            "function": caller.function,
            "plugin": caller.plugin.name,
        })),
        request_id: caller.entry.clone(),
        event_id: stepyard_asl::ids::random_uuid().to_string(),
        read_only: matches!(name, "GetItem" | "Query" | "Scan"),
        resources: vec![AuditResource {
            arn: resource.to_owned(),
            account_id: ACCOUNT.to_owned(),
            kind: kind.to_owned(),
        }],
        event_type: "AwsApiCall".to_owned(),
        management_event: false,
        recipient_account_id: ACCOUNT.to_owned(),
        event_category: "Data".to_owned(),
    }
}
