//! The suite file: a state machine, its cases, their mocks and expectations.
//!
//! YAML or JSON with the same shape (`schema/test-suite.schema.json` in the
//! repository documents it for editors). Every mistake is reported with the
//! file and the field (`cases[2].mocks.Charge`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use stepyard_asl::definition::{StateKind, StateMachine};
use stepyard_interpreter::task::{FieldValidation, check_mocked_result};

use crate::expect::Expectations;
use crate::mocks::{Mock, MockSpec};

/// Why a suite could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid YAML or JSON, or a field has the wrong shape.
    #[error("{path}: {at}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The field (`cases[2].expect.status`), or `.` for the whole file.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A state machine the suite names is not a valid definition.
    #[error("{path}: {at}: the state machine {machine} is invalid: {message}")]
    Machine {
        /// The suite file.
        path: PathBuf,
        /// The field that names it.
        at: String,
        /// The definition's file (or `inline`).
        machine: String,
        /// The definition's diagnostics.
        message: String,
    },
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SuiteFile {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    /// The state machine's definition file, relative to the suite.
    state_machine: Option<String>,
    /// Or the definition itself (an object, or its JSON text).
    definition: Option<Value>,
    /// Mocks every case starts with (a case's own replace them by state).
    #[serde(default)]
    mocks: BTreeMap<String, MockSpec>,
    /// The context every case starts with.
    context: Option<ContextSpec>,
    /// A Step Functions Local MockConfigFile, relative to the suite, whose
    /// test cases the cases pick with `testCase`.
    mock_config: Option<String>,
    /// The machine's name in the MockConfigFile (default: the definition
    /// file's name up to its first dot).
    state_machine_name: Option<String>,
    /// How mocked results are checked against what their integration
    /// returns: STRICT (the default, as TestState), PRESENT or NONE.
    field_validation_mode: Option<String>,
    cases: Vec<CaseFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CaseFile {
    name: String,
    state_machine: Option<String>,
    definition: Option<Value>,
    #[serde(default = "empty_object")]
    input: Value,
    #[serde(default)]
    mocks: BTreeMap<String, MockSpec>,
    /// A test case of the MockConfigFile: its mocks come first, `mocks`
    /// replace them by state.
    test_case: Option<String>,
    /// Table items the plugins start from: `{TABLE: {KEY: ITEM}}`.
    #[serde(default)]
    tables: crate::world::Tables,
    context: Option<ContextSpec>,
    #[serde(default)]
    expect: Expectations,
    #[serde(default)]
    snapshot: bool,
    #[serde(default)]
    skip: bool,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A case's fixed context: what `$$.Execution.Name` and the start time are,
/// so `$$.Execution.StartTime`, `$$.State.EnteredTime` and timestamps in
/// the history repeat from run to run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContextSpec {
    /// `$$.Execution.Name` (default: the case's name, made a valid name).
    pub execution_name: Option<String>,
    /// The execution's start (RFC 3339; default `2024-01-01T00:00:00Z`).
    pub start_time: Option<String>,
}

/// A loaded suite: its cases, each with its machine ready to run.
#[derive(Debug)]
pub struct Suite {
    /// The suite file.
    pub path: PathBuf,
    /// Its cases, in file order.
    pub cases: Vec<Case>,
}

/// A state machine a case runs, with where it came from.
#[derive(Debug)]
pub struct Machine {
    /// The definition's file, or `<suite>#inline`.
    pub origin: String,
    /// The name executions run under (the file's stem).
    pub name: String,
    /// The definition as written, for forced Choices and coverage locations.
    pub source: Value,
    /// The validated model.
    pub model: Arc<StateMachine>,
}

/// One case, ready to run.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// Its place in the suite file (`cases[3]`).
    pub at: String,
    /// The machine it runs.
    pub machine: Arc<Machine>,
    /// The execution's input.
    pub input: Value,
    /// Mocks by state name; states without one call the real plugin.
    pub mocks: BTreeMap<String, Mock>,
    /// `$$.Execution.Name`.
    pub execution_name: String,
    /// The execution's start.
    pub start_time: chrono::DateTime<chrono::Utc>,
    /// Table items its plugins start from.
    pub tables: crate::world::Tables,
    /// What must come out.
    pub expect: Expectations,
    /// Whether its history is compared with (or written to) a snapshot.
    pub snapshot: bool,
    /// Skipped cases are listed, not run.
    pub skip: bool,
}

/// The start time cases get unless they say otherwise.
pub const DEFAULT_START_TIME: &str = "2024-01-01T00:00:00Z";

impl Suite {
    /// Reads and checks the suite at `path`; machines are loaded through
    /// `machines` so suites that share one parse it once.
    pub fn load(path: &Path, machines: &mut MachineCache) -> Result<Suite, SuiteError> {
        Suite::load_with(path, machines, None)
    }

