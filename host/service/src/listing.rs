//! ListExecutions: a state machine's executions (or a version's, or an
//! alias's), newest first, by status and by whether they were redriven.

use serde::Deserialize;
use serde_json::{Value, json};

use super::arn;
use super::{Service, ServiceError, ServiceResult, epoch, page_size};
use stepyard_store::ExecutionSummary;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListRequest {
    state_machine_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    map_run_arn: Option<String>,
    redrive_filter: Option<String>,
}

impl Service {
    pub(super) fn list_executions(&self, req: ListRequest) -> ServiceResult<Value> {
        if req.map_run_arn.is_some() {
            return Err(ServiceError::new(
                "ResourceNotFound",
                "Map runs are not kept by this server",
            ));
        }
        let Some(machine_arn) = req.state_machine_arn.as_deref() else {
            return Err(ServiceError::validation(
                "Must provide a StateMachine ARN or MapRun ARN",
            ));
        };
        let (base, target) = arn::target(machine_arn)?;
        let machine = self.store.state_machine(&base)?;
        if machine.is_none() {
            return Err(ServiceError::machine_missing(machine_arn));
        }
        if let arn::Target::Alias(name) = &target
            && self.store.alias(&base, name)?.is_none()
        {
            return Err(ServiceError::resource_missing(machine_arn));
        }
        if let Some(status) = &req.status_filter
            && ![
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "TIMED_OUT",
                "ABORTED",
                "PENDING_REDRIVE",
            ]
            .contains(&status.as_str())
        {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value '{status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
            )));
        }
        // PENDING_REDRIVE is a state of a Map Run's child executions only.
        if req.status_filter.as_deref() == Some("PENDING_REDRIVE") {
            return Err(ServiceError::validation(
                "The PENDING_REDRIVE statusFilter needs a mapRunArn, not a stateMachineArn",
            ));
        }
        let redriven = match req.redrive_filter.as_deref() {
            None => None,
            Some("REDRIVEN") => Some(true),
            Some("NOT_REDRIVEN") => Some(false),
            Some(other) => {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
                )));
            }
        };
        let limit = page_size(req.max_results)?;
        let before = match &req.next_token {
            None => None,
            Some(t) => Some(t.parse::<u64>().map_err(|_| ServiceError::invalid_token(t))?),
        };
        // A version or alias ARN lists the executions it started.
        let version_arn = matches!(target, arn::Target::Version(_)).then(|| machine_arn.to_owned());
        let alias_arn = matches!(target, arn::Target::Alias(_)).then(|| machine_arn.to_owned());
        let status = req.status_filter.clone();
        let keep = |r: &ExecutionSummary| {
            status.as_deref().is_none_or(|s| s == r.status)
                && version_arn.as_ref().is_none_or(|v| r.version_arn.as_ref() == Some(v))
                && alias_arn.as_ref().is_none_or(|a| r.alias_arn.as_ref() == Some(a))
                && redriven.is_none_or(|redriven| (r.redrive_count > 0) == redriven)
        };
        let (page, next) = if status.as_deref() == Some("RUNNING") {
            // Execution ARNs name their machine: `…:execution:NAME:…`.
            let prefix = format!("{}:", base.replacen(":stateMachine:", ":execution:", 1));
            self.store.running_executions_of(&prefix, before, limit, keep)?
        } else {
            self.store.executions_of(&base, before, limit, keep)?
        };
        let items: Vec<Value> = page
            .iter()
            .map(|r| {
                let mut item = json!({
                    "executionArn": r.arn,
                    "stateMachineArn": r.state_machine_arn,
                    "name": r.name,
                    "status": r.status,
                    "startDate": epoch(r.start_millis),
                    "redriveCount": r.redrive_count,
                });
                if let Some(stop) = r.stop_millis {
                    item["stopDate"] = epoch(stop);
                }
                if let Some(v) = &r.version_arn {
                    item["stateMachineVersionArn"] = v.clone().into();
                }
                if let Some(a) = &r.alias_arn {
                    item["stateMachineAliasArn"] = a.clone().into();
                }
                if let Some(d) = r.redrive_millis {
                    item["redriveDate"] = epoch(d);
                }
                item
            })
            .collect();
        let mut out = json!({ "executions": items });
        if let Some(next) = next {
            out["nextToken"] = next.to_string().into();
        }
        Ok(out)
    }
}
