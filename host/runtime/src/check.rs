//! `stepyard plugin check`: what a component imports and exports against
//! the WIT this host provides, its manifest, and a lint of its role in the
//! spirit of IAM Access Analyzer (wildcards, grants the code never uses,
//! actions that do not exist, imports no statement allows). Each finding
//! names its place: the component file, or the manifest and the JSON
//! pointer of the statement field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wasmtime::component::Linker;
use wasmtime::component::types::ComponentItem;

use crate::manifest::Manifest;
use crate::{Runtime, bindings, engine, host, link};

/// The WIT package this host implements, with its version.
pub const WIT_PACKAGE: &str = "stepyard:plugin@0.1.0";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The plugin will not load or cannot work as written.
    Error,
    /// It loads, but the role grants more (or less) than it needs.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One thing found, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file, and inside a manifest the JSON pointer of the field
    /// (`hostile.toml#/role/Statement/1/Action`).
    pub place: String,
    /// What is wrong, and what to do.
    pub message: String,
}

/// What `check` found about one plugin.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The plugin's name (the file stem).
    pub name: String,
    /// The component checked.
    pub wasm_path: PathBuf,
    /// The manifest beside it, if any.
    pub manifest_path: Option<PathBuf>,
    /// Every interface the component imports (`wasi:io/streams@0.2.6`…).
    pub imports: Vec<String>,
    /// The Stepyard functions it calls (`kv.put`, `log.log`…).
    pub host_calls: Vec<String>,
    /// What is wrong or worth a look, errors first.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The report as JSON (for `--json`).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "path": self.wasm_path.display().to_string(),
            "manifest": self.manifest_path.as_ref().map(|p| p.display().to_string()),
            "wit": WIT_PACKAGE,
            "imports": self.imports,
            "hostCalls": self.host_calls,
            "findings": self.findings.iter().map(|f| json!({
                "severity": f.severity.as_str(),
                "place": f.place,
                "message": f.message,
            })).collect::<Vec<_>>(),
            "ok": !self.has_errors(),
        })
    }
}

/// The IAM action each Stepyard import is checked against.
const HOST_CALL_ACTIONS: [(&str, &str); 8] = [
    ("kv.get", "dynamodb:GetItem"),
    ("kv.put", "dynamodb:PutItem"),
    ("kv.put-if-absent", "dynamodb:PutItem"),
    ("kv.put-if-version", "dynamodb:PutItem"),
    ("kv.update", "dynamodb:UpdateItem"),
    ("kv.delete", "dynamodb:DeleteItem"),
    ("kv.query", "dynamodb:Query"),
    ("log.log", "logs:PutLogEvents"),
];

/// Actions of the services Stepyard checks, as AWS names them (so a typo
/// such as `dynamodb:PutItems` is caught, not silently never matching).
const DYNAMODB_ACTIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "ConditionCheckItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeTable",
    "GetItem",
    "ListTables",
    "PartiQLDelete",
    "PartiQLInsert",
    "PartiQLSelect",
    "PartiQLUpdate",
    "PutItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateItem",
    "UpdateTable",
];
const LOGS_ACTIONS: &[&str] = &[
    "CreateLogGroup",
    "CreateLogStream",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "FilterLogEvents",
    "GetLogEvents",
    "PutLogEvents",
];

/// Checks the component at `wasm_path` and the manifest beside it.
pub fn check_plugin(runtime: &Runtime, wasm_path: &Path) -> CheckReport {
    let (name, manifest_path) = crate::name_and_manifest(wasm_path);
    let mut report = CheckReport {
        name: name.clone(),
        wasm_path: wasm_path.to_path_buf(),
        manifest_path: manifest_path.clone(),
        imports: Vec::new(),
        host_calls: Vec::new(),
        findings: Vec::new(),
    };
    let shown = wasm_path.display().to_string();
    let manifest = match &manifest_path {
        Some(p) => match Manifest::load(p, &name) {
            Ok(m) => Some(m),
            Err(e) => {
                report.findings.push(error(p.display().to_string(), e.message));
                None
            }
        },
        None => {
            report.findings.push(Finding {
                severity: Severity::Warning,
                place: shown.clone(),
                message: format!(
                    "no manifest ({name}.toml or {name}.json) beside it: the plugin serves '{name}' and is granted nothing"
                ),
            });
            Some(Manifest::default_for(&name))
        }
    };
    if let Some(m) = &manifest
        && let Err(e) = m.quotas.check_within(runtime.quota_ceiling())
    {
        report.findings.push(error(manifest_place(&report, ""), e));
    }
    check_component(runtime, wasm_path, &mut report);
    if let (Some(m), Some(_)) = (&manifest, &manifest_path) {
        lint_role(&m.role_document, &report.host_calls.clone(), &mut report);
    }
    report.findings.sort_by_key(|f| f.severity);
    report
}

fn error(place: String, message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        place,
        message,
    }
}

fn warning(place: String, message: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        place,
        message,
    }
}

fn manifest_place(report: &CheckReport, pointer: &str) -> String {
    let file = report
        .manifest_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if pointer.is_empty() {
        file
    } else {
        format!("{file}#{pointer}")
    }
}

