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

/// A ListExecutions item.
fn list_item(r: &ExecutionSummary) -> Value {
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
}

/// `Stepyard.SearchExecutions`: ListExecutions with the filters the console
/// offers and AWS's API lacks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchRequest {
    state_machine_arn: String,
    status_filter: Option<String>,
    /// Part of the name, any case.
    name_contains: Option<String>,
    /// Started at or after this time (epoch seconds, as the API's dates).
    started_after: Option<f64>,
    /// Started before this time (epoch seconds).
    started_before: Option<f64>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `Stepyard.CountExecutions`: a machine's executions by status.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CountRequest {
    state_machine_arn: String,
    /// Only those started at or after this time (epoch seconds).
    since: Option<f64>,
}

impl Service {
    /// The executions of a state machine whose name contains a text, that
    /// started in a time range, with a status; pages as ListExecutions.
    pub(super) fn search_executions(&self, req: SearchRequest) -> ServiceResult<Value> {
        let (base, _) = arn::target(&req.state_machine_arn)?;
        if self.store.state_machine(&base)?.is_none() {
            return Err(ServiceError::machine_missing(&req.state_machine_arn));
        }
        let limit = page_size(req.max_results)?;
        let before = match &req.next_token {
            None => None,
            Some(t) => Some(t.parse::<u64>().map_err(|_| ServiceError::invalid_token(t))?),
        };
        let needle = req.name_contains.as_deref().map(str::to_lowercase);
        let after = req.started_after.map(|s| (s * 1000.0) as i64);
        let until = req.started_before.map(|s| (s * 1000.0) as i64);
        let status = req.status_filter.clone();
        let keep = |r: &ExecutionSummary| {
            status.as_deref().is_none_or(|s| s == r.status)
                && needle.as_deref().is_none_or(|n| r.name.to_lowercase().contains(n))
                && after.is_none_or(|a| r.start_millis >= a)
                && until.is_none_or(|u| r.start_millis < u)
        };
        let (page, next) = self.store.executions_of(&base, before, limit, keep)?;
        let mut out = json!({ "executions": page.iter().map(list_item).collect::<Vec<_>>() });
        if let Some(next) = next {
            out["nextToken"] = next.to_string().into();
        }
        Ok(out)
    }

    /// How many executions of a machine have each status (all, or those
    /// started since a time): `{"counts": {"SUCCEEDED": 3, …}, "total": n}`.
    pub(super) fn count_executions(&self, req: CountRequest) -> ServiceResult<Value> {
        let (base, _) = arn::target(&req.state_machine_arn)?;
        if self.store.state_machine(&base)?.is_none() {
            return Err(ServiceError::machine_missing(&req.state_machine_arn));
        }
        let since = req.since.map_or(i64::MIN, |s| (s * 1000.0) as i64);
        let mut counts = serde_json::Map::new();
        let mut total = 0u64;
        self.store.scan_executions_of(&base, |r| {
            if r.start_millis < since {
                // Newest first: everything further is older still.
                return false;
            }
            total += 1;
            let n = counts.entry(r.status.clone()).or_insert(json!(0));
            *n = json!(n.as_u64().unwrap_or(0) + 1);
            true
        })?;
        Ok(json!({"counts": counts, "total": total}))
    }

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
        let items: Vec<Value> = page.iter().map(list_item).collect();
        let mut out = json!({ "executions": items });
        if let Some(next) = next {
            out["nextToken"] = next.to_string().into();
        }
        Ok(out)
    }
}
