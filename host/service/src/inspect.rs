//! Stepyard's own read operations, beside Step Functions': the key-value
//! tables plugins write (the DynamoDB analogue), the log lines they
//! write (the CloudWatch Logs analogue) and the audit trail (the CloudTrail
//! analogue, in [`crate::audit`]). The server holds the database, so
//! `stepyard table` and `stepyard logs` ask it through these while it runs.
//!
//! Their shapes follow the AWS operations they stand for where one fits:
//! `GetItem` answers `{}` for a missing item, as DynamoDB does; a page of a
//! scan ends with the key to continue after (`lastEvaluatedKey`).

use serde::Deserialize;
use serde_json::{Value, json};
use stepyard_store::AuditLog;

use super::{Service, ServiceError, ServiceResult, parse};
use stepyard_store::{Item, KvStore, LogStore, StoreError};

/// Most items one `ScanTable` page holds.
const MAX_SCAN_PAGE: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetItemRequest {
    table: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanRequest {
    table: String,
    #[serde(default)]
    prefix: String,
    exclusive_start_key: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogsRequest {
    execution_arn: Option<String>,
    /// The last part of the ARN, when the ARN is not given: the most
    /// recent execution of that name with log lines.
    execution_name: Option<String>,
}

impl Service {
    /// Runs one of Stepyard's own operations by its name.
    pub async fn call_stepyard(&self, operation: &str, request: Value) -> ServiceResult<Value> {
        match operation {
            "ListTables" => Ok(json!({"tables": self.store.tables()?})),
            "GetItem" => self.get_item(parse(request)?),
            "ScanTable" => self.scan_table(parse(request)?),
            "GetExecutionLogs" => self.execution_logs(parse(request)?),
            // CloudWatch's shape: each state machine's lines are a group.
            "DescribeLogGroups" => {
                let groups = self.store.log_groups()?;
                Ok(json!({"logGroups": groups.iter().map(|g| json!({
                    "logGroupName": g.name,
                    "storedBytes": g.bytes,
                })).collect::<Vec<_>>()}))
            }
            "SearchExecutions" => self.search_executions(parse(request)?),
            "CountExecutions" => self.count_executions(parse(request)?),
            "GetMetricData" => self.get_metric_data(parse(request)?),
            "GetExecutionUsage" => self.execution_usage(parse(request)?),
            "ListAlerts" => Ok(self.list_alerts()),
            "PutAlertRule" => self.put_alert_rule(request),
            "DeleteAlertRule" => self.delete_alert_rule(request),
            "FollowEvents" => self.follow_events(parse(request)?).await,
            "ListPlugins" => Ok(match &self.plugin_catalog {
                Some(describe) => describe(),
                None => json!({"plugins": [], "problems": []}),
            }),
            "LookupEvents" => {
                self.store.settled().await?;
                self.lookup_events(request)
            }
            "VerifyAuditTrail" => {
                self.store.settled().await?;
                self.verify_audit_trail()
            }
            other => Err(ServiceError::new(
                "UnknownOperationException",
                format!(
                    "Operation '{other}' is not one of Stepyard's (ListTables, GetItem, ScanTable, \
                     GetExecutionLogs, DescribeLogGroups, SearchExecutions, CountExecutions, GetMetricData, GetExecutionUsage, ListPlugins, \
                     LookupEvents, VerifyAuditTrail, ListAlerts, PutAlertRule, DeleteAlertRule, FollowEvents)"
                ),
            )),
        }
    }

    fn get_item(&self, req: GetItemRequest) -> ServiceResult<Value> {
        let item = self.store.get(&req.table, &req.key).map_err(invalid_or_internal)?;
        Ok(match item {
            Some(item) => json!({"item": item_json(&item)?}),
            None => json!({}),
        })
    }

    fn scan_table(&self, req: ScanRequest) -> ServiceResult<Value> {
        let limit = match req.limit {
            None => 100,
            Some(n @ 1..=MAX_SCAN_PAGE) => n,
            Some(n) => {
                return Err(ServiceError::validation(format!(
                    "limit must be between 1 and {MAX_SCAN_PAGE}, got {n}"
                )));
            }
        };
        let page = self
            .store
            .query(&req.table, &req.prefix, req.exclusive_start_key.as_deref(), limit)
            .map_err(invalid_or_internal)?;
        let items = page.items.iter().map(item_json).collect::<ServiceResult<Vec<_>>>()?;
        let mut out = json!({ "items": items });
        if let Some(next) = page.next {
            out["lastEvaluatedKey"] = next.into();
        }
        Ok(out)
    }

    /// The log lines of an execution, or of the most recent one that has
    /// any.
    fn execution_logs(&self, req: LogsRequest) -> ServiceResult<Value> {
        let chosen = match (req.execution_arn, &req.execution_name) {
            (Some(arn), _) => Some(arn),
            (None, name) => {
                let mut with_lines = self.store.executions()?;
                match name {
                    Some(name) => with_lines
                        .into_iter()
                        .rev()
                        .find(|arn| arn.rsplit(':').next() == Some(name.as_str())),
                    None => with_lines.pop(),
                }
            }
        };
        let lines = match &chosen {
            Some(arn) => self.store.read(arn)?,
            None => Vec::new(),
        };
        match chosen {
            Some(arn) if !lines.is_empty() => Ok(json!({"executionArn": arn, "lines": lines})),
            _ => Err(ServiceError::new("ResourceNotFound", "No log lines for that execution")),
        }
    }
}

/// An item with its value as JSON (stored values are JSON text).
fn item_json(item: &Item) -> ServiceResult<Value> {
    let value: Value = serde_json::from_str(&item.value).map_err(|e| {
        ServiceError::new(
            "InternalFailure",
            format!("The stored item '{}' is not JSON: {e}", item.key),
        )
    })?;
    Ok(json!({"key": item.key, "version": item.version, "value": value}))
}

/// A bad table name or key is the caller's mistake; anything else the
/// service's.
fn invalid_or_internal(e: StoreError) -> ServiceError {
    match e {
        StoreError::Invalid(message) => ServiceError::validation(message),
        other => other.into(),
    }
}
