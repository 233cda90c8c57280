//! State machine operations: create, update, describe, list, delete,
//! publish versions, tags, and definition validation.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::arn::{self, check_name};
use super::logging::Logging;
use super::{Service, ServiceError, ServiceResult, epoch, page_by_arn, page_size};
use stepyard_asl::definition::{Diagnostic, InvalidDefinition, StateMachine, codes};
use stepyard_interpreter::task::TaskInvoker;
use stepyard_store::{StateMachineRecord, StoreError, Tag, VersionRecord};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRequest {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    machine_type: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    #[serde(default)]
    tags: Vec<TagInput>,
    #[serde(default)]
    publish: bool,
    version_description: Option<String>,
}

#[derive(Deserialize, Clone)]
pub(super) struct TagInput {
    key: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateRequest {
    state_machine_arn: String,
    definition: Option<String>,
    role_arn: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    #[serde(default)]
    publish: bool,
    version_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MachineArnRequest {
    state_machine_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListRequest {
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListVersionsRequest {
    state_machine_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionArnRequest {
    state_machine_version_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PublishRequest {
    state_machine_arn: String,
    revision_id: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValidateRequest {
    definition: String,
    #[serde(rename = "type")]
    machine_type: Option<String>,
    max_results: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TagRequest {
    resource_arn: String,
    tags: Vec<TagInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UntagRequest {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResourceRequest {
    resource_arn: String,
}

/// Most tags a resource may carry (AWS's quota).
const MAX_TAGS: usize = 50;

fn machine_type(given: Option<&str>) -> ServiceResult<String> {
    match given.unwrap_or("STANDARD") {
        t @ ("STANDARD" | "EXPRESS") => Ok(t.to_owned()),
        other => Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))),
    }
}

/// A role ARN must name an IAM role.
fn check_role_arn(role_arn: &str) -> ServiceResult<()> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    if ok {
        Ok(())
    } else {
        Err(ServiceError::new(
            "InvalidArn",
            format!("Invalid Arn: 'Invalid role ARN: {role_arn}'"),
        ))
    }
}

impl Service {
    /// Parses a definition the way CreateStateMachine checks it, and refuses
    /// resources this server cannot call (an integration no plugin stands
    /// for) at their `Resource`.
    fn check_definition(&self, definition: &str) -> ServiceResult<StateMachine> {
        let invalid =
            |diagnostics| ServiceError::new("InvalidDefinition", InvalidDefinition { diagnostics }.aws_message());
        let machine = StateMachine::parse(definition).map_err(|e| invalid(e.diagnostics))?;
        let unserved = self.unserved_resources(&machine);
        if unserved.is_empty() {
            Ok(machine)
        } else {
            Err(invalid(unserved))
        }
    }

    fn unserved_resources(&self, machine: &StateMachine) -> Vec<Diagnostic> {
        // With mocked test cases (Step Functions Local's MockConfigFile), a
        // definition may call what only its mocks answer, as there.
        if self.test_cases.is_some() {
            return Vec::new();
        }
        unserved_resources(machine, self.tasks.current().as_ref())
    }
}

/// A diagnostic for each Task resource that `tasks` cannot serve, at its
/// `Resource`, in AWS's words for a resource it does not recognise.
pub fn unserved_resources(machine: &StateMachine, tasks: &dyn TaskInvoker) -> Vec<Diagnostic> {
    machine
        .task_resources()
        .into_iter()
        .filter(|(_, task)| !tasks.serves(&task.kind))
        .map(|(location, task)| {
            Diagnostic::error(
                codes::SCHEMA_VALIDATION_FAILED,
                format!(
                    "The resource provided {} is not recognized. The value is not a valid resource ARN, \
                     or the resource is not available in this region. (Stepyard serves Lambda functions and \
                     arn:aws:states:::lambda:invoke, as plugins.)",
                    task.resource
                ),
                location,
            )
        })
        .collect()
}

fn tags(input: &[TagInput]) -> ServiceResult<Vec<Tag>> {
    let mut out: Vec<Tag> = Vec::new();
    for t in input {
        if t.key.is_empty() || t.key.chars().count() > 128 || t.value.chars().count() > 256 {
            return Err(ServiceError::validation(format!("Invalid tag: '{}'", t.key)));
        }
        out.retain(|existing| existing.key != t.key);
        out.push(Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        });
    }
    Ok(out)
}

fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect())
}

fn conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::ConditionFailed(message) => ServiceError::new("ConflictException", message),
        StoreError::Invalid(message) => ServiceError::validation(message),
        other => other.into(),
    }
}

fn version_record(machine: &StateMachineRecord, version: u64, description: Option<String>) -> VersionRecord {
    VersionRecord {
        arn: format!("{}:{version}", machine.arn),
        state_machine_arn: machine.arn.clone(),
        version,
        definition: machine.definition.clone(),
        role_arn: machine.role_arn.clone(),
        revision_id: machine.revision_id.clone(),
        description,
        creation_millis: machine.update_millis,
    }
}

impl Service {
    pub(super) async fn create_state_machine(self: &Arc<Self>, req: CreateRequest) -> ServiceResult<Value> {
        check_name(&req.name)?;
        check_role_arn(&req.role_arn)?;
        let machine_type = machine_type(req.machine_type.as_deref())?;
        self.check_definition(&req.definition)?;
        if let Some(logging) = &req.logging_configuration {
            Logging::parse(logging)?;
        }
        let tags = tags(&req.tags)?;
        if tags.len() > MAX_TAGS {
            return Err(ServiceError::new(
                "TooManyTags",
                format!("Too many tags: {}", tags.len()),
            ));
        }
        let now = self.now_millis();
        let record = StateMachineRecord {
            arn: self.here.state_machine_arn(&req.name),
            name: req.name.clone(),
            definition: req.definition.clone(),
            role_arn: req.role_arn.clone(),
            machine_type,
            creation_millis: now,
            update_millis: now,
            revision_id: stepyard_asl::ids::random_uuid().to_string(),
            logging_configuration: req.logging_configuration.clone(),
            tracing_configuration: req.tracing_configuration.clone(),
            tags,
            next_version: 1,
        };
        let arn = record.arn.clone();
        let stored = match self.store.create_state_machine(record.clone()).await? {
            None => record,
            // AWS: the same name, definition, type, logging and tracing is the
            // same request again; anything else is a conflict.
            Some(existing)
                if existing.definition == req.definition
                    && existing.machine_type == record.machine_type
                    && existing.logging_configuration == req.logging_configuration
                    && existing.tracing_configuration == req.tracing_configuration =>
            {
                existing
            }
            Some(_) => {
                return Err(ServiceError::new(
                    "StateMachineAlreadyExists",
                    format!("State Machine Already Exists: '{arn}'"),
                ));
            }
        };
        let mut out = json!({"stateMachineArn": arn, "creationDate": epoch(stored.creation_millis)});
        if req.publish {
            out["stateMachineVersionArn"] = self.publish(&arn, req.version_description.clone()).await?.into();
        }
        Ok(out)
    }

