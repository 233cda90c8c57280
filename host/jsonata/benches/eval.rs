//! Evaluation benchmarks for the expressions workflows use most.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use stepyard_jsonata::{Env, Expression};

fn bench(c: &mut Criterion) {
    let mut vars: HashMap<String, serde_json::Value> = HashMap::new();
    let items: Vec<serde_json::Value> = (0..100).map(|i| json!({"id": i, "name": format!("item{i}")})).collect();
    vars.insert(
        "states".into(),
        json!({"input": {"a": {"b": "deep"}, "v": 7, "n": 41, "items": items}, "context": {"Execution": {"Id": "x"}}}),
    );
    vars.insert("x".into(), json!({"big": items}));
    let env = Env::new().with_variables(&vars).aws_functions(true).now_millis(0);
    for (name, src) in [
        ("field_path", "$states.input.a.b"),
        ("variable", "$x"),
        ("object_constructor", "{ 'k': $states.input.v }"),
        ("arithmetic", "$states.input.n + 1"),
        ("filter_map", "$states.input.items[id > 90].name"),
        ("string_concat", "'id-' & $string($states.input.n)"),
    ] {
        let e = Expression::parse(src).expect("bench expressions parse");
        c.bench_function(name, |b| {
            b.iter(|| black_box(e.evaluate(None, black_box(&env)).unwrap()))
        });
    }
    c.bench_function("parse_object_constructor", |b| {
        b.iter(|| Expression::parse(black_box("{ 'k': $states.input.v, 'n': $states.input.n + 1 }")).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
