//! What the Step Functions service keeps: state machines, their published
//! versions, and executions. Plain data, stored as JSON documents.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// `key` of the tag: 1-128 characters, unique on its resource.
    pub key: String,
    /// `value` of the tag: at most 256 characters.
    pub value: String,
}

/// A state machine (its latest revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineRecord {
    /// `stateMachineArn`: the unqualified ARN, `…:stateMachine:<name>`.
    pub arn: String,
    /// `name`: the last part of its ARN, 1-80 characters by AWS's naming rules.
    pub name: String,
    /// `definition`: the Amazon States Language text of the latest revision.
    pub definition: String,
    /// `roleArn`: the IAM role the machine's tasks run as.
    pub role_arn: String,
    /// `STANDARD` or `EXPRESS`.
    #[serde(rename = "type")]
    pub machine_type: String,
    /// `creationDate` of DescribeStateMachine, in epoch milliseconds.
    pub creation_millis: i64,
    /// When the definition or role last changed (the creation date at first).
    pub update_millis: i64,
    /// `revisionId`: a UUID, new whenever the definition or role changes.
    pub revision_id: String,
    /// `loggingConfiguration` as given; absent means logging off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<Value>,
    /// `tracingConfiguration` as given; absent means tracing off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_configuration: Option<Value>,
    /// The machine's tags (ListTagsForResource), at most 50.
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
    /// The unqualified ARN of the machine it was published from.
    pub state_machine_arn: String,
    /// The version number, counting from 1 per machine.
    pub version: u64,
    /// The definition frozen at publication.
    pub definition: String,
    /// The role ARN frozen at publication.
    pub role_arn: String,
    /// The `revisionId` of the machine revision it froze.
    pub revision_id: String,
    /// The `versionDescription` given at publication, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `creationDate`: the machine's `update_millis` when published, in epoch milliseconds.
    pub creation_millis: i64,
}

/// An alias: a name for one or two versions of a state machine, with the
/// share of new executions each gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasRecord {
    /// `…:stateMachine:<name>:<alias>`.
    pub arn: String,
    /// The unqualified ARN of the machine whose versions it routes to.
    pub state_machine_arn: String,
    /// The alias name: the last part of its ARN, not all digits.
    pub name: String,
    /// `description` of the alias, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `routingConfiguration`: one or two versions with their weights.
    pub routing: Vec<AliasRoute>,
    /// `creationDate` of DescribeStateMachineAlias, in epoch milliseconds.
    pub creation_millis: i64,
    /// `updateDate` of DescribeStateMachineAlias, in epoch milliseconds.
    pub update_millis: i64,
}

/// One version an alias routes to, and its weight (the weights sum to 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasRoute {
    /// `stateMachineVersionArn` of the route: a qualified version ARN.
    pub version_arn: String,
    /// `weight` of the route: its percentage of new executions.
    pub weight: u32,
}

/// One execution, with the machine it runs (copied at start, so a later
/// update or deletion of the machine does not change it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRecord {
    /// `executionArn`: `…:execution:<machine name>:<name>`.
    pub arn: String,
    /// `name`: the last part of its ARN, unique among its machine's executions.
    pub name: String,
    /// `stateMachineArn`: the unqualified ARN of the machine it runs.
    pub state_machine_arn: String,
    /// `stateMachineVersionArn`: the version it runs, when started through one or an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_arn: Option<String>,
    /// The alias it was started through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_arn: Option<String>,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// `startDate` of DescribeExecution, in epoch milliseconds.
    pub start_millis: i64,
    /// `stopDate` of DescribeExecution, in epoch milliseconds; `None` while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_millis: Option<i64>,
    /// The input as given (JSON text).
    pub input: String,
    /// The final output (JSON text) of a succeeded execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The `error` name of a failed, timed-out or aborted execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `cause` that goes with `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// `redriveCount`: how many times RedriveExecution restarted it.
    #[serde(default)]
    pub redrive_count: u32,
    /// `redriveDate`: when it was last redriven, in epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_millis: Option<i64>,
    /// The name of the machine it runs (DescribeStateMachineForExecution's `name`).
    pub machine_name: String,
    /// The definition it runs. The store keeps it once per revision, not in
    /// each record: records it lists leave it empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub definition: String,
    /// The role ARN it runs as, copied from the machine or version at start.
    pub role_arn: String,
    /// The `revisionId` it runs; the store keys the shared definition by it.
    pub revision_id: String,
    /// `updateDate` of DescribeStateMachineForExecution, in epoch milliseconds.
    pub machine_update_millis: i64,
    /// Start order, assigned by the store (listing is newest first).
    #[serde(default)]
    pub seq: u64,
    /// The mock configuration's test case it runs with (started as
    /// `…:stateMachine:NAME#CASE` on a server with a MockConfigFile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_case: Option<String>,
}

/// What a listing shows of an execution: its record without the input,
/// output, error and what it runs. Read straight from a stored record
/// (the fields it lacks are skipped, not copied), so listing a machine's
/// executions does not copy every input and output they had.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    /// `executionArn` of a ListExecutions item.
    pub arn: String,
    /// `name` of a ListExecutions item.
    pub name: String,
    /// `stateMachineArn`: the unqualified ARN of the machine it runs.
    pub state_machine_arn: String,
    /// `stateMachineVersionArn`, when started through a version or an alias.
    #[serde(default)]
    pub version_arn: Option<String>,
    /// `stateMachineAliasArn`, when started through an alias.
    #[serde(default)]
    pub alias_arn: Option<String>,
    /// `status`: `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// `startDate`, in epoch milliseconds.
    pub start_millis: i64,
    /// `stopDate`, in epoch milliseconds; `None` while it runs.
    #[serde(default)]
    pub stop_millis: Option<i64>,
    /// `redriveCount`; ListExecutions' `redriveFilter` tests it.
    #[serde(default)]
    pub redrive_count: u32,
    /// `redriveDate` of the last redrive, in epoch milliseconds.
    #[serde(default)]
    pub redrive_millis: Option<i64>,
}

impl ExecutionRecord {
    /// Whether it has not ended yet (status `RUNNING`).
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
            test_case: self.test_case.clone(),
        }
    }
}

/// How an execution ended, as the store records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionEnd {
    /// The final status: `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// When it ended, in epoch milliseconds.
    pub stop_millis: i64,
    /// The output (JSON text) of a succeeded execution.
    pub output: Option<String>,
    /// The error name of an execution that did not succeed.
    pub error: Option<String>,
    /// The cause that goes with the error.
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
    /// The event's `id`: its place in the history, from 1; also the paging token.
    pub id: u64,
    /// The event as JSON text.
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
            test_case: None,
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