/// The component's imports and exports against what the host links.
fn check_component(runtime: &Runtime, wasm_path: &Path, report: &mut CheckReport) {
    let shown = wasm_path.display().to_string();
    let bytes = match std::fs::read(wasm_path) {
        Ok(b) => b,
        Err(e) => {
            report.findings.push(error(shown, format!("cannot read: {e}")));
            return;
        }
    };
    let component = match runtime.component(&bytes) {
        Ok((c, _)) => c,
        Err(e) => {
            report.findings.push(error(
                shown,
                format!("not a valid component: {e} (a core module must be made a component, e.g. with wasm-tools component new)"),
            ));
            return;
        }
    };
    let engine = runtime.engine();
    let ty = component.component_type();
    for (import, item) in ty.imports(engine) {
        report.imports.push(import.to_owned());
        let Some(interface) = import.strip_prefix("stepyard:plugin/") else {
            if !import.starts_with("wasi:") {
                report.findings.push(error(
                    shown.clone(),
                    format!("imports {import}, which this host does not provide"),
                ));
            }
            continue;
        };
        let (interface, version) = interface.split_once('@').unwrap_or((interface, ""));
        if !version.starts_with("0.1.") {
            report.findings.push(error(
                shown.clone(),
                format!("imports {import}: this host implements {WIT_PACKAGE}; rebuild against wit/plugin.wit"),
            ));
        }
        if let ComponentItem::ComponentInstance(instance) = item.ty {
            for (function, export) in instance.exports(engine) {
                if matches!(export.ty, ComponentItem::ComponentFunc(_)) {
                    report.host_calls.push(format!("{interface}.{function}"));
                }
            }
        }
    }
    if ty.get_export(engine, "handle").is_none() {
        report.findings.push(error(
            shown.clone(),
            "does not export `handle` (the task-plugin world of wit/plugin.wit)".to_owned(),
        ));
    }
    let mut linker = Linker::<host::CallState>::new(engine);
    if let Err(e) = link(&mut linker) {
        report
            .findings
            .push(error(shown, format!("the host's linker failed: {e}")));
        return;
    }
    let linked = linker
        .instantiate_pre(&component)
        .map_err(|e| engine::describe(&e))
        .and_then(|pre| bindings::TaskPluginPre::new(pre).map_err(|e| engine::describe(&e)));
    if let Err(e) = linked {
        report.findings.push(error(shown, format!("will not load: {e}")));
    }
}

/// Access Analyzer-style findings on the manifest's `[role]`.
fn lint_role(document: &Value, host_calls: &[String], report: &mut CheckReport) {
    let needed: BTreeSet<&str> = host_calls
        .iter()
        .filter_map(|c| HOST_CALL_ACTIONS.iter().find(|(call, _)| call == c).map(|(_, a)| *a))
        .collect();
    let statements = match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut granted: BTreeSet<String> = BTreeSet::new();
    for (i, statement) in statements.iter().enumerate() {
        let allow = statement.get("Effect").and_then(Value::as_str) == Some("Allow");
        let pointer = format!("/role/Statement/{i}");
        for (field, value) in [
            ("Action", statement.get("Action")),
            ("NotAction", statement.get("NotAction")),
        ] {
            for (j, action) in strings(value).into_iter().enumerate() {
                let place = manifest_place(report, &format!("{pointer}/{field}{}", index(value, j)));
                lint_action(action, field, allow, &place, &needed, report);
                if allow && field == "Action" {
                    granted.insert(action.to_ascii_lowercase());
                }
            }
        }
        let resources = statement.get("Resource");
        if allow && strings(resources).contains(&"*") {
            report.findings.push(warning(
                manifest_place(report, &format!("{pointer}/Resource")),
                "grants on every resource (\"*\"): name the resources it needs (a table is arn:aws:dynamodb:*:*:table/NAME)".into(),
            ));
        }
    }
    let refused: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|action| {
            !granted.iter().any(|g| {
                g == "*" || *g == action.to_ascii_lowercase() || stepyard_policy::Pattern::new(g, false).matches(action)
            })
        })
        .collect();
    if !refused.is_empty() {
        // One finding: a component built from JavaScript imports every
        // function of an interface it touches, used or not.
        report.findings.push(warning(
            manifest_place(report, "/role"),
            format!(
                "the component can call the host in ways that need {}, which no statement allows: such calls will be refused",
                refused.join(", ")
            ),
        ));
    }
}

fn lint_action(action: &str, field: &str, allow: bool, place: &str, needed: &BTreeSet<&str>, report: &mut CheckReport) {
    if action == "*" || action.ends_with(":*") {
        if allow && field == "Action" {
            report.findings.push(warning(
                place.to_owned(),
                format!(
                    "wildcard action \"{action}\": grant only the actions the code needs ({})",
                    list(needed)
                ),
            ));
        }
        return;
    }
    let Some((service, name)) = action.split_once(':') else {
        report
            .findings
            .push(error(place.to_owned(), format!("\"{action}\" is not SERVICE:ACTION")));
        return;
    };
    let known: Option<&[&str]> = match service.to_ascii_lowercase().as_str() {
        "dynamodb" => Some(DYNAMODB_ACTIONS),
        "logs" => Some(LOGS_ACTIONS),
        _ => None,
    };
    let has_wildcard = name.contains('*') || name.contains('?');
    if let Some(known) = known
        && !has_wildcard
        && !known.iter().any(|k| k.eq_ignore_ascii_case(name))
    {
        report.findings.push(error(
            place.to_owned(),
            format!("{service} has no action \"{name}\": this statement never matches"),
        ));
        return;
    }
    if allow && field == "Action" && !has_wildcard {
        let used = needed.iter().any(|n| n.eq_ignore_ascii_case(action));
        if !used {
            report.findings.push(warning(
                place.to_owned(),
                format!(
                    "grants {action}, which the code never needs (it calls {})",
                    list(needed)
                ),
            ));
        }
    }
}

fn list(needed: &BTreeSet<&str>) -> String {
    if needed.is_empty() {
        "nothing that needs a grant".to_owned()
    } else {
        needed.iter().copied().collect::<Vec<_>>().join(", ")
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `/J` when the field is a list, nothing when it is one string.
fn index(value: Option<&Value>, j: usize) -> String {
    match value {
        Some(Value::Array(_)) => format!("/{j}"),
        _ => String::new(),
    }
}
