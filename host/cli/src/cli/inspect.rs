//! `stepyard plugins`, `stepyard table`, `stepyard logs`: look inside.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;
use stepyard_store::LogLine;

use super::EnvArgs;
use super::client::{Backend, execution_arn};

#[derive(Debug, Args)]
pub(super) struct PluginsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn plugins(args: PluginsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let env = env.open()?;
    env.host.load_all();
    let described = env.host.describe();
    let list = described["plugins"].as_array().cloned().unwrap_or_default();
    let problems = described["problems"].as_array().cloned().unwrap_or_default();
    if args.json {
        println!("{described}");
    } else {
        for p in &list {
            println!(
                "{}  {}",
                p["name"].as_str().unwrap_or_default(),
                p["path"].as_str().unwrap_or_default()
            );
            println!("    functions: {}", p["functions"]);
            println!("    limits:    {}", p["limits"]);
            println!("    wasi:      {}", p["wasi"]);
            println!("    role:      {}", p["role"]);
        }
        for p in &problems {
            println!("NOT LOADED {}  {}: {}", p["name"], p["path"], p["reason"]);
        }
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, Args)]
pub(super) struct TableArgs {
    #[command(subcommand)]
    command: TableCommand,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database itself).
    #[arg(long, global = true)]
    endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TableCommand {
    /// Print one item as JSON.
    Get { table: String, key: String },
    /// Print the items of a table (one JSON object per line), in key order.
    Scan {
        table: String,
        /// Only keys starting with this prefix.
        #[arg(long, default_value = "")]
        prefix: String,
        /// At most this many items.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// List the tables that hold items.
    List,
}

/// Most items one scan request asks for.
const SCAN_PAGE: usize = 1000;

pub(super) fn table(args: TableArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    match args.command {
        TableCommand::Get { table, key } => {
            let answer = backend.call_stepyard("GetItem", json!({"table": table, "key": key}))?;
            match answer.get("item") {
                Some(item) => {
                    println!("{}", serde_json::to_string_pretty(&item["value"])?);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("no item '{key}' in table '{table}'");
                    Ok(ExitCode::from(1))
                }
            }
        }
        TableCommand::Scan { table, prefix, limit } => {
            let mut after: Option<String> = None;
            let mut left = limit;
            while left > 0 {
                let mut request = json!({"table": table, "prefix": prefix, "limit": left.min(SCAN_PAGE)});
                if let Some(after) = &after {
                    request["exclusiveStartKey"] = after.clone().into();
                }
                let page = backend.call_stepyard("ScanTable", request)?;
                let items = page["items"].as_array().map(Vec::as_slice).unwrap_or_default();
                for item in items {
                    println!(
                        "{}",
                        json!({"key": item["key"], "version": item["version"], "item": item["value"]})
                    );
                }
                left = left.saturating_sub(items.len());
                match page["lastEvaluatedKey"].as_str() {
                    Some(next) if !items.is_empty() => after = Some(next.to_owned()),
                    _ => break,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TableCommand::List => {
            let answer = backend.call_stepyard("ListTables", json!({}))?;
            for t in answer["tables"].as_array().map(Vec::as_slice).unwrap_or_default() {
                println!("{}", t.as_str().unwrap_or_default());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Args)]
pub(super) struct LogsArgs {
    /// The execution (name, `MACHINE:NAME` or ARN); default: the most recent
    /// one with logs.
    execution: Option<String>,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database itself).
    #[arg(long)]
    endpoint: Option<String>,
}

pub(super) fn logs(args: LogsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    let request = match &args.execution {
        None => json!({}),
        Some(given) if given.starts_with("arn:") || given.contains(':') => {
            json!({"executionArn": execution_arn(given)})
        }
        // A bare name: the execution of that name with log lines, whatever
        // its state machine.
        Some(name) => json!({"executionName": name}),
    };
    let answer = match backend.call_stepyard("GetExecutionLogs", request) {
        Ok(answer) => answer,
        Err(e) if e.to_string().starts_with("ResourceNotFound") => {
            eprintln!(
                "no log lines for {}",
                args.execution.as_deref().unwrap_or("any execution")
            );
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e),
    };
    let lines: Vec<LogLine> = serde_json::from_value(answer["lines"].clone())?;
    for line in lines {
        if args.json {
            println!("{}", serde_json::to_string(&line)?);
        } else {
            let fields: Vec<String> = line.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!(
                "{} {:5} {} [{}] {} {}",
                line.timestamp,
                line.level.as_str(),
                line.state_name,
                line.source,
                line.message,
                fields.join(" ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
