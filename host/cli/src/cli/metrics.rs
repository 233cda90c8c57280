//! `stepyard metrics`: the per-minute figures of the last hours, summed, in
//! a terminal (what the console's dashboard shows).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::EnvArgs;
use super::client::Backend;

#[derive(Debug, Args)]
pub(super) struct MetricsArgs {
    /// Only this state machine (its name).
    state_machine: Option<String>,
    /// How far back: e.g. 15m, 1h (the default), 7d.
    #[arg(long, value_name = "AGE", default_value = "1h", value_parser = super::duration::parse_age)]
    since: Duration,
    /// Print the API's answer (Stepyard.GetMetricData) as JSON.
    #[arg(long)]
    json: bool,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database itself).
    #[arg(long)]
    endpoint: Option<String>,
}

pub(super) fn metrics(args: MetricsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut request = json!({
        "startTime": (now - args.since.as_secs_f64()).max(0.0),
        "endTime": now,
        "period": args.since.as_secs().div_ceil(60).clamp(1, 15 * 1440) * 60,
    });
    if let Some(machine) = &args.state_machine {
        request["stateMachine"] = json!(machine);
    }
    let answer = backend.call_stepyard("GetMetricData", request)?;
    if args.json {
        println!("{answer}");
        return Ok(ExitCode::SUCCESS);
    }
    let series = answer["series"].as_array().map(Vec::as_slice).unwrap_or_default();
    print!("{}", render(series));
    Ok(ExitCode::SUCCESS)
}

/// The summaries as three tables: executions per state machine, states,
/// plugins.
fn render(series: &[Value]) -> String {
    // (table, row key) → column → figures
    let mut machines: BTreeMap<String, BTreeMap<&str, &Value>> = BTreeMap::new();
    let mut states: BTreeMap<(String, String), BTreeMap<&str, &Value>> = BTreeMap::new();
    let mut plugins: BTreeMap<String, BTreeMap<&str, &Value>> = BTreeMap::new();
    for s in series {
        let metric = s["metric"].as_str().unwrap_or_default();
        let text = |f: &str| s[f].as_str().unwrap_or_default().to_owned();
        let summary = &s["summary"];
        if !text("plugin").is_empty() {
            plugins.entry(text("plugin")).or_default().insert(metric, summary);
        } else if !text("state").is_empty() {
            states
                .entry((text("stateMachine"), text("state")))
                .or_default()
                .insert(metric, summary);
        } else {
            machines
                .entry(text("stateMachine"))
                .or_default()
                .insert(metric, summary);
        }
    }
    let count = |row: &BTreeMap<&str, &Value>, metric: &str| {
        row.get(metric)
            .and_then(|v| v["sampleCount"].as_u64())
            .unwrap_or(0)
            .to_string()
    };
    let millis = |row: &BTreeMap<&str, &Value>, metric: &str, q: &str| {
        row.get(metric)
            .and_then(|v| v[q].as_f64())
            .map_or_else(|| "-".to_owned(), format_millis)
    };
    let mut out = String::new();
    if machines.is_empty() && states.is_empty() && plugins.is_empty() {
        out.push_str("no executions, states or task attempts in that time\n");
        return out;
    }
    let mut rows = vec![
        [
            "STATE MACHINE",
            "STARTED",
            "SUCCEEDED",
            "FAILED",
            "TIMED_OUT",
            "ABORTED",
            "p50",
            "p95",
            "p99",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for (name, row) in &machines {
        rows.push(vec![
            name.clone(),
            count(row, "ExecutionsStarted"),
            count(row, "ExecutionsSucceeded"),
            count(row, "ExecutionsFailed"),
            count(row, "ExecutionsTimedOut"),
            count(row, "ExecutionsAborted"),
            millis(row, "ExecutionTime", "p50"),
            millis(row, "ExecutionTime", "p95"),
            millis(row, "ExecutionTime", "p99"),
        ]);
    }
    out.push_str(&table(&rows));
    let mut rows = vec![
        ["STATE MACHINE", "STATE", "RUNS", "FAILED", "p50", "p95", "p99"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for ((machine, state), row) in &states {
        rows.push(vec![
            machine.clone(),
            state.clone(),
            count(row, "StateTime"),
            count(row, "StatesFailed"),
            millis(row, "StateTime", "p50"),
            millis(row, "StateTime", "p95"),
            millis(row, "StateTime", "p99"),
        ]);
    }
    out.push('\n');
    out.push_str(&table(&rows));
    let mut rows = vec![
        ["PLUGIN", "ATTEMPTS", "FAILURES", "TIMEOUTS", "RETRIES", "DENIALS"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for (name, row) in &plugins {
        rows.push(vec![
            name.clone(),
            count(row, "TaskAttempts"),
            count(row, "TaskFailures"),
            count(row, "TaskTimeouts"),
            count(row, "TaskRetries"),
            count(row, "PolicyDenials"),
        ]);
    }
    out.push('\n');
    out.push_str(&table(&rows));
    out
}

fn format_millis(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// Rows as left-aligned columns two spaces apart.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(s, w)| format!("{s:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_become_three_tables() {
        let series = vec![
            json!({"metric": "ExecutionsStarted", "stateMachine": "orders", "summary": {"sampleCount": 3}}),
            json!({"metric": "ExecutionsFailed", "stateMachine": "orders", "summary": {"sampleCount": 1}}),
            json!({"metric": "ExecutionTime", "stateMachine": "orders",
                   "summary": {"sampleCount": 2, "p50": 12.5, "p95": 30.0, "p99": 12000.0}}),
            json!({"metric": "StateTime", "stateMachine": "orders", "state": "Pay",
                   "summary": {"sampleCount": 3, "p50": 1.25}}),
            json!({"metric": "TaskRetries", "plugin": "paymentProcessing", "summary": {"sampleCount": 2}}),
        ];
        let text = render(&series);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("STATE MACHINE  STARTED"), "{text}");
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["orders", "3", "0", "1", "0", "0", "12", "ms", "30", "ms", "12.0", "s"]
        );
        assert!(text.contains("Pay"), "{text}");
        assert!(text.contains("1.2 ms") || text.contains("1.3 ms"), "{text}");
        let plugin = lines.iter().find(|l| l.starts_with("paymentProcessing")).unwrap();
        assert_eq!(
            plugin.split_whitespace().collect::<Vec<_>>(),
            ["paymentProcessing", "0", "0", "0", "2", "0"]
        );
        assert!(render(&[]).starts_with("no executions"));
    }
}
