//! Step Functions Local's MockConfigFile, read as Step Functions Local
//! reads it:
//!
//! ```json
//! {"StateMachines": {"Order": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
//!  "MockedResponses": {"ChargeOk": {"0": {"Throw": {"Error": "Busy", "Cause": "try again"}},
//!                                   "1-2": {"Return": {"StatusCode": 200, "Payload": {}}}}}}
//! ```
//!
//! A test case maps Task states to mocked responses; states it does not
//! name call the real plugin. A response is numbered by invocation, from 0,
//! singly (`"0"`) or as an inclusive range (`"1-2"`), each `Return` (any
//! JSON: what the integration returns) or `Throw` (`Error`, `Cause`).
//! Responses are checked only when a case that uses them is picked, and a
//! mistake in one fails the invocation that reaches it (`States.Runtime`),
//! not the whole file: so does Step Functions Local.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::mocks::{Mock, Response};

/// A MockConfigFile.
#[derive(Debug, Clone)]
pub struct MockConfig {
    value: Value,
    origin: String,
}

/// Why a mock configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct MockConfigError {
    /// The file.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

impl MockConfig {
    /// Reads the file at `path`.
    pub fn load(path: &Path) -> Result<MockConfig, MockConfigError> {
        let origin = path.display().to_string();
        let fail = |message: String| MockConfigError {
            origin: origin.clone(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| fail(format!("not valid JSON: {e}")))?;
        MockConfig::from_value(value, &origin)
    }

    /// A configuration from its JSON; `origin` names it in errors.
    pub fn from_value(value: Value, origin: &str) -> Result<MockConfig, MockConfigError> {
        let fail = |message: &str| MockConfigError {
            origin: origin.to_owned(),
            message: message.to_owned(),
        };
        if !value.get("StateMachines").is_some_and(Value::is_object) {
            return Err(fail("/StateMachines: an object of state machine names is required"));
        }
        if value.get("MockedResponses").is_some_and(|v| !v.is_object()) {
            return Err(fail("/MockedResponses: must be an object of response names"));
        }
        Ok(MockConfig {
            value,
            origin: origin.to_owned(),
        })
    }

    /// The test cases configured for `machine`.
    pub fn cases(&self, machine: &str) -> Vec<String> {
        self.value["StateMachines"][machine]["TestCases"]
            .as_object()
            .map(|cases| cases.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The mocks of test case `case` of `machine`.
    pub fn mocks(&self, machine: &str, case: &str) -> Result<BTreeMap<String, Mock>, MockConfigError> {
        let fail = |message: String| MockConfigError {
            origin: self.origin.clone(),
            message,
        };
        let Some(cases) = self.value["StateMachines"].get(machine) else {
            return Err(fail(format!("/StateMachines has no state machine named '{machine}'")));
        };
        let Some(Value::Object(states)) = cases.get("TestCases").and_then(|c| c.get(case)) else {
            return Err(fail(format!(
                "/StateMachines/{machine}/TestCases has no test case named '{case}' (it has: {})",
                self.cases(machine).join(", ")
            )));
        };
        let mut mocks = BTreeMap::new();
        for (state, response_name) in states {
            let mock = match response_name.as_str() {
                Some(name) => match self.value["MockedResponses"].get(name) {
                    Some(responses) => numbered(responses, &format!("/MockedResponses/{name}")),
                    None => Mock::Invalid(format!("the MockedResponses have no entry named '{name}'")),
                },
                None => Mock::Invalid(format!(
                    "/StateMachines/{machine}/TestCases/{case}/{state} must name a mocked response"
                )),
            };
            mocks.insert(state.clone(), mock);
        }
        Ok(mocks)
    }
}

/// `{"0": {"Return": …}, "1-2": {"Throw": …}}` as numbered answers.
fn numbered(responses: &Value, at: &str) -> Mock {
    let Value::Object(entries) = responses else {
        return Mock::Invalid(format!("{at} must be an object keyed by invocation numbers"));
    };
    let mut by_number = BTreeMap::new();
    for (key, entry) in entries {
        let place = format!("{at}/{key}");
        let Some((first, last)) = range(key) else {
            return Mock::Invalid(format!(
                "{place}: '{key}' is not an invocation number or range (\"0\", \"1-2\")"
            ));
        };
        let answer = match entry.as_object().map(|o| (o.get("Return"), o.get("Throw"), o.len())) {
            Some((Some(v), None, 1)) => Response::Return(v.clone()),
            Some((None, Some(Value::Object(t)), 1)) => match t.get("Error") {
                Some(Value::String(error)) => Response::Throw {
                    error: error.clone(),
                    cause: t.get("Cause").and_then(Value::as_str).map(str::to_owned),
                },
                _ => return Mock::Invalid(format!("{place}/Throw: `Error` (a string) is required")),
            },
            _ => return Mock::Invalid(format!("{place}: exactly one of `Return` or `Throw` is required")),
        };
        for n in first..=last {
            by_number.insert(n, answer.clone());
        }
    }
    Mock::Numbered(by_number)
}

/// `"3"` → (3, 3); `"1-2"` → (1, 2).
fn range(key: &str) -> Option<(u32, u32)> {
    let (a, b) = match key.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let n = key.trim().parse().ok()?;
            (n, n)
        }
    };
    // A range of more than a million invocations is a typo.
    (a <= b && b - a < 1_000_000).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape of the example in AWS's guide to the mock configuration file.
    fn config() -> MockConfig {
        MockConfig::from_value(
            json!({
                "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
                    "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                    "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                    "HybridPath": {"LambdaState": "MockedLambdaSuccess"}
                }}},
                "MockedResponses": {
                    "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
                    "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
                    "MockedLambdaRetry": {
                        "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
                        "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                        "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}
                    }
                }
            }),
            "MockConfigFile.json",
        )
        .unwrap()
    }

    #[test]
    fn ranges_expand_to_one_answer_per_invocation() {
        let mocks = config().mocks("LambdaSQSIntegration", "RetryPath").unwrap();
        let Mock::Numbered(n) = &mocks["LambdaState"] else {
            panic!()
        };
        assert_eq!(n.len(), 4);
        assert!(matches!(&n[&0], Response::Throw { error, .. } if error == "Lambda.ResourceNotReadyException"));
        assert!(matches!(&n[&2], Response::Throw { error, .. } if error == "Lambda.TimeoutException"));
        assert!(matches!(&n[&3], Response::Return(v) if v["Payload"]["body"] == "Hello from Lambda!"));
    }

    #[test]
    fn a_hybrid_case_leaves_other_states_to_their_plugins() {
        let mocks = config().mocks("LambdaSQSIntegration", "HybridPath").unwrap();
        assert_eq!(mocks.keys().collect::<Vec<_>>(), vec!["LambdaState"]);
    }

    #[test]
    fn unknown_cases_are_named_with_the_known_ones() {
        let e = config().mocks("LambdaSQSIntegration", "Nope").unwrap_err().to_string();
        assert!(e.contains("'Nope'") && e.contains("HappyPath"), "{e}");
        assert!(config().mocks("Other", "HappyPath").is_err());
    }

    #[test]
    fn a_broken_response_fails_only_where_it_is_used() {
        let c = MockConfig::from_value(
            json!({"StateMachines": {"M": {"TestCases": {"T": {"A": "Bad"}}}},
                   "MockedResponses": {"Bad": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}}),
            "f.json",
        )
        .unwrap();
        assert!(matches!(&c.mocks("M", "T").unwrap()["A"], Mock::Invalid(m) if m.contains("exactly one")));
    }
}
