//! Per-state mocks: what a Task state's resource answers in a test.
//!
//! A mock stands in for the integration, so its result is what the
//! integration returns (for `arn:aws:states:::lambda:invoke` that is
//! Lambda's `{"Payload": …, "StatusCode": 200, …}`; for a Lambda ARN, the
//! function's own result), as in Step Functions Local. States without a
//! mock call the real plugin.
//!
//! Counting follows Step Functions Local: one counter per execution and
//! state, advanced on every invocation (each retry, each Map iteration,
//! each pass around a loop); a response that is missing fails only the
//! invocation that reaches it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;
use stepyard_asl::definition::ResourceKind;
use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::task::{TaskFailure, TaskInvoker, TaskRequest};

use crate::matching::partial_match;

/// A mock as written in a suite: `plugin`, or an object (see [`Mock`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct MockSpec(Value);

/// One answer of a mock.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// The task succeeds with this result.
    Return(Value),
    /// The task fails with this error and cause.
    Throw {
        /// The error name `Retry` and `Catch` match.
        error: String,
        /// The cause.
        cause: Option<String>,
    },
    /// The real plugin answers.
    Plugin,
    /// This answer, after `seconds` of the case's (virtual) time: a task
    /// that takes long, to test `TimeoutSeconds` and what waits on it.
    After {
        /// How long the task takes.
        seconds: f64,
        /// When (seconds from its start) it sends heartbeats
        /// (`SendTaskHeartbeat`, for a callback's `HeartbeatSeconds`).
        heartbeats: Vec<f64>,
        /// What it then answers.
        then: Box<Response>,
    },
}

/// A state's mock, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Mock {
    /// The same answer every time (`result:` or `error:`).
    Fixed(Response),
    /// One answer per invocation, by invocation number from 0 (`sequence:`
    /// gives 0, 1, 2…; MockConfigFile's `"1-2"` gives a range).
    Numbered(BTreeMap<u32, Response>),
    /// The first rule whose `input` partially matches the task's input
    /// (after `Parameters`) answers; `otherwise` (default: the plugin) when
    /// none does.
    When {
        /// (input pattern, answer), in order.
        rules: Vec<(Value, Response)>,
        /// The answer when no rule matches.
        otherwise: Response,
    },
    /// A Choice state forced to this state, whatever its rules say.
    Next(String),
    /// A MockConfigFile entry that does not parse: each invocation fails
    /// with `States.Runtime` and this cause (Step Functions Local checks
    /// an entry only when a state uses it).
    Invalid(String),
}

type Problem = (String, String);

impl Response {
    /// The results it returns (through `delay` too).
    fn results(&self) -> Vec<&Value> {
        match self {
            Response::Return(v) => vec![v],
            Response::After { then, .. } => then.results(),
            Response::Throw { .. } | Response::Plugin => Vec::new(),
        }
    }
}

impl Mock {
    /// Every result it can return.
    pub fn results(&self) -> Vec<&Value> {
        match self {
            Mock::Fixed(r) => r.results(),
            Mock::Numbered(by_number) => by_number.values().flat_map(Response::results).collect(),
            Mock::When { rules, otherwise } => rules
                .iter()
                .flat_map(|(_, r)| r.results())
                .chain(otherwise.results())
                .collect(),
            Mock::Next(_) | Mock::Invalid(_) => Vec::new(),
        }
    }
}

