//! Interpreter throughput, in process and in memory (no history observer,
//! so only event ids are counted, as in production without `--history`).
//!
//! Targets (2-core machine, one core): the 10-state Pass chain at ≥ 1,000,000
//! state transitions per second; the 1,000-item Map under 5 ms.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::{HistoryObserver, MemoryHistory, NoHistory};
use stepyard_interpreter::task::NoTasks;
use stepyard_interpreter::{ExecutionSpec, Interpreter, Services};

fn pass_chain() -> String {
    let mut states = serde_json::Map::new();
    for i in 0..10 {
        let mut s = json!({
            "Type": "Pass",
            "Parameters": {"id.$": "$.order_id", "step": i, "total.$": "$.total"},
            "ResultPath": format!("$.steps.s{i}"),
        });
        if i < 9 {
            s["Next"] = json!(format!("S{}", i + 1));
        } else {
            s["End"] = json!(true);
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"StartAt": "S0", "States": states}).to_string()
}

fn choice_heavy() -> String {
    json!({
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Choices": [
                {"Variable": "$.total", "NumericGreaterThan": 1000, "Next": "Big"},
                {"And": [
                    {"Variable": "$.country", "StringEquals": "DE"},
                    {"Variable": "$.express", "BooleanEquals": true}], "Next": "Express"},
                {"Or": [
                    {"Variable": "$.coupon", "IsPresent": true},
                    {"Variable": "$.customer.tier", "StringMatches": "gold*"}], "Next": "Discount"},
                {"Not": {"Variable": "$.placed_at", "TimestampLessThan": "2020-01-01T00:00:00Z"}, "Next": "Recent"}
            ], "Default": "Other"},
            "Big": {"Type": "Succeed"},
            "Express": {"Type": "Succeed"},
            "Discount": {"Type": "Succeed"},
            "Recent": {"Type": "Choice", "Choices": [
                {"Variable": "$.total", "NumericLessThanPath": "$.limit", "Next": "Other"}], "Default": "Other"},
            "Other": {"Type": "Succeed"}
        }
    })
    .to_string()
}

fn map_1000() -> String {
    json!({
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"sku.$": "$.sku"}, "End": true}}},
            "End": true}}
    })
    .to_string()
}

fn order() -> Value {
    json!({"order_id": "o-1", "total": 42.5, "country": "FR", "express": false,
           "customer": {"id": "c-7", "tier": "silver"}, "placed_at": "2024-05-01T10:00:00Z", "limit": 100})
}

fn interpreter(def: &str, history: Arc<dyn HistoryObserver>) -> Interpreter {
    let machine = Arc::new(StateMachine::parse(def).expect("valid"));
    Interpreter::new(
        machine,
        Services {
            tasks: Arc::new(NoTasks),
            clock: Arc::new(ScaledClock::real()),
            history,
        },
    )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _guard = rt.enter();

    let mut group = c.benchmark_group("pass_chain_10_states");
    group.throughput(Throughput::Elements(10));
    let chain = interpreter(&pass_chain(), Arc::new(NoHistory));
    let spec = ExecutionSpec::local("Bench", "e", order());
    group.bench_function("transitions", |b| b.iter(|| rt.block_on(chain.execute(&spec))));
    let recorded = interpreter(&pass_chain(), Arc::new(MemoryHistory::new()));
    group.bench_function("transitions_with_history", |b| {
        b.iter_batched(
            || interpreter(&pass_chain(), Arc::new(MemoryHistory::new())),
            |i| rt.block_on(i.execute(&spec)),
            criterion::BatchSize::SmallInput,
        )
    });
    drop(recorded);
    group.finish();

    let mut group = c.benchmark_group("choice_heavy");
    group.throughput(Throughput::Elements(2));
    let choice = interpreter(&choice_heavy(), Arc::new(NoHistory));
    group.bench_function("route", |b| b.iter(|| rt.block_on(choice.execute(&spec))));
    group.finish();

    let mut group = c.benchmark_group("map_1000_items");
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({"sku": format!("sku-{i}"), "qty": i}))
        .collect();
    let map_spec = ExecutionSpec::local("Bench", "e", json!({"items": items}));
    let map = interpreter(&map_1000(), Arc::new(NoHistory));
    group.bench_function("execution", |b| b.iter(|| rt.block_on(map.execute(&map_spec))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
