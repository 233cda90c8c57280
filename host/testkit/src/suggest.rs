//! `--suggest`: inputs that take the Choice edges no case took.
//!
//! For a Choice state some case reached, the input it saw there is the
//! starting point. To take an uncovered rule, the values its data tests read
//! are set so the test holds (a number just past a `NumericGreaterThan`
//! bound, a timestamp a second before a `TimestampLessThan` one, a field
//! removed for `IsPresent: false`…); rules before it that still match are
//! then made false the same way. For `Default`, every rule is made false.
//! Each candidate is checked by running the Choice state on it, in the
//! interpreter; only candidates that take the edge are proposed. When the
//! Choice saw the execution's own input (it comes first, or the states
//! before it pass their input on), the candidate is also run as the case's
//! input, with its mocks, and marked as reaching the edge from the start.
//!
//! Not covered: JSONata `Condition` rules, variables and the context object
//! (`$x`, `$$.…`) as a rule's `Variable`, and shrinking a failing input.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use stepyard_asl::definition::{ChoiceRule, Compare, Graph, Operand, Operator, State, StateKind, StateMachine};
use stepyard_asl::jsonpath::ReferencePath;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::NoHistory;
use stepyard_interpreter::task::NoTasks;
use stepyard_interpreter::{ExecutionSpec, Interpreter, Route, Services};

use crate::coverage::{EdgeKind, MachineCoverage};
use crate::run::{CaseResult, Runner};
use crate::suite::{Case, Suite};
use crate::trace::Trace;

/// One proposed input.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The edge it takes (`/States/Route/Choices/2`).
    pub location: String,
    /// The input: the Choice state's, or the execution's when `from_start`.
    pub input: Value,
    /// Whether the whole execution, started with `input`, takes the edge.
    pub from_start: bool,
    /// The case whose run it starts from.
    pub from_case: String,
}

/// An edge no input was found for.
#[derive(Debug, Clone, Serialize)]
pub struct Unreached {
    /// The edge.
    pub location: String,
    /// Why.
    pub reason: String,
}

/// What `--suggest` found for one machine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Suggestions {
    /// Inputs that take an uncovered edge.
    pub found: Vec<Suggestion>,
    /// Uncovered Choice edges without one.
    pub unreached: Vec<Unreached>,
}

/// Suggestions for the uncovered Choice edges of `coverage`'s machine, from
/// the runs of `results` (cases of `suites`).
pub fn suggest(
    coverage: &MachineCoverage,
    machine: &StateMachine,
    suites: &[Suite],
    results: &[(usize, usize, &CaseResult)],
    runner: &Runner,
) -> Suggestions {
    let mut out = Suggestions::default();
    for edge in coverage.edges.iter().filter(|e| e.hits == 0) {
        let wanted = match edge.kind {
            EdgeKind::ChoiceRule => edge
                .location
                .rsplit('/')
                .next()
                .and_then(|i| i.parse::<usize>().ok())
                .map(Some),
            EdgeKind::ChoiceDefault => Some(None),
            _ => None,
        };
        let Some(wanted) = wanted else { continue };
        let Some(state) = find_state(&machine.graph, &edge.state) else {
            continue;
        };
        let StateKind::Choice(choice) = &state.kind else {
            continue;
        };
        // A case that reached the Choice, and the input it saw there.
        let reached = results.iter().find_map(|(s, c, result)| {
            let step = result.steps.iter().find(|st| st.name == edge.state)?;
            Some((&suites[*s].cases[*c], step.input.clone()))
        });
        let Some((case, seen)) = reached else {
            out.unreached.push(Unreached {
                location: edge.location.clone(),
                reason: format!("no case reaches '{}'", edge.state),
            });
            continue;
        };
        let Some(single) = single_state_machine(&coverage_source(case), &edge.state) else {
            continue;
        };
        let takes = |input: &Value| run_choice(&single, input);
        let mut candidate = seen.clone();
        if let Some(i) = wanted {
            apply(&choice.choices[i].rule, &mut candidate, true);
        }
        let mut found = None;
        for _ in 0..choice.choices.len() + 2 {
            match takes(&candidate) {
                Some(route) if route == wanted => {
                    found = Some(candidate.clone());
                    break;
                }
                // An earlier rule still holds: make it false, keep ours.
                Some(Some(j)) => {
                    apply(&choice.choices[j].rule, &mut candidate, false);
                    if let Some(i) = wanted {
                        apply(&choice.choices[i].rule, &mut candidate, true);
                    }
                }
                _ => break,
            }
        }
        let Some(input) = found else {
            out.unreached.push(Unreached {
                location: edge.location.clone(),
                reason: "no input found from the rules (JSONata conditions, variables or context paths, or rules that contradict each other)".into(),
            });
            continue;
        };
        // From the start, when the Choice saw the execution's own input.
        let from_start = seen == case.input && reaches_from_start(runner, case, &input, &edge.state, wanted);
        out.found.push(Suggestion {
            location: edge.location.clone(),
            input,
            from_start,
            from_case: case.name.clone(),
        });
    }
    out
}

