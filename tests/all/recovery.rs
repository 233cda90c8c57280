//! Crash recovery through `stepyard serve`: kill -9 at random moments while
//! executions start and run, then check that every one completes, once,
//! with a whole history; and that a Wait keeps its deadline across a
//! restart.

use std::time::Duration;

use serde_json::{Value, json};

use crate::serve::{
    Server, assert_history_whole, create, history, order_definition, temp_dir, try_call, wait_all_ended,
};

#[test]
fn a_killed_server_resumes_every_execution_and_writes_each_order_once() {
    let data = temp_dir("crash");
    let mut server = Server::start(&data, &[]);
    let machine = create(&server, "orders", &order_definition());
    const N: usize = 200;
    let mut rng_state = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut random_ms = |max: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state % max
    };
    // Four clients start the executions while the server is killed at
    // random moments, three times: an order takes a few milliseconds, so
    // a kill after the last start would mostly find them all done. A start
    // cut off by a kill is sent again to the restarted server (the same
    // name and input: the same execution, or ExecutionAlreadyExists once
    // it has ended).
    let addr = std::sync::Arc::new(std::sync::Mutex::new(server.addr));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (addr, machine) = (addr.clone(), machine.clone());
            std::thread::spawn(move || {
                for i in (client..N).step_by(4) {
                    let id = format!("crash-{i}");
                    let input = json!({"order_id": id, "total": 10 + i}).to_string();
                    let request = json!({"stateMachineArn": machine, "name": id, "input": input});
                    loop {
                        let at = *addr.lock().unwrap();
                        match try_call(at, "StartExecution", &request) {
                            Ok((200, _)) => break,
                            Ok((_, answer)) if answer["__type"] == "ExecutionAlreadyExists" => break,
                            Ok((status, answer)) => panic!("StartExecution {id}: {status} {answer}"),
                            Err(_) => std::thread::sleep(Duration::from_millis(5)),
                        }
                    }
                }
            })
        })
        .collect();
    let mut resumed = 0;
    for kill in 0..3 {
        std::thread::sleep(Duration::from_millis(5 + random_ms(if kill == 0 { 50 } else { 150 })));
        server.kill();
        server = Server::start(&data, &[]);
        resumed += server.resumed;
        *addr.lock().unwrap() = server.addr;
    }
    for client in clients {
        client.join().expect("a client thread");
    }
    assert!(
        resumed > 0,
        "no kill found an execution running: the test tested nothing"
    );
    let executions = wait_all_ended(&server, &machine, N, Duration::from_secs(120));
    if let Some(failed) = executions.iter().find(|e| e["status"] != "SUCCEEDED") {
        let arn = failed["executionArn"].as_str().unwrap();
        let count = executions.iter().filter(|e| e["status"] != "SUCCEEDED").count();
        let described = server.ok("DescribeExecution", json!({"executionArn": arn}));
        let events = history(&server, arn);
        server.kill();
        let store = stepyard_store::RedbStore::open(data.join("stepyard.redb")).unwrap();
        let order = stepyard_store::KvStore::get(&store, "orders", failed["name"].as_str().unwrap());
        panic!(
            "{count} of {N} executions did not succeed; the first: {described:#}\nits order: {order:?}\nits history: {events:#?}"
        );
    }
    for e in &executions {
        let arn = e["executionArn"].as_str().unwrap();
        assert_history_whole(arn, &history(&server, arn));
    }
    server.kill();

    // Each order once, placed by its own execution's first task.
    let store = stepyard_store::RedbStore::open(data.join("stepyard.redb")).unwrap();
    use stepyard_store::KvStore;
    let page = store.query("orders", "crash-", None, 1000).unwrap();
    assert_eq!(page.items.len(), N);
    for item in page.items {
        let order: Value = serde_json::from_str(&item.value).unwrap();
        assert_eq!(order["status"], "CONFIRMED", "{order}");
        let placed_by = order["placed_by"].as_str().unwrap();
        assert!(placed_by.ends_with(&format!(":{}#2", item.key)), "{placed_by}");
    }
}

#[test]
fn a_wait_keeps_its_deadline_across_a_restart() {
    let data = temp_dir("wait");
    let server = Server::start(&data, &[]);
    let definition = json!({
        "StartAt": "Hold",
        "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"}, "Done": {"Type": "Pass", "End": true}}
    })
    .to_string();
    let machine = create(&server, "hold", &definition);
    let started = server.ok("StartExecution", json!({"stateMachineArn": machine, "name": "w"}));
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(700));
    server.kill();
    std::thread::sleep(Duration::from_millis(500));
    let server = Server::start(&data, &[]);
    wait_all_ended(&server, &machine, 1, Duration::from_secs(10));
    let events = history(&server, &arn);
    let at = |t: &str| {
        events.iter().find(|e| e["type"] == t).unwrap()["timestamp"]
            .as_f64()
            .unwrap()
    };
    let waited = at("WaitStateExited") - at("WaitStateEntered");
    // A wait restarted from scratch would take 2 s after the restart
    // (≥ 3.2 s after entering); the original deadline is 2 s.
    assert!((1.9..2.9).contains(&waited), "waited {waited} s");
    assert_history_whole_ends(&events);
}

fn assert_history_whole_ends(events: &[Value]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i as u64 + 1));
    }
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
}
