//! The engine end to end: events through rules to targets, retries,
//! alarms changing state.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use stepyard_metrics::{Aggregate, SeriesKey};

use super::*;

fn change(status: &str) -> ExecutionChange {
    ExecutionChange {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:orders:e-1".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:orders".into(),
        name: "e-1".into(),
        status: status.into(),
        start_millis: 1_000,
        stop_millis: (status != "RUNNING").then_some(2_000),
        input: "{}".into(),
        output: None,
        error: Some("OrderFailed".into()),
        cause: Some("declined".into()),
        redrive_count: 0,
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-alerts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    dir
}

async fn lines_of(path: &std::path::Path, want: usize) -> Vec<Value> {
    for _ in 0..500 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if lines.len() >= want {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never had {want} lines", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_status_changes_reach_the_targets_in_eventbridges_shape() {
    let out = temp("events.jsonl");
    let text = json!({"rules": [{"name": "failures",
        "pattern": {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                    "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]}},
        "targets": [{"file": out}]}]})
    .to_string();
    let alerts = Alerts::start(
        RulesFile::parse(&text, "a.json").unwrap(),
        "123456789012",
        "us-east-1",
        None,
    );
    alerts.status_changed(change("RUNNING"));
    alerts.status_changed(change("FAILED"));
    let lines = lines_of(&out, 1).await;
    assert_eq!(lines.len(), 1, "RUNNING is not matched: {lines:?}");
    let event = &lines[0];
    assert_eq!(event["detail-type"], "Step Functions Execution Status Change");
    assert_eq!(event["source"], "aws.states");
    assert_eq!(event["resources"][0], event["detail"]["executionArn"]);
    assert_eq!(event["detail"]["status"], "FAILED");
    assert_eq!(event["detail"]["stopDate"], 2000);
    assert_eq!(event["detail"]["error"], "OrderFailed");
    assert_eq!(event["id"].as_str().unwrap().len(), 36);
    // Followers see both, RUNNING included.
    let feed = alerts.events_after(0, Duration::ZERO).await;
    let statuses: Vec<&Value> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["detail"]["status"])
        .collect();
    assert_eq!(statuses, ["RUNNING", "FAILED"]);
    assert_eq!(feed["next"], 2);
    let waiting = {
        let alerts = alerts.clone();
        tokio::spawn(async move { alerts.events_after(2, Duration::from_secs(5)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    alerts.status_changed(change("SUCCEEDED"));
    let next = waiting.await.unwrap();
    assert_eq!(next["events"][0]["detail"]["status"], "SUCCEEDED");
    let listed = alerts.describe();
    assert_eq!(listed["deliveries"][0]["result"], "delivered");
    assert_eq!(listed["rules"][0]["name"], "failures");
    let _ = std::fs::remove_file(out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_is_down_gets_the_event_once_it_is_back() {
    // A port that refuses connections at first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = json!({"rules": [{"name": "all", "pattern": {"source": ["aws.states"]},
        "targets": [{"webhook": format!("http://127.0.0.1:{port}/hook")}]}],
        "retry": {"maxAttempts": 10, "intervalSeconds": 0.05}})
    .to_string();
    let metrics = Arc::new(Metrics::new());
    let alerts = Alerts::start(
        RulesFile::parse(&text, "a.json").unwrap(),
        "1",
        "r",
        Some(metrics.clone()),
    );
    alerts.status_changed(change("FAILED"));
    tokio::time::sleep(Duration::from_millis(120)).await;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let received = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            text.extend_from_slice(&buf[..n]);
            let s = String::from_utf8_lossy(&text);
            if let Some((head, body)) = s.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                if body.len() >= len {
                    stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
                    return (head.to_owned(), body.to_owned());
                }
            }
            assert!(n > 0);
        }
    });
    let (head, body) = tokio::task::spawn_blocking(move || received.join().unwrap())
        .await
        .unwrap();
    assert!(head.starts_with("POST /hook HTTP/1.1"), "{head}");
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["detail"]["status"], "FAILED");
    for _ in 0..200 {
        if alerts.describe()["deliveries"][0]["result"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deliveries = alerts.describe()["deliveries"].clone();
    assert_eq!(deliveries[0]["result"], "delivered", "{deliveries}");
    assert_eq!(deliveries[1]["result"], "retry");
    assert!(
        deliveries[1]["error"].as_str().unwrap().contains("cannot connect"),
        "{deliveries}"
    );
    let text = metrics.encode();
    assert!(
        text.contains(r#"stepyard_alert_deliveries_total{rule="all",target="webhook[0]",result="delivered"} 1"#),
        "{text}"
    );
}

struct Figures(Vec<(u64, SeriesKey, Aggregate)>);

impl MinuteSource for Figures {
    fn minutes(&self, from: u64, to: u64) -> Result<Vec<(u64, SeriesKey, Aggregate)>, String> {
        Ok(self
            .0
            .iter()
            .filter(|(m, ..)| (from..to).contains(m))
            .cloned()
            .collect())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_changing_state_sends_cloudwatchs_event() {
    let out = temp("alarms.jsonl");
    let text = json!({"alarms": [{"name": "order-failures", "metric": "ExecutionsFailed",
        "dimensions": {"stateMachine": "orders"}, "statistic": "Sum", "period": 60, "evaluationPeriods": 1,
        "threshold": 0, "comparison": "GreaterThanThreshold", "treatMissingData": "notBreaching",
        "targets": [{"file": out}]}]})
    .to_string();
    let alerts = Alerts::start(
        RulesFile::parse(&text, "a.json").unwrap(),
        "123456789012",
        "us-east-1",
        None,
    );
    let source = Figures(vec![one_failure()]);
    alerts.evaluate_alarms(&source, 100 * 60_000 + 2_000);
    alerts.evaluate_alarms(&source, 100 * 60_000 + 30_000);
    alerts.evaluate_alarms(&source, 101 * 60_000 + 2_000);
    let lines = lines_of(&out, 2).await;
    assert_eq!(lines.len(), 2, "INSUFFICIENT_DATA → ALARM, then ALARM → OK: {lines:?}");
    // Deliveries run concurrently: no order between them.
    let alarm = lines.iter().find(|l| l["detail"]["state"]["value"] == "ALARM").unwrap();
    assert_eq!(alarm["detail-type"], "CloudWatch Alarm State Change");
    assert_eq!(alarm["source"], "aws.cloudwatch");
    assert_eq!(
        alarm["resources"][0],
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:order-failures"
    );
    assert_eq!(alarm["detail"]["state"]["value"], "ALARM");
    assert_eq!(alarm["detail"]["previousState"]["value"], "INSUFFICIENT_DATA");
    assert_eq!(
        alarm["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["name"],
        "ExecutionsFailed"
    );
    assert!(lines.iter().any(|l| l["detail"]["state"]["value"] == "OK"), "{lines:?}");
    assert_eq!(alerts.describe()["alarms"][0]["state"], "OK");
    let _ = std::fs::remove_file(out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarms_state_and_the_deliveries_survive_a_restart() {
    let out = temp("kept.jsonl");
    let saved = temp("alerts-state.json");
    let text = json!({"alarms": [{"name": "order-failures", "metric": "ExecutionsFailed",
        "dimensions": {"stateMachine": "orders"}, "statistic": "Sum", "period": 60, "evaluationPeriods": 1,
        "threshold": 0, "comparison": "GreaterThanThreshold", "treatMissingData": "missing",
        "targets": [{"file": out}]}]})
    .to_string();
    let start = || {
        let alerts = Alerts::start(RulesFile::parse(&text, "a.json").unwrap(), "1", "us-east-1", None);
        alerts.remember_in(std::path::PathBuf::from(&saved));
        alerts
    };
    let first = start();
    // A rule added through the API: commands and files are refused there.
    let command = json!({"name": "run", "pattern": {"source": ["aws.states"]}, "targets": [{"command": ["true"]}]});
    let refused = first.put_rule(&command).unwrap_err();
    assert!(refused.to_string().contains("only webhook"), "{refused}");
    let taken = json!({"name": "order-failures", "pattern": {"source": ["aws.states"]}, "targets": [{"webhook": "http://127.0.0.1:9/x"}]});
    assert!(
        first
            .put_rule(&taken)
            .unwrap_err()
            .to_string()
            .contains("--alerts file")
    );
    let hook = json!({"name": "hook", "pattern": {"source": ["aws.states"]}, "targets": [{"webhook": "http://127.0.0.1:9/x"}]});
    first.put_rule(&hook).unwrap();
    first.evaluate_alarms(&Figures(vec![one_failure()]), 100 * 60_000 + 2_000);
    assert_eq!(lines_of(&out, 1).await.len(), 1, "INSUFFICIENT_DATA → ALARM delivered");
    // Saved within a second of the change and of the delivery.
    let mut kept = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        kept = std::fs::read(&saved)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if kept["deliveries"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
    }
    assert_eq!(kept["alarms"]["order-failures"]["state"], "ALARM", "{kept}");
    drop(first);

    let second = start();
    let described = second.describe();
    assert_eq!(
        described["alarms"][0]["state"], "ALARM",
        "restored, not INSUFFICIENT_DATA again"
    );
    assert_eq!(described["deliveries"][0]["result"], "delivered", "{described}");
    assert_eq!(
        described["rules"][0]["name"], "hook",
        "the added rule is kept: {described}"
    );
    assert_eq!(described["rules"][0]["origin"], "api");
    assert!(second.delete_rule("hook") && !second.delete_rule("hook"));
    // Still ALARM on the same figures: no second announcement.
    second.evaluate_alarms(&Figures(vec![one_failure()]), 100 * 60_000 + 30_000);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1);
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(saved);
}

/// One failed execution of `orders` in minute 99.
fn one_failure() -> (u64, SeriesKey, Aggregate) {
    (
        99,
        SeriesKey {
            metric: "ExecutionsFailed".into(),
            state_machine: "orders".into(),
            state: String::new(),
            plugin: String::new(),
        },
        Aggregate {
            count: 1,
            sum: 1.0,
            min: 1.0,
            max: 1.0,
            ..Aggregate::default()
        },
    )
}
