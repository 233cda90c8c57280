//! `stepyard plugins`, `stepyard table`, `stepyard logs`: look inside.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use stepyard::store::{KvStore, LogStore};

use super::EnvArgs;

#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn plugins(args: PluginsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let env = env.open()?;
    env.host.load_all();
    let mut list = Vec::new();
    for p in env.host.plugins() {
        let l = &p.manifest.limits;
        list.push(json!({
            "name": p.name,
            "path": p.wasm_path.display().to_string(),
            "manifest": p.manifest_path.as_ref().map(|m| m.display().to_string()),
            "functions": p.manifest.functions,
            "limits": {"memory_mb": l.memory_bytes >> 20, "timeout_ms": l.timeout_ms, "max_output_kb": l.max_output_bytes >> 10},
            "wasi": {
                "env": p.manifest.wasi.env.keys().collect::<Vec<_>>(),
                "preopens": p.manifest.wasi.preopens.iter().map(|d| json!({"host": d.host.display().to_string(), "guest": d.guest, "read_only": d.read_only})).collect::<Vec<_>>(),
                "clocks": p.manifest.wasi.clocks,
            },
            "role": p.manifest.role_document,
            "compiled": format!("{:?}", p.cache).to_lowercase(),
        }));
    }
    let problems: Vec<Value> = env
        .host
        .problems()
        .iter()
        .map(|p| json!({"name": p.name, "path": p.path.display().to_string(), "reason": p.reason}))
        .collect();
    if args.json {
        println!("{}", json!({"plugins": list, "problems": problems}));
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
pub struct TableArgs {
    #[command(subcommand)]
    command: TableCommand,
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

pub fn table(args: TableArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let store = env.store()?;
    match args.command {
        TableCommand::Get { table, key } => match store.get(&table, &key)? {
            Some(item) => {
                let value: Value = serde_json::from_str(&item.value)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("no item '{key}' in table '{table}'");
                Ok(ExitCode::from(1))
            }
        },
        TableCommand::Scan { table, prefix, limit } => {
            let mut after: Option<String> = None;
            let mut left = limit;
            while left > 0 {
                let page = store.query(&table, &prefix, after.as_deref(), left)?;
                for item in &page.items {
                    let value: Value = serde_json::from_str(&item.value)?;
                    println!("{}", json!({"key": item.key, "version": item.version, "item": value}));
                }
                left = left.saturating_sub(page.items.len());
                match page.next {
                    Some(n) if !page.items.is_empty() => after = Some(n),
                    _ => break,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TableCommand::List => {
            for t in store.tables()? {
                println!("{t}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The execution (name or ARN); default: the most recent one with logs.
    execution: Option<String>,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
}

pub fn logs(args: LogsArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let store = env.store()?;
    let executions = store.executions()?;
    let chosen = match &args.execution {
        Some(e) => executions
            .iter()
            .find(|arn| *arn == e || arn.rsplit(':').next() == Some(e.as_str()))
            .cloned(),
        None => executions.last().cloned(),
    };
    let Some(arn) = chosen else {
        eprintln!(
            "no log lines for {}",
            args.execution.as_deref().unwrap_or("any execution")
        );
        return Ok(ExitCode::from(1));
    };
    for line in store.read(&arn)? {
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
