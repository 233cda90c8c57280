//! Test doubles behind the interpreter's traits, and a runner.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::{BoxFuture, Clock, ScaledClock};
use stepyard_interpreter::history::{HistoryEvent, MemoryHistory};
use stepyard_interpreter::task::{TaskFailure, TaskInvoker, TaskRequest};
use stepyard_interpreter::{ExecutionResult, ExecutionSpec, Interpreter, Services};

/// What a fake function does when called.
pub(crate) type Behaviour = Arc<dyn Fn(&TaskRequest, usize) -> Step + Send + Sync>;

/// One call's outcome, after an optional virtual-time delay.
pub(crate) enum Step {
    Ok(Value),
    Err(&'static str, &'static str),
    /// Sleep on the clock first, then answer.
    After(Duration, Box<Step>),
    /// Send a heartbeat, then go on.
    Beat(Box<Step>),
}

/// Every call a [`FakeTasks`] received: function name, input, clock time.
pub(crate) type CallLog = Arc<Mutex<Vec<(String, Value, chrono::DateTime<chrono::Utc>)>>>;

/// A task invoker whose functions are closures, keyed by function name
/// (the last `:`-part of a Lambda ARN, or `FunctionName` for lambda:invoke).
#[derive(Default)]
pub(crate) struct FakeTasks {
    functions: HashMap<String, Behaviour>,
    pub calls: CallLog,
    pub in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    /// Made on the first call, inside the (paused) runtime, so it reads
    /// the same virtual time as the execution's clock.
    clock: std::sync::OnceLock<Arc<dyn Clock>>,
}

impl FakeTasks {
    pub(crate) fn new() -> FakeTasks {
        FakeTasks::default()
    }

    pub(crate) fn function(
        mut self,
        name: &str,
        f: impl Fn(&TaskRequest, usize) -> Step + Send + Sync + 'static,
    ) -> Self {
        self.functions.insert(name.to_owned(), Arc::new(f));
        self
    }

    fn name_of(request: &TaskRequest) -> String {
        match &request.kind {
            stepyard_asl::definition::ResourceKind::LambdaFunction { function } => function.clone(),
            _ => request
                .input
                .get("FunctionName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

impl TaskInvoker for FakeTasks {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let name = Self::name_of(&request);
        let clock = self.clock.get_or_init(|| Arc::new(ScaledClock::real())).clone();
        let now = clock.now();
        let attempt = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((name.clone(), request.input.clone(), now));
            calls.iter().filter(|(n, ..)| *n == name).count() - 1
        };
        let behaviour = self.functions.get(&name).cloned();
        let heartbeat = request.heartbeat.clone();
        let in_flight = self.in_flight.clone();
        let max_in_flight = self.max_in_flight.clone();
        Box::pin(async move {
            let Some(behaviour) = behaviour else {
                return Err(TaskFailure::new(
                    "Lambda.ResourceNotFoundException",
                    format!("no function {name}"),
                ));
            };
            let now_running = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            max_in_flight.fetch_max(now_running, Ordering::SeqCst);
            let mut step = behaviour(&request, attempt);
            let result = loop {
                match step {
                    Step::Ok(v) => break Ok(v),
                    Step::Err(e, c) => break Err(TaskFailure::new(e, c)),
                    Step::After(d, next) => {
                        clock.sleep(d).await;
                        step = *next;
                    }
                    Step::Beat(next) => {
                        heartbeat.beat();
                        step = *next;
                    }
                }
            };
            in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }

    fn supports_heartbeats(&self, _kind: &stepyard_asl::definition::ResourceKind) -> bool {
        true
    }
}

/// The end of a test execution, with its history.
pub(crate) struct Outcome {
    pub result: ExecutionResult,
    pub events: Vec<HistoryEvent>,
    /// Virtual seconds the execution took.
    pub elapsed: f64,
}

impl Outcome {
    pub(crate) fn output(&self) -> &Value {
        assert_eq!(
            self.result.status.as_str(),
            "SUCCEEDED",
            "execution failed: {:?} {:?}",
            self.result.error,
            self.result.cause
        );
        self.result.output.as_ref().unwrap()
    }

    pub(crate) fn error(&self) -> &str {
        assert_eq!(
            self.result.status.as_str(),
            "FAILED",
            "expected a failure, got {:?}",
            self.result.output
        );
        self.result.error.as_deref().unwrap_or("")
    }

    pub(crate) fn cause(&self) -> &str {
        self.result.cause.as_deref().unwrap_or("")
    }

    pub(crate) fn event_types(&self) -> Vec<String> {
        self.events.iter().map(|e| e.details.type_name()).collect()
    }
}

pub(crate) fn parse(definition: &str) -> StateMachine {
    StateMachine::parse(definition).unwrap_or_else(|e| panic!("invalid definition: {e}"))
}

/// Runs `definition` on `input` in virtual time with any task invoker.
pub(crate) fn run_with_invoker(definition: &str, input: Value, tasks: Arc<dyn TaskInvoker>) -> Outcome {
    let machine = Arc::new(parse(definition));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let outcome = runtime.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(ScaledClock::real());
        let history = Arc::new(MemoryHistory::new());
        let services = Services {
            tasks,
            clock: clock.clone(),
            history: history.clone(),
        };
        let interpreter = Interpreter::new(machine, services);
        let spec = ExecutionSpec::local("Test", "exec-1", input);
        let started = tokio::time::Instant::now();
        let result = interpreter.execute(&spec).await;
        Outcome {
            result,
            events: history.events(),
            elapsed: started.elapsed().as_secs_f64(),
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// The repository's top folder (the tests belong to the `stepyard` crate,
/// two levels below it).
pub(crate) fn repo_root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("host/cli lies two folders below the repository")
}

/// The repository's plugin folder, with the guest plugins built (once per
/// test run, by `scripts/build-plugins.sh`, which skips what is up to date).
pub(crate) fn plugins_dir() -> &'static std::path::Path {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let root = repo_root().to_path_buf();
        let status = std::process::Command::new(root.join("scripts/build-plugins.sh"))
            .status()
            .expect("running scripts/build-plugins.sh");
        assert!(status.success(), "scripts/build-plugins.sh failed");
        root.join("plugins")
    })
}

/// Runs `definition` on `input` in virtual time with `tasks`.
pub(crate) fn run_with(definition: &str, input: Value, tasks: FakeTasks) -> Outcome {
    run_with_invoker(definition, input, Arc::new(tasks))
}

pub(crate) fn run(definition: &str, input: Value) -> Outcome {
    run_with(definition, input, FakeTasks::new())
}

/// A multi-thread tokio runtime with two workers and timers, as `serve` has
/// on this 2-core machine.
pub(crate) fn two_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
