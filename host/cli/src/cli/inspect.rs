//! `stepyard plugins`, `stepyard table`, `stepyard logs`: look inside.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;
use serde_json::json;
use stepyard_store::{Level, LogLine};

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
            println!("    quotas:    {}", p["quotas"]);
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
    /// Keep printing lines as they are written, until interrupted.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Only lines at this level or above (TRACE, DEBUG, INFO, WARN, ERROR).
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// Only lines written during this state.
    #[arg(long)]
    state: Option<String>,
    /// Only lines this plugin wrote (or `stepyard`, `states` for the host's).
    #[arg(long)]
    plugin: Option<String>,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database itself).
    #[arg(long)]
    endpoint: Option<String>,
}

fn parse_level(text: &str) -> Result<Level, String> {
    serde_json::from_value(json!(text.to_ascii_uppercase()))
        .map_err(|_| format!("'{text}' is not a level: TRACE, DEBUG, INFO, WARN or ERROR"))
}

/// How often `logs --follow` asks for new lines.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

pub(super) fn logs(args: LogsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let mut request = match &args.execution {
        None => json!({}),
        Some(given) if given.starts_with("arn:") || given.contains(':') => {
            json!({"executionArn": execution_arn(given)})
        }
        // A bare name: the execution of that name with log lines, whatever
        // its state machine.
        Some(name) => json!({"executionName": name}),
    };
    let mut printed = 0;
    loop {
        // Opened afresh each time: a follower must not keep the database
        // from the runs it follows.
        let backend = Backend::open(args.endpoint.as_deref(), env)?;
        let answer = match backend.call_stepyard("GetExecutionLogs", request.clone()) {
            Ok(answer) => answer,
            Err(e) if e.to_string().starts_with("ResourceNotFound") && !args.follow => {
                eprintln!(
                    "no log lines for {}",
                    args.execution.as_deref().unwrap_or("any execution")
                );
                return Ok(ExitCode::from(1));
            }
            Err(e) if e.to_string().starts_with("ResourceNotFound") => Value::Null,
            Err(e) => return Err(e),
        };
        // Followed: the same execution from now on, even when a newer one
        // starts writing.
        if let Some(arn) = answer["executionArn"].as_str() {
            request = json!({"executionArn": arn});
        }
        let lines: Vec<LogLine> = match answer.get("lines") {
            Some(lines) => serde_json::from_value(lines.clone())?,
            None => Vec::new(),
        };
        for line in lines.iter().skip(printed).filter(|l| keep(&args, l)) {
            print_line(line, args.json)?;
        }
        printed = printed.max(lines.len());
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
        drop(backend);
        std::io::Write::flush(&mut std::io::stdout())?;
        std::thread::sleep(FOLLOW_EVERY);
    }
}

/// Whether a line passes `--level`, `--state` and `--plugin`.
fn keep(args: &LogsArgs, line: &LogLine) -> bool {
    args.level.is_none_or(|min| line.level >= min)
        && args.state.as_ref().is_none_or(|s| *s == line.state_name)
        && args.plugin.as_ref().is_none_or(|p| *p == line.source)
}

fn print_line(line: &LogLine, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(line)?);
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
    Ok(())
}
