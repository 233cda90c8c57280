//! `stepyard validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::task::Registry;

#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    /// The ASL definition (JSON file).
    definition: PathBuf,
    /// Print the result as ValidateStateMachineDefinition's JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(super) fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let text = super::read_definition(&args.definition)?;
    let diagnostics = match StateMachine::parse(&text) {
        // As CreateStateMachine checks: also the resources no plugin can
        // stand for (what plugins serve does not depend on which are loaded).
        Ok(machine) => stepyard_service::unserved_resources(&machine, &Registry::new()),
        Err(invalid) => invalid.diagnostics,
    };
    let ok = diagnostics.is_empty();
    if args.json {
        let out = json!({"result": if ok { "OK" } else { "FAIL" }, "diagnostics": diagnostics, "truncated": false});
        println!("{out}");
    } else if ok {
        eprintln!("{}: valid", args.definition.display());
    }
    if !args.json {
        for d in &diagnostics {
            eprintln!(
                "{}: {} {}: {}",
                args.definition.display(),
                d.location,
                d.code,
                d.message
            );
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
