//! Running cases: each on a runtime of its own, in virtual time, several
//! at once on worker threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::{HistoryObserver, MemoryHistory, NoHistory};
use stepyard_interpreter::task::TaskInvoker;
use stepyard_interpreter::{ExecutionResult, ExecutionSpec, Interpreter, Services};

use crate::expect::{Observed, Unmet};
use crate::mocks::{Invocation, Mock, MockInvoker};
use crate::snapshot::{self, SnapshotOutcome};
use crate::suite::{Case, Suite};
use crate::trace::{Step, Trace};

/// How a case came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every expectation met.
    Passed,
    /// Some expectation not met.
    Failed(Vec<Unmet>),
    /// It could not run (a forced Choice that does not parse, a runtime
    /// that does not start).
    Error(String),
    /// `skip: true`, or left out by the filter.
    Skipped,
}

/// One case's run.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Its place in the suite file.
    pub at: String,
    /// The machine's origin (for coverage).
    pub machine: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How the execution ended, when it ran.
    pub result: Option<ExecutionResult>,
    /// Its steps, in path order.
    pub steps: Vec<Step>,
    /// Every task invocation, mocked or not.
    pub invocations: Vec<Invocation>,
    /// Choice states forced with `next` (their edges are not coverage).
    pub forced: Vec<String>,
    /// What happened to its snapshot, if it has one.
    pub snapshot: Option<SnapshotOutcome>,
    /// Real time the case took.
    pub elapsed: Duration,
}

/// A suite's results.
#[derive(Debug, Clone)]
pub struct SuiteResult {
    /// The suite file.
    pub path: PathBuf,
    /// Its cases' results, in file order.
    pub cases: Vec<CaseResult>,
}

/// Runs suites.
pub struct Runner {
    /// The real plugins, for states without a mock (shared by the cases
    /// that seed no tables and expect none).
    pub real: Arc<dyn TaskInvoker>,
    /// Fresh plugins and tables for each case that seeds tables or expects
    /// items or log lines; without one such cases fail to run.
    pub world: Option<Arc<dyn crate::world::World>>,
    /// Worker threads (cases run in parallel).
    pub threads: usize,
    /// Only cases whose `suite file: case name` contains this run.
    pub filter: Option<String>,
    /// Rewrite snapshots that differ instead of failing.
    pub update_snapshots: bool,
}

impl Runner {
    /// Runs every case of `suites`, `threads` at a time.
    pub fn run(&self, suites: &[Suite]) -> Vec<SuiteResult> {
        let jobs: Vec<(usize, usize)> = suites
            .iter()
            .enumerate()
            .flat_map(|(s, suite)| (0..suite.cases.len()).map(move |c| (s, c)))
            .collect();
        let next = AtomicUsize::new(0);
        let mut slots: Vec<Vec<Option<CaseResult>>> = suites.iter().map(|s| vec![None; s.cases.len()]).collect();
        let done = std::sync::Mutex::new(Vec::with_capacity(jobs.len()));
        std::thread::scope(|scope| {
            for _ in 0..self.threads.max(1).min(jobs.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(s, c)) = jobs.get(i) else { break };
                        let result = self.run_case(&suites[s], &suites[s].cases[c]);
                        done.lock().unwrap_or_else(|e| e.into_inner()).push((s, c, result));
                    }
                });
            }
        });
        for (s, c, result) in done.into_inner().unwrap_or_else(|e| e.into_inner()) {
            slots[s][c] = Some(result);
        }
        suites
            .iter()
            .zip(slots)
            .map(|(suite, cases)| SuiteResult {
                path: suite.path.clone(),
                cases: cases.into_iter().flatten().collect(),
            })
            .collect()
    }

    fn selected(&self, suite: &Suite, case: &Case) -> bool {
        match &self.filter {
            None => true,
            Some(f) => format!("{}: {}", suite.path.display(), case.name).contains(f.as_str()),
        }
    }

    /// Runs `case` with `input` instead of its own, whatever the filter
    /// says and without its snapshot: a trial of `--suggest` or `--shrink`.
    pub fn run_trial(&self, case: &Case, input: &serde_json::Value) -> CaseResult {
        let trial = Case {
            input: input.clone(),
            snapshot: false,
            skip: false,
            ..case.clone()
        };
        let unfiltered = Runner {
            real: self.real.clone(),
            world: self.world.clone(),
            threads: 1,
            filter: None,
            update_snapshots: false,
        };
        let nowhere = Suite {
            path: PathBuf::new(),
            cases: Vec::new(),
        };
        unfiltered.run_case(&nowhere, &trial)
    }

    /// Runs one case.
    pub fn run_case(&self, suite: &Suite, case: &Case) -> CaseResult {
        let started = Instant::now();
        let mut out = CaseResult {
            name: case.name.clone(),
            at: case.at.clone(),
            machine: case.machine.origin.clone(),
            verdict: Verdict::Skipped,
            result: None,
            steps: Vec::new(),
            invocations: Vec::new(),
            forced: Vec::new(),
            snapshot: None,
            elapsed: Duration::ZERO,
        };
        if case.skip || !self.selected(suite, case) {
            return out;
        }
        match self.execute(case) {
            Err(e) => out.verdict = Verdict::Error(e),
            Ok(ran) => {
                let mut unmet = case.expect.evaluate(&ran.result, &ran.steps, &ran.observed);
                if case.snapshot {
                    let outcome = snapshot::check(&suite.path, case, &ran.history, self.update_snapshots);
                    if let SnapshotOutcome::Differs { file, differences } = &outcome {
                        unmet.push(Unmet {
                            expectation: "snapshot".into(),
                            message: format!(
                                "the history differs from {} (--update-snapshots rewrites it)",
                                file.display()
                            ),
                            differences: differences.clone(),
                        });
                    }
                    out.snapshot = Some(outcome);
                }
                out.verdict = if unmet.is_empty() {
                    Verdict::Passed
                } else {
                    Verdict::Failed(unmet)
                };
                out.result = Some(ran.result);
                out.steps = ran.steps;
                out.invocations = ran.invocations;
                out.forced = ran.forced;
            }
        }
        out.elapsed = started.elapsed();
        out
    }

    fn execute(&self, case: &Case) -> Result<Ran, String> {
        let (machine, forced) = forced_machine(case)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .map_err(|e| format!("cannot start a runtime for the case: {e}"))?;
        let trace = Arc::new(Trace::default());
        let history = Arc::new(MemoryHistory::new());
        let observer: Arc<dyn HistoryObserver> = if case.snapshot {
            history.clone()
        } else {
            Arc::new(NoHistory)
        };
        let world = if !case.tables.is_empty() || case.expect.reads_world() {
            let Some(world) = &self.world else {
                return Err(
                    "the case seeds tables or expects items or log lines, and no plugin folder is loaded".into(),
                );
            };
            Some(world.case(&case.tables).map_err(|e| format!("tables: {e}"))?)
        } else {
            None
        };
        let real = world.as_ref().map_or_else(|| self.real.clone(), |w| w.tasks());
        let invoker = Arc::new(MockInvoker::new(Arc::new(case.mocks.clone()), real));
        let mut spec = ExecutionSpec::local(&case.machine.name, &case.execution_name, case.input.clone());
        spec.start_time = Some(case.start_time);
        // The case's ids (States.UUID(), $uuid(), request ids) repeat from
        // run to run: drawn from its execution name on this thread.
        let seed = fnv1a(case.execution_name.as_bytes());
        let result = stepyard_asl::ids::with_fixed_ids(seed, || {
            runtime.block_on(async {
                let services = Services {
                    tasks: invoker.clone(),
                    clock: Arc::new(ScaledClock::starting_at(case.start_time, 1.0)),
                    history: observer,
                };
                let interpreter = Interpreter::new(machine, services).with_state_ends(trace.clone());
                interpreter.execute(&spec).await
            })
        });
        // A real plugin's call abandoned at its timeout may still be winding down.
        runtime.shutdown_timeout(Duration::from_millis(100));
        let observed = match &world {
            None => Observed::default(),
            Some(world) => observe(&**world, &case.expect, &spec.execution_arn),
        };
        Ok(Ran {
            result,
            observed,
            steps: trace.steps(),
            history: history.events().iter().map(|e| e.to_json()).collect(),
            invocations: invoker.invocations(),
            forced,
        })
    }
}

