//! `stepyard run`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Map, Value, json};
use stepyard_asl::definition::{InvalidDefinition, StateMachine};
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::{HistoryObserver, MemoryHistory, NoHistory};
use stepyard_interpreter::task::TaskInvoker;
use stepyard_interpreter::{ExecutionResult, ExecutionSpec, ExecutionStatus, Interpreter, MAX_PAYLOAD_BYTES, Services};

use super::held::{self, Access, Holder};
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
    #[arg(long, value_name = "URL", conflicts_with_all = ["time_scale", "lambdas", "mock_config"])]
    endpoint: Option<String>,
    /// A Step Functions Local MockConfigFile: the states that `--test-case`
    /// maps answer with its mocked responses, the others with their
    /// plugins. The run is not stored (tables and logs in memory, as with
    /// `--store memory`).
    #[arg(long, value_name = "FILE", requires = "test_case")]
    mock_config: Option<PathBuf>,
    /// The test case of `--mock-config` for this state machine (named after
    /// the definition file).
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    test_case: Option<String>,
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
        Err(invalid) => return Ok(report_invalid(&args, &invalid)),
    };

    let machine_name = super::client::machine_name(&args.definition);
    let execution_name = args
        .name
        .clone()
        .unwrap_or_else(|| stepyard_asl::ids::random_uuid().to_string());
    if env.store == super::env::StoreKind::Memory || args.mock_config.is_some() {
        return run_in_process(&args, env, machine, input, &machine_name, &execution_name);
    }
    let mut tries = 0;
    loop {
        match held::resolve(env)? {
            Access::Held(store) => {
                return run_held(
                    &args,
                    env,
                    store,
                    (&text, &machine),
                    input,
                    &machine_name,
                    &execution_name,
                );
            }
            Access::Remote(addr) => {
                if tries == 0 && (args.time_scale != 1.0 || args.lambdas.is_some()) {
                    eprintln!(
                        "note: another Stepyard process holds {} and runs this execution: its --time-scale, \
                         --lambdas and --plugins apply",
                        env.data.display()
                    );
                }
                match run_remote(&args, &format!("http://{addr}"), &text, &input, env) {
                    // It let go between our look and our call: look again.
                    Err(e) if tries < 20 && gone(&e) => tries += 1,
                    other => return other,
                }
            }
        }
    }
}

/// Whether a call failed because nobody answered at the address.
fn gone(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.to_string().starts_with("cannot connect to"))
}

/// How the run is watched: progress lines on a terminal, the history kept
/// for `--history`.
fn observers(args: &RunArgs) -> (Arc<MemoryHistory>, Arc<dyn HistoryObserver>, bool) {
    let history = Arc::new(MemoryHistory::new());
    let recorded: Option<Arc<dyn HistoryObserver>> = args.history.then(|| history.clone() as Arc<dyn HistoryObserver>);
    // On a terminal (and without --json) the run is shown as it happens.
    let watch = !args.json && std::io::stdout().is_terminal();
    let observer: Arc<dyn HistoryObserver> = match (watch, recorded) {
        (true, next) => Arc::new(Progress::new(std::io::stdout(), next)),
        (false, Some(history)) => history,
        (false, None) => Arc::new(NoHistory),
    };
    (history, observer, watch)
}

