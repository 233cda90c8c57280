//! `stepyard run`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Map, Value, json};
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::{HistoryObserver, MemoryHistory, NoHistory};
use stepyard_interpreter::{ExecutionResult, ExecutionSpec, ExecutionStatus, Interpreter, MAX_PAYLOAD_BYTES, Services};

use super::progress::Progress;

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// The ASL definition (JSON file).
    definition: PathBuf,
    /// Execution input as JSON text (default `{}`).
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the execution input from a file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,
    /// Print one JSON object: {"status", "output", "error", "cause"}.
    #[arg(long)]
    json: bool,
    /// Include the execution history (GetExecutionHistory's events).
    #[arg(long)]
    history: bool,
    /// Multiply every wait, retry interval and timeout by F; 0 runs in
    /// virtual time (no real waiting, same order of events).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    time_scale: f64,
    /// The execution's name (default: a UUID).
    #[arg(long)]
    name: Option<String>,
    /// A JSON map of function name → plugin name: calls to a definition's
    /// function go to that plugin (`"*"` matches any function).
    #[arg(long, value_name = "FILE")]
    lambdas: Option<PathBuf>,
    /// Run on a `stepyard serve` at this URL instead of in this process:
    /// the state machine (named after the file) is created or updated there,
    /// then an execution started and waited for.
    #[arg(long, value_name = "URL", conflicts_with_all = ["time_scale", "lambdas"])]
    endpoint: Option<String>,
}

pub(super) fn run(args: RunArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    if !(args.time_scale.is_finite() && args.time_scale >= 0.0) {
        bail!("--time-scale must be a finite number >= 0, got {}", args.time_scale);
    }
    let text = super::read_definition(&args.definition)?;
    let input = read_input(&args)?;
    if let Some(url) = &args.endpoint {
        return run_remote(&args, url, &text, &input, env);
    }
    let machine = match StateMachine::parse(&text) {
        Ok(m) => Arc::new(m),
        Err(invalid) => {
            if args.json {
                let out = json!({
                    "status": "INVALID_DEFINITION",
                    "error": "InvalidDefinition",
                    "cause": invalid.aws_message(),
                    "diagnostics": invalid.diagnostics,
                });
                println!("{out}");
            } else {
                eprintln!("{}: invalid definition", args.definition.display());
                for d in &invalid.diagnostics {
                    eprintln!("  {} {}: {}", d.location, d.code, d.message);
                }
            }
            return Ok(ExitCode::from(1));
        }
    };

    let virtual_time = args.time_scale == 0.0;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(virtual_time)
        .build()
        .context("cannot start the async runtime")?;
    let history = Arc::new(MemoryHistory::new());
    let recorded: Option<Arc<dyn HistoryObserver>> = args.history.then(|| history.clone() as Arc<dyn HistoryObserver>);
    // On a terminal (and without --json) the run is shown as it happens.
    let watch = !args.json && std::io::stdout().is_terminal();
    let observer: Arc<dyn HistoryObserver> = match (watch, recorded) {
        (true, next) => Arc::new(Progress::new(std::io::stdout(), next)),
        (false, Some(history)) => history,
        (false, None) => Arc::new(NoHistory),
    };
    let machine_name = args
        .definition
        .file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl").to_owned())
        .unwrap_or_else(|| "StateMachine".to_owned());
    let execution_name = args
        .name
        .clone()
        .unwrap_or_else(|| stepyard_asl::ids::random_uuid().to_string());
    let tasks = env.open()?.registry(args.lambdas.as_deref())?;
    if watch {
        println!("{machine_name}: execution {execution_name}");
    }
    let started = std::time::Instant::now();
    let result = runtime.block_on(async {
        let scale = if virtual_time { 1.0 } else { args.time_scale };
        let services = Services {
            tasks: Arc::new(tasks),
            clock: Arc::new(ScaledClock::new(scale)),
            history: observer,
        };
        let interpreter = Interpreter::new(machine, services);
        let spec = ExecutionSpec::local(&machine_name, &execution_name, input);
        interpreter.execute(&spec).await
    });
    // A plugin call abandoned at its timeout may still be winding down on a
    // blocking thread; its epoch deadline stops it, the process need not wait.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    if watch {
        println!(
            "{} in {} (real time)",
            result.status.as_str(),
            super::progress::duration(started.elapsed().as_secs_f64() * 1000.0)
        );
    }
    print_result(&args, &result, args.history.then(|| history.events()));
    Ok(if result.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_input(args: &RunArgs) -> anyhow::Result<Value> {
    let text = match (&args.input, &args.input_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            std::io::read_to_string(std::io::stdin()).context("cannot read input from stdin")?
        }
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read input file {}", path.display()))?
        }
        (None, None) => return Ok(Value::Object(Map::new())),
    };
    if text.len() > MAX_PAYLOAD_BYTES {
        bail!(
            "the execution input is {} bytes; AWS accepts at most {MAX_PAYLOAD_BYTES}",
            text.len()
        );
    }
    let value: Value = serde_json::from_str(&text).context("the execution input is not valid JSON")?;
    Ok(value)
}

