//! Alerts on one machine, as EventBridge rules, CloudWatch alarms and SNS
//! give them on AWS: every execution status change becomes an event in
//! EventBridge's shape ("Step Functions Execution Status Change"); rules
//! whose pattern matches send it to their targets; metric alarms over the
//! per-minute figures change state (OK, ALARM, INSUFFICIENT_DATA) and send
//! a "CloudWatch Alarm State Change" event to theirs (and to the rules).
//!
//! Targets are webhooks, commands, files and new executions; deliveries go
//! through a bounded queue on their own tasks, retried with backoff, so an
//! execution never waits for one.
//!
//! Must not depend on: any Stepyard crate but `stepyard-metrics`. The
//! service tells it of status changes through its own listener trait; the
//! binary wires the two, and hands it a [`Starter`] and a [`MinuteSource`].

mod alarm;
mod deliver;
mod pattern;
mod rules;
mod saved;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use stepyard_metrics::{Aggregate, Metrics, SeriesKey, minute_of};
use tokio::sync::watch;

pub use alarm::{AlarmState, Comparison, Evaluation, Statistic, TreatMissing, evaluate, period_values};
pub use pattern::Pattern;
pub use rules::{AlarmSpec, DIMENSIONS, RetryPolicy, Rule, RulesError, RulesFile, Target};

use deliver::{Deliveries, Job, now_seconds};

/// A boxed future, as the traits here return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Starts executions for `startExecution` targets.
pub trait Starter: Send + Sync {
    /// Starts an execution of `state_machine_arn` with `input` (JSON
    /// text); its ARN, or why it could not start.
    fn start_execution(&self, state_machine_arn: &str, input: String) -> BoxFuture<'static, Result<String, String>>;
}

/// Where alarms read the per-minute figures.
pub trait MinuteSource: Send + Sync {
    /// Every series' figures of the minutes `from..to` (minutes since the
    /// Unix epoch), stored or still in memory.
    fn minutes(&self, from: u64, to: u64) -> Result<Vec<(u64, SeriesKey, Aggregate)>, String>;
}

/// An execution's status as it changed (`RUNNING` when it starts or is
/// redriven, then how it ended).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionChange {
    /// The execution's ARN.
    pub execution_arn: String,
    /// Its state machine's ARN.
    pub state_machine_arn: String,
    /// Its name.
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// When it started, epoch milliseconds.
    pub start_millis: i64,
    /// When it ended, epoch milliseconds.
    pub stop_millis: Option<i64>,
    /// Its input (JSON text).
    pub input: String,
    /// Its output (JSON text), when it succeeded.
    pub output: Option<String>,
    /// The error it failed with.
    pub error: Option<String>,
    /// The cause of that error.
    pub cause: Option<String>,
    /// How many times it was redriven.
    pub redrive_count: u32,
}

/// Events kept for followers (`Stepyard.FollowEvents`).
const FEED_SIZE: usize = 1000;
/// The longest a follower's request waits for an event.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

struct AlarmStatus {
    state: AlarmState,
    reason: String,
    since: f64,
    values: Vec<Option<f64>>,
}

#[derive(Default)]
struct Feed {
    events: VecDeque<(u64, Arc<Value>)>,
    last: u64,
}

/// The alerts of one server.
pub struct Alerts {
    file: RulesFile,
    account: String,
    region: String,
    alarms: Mutex<Vec<AlarmStatus>>,
    deliveries: Arc<Deliveries>,
    feed: Mutex<Feed>,
    published: watch::Sender<u64>,
    /// Rules added through the API (`Stepyard.PutAlertRule`), each with
    /// the JSON it was added as (saved and listed as given).
    added: Mutex<Vec<(Rule, Value)>>,
    /// Set when an alarm changed state, or a rule was added or deleted,
    /// since the state was last saved.
    alarms_changed: std::sync::atomic::AtomicBool,
}

impl Alerts {
    /// The alerts of `file`, with events naming `account` and `region`;
    /// deliveries counted into `metrics`. Starts its delivery worker, so
    /// it must be made inside a tokio runtime.
    pub fn start(file: RulesFile, account: &str, region: &str, metrics: Option<Arc<Metrics>>) -> Arc<Alerts> {
        let now = now_seconds();
        let alarms = file
            .alarms
            .iter()
            .map(|_| AlarmStatus {
                state: AlarmState::InsufficientData,
                reason: "Unchecked: Initial alarm creation".into(),
                since: now,
                values: Vec::new(),
            })
            .collect();
        let deliveries = Arc::new(Deliveries::new(file.retry, metrics));
        deliveries.start();
        Arc::new(Alerts {
            file,
            account: account.to_owned(),
            region: region.to_owned(),
            alarms: Mutex::new(alarms),
            deliveries,
            feed: Mutex::default(),
            published: watch::channel(0).0,
            added: Mutex::new(Vec::new()),
            alarms_changed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Lets `startExecution` targets start executions through `starter`.
    pub fn set_starter(&self, starter: Arc<dyn Starter>) {
        let _ = self.deliveries.starter.set(starter);
    }

    /// Evaluates the alarms a few seconds after each minute ends, reading
    /// the figures from `source` (nothing runs without alarms).
    pub fn run_alarms(self: &Arc<Self>, source: Arc<dyn MinuteSource>) {
        if self.file.alarms.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let into_minute = (now_seconds() * 1000.0) as u64 % 60_000;
                let wait = Duration::from_millis(60_000 - into_minute + 2_000);
                tokio::time::sleep(wait).await;
                this.evaluate_alarms(&*source, (now_seconds() * 1000.0) as u64);
            }
        });
    }