    /// As [`Suite::load`], with `mock_config` for suites that name none.
    pub fn load_with(
        path: &Path,
        machines: &mut MachineCache,
        mock_config: Option<&crate::mock_config::MockConfig>,
    ) -> Result<Suite, SuiteError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Read {
            path: path.to_owned(),
            source,
        })?;
        let format = |at: String, message: String| SuiteError::Format {
            path: path.to_owned(),
            at,
            message,
        };
        let value: Value = if is_json(path) {
            serde_json::from_str(&text).map_err(|e| format(".".into(), e.to_string()))?
        } else {
            yaml_serde::from_str(&text).map_err(|e| format(".".into(), e.to_string()))?
        };
        let file: SuiteFile = serde_path_to_error::deserialize(value).map_err(|e| {
            let at = e.path().to_string();
            format(at, e.into_inner().to_string())
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let suite_machine = match (&file.state_machine, &file.definition) {
            (Some(_), Some(_)) => {
                return Err(format(".".into(), "give stateMachine or definition, not both".into()));
            }
            (Some(file_name), None) => Some(machines.file(path, "stateMachine", &dir.join(file_name))?),
            (None, Some(definition)) => Some(machines.inline(path, "definition", definition)?),
            (None, None) => None,
        };
        let defaults = resolve_mocks(&file.mocks, "mocks").map_err(|(at, m)| format(at, m))?;
        let own_config = match &file.mock_config {
            Some(f) => Some(
                crate::mock_config::MockConfig::load(&dir.join(f))
                    .map_err(|e| format("mockConfig".into(), e.to_string()))?,
            ),
            None => None,
        };
        let config = own_config.as_ref().or(mock_config);
        let validation = match file.field_validation_mode.as_deref() {
            None => FieldValidation::Strict,
            Some(text) => FieldValidation::parse(text).ok_or_else(|| {
                format(
                    "fieldValidationMode".into(),
                    format!("'{text}' is not one of STRICT, PRESENT, NONE"),
                )
            })?,
        };
        let mut cases = Vec::with_capacity(file.cases.len());
        let mut names = std::collections::HashSet::new();
        for (i, case) in file.cases.into_iter().enumerate() {
            let at = format!("cases[{i}]");
            if !names.insert(case.name.clone()) {
                return Err(format(
                    format!("{at}.name"),
                    format!("a case named '{}' comes earlier", case.name),
                ));
            }
            let machine = match (&case.state_machine, &case.definition, &suite_machine) {
                (Some(_), Some(_), _) => {
                    return Err(format(at, "give stateMachine or definition, not both".into()));
                }
                (Some(file_name), None, _) => {
                    machines.file(path, &format!("{at}.stateMachine"), &dir.join(file_name))?
                }
                (None, Some(definition), _) => machines.inline(path, &format!("{at}.definition"), definition)?,
                (None, None, Some(m)) => m.clone(),
                (None, None, None) => {
                    return Err(format(
                        at,
                        "no state machine: give stateMachine or definition here or at the top of the suite".into(),
                    ));
                }
            };
            let mut mocks = defaults.clone();
            let configured = match &case.test_case {
                None => BTreeMap::new(),
                Some(test_case) => {
                    let Some(config) = config else {
                        return Err(format(
                            format!("{at}.testCase"),
                            "no MockConfigFile: give mockConfig in the suite or --mock-config".into(),
                        ));
                    };
                    let name = file.state_machine_name.as_deref().unwrap_or(&machine.name);
                    config
                        .mocks(name, test_case)
                        .map_err(|e| format(format!("{at}.testCase"), e.to_string()))?
                }
            };
            mocks.extend(configured);
            mocks.extend(resolve_mocks(&case.mocks, &format!("{at}.mocks")).map_err(|(a, m)| format(a, m))?);
            for (state, mock) in &mocks {
                let place = format!("{at}.mocks.{state}");
                let Some(found) = crate::locate::find(&machine.source, state) else {
                    return Err(format(
                        place,
                        format!("the state machine {} has no state named '{state}'", machine.origin),
                    ));
                };
                match (found.state_type(), mock) {
                    ("Choice", Mock::Next(target)) if crate::locate::has_state(&machine.source, target) => {}
                    ("Choice", Mock::Next(target)) => {
                        return Err(format(place, format!("there is no state named '{target}' to go to")));
                    }
                    ("Task", Mock::Next(_)) => {
                        return Err(format(
                            place,
                            "`next` forces a Choice; a Task is mocked with result or error".into(),
                        ));
                    }
                    ("Task", mock) => {
                        let task = crate::suggest::find_state(&machine.model.graph, state).map(|s| &s.kind);
                        if let Some(StateKind::Task(task)) = task {
                            for result in mock.results() {
                                check_mocked_result(&task.kind, result, validation).map_err(|e| {
                                    format(place.clone(), format!("{e} (fieldValidationMode NONE skips the check)"))
                                })?;
                            }
                        }
                    }
                    (other, _) => {
                        return Err(format(
                            place,
                            format!(
                                "'{state}' is a {other} state: only Task states are mocked (and Choice states forced with `next`)"
                            ),
                        ));
                    }
                }
            }
            let context = case
                .context
                .clone()
                .or_else(|| file.context.clone())
                .unwrap_or_default();
            let start_text = context.start_time.as_deref().unwrap_or(DEFAULT_START_TIME);
            let start_time = chrono::DateTime::parse_from_rfc3339(start_text)
                .map_err(|e| {
                    format(
                        format!("{at}.context.startTime"),
                        format!("'{start_text}' is not an RFC 3339 time: {e}"),
                    )
                })?
                .with_timezone(&chrono::Utc);
            let execution_name = context.execution_name.unwrap_or_else(|| execution_name_for(&case.name));
            case.expect
                .check(&format!("{at}.expect"))
                .map_err(|(a, m)| format(a, m))?;
            cases.push(Case {
                name: case.name,
                at,
                machine,
                input: case.input,
                mocks,
                execution_name,
                start_time,
                tables: case.tables,
                expect: case.expect,
                snapshot: case.snapshot,
                skip: case.skip,
            });
        }
        Ok(Suite {
            path: path.to_owned(),
            cases,
        })
    }
}

