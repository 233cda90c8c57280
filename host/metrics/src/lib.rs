//! Stepyard's metrics, in base units with Prometheus's conventions, as
//! `GET /metrics` serves them: what CloudWatch's `AWS/States` namespace has
//! (executions started and ended by status, execution time) and what it
//! lacks (a gauge of running executions, per-state durations and outcomes,
//! task attempts and retries per plugin, policy denials, API calls).
//!
//! Labels are bounded by the definitions and the plugin folder: state
//! machine, state, state type, plugin, action, operation, status. Execution
//! names and ARNs are never labels (every execution would be a new series).
//!
//! Must not depend on: any other Stepyard crate. The layers that see the
//! events (service, runtime, API) record into a shared [`Metrics`].

mod minutes;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use minutes::{Aggregate, MINUTE_METRICS, MinuteRollup, SeriesKey, minute_of};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// How a state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOutcome {
    /// It exited normally.
    Succeeded,
    /// It failed and one of its `Catch` rules took over.
    CaughtError,
    /// It failed, and the failure went on to its branch or execution.
    Failed,
}

impl StateOutcome {
    fn label(self) -> &'static str {
        match self {
            StateOutcome::Succeeded => "succeeded",
            StateOutcome::CaughtError => "caught_error",
            StateOutcome::Failed => "failed",
        }
    }
}

/// How one task attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// It returned a result.
    Succeeded,
    /// It raised an error (a function error, or the service's).
    Failed,
    /// It ran past its time limit.
    TimedOut,
}

impl AttemptOutcome {
    /// `succeeded`, `failed` or `timed_out`.
    pub fn label(self) -> &'static str {
        match self {
            AttemptOutcome::Succeeded => "succeeded",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::TimedOut => "timed_out",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MachineLabels {
    state_machine: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndLabels {
    state_machine: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state_machine: String,
    state: String,
    r#type: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RetryLabels {
    state_machine: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    state_machine: String,
    state: String,
    plugin: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DenialLabels {
    plugin: String,
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuotaLabels {
    plugin: String,
    quota: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    operation: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    rule: String,
    target: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

/// Histogram buckets for durations: 1 ms to about 9 hours, ×3 apart.
#[derive(Clone)]
struct DurationBuckets;

impl MetricConstructor<Histogram> for DurationBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
            0.001, 3.0, 16,
        ))
    }
}

/// The registry and every family recorded into.
pub struct Metrics {
    registry: Registry,
    executions_started: Family<MachineLabels, Counter>,
    executions_completed: Family<EndLabels, Counter>,
    execution_duration: Family<EndLabels, Histogram, DurationBuckets>,
    executions_running: Family<MachineLabels, Gauge>,
    state_transitions: Family<MachineLabels, Counter>,
    state_duration: Family<StateLabels, Histogram, DurationBuckets>,
    task_retries: Family<RetryLabels, Counter>,
    task_attempts: Family<AttemptLabels, Counter>,
    task_run: Family<PluginLabels, Histogram, DurationBuckets>,
    task_queue: Family<PluginLabels, Histogram, DurationBuckets>,
    policy_denials: Family<DenialLabels, Counter>,
    quota_exceeded: Family<QuotaLabels, Counter>,
    plugin_lines_dropped: Family<PluginLabels, Counter>,
    api_requests: Family<ApiLabels, Counter>,
    api_duration: Family<OperationLabels, Histogram, DurationBuckets>,
    minutes: MinuteRollup,
    retention_dropped: Family<KindLabels, Counter>,
    audited_changes: Family<KindLabels, Counter>,
    task_cpu: Family<PluginLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    task_memory: Family<PluginLabels, Histogram, MemoryBuckets>,
    alert_deliveries: Family<DeliveryLabels, Counter>,
}

/// Histogram buckets for memory: 64 KiB to 4 GiB, ×2 apart.
#[derive(Clone)]
struct MemoryBuckets;

impl MetricConstructor<Histogram> for MemoryBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
            65536.0, 2.0, 17,
        ))
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

