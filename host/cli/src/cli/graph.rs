//! `stepyard graph`: the console's graph of a definition as an SVG file,
//! for a README or a CI artifact; with `--execution`, coloured by how that
//! execution ran.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use stepyard_console::{Direction, ExecutionRun, render_svg};

use super::client::{Backend, all_pages, execution_arn};
use super::{EnvArgs, read_definition};

#[derive(Debug, Args)]
pub(super) struct GraphArgs {
    /// The definition file. May be left out with `--execution`: the
    /// definition that execution ran is drawn.
    definition: Option<PathBuf>,
    /// Show this execution's progress: each state coloured by its status,
    /// with its retries (the execution's ARN, or MACHINE:NAME).
    #[arg(long)]
    execution: Option<String>,
    /// Where to write the SVG document (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    svg: PathBuf,
    /// Which way transitions run.
    #[arg(long, value_enum, default_value_t = Flow::TopDown)]
    direction: Flow,
    /// A running server to ask for the execution (default: the one on the
    /// data directory, if any, else the database).
    #[arg(long, value_name = "URL", env = "STEPYARD_ENDPOINT")]
    endpoint: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Flow {
    /// From the top down, as the AWS console draws.
    #[value(name = "TB")]
    TopDown,
    /// From left to right.
    #[value(name = "LR")]
    LeftToRight,
}

pub(super) fn graph(args: GraphArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let mut definition = match &args.definition {
        Some(path) => Some(parse_definition(&read_definition(path)?, &path.display().to_string())?),
        None => None,
    };
    let mut run = None;
    if let Some(execution) = &args.execution {
        let backend = Backend::open(args.endpoint.as_deref(), env)?;
        let arn = execution_arn(execution);
        let described = backend.call("DescribeExecution", json!({"executionArn": arn}))?;
        let status = described["status"].as_str().unwrap_or("RUNNING").to_owned();
        let request = json!({"executionArn": arn, "maxResults": 1000});
        let events = all_pages(&backend, "GetExecutionHistory", request, "events")?;
        if definition.is_none() {
            let machine = backend.call("DescribeStateMachineForExecution", json!({"executionArn": arn}))?;
            let text = machine["definition"]
                .as_str()
                .context("the execution's state machine has no definition")?;
            definition = Some(parse_definition(text, &format!("the definition of {arn}"))?);
        }
        run = Some((events, status));
    }
    let Some(definition) = definition else {
        anyhow::bail!("name a definition file, or an execution with --execution");
    };
    let direction = match args.direction {
        Flow::TopDown => Direction::TopToBottom,
        Flow::LeftToRight => Direction::LeftToRight,
    };
    let run = run.as_ref().map(|(events, status)| ExecutionRun { events, status });
    let svg = render_svg(&definition, run, direction)?;
    if args.svg.as_os_str() == "-" {
        std::io::stdout().write_all(svg.as_bytes())?;
    } else {
        std::fs::write(&args.svg, svg).with_context(|| format!("cannot write {}", args.svg.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A definition's JSON, with where it fails to parse.
fn parse_definition(text: &str, what: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).with_context(|| format!("{what} is not valid JSON"))
}