    /// An execution's status changed: its event goes to the followers and
    /// to the targets of the rules it matches. Never waits.
    pub fn status_changed(&self, change: ExecutionChange) {
        let event = self.status_event(&change);
        self.publish(event, None);
    }

    /// Evaluates every alarm at `now_millis` from `source`'s figures; a
    /// state change is published.
    pub fn evaluate_alarms(&self, source: &dyn MinuteSource, now_millis: u64) {
        let now_minute = minute_of(now_millis);
        let span = self
            .file
            .alarms
            .iter()
            .map(|a| a.period_minutes * u64::from(a.evaluation_periods))
            .max()
            .unwrap_or(0);
        let minutes = match source.minutes(now_minute.saturating_sub(span), now_minute) {
            Ok(minutes) => minutes,
            Err(e) => {
                eprintln!("stepyard: alarms cannot read the metrics: {e}");
                return;
            }
        };
        let mut changes = Vec::new();
        {
            let mut statuses = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
            for (i, (spec, status)) in self.file.alarms.iter().zip(statuses.iter_mut()).enumerate() {
                let values = period_values(spec, &minutes, now_minute);
                let evaluation = evaluate(spec, &values, status.state);
                status.values = values;
                if evaluation.state != status.state {
                    changes.push((i, status.state, status.reason.clone(), evaluation.clone()));
                    status.state = evaluation.state;
                    status.reason = evaluation.reason;
                    status.since = now_seconds();
                    self.alarms_changed.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        for (i, previous, previous_reason, evaluation) in changes {
            let spec = &self.file.alarms[i];
            let event = self.alarm_event(spec, previous, &previous_reason, &evaluation);
            self.publish(event, Some((&spec.name, &spec.targets)));
        }
    }

    fn publish(&self, event: Value, own: Option<(&str, &[Target])>) {
        let event = Arc::new(event);
        let seq = {
            let mut feed = self.feed.lock().unwrap_or_else(|e| e.into_inner());
            feed.last += 1;
            let seq = feed.last;
            if feed.events.len() >= FEED_SIZE {
                feed.events.pop_front();
            }
            feed.events.push_back((seq, event.clone()));
            seq
        };
        self.published.send_replace(seq);
        let send = |source: &str, targets: &[Target]| {
            for (i, target) in targets.iter().enumerate() {
                self.deliveries.submit(Job {
                    source: source.to_owned(),
                    label: format!("{}[{i}]", target.kind()),
                    target: target.clone(),
                    event: event.clone(),
                });
            }
        };
        if let Some((name, targets)) = own {
            send(name, targets);
        }
        for rule in &self.file.rules {
            if rule.pattern.matches(&event) {
                send(&rule.name, &rule.targets);
            }
        }
        let added: Vec<(String, Vec<Target>)> = self
            .added
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(rule, _)| rule.pattern.matches(&event))
            .map(|(rule, _)| (rule.name.clone(), rule.targets.clone()))
            .collect();
        for (name, targets) in added {
            send(&name, &targets);
        }
    }

    /// Adds (or replaces) a rule given in the rules file's shape, as
    /// `Stepyard.PutAlertRule` does; the names of the `--alerts` file's
    /// rules and alarms are taken.
    pub fn put_rule(&self, request: &Value) -> Result<(), RulesError> {
        let rule = Rule::from_request(request)?;
        let taken =
            self.file.rules.iter().any(|r| r.name == rule.name) || self.file.alarms.iter().any(|a| a.name == rule.name);
        if taken {
            return Err(RulesError {
                file: "the request".into(),
                path: "rule.name".into(),
                message: format!("'{}' is a rule or alarm of the --alerts file", rule.name),
            });
        }
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        added.retain(|(r, _)| r.name != rule.name);
        added.push((rule, request.clone()));
        self.alarms_changed.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Deletes a rule added through the API; false when there is none of
    /// that name (the file's rules stay while the server runs).
    pub fn delete_rule(&self, name: &str) -> bool {
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        let before = added.len();
        added.retain(|(r, _)| r.name != name);
        let deleted = added.len() < before;
        if deleted {
            self.alarms_changed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        deleted
    }

    /// The events after `after` (a `next` this gave before; 0: all still
    /// kept), waiting up to `wait` for one: `{"events": [...], "next": n}`.
    pub async fn events_after(&self, after: u64, wait: Duration) -> Value {
        let mut changed = self.published.subscribe();
        let deadline = tokio::time::Instant::now() + wait.min(MAX_WAIT);
        loop {
            let (events, last) = {
                let feed = self.feed.lock().unwrap_or_else(|e| e.into_inner());
                let events: Vec<Value> = feed
                    .events
                    .iter()
                    .filter(|(seq, _)| *seq > after)
                    .map(|(_, e)| (**e).clone())
                    .collect();
                (events, feed.last)
            };
            if !events.is_empty() || tokio::time::Instant::now() >= deadline {
                return json!({"events": events, "next": last});
            }
            changed.mark_unchanged();
            if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                return json!({"events": [], "next": last});
            }
        }
    }

    /// `Stepyard.ListAlerts`: the rules, the alarms with their states, and
    /// the recent deliveries (newest first).
    pub fn describe(&self) -> Value {
        let listed = |r: &Rule, origin: &str| {
            json!({
                "name": r.name,
                "pattern": r.pattern_json,
                "targets": r.targets.iter().map(Target::describe).collect::<Vec<_>>(),
                "origin": origin,
            })
        };
        let mut rules: Vec<Value> = self.file.rules.iter().map(|r| listed(r, "file")).collect();
        let added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        rules.extend(added.iter().map(|(r, _)| listed(r, "api")));
        drop(added);
        let statuses = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        let alarms: Vec<Value> = self
            .file
            .alarms
            .iter()
            .zip(statuses.iter())
            .map(|(a, s)| {
                json!({
                    "name": a.name,
                    "description": a.description,
                    "metric": a.metric,
                    "dimensions": a.dimensions.iter().map(|(k, v)| (k.clone(), json!(v)))
                        .collect::<serde_json::Map<String, Value>>(),
                    "statistic": a.statistic.name(),
                    "period": a.period_minutes * 60,
                    "evaluationPeriods": a.evaluation_periods,
                    "datapointsToAlarm": a.datapoints_to_alarm,
                    "threshold": a.threshold,
                    "comparison": a.comparison.name(),
                    "treatMissingData": a.treat_missing.name(),
                    "targets": a.targets.iter().map(Target::describe).collect::<Vec<_>>(),
                    "state": s.state.as_str(),
                    "stateReason": s.reason,
                    "stateUpdated": s.since,
                    "lastValues": s.values,
                })
            })
            .collect();
        json!({"rules": rules, "alarms": alarms, "deliveries": self.deliveries.recent()})
    }

    fn envelope(&self, detail_type: &str, source: &str, resource: String, detail: Value) -> Value {
        json!({
            "version": "0",
            "id": random_uuid(),
            "detail-type": detail_type,
            "source": source,
            "account": self.account,
            "time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": self.region,
            "resources": [resource],
            "detail": detail,
        })
    }

    fn status_event(&self, c: &ExecutionChange) -> Value {
        let detail = json!({
            "executionArn": c.execution_arn,
            "stateMachineArn": c.state_machine_arn,
            "name": c.name,
            "status": c.status,
            "startDate": c.start_millis,
            "stopDate": c.stop_millis,
            "input": c.input,
            "output": c.output,
            "inputDetails": {"included": true},
            "outputDetails": c.output.as_ref().map(|_| json!({"included": true})),
            "error": c.error,
            "cause": c.cause,
            "redriveCount": c.redrive_count,
        });
        self.envelope(
            "Step Functions Execution Status Change",
            "aws.states",
            c.execution_arn.clone(),
            detail,
        )
    }

    fn alarm_event(&self, spec: &AlarmSpec, previous: AlarmState, previous_reason: &str, now: &Evaluation) -> Value {
        let time = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string();
        let dimensions: serde_json::Map<String, Value> =
            spec.dimensions.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let detail = json!({
            "alarmName": spec.name,
            "state": {"value": now.state.as_str(), "reason": now.reason, "timestamp": time},
            "previousState": {"value": previous.as_str(), "reason": previous_reason},
            "configuration": {
                "description": spec.description,
                "metrics": [{
                    "id": "m1",
                    "metricStat": {
                        "metric": {"namespace": "AWS/States", "name": spec.metric, "dimensions": dimensions},
                        "period": spec.period_minutes * 60,
                        "stat": spec.statistic.name(),
                    },
                    "returnData": true,
                }],
                "threshold": spec.threshold,
                "comparisonOperator": spec.comparison.name(),
                "evaluationPeriods": spec.evaluation_periods,
                "datapointsToAlarm": spec.datapoints_to_alarm,
                "treatMissingData": spec.treat_missing.name(),
            },
        });
        let arn = format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{}",
            self.region, self.account, spec.name
        );
        self.envelope("CloudWatch Alarm State Change", "aws.cloudwatch", arn, detail)
    }
}

/// A random (version 4) UUID, as EventBridge gives each event.
fn random_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests;
