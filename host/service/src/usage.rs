//! `Stepyard.GetExecutionUsage`: what each task attempt of an execution
//! used (time queued and running, CPU, peak memory, table reads and
//! writes, log lines, output size), and the execution's totals with its
//! state transitions (what AWS bills).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Service, ServiceError, ServiceResult};
use stepyard_store::LogStore;

/// Events read per page while counting state transitions.
const PAGE: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageRequest {
    execution_arn: String,
}

impl Service {
    pub(crate) fn execution_usage(&self, req: UsageRequest) -> ServiceResult<Value> {
        let arn = req.execution_arn;
        if self.store.execution(&arn)?.is_none() {
            return Err(ServiceError::new(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{arn}'"),
            ));
        }
        let attempts = self.store.usage(&arn)?;
        let mut transitions = 0u64;
        let mut after = None;
        loop {
            let (events, more) = self.store.events(&arn, after, false, PAGE)?;
            transitions += events.iter().filter(|e| e.json.contains("StateEntered\"")).count() as u64;
            after = events.last().map(|e| e.id);
            if !more || after.is_none() {
                break;
            }
        }
        let sum_f = |f: fn(&stepyard_store::TaskUsage) -> f64| attempts.iter().map(f).sum::<f64>();
        let sum_u = |f: fn(&stepyard_store::TaskUsage) -> u64| attempts.iter().map(f).sum::<u64>();
        let totals = json!({
            "stateTransitions": transitions,
            "taskAttempts": attempts.len(),
            "queuedMs": round(sum_f(|u| u.queued_ms)),
            "runMs": round(sum_f(|u| u.run_ms)),
            "cpuMs": round(sum_f(|u| u.cpu_ms)),
            "peakMemoryBytes": attempts.iter().map(|u| u.peak_memory_bytes).max().unwrap_or(0),
            "kvReads": sum_u(|u| u64::from(u.kv_reads)),
            "kvReadBytes": sum_u(|u| u.kv_read_bytes),
            "kvWrites": sum_u(|u| u64::from(u.kv_writes)),
            "kvWriteBytes": sum_u(|u| u.kv_write_bytes),
            "logLines": sum_u(|u| u64::from(u.log_lines)),
            "outputBytes": sum_u(|u| u.output_bytes),
        });
        Ok(json!({"executionArn": arn, "attempts": attempts, "totals": totals}))
    }
}

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}
