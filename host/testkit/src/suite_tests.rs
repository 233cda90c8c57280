//! The suite file's loading: places of mistakes, defaults, machines.
use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MACHINE: &str = r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}"#;

fn temp() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepyard-suite-{}", stepyard_asl::ids::random_uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_field_of_the_wrong_shape_is_named_with_its_path() {
    let dir = temp();
    write(&dir, "m.asl.json", MACHINE);
    let suite = write(
        &dir,
        "a.test.yaml",
        "stateMachine: m.asl.json\ncases:\n  - name: one\n    expect:\n      status: 3\n",
    );
    let e = Suite::load(&suite, &mut MachineCache::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cases[0].expect.status"), "{e}");
}

#[test]
fn a_mock_for_a_state_the_machine_lacks_is_refused() {
    let dir = temp();
    write(&dir, "m.asl.json", MACHINE);
    let suite = write(
        &dir,
        "a.test.yaml",
        "stateMachine: m.asl.json\ncases:\n  - name: one\n    mocks:\n      Nope: {result: 1}\n",
    );
    let e = Suite::load(&suite, &mut MachineCache::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cases[0].mocks.Nope") && e.contains("no state named 'Nope'"),
        "{e}"
    );
}

#[test]
fn cases_take_the_suites_machine_mocks_and_context() {
    let dir = temp();
    write(&dir, "m.asl.json", MACHINE);
    let suite = write(
        &dir,
        "a.test.json",
        r#"{"stateMachine":"m.asl.json","mocks":{"A":{"result":1}},
            "context":{"startTime":"2025-02-03T04:05:06Z"},
            "cases":[{"name":"first case"},{"name":"two","mocks":{"A":{"result":2}}}]}"#,
    );
    let s = Suite::load(&suite, &mut MachineCache::default()).unwrap();
    assert_eq!(s.cases.len(), 2);
    assert_eq!(s.cases[0].execution_name, "first-case");
    assert_eq!(s.cases[0].start_time.to_rfc3339(), "2025-02-03T04:05:06+00:00");
    assert_eq!(s.cases[0].machine.name, "m");
    assert!(
        matches!(s.cases[1].mocks["A"], Mock::Fixed(crate::mocks::Response::Return(ref v)) if v == &serde_json::json!(2))
    );
}

#[test]
fn an_invalid_machine_names_its_file_and_problem() {
    let dir = temp();
    write(&dir, "bad.asl.json", r#"{"StartAt":"A","States":{}}"#);
    let suite = write(&dir, "a.test.yaml", "stateMachine: bad.asl.json\ncases: []\n");
    let e = Suite::load(&suite, &mut MachineCache::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.asl.json") && e.contains("invalid"), "{e}");
}

#[test]
fn a_mocked_result_must_fit_its_integration_unless_the_suite_says_none() {
    let dir = temp();
    write(
        &dir,
        "m.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "End": true}}}"#,
    );
    let text = "stateMachine: m.asl.json\ncases:\n  - name: one\n    mocks:\n      A:\n        sequence:\n          - result: {StatusCode: 200}\n          - result: {StatusCode: ok}\n";
    let suite = write(&dir, "a.test.yaml", text);
    let e = Suite::load(&suite, &mut MachineCache::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cases[0].mocks.A") && e.contains("'StatusCode'"), "{e}");
    let lenient = write(&dir, "b.test.yaml", &format!("fieldValidationMode: NONE\n{text}"));
    assert!(Suite::load(&lenient, &mut MachineCache::default()).is_ok());
}
