//! Property tests over generated definitions and inputs: parsing and
//! running never panic, whatever the definition. `PROPTEST_CASES=100000`
//! runs it for longer.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::{FakeTasks, Step, run_with};

/// Arbitrary JSON, bounded in size.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        "[a-z$.{}%' ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z.$]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Strings that look like what ASL fields hold, valid or not.
fn asl_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$".to_owned()),
        Just("$.a".to_owned()),
        Just("$.a.b[0]".to_owned()),
        Just("$$.Execution.Input".to_owned()),
        Just("$$.Map.Item.Value".to_owned()),
        Just("$x".to_owned()),
        Just("$.items[*]".to_owned()),
        Just("$..a".to_owned()),
        Just("$.a[?(@.b > 1)]".to_owned()),
        Just("States.Format('{} {}', $.a, $x)".to_owned()),
        Just("States.Array($.a, 1, 'x')".to_owned()),
        Just("States.MathAdd($.n, 1)".to_owned()),
        Just("{% $states.input %}".to_owned()),
        Just("{% $states.input.a + 1 %}".to_owned()),
        Just("{% $x %}".to_owned()),
        Just("{% ( %}".to_owned()),
        "[a-zA-Z0-9$.\\[\\]{}%'() ]{0,16}",
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => asl_string().prop_map(Value::String),
        1 => json_value(),
        1 => prop::collection::btree_map("[a-z]{1,4}(\\.\\$)?", asl_string().prop_map(Value::String), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
}

const TYPES: &[&str] = &["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];

/// Fields a state of `ty` may hold in each language, so that most generated
/// definitions are valid and reach the interpreter.
fn fields_for(ty: &str, jsonata: bool) -> Vec<&'static str> {
    let mut f: Vec<&'static str> = Vec::new();
    if jsonata {
        if ty != "Fail" {
            f.push("Output");
        }
        if matches!(ty, "Task" | "Parallel") {
            f.push("Arguments");
        }
    } else if ty != "Fail" {
        f.extend(["InputPath", "OutputPath"]);
        if matches!(ty, "Pass" | "Task" | "Parallel" | "Map") {
            f.extend(["Parameters", "ResultPath"]);
        }
        if matches!(ty, "Task" | "Parallel" | "Map") {
            f.push("ResultSelector");
        }
    }
    if !matches!(ty, "Succeed" | "Fail") {
        f.push("Assign");
    }
    match ty {
        "Pass" if !jsonata => f.push("Result"),
        "Wait" => f.push(if jsonata { "Seconds" } else { "SecondsPath" }),
        "Fail" => f.extend(["Error", "Cause"]),
        "Map" => f.extend(if jsonata {
            ["Items", "MaxConcurrency"]
        } else {
            ["ItemsPath", "MaxConcurrency"]
        }),
        "Task" => f.push("TimeoutSeconds"),
        _ => {}
    }
    f
}

