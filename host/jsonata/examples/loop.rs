//! Profiling aid: evaluates one expression in a loop (`cargo run --release --example loop -- EXPR N`).
use std::collections::HashMap;

fn main() {
    let src = std::env::args().nth(1).unwrap_or_else(|| "$states.input.n + 1".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut vars: HashMap<String, serde_json::Value> = HashMap::new();
    vars.insert(
        "states".into(),
        serde_json::json!({"input": {"a": {"b": "deep"}, "v": 7, "n": 41}}),
    );
    let env = stepyard_jsonata::Env::new().with_variables(&vars).now_millis(0);
    let e = stepyard_jsonata::Expression::parse(&src).expect("parses");
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(e.evaluate(None, &env).ok());
    }
    println!("{:?} per evaluation", t.elapsed() / n as u32);
}
