//! `stepyard test`: runs workflow test suites (see `stepyard-testkit`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use stepyard_interpreter::task::{NoTasks, TaskInvoker};

use stepyard_testkit::coverage::Coverage;
use stepyard_testkit::mock_config::MockConfig;
use stepyard_testkit::suggest::{Suggestions, suggest};
use stepyard_testkit::suite::{MachineCache, find_suites};
use stepyard_testkit::{Runner, Suite, report, run};

#[derive(Debug, Args)]
pub(super) struct TestArgs {
    /// Suite files (`*.test.yaml`, `*.test.json`) or directories to search
    /// (default: the current directory).
    paths: Vec<PathBuf>,
    /// Run only cases whose `FILE: CASE NAME` contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Print the results as one JSON document.
    #[arg(long)]
    json: bool,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Report which states and edges (Choice rules, Catch and Retry rules)
    /// the cases took.
    #[arg(long)]
    coverage: bool,
    /// How coverage is printed.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text, value_name = "FORMAT")]
    coverage_format: CoverageFormat,
    /// Fail when any state machine's coverage is below N percent.
    #[arg(long, value_name = "N")]
    min_coverage: Option<f64>,
    /// Rewrite history snapshots that differ.
    #[arg(long)]
    update_snapshots: bool,
    /// Propose inputs that take the Choice rules and Defaults no case took
    /// (each checked by running it).
    #[arg(long)]
    suggest: bool,
    /// For each failing case, look for the smallest input that still fails
    /// the same way (up to 200 runs per case).
    #[arg(long)]
    shrink: bool,
    /// A Step Functions Local MockConfigFile for suites that name none.
    #[arg(long, value_name = "FILE")]
    mock_config: Option<PathBuf>,
    /// Cases run at once (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CoverageFormat {
    /// A figure per state machine and what is not covered.
    Text,
    /// The same as JSON (printed after the results).
    Json,
    /// An LCOV tracefile (states as lines, edges as branches).
    Lcov,
}