fn resolve_mocks(specs: &BTreeMap<String, MockSpec>, at: &str) -> Result<BTreeMap<String, Mock>, (String, String)> {
    specs
        .iter()
        .map(|(state, spec)| {
            let place = format!("{at}.{state}");
            spec.resolve(&place).map(|m| (state.clone(), m))
        })
        .collect()
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// An execution name from a case's name: AWS allows 1–80 characters
/// without whitespace or `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`.
fn execution_name_for(case: &str) -> String {
    let name: String = case
        .chars()
        .map(|c| {
            if c.is_whitespace() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c) || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .take(80)
        .collect();
    if name.is_empty() { "test".into() } else { name }
}

/// Whether `path` names a suite file.
pub fn is_suite_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    [".test.yaml", ".test.yml", ".test.json"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The suite files under `paths` (files as given; directories searched
/// recursively, skipping hidden ones and `target`), sorted.
pub fn find_suites(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut found)?;
        } else {
            found.push(path.clone());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, found)?;
        } else if is_suite_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Machines parsed once per run of `stepyard test`, by file.
#[derive(Debug, Default)]
pub struct MachineCache {
    by_file: BTreeMap<PathBuf, Arc<Machine>>,
}

impl MachineCache {
    /// Every machine loaded so far (for coverage, which lists them all).
    pub fn machines(&self) -> impl Iterator<Item = &Arc<Machine>> {
        self.by_file.values()
    }

    fn file(&mut self, suite: &Path, at: &str, file: &Path) -> Result<Arc<Machine>, SuiteError> {
        let key = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
        if let Some(m) = self.by_file.get(&key) {
            return Ok(m.clone());
        }
        let text = std::fs::read_to_string(file).map_err(|e| SuiteError::Format {
            path: suite.to_owned(),
            at: at.to_owned(),
            message: format!("cannot read the state machine {}: {e}", file.display()),
        })?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('.').next().unwrap_or(n).to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "StateMachine".into());
        let machine = Arc::new(parse_machine(suite, at, &file.display().to_string(), name, &text)?);
        self.by_file.insert(key, machine.clone());
        Ok(machine)
    }

    fn inline(&mut self, suite: &Path, at: &str, definition: &Value) -> Result<Arc<Machine>, SuiteError> {
        let text = match definition {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let origin = format!("{}#{at}", suite.display());
        let name = suite
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('.').next().unwrap_or(n).to_owned())
            .unwrap_or_else(|| "StateMachine".into());
        let machine = Arc::new(parse_machine(suite, at, &origin, name, &text)?);
        self.by_file.insert(PathBuf::from(&origin), machine.clone());
        Ok(machine)
    }
}

fn parse_machine(suite: &Path, at: &str, origin: &str, name: String, text: &str) -> Result<Machine, SuiteError> {
    let invalid = |message: String| SuiteError::Machine {
        path: suite.to_owned(),
        at: at.to_owned(),
        machine: origin.to_owned(),
        message,
    };
    let model = StateMachine::parse(text).map_err(|e| {
        invalid(
            e.diagnostics
                .iter()
                .map(|d| format!("{} {}: {}", d.location, d.code, d.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let source = model.source.clone();
    Ok(Machine {
        origin: origin.to_owned(),
        name,
        source,
        model: Arc::new(model),
    })
}

#[cfg(test)]
#[path = "suite_tests.rs"]
mod tests;
