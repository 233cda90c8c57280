//! Wiring the alerts (`serve --alerts FILE`) to the service, and `stepyard
//! events`: the status-change (and alarm) events as JSON lines.

use std::process::ExitCode;
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde_json::{Value, json};
use stepyard_alerts::{Alerts, BoxFuture, ExecutionChange, MinuteSource, Starter};
use stepyard_metrics::{Aggregate, SeriesKey};
use stepyard_service::{ListenerFuture, Service, StatusChange, StatusListener};

use super::EnvArgs;
use super::client::Backend;

/// The alerts, as the service's status listener.
pub(super) struct Listener(pub(super) Arc<Alerts>);

impl StatusListener for Listener {
    fn status_changed(&self, c: StatusChange) {
        self.0.status_changed(ExecutionChange {
            execution_arn: c.execution_arn,
            state_machine_arn: c.state_machine_arn,
            name: c.name,
            status: c.status,
            start_millis: c.start_millis,
            stop_millis: c.stop_millis,
            input: c.input,
            output: c.output,
            error: c.error,
            cause: c.cause,
            redrive_count: c.redrive_count,
        });
    }

    fn list_alerts(&self) -> Value {
        self.0.describe()
    }

    fn events_after(&self, after: u64, wait: Duration) -> ListenerFuture {
        let alerts = self.0.clone();
        Box::pin(async move { alerts.events_after(after, wait).await })
    }

    fn put_rule(&self, rule: &Value) -> Result<(), String> {
        self.0.put_rule(rule).map_err(|e| e.to_string())
    }

    fn delete_rule(&self, name: &str) -> bool {
        self.0.delete_rule(name)
    }
}

/// Starts executions for `startExecution` targets, and reads the metrics
/// for alarms, through the service (held weakly: the service holds the
/// alerts).
pub(super) struct Through(pub(super) Weak<Service>);

impl Starter for Through {
    fn start_execution(&self, state_machine_arn: &str, input: String) -> BoxFuture<'static, Result<String, String>> {
        let service = self.0.upgrade();
        let request = json!({"stateMachineArn": state_machine_arn, "input": input});
        Box::pin(async move {
            let service = service.ok_or("the server is stopping")?;
            let answer = service
                .call("StartExecution", request)
                .await
                .map_err(|e| format!("{}: {}", e.code, e.message))?;
            Ok(answer["executionArn"].as_str().unwrap_or_default().to_owned())
        })
    }
}

impl MinuteSource for Through {
    fn minutes(&self, from: u64, to: u64) -> Result<Vec<(u64, SeriesKey, Aggregate)>, String> {
        let service = self.0.upgrade().ok_or("the server is stopping")?;
        service.metric_minutes(from, to).map_err(|e| e.message)
    }
}

#[derive(Debug, Args)]
pub(super) struct EventsArgs {
    /// Keep waiting for new events (Ctrl-C ends).
    #[arg(long, short)]
    follow: bool,
    /// The server to ask (default: the one on the data directory).
    #[arg(long)]
    endpoint: Option<String>,
}

/// `stepyard events`: the events the server still keeps (its last 1000),
/// then, with `--follow`, each new one as it happens.
pub(super) fn events(args: EventsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    if matches!(backend, Backend::Local { .. }) {
        bail!(
            "no server runs on {}: events come from `stepyard serve` (or pass --endpoint URL)",
            env.data.display()
        );
    }
    let mut after = 0u64;
    let stdout = std::io::stdout();
    loop {
        let wait = if args.follow { 20 } else { 0 };
        let answer = backend.call_stepyard("FollowEvents", json!({"after": after, "waitSeconds": wait}))?;
        let mut out = stdout.lock();
        for event in answer["events"].as_array().map(Vec::as_slice).unwrap_or_default() {
            writeln!(out, "{event}")?;
        }
        out.flush()?;
        after = answer["next"].as_u64().unwrap_or(after);
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
    }
}