pub(super) fn test(args: TestArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = find_suites(&paths).context("cannot search for suite files")?;
    if files.is_empty() {
        bail!(
            "no suite files (*.test.yaml, *.test.json) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mock_config = match &args.mock_config {
        Some(path) => Some(MockConfig::load(path)?),
        None => None,
    };
    let mut machines = MachineCache::default();
    let mut suites = Vec::with_capacity(files.len());
    for file in &files {
        suites.push(Suite::load_with(file, &mut machines, mock_config.as_ref())?);
    }
    let runner = Runner {
        real: real_plugins(env)?,
        world: plugin_world(env)?,
        threads: args.jobs.unwrap_or_else(run::default_threads),
        filter: args.filter.clone(),
        update_snapshots: args.update_snapshots,
    };
    let results = runner.run(&suites);
    let base = std::env::current_dir().unwrap_or_default();
    let elapsed = started.elapsed();

    let coverage = (args.coverage || args.min_coverage.is_some() || args.suggest)
        .then(|| Coverage::of(machines.machines().map(|m| &**m), results.iter().flat_map(|s| &s.cases)));
    let suggestions = match (&coverage, args.suggest) {
        (Some(c), true) => Some(suggestions(c, &machines, &suites, &results, &runner)),
        _ => None,
    };
    let shrunk = if args.shrink {
        shrink_failures(&suites, &results, &runner)
    } else {
        Vec::new()
    };
    if args.json {
        let mut out = report::json(&results, &base);
        if args.shrink {
            out["shrunk"] = serde_json::Value::Array(
                shrunk
                    .iter()
                    .map(|(file, case, s)| serde_json::json!({"file": run::shown(file, &base), "case": case, "input": s.input, "fails": s.fails, "runs": s.runs}))
                    .collect(),
            );
        }
        if let Some(c) = &coverage {
            out["coverage"] = serde_json::to_value(c)?;
        }
        if let Some(found) = &suggestions {
            out["suggestions"] = serde_json::to_value(found)?;
        }
        println!("{out}");
    } else {
        print!("{}", report::text(&results, &base, elapsed));
        for (file, case, s) in &shrunk {
            println!(
                "{}: '{case}' still fails ({}) with the input {} (found in {} runs)",
                run::shown(file, &base),
                s.fails,
                s.input,
                s.runs
            );
        }
    }
    if let Some(file) = &args.junit {
        std::fs::write(file, report::junit(&results, &base))
            .with_context(|| format!("cannot write the JUnit report {}", file.display()))?;
    }
    let mut passed = run::all_passed(&results);
    if let Some(c) = &coverage {
        match (args.coverage, args.coverage_format) {
            (false, _) => {}
            (true, CoverageFormat::Text) if !args.json => print!("{}", c.text()),
            (true, CoverageFormat::Json) if !args.json => println!("{}", serde_json::to_string_pretty(c)?),
            (true, CoverageFormat::Lcov) => print!("{}", c.lcov()),
            _ => {}
        }
        if let Some(found) = suggestions.as_ref().filter(|_| !args.json) {
            print_suggestions(found);
        }
        if let Some(min) = args.min_coverage {
            let lowest = c.lowest_percent();
            if lowest < min {
                eprintln!("coverage {lowest:.1}% is below --min-coverage {min}");
                passed = false;
            }
        }
    }
    Ok(if passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The plugin folder's plugins, for states without a mock (tables and logs
/// in memory: a test never touches the data directory's database).
fn real_plugins(env: &super::EnvArgs) -> anyhow::Result<Arc<dyn TaskInvoker>> {
    if !env.plugins.is_dir() {
        return Ok(Arc::new(NoTasks));
    }
    let memory = super::EnvArgs {
        store: super::env::StoreKind::Memory,
        ..env.clone()
    };
    Ok(Arc::new(memory.open()?.registry(None)?))
}

/// `--suggest` for every machine with uncovered Choice edges.
fn suggestions(
    coverage: &Coverage,
    machines: &MachineCache,
    suites: &[Suite],
    results: &[stepyard_testkit::SuiteResult],
    runner: &Runner,
) -> BTreeMap<String, Suggestions> {
    let ran: Vec<(usize, usize, &stepyard_testkit::CaseResult)> = results
        .iter()
        .enumerate()
        .flat_map(|(s, suite)| suite.cases.iter().enumerate().map(move |(i, case)| (s, i, case)))
        .collect();
    let mut all = BTreeMap::new();
    for machine in machines.machines() {
        let Some(covered) = coverage.machines.get(&machine.origin) else {
            continue;
        };
        let found = suggest(covered, &machine.model, suites, &ran, runner);
        if !found.found.is_empty() || !found.unreached.is_empty() {
            all.insert(machine.origin.clone(), found);
        }
    }
    all
}

fn print_suggestions(all: &BTreeMap<String, Suggestions>) {
    for (machine, found) in all {
        println!("suggestions for {machine}:");
        for s in &found.found {
            let whose = if s.from_start {
                "execution input"
            } else {
                "input at the Choice"
            };
            println!("  {}: {whose} {} (from case '{}')", s.location, s.input, s.from_case);
        }
        for u in &found.unreached {
            println!("  {}: {}", u.location, u.reason);
        }
    }
}

/// Fresh tables (in memory) and plugins over them for each case that
/// seeds tables or expects items or log lines; one engine and compile cache
/// for all of them.
struct PluginWorld {
    runtime: stepyard_runtime::Runtime,
    plugins: PathBuf,
}

fn plugin_world(env: &super::EnvArgs) -> anyhow::Result<Option<Arc<dyn stepyard_testkit::world::World>>> {
    if !env.plugins.is_dir() {
        return Ok(None);
    }
    Ok(Some(Arc::new(PluginWorld {
        runtime: env.runtime()?,
        plugins: env.plugins.clone(),
    })))
}

impl stepyard_testkit::world::World for PluginWorld {
    fn case(
        &self,
        tables: &stepyard_testkit::world::Tables,
    ) -> Result<Box<dyn stepyard_testkit::world::CaseWorld>, String> {
        use stepyard_store::KvStore;
        let store = Arc::new(stepyard_store::MemoryStore::new());
        for (table, items) in tables {
            for (key, item) in items {
                store
                    .put(table, key, &item.to_string(), stepyard_store::Condition::Always)
                    .map_err(|e| format!("{table}/{key}: {e}"))?;
            }
        }
        let host = stepyard_runtime::PluginHost::load_dir(&self.runtime, &self.plugins, store.clone(), store.clone());
        Ok(Box::new(CasePlugins {
            tasks: Arc::new(host.registry()),
            store,
        }))
    }
}

struct CasePlugins {
    tasks: Arc<dyn TaskInvoker>,
    store: Arc<stepyard_store::MemoryStore>,
}

impl stepyard_testkit::world::CaseWorld for CasePlugins {
    fn tasks(&self) -> Arc<dyn TaskInvoker> {
        self.tasks.clone()
    }

    fn item(&self, table: &str, key: &str) -> Option<serde_json::Value> {
        use stepyard_store::KvStore;
        let item = self.store.get(table, key).ok()??;
        serde_json::from_str(&item.value).ok()
    }

    fn logs(&self, execution_arn: &str) -> Vec<serde_json::Value> {
        use stepyard_store::LogStore;
        self.store
            .read(execution_arn)
            .unwrap_or_default()
            .iter()
            .map(|l| {
                serde_json::json!({
                    "level": l.level.as_str(),
                    "state": l.state_name,
                    "plugin": l.source,
                    "message": l.message,
                    "fields": l.fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect()
    }
}

/// `--shrink`: each failing case's smallest input that fails the same way.
fn shrink_failures(
    suites: &[Suite],
    results: &[stepyard_testkit::SuiteResult],
    runner: &Runner,
) -> Vec<(PathBuf, String, stepyard_testkit::shrink::Shrunk)> {
    let mut out = Vec::new();
    for (suite, result) in suites.iter().zip(results) {
        for (case, ran) in suite.cases.iter().zip(&result.cases) {
            let stepyard_testkit::run::Verdict::Failed(unmet) = &ran.verdict else {
                continue;
            };
            let Some(first) = unmet.first() else { continue };
            let error = ran.result.as_ref().and_then(|r| r.error.as_deref());
            if let Some(shrunk) = stepyard_testkit::shrink::shrink(runner, case, &first.expectation, error, 200) {
                out.push((suite.path.clone(), case.name.clone(), shrunk));
            }
        }
    }
    out
}