fn durations<L: Clone + std::hash::Hash + Eq>() -> Family<L, Histogram, DurationBuckets> {
    Family::new_with_constructor(DurationBuckets)
}

impl Metrics {
    /// Every family registered, all empty.
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("stepyard"),
            executions_started: Family::default(),
            executions_completed: Family::default(),
            execution_duration: durations(),
            executions_running: Family::default(),
            state_transitions: Family::default(),
            state_duration: durations(),
            task_retries: Family::default(),
            task_attempts: Family::default(),
            task_run: durations(),
            task_queue: durations(),
            policy_denials: Family::default(),
            quota_exceeded: Family::default(),
            plugin_lines_dropped: Family::default(),
            api_requests: Family::default(),
            api_duration: durations(),
            minutes: MinuteRollup::default(),
            retention_dropped: Family::default(),
            audited_changes: Family::default(),
            task_cpu: Family::default(),
            task_memory: Family::new_with_constructor(MemoryBuckets),
            alert_deliveries: Family::default(),
        };
        let r = &mut m.registry;
        r.register(
            "executions_started",
            "Executions started (AWS/States ExecutionsStarted)",
            m.executions_started.clone(),
        );
        r.register(
            "executions_completed",
            "Executions ended, by status (AWS/States ExecutionsSucceeded, ExecutionsFailed, ExecutionsTimedOut, ExecutionsAborted)",
            m.executions_completed.clone(),
        );
        r.register_with_unit(
            "execution_duration",
            "How long executions ran, start to end (AWS/States ExecutionTime, in seconds)",
            Unit::Seconds,
            m.execution_duration.clone(),
        );
        r.register(
            "executions_running",
            "Executions running now",
            m.executions_running.clone(),
        );
        r.register(
            "state_transitions",
            "States entered (what AWS bills as state transitions)",
            m.state_transitions.clone(),
        );
        r.register_with_unit(
            "state_duration",
            "How long each state ran, entry to exit (or to its failure), by outcome",
            Unit::Seconds,
            m.state_duration.clone(),
        );
        r.register(
            "task_retries",
            "Task attempts after the first, by state",
            m.task_retries.clone(),
        );
        r.register(
            "task_attempts",
            "Task attempts on a plugin, by outcome",
            m.task_attempts.clone(),
        );
        r.register_with_unit(
            "task_run",
            "How long plugin calls ran (AWS/States LambdaFunctionRunTime, in seconds)",
            Unit::Seconds,
            m.task_run.clone(),
        );
        r.register_with_unit(
            "task_queue",
            "How long plugin calls waited for an instance slot (AWS/States LambdaFunctionScheduleTime, in seconds)",
            Unit::Seconds,
            m.task_queue.clone(),
        );
        r.register(
            "policy_denials",
            "Plugin calls to the host refused by the plugin's role",
            m.policy_denials.clone(),
        );
        r.register(
            "plugin_quota_exceeded",
            "Plugin calls stopped by a quota (Runtime.QuotaExceeded), by plugin and quota",
            m.quota_exceeded.clone(),
        );
        r.register(
            "plugin_log_lines_dropped",
            "Log lines and denial records of plugins dropped by their quotas (each drop is also said in the log)",
            m.plugin_lines_dropped.clone(),
        );
        r.register(
            "api_requests",
            "API requests, by operation and result code",
            m.api_requests.clone(),
        );
        r.register_with_unit(
            "api_request_duration",
            "How long API requests took to answer",
            Unit::Seconds,
            m.api_duration.clone(),
        );
        r.register_with_unit(
            "task_cpu",
            "CPU time plugin calls used (guest code and its host calls), in seconds",
            Unit::Seconds,
            m.task_cpu.clone(),
        );
        r.register_with_unit(
            "task_peak_memory",
            "The largest linear memory of each plugin call's instance, in bytes",
            Unit::Bytes,
            m.task_memory.clone(),
        );
        r.register(
            "alert_deliveries",
            "Alert deliveries, by rule or alarm, target and result (delivered, retry, failed, dropped)",
            m.alert_deliveries.clone(),
        );
        r.register(
            "retention_dropped",
            "Records deleted after their retention period, by kind",
            m.retention_dropped.clone(),
        );
        r.register(
            "audited_changes",
            "API changes by how their audit record was committed: with_record (the same transaction) or record_later (the change waited past the hold limit and committed alone)",
            m.audited_changes.clone(),
        );
        m
    }

    /// Brings the audited-change counters up to the store's totals
    /// (`bound`: committed with their record; `unbound`: the record came
    /// in a later commit). Totals only grow; a smaller one is ignored.
    pub fn audited_changes(&self, bound: u64, unbound: u64) {
        for (kind, total) in [("with_record", bound), ("record_later", unbound)] {
            let counter = self.audited_changes.get_or_create(&KindLabels { kind });
            let seen = counter.get();
            if total > seen {
                counter.inc_by(total - seen);
            }
        }
    }

    /// `count` records of `kind` (`executions`, `metric_minutes`…) were
    /// deleted after their retention period.
    pub fn retention_dropped(&self, kind: &'static str, count: u64) {
        self.retention_dropped.get_or_create(&KindLabels { kind }).inc_by(count);
    }

    /// One delivery attempt of an alert: `rule` (or alarm) to `target`
    /// (`webhook[0]`…) ended with `result` (`delivered`, `retry`,
    /// `failed`, `dropped`).
    pub fn alert_delivery(&self, rule: &str, target: &str, result: &'static str) {
        self.alert_deliveries
            .get_or_create(&DeliveryLabels {
                rule: rule.to_owned(),
                target: target.to_owned(),
                result,
            })
            .inc();
    }

    /// An execution of `state_machine` started (and runs here).
    pub fn execution_started(&self, state_machine: &str) {
        let labels = MachineLabels {
            state_machine: state_machine.to_owned(),
        };
        self.executions_started.get_or_create(&labels).inc();
        self.executions_running.get_or_create(&labels).inc();
        self.minutes
            .count(now_millis(), "ExecutionsStarted", state_machine, "", "");
    }

    /// An execution of `state_machine` started earlier runs here again
    /// (resumed after a restart, or redriven).
    pub fn execution_resumed(&self, state_machine: &str) {
        self.executions_running
            .get_or_create(&MachineLabels {
                state_machine: state_machine.to_owned(),
            })
            .inc();
    }

    /// An execution of `state_machine` ended with `status` (`SUCCEEDED`…)
    /// after running `duration` (the gauge of running ones is moved by
    /// [`execution_stopped_here`](Self::execution_stopped_here)).
    pub fn execution_ended(&self, state_machine: &str, status: &str, duration: Duration) {
        let labels = EndLabels {
            state_machine: state_machine.to_owned(),
            status: status.to_owned(),
        };
        self.executions_completed.get_or_create(&labels).inc();
        self.execution_duration
            .get_or_create(&labels)
            .observe(duration.as_secs_f64());
        let now = now_millis();
        let metric = match status {
            "SUCCEEDED" => "ExecutionsSucceeded",
            "FAILED" => "ExecutionsFailed",
            "TIMED_OUT" => "ExecutionsTimedOut",
            _ => "ExecutionsAborted",
        };
        self.minutes.count(now, metric, state_machine, "", "");
        self.minutes
            .duration(now, "ExecutionTime", state_machine, "", millis(duration));
    }

    /// An execution stopped running in this process: it ended, was stopped,
    /// or the server is shutting down (it resumes at the next start).
    pub fn execution_stopped_here(&self, state_machine: &str) {
        self.executions_running
            .get_or_create(&MachineLabels {
                state_machine: state_machine.to_owned(),
            })
            .dec();
    }

    /// A state ended after `duration`, with `retries` task attempts after
    /// its first.
    pub fn state_ended(
        &self,
        state_machine: &str,
        state: &str,
        state_type: &str,
        outcome: StateOutcome,
        duration: Duration,
        retries: u32,
    ) {
        self.state_transitions
            .get_or_create(&MachineLabels {
                state_machine: state_machine.to_owned(),
            })
            .inc();
        self.state_duration
            .get_or_create(&StateLabels {
                state_machine: state_machine.to_owned(),
                state: state.to_owned(),
                r#type: state_type.to_owned(),
                outcome: outcome.label(),
            })
            .observe(duration.as_secs_f64());
        let now = now_millis();
        self.minutes
            .duration(now, "StateTime", state_machine, state, millis(duration));
        if outcome != StateOutcome::Succeeded {
            self.minutes.count(now, "StatesFailed", state_machine, state, "");
        }
        if retries > 0 {
            self.task_retries
                .get_or_create(&RetryLabels {
                    state_machine: state_machine.to_owned(),
                    state: state.to_owned(),
                })
                .inc_by(u64::from(retries));
        }
    }

    /// One attempt of a task on `plugin` ended, after waiting `queued` for an
    /// instance and running `ran`; `retry` when it was not the state's first.
    #[allow(clippy::too_many_arguments)]
    pub fn task_attempt(
        &self,
        state_machine: &str,
        state: &str,
        plugin: &str,
        outcome: AttemptOutcome,
        retry: bool,
        queued: Duration,
        ran: Duration,
    ) {
        let now = now_millis();
        self.minutes.count(now, "TaskAttempts", "", "", plugin);
        if retry {
            self.minutes.count(now, "TaskRetries", "", "", plugin);
        }
        match outcome {
            AttemptOutcome::Succeeded => {}
            AttemptOutcome::Failed => self.minutes.count(now, "TaskFailures", "", "", plugin),
            AttemptOutcome::TimedOut => {
                self.minutes.count(now, "TaskFailures", "", "", plugin);
                self.minutes.count(now, "TaskTimeouts", "", "", plugin);
            }
        }
        self.task_attempts
            .get_or_create(&AttemptLabels {
                state_machine: state_machine.to_owned(),
                state: state.to_owned(),
                plugin: plugin.to_owned(),
                outcome: outcome.label(),
            })
            .inc();
        let plugin = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.task_run.get_or_create(&plugin).observe(ran.as_secs_f64());
        self.task_queue.get_or_create(&plugin).observe(queued.as_secs_f64());
    }

    /// One plugin call used `cpu` of CPU time and `peak_memory` bytes of
    /// linear memory.
    pub fn task_usage(&self, plugin: &str, cpu: Duration, peak_memory: usize) {
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.task_cpu.get_or_create(&labels).inc_by(cpu.as_secs_f64());
        self.task_memory.get_or_create(&labels).observe(peak_memory as f64);
    }

    /// A plugin's call to the host was refused by its role.
    pub fn policy_denied(&self, plugin: &str, action: &str) {
        self.minutes.count(now_millis(), "PolicyDenials", "", "", plugin);
        self.policy_denials
            .get_or_create(&DenialLabels {
                plugin: plugin.to_owned(),
                action: action.to_owned(),
            })
            .inc();
    }

    /// A plugin call was stopped by its `quota` (a manifest quota name).
    pub fn quota_exceeded(&self, plugin: &str, quota: &str) {
        self.quota_exceeded
            .get_or_create(&QuotaLabels {
                plugin: plugin.to_owned(),
                quota: quota.to_owned(),
            })
            .inc();
    }

    /// `count` log lines or denial records of `plugin` were dropped by its quotas.
    pub fn plugin_lines_dropped(&self, plugin: &str, count: u64) {
        self.plugin_lines_dropped
            .get_or_create(&PluginLabels {
                plugin: plugin.to_owned(),
            })
            .inc_by(count);
    }

    /// An API request for `operation` was answered with `code` (`OK`, or the
    /// error's code) after `duration`.
    pub fn api_request(&self, operation: &str, code: &str, duration: Duration) {
        self.api_requests
            .get_or_create(&ApiLabels {
                operation: operation.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.api_duration
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .observe(duration.as_secs_f64());
    }

    /// The per-minute figures not yet stored.
    pub fn minutes(&self) -> &MinuteRollup {
        &self.minutes
    }

    /// Everything, as OpenMetrics text (`application/openmetrics-text;
    /// version=1.0.0`), ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests;
