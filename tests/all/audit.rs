//! The audit trail through `stepyard serve`: refused calls and refused
//! plugin imports recorded in CloudTrail's shape, sensitive values hidden,
//! `Stepyard.LookupEvents` held to `cloudtrail:LookupEvents`, and `stepyard
//! audit verify` finding a byte changed in the database file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stepyard_api::auth::sigv4::{self, RequestParts};

use crate::serve::{Server, create, temp_dir};
use crate::support::plugins_dir;

const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";
const PASS: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}"#;

fn auth_file(dir: &Path) -> String {
    let all = |actions: Value| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let file = json!({
        "users": [
            {"name": "admin", "accessKeyId": "AKIDADMIN000000001", "secretAccessKey": "admin-secret",
             "policy": all(json!(["states:*", "cloudtrail:LookupEvents"]))},
            {"name": "reader", "accessKeyId": "AKIDREADER00000001", "secretAccessKey": "reader-secret",
             "policy": all(json!(["states:Describe*", "states:List*", "states:Get*"]))},
        ],
        "roles": [{"name": "StepFunctionLambdaRole", "policy": all(json!("lambda:InvokeFunction"))}],
    });
    let path = dir.join("auth.json");
    std::fs::write(&path, file.to_string()).unwrap();
    path.display().to_string()
}

/// A SigV4-signed call; the status, the answer and its request id.
fn signed(addr: SocketAddr, target: &str, body: &Value, key: &str, secret: &str) -> (u16, Value, String) {
    let body = body.to_string();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let host = addr.to_string();
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", host.as_bytes()),
        ("x-amz-target", target.as_bytes()),
        ("content-type", b"application/x-amz-json-1.0"),
        ("x-amz-date", date.as_bytes()),
    ];
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let authorization = sigv4::sign(&parts, key, secret, "us-east-1", sigv4::SERVICE).unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Date: {date}\r\nAuthorization: {authorization}\r\nUser-Agent: audit-test/1.0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, json) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let request_id = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-amzn-requestid:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, serde_json::from_str(json).unwrap_or(Value::Null), request_id)
}

/// The records LookupEvents finds for `request`, as parsed records with
/// their sequence numbers.
fn lookup(addr: SocketAddr, request: Value) -> Vec<(u64, Value)> {
    let (status, answer, _) = signed(
        addr,
        "Stepyard.LookupEvents",
        &request,
        "AKIDADMIN000000001",
        "admin-secret",
    );
    assert_eq!(status, 200, "{answer}");
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let record = serde_json::from_str(e["cloudTrailEvent"].as_str().unwrap()).unwrap();
            (e["sequence"].as_u64().unwrap(), record)
        })
        .collect()
}

fn stepyard(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn a_refused_call_is_recorded_with_its_error_and_sensitive_values_are_hidden() {
    let data = temp_dir("audit-denied");
    let auth = auth_file(&data);
    let server = Server::start(&data, &["--auth", &auth]);
    let (admin, reader) = (
        ("AKIDADMIN000000001", "admin-secret"),
        ("AKIDREADER00000001", "reader-secret"),
    );
    let call = |who: (&str, &str), op: &str, body: Value| {
        signed(server.addr, &format!("AWSStepFunctions.{op}"), &body, who.0, who.1)
    };
    let role = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole";
    let (status, machine, _) = call(
        admin,
        "CreateStateMachine",
        json!({"name": "audited", "definition": PASS, "roleArn": role}),
    );
    assert_eq!(status, 200, "{machine}");
    let machine = machine["stateMachineArn"].as_str().unwrap().to_owned();
    let (_, run, _) = call(
        admin,
        "StartExecution",
        json!({"stateMachineArn": machine, "name": "e1", "input": "{\"card\":\"4111-1111\"}"}),
    );
    let run = run["executionArn"].as_str().unwrap().to_owned();
    let (status, refused, request_id) = call(reader, "StopExecution", json!({"executionArn": run}));
    assert_eq!(
        (status, refused["__type"].as_str()),
        (400, Some("AccessDeniedException"))
    );

    // The reader may not read the trail.
    let (status, answer, _) = signed(server.addr, "Stepyard.LookupEvents", &json!({}), reader.0, reader.1);
    assert_eq!(answer["__type"], "AccessDeniedException", "{status} {answer}");
    assert!(answer["message"].as_str().unwrap().contains("cloudtrail:LookupEvents"));

    let denied = lookup(server.addr, json!({"deniedOnly": true}));
    let names: Vec<&str> = denied.iter().map(|(_, r)| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["LookupEvents", "StopExecution"], "newest first");
    let stop = &denied[1].1;
    assert_eq!(stop["errorCode"], "AccessDeniedException");
    assert!(stop["errorMessage"].as_str().unwrap().contains("states:StopExecution"));
    assert_eq!(stop["eventSource"], "states.amazonaws.com");
    assert_eq!(stop["eventVersion"], "1.08");
    assert_eq!(stop["eventType"], "AwsApiCall");
    assert_eq!(stop["readOnly"], false);
    assert_eq!(stop["awsRegion"], "us-east-1");
    assert_eq!(stop["sourceIPAddress"], "127.0.0.1");
    assert_eq!(stop["userAgent"], "audit-test/1.0");
    assert_eq!(stop["requestID"], request_id.as_str(), "the id the answer carried");
    assert_eq!(stop["requestParameters"], json!({"executionArn": run}));
    assert_eq!(stop["responseElements"], Value::Null);
    assert_eq!(stop["resources"][0]["ARN"], run.as_str());
    let identity = &stop["userIdentity"];
    assert_eq!(identity["type"], "IAMUser");
    assert_eq!(identity["userName"], "reader");
    assert_eq!(identity["accessKeyId"], "AKIDREADER00000001");
    assert_eq!(identity["arn"], "arn:aws:iam::123456789012:user/reader");
    assert!(stop["eventID"].as_str().unwrap().len() == 36 && stop["eventTime"].as_str().unwrap().ends_with('Z'));

    // Definitions and inputs are hidden; what the call named is not.
    let by_name = |name: &str| {
        lookup(
            server.addr,
            json!({"lookupAttributes": [{"attributeKey": "EventName", "attributeValue": name}]}),
        )
        .remove(0)
        .1
    };
    let created = by_name("CreateStateMachine");
    assert_eq!(created["requestParameters"]["definition"], HIDDEN);
    assert_eq!(created["requestParameters"]["name"], "audited");
    assert_eq!(created["responseElements"]["stateMachineArn"], machine.as_str());
    let started = by_name("StartExecution");
    assert_eq!(started["requestParameters"]["input"], HIDDEN);
    assert!(!started.to_string().contains("4111"), "{started}");
    assert_eq!(started["responseElements"]["executionArn"], run.as_str());
    assert_eq!(started["userIdentity"]["userName"], "admin");

    // Searches by user; the CLI signs with the environment's keys.
    let reader_calls = lookup(
        server.addr,
        json!({"lookupAttributes": [{"attributeKey": "Username", "attributeValue": "reader"}]}),
    );
    assert_eq!(reader_calls.len(), 2, "{reader_calls:?}");
    let endpoint = format!("http://{}", server.addr);
    let cli = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(["audit", "--denied", "--user", "reader", "--endpoint", &endpoint])
        .env("AWS_ACCESS_KEY_ID", admin.0)
        .env("AWS_SECRET_ACCESS_KEY", admin.1)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&cli.stdout);
    assert!(cli.status.success(), "{table}{}", String::from_utf8_lossy(&cli.stderr));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("TIME") && lines.len() == 3, "{table}");
    assert!(
        lines[2].contains("reader")
            && lines[2].contains("states:StopExecution")
            && lines[2].contains("AccessDeniedException"),
        "{table}"
    );
}