fn coverage_source(case: &Case) -> Value {
    case.machine.source.clone()
}

/// The state named `name` anywhere in `graph`.
pub(crate) fn find_state<'a>(graph: &'a Graph, name: &str) -> Option<&'a State> {
    graph.states.iter().find_map(|s| {
        if s.name == name {
            return Some(s);
        }
        match &s.kind {
            StateKind::Map(m) => find_state(&m.processor, name),
            StateKind::Parallel(p) => p.branches.iter().find_map(|b| find_state(b, name)),
            _ => None,
        }
    })
}

/// A machine of the Choice `name` alone, its targets `Succeed` states.
fn single_state_machine(source: &Value, name: &str) -> Option<Arc<StateMachine>> {
    let found = crate::locate::find(source, name)?;
    let mut states = serde_json::Map::new();
    let mut targets: Vec<&str> = found
        .fields
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("Next").and_then(Value::as_str))
        .collect();
    targets.extend(found.fields.get("Default").and_then(Value::as_str));
    for t in targets {
        states.insert(t.to_owned(), json!({"Type": "Succeed"}));
    }
    states.insert(name.to_owned(), Value::Object(found.fields.clone()));
    let mut machine = json!({"StartAt": name, "States": states});
    if let Some(ql) = source.get("QueryLanguage") {
        machine["QueryLanguage"] = ql.clone();
    }
    StateMachine::from_value(&machine).ok().map(Arc::new)
}

/// Which way the single Choice goes on `input`: `Some(Some(i))` rule i,
/// `Some(None)` Default, `None` an error (no rule matched, a bad path…).
fn run_choice(machine: &Arc<StateMachine>, input: &Value) -> Option<Option<usize>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .ok()?;
    let trace = Arc::new(Trace::default());
    runtime.block_on(async {
        let services = Services {
            tasks: Arc::new(NoTasks),
            clock: Arc::new(ScaledClock::real()),
            history: Arc::new(NoHistory),
        };
        let interpreter = Interpreter::new(machine.clone(), services).with_state_ends(trace.clone());
        interpreter
            .execute(&ExecutionSpec::local("Suggest", "suggest", input.clone()))
            .await
    });
    match trace.steps().first()?.route? {
        Route::ChoiceRule(i) => Some(Some(i)),
        Route::ChoiceDefault => Some(None),
        _ => None,
    }
}

/// Whether the case, started with `input`, takes the edge.
fn reaches_from_start(runner: &Runner, case: &Case, input: &Value, state: &str, wanted: Option<usize>) -> bool {
    let trial = Case {
        expect: Default::default(),
        ..case.clone()
    };
    let result = runner.run_trial(&trial, input);
    result.steps.iter().any(|s| {
        s.name == state
            && match (s.route, wanted) {
                (Some(Route::ChoiceRule(i)), Some(w)) => i == w,
                (Some(Route::ChoiceDefault), None) => true,
                _ => false,
            }
    })
}

/// Changes `input` so `rule` holds (`hold`) or does not.
fn apply(rule: &ChoiceRule, input: &mut Value, hold: bool) {
    match (rule, hold) {
        (ChoiceRule::And(rules), true) | (ChoiceRule::Or(rules), false) => {
            for r in rules {
                apply(r, input, hold);
            }
        }
        (ChoiceRule::And(rules), false) | (ChoiceRule::Or(rules), true) => {
            if let Some(first) = rules.first() {
                apply(first, input, hold);
            }
        }
        (ChoiceRule::Not(inner), _) => apply(inner, input, !hold),
        (ChoiceRule::Compare(compare), _) => compare_value(compare, input, hold),
        (ChoiceRule::Condition(_), _) => {}
    }
}

/// What a data test's variable should be set to.
enum Change {
    Set(Value),
    Remove,
}

fn compare_value(compare: &Compare, input: &mut Value, hold: bool) {
    let path = compare.variable.as_str();
    let operand = match &compare.comparison.operand {
        Operand::Literal(v) => v.clone(),
        Operand::Path(p) => match p.select(input) {
            Ok(v) => v.into_owned(),
            Err(_) => return,
        },
    };
    let current = compare.variable.select(input).ok().map(|v| v.into_owned());
    let Some(change) = change_for(compare.comparison.operator, &operand, hold, current) else {
        return;
    };
    match change {
        Change::Set(v) => {
            if let Ok(reference) = ReferencePath::parse(path)
                && let Ok(updated) = reference.apply(input.clone(), v)
            {
                *input = updated;
            }
        }
        Change::Remove => remove(input, path),
    }
}