fn runtime_for(args: &RunArgs) -> anyhow::Result<tokio::runtime::Runtime> {
    let virtual_time = args.time_scale == 0.0;
    let mut builder = if virtual_time {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    builder
        .enable_all()
        .start_paused(virtual_time)
        .build()
        .context("cannot start the async runtime")
}

/// The run with the database held by this process: stored through the
/// service, while other runs go through it (see `held`).
fn run_held(
    args: &RunArgs,
    env: &super::EnvArgs,
    store: Arc<stepyard_store::RedbStore>,
    (definition, machine): (&str, &StateMachine),
    input: Value,
    machine_name: &str,
    execution_name: &str,
) -> anyhow::Result<ExitCode> {
    let (history, observer, watch) = observers(args);
    // Counted as `serve` counts, plugin calls included, so `stepyard
    // metrics` shows runs too.
    let metrics = Arc::new(stepyard_metrics::Metrics::new());
    let tasks = env
        .open_on(store.clone(), metrics.clone())?
        .registry(args.lambdas.as_deref())?;
    if let Some(refused) = refuse_unserved(args, machine, &tasks) {
        return Ok(refused);
    }
    let runtime = runtime_for(args)?;
    if watch {
        println!("{machine_name}: execution {execution_name}");
    }
    let started = std::time::Instant::now();
    let scale = if args.time_scale == 0.0 { 1.0 } else { args.time_scale };
    let outcome = runtime.block_on(async {
        let clock = Arc::new(ScaledClock::new(scale));
        let holder = Holder::start(store, Arc::new(tasks), clock, metrics, &env.data).await?;
        let outcome = holder
            .run(machine_name, definition, &input, execution_name, observer)
            .await;
        holder.let_go().await;
        outcome
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let (_arn, described) = outcome?;
    let result = result_of(&described);
    Ok(finish(args, &result, watch.then_some(started), &history))
}

/// Prints how the run ended (after the progress lines' summary when it was
/// watched since `watched_since`); the exit code.
fn finish(
    args: &RunArgs,
    result: &ExecutionResult,
    watched_since: Option<std::time::Instant>,
    history: &MemoryHistory,
) -> ExitCode {
    if let Some(started) = watched_since {
        println!(
            "{} in {} (real time)",
            result.status.as_str(),
            super::progress::duration(started.elapsed().as_secs_f64() * 1000.0)
        );
    }
    print_result(args, result, args.history.then(|| history.events()));
    exit_code(result)
}

fn exit_code(result: &ExecutionResult) -> ExitCode {
    if result.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// DescribeExecution's answer as the interpreter's result.
fn result_of(described: &Value) -> ExecutionResult {
    let status = match described["status"].as_str() {
        Some("SUCCEEDED") => ExecutionStatus::Succeeded,
        Some("TIMED_OUT") => ExecutionStatus::TimedOut,
        Some("ABORTED") => ExecutionStatus::Aborted,
        _ => ExecutionStatus::Failed,
    };
    let text = |k: &str| described[k].as_str().map(str::to_owned);
    ExecutionResult {
        status,
        output: text("output").and_then(|o| serde_json::from_str(&o).ok()),
        error: text("error"),
        cause: text("cause"),
    }
}

/// The run in this process alone, with tables and logs in memory: nothing
/// is stored (what `--store memory` asks for).
fn run_in_process(
    args: &RunArgs,
    env: &super::EnvArgs,
    machine: Arc<StateMachine>,
    input: Value,
    machine_name: &str,
    execution_name: &str,
) -> anyhow::Result<ExitCode> {
    let virtual_time = args.time_scale == 0.0;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(virtual_time)
        .build()
        .context("cannot start the async runtime")?;
    let (history, observer, watch) = observers(args);
    let memory = super::EnvArgs {
        store: super::env::StoreKind::Memory,
        ..env.clone()
    };
    let registry: Arc<dyn TaskInvoker> = Arc::new(memory.open()?.registry(args.lambdas.as_deref())?);
    let tasks: Arc<dyn TaskInvoker> = match (&args.mock_config, &args.test_case) {
        (Some(file), Some(case)) => {
            let config = stepyard_testkit::mock_config::MockConfig::load(file)?;
            let mocks = config.mocks(machine_name, case)?;
            Arc::new(stepyard_testkit::mocks::MockInvoker::new(Arc::new(mocks), registry))
        }
        _ => registry,
    };
    // Mocked states need no plugin: only what the mocks leave to plugins
    // must be served.
    if args.mock_config.is_none()
        && let Some(refused) = refuse_unserved(args, &machine, &*tasks)
    {
        return Ok(refused);
    }
    if watch {
        println!("{machine_name}: execution {execution_name}");
    }
    let started = std::time::Instant::now();
    let result = runtime.block_on(async {
        let scale = if virtual_time { 1.0 } else { args.time_scale };
        let services = Services {
            tasks,
            clock: Arc::new(ScaledClock::new(scale)),
            history: observer,
        };
        let interpreter = Interpreter::new(machine, services);
        let spec = ExecutionSpec::local(machine_name, execution_name, input);
        interpreter.execute(&spec).await
    });
    // A plugin call abandoned at its timeout may still be winding down on a
    // blocking thread; its epoch deadline stops it, the process need not wait.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(finish(args, &result, watch.then_some(started), &history))
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
    let mut backend = Backend::open(Some(url), env)?;
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
        let d = match backend.call("DescribeExecution", json!({"executionArn": arn})) {
            Ok(d) => d,
            // The process that ran it let go (after it ended): ask whoever
            // holds the database now, or the database itself.
            Err(e) if args.endpoint.is_none() && gone(&e) => {
                backend = Backend::open(None, env)?;
                continue;
            }
            Err(e) => return Err(e),
        };
        if d["status"] != "RUNNING" {
            break d;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let result = result_of(&described);
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
    Ok(exit_code(&result))
}

/// As CreateStateMachine does: an integration no plugin serves is refused
/// before the run, at its `Resource`, not when an execution reaches it.
fn refuse_unserved(args: &RunArgs, machine: &StateMachine, tasks: &dyn TaskInvoker) -> Option<ExitCode> {
    let unserved = stepyard_service::unserved_resources(machine, tasks);
    (!unserved.is_empty()).then(|| report_invalid(args, &InvalidDefinition { diagnostics: unserved }))
}

/// Prints why a definition is invalid (one JSON object with `--json`, a
/// line per problem otherwise); the exit code is 1.
fn report_invalid(args: &RunArgs, invalid: &InvalidDefinition) -> ExitCode {
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
    ExitCode::from(1)
}
