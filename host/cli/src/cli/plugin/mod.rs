//! `stepyard plugin …`: tools for plugin authors: a new project in any of
//! the supported languages, its build, and a check of what was built.

mod build;
mod new;

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
    /// Write a new plugin project: handler, least-privilege manifest, a
    /// workflow with its test suite, README, WIT (and the SDK).
    New(NewArgs),
    /// Build a plugin project into DIR/dist/NAME.wasm and NAME.toml,
    /// installing its language's toolchain on first use.
    Build(BuildArgs),
    /// Check a component and its manifest: the WIT it imports against this
    /// host's, whether it loads, and its role (wildcards, unused grants,
    /// actions that do not exist, calls no statement allows). Exits 1 when
    /// anything is an error.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct NewArgs {
    /// The plugin's (and its function's) name.
    name: String,
    /// The language of its handler.
    #[arg(long, value_enum, default_value_t = new::Lang::Rust)]
    lang: new::Lang,
    /// Where to write it (default: ./NAME).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// The project (default: the current folder).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Where NAME.wasm and NAME.toml go (default: DIR/dist).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
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
        PluginCommand::New(args) => {
            let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
            let files = new::scaffold(&args.name, args.lang, &dir)?;
            println!(
                "wrote a {} plugin '{}' in {}:",
                args.lang.label(),
                args.name,
                dir.display()
            );
            for f in files {
                println!("  {}", f.display());
            }
            println!("next: stepyard plugin build {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Build(args) => {
            let built = build::build(&args.dir, args.out.as_deref())?;
            if !built.rebuilt {
                eprintln!("{} is up to date", built.wasm.display());
            }
            println!("plugin '{}':", built.name);
            println!("  {}", built.wasm.display());
            println!("  {}", built.manifest.display());
            Ok(ExitCode::SUCCESS)
        }
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