fn print_result(
    args: &RunArgs,
    result: &ExecutionResult,
    history: Option<Vec<stepyard_interpreter::history::HistoryEvent>>,
) {
    if args.json {
        let mut out = json!({
            "status": result.status.as_str(),
            "output": result.output,
            "error": result.error,
            "cause": result.cause,
        });
        if let Some(events) = history {
            out["history"] = Value::Array(events.iter().map(|e| e.to_json()).collect());
        }
        println!("{out}");
        return;
    }
    if let Some(events) = history {
        for e in events {
            println!("{}", e.to_json());
        }
    }
    println!("status: {}", result.status.as_str());
    match result.status {
        ExecutionStatus::Succeeded => {
            let output = result
                .output
                .as_ref()
                .map(|o| serde_json::to_string_pretty(o).unwrap_or_default())
                .unwrap_or_default();
            println!("output: {output}");
        }
        _ => {
            if let Some(e) = &result.error {
                println!("error: {e}");
            }
            if let Some(c) = &result.cause {
                println!("cause: {c}");
            }
        }
    }
}

/// `run --endpoint`: the same run, on a server.
fn run_remote(
    args: &RunArgs,
    url: &str,
    definition: &str,
    input: &Value,
    env: &super::EnvArgs,
) -> anyhow::Result<ExitCode> {
    use super::client::{Backend, all_pages, machine_name};
    let backend = Backend::open(Some(url), env)?;
    let name = machine_name(&args.definition);
    let role = "arn:aws:iam::123456789012:role/StepyardExecutionRole";
    let machine = match backend.call(
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": role}),
    ) {
        Ok(created) => created["stateMachineArn"].as_str().unwrap_or_default().to_owned(),
        Err(e) if e.to_string().starts_with("StateMachineAlreadyExists") => {
            let arn = stepyard_service::Location::default().state_machine_arn(&name);
            backend.call(
                "UpdateStateMachine",
                json!({"stateMachineArn": arn, "definition": definition}),
            )?;
            arn
        }
        Err(e) => return Err(e),
    };
    let mut start = json!({"stateMachineArn": machine, "input": input.to_string()});
    if let Some(n) = &args.name {
        start["name"] = json!(n);
    }
    let started = backend.call("StartExecution", start)?;
    let arn = started["executionArn"].as_str().unwrap_or_default().to_owned();
    let described = loop {
        let d = backend.call("DescribeExecution", json!({"executionArn": arn}))?;
        if d["status"] != "RUNNING" {
            break d;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let status = match described["status"].as_str() {
        Some("SUCCEEDED") => ExecutionStatus::Succeeded,
        Some("TIMED_OUT") => ExecutionStatus::TimedOut,
        Some("ABORTED") => ExecutionStatus::Aborted,
        _ => ExecutionStatus::Failed,
    };
    let text = |k: &str| described[k].as_str().map(str::to_owned);
    let result = ExecutionResult {
        status,
        output: text("output").and_then(|o| serde_json::from_str(&o).ok()),
        error: text("error"),
        cause: text("cause"),
    };
    if args.json {
        let mut out = json!({
            "executionArn": arn,
            "status": result.status.as_str(),
            "output": result.output,
            "error": result.error,
            "cause": result.cause,
        });
        if args.history {
            let request = json!({"executionArn": arn, "maxResults": 1000});
            out["history"] = Value::Array(all_pages(&backend, "GetExecutionHistory", request, "events")?);
        }
        println!("{out}");
    } else {
        println!("execution: {arn}");
        print_result(args, &result, None);
    }
    Ok(if result.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