struct Ran {
    result: ExecutionResult,
    observed: Observed,
    steps: Vec<Step>,
    history: Vec<serde_json::Value>,
    invocations: Vec<Invocation>,
    forced: Vec<String>,
}

/// The items the case expects, and the execution's log lines. Lines are
/// stored without waiting: a short grace lets the last ones land.
fn observe(world: &dyn crate::world::CaseWorld, expect: &crate::expect::Expectations, execution_arn: &str) -> Observed {
    let mut tables = crate::world::Tables::new();
    for (table, items) in &expect.tables {
        for key in items.keys() {
            if let Some(item) = world.item(table, key) {
                tables.entry(table.clone()).or_default().insert(key.clone(), item);
            }
        }
    }
    let mut logs = world.logs(execution_arn);
    if !expect.logs.is_empty() {
        for _ in 0..20 {
            if expect
                .logs
                .iter()
                .all(|e| logs.iter().any(|l| crate::matching::partial_match(e, l)))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            logs = world.logs(execution_arn);
        }
    }
    Observed { tables, logs }
}

/// The case's machine, with its forced Choices rewritten (parsed again).
fn forced_machine(case: &Case) -> Result<(Arc<StateMachine>, Vec<String>), String> {
    let forced: Vec<(&String, &String)> = case
        .mocks
        .iter()
        .filter_map(|(state, m)| match m {
            Mock::Next(target) => Some((state, target)),
            _ => None,
        })
        .collect();
    if forced.is_empty() {
        return Ok((case.machine.model.clone(), Vec::new()));
    }
    let mut source = case.machine.source.clone();
    for (state, target) in &forced {
        source = crate::locate::force_choice(&source, state, target).map_err(|e| format!("mocks.{state}: {e}"))?;
    }
    let model = StateMachine::parse(&source.to_string()).map_err(|e| {
        format!(
            "the machine with its Choices forced is invalid: {}",
            e.diagnostics
                .iter()
                .map(|d| format!("{} {}", d.location, d.message))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    Ok((Arc::new(model), forced.iter().map(|(s, _)| (*s).clone()).collect()))
}

/// FNV-1a: a hash that is the same on every machine and Rust version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The default number of worker threads: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Whether every case passed or was skipped.
pub fn all_passed(results: &[SuiteResult]) -> bool {
    results
        .iter()
        .flat_map(|s| &s.cases)
        .all(|c| matches!(c.verdict, Verdict::Passed | Verdict::Skipped))
}

/// The suite file's name for reports (relative to `base` when under it).
pub fn shown(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}
