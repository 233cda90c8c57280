//! `serve --alerts FILE`: a FAILED order execution's status change reaches
//! a webhook that was down (refusing, then answering 500) once it is back,
//! in EventBridge's shape; a misspelt metric stops serve from starting.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{Server, create, ended, order_definition, temp_dir};

/// Takes one HTTP request on `listener` and answers it with `status`;
/// returns the request's head and body.
fn answer_one(listener: &TcpListener, status: &str) -> (String, String) {
    let (mut stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended early: {}", String::from_utf8_lossy(&bytes));
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            if body.len() >= length {
                write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                return (head.to_owned(), body.to_owned());
            }
        }
    }
}

#[test]
fn a_failed_execution_reaches_a_webhook_that_comes_back_after_retries() {
    // A port nobody listens on yet: connections are refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = temp_dir("alerts");
    let all = data.join("all.jsonl");
    let rules = data.join("alerts.json");
    std::fs::write(
        &rules,
        json!({"rules": [
            {"name": "order-failures",
             "pattern": {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                         "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"],
                                    "stateMachineArn": [{"prefix": "arn:aws:states:us-east-1:123456789012:stateMachine:ord"}]}},
             "targets": [{"webhook": format!("http://127.0.0.1:{port}/hooks/stepyard")}]},
            {"name": "everything", "pattern": {"source": ["aws.states"]}, "targets": [{"file": all}]}
        ]})
        .to_string(),
    )
    .unwrap();
    let rules_arg = rules.to_str().unwrap();
    let server = Server::start(&data, &["--time-scale", "0.2", "--alerts", rules_arg]);
    let orders = create(&server, "orders", &order_definition());
    let start = |name: &str, input: &str| {
        server.ok(
            "StartExecution",
            json!({"stateMachineArn": orders, "name": name, "input": input}),
        )["executionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let declined = start(
        "declined",
        r#"{"order_id":"a-2","total":5,"payment":{"card":"declined"}}"#,
    );
    let failed = ended(&server, &declined);
    assert_eq!(failed["status"], "FAILED");
    let began = Instant::now();

    // The receiver comes up after the first attempt was refused, and
    // answers 500 once before it takes the event.
    std::thread::sleep(Duration::from_millis(300));
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (_, first) = answer_one(&listener, "500 Internal Server Error");
    let (head, body) = answer_one(&listener, "200 OK");
    assert!(began.elapsed() < Duration::from_secs(15), "{:?}", began.elapsed());
    assert_eq!(first, body, "the retry sends the same event");
    assert!(head.starts_with("POST /hooks/stepyard HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/json"),
        "{head}"
    );
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["version"], "0");
    assert_eq!(event["detail-type"], "Step Functions Execution Status Change");
    assert_eq!(event["source"], "aws.states");
    assert_eq!(event["account"], "123456789012");
    assert_eq!(event["region"], "us-east-1");
    assert_eq!(event["resources"], json!([declined]));
    assert_eq!(event["id"].as_str().unwrap().len(), 36);
    assert!(event["time"].as_str().unwrap().ends_with('Z'), "{event}");
    let detail = &event["detail"];
    assert_eq!(detail["executionArn"], declined.as_str());
    assert_eq!(detail["stateMachineArn"], orders.as_str());
    assert_eq!(detail["name"], "declined");
    assert_eq!(detail["status"], "FAILED");
    assert_eq!(detail["error"], failed["error"]);
    assert_eq!(detail["cause"], failed["cause"]);
    assert_eq!(detail["input"], failed["input"]);
    assert_eq!(detail["inputDetails"], json!({"included": true}));
    assert_eq!(detail["output"], Value::Null);
    assert!(detail["startDate"].as_i64().unwrap() <= detail["stopDate"].as_i64().unwrap());

    // What was delivered, and how it went, is listed and counted.
    let mut listed = Value::Null;
    for _ in 0..200 {
        listed = server.own("ListAlerts", json!({}));
        if listed["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["source"] == "order-failures" && d["result"] == "delivered")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let hook: Vec<&Value> = listed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["source"] == "order-failures")
        .collect();
    let results: Vec<&str> = hook.iter().map(|d| d["result"].as_str().unwrap()).collect();
    assert_eq!(results.first(), Some(&"delivered"), "{listed}");
    assert!(
        results.len() >= 3 && results[1..].iter().all(|r| *r == "retry"),
        "{results:?}"
    );
    assert!(
        hook.iter()
            .any(|d| d["error"].as_str().is_some_and(|e| e.contains("HTTP 500"))),
        "{listed}"
    );
    assert_eq!(listed["rules"][0]["name"], "order-failures");

    // The file target took every status change, RUNNING included.
    let ok = start("paid", r#"{"order_id":"a-1","total":5}"#);
    let end = ended(&server, &ok);
    assert_eq!(end["status"], "SUCCEEDED", "{end:#}");
    std::thread::sleep(Duration::from_millis(200));
    let statuses: Vec<String> = std::fs::read_to_string(&all)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["detail"]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for s in ["RUNNING", "SUCCEEDED", "FAILED"] {
        assert!(statuses.iter().any(|x| x == s), "{statuses:?}");
    }

    // `stepyard events` prints the same events as JSON lines.
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(["events", "--endpoint", &format!("http://{}", server.addr)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 4, "two starts and two ends: {events:?}");
    assert!(
        events
            .iter()
            .any(|e| e["detail"]["status"] == "FAILED" && e["resources"][0] == declined.as_str())
    );

    let (_, metrics) = crate::serve::http_get(server.addr, "/metrics", &server.addr.to_string());
    assert!(
        metrics.contains(
            r#"stepyard_alert_deliveries_total{rule="order-failures",target="webhook[0]",result="delivered"} 1"#
        ),
        "{metrics}"
    );
    server.stop();
}

#[test]
fn a_misspelt_metric_stops_serve_with_its_place_in_the_file() {
    let data = temp_dir("alerts-bad");
    let rules = data.join("alerts.json");
    std::fs::write(
        &rules,
        json!({"alarms": [
            {"name": "fine", "metric": "ExecutionsFailed", "statistic": "Sum", "period": 60,
             "threshold": 0, "comparison": "GreaterThanThreshold", "targets": [{"file": "x.jsonl"}]},
            {"name": "typo", "metric": "ExecutionsFailedCount", "statistic": "Sum", "period": 60,
             "threshold": 0, "comparison": "GreaterThanThreshold", "targets": [{"file": "x.jsonl"}]}
        ]})
        .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--alerts")
        .arg(&rules)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}: alarms[1].metric: unknown metric 'ExecutionsFailedCount' (known: ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed",
        rules.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}