impl MockSpec {
    /// The mock this spec describes; a mistake comes with its place (`at`).
    pub fn resolve(&self, at: &str) -> Result<Mock, Problem> {
        let problem = |m: &str| Err((at.to_owned(), m.to_owned()));
        let Value::Object(fields) = &self.0 else {
            return match &self.0 {
                Value::String(s) if s == "plugin" => Ok(Mock::Fixed(Response::Plugin)),
                _ => problem("a mock is `plugin` or an object with result, error, sequence, when or next"),
            };
        };
        if let Some(next) = fields.get("next") {
            if fields.len() > 1 {
                return problem("`next` forces a Choice and takes no other field");
            }
            return match next {
                Value::String(s) => Ok(Mock::Next(s.clone())),
                _ => problem("`next` is the name of the state the Choice goes to"),
            };
        }
        if let Some(sequence) = fields.get("sequence") {
            if fields.len() > 1 {
                return problem("`sequence` takes no other field");
            }
            let Value::Array(items) = sequence else {
                return problem("`sequence` is a list of answers, one per invocation");
            };
            let mut numbered = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                numbered.insert(i as u32, response(item, &format!("{at}.sequence[{i}]"))?);
            }
            return Ok(Mock::Numbered(numbered));
        }
        if let Some(when) = fields.get("when") {
            if let Some(extra) = fields.keys().find(|k| *k != "when" && *k != "otherwise") {
                return Err((
                    format!("{at}.{extra}"),
                    "`when` takes only `otherwise` beside it".into(),
                ));
            }
            let Value::Array(rules) = when else {
                return problem("`when` is a list of {input, result | error}");
            };
            let mut resolved = Vec::with_capacity(rules.len());
            for (i, rule) in rules.iter().enumerate() {
                let place = format!("{at}.when[{i}]");
                let Some(Value::Object(rule)) = Some(rule) else {
                    return Err((place, "a rule is an object: {input, result | error}".into()));
                };
                let Some(pattern) = rule.get("input") else {
                    return Err((
                        place,
                        "a rule needs `input`, the part of the task's input it matches".into(),
                    ));
                };
                let mut answer = rule.clone();
                answer.remove("input");
                resolved.push((pattern.clone(), response(&Value::Object(answer), &place)?));
            }
            let otherwise = match fields.get("otherwise") {
                Some(o) => response(o, &format!("{at}.otherwise"))?,
                None => Response::Plugin,
            };
            return Ok(Mock::When {
                rules: resolved,
                otherwise,
            });
        }
        Ok(Mock::Fixed(response(&self.0, at)?))
    }
}

/// `{result: …}`, `{error: …, cause: …}` or `plugin`.
fn response(value: &Value, at: &str) -> Result<Response, Problem> {
    let problem = |m: &str| Err((at.to_owned(), m.to_owned()));
    match value {
        Value::String(s) if s == "plugin" => Ok(Response::Plugin),
        Value::Object(fields) if fields.contains_key("delay") => {
            let seconds = match fields.get("delay").and_then(Value::as_f64) {
                Some(s) if s >= 0.0 && s.is_finite() => s,
                _ => {
                    return Err((
                        format!("{at}.delay"),
                        "`delay` is a number of seconds, 0 or more".into(),
                    ));
                }
            };
            let mut rest = fields.clone();
            rest.remove("delay");
            let heartbeats = match rest.remove("heartbeats") {
                None => Vec::new(),
                Some(Value::Array(times)) => {
                    let mut times: Vec<f64> = times
                        .iter()
                        .map(|t| t.as_f64().filter(|t| *t >= 0.0 && t.is_finite()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            (
                                format!("{at}.heartbeats"),
                                "`heartbeats` lists seconds, 0 or more".to_owned(),
                            )
                        })?;
                    times.sort_by(f64::total_cmp);
                    times
                }
                Some(_) => {
                    return Err((
                        format!("{at}.heartbeats"),
                        "`heartbeats` lists seconds, 0 or more".into(),
                    ));
                }
            };
            let then = if rest.is_empty() {
                Response::Plugin
            } else {
                response(&Value::Object(rest), at)?
            };
            Ok(Response::After {
                seconds,
                heartbeats,
                then: Box::new(then),
            })
        }
        Value::Object(fields) => {
            if let Some(extra) = fields
                .keys()
                .find(|k| !["result", "error", "cause"].contains(&k.as_str()))
            {
                return Err((
                    format!("{at}.{extra}"),
                    "an answer has `result`, or `error` and `cause` (and `delay`)".into(),
                ));
            }
            match (fields.get("result"), fields.get("error"), fields.get("cause")) {
                (Some(r), None, None) => Ok(Response::Return(r.clone())),
                (None, Some(Value::String(error)), cause) => Ok(Response::Throw {
                    error: error.clone(),
                    cause: match cause {
                        None | Some(Value::Null) => None,
                        Some(Value::String(c)) => Some(c.clone()),
                        Some(other) => Some(other.to_string()),
                    },
                }),
                (Some(_), Some(_), _) => problem("an answer has `result` or `error`, not both"),
                (None, Some(_), _) => problem("`error` is the error name, a string"),
                (_, None, Some(_)) => problem("`cause` needs an `error`"),
                (None, None, None) => problem("an answer needs `result` or `error`"),
            }
        }
        _ => problem("an answer is `plugin` or an object with `result`, or `error` and `cause`"),
    }
}

