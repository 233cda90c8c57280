//! Command-line parsing and dispatch. `anyhow` lives here, at the edge.

mod alerts;
mod audit;
mod client;
mod duration;
mod env;
mod executions;
mod graph;
mod held;
mod inspect;
mod invoke;
mod metrics;
mod plugin;
mod progress;
mod run;
mod serve;
mod test;
mod validate;

pub(crate) use env::EnvArgs;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Amazon States Language state machines locally.
#[derive(Debug, Parser)]
#[command(name = "stepyard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    env: EnvArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one execution of a state machine and print how it ended.
    Run(run::RunArgs),
    /// Check a definition the way CreateStateMachine does.
    Validate(validate::ValidateArgs),
    /// Run workflow test suites: whole executions with per-state mocks, in
    /// virtual time, with expectations, edge coverage and history snapshots.
    Test(test::TestArgs),
    /// List the plugins of the plugin folder with their roles and limits.
    Plugins(inspect::PluginsArgs),
    /// Tools for plugin authors: `plugin check FILE`.
    Plugin(plugin::PluginArgs),
    /// Call one plugin function outside any workflow (tables in memory):
    /// its result or error, log lines, time and resources.
    Invoke(invoke::InvokeArgs),
    /// Read the key-value tables plugins write.
    Table(inspect::TableArgs),
    /// Show the log lines plugins wrote during an execution.
    Logs(inspect::LogsArgs),
    /// Serve the AWS Step Functions API (boto3, the AWS CLI) with durable
    /// executions.
    Serve(serve::ServeArgs),
    /// List executions (from the running server, or the database).
    Executions(executions::ExecutionsArgs),
    /// Describe one execution (DescribeExecution).
    Describe(executions::DescribeArgs),
    /// Print an execution's history events (GetExecutionHistory).
    History(executions::HistoryArgs),
    /// Draw a definition's graph as an SVG file, as the console draws it;
    /// with `--execution`, coloured by how that execution ran.
    Graph(graph::GraphArgs),
    /// Sum the per-minute metrics of the last hours: executions by status,
    /// p50/p95/p99 durations per state machine and state, task attempts,
    /// failures and retries per plugin.
    Metrics(metrics::MetricsArgs),
    /// Show the audit trail (API calls, refused plugin imports), or verify
    /// its hash chain (`audit verify`).
    Audit(audit::AuditArgs),
    /// Print execution status changes and alarm state changes as JSON
    /// lines, as EventBridge shapes them (from the running server).
    Events(alerts::EventsArgs),
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args, &cli.env),
        Command::Validate(args) => validate::validate(args),
        Command::Test(args) => test::test(args, &cli.env),
        Command::Plugins(args) => inspect::plugins(args, &cli.env),
        Command::Plugin(args) => plugin::plugin(args, &cli.env),
        Command::Invoke(args) => invoke::invoke(args, &cli.env),
        Command::Table(args) => inspect::table(args, &cli.env),
        Command::Logs(args) => inspect::logs(args, &cli.env),
        Command::Serve(args) => serve::serve(args, &cli.env),
        Command::Executions(args) => executions::executions(args, &cli.env),
        Command::Describe(args) => executions::describe(args, &cli.env),
        Command::History(args) => executions::history(args, &cli.env),
        Command::Graph(args) => graph::graph(args, &cli.env),
        Command::Metrics(args) => metrics::metrics(args, &cli.env),
        Command::Audit(args) => audit::audit(args, &cli.env),
        Command::Events(args) => alerts::events(args, &cli.env),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Reads a definition file, naming the file in the error.
fn read_definition(path: &PathBuf) -> anyhow::Result<String> {
    use anyhow::Context;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read definition {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("definition {} is not valid UTF-8", path.display()))
}