    /// `publish: true` on create or update: the current revision as a
    /// version (or the newest version, if it holds that revision already).
    async fn publish(&self, arn: &str, description: Option<String>) -> ServiceResult<String> {
        let version = self
            .store
            .publish_version(arn, move |m, v| Ok(version_record(m, v, description)))
            .await
            .map_err(conflict)?
            .ok_or_else(|| ServiceError::machine_missing(arn))?;
        Ok(version.arn)
    }

    pub(super) async fn update_state_machine(self: &Arc<Self>, req: UpdateRequest) -> ServiceResult<Value> {
        let (arn, version) = arn::state_machine(&req.state_machine_arn)?;
        if version.is_some() {
            return Err(ServiceError::validation("A state machine version cannot be updated"));
        }
        if req.definition.is_none()
            && req.role_arn.is_none()
            && req.logging_configuration.is_none()
            && req.tracing_configuration.is_none()
        {
            return Err(ServiceError::new(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
            ));
        }
        if let Some(definition) = &req.definition {
            self.check_definition(definition)?;
        }
        if let Some(role) = &req.role_arn {
            check_role_arn(role)?;
        }
        if let Some(logging) = &req.logging_configuration {
            Logging::parse(logging)?;
        }
        let now = self.now_millis();
        let (definition, role) = (req.definition.clone(), req.role_arn.clone());
        let (logging, tracing) = (req.logging_configuration.clone(), req.tracing_configuration.clone());
        let (updated, ()) = self
            .store
            .update_state_machine(&arn, move |m| {
                let mut changed = false;
                if let Some(d) = definition.filter(|d| *d != m.definition) {
                    m.definition = d;
                    changed = true;
                }
                if let Some(r) = role.filter(|r| *r != m.role_arn) {
                    m.role_arn = r;
                    changed = true;
                }
                if logging.is_some() {
                    m.logging_configuration = logging;
                }
                if tracing.is_some() {
                    m.tracing_configuration = tracing;
                }
                if changed {
                    m.revision_id = stepyard_asl::ids::random_uuid().to_string();
                }
                m.update_millis = now;
                Ok(())
            })
            .await?
            .ok_or_else(|| ServiceError::machine_missing(&arn))?;
        let mut out = json!({"updateDate": epoch(updated.update_millis), "revisionId": updated.revision_id});
        if req.publish {
            out["stateMachineVersionArn"] = self.publish(&arn, req.version_description.clone()).await?.into();
        }
        Ok(out)
    }

