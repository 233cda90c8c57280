//! What one task attempt used: kept beside the execution's history (AWS's
//! event shapes stay as they are), read back per execution.

use serde::{Deserialize, Serialize};

/// One task attempt's time and resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskUsage {
    /// The execution the attempt belongs to.
    pub execution_arn: String,
    /// The Task state.
    pub state_name: String,
    /// Which entry of the state (the task's idempotency key), as log lines
    /// record it.
    pub entry: String,
    /// 0 for the first attempt, 1 for the first retry…
    pub attempt: u32,
    /// The plugin that ran it.
    pub plugin: String,
    /// How it ended: `succeeded`, `failed` or `timed_out`.
    pub outcome: String,
    /// When it was called, RFC 3339 with milliseconds.
    pub started: String,
    /// Waiting for an instance slot, in milliseconds.
    pub queued_ms: f64,
    /// Running (instantiating and calling), in milliseconds.
    pub run_ms: f64,
    /// CPU time spent running the plugin and its host calls, in milliseconds.
    pub cpu_ms: f64,
    /// The largest linear memory the instance had, in bytes.
    pub peak_memory_bytes: u64,
    /// Table reads (get, query) and the bytes of items they returned.
    pub kv_reads: u32,
    /// Bytes of the items reads returned.
    pub kv_read_bytes: u64,
    /// Table writes (put, update, delete) and the bytes they wrote.
    pub kv_writes: u32,
    /// Bytes of the items writes sent.
    pub kv_write_bytes: u64,
    /// Log lines it wrote (its log calls and printed lines).
    pub log_lines: u32,
    /// The size of its result (or error), in bytes.
    pub output_bytes: u64,
}
