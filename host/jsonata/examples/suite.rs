//! Runs jsonata-js's language-neutral test suite against this engine and reports per group.
//!
//! Usage: `JSONATA_SUITE_DIR=/path/to/jsonata/test/test-suite cargo run --release -p
//! stepyard-jsonata --example suite [-- GROUP_PREFIX]`. Failures are listed on stderr.
//! `SUITE_AWS=1` evaluates with the AWS Step Functions function set (no `$eval`).

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use stepyard_jsonata::{Env, Expression};

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 1e-10 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Outcome of one case: `Ok(())` on a pass, else a description of what happened.
fn run_case(case: &Value, data: Option<&Value>) -> Result<(), String> {
    let expr = case["expr"].as_str().unwrap_or_default();
    let bindings: HashMap<String, Value> = case
        .get("bindings")
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let expected_code = case
        .get("code")
        .or_else(|| case.get("error").and_then(|e| e.get("code")))
        .and_then(Value::as_str);
    let aws = std::env::var("SUITE_AWS").is_ok_and(|v| v == "1");
    let env = Env::new().with_variables(&bindings).aws_functions(aws);
    let outcome = Expression::parse(expr).and_then(|e| e.evaluate(data, &env));
    match (outcome, expected_code) {
        (Err(e), Some(code)) if e.code == code => Ok(()),
        (Err(e), _) => Err(format!("error {e}")),
        (Ok(v), Some(code)) => Err(format!("expected {code}, got {v:?}")),
        (Ok(None), None) if case.get("undefinedResult").is_some() || case.get("result").is_none() => Ok(()),
        (Ok(Some(v)), None) if case.get("result").is_some_and(|r| same(r, &v)) => Ok(()),
        (Ok(v), None) => Err(format!(
            "got {}",
            v.map(|v| v.to_string()).unwrap_or("undefined".into())
        )),
    }
}

fn main() {
    let dir = std::env::var("JSONATA_SUITE_DIR").expect("set JSONATA_SUITE_DIR to jsonata's test/test-suite");
    let only = std::env::args().nth(1).unwrap_or_default();
    let mut datasets = HashMap::new();
    for e in std::fs::read_dir(format!("{dir}/datasets"))
        .expect("datasets dir")
        .flatten()
    {
        let p = e.path();
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        datasets.insert(name, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null));
    }
    let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut gdirs: Vec<_> = std::fs::read_dir(format!("{dir}/groups"))
        .expect("groups dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    gdirs.sort();
    for g in gdirs {
        let gname = g.file_name().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        if !gname.starts_with(&only) {
            continue;
        }
        let mut files: Vec<_> = std::fs::read_dir(&g)
            .expect("group dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let cases = match v {
                Value::Array(a) => a,
                o => vec![o],
            };
            for mut case in cases {
                if let Some(ef) = case.get("expr-file").and_then(Value::as_str) {
                    case["expr"] = Value::String(std::fs::read_to_string(g.join(ef)).unwrap_or_default());
                }
                let data = match case.get("data") {
                    Some(d) => Some(d.clone()),
                    None => case
                        .get("dataset")
                        .and_then(Value::as_str)
                        .and_then(|n| datasets.get(n).cloned()),
                };
                let (tx, rx) = mpsc::channel();
                let c = case.clone();
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn(move || {
                        let r = std::panic::catch_unwind(|| run_case(&c, data.as_ref()))
                            .unwrap_or_else(|_| Err("PANIC".into()));
                        let _ = tx.send(r);
                    })
                    .expect("spawn");
                let r = rx
                    .recv_timeout(Duration::from_secs(10))
                    .unwrap_or_else(|_| Err("timeout".into()));
                let e = groups.entry(gname.clone()).or_default();
                e.1 += 1;
                match r {
                    Ok(()) => e.0 += 1,
                    Err(why) => eprintln!("FAIL {} {} :: {}", f.display(), case["expr"], why),
                }
            }
        }
    }
    let (mut pass, mut total) = (0, 0);
    for (g, (p, t)) in &groups {
        println!("{g}: {p}/{t}");
        pass += p;
        total += t;
    }
    println!(
        "TOTAL {pass}/{total} = {:.1}%",
        100.0 * pass as f64 / total.max(1) as f64
    );
}
