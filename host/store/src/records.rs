//! What the Step Functions service keeps: state machines, their published
//! versions, and executions. Plain data, stored as JSON documents.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A state machine (its latest revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineRecord {
    pub arn: String,
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    /// `STANDARD` or `EXPRESS`.
    #[serde(rename = "type")]
    pub machine_type: String,
    pub creation_millis: i64,
    /// When the definition or role last changed (the creation date at first).
    pub update_millis: i64,
    pub revision_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_configuration: Option<Value>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The number the next published version gets.
    #[serde(default = "first_version")]
    pub next_version: u64,
}

fn first_version() -> u64 {
    1
}

/// A published, immutable version of a state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRecord {
    /// `…:stateMachine:<name>:<version>`.
    pub arn: String,
    pub state_machine_arn: String,
    pub version: u64,
    pub definition: String,
    pub role_arn: String,
    pub revision_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub creation_millis: i64,
}

/// An alias: a name for one or two versions of a state machine, with the
/// share of new executions each gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasRecord {
    /// `…:stateMachine:<name>:<alias>`.
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub routing: Vec<AliasRoute>,
    pub creation_millis: i64,
    pub update_millis: i64,
}

/// One version an alias routes to, and its weight (the weights sum to 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasRoute {
    pub version_arn: String,
    pub weight: u32,
}

/// One execution, with the machine it runs (copied at start, so a later
/// update or deletion of the machine does not change it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRecord {
    pub arn: String,
    pub name: String,
    pub state_machine_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_arn: Option<String>,
    /// The alias it was started through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_arn: Option<String>,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    pub start_millis: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_millis: Option<i64>,
    /// The input as given (JSON text).
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default)]
    pub redrive_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_millis: Option<i64>,
    pub machine_name: String,
    /// The definition it runs. The store keeps it once per revision, not in
    /// each record: records it lists leave it empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub definition: String,
    pub role_arn: String,
    pub revision_id: String,
    pub machine_update_millis: i64,
    /// Start order, assigned by the store (listing is newest first).
    #[serde(default)]
    pub seq: u64,
}

/// What a listing shows of an execution: its record without the input,
/// output, error and what it runs. Read straight from a stored record
/// (the fields it lacks are skipped, not copied), so listing a machine's
/// executions does not copy every input and output they had.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub arn: String,
    pub name: String,
    pub state_machine_arn: String,
    #[serde(default)]
    pub version_arn: Option<String>,
    #[serde(default)]
    pub alias_arn: Option<String>,
    pub status: String,
    pub start_millis: i64,
    #[serde(default)]
    pub stop_millis: Option<i64>,
    #[serde(default)]
    pub redrive_count: u32,
    #[serde(default)]
    pub redrive_millis: Option<i64>,
}

impl ExecutionRecord {
    pub fn is_running(&self) -> bool {
        self.status == "RUNNING"
    }

    /// A copy with an empty definition (cheaper than a full clone).
    pub(crate) fn clone_without_definition(&self) -> ExecutionRecord {
        ExecutionRecord {
            arn: self.arn.clone(),
            name: self.name.clone(),
            state_machine_arn: self.state_machine_arn.clone(),
            version_arn: self.version_arn.clone(),
            alias_arn: self.alias_arn.clone(),
            status: self.status.clone(),
            start_millis: self.start_millis,
            stop_millis: self.stop_millis,
            input: self.input.clone(),
            output: self.output.clone(),
            error: self.error.clone(),
            cause: self.cause.clone(),
            redrive_count: self.redrive_count,
            redrive_millis: self.redrive_millis,
            machine_name: self.machine_name.clone(),
            definition: String::new(),
            role_arn: self.role_arn.clone(),
            revision_id: self.revision_id.clone(),
            machine_update_millis: self.machine_update_millis,
            seq: self.seq,
        }
    }
}

/// How an execution ended, as the store records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionEnd {
    pub status: String,
    pub stop_millis: i64,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// What `start_execution` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// A new execution, as stored.
    New(ExecutionRecord),
    /// An execution with that name exists already; nothing was written.
    Existing(ExecutionRecord),
}

/// One stored history event: its id and its JSON (`GetExecutionHistory`'s
/// shape, timestamps as RFC 3339 text).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: u64,
    pub json: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary is read from a stored record: every field it has must be
    /// named as the record names it (a field renamed in one only would
    /// read as missing, e.g. an ended execution without its stop date).
    #[test]
    fn a_summary_reads_every_listed_field_of_a_stored_record() {
        let record = ExecutionRecord {
            arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
            name: "e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            version_arn: Some("arn:aws:states:us-east-1:123456789012:stateMachine:m:3".into()),
            alias_arn: Some("arn:aws:states:us-east-1:123456789012:stateMachine:m:PROD".into()),
            status: "FAILED".into(),
            start_millis: 1_700_000_000_000,
            stop_millis: Some(1_700_000_000_500),
            input: r#"{"big": "input"}"#.into(),
            output: None,
            error: Some("E".into()),
            cause: Some("c".into()),
            redrive_count: 2,
            redrive_millis: Some(1_700_000_000_200),
            machine_name: "m".into(),
            definition: String::new(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            revision_id: "r1".into(),
            machine_update_millis: 1,
            seq: 9,
        };
        let stored = serde_json::to_string(&record).unwrap();
        let summary: ExecutionSummary = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            summary,
            ExecutionSummary {
                arn: record.arn.clone(),
                name: record.name.clone(),
                state_machine_arn: record.state_machine_arn.clone(),
                version_arn: record.version_arn.clone(),
                alias_arn: record.alias_arn.clone(),
                status: record.status.clone(),
                start_millis: record.start_millis,
                stop_millis: record.stop_millis,
                redrive_count: record.redrive_count,
                redrive_millis: record.redrive_millis,
            }
        );
    }
}
