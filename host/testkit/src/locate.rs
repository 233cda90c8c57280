//! Where each state is in a definition as written (`/States/Process/ItemProcessor/States/Charge`):
//! the locations coverage reports, and the place a forced Choice is rewritten.
//!
//! State names are unique across a whole machine (ASL requires it, and the
//! validator refuses duplicates), so a name finds one state.

use serde_json::{Map, Value, json};

/// A state found in a definition.
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its JSON Pointer in the definition.
    pub pointer: String,
    /// Its fields as written.
    pub fields: &'a Map<String, Value>,
}

impl Located<'_> {
    /// Its `Type`.
    pub fn state_type(&self) -> &str {
        self.fields.get("Type").and_then(Value::as_str).unwrap_or_default()
    }
}

/// Every state of `definition`, nested ones included, in definition order
/// (a Map's or Parallel's inner states right after it).
pub fn states(definition: &Value) -> Vec<Located<'_>> {
    let mut out = Vec::new();
    collect(definition, "", &mut out);
    out
}

fn collect<'a>(graph: &'a Value, at: &str, out: &mut Vec<Located<'a>>) {
    let Some(Value::Object(states)) = graph.get("States") else {
        return;
    };
    for (name, state) in states {
        let Value::Object(fields) = state else { continue };
        let pointer = format!("{at}/States/{}", escape(name));
        out.push(Located {
            name,
            pointer: pointer.clone(),
            fields,
        });
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = fields.get(key) {
                collect(inner, &format!("{pointer}/{key}"), out);
            }
        }
        if let Some(Value::Array(branches)) = fields.get("Branches") {
            for (i, branch) in branches.iter().enumerate() {
                collect(branch, &format!("{pointer}/Branches/{i}"), out);
            }
        }
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Whether `definition` has a state named `name`.
pub fn has_state(definition: &Value, name: &str) -> bool {
    find(definition, name).is_some()
}

/// The state named `name`.
pub fn find<'a>(definition: &'a Value, name: &str) -> Option<Located<'a>> {
    states(definition).into_iter().find(|s| s.name == name)
}

/// `definition` with the Choice state `choice` forced to `target`: a rule
/// that always holds put before its own (so the history still shows a
/// Choice). `Err` says why it cannot be forced.
pub fn force_choice(definition: &Value, choice: &str, target: &str) -> Result<Value, String> {
    let found = find(definition, choice).ok_or_else(|| format!("there is no state named '{choice}'"))?;
    if found.state_type() != "Choice" {
        return Err(format!(
            "'{choice}' is a {} state: only a Choice can be forced with `next`",
            found.state_type()
        ));
    }
    let pointer = found.pointer.clone();
    let jsonata = found.fields.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata")
        || (definition.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata")
            && found.fields.get("QueryLanguage").is_none());
    let mut rewritten = definition.clone();
    let Some(Value::Object(fields)) = rewritten.pointer_mut(&pointer) else {
        return Err(format!("'{choice}' could not be found again"));
    };
    let rule = if jsonata {
        json!({"Condition": "{% true %}", "Next": target})
    } else {
        json!({"Variable": "$$.Execution.Id", "IsPresent": true, "Next": target})
    };
    // The other rules and the Default stay behind the forced one, so the
    // states they lead to are still reachable (the validator insists).
    match fields.get_mut("Choices") {
        Some(Value::Array(rules)) => rules.insert(0, rule),
        _ => {
            fields.insert("Choices".into(), json!([rule]));
        }
    }
    Ok(rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_states_have_their_pointers() {
        let d = json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Pass", "End": true}}}, "Next": "P"},
            "P": {"Type": "Parallel", "Branches": [{"StartAt": "B/0", "States": {"B/0": {"Type": "Succeed"}}}], "End": true}
        }});
        let found: Vec<(String, String)> = states(&d)
            .iter()
            .map(|s| (s.name.to_owned(), s.pointer.clone()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("M".into(), "/States/M".into()),
                ("In".into(), "/States/M/ItemProcessor/States/In".into()),
                ("P".into(), "/States/P".into()),
                ("B/0".into(), "/States/P/Branches/0/States/B~10".into()),
            ]
        );
    }

    #[test]
    fn a_forced_choice_keeps_its_type_and_goes_to_the_target() {
        let d = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "A"}], "Default": "B"},
            "A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}
        }});
        let forced = force_choice(&d, "C", "B").unwrap();
        assert_eq!(forced["States"]["C"]["Choices"][0]["Next"], "B");
        assert_eq!(forced["States"]["C"]["Choices"].as_array().unwrap().len(), 2);
        assert!(stepyard_asl::definition::StateMachine::parse(&forced.to_string()).is_ok());
        assert!(force_choice(&d, "A", "B").unwrap_err().contains("Succeed"));
    }
}
