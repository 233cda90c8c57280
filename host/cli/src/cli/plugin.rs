//! `stepyard plugin …`: tools for plugin authors (`check` today).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub(crate) struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Check a component and its manifest: the WIT it imports against this
    /// host's, whether it loads, and its role (wildcards, unused grants,
    /// actions that do not exist, calls no statement allows). Exits 1 when
    /// anything is an error.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The component, NAME.wasm (its manifest is NAME.toml or NAME.json beside it).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON object per file instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn plugin(args: PluginArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PluginCommand::Check(check) => check_files(check, env),
    }
}

fn check_files(args: CheckArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    let runtime = env.runtime()?;
    let mut failed = false;
    for file in &args.files {
        let report = stepyard_runtime::check_plugin(&runtime, file);
        failed |= report.has_errors();
        if args.json {
            println!("{}", report.to_json());
            continue;
        }
        let verdict = if report.has_errors() { "FAIL" } else { "OK" };
        println!("{verdict}  {}  ({})", report.name, file.display());
        if let Some(m) = &report.manifest_path {
            println!("    manifest:   {}", m.display());
        }
        println!("    wit:        {}", stepyard_runtime::WIT_PACKAGE);
        println!("    host calls: {}", or_none(&report.host_calls));
        println!("    imports:    {}", or_none(&report.imports));
        for f in &report.findings {
            println!("  {}: {}: {}", f.severity.as_str(), f.place, f.message);
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn or_none(list: &[String]) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}