fn value_for(field: &str, jsonata: bool) -> BoxedStrategy<Value> {
    let expr = prop_oneof![
        Just("{% $states.input %}"),
        Just("{% $states.input.a %}"),
        Just("{% $states.input.a + 1 %}"),
        Just("{% [1, 2, 3] %}"),
        Just("{% $x %}"),
        Just("{% $states.context.State.Name %}"),
        Just("{% $count($states.input.items) %}"),
    ]
    .prop_map(|s| Value::String(s.to_owned()));
    match field {
        "Seconds" | "MaxConcurrency" | "TimeoutSeconds" if !jsonata => (0u64..4).prop_map(Value::from).boxed(),
        "Seconds" | "MaxConcurrency" | "TimeoutSeconds" => prop_oneof![(1u64..4).prop_map(Value::from), expr].boxed(),
        "Error" | "Cause" => "[A-Za-z.]{1,10}".prop_map(Value::String).boxed(),
        "Result" => json_value().boxed(),
        "Items" => prop_oneof![expr, prop::collection::vec(json_value(), 0..3).prop_map(Value::Array)].boxed(),
        "Parameters" | "ResultSelector" | "Assign" if !jsonata => {
            prop::collection::btree_map("[a-z]{1,4}", asl_string().prop_map(Value::String), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (format!("{k}.$"), v)).collect()))
                .boxed()
        }
        "InputPath" | "OutputPath" | "ResultPath" | "ItemsPath" | "SecondsPath" => prop_oneof![
            Just("$"),
            Just("$.a"),
            Just("$.items"),
            Just("$.a.b"),
            Just("$x"),
            Just("$$.Execution.Input"),
        ]
        .prop_map(|s| Value::String(s.to_owned()))
        .boxed(),
        "Assign" => prop::collection::btree_map("[a-z]{1,4}", expr, 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed(),
        "Output" | "Arguments" => prop_oneof![
            expr.clone(),
            prop::collection::btree_map("[a-z]{1,4}", expr, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
        .boxed(),
        _ => asl_string().prop_map(Value::String).boxed(),
    }
}

/// A definition of up to five states with random types, transitions and fields.
fn definition() -> impl Strategy<Value = Value> {
    (prop::collection::vec((prop::sample::select(TYPES), 0usize..6, any::<bool>(), any::<u64>()), 1..5), any::<bool>())
        .prop_flat_map(|(states, jsonata)| {
            let per_state: Vec<_> = states
                .iter()
                .map(|(ty, ..)| {
                    let fields = fields_for(ty, jsonata);
                    let max = fields.len().min(3);
                    let chosen = prop::sample::subsequence(fields, 0..=max);
                    chosen.prop_flat_map(move |names| {
                        let values: Vec<_> = names.iter().map(|n| value_for(n, jsonata)).collect();
                        (Just(names), values)
                    })
                })
                .collect();
            (Just(states), Just(jsonata), per_state, prop::option::weighted(0.1, (prop::sample::select(FIELDS_ANY), field_value())))
        })
        .prop_map(|(states, jsonata, fields, junk)| {
            let n = states.len();
            let mut map = Map::new();
            for (i, ((ty, next, end, _), (names, values))) in states.into_iter().zip(fields).enumerate() {
                let mut s = json!({"Type": ty});
                for (k, v) in names.into_iter().zip(values) {
                    s[k] = v;
                }
                // Mostly straight on, sometimes back: loops are allowed (the
                // history limit ends them).
                let target = if next == 0 { format!("S{}", (i + n - 1) % n) } else { format!("S{}", (i + 1) % n) };
                match ty {
                    "Choice" => {
                        let rule = if jsonata {
                            json!({"Condition": "{% $states.input.a > 1 %}", "Next": target})
                        } else {
                            json!({"Variable": "$.a", "NumericGreaterThan": 1, "Next": target})
                        };
                        s["Choices"] = json!([rule]);
                        s["Default"] = json!(format!("S{}", n - 1));
                    }
                    "Succeed" | "Fail" => {}
                    _ if end || i == n - 1 => s["End"] = json!(true),
                    _ => s["Next"] = json!(target),
                }
                if ty == "Wait" && s.get("Seconds").is_none() && s.get("SecondsPath").is_none() {
                    s["Seconds"] = json!(1);
                }
                if ty == "Task" {
                    s["Resource"] = json!("arn:aws:lambda:us-east-1:123456789012:function:echo");
                }
                if ty == "Parallel" {
                    s["Branches"] = json!([{"StartAt": format!("B{i}"), "States": {format!("B{i}"): {"Type": "Pass", "End": true}}}]);
                }
                if ty == "Map" {
                    s["ItemProcessor"] = json!({"StartAt": format!("I{i}"), "States": {format!("I{i}"): {"Type": "Pass", "End": true}}});
                }
                map.insert(format!("S{i}"), s);
            }
            let mut def = json!({"StartAt": "S0", "States": map});
            if jsonata {
                def["QueryLanguage"] = json!("JSONata");
            }
            if let Some((field, value)) = junk {
                def["States"]["S0"][field] = value;
            }
            def
        })
}

const FIELDS_ANY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "Assign",
    "Output",
    "Arguments",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "Error",
    "Cause",
    "ErrorPath",
    "CausePath",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "TimeoutSeconds",
    "QueryLanguage",
];

proptest! {
    // 256 cases by default; PROPTEST_CASES overrides.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = stepyard_asl::definition::StateMachine::parse(&text);
    }

    #[test]
    fn generated_definitions_parse_and_run_without_panicking(def in definition(), input in json_value()) {
        let text = def.to_string();
        if stepyard_asl::definition::StateMachine::parse(&text).is_ok() {
            let tasks = FakeTasks::new().function("echo", |req, _| Step::Ok(req.input.clone()));
            let out = run_with(&text, input, tasks);
            prop_assert!(["SUCCEEDED", "FAILED", "TIMED_OUT"].contains(&out.result.status.as_str()));
            if out.result.status.as_str() == "SUCCEEDED" {
                prop_assert!(out.result.output.is_some());
            }
        }
    }
}