    pub(super) fn describe_state_machine(&self, req: MachineArnRequest) -> ServiceResult<Value> {
        let (arn, version) = arn::state_machine(&req.state_machine_arn)?;
        let machine = self
            .store
            .state_machine(&arn)?
            .ok_or_else(|| ServiceError::machine_missing(&req.state_machine_arn))?;
        let mut out = json!({
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "status": "ACTIVE",
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "type": machine.machine_type,
            "creationDate": epoch(machine.creation_millis),
            "loggingConfiguration": machine.logging_configuration.clone().unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false})),
            "tracingConfiguration": machine.tracing_configuration.clone().unwrap_or_else(|| json!({"enabled": false})),
            "revisionId": machine.revision_id,
        });
        if let Some(v) = version {
            let record = self
                .store
                .version(&arn, v)?
                .ok_or_else(|| ServiceError::machine_missing(&req.state_machine_arn))?;
            out["stateMachineArn"] = record.arn.into();
            out["definition"] = record.definition.into();
            out["roleArn"] = record.role_arn.into();
            out["revisionId"] = record.revision_id.into();
            out["creationDate"] = epoch(record.creation_millis);
            if let Some(d) = record.description {
                out["description"] = d.into();
            }
        }
        Ok(out)
    }

    pub(super) fn list_state_machines(&self, req: ListRequest) -> ServiceResult<Value> {
        let limit = page_size(req.max_results)?;
        let machines = self.store.state_machines()?;
        let start = match &req.next_token {
            None => 0,
            Some(token) => machines
                .iter()
                .position(|m| &m.arn == token)
                .map(|i| i + 1)
                .ok_or_else(|| ServiceError::invalid_token(token))?,
        };
        let page: Vec<Value> = machines
            .iter()
            .skip(start)
            .take(limit)
            .map(|m| {
                json!({
                    "stateMachineArn": m.arn,
                    "name": m.name,
                    "type": m.machine_type,
                    "creationDate": epoch(m.creation_millis),
                })
            })
            .collect();
        let mut out = json!({ "stateMachines": page });
        if start + limit < machines.len() {
            out["nextToken"] = machines[start + limit - 1].arn.clone().into();
        }
        Ok(out)
    }

    pub(super) async fn delete_state_machine(self: &Arc<Self>, req: MachineArnRequest) -> ServiceResult<Value> {
        let (arn, version) = arn::state_machine(&req.state_machine_arn)?;
        if version.is_some() {
            return Err(ServiceError::validation(
                "Use DeleteStateMachineVersion to delete a state machine version",
            ));
        }
        // Running executions keep running: each holds its own copy.
        self.store.delete_state_machine(&arn).await?;
        Ok(json!({}))
    }

    pub(super) async fn publish_state_machine_version(self: &Arc<Self>, req: PublishRequest) -> ServiceResult<Value> {
        let (arn, version) = arn::state_machine(&req.state_machine_arn)?;
        if version.is_some() {
            return Err(ServiceError::validation("A state machine version cannot be published"));
        }
        let (expected, description) = (req.revision_id.clone(), req.description.clone());
        let record = self
            .store
            .publish_version(&arn, move |m, v| {
                if let Some(expected) = expected.filter(|e| *e != m.revision_id) {
                    return Err(StoreError::ConditionFailed(format!(
                        "Failed to publish the State Machine version for revision {expected}. The current State Machine revision is {}.",
                        m.revision_id
                    )));
                }
                Ok(version_record(m, v, description))
            })
            .await
            .map_err(conflict)?
            .ok_or_else(|| ServiceError::machine_missing(&arn))?;
        Ok(json!({"creationDate": epoch(record.creation_millis), "stateMachineVersionArn": record.arn}))
    }

    pub(super) fn list_state_machine_versions(&self, req: ListVersionsRequest) -> ServiceResult<Value> {
        let (arn, version) = arn::state_machine(&req.state_machine_arn)?;
        if version.is_some() {
            return Err(ServiceError::validation(
                "Expected a state machine ARN, not a version ARN",
            ));
        }
        if self.store.state_machine(&arn)?.is_none() {
            return Err(ServiceError::machine_missing(&arn));
        }
        let limit = page_size(req.max_results)?;
        let versions = self.store.versions_of(&arn)?;
        page_by_arn(
            &versions,
            req.next_token.as_deref(),
            limit,
            ("stateMachineVersions", "stateMachineVersionArn"),
            |v| (v.arn.as_str(), v.creation_millis),
        )
    }

    pub(super) async fn delete_state_machine_version(self: &Arc<Self>, req: VersionArnRequest) -> ServiceResult<Value> {
        let given = &req.state_machine_version_arn;
        let (arn, Some(version)) = arn::state_machine(given)? else {
            return Err(ServiceError::validation(format!(
                "Expected a state machine version ARN: '{given}'"
            )));
        };
        // Deleting a version that is not there is not an error, as on AWS;
        // one an alias routes to is a conflict.
        self.store.delete_version(&arn, version).await.map_err(conflict)?;
        Ok(json!({}))
    }

    pub(super) fn validate_state_machine_definition(&self, req: ValidateRequest) -> ServiceResult<Value> {
        machine_type(req.machine_type.as_deref())?;
        let limit = page_size(req.max_results)?;
        let diagnostics = match StateMachine::parse(&req.definition) {
            Ok(machine) => self.unserved_resources(&machine),
            Err(invalid) => invalid.diagnostics,
        };
        let truncated = diagnostics.len() > limit;
        let shown: Vec<Value> = diagnostics
            .iter()
            .take(limit)
            .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
            .collect();
        Ok(json!({
            "result": if diagnostics.is_empty() { "OK" } else { "FAIL" },
            "diagnostics": shown,
            "truncated": truncated,
        }))
    }

    /// The base machine ARN a tag operation names (only machines have tags
    /// here).
    fn taggable(&self, resource_arn: &str) -> ServiceResult<String> {
        match arn::state_machine(resource_arn) {
            Ok((arn, None)) => Ok(arn),
            _ => Err(ServiceError::invalid_arn(
                resource_arn,
                "Resource type not valid in this context",
            )),
        }
    }

    pub(super) async fn tag_resource(self: &Arc<Self>, req: TagRequest) -> ServiceResult<Value> {
        let arn = self.taggable(&req.resource_arn)?;
        let new = tags(&req.tags)?;
        let updated = self
            .store
            .update_state_machine(&arn, move |m| {
                for t in new {
                    m.tags.retain(|e| e.key != t.key);
                    m.tags.push(t);
                }
                if m.tags.len() > MAX_TAGS {
                    return Err(StoreError::Invalid(format!("Too many tags: {}", m.tags.len())));
                }
                Ok(())
            })
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => ServiceError::new("TooManyTags", m),
                other => other.into(),
            })?;
        updated.ok_or_else(|| ServiceError::resource_missing(&arn))?;
        Ok(json!({}))
    }

    pub(super) async fn untag_resource(self: &Arc<Self>, req: UntagRequest) -> ServiceResult<Value> {
        let arn = self.taggable(&req.resource_arn)?;
        let keys = req.tag_keys.clone();
        self.store
            .update_state_machine(&arn, move |m| {
                m.tags.retain(|t| !keys.contains(&t.key));
                Ok(())
            })
            .await?
            .ok_or_else(|| ServiceError::resource_missing(&arn))?;
        Ok(json!({}))
    }

    pub(super) fn list_tags_for_resource(&self, req: ResourceRequest) -> ServiceResult<Value> {
        let arn = self.taggable(&req.resource_arn)?;
        let machine = self
            .store
            .state_machine(&arn)?
            .ok_or_else(|| ServiceError::resource_missing(&arn))?;
        Ok(json!({ "tags": tags_json(&machine.tags) }))
    }
}
