//! `stepyard executions`, `describe` and `history`: what ran, and how.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::EnvArgs;
use super::client::{Backend, all_pages, date, execution_arn};

#[derive(Debug, Args)]
pub(super) struct ExecutionsArgs {
    /// Only this state machine (name or ARN).
    machine: Option<String>,
    /// Only executions with this status (RUNNING, SUCCEEDED, FAILED…).
    #[arg(long)]
    status: Option<String>,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database).
    #[arg(long, value_name = "URL", env = "STEPYARD_ENDPOINT")]
    endpoint: Option<String>,
    /// Print JSON (ListExecutions' items).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(super) struct DescribeArgs {
    /// The execution: its ARN, or MACHINE:NAME.
    execution: String,
    #[arg(long, value_name = "URL", env = "STEPYARD_ENDPOINT")]
    endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The execution: its ARN, or MACHINE:NAME.
    execution: String,
    /// Newest first.
    #[arg(long)]
    reverse: bool,
    #[arg(long, value_name = "URL", env = "STEPYARD_ENDPOINT")]
    endpoint: Option<String>,
    /// Print the events as JSON, one per line.
    #[arg(long)]
    json: bool,
}

pub(super) fn executions(args: ExecutionsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    let machines: Vec<String> = match &args.machine {
        Some(m) if m.starts_with("arn:") => vec![m.clone()],
        Some(m) => vec![stepyard_service::Location::default().state_machine_arn(m)],
        None => all_pages(&backend, "ListStateMachines", json!({}), "stateMachines")?
            .iter()
            .filter_map(|m| m["stateMachineArn"].as_str().map(str::to_owned))
            .collect(),
    };
    let mut rows = Vec::new();
    for machine in machines {
        let mut request = json!({"stateMachineArn": machine});
        if let Some(s) = &args.status {
            request["statusFilter"] = json!(s);
        }
        rows.extend(all_pages(&backend, "ListExecutions", request, "executions")?);
    }
    if args.json {
        println!("{}", Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        let machine = r["stateMachineArn"].as_str().unwrap_or_default();
        println!(
            "{:<10} {:<24} {:<24} {}:{}",
            r["status"].as_str().unwrap_or_default(),
            date(&r["startDate"]),
            date(&r["stopDate"]),
            machine.rsplit(':').next().unwrap_or_default(),
            r["name"].as_str().unwrap_or_default()
        );
    }
    if rows.is_empty() {
        eprintln!("no executions");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn describe(args: DescribeArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    let d = backend.call(
        "DescribeExecution",
        json!({"executionArn": execution_arn(&args.execution)}),
    )?;
    println!("{}", serde_json::to_string_pretty(&d)?);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn history(args: HistoryArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    let request = json!({
        "executionArn": execution_arn(&args.execution),
        "reverseOrder": args.reverse,
        "maxResults": 1000,
    });
    for e in all_pages(&backend, "GetExecutionHistory", request, "events")? {
        if args.json {
            println!("{e}");
            continue;
        }
        let details = e
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        println!(
            "{:>5} {:>5} {} {:<28} {details}",
            e["id"],
            e["previousEventId"],
            date(&e["timestamp"]),
            e["type"].as_str().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