/// One task invocation a mock (or the plugin behind it) answered.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The state.
    pub state: String,
    /// Its invocation number for that state (0 first).
    pub number: u32,
    /// The task's input.
    pub input: Value,
    /// Whether a mock answered (else the plugin).
    pub mocked: bool,
}

/// The invoker a case runs with: mocks first, the real plugins behind them.
pub struct MockInvoker {
    mocks: Arc<BTreeMap<String, Mock>>,
    real: Arc<dyn TaskInvoker>,
    counters: Mutex<HashMap<String, u32>>,
    invocations: Mutex<Vec<Invocation>>,
}

impl MockInvoker {
    /// Mocks `mocks` in front of `real`.
    pub fn new(mocks: Arc<BTreeMap<String, Mock>>, real: Arc<dyn TaskInvoker>) -> MockInvoker {
        MockInvoker {
            mocks,
            real,
            counters: Mutex::new(HashMap::new()),
            invocations: Mutex::new(Vec::new()),
        }
    }

    /// Every invocation so far, in order.
    pub fn invocations(&self) -> Vec<Invocation> {
        lock(&self.invocations).clone()
    }

    fn answer(&self, state: &str, number: u32, input: &Value) -> Option<Result<Response, TaskFailure>> {
        let mock = self.mocks.get(state)?;
        Some(match mock {
            Mock::Fixed(r) => Ok(r.clone()),
            Mock::Numbered(by_number) => by_number.get(&number).cloned().ok_or_else(|| {
                let known: Vec<String> = by_number.keys().map(u32::to_string).collect();
                TaskFailure::new(
                    stepyard_interpreter::names::RUNTIME,
                    format!(
                        "The mock for state '{state}' has no response for invocation {number} (it has {}).",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            }),
            Mock::When { rules, otherwise } => Ok(rules
                .iter()
                .find(|(pattern, _)| partial_match(pattern, input))
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| otherwise.clone())),
            Mock::Invalid(why) => Err(TaskFailure::new(
                stepyard_interpreter::names::RUNTIME,
                format!("The mock for state '{state}' is invalid: {why}"),
            )),
            Mock::Next(_) => return None,
        })
    }
}

impl MockInvoker {
    fn respond(&self, response: Response, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        match response {
            Response::Return(v) => Box::pin(async move { Ok(v) }),
            Response::Throw { error, cause } => Box::pin(async move { Err(TaskFailure { error, cause }) }),
            Response::Plugin => self.real.invoke(request),
            Response::After {
                seconds,
                heartbeats,
                then,
            } => {
                let heartbeat = request.heartbeat.clone();
                let answer = self.respond(*then, request);
                Box::pin(async move {
                    // Tokio time: virtual in a test case (a paused runtime).
                    let start = tokio::time::Instant::now();
                    for at in heartbeats.into_iter().filter(|t| *t < seconds) {
                        tokio::time::sleep_until(start + std::time::Duration::from_secs_f64(at)).await;
                        heartbeat.beat();
                    }
                    tokio::time::sleep_until(start + std::time::Duration::from_secs_f64(seconds)).await;
                    answer.await
                })
            }
        }
    }
}

impl TaskInvoker for MockInvoker {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let state = request.context.state_name.clone();
        let number = {
            let mut counters = lock(&self.counters);
            let n = counters.entry(state.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let answer = self.answer(&state, number, &request.input);
        let mocked = match &answer {
            Some(Ok(Response::After { then, .. })) => !matches!(**then, Response::Plugin),
            Some(Ok(Response::Plugin)) | None => false,
            Some(_) => true,
        };
        lock(&self.invocations).push(Invocation {
            state,
            number,
            input: request.input.clone(),
            mocked,
        });
        match answer {
            Some(Ok(response)) => self.respond(response, request),
            Some(Err(failure)) => Box::pin(async move { Err(failure) }),
            None => self.real.invoke(request),
        }
    }

    fn supports_heartbeats(&self, kind: &ResourceKind) -> bool {
        // A mocked callback can beat (`heartbeats`), as its worker could.
        let callback = matches!(
            kind,
            ResourceKind::Service {
                pattern: stepyard_asl::definition::IntegrationPattern::WaitForTaskToken,
                ..
            } | ResourceKind::Activity { .. }
        );
        callback || self.real.supports_heartbeats(kind)
    }

    fn serves(&self, kind: &ResourceKind) -> bool {
        self.real.serves(kind)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> Result<Mock, Problem> {
        MockSpec(v).resolve("mocks.A")
    }

    #[test]
    fn each_form_resolves() {
        assert_eq!(spec(json!("plugin")).unwrap(), Mock::Fixed(Response::Plugin));
        assert_eq!(
            spec(json!({"result": 1})).unwrap(),
            Mock::Fixed(Response::Return(json!(1)))
        );
        assert_eq!(
            spec(json!({"error": "E", "cause": "c"})).unwrap(),
            Mock::Fixed(Response::Throw {
                error: "E".into(),
                cause: Some("c".into())
            })
        );
        let Mock::Numbered(n) = spec(json!({"sequence": [{"error": "E"}, {"result": 2}, "plugin"]})).unwrap() else {
            panic!()
        };
        assert_eq!(n.len(), 3);
        assert_eq!(n[&2], Response::Plugin);
        assert_eq!(spec(json!({"next": "B"})).unwrap(), Mock::Next("B".into()));
    }

    #[test]
    fn mistakes_name_their_place() {
        let (at, message) = spec(json!({"sequence": [{"result": 1, "error": "E"}]})).unwrap_err();
        assert_eq!(at, "mocks.A.sequence[0]");
        assert!(message.contains("not both"), "{message}");
        let (at, _) = spec(json!({"result": 1, "colour": "red"})).unwrap_err();
        assert_eq!(at, "mocks.A.colour");
        assert!(spec(json!(3)).is_err());
        assert!(spec(json!({"next": "B", "result": 1})).is_err());
    }

    #[test]
    fn when_picks_the_first_matching_rule() {
        let mock = spec(json!({"when": [
            {"input": {"amount": 0}, "error": "Zero"},
            {"input": {"currency": "EUR"}, "result": "euro"}
        ], "otherwise": {"result": "other"}}))
        .unwrap();
        let invoker = MockInvoker::new(
            Arc::new(BTreeMap::from([("A".to_owned(), mock)])),
            Arc::new(stepyard_interpreter::task::NoTasks),
        );
        let a = |input: Value| invoker.answer("A", 0, &input).unwrap().unwrap();
        assert!(matches!(
            a(json!({"amount": 0, "currency": "EUR"})),
            Response::Throw { .. }
        ));
        assert_eq!(
            a(json!({"amount": 5, "currency": "EUR"})),
            Response::Return(json!("euro"))
        );
        assert_eq!(a(json!({"amount": 5})), Response::Return(json!("other")));
    }
}
