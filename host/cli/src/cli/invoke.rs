//! `stepyard invoke`: one plugin call outside any workflow, as `sam local
//! invoke` calls one Lambda function: the result (or error), the log
//! lines it wrote, and the time and resources it used.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use stepyard_interpreter::task::{CallOutcome, TaskContext};
use stepyard_store::{Condition, KvStore, LogStore};

#[derive(Debug, Args)]
pub(super) struct InvokeArgs {
    /// The function's name (as a definition's Lambda ARN names it).
    function: String,
    /// The event, as JSON text (default `{}`).
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the event from a file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,
    /// Tables to start from, in memory: `{"TABLE": {"KEY": ITEM, …}, …}`.
    #[arg(long, value_name = "FILE")]
    table_seed: Option<PathBuf>,
    /// Print one JSON object: result or error, logs, usage, tables.
    #[arg(long)]
    json: bool,
}

pub(super) fn invoke(args: InvokeArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    let input_text = match (&args.input, &args.input_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            std::io::read_to_string(std::io::stdin()).context("cannot read the event from stdin")?
        }
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        (None, None) => "{}".to_owned(),
    };
    let event: Value = serde_json::from_str(&input_text).context("the event is not valid JSON")?;
    let (loaded, store) = env.open_in_memory()?;
    let seeded = match &args.table_seed {
        Some(path) => seed(&*store, path)?,
        None => Vec::new(),
    };
    let id = stepyard_asl::ids::random_uuid().to_string();
    let execution_arn = format!("arn:aws:states:us-east-1:123456789012:execution:invoke:{id}");
    let context = TaskContext {
        execution_arn: execution_arn.clone(),
        execution_name: id.clone(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:invoke".into(),
        state_name: args.function.clone(),
        retry_count: 0,
        idempotency_key: format!("{execution_arn}#invoke"),
        task_token: None,
        timeout_seconds: None,
    };
    let Some(outcome) = loaded.host.call_blocking(&args.function, &event, &context) else {
        let mut known: Vec<String> = loaded.host.registry().names().map(str::to_owned).collect();
        known.sort();
        bail!(
            "no plugin in {} serves the function '{}' (served: {})",
            env.plugins.display(),
            args.function,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
    };
    // Lines and usage are kept without waiting: give them their moment.
    std::thread::sleep(std::time::Duration::from_millis(60));
    let logs: Vec<Value> = store
        .read(&execution_arn)?
        .iter()
        .map(|l| {
            json!({
                "timestamp": l.timestamp, "level": l.level.as_str(), "source": l.source,
                "message": l.message,
                "fields": l.fields.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let usage = store.usage(&execution_arn)?.into_iter().next();
    let mut tables = serde_json::Map::new();
    for (table, key) in seeded.iter().chain(touched(&logs).iter()) {
        if let Some(item) = store.get(table, key)? {
            let value: Value = serde_json::from_str(&item.value).unwrap_or(Value::String(item.value.clone()));
            tables
                .entry(table.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(|t| t.insert(key.clone(), value));
        }
    }
    let (succeeded, mut out) = match outcome {
        CallOutcome::Ok(result) => (true, json!({"result": result})),
        CallOutcome::FunctionError(e) => (false, json!({"error": e.error_type, "cause": e.message})),
        CallOutcome::ServiceError(f) => (false, json!({"error": f.error, "cause": f.cause})),
    };
    out["logs"] = Value::Array(logs);
    out["usage"] = usage
        .map(|u| serde_json::to_value(u).unwrap_or_default())
        .unwrap_or(Value::Null);
    out["tables"] = Value::Object(tables);
    if args.json {
        println!("{out}");
    } else {
        print_readable(&out);
    }
    Ok(if succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Seeds the tables of `path`; the (table, key) pairs written.
fn seed(store: &dyn KvStore, path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))?;
    let Value::Object(tables) = value else {
        bail!("{}: expected {{\"TABLE\": {{\"KEY\": ITEM, …}}, …}}", path.display());
    };
    let mut written = Vec::new();
    for (table, items) in tables {
        let Value::Object(items) = items else {
            bail!("{}: /{table} must be an object of key → item", path.display());
        };
        for (key, item) in items {
            store
                .put(&table, &key, &item.to_string(), Condition::Always)
                .with_context(|| format!("{}: /{table}/{key}", path.display()))?;
            written.push((table.clone(), key));
        }
    }
    Ok(written)
}

/// Items the plugin's log lines name (`table`/`key` fields), to show them.
fn touched(logs: &[Value]) -> Vec<(String, String)> {
    logs.iter()
        .filter_map(|l| {
            let f = &l["fields"];
            Some((f["table"].as_str()?.to_owned(), f["key"].as_str()?.to_owned()))
        })
        .collect()
}

fn print_readable(out: &Value) {
    match out.get("result") {
        Some(result) => println!("result: {}", serde_json::to_string_pretty(result).unwrap_or_default()),
        None => {
            println!("error: {}", out["error"].as_str().unwrap_or_default());
            if let Some(c) = out["cause"].as_str() {
                println!("cause: {c}");
            }
        }
    }
    for l in out["logs"].as_array().into_iter().flatten() {
        let fields: Vec<String> = l["fields"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        println!(
            "log {} {}: {} {}",
            l["level"].as_str().unwrap_or_default(),
            l["source"].as_str().unwrap_or_default(),
            l["message"].as_str().unwrap_or_default(),
            fields.join(" ")
        );
    }
    if let Some(u) = out["usage"].as_object() {
        println!(
            "took {:.2} ms ({:.2} ms CPU), peak memory {} KiB, {} table reads, {} table writes",
            u.get("runMs").and_then(Value::as_f64).unwrap_or_default(),
            u.get("cpuMs").and_then(Value::as_f64).unwrap_or_default(),
            u.get("peakMemoryBytes").and_then(Value::as_u64).unwrap_or_default() / 1024,
            u.get("kvReads").and_then(Value::as_u64).unwrap_or_default(),
            u.get("kvWrites").and_then(Value::as_u64).unwrap_or_default(),
        );
    }
    if let Some(tables) = out["tables"].as_object().filter(|t| !t.is_empty()) {
        println!("tables: {}", serde_json::to_string_pretty(tables).unwrap_or_default());
    }
}
