//! `stepyard audit`: the audit trail (CloudTrail's event history), newest
//! first, and `stepyard audit verify`, which walks its hash chain.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::EnvArgs;
use super::client::Backend;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    /// Only records this recent (`30m`, `1h`, `7d`).
    #[arg(long, value_name = "AGE", value_parser = super::duration::parse_age)]
    since: Option<Duration>,
    /// Only calls by this user (a role's session: the plugin's function;
    /// `anonymous` without --auth).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Only this operation or action (`StartExecution`, `PutItem`).
    #[arg(long, value_name = "NAME")]
    action: Option<String>,
    /// Only refused calls (not authenticated, or not allowed).
    #[arg(long)]
    denied: bool,
    /// Print each record as a JSON line (CloudTrail's record shape).
    #[arg(long)]
    json: bool,
    /// At most this many records.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// A running server to ask (default: the one on the data directory, if
    /// any, else the database itself).
    #[arg(long, global = true)]
    endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the trail's hash chain: say whether any record was changed,
    /// removed or inserted, and where (exit status 1 if so).
    Verify,
}

pub(super) fn audit(args: AuditArgs, env: &EnvArgs) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(args.endpoint.as_deref(), env)?;
    if let Some(AuditCommand::Verify) = args.command {
        return verify(&backend);
    }
    let mut attributes = Vec::new();
    if let Some(user) = &args.user {
        attributes.push(json!({"attributeKey": "Username", "attributeValue": user}));
    }
    if let Some(action) = &args.action {
        // `states:StopExecution` names the same event as `StopExecution`.
        let name = action.rsplit(':').next().unwrap_or(action);
        attributes.push(json!({"attributeKey": "EventName", "attributeValue": name}));
    }
    let mut request = json!({"lookupAttributes": attributes, "deniedOnly": args.denied});
    if let Some(age) = args.since {
        let since = chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        request["startTime"] = (since.timestamp_millis() as f64 / 1000.0).into();
    }
    let mut events: Vec<Value> = Vec::new();
    while events.len() < args.limit {
        request["maxResults"] = (args.limit - events.len()).min(50).into();
        let page = backend.call_stepyard("LookupEvents", request.clone())?;
        events.extend(page["events"].as_array().cloned().unwrap_or_default());
        match page["nextToken"].as_str() {
            Some(token) => request["nextToken"] = token.into(),
            None => break,
        }
    }
    let records: Vec<Value> = events
        .iter()
        .filter_map(|e| e["cloudTrailEvent"].as_str())
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    if args.json {
        for record in &records {
            println!("{record}");
        }
    } else {
        print_table(&records);
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per record: time, user, action, result, resource.
fn print_table(records: &[Value]) {
    let rows: Vec<[String; 5]> = records.iter().map(row).collect();
    let header = ["TIME", "USER", "ACTION", "RESULT", "RESOURCE"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for r in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| if i == 4 { cell.clone() } else { format!("{cell:w$}") })
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

fn row(record: &Value) -> [String; 5] {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let identity = &record["userIdentity"];
    let user = [&identity["userName"], &identity["arn"], &identity["accountId"]]
        .into_iter()
        .find_map(|v| v.as_str())
        .map(|s| {
            if s.contains(":assumed-role/") {
                s.split(":assumed-role/").nth(1).unwrap_or(s).to_owned()
            } else {
                s.to_owned()
            }
        })
        .unwrap_or_else(|| text(&identity["type"]));
    let service = text(&record["eventSource"]);
    let service = service.strip_suffix(".amazonaws.com").unwrap_or(&service);
    let action = format!("{service}:{}", text(&record["eventName"]));
    let result = record["errorCode"].as_str().unwrap_or("ok").to_owned();
    let resource = record["resources"][0]["ARN"].as_str().unwrap_or("").to_owned();
    [text(&record["eventTime"]), user, action, result, resource]
}

fn verify(backend: &Backend) -> anyhow::Result<ExitCode> {
    let report = backend.call_stepyard("VerifyAuditTrail", json!({}))?;
    let records = report["records"].as_u64().unwrap_or(0);
    let dropped = report["dropped"].as_u64().unwrap_or(0);
    let retention = if dropped > 0 {
        format!(
            " (from record {}; retention dropped {dropped} older ones)",
            report["start"].as_u64().unwrap_or(1)
        )
    } else {
        String::new()
    };
    if report["intact"].as_bool() == Some(true) {
        println!("audit trail intact: {records} records verified{retention}");
        return Ok(ExitCode::SUCCESS);
    }
    let problem = &report["problem"];
    println!(
        "audit trail BROKEN at record {} ({}): {}",
        problem["sequence"].as_u64().unwrap_or(0),
        problem["kind"].as_str().unwrap_or("?"),
        problem["message"].as_str().unwrap_or("")
    );
    println!("{records} records before it verified{retention}");
    Ok(ExitCode::from(1))
}
