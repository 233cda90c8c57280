//! Execution operations: start (durably, before answering), describe,
//! list, stop, history and redrive. Running them is `runner`'s part.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::arn;
use super::journal::StartOutcome;
use super::runner::{StoredCheckpoint, damaged, status_of};
use super::{Service, ServiceError, ServiceResult, epoch, page_size};
use stepyard_interpreter::history::{EventDetails, HistoryEvent, HistoryObserver, NoHistory};
use stepyard_interpreter::{Interpreter, MAX_PAYLOAD_BYTES, Services, Start};
use stepyard_store::{ExecutionEnd, ExecutionRecord, StoreError, StoredEvent};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartRequest {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExecutionArnRequest {
    execution_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StopRequest {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HistoryRequest {
    execution_arn: String,
    max_results: Option<i64>,
    #[serde(default)]
    reverse_order: bool,
    next_token: Option<String>,
    include_execution_data: Option<bool>,
}

/// Checks an execution input: JSON, within the payload limit.
fn check_input(input: Option<&str>) -> ServiceResult<(String, Value)> {
    let text = input.unwrap_or("{}");
    if text.len() > MAX_PAYLOAD_BYTES {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
        )));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ServiceError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    Ok((text.to_owned(), value))
}

/// The JSON 1.0 shape of a stored event: epoch-second timestamps.
pub(super) fn event_json(stored: &StoredEvent, include_data: bool) -> Value {
    let mut event: Value = serde_json::from_str(&stored.json).unwrap_or_else(|_| json!({"id": stored.id}));
    if let Some(ts) = event.get("timestamp").and_then(Value::as_str)
        && let Some(t) = stepyard_asl::timestamp::parse(ts)
    {
        event["timestamp"] = epoch(t.timestamp_millis());
    }
    if !include_data && let Some(map) = event.as_object_mut() {
        for (key, details) in map.iter_mut() {
            if key.ends_with("EventDetails")
                && let Some(d) = details.as_object_mut()
            {
                for field in ["input", "output", "parameters"] {
                    d.remove(field);
                }
            }
        }
    }
    event
}

impl Service {
    fn load_for_start(&self, machine_arn: &str) -> ServiceResult<ExecutionRecordTemplate> {
        let (base, target) = arn::target(machine_arn)?;
        let machine = self
            .store
            .state_machine(&base)?
            .ok_or_else(|| ServiceError::machine_missing(machine_arn))?;
        // An alias starts one of its versions, picked by weight.
        let (version, alias_arn) = match target {
            arn::Target::Latest => (None, None),
            arn::Target::Version(v) => (Some(v), None),
            arn::Target::Alias(name) => {
                let alias = self
                    .store
                    .alias(&base, &name)?
                    .ok_or_else(|| ServiceError::machine_missing(machine_arn))?;
                let picked = super::aliases::pick_version(&alias.routing, rand::random_range(0..100));
                // Routes name versions (checked when the alias is stored).
                let (_, Some(version)) = arn::state_machine(picked)? else {
                    return Err(ServiceError::machine_missing(machine_arn));
                };
                (Some(version), Some(alias.arn))
            }
        };
        let mut template = ExecutionRecordTemplate {
            machine_arn: base.clone(),
            version_arn: None,
            alias_arn,
            machine_name: machine.name.clone(),
            machine_type: machine.machine_type.clone(),
            definition: machine.definition.clone(),
            role_arn: machine.role_arn.clone(),
            revision_id: machine.revision_id.clone(),
            update_millis: machine.update_millis,
        };
        if let Some(v) = version {
            let record = self
                .store
                .version(&base, v)?
                .ok_or_else(|| ServiceError::machine_missing(machine_arn))?;
            template.version_arn = Some(record.arn);
            template.definition = record.definition;
            template.role_arn = record.role_arn;
            template.revision_id = record.revision_id;
        }
        Ok(template)
    }

    pub(super) async fn start_execution(self: &Arc<Self>, req: StartRequest) -> ServiceResult<Value> {
        self.start_execution_with(req, None).await
    }

    /// StartExecution (`request` as the API takes it), with every event of
    /// the new execution also handed to `observer` as it is recorded (for
    /// callers in this process: `stepyard run` prints its progress).
    pub async fn start_execution_observed(
        self: &Arc<Self>,
        request: Value,
        observer: Arc<dyn HistoryObserver>,
    ) -> ServiceResult<Value> {
        self.start_execution_with(super::parse(request)?, Some(observer)).await
    }

    /// Waits until the execution `arn` no longer runs in this process.
    pub async fn wait_until_ended(&self, arn: &str) {
        let Some(mut live) = self.follow_execution(arn) else {
            return;
        };
        while !matches!(live.next().await, super::LiveUpdate::Ended) {}
    }

    async fn start_execution_with(
        self: &Arc<Self>,
        req: StartRequest,
        observer: Option<Arc<dyn HistoryObserver>>,
    ) -> ServiceResult<Value> {
        let (machine_arn, test_case) = self.split_test_case(&req.state_machine_arn)?;
        let template = self.load_for_start(machine_arn)?;
        let name = req
            .name
            .clone()
            .unwrap_or_else(|| stepyard_asl::ids::random_uuid().to_string());
        arn::check_name(&name)?;
        let (input_text, _) = check_input(req.input.as_deref())?;
        let now = self.now_millis();
        if template.machine_type == "EXPRESS" {
            let arn = self.here.express_execution_arn(&template.machine_name, &name);
            let mut record = template.record(arn.clone(), name, input_text, now);
            record.test_case = test_case;
            self.run_express(record);
            return Ok(json!({"executionArn": arn, "startDate": epoch(now)}));
        }
        let arn = self.here.execution_arn(&template.machine_name, &name);
        let mut record = template.record(arn.clone(), name, input_text.clone(), now);
        record.test_case = test_case;
        record.seq = self.store.next_execution_seq();
        // It runs at once and is stored with its first checkpoint; the
        // answer waits until that is durable.
        let (mut watch, same_request) = match self.launch_new(record, observer) {
            Ok(watch) => (watch, true),
            // One of that name runs here: the same request if it has the
            // same input and state machine (and it did start).
            Err((watch, input, machine_arn)) => (watch, input == input_text && machine_arn == template.machine_arn),
        };
        let outcome = watch
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|o| o.clone())
            .unwrap_or_else(|| {
                StartOutcome::Failed(StoreError::Io("the server stopped before the start was saved".into()))
            });
        let exists = || ServiceError::new("ExecutionAlreadyExists", format!("Execution Already Exists: '{arn}'"));
        match outcome {
            StartOutcome::Stored(start_millis) if same_request => {
                Ok(json!({"executionArn": arn, "startDate": epoch(start_millis)}))
            }
            StartOutcome::Stored(_) => Err(exists()),
            // AWS: the same name and input while it runs is the same request.
            StartOutcome::Exists(existing)
                if existing.is_running()
                    && existing.input == input_text
                    && existing.state_machine_arn == template.machine_arn =>
            {
                Ok(json!({"executionArn": arn, "startDate": epoch(existing.start_millis)}))
            }
            StartOutcome::Exists(_) => Err(exists()),
            StartOutcome::Failed(e) => Err(e.into()),
        }
    }

    /// StartSyncExecution: an Express execution run to its end before the
    /// answer, not stored.
    pub(super) async fn start_sync_execution(self: &Arc<Self>, req: StartRequest) -> ServiceResult<Value> {
        let (machine_arn, test_case) = self.split_test_case(&req.state_machine_arn)?;
        let template = self.load_for_start(machine_arn)?;
        if template.machine_type != "EXPRESS" {
            return Err(ServiceError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let name = req
            .name
            .clone()
            .unwrap_or_else(|| stepyard_asl::ids::random_uuid().to_string());
        arn::check_name(&name)?;
        let (input_text, _) = check_input(req.input.as_deref())?;
        let now = self.now_millis();
        let arn = self.here.express_execution_arn(&template.machine_name, &name);
        let mut record = template.record(arn.clone(), name.clone(), input_text.clone(), now);
        record.test_case = test_case;
        let machine = self
            .machine_for(&record)
            .map_err(|m| ServiceError::new("InvalidDefinition", m))?;
        let services = Services {
            tasks: self.tasks_for_record(&record),
            clock: self.clock.clone(),
            history: Arc::new(NoHistory),
        };
        let mut spec = self.spec_for(&record);
        spec.express = true;
        let result = Interpreter::new(machine, services).execute(&spec).await;
        let mut out = json!({
            "executionArn": arn,
            "stateMachineArn": template.machine_arn,
            "name": name,
            "startDate": epoch(now),
            "stopDate": epoch(self.now_millis()),
            "status": status_of(&result),
            "input": input_text,
            "inputDetails": {"included": true},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
        });
        if let Some(output) = &result.output {
            out["output"] = output.to_string().into();
            out["outputDetails"] = json!({"included": true});
        }
        if let Some(e) = &result.error {
            out["error"] = e.clone().into();
        }
        if let Some(c) = &result.cause {
            out["cause"] = c.clone().into();
        }
        Ok(out)
    }

    fn execution_record(&self, execution_arn: &str) -> ServiceResult<ExecutionRecord> {
        arn::execution(execution_arn)?;
        self.store
            .execution(execution_arn)?
            .ok_or_else(|| ServiceError::execution_missing(execution_arn))
    }

    /// Commits what a running execution recorded so far, so a history
    /// reader sees it (a failure stops the execution, not the reader).
    async fn flush_running(&self, arn: &str) {
        let journal = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(arn)
            .map(|r| r.journal.clone());
        if let Some(journal) = journal {
            let _ = journal.flush().await;
        }
    }

    pub(super) fn describe_execution(&self, req: ExecutionArnRequest) -> ServiceResult<Value> {
        let r = self.execution_record(&req.execution_arn)?;
        let mut out = json!({
            "executionArn": r.arn,
            "stateMachineArn": r.state_machine_arn,
            "name": r.name,
            "status": r.status,
            "startDate": epoch(r.start_millis),
            "input": r.input,
            "inputDetails": {"included": true},
            "redriveCount": r.redrive_count,
        });
        if let Some(v) = &r.version_arn {
            out["stateMachineVersionArn"] = v.clone().into();
        }
        if let Some(a) = &r.alias_arn {
            out["stateMachineAliasArn"] = a.clone().into();
        }
        if let Some(stop) = r.stop_millis {
            out["stopDate"] = epoch(stop);
        }
        if let Some(output) = &r.output {
            out["output"] = output.clone().into();
            out["outputDetails"] = json!({"included": true});
        }
        if let Some(e) = &r.error {
            out["error"] = e.clone().into();
        }
        if let Some(c) = &r.cause {
            out["cause"] = c.clone().into();
        }
        if let Some(d) = r.redrive_millis {
            out["redriveDate"] = epoch(d);
        }
        let (redrive_status, reason) = redrivability(&r);
        out["redriveStatus"] = redrive_status.into();
        if let Some(reason) = reason {
            out["redriveStatusReason"] = reason.into();
        }
        Ok(out)
    }

    pub(super) fn describe_state_machine_for_execution(&self, req: ExecutionArnRequest) -> ServiceResult<Value> {
        let r = self.execution_record(&req.execution_arn)?;
        Ok(json!({
            "stateMachineArn": r.version_arn.clone().unwrap_or(r.state_machine_arn.clone()),
            "name": r.machine_name,
            "definition": r.definition,
            "roleArn": r.role_arn,
            "updateDate": epoch(r.machine_update_millis),
            "revisionId": r.revision_id,
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
        }))
    }

    pub(super) async fn stop_execution(self: &Arc<Self>, req: StopRequest) -> ServiceResult<Value> {
        let record = self.execution_record(&req.execution_arn)?;
        let now = self.now_millis();
        if !record.is_running() {
            return Err(ServiceError::validation(format!(
                "Execution Already Finished: '{}'",
                record.arn
            )));
        }
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&record.arn);
        let (mut events, last_id) = match running {
            Some(running) => {
                running.abort.abort();
                // The task stops at its next await; wait for it so its
                // journal holds everything it recorded.
                while !running.abort.is_finished() {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                (running.journal.take_pending(), running.journal.last_id())
            }
            None => (Vec::new(), self.store.last_event_id(&record.arn)?),
        };
        let aborted = HistoryEvent {
            id: last_id + 1,
            previous_event_id: last_id,
            timestamp: self.clock.now(),
            details: EventDetails::ExecutionAborted {
                error: req.error.clone(),
                cause: req.cause.clone(),
            },
        };
        events.push(StoredEvent {
            id: aborted.id,
            json: aborted.to_json_text(),
        });
        let end = ExecutionEnd {
            status: "ABORTED".into(),
            stop_millis: now,
            output: None,
            error: req.error.clone(),
            cause: req.cause.clone(),
        };
        let told = self.listener.is_some().then(|| end.clone());
        if !self.store.finish_execution(&record.arn, events, end).await? {
            // It ended on its own while being stopped.
            return Err(ServiceError::validation(format!(
                "Execution Already Finished: '{}'",
                record.arn
            )));
        }
        if let Some(metrics) = &self.metrics {
            let ran = (now - record.start_millis).max(0) as u64;
            metrics.execution_ended(&record.machine_name, "ABORTED", std::time::Duration::from_millis(ran));
        }
        if let Some(end) = told {
            self.tell_status(&record, Some(&end));
        }
        Ok(json!({ "stopDate": epoch(now) }))
    }

    pub(super) async fn get_execution_history(&self, req: HistoryRequest) -> ServiceResult<Value> {
        self.execution_record(&req.execution_arn)?;
        self.flush_running(&req.execution_arn).await;
        let limit = page_size(req.max_results)?;
        let after = match &req.next_token {
            None => None,
            Some(t) => Some(t.parse::<u64>().map_err(|_| ServiceError::invalid_token(t))?),
        };
        let (events, more) = self.store.events(&req.execution_arn, after, req.reverse_order, limit)?;
        let include = req.include_execution_data.unwrap_or(true);
        let mut out = json!({
            "events": events.iter().map(|e| event_json(e, include)).collect::<Vec<_>>(),
        });
        if more && let Some(last) = events.last() {
            out["nextToken"] = last.id.to_string().into();
        }
        Ok(out)
    }

    pub(super) async fn redrive_execution(self: &Arc<Self>, req: ExecutionArnRequest) -> ServiceResult<Value> {
        let record = self.execution_record(&req.execution_arn)?;
        let (status, reason) = redrivability(&record);
        if status != "REDRIVABLE" {
            return Err(ServiceError::new(
                "ExecutionNotRedrivable",
                format!(
                    "Execution {} cannot be redriven: {}",
                    record.arn,
                    reason.unwrap_or_default()
                ),
            ));
        }
        let Some(text) = self.store.checkpoint_of(&record.arn)? else {
            return Err(ServiceError::new(
                "ExecutionNotRedrivable",
                format!("Execution {} cannot be redriven: it never entered a state", record.arn),
            ));
        };
        let checkpoint = serde_json::from_str::<StoredCheckpoint>(&text)
            .map_err(|e| damaged(&record.arn, e))?
            .checkpoint;
        let now = self.now_millis();
        let last_event_id = self.store.last_event_id(&record.arn)?;
        let redriven_event = HistoryEvent {
            id: last_event_id + 1,
            previous_event_id: last_event_id,
            timestamp: self.clock.now(),
            details: EventDetails::ExecutionRedriven {
                redrive_count: record.redrive_count + 1,
            },
        };
        let events = vec![StoredEvent {
            id: redriven_event.id,
            json: redriven_event.to_json_text(),
        }];
        let pending = StoredCheckpoint {
            checkpoint: checkpoint.clone(),
            reenter_after: Some(redriven_event.id),
        };
        let pending = serde_json::to_string(&pending).map_err(|e| damaged(&record.arn, e))?;
        let stored_checkpoint = pending.clone();
        let redriven = self
            .store
            .redrive_execution(&record.arn, now, events, pending, |r| {
                if redrivability(r).0 == "REDRIVABLE" {
                    Ok(())
                } else {
                    Err(StoreError::ConditionFailed("the execution changed".into()))
                }
            })
            .await
            .map_err(|e| match e {
                StoreError::ConditionFailed(m) => ServiceError::new("ExecutionNotRedrivable", m),
                other => other.into(),
            })?
            .ok_or_else(|| ServiceError::execution_missing(&record.arn))?;
        self.tell_status(&redriven, None);
        self.launch(
            redriven,
            Start::Reenter {
                checkpoint,
                last_event_id: redriven_event.id,
            },
            redriven_event.id,
            Some(stored_checkpoint),
        );
        Ok(json!({ "redriveDate": epoch(now) }))
    }
}

/// Whether an execution can be redriven, and why not.
fn redrivability(r: &ExecutionRecord) -> (&'static str, Option<String>) {
    match r.status.as_str() {
        "FAILED" | "TIMED_OUT" | "ABORTED" => ("REDRIVABLE", None),
        "RUNNING" => (
            "NOT_REDRIVABLE",
            Some("Execution is RUNNING and cannot be redriven".into()),
        ),
        _ => (
            "NOT_REDRIVABLE",
            Some("Execution is SUCCEEDED and cannot be redriven".into()),
        ),
    }
}

/// What an execution copies from its machine (or version) when it starts.
struct ExecutionRecordTemplate {
    machine_arn: String,
    version_arn: Option<String>,
    alias_arn: Option<String>,
    machine_name: String,
    machine_type: String,
    definition: String,
    role_arn: String,
    revision_id: String,
    update_millis: i64,
}

impl ExecutionRecordTemplate {
    fn record(&self, arn: String, name: String, input: String, now: i64) -> ExecutionRecord {
        ExecutionRecord {
            arn,
            name,
            state_machine_arn: self.machine_arn.clone(),
            version_arn: self.version_arn.clone(),
            alias_arn: self.alias_arn.clone(),
            status: "RUNNING".into(),
            start_millis: now,
            stop_millis: None,
            input,
            output: None,
            error: None,
            cause: None,
            redrive_count: 0,
            redrive_millis: None,
            machine_name: self.machine_name.clone(),
            definition: self.definition.clone(),
            role_arn: self.role_arn.clone(),
            revision_id: self.revision_id.clone(),
            machine_update_millis: self.update_millis,
            seq: 0,
            test_case: None,
        }
    }
}