#[test]
fn a_plugins_refused_import_is_recorded() {
    let data = temp_dir("audit-plugin");
    let plugins = temp_dir("audit-plugins");
    for f in ["test/hostile.wasm", "test/hostile.toml"] {
        let name = Path::new(f).file_name().unwrap();
        std::fs::copy(plugins_dir().join(f), plugins.join(name)).unwrap();
    }
    let server = Server::start_with_plugins(&data, &plugins, &[]);
    let definition = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"hostile","End":true}}}"#;
    let machine = create(&server, "hostile", definition);
    let run = server.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": "{\"attack\":\"forbidden_table\"}"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    while server.ok("DescribeExecution", json!({"executionArn": run}))["status"] == "RUNNING" {
        assert!(started.elapsed() < Duration::from_secs(60), "the execution ends");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = stepyard(&data, &["audit", "--denied", "--json", "--action", "PutItem"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    let denial = &records[0];
    assert_eq!(denial["eventSource"], "dynamodb.amazonaws.com");
    assert_eq!(denial["errorCode"], "AccessDenied");
    assert!(denial["errorMessage"].as_str().unwrap().contains("dynamodb:PutItem"));
    assert_eq!(denial["userIdentity"]["type"], "AssumedRole");
    assert!(
        denial["userIdentity"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/hostile-role/hostile")
    );
    assert_eq!(denial["additionalEventData"]["executionArn"], run.as_str());
    assert_eq!(denial["resources"][0]["type"], "AWS::DynamoDB::Table");
    assert_eq!(denial["managementEvent"], false);
}

#[test]
fn a_byte_flipped_in_the_database_file_is_found_by_audit_verify() {
    let data = temp_dir("audit-verify");
    let server = Server::start(&data, &[]);
    create(&server, "first", PASS);
    // A marker only this call's record holds (the execution does not exist).
    let marker = "tamper-marker-5b1d";
    let missing = format!("arn:aws:states:us-east-1:123456789012:execution:first:{marker}");
    let (status, _) = server.call("DescribeExecution", json!({"executionArn": missing}));
    assert_eq!(status, 400);
    create(&server, "second", PASS);
    server.stop();

    let out = stepyard(&data, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("intact: 3 records"), "{text}");

    // One byte of the marker, wherever the file holds it.
    let file = data.join("stepyard.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let mut flipped = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(marker.len()).position(|w| w == marker.as_bytes()) {
        bytes[at + i] ^= 0x20;
        flipped += 1;
        at += i + marker.len();
    }
    assert!(flipped > 0, "the record's text is in the file");
    std::fs::write(&file, bytes).unwrap();

    let out = stepyard(&data, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("BROKEN at record 2 (changed)") && text.contains("record 2 was changed"),
        "{text}"
    );
}