fn change_for(op: Operator, operand: &Value, hold: bool, current: Option<Value>) -> Option<Change> {
    use Operator::*;
    let number = |delta: f64| -> Option<Change> {
        let v = operand.as_f64()? + delta;
        Some(Change::Set(if v.fract() == 0.0 && v.abs() < 9e15 {
            json!(v as i64)
        } else {
            json!(v)
        }))
    };
    let text = operand.as_str().unwrap_or_default();
    let string = |s: String| Some(Change::Set(Value::String(s)));
    let stamp = |seconds: i64| -> Option<Change> {
        let t = chrono::DateTime::parse_from_rfc3339(text).ok()? + chrono::Duration::seconds(seconds);
        string(
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    };
    let flag = operand.as_bool().unwrap_or(true) == hold;
    match (op, hold) {
        (NumericEquals, true) | (NumericLessThanEquals, true) | (NumericGreaterThanEquals, true) => number(0.0),
        (NumericEquals, false) | (NumericLessThanEquals, false) | (NumericGreaterThan, true) => number(1.0),
        (NumericLessThan, true) | (NumericGreaterThanEquals, false) => number(-1.0),
        (NumericLessThan, false) | (NumericGreaterThan, false) => number(0.0),
        (StringEquals, true) | (StringLessThanEquals, true) | (StringGreaterThanEquals, true) => {
            string(text.to_owned())
        }
        (StringEquals, false) | (StringLessThanEquals, false) | (StringGreaterThan, true) => string(format!("{text}~")),
        (StringLessThan, true) | (StringGreaterThanEquals, false) if !text.is_empty() => string(String::new()),
        (StringLessThan, _) | (StringGreaterThanEquals, _) => None,
        (StringGreaterThan, false) => string(text.to_owned()),
        (StringMatches, true) => string(text.replace("\\*", "\u{0}").replace('*', "").replace('\u{0}', "*")),
        (StringMatches, false) => string(format!("\u{1}{}\u{1}", text.replace('*', ""))),
        (BooleanEquals, _) => Some(Change::Set(json!(operand.as_bool()? == hold))),
        (TimestampEquals, true) | (TimestampLessThanEquals, true) | (TimestampGreaterThanEquals, true) => stamp(0),
        (TimestampEquals, false) | (TimestampLessThanEquals, false) | (TimestampGreaterThan, true) => stamp(1),
        (TimestampLessThan, true) | (TimestampGreaterThanEquals, false) => stamp(-1),
        (TimestampLessThan, false) | (TimestampGreaterThan, false) => stamp(0),
        (IsPresent, _) if flag => Some(Change::Set(current.unwrap_or_else(|| json!("x")))),
        (IsPresent, _) => Some(Change::Remove),
        (IsNull, _) => Some(Change::Set(if flag { Value::Null } else { json!("x") })),
        (IsNumeric, _) => Some(Change::Set(if flag { json!(0) } else { json!("x") })),
        (IsString, _) => Some(Change::Set(if flag { json!("x") } else { json!(0) })),
        (IsBoolean, _) => Some(Change::Set(if flag { json!(true) } else { json!("x") })),
        (IsTimestamp, _) => Some(Change::Set(if flag {
            json!("2024-01-01T00:00:00Z")
        } else {
            json!("x")
        })),
    }
}

/// Removes the field a simple path (`$.a.b`) names.
fn remove(input: &mut Value, path: &str) {
    let Some(rest) = path.strip_prefix("$.") else { return };
    if rest.contains(['[', '*', '?']) {
        return;
    }
    let mut parts: Vec<&str> = rest.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut at = input;
    for p in parts {
        match at.get_mut(p) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Value::Object(m) = at {
        m.shift_remove(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(rules: Value) -> Arc<StateMachine> {
        let mut states = json!({"C": {"Type": "Choice", "Choices": rules, "Default": "D"}, "D": {"Type": "Succeed"}});
        for r in states["C"]["Choices"].clone().as_array().unwrap() {
            states[r["Next"].as_str().unwrap()] = json!({"Type": "Succeed"});
        }
        Arc::new(StateMachine::from_value(&json!({"StartAt": "C", "States": states})).unwrap())
    }

    #[test]
    fn each_kind_of_test_can_be_made_to_hold_and_to_fail() {
        let rules = json!([
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "A"},
            {"Variable": "$.s", "StringMatches": "ord-*", "Next": "B"},
            {"Variable": "$.t", "TimestampLessThan": "2024-06-01T00:00:00Z", "Next": "E"},
            {"Not": {"Variable": "$.gone", "IsPresent": true}, "Next": "F"},
            {"And": [{"Variable": "$.b", "BooleanEquals": true}, {"Variable": "$.m", "NumericLessThanEquals": 3}], "Next": "G"}
        ]);
        let m = machine(rules);
        let StateKind::Choice(choice) = &m.graph.states.iter().find(|s| s.name == "C").unwrap().kind else {
            panic!()
        };
        let base = json!({"n": 0, "s": "x", "t": "2025-01-01T00:00:00Z", "gone": 1, "b": false, "m": 9});
        assert_eq!(run_choice(&m, &base), Some(None), "the base takes the Default");
        for (i, rule) in choice.choices.iter().enumerate() {
            let mut input = base.clone();
            apply(&rule.rule, &mut input, true);
            assert_eq!(run_choice(&m, &input), Some(Some(i)), "rule {i}: {input}");
            apply(&rule.rule, &mut input, false);
            assert_eq!(run_choice(&m, &input), Some(None), "rule {i} made false: {input}");
        }
    }
}
