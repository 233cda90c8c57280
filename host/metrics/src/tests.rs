//! The Prometheus families: names, units, labels, and counters that follow totals.
use super::*;

#[test]
fn audited_changes_follow_the_stores_totals_and_never_go_back() {
    let m = Metrics::new();
    m.audited_changes(5, 1);
    m.audited_changes(3, 1);
    m.audited_changes(7, 2);
    let text = m.encode();
    assert!(
        text.contains("stepyard_audited_changes_total{kind=\"with_record\"} 7"),
        "{text}"
    );
    assert!(
        text.contains("stepyard_audited_changes_total{kind=\"record_later\"} 2"),
        "{text}"
    );
}

#[test]
fn figures_come_out_in_base_units_with_bounded_labels() {
    let m = Metrics::new();
    m.execution_started("orders");
    m.execution_started("orders");
    m.execution_ended("orders", "SUCCEEDED", Duration::from_millis(1500));
    m.execution_stopped_here("orders");
    m.state_ended(
        "orders",
        "Pay",
        "Task",
        StateOutcome::CaughtError,
        Duration::from_millis(20),
        2,
    );
    m.task_attempt(
        "orders",
        "Pay",
        "paymentProcessing",
        AttemptOutcome::Failed,
        true,
        Duration::ZERO,
        Duration::from_millis(3),
    );
    m.policy_denied("hostile", "dynamodb:PutItem");
    m.quota_exceeded("hostile", "log_lines_per_call");
    m.plugin_lines_dropped("hostile", 7);
    m.api_request("StartExecution", "OK", Duration::from_millis(2));
    let text = m.encode();
    for line in [
        r#"stepyard_executions_started_total{state_machine="orders"} 2"#,
        r#"stepyard_executions_completed_total{state_machine="orders",status="SUCCEEDED"} 1"#,
        r#"stepyard_executions_running{state_machine="orders"} 1"#,
        r#"stepyard_execution_duration_seconds_sum{state_machine="orders",status="SUCCEEDED"} 1.5"#,
        r#"stepyard_task_retries_total{state_machine="orders",state="Pay"} 2"#,
        r#"stepyard_task_attempts_total{state_machine="orders",state="Pay",plugin="paymentProcessing",outcome="failed"} 1"#,
        r#"stepyard_policy_denials_total{plugin="hostile",action="dynamodb:PutItem"} 1"#,
        r#"stepyard_plugin_quota_exceeded_total{plugin="hostile",quota="log_lines_per_call"} 1"#,
        r#"stepyard_plugin_log_lines_dropped_total{plugin="hostile"} 7"#,
        r#"stepyard_api_requests_total{operation="StartExecution",code="OK"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    assert!(text.contains(r#"stepyard_state_duration_seconds_count{state_machine="orders",state="Pay",type="Task",outcome="caught_error"} 1"#), "{text}");
    assert!(
        text.contains("# TYPE stepyard_execution_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
}
