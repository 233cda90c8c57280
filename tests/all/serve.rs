//! `stepyard serve` as a process: the JSON 1.0 API, durability across
//! kill -9, and waits that keep their deadline over a restart.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::plugins_dir;

pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "stepyard-serve-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One compile cache for every server the tests start.
pub(crate) fn shared_cache() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| temp_dir("cache"))
}

/// A running `stepyard serve`.
pub(crate) struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// How many running executions it resumed when it started.
    pub resumed: usize,
}

impl Server {
    pub(crate) fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_with_plugins(data, plugins_dir(), extra)
    }

    pub(crate) fn start_with_plugins(data: &Path, plugins: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepyard"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .arg("--plugins")
            .arg(plugins)
            .arg("--cache")
            .arg(shared_cache())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("stepyard serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let (addr, resumed) = loop {
            let line = lines.next().expect("serve prints its address").unwrap();
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap().trim_end_matches(';');
                let resumed = line
                    .split("resumed ")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .map_or(0, |n| n.parse().unwrap());
                break (addr.parse().unwrap(), resumed);
            }
            assert!(!line.starts_with("error"), "serve failed: {line}");
        };
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr, resumed }
    }

    /// Calls an operation; returns the HTTP status and the JSON answer.
    pub(crate) fn call(&self, operation: &str, body: Value) -> (u16, Value) {
        try_call(self.addr, operation, &body).expect("the server answers")
    }

    /// Calls an operation that must succeed.
    pub(crate) fn ok(&self, operation: &str, body: Value) -> Value {
        let (status, answer) = self.call(operation, body);
        assert_eq!(status, 200, "{operation} failed: {answer}");
        answer
    }

    /// Calls one of Stepyard's own operations that must succeed.
    pub(crate) fn own(&self, operation: &str, body: Value) -> Value {
        let (status, answer) =
            try_target(self.addr, &format!("Stepyard.{operation}"), &body).expect("the server answers");
        assert_eq!(status, 200, "Stepyard.{operation} failed: {answer}");
        answer
    }

    /// SIGTERM, as Ctrl-C stops it: it finishes what it was doing.
    pub(crate) fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve ended with {status}");
    }

    /// kill -9.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls an operation at `addr`; an error when no whole answer came (the
/// server is down, or was killed while answering).
pub(crate) fn try_call(addr: SocketAddr, operation: &str, body: &Value) -> std::io::Result<(u16, Value)> {
    try_target(addr, &format!("AWSStepFunctions.{operation}"), body)
}

/// Calls `target` (`AWSStepFunctions.Op` or `Stepyard.Op`) at `addr`.
pub(crate) fn try_target(addr: SocketAddr, target: &str, body: &Value) -> std::io::Result<(u16, Value)> {
    let body = body.to_string();
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP answer: {text:?}")))?;
    let json = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, serde_json::from_str(json).unwrap_or(Value::Null)))
}

pub(crate) fn order_definition() -> String {
    let root = crate::support::repo_root();
    std::fs::read_to_string(root.join("workflows/order.asl.json")).unwrap()
}

const ROLE: &str = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole";

pub(crate) fn create(server: &Server, name: &str, definition: &str) -> String {
    let answer = server.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": ROLE}),
    );
    answer["stateMachineArn"].as_str().unwrap().to_owned()
}

/// Every event of an execution, through the paginated API.
pub(crate) fn history(server: &Server, arn: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"executionArn": arn, "maxResults": 7});
        if let Some(t) = &token {
            req["nextToken"] = t.clone().into();
        }
        let page = server.ok("GetExecutionHistory", req);
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return events,
        }
    }
}

/// Waits until every execution of `machine` has ended; returns them.
pub(crate) fn wait_all_ended(server: &Server, machine: &str, expected: usize, limit: Duration) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({"stateMachineArn": machine, "maxResults": 100});
            if let Some(t) = &token {
                req["nextToken"] = t.clone().into();
            }
            let page = server.ok("ListExecutions", req);
            all.extend(page["executions"].as_array().unwrap().iter().cloned());
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        let running = all.iter().filter(|e| e["status"] == "RUNNING").count();
        if all.len() == expected && running == 0 {
            return all;
        }
        assert!(
            started.elapsed() < limit,
            "{running} of {} executions still running after {limit:?}",
            all.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ids 1..=n, each linked to an earlier event, one start and one end.
pub(crate) fn assert_history_whole(arn: &str, events: &[Value]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e["id"],
            json!(i as u64 + 1),
            "{arn}: gap or duplicate at {i}: {events:#?}"
        );
        let previous = e["previousEventId"].as_u64().unwrap();
        assert!(previous < i as u64 + 1, "{arn}: event {} links forward", i + 1);
    }
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"), "{arn}: {types:?}");
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"), "{arn}: {types:?}");
    assert_eq!(
        types.iter().filter(|t| t.starts_with("Execution")).count(),
        2,
        "{arn}: {types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| **t == "TaskStateEntered").count(),
        4,
        "{arn}: {types:?}"
    );
}

#[test]
fn the_api_runs_the_order_workflow_and_answers_with_aws_errors() {
    let data = temp_dir("api");
    let server = Server::start(&data, &[]);
    let machine = create(&server, "orders", &order_definition());
    // Creating the same machine again is the same request.
    assert_eq!(create(&server, "orders", &order_definition()), machine);
    let input = json!({"order_id": "api-1", "total": 12.5}).to_string();
    let started = server.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "name": "api-1", "input": input}),
    );
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    // The same name and input while it runs (or not) — AWS answers the
    // running one idempotently and refuses a different input.
    let (status, err) = server.call(
        "StartExecution",
        json!({"stateMachineArn": machine, "name": "api-1", "input": "{\"other\":1}"}),
    );
    assert_eq!((status, err["__type"].as_str()), (400, Some("ExecutionAlreadyExists")));
    wait_all_ended(&server, &machine, 1, Duration::from_secs(30));
    let described = server.ok("DescribeExecution", json!({"executionArn": arn}));
    assert_eq!(described["status"], "SUCCEEDED");
    let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["confirmation"]["status"], "CONFIRMED");
    assert_history_whole(&arn, &history(&server, &arn));
    let reversed = server.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "reverseOrder": true, "maxResults": 1}),
    );
    assert_eq!(reversed["events"][0]["type"], "ExecutionSucceeded");

    for (op, body, code) in [
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": machine.replace("orders", "nope")}),
            "StateMachineDoesNotExist",
        ),
        (
            "DescribeExecution",
            json!({"executionArn": arn.replace("api-1", "nope")}),
            "ExecutionDoesNotExist",
        ),
        (
            "DescribeExecution",
            json!({"executionArn": "arn:aws:sqs:x"}),
            "InvalidArn",
        ),
        ("DescribeStateMachine", json!({"stateMachineArn": arn}), "InvalidArn"),
        (
            "CreateStateMachine",
            json!({"name": "bad", "definition": "{\"StartAt\":\"X\",\"States\":{}}", "roleArn": ROLE}),
            "InvalidDefinition",
        ),
        (
            "CreateStateMachine",
            json!({"name": "bad name", "definition": order_definition(), "roleArn": ROLE}),
            "InvalidName",
        ),
        (
            "CreateStateMachine",
            json!({"name": "orders", "definition": "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}", "roleArn": ROLE}),
            "StateMachineAlreadyExists",
        ),
        (
            "StartExecution",
            json!({"stateMachineArn": machine, "input": "{not json"}),
            "InvalidExecutionInput",
        ),
        (
            "ListExecutions",
            json!({"stateMachineArn": machine, "nextToken": "garbage"}),
            "InvalidToken",
        ),
        ("StartExecution", json!({}), "ValidationException"),
        ("NoSuchOperation", json!({}), "UnknownOperationException"),
    ] {
        let (status, answer) = server.call(op, body);
        assert_eq!((status, answer["__type"].as_str()), (400, Some(code)), "{op}: {answer}");
    }
}

#[test]
fn the_cli_runs_on_a_server_and_reads_executions_with_or_without_it() {
    type Cli<'a> = dyn Fn(&[&str]) -> (Option<i32>, String) + 'a;
    let data = temp_dir("cli");
    let server = Server::start(&data, &[]);
    let root = crate::support::repo_root();
    let stepyard = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
            .arg("--data")
            .arg(&data)
            .args(args)
            .current_dir(root)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout + &stderr)
    };
    let endpoint = format!("http://{}", server.addr);
    let (code, out) = stepyard(&[
        "run",
        "--endpoint",
        &endpoint,
        "workflows/order.asl.json",
        "--input",
        r#"{"order_id":"cli-9","total":4}"#,
        "--name",
        "cli-9",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["output"]["confirmation"]["status"], "CONFIRMED");
    // While the server holds the database, the CLI asks the server.
    let (code, listed) = stepyard(&["executions", "--json"]);
    assert_eq!(code, Some(0));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["name"], "cli-9");
    let (_, history) = stepyard(&["history", "order:cli-9", "--json"]);
    let history = history.trim();
    assert_eq!(history.lines().count(), 22, "{history}");
    // The tables and log lines too: the server holds the database.
    let read_order = |stepyard: &Cli| {
        let (code, item) = stepyard(&["table", "get", "orders", "cli-9"]);
        assert_eq!(code, Some(0), "{item}");
        let item: Value = serde_json::from_str(&item).unwrap();
        assert_eq!(item["status"], "CONFIRMED", "{item}");
        let (code, scanned) = stepyard(&["table", "scan", "orders", "--prefix", "cli-"]);
        assert_eq!(code, Some(0), "{scanned}");
        let keys: Vec<String> = scanned
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["key"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(keys, ["cli-9"]);
        let (code, tables) = stepyard(&["table", "list"]);
        assert_eq!((code, tables.trim()), (Some(0), "orders"));
        let (code, missing) = stepyard(&["table", "get", "orders", "nobody"]);
        assert_eq!(code, Some(1), "{missing}");
        let (code, lines) = stepyard(&["logs", "cli-9", "--json"]);
        assert_eq!(code, Some(0), "{lines}");
        assert!(lines.contains("paymentProcessing"), "{lines}");
    };
    read_order(&stepyard);
    server.kill();
    read_order(&stepyard);
    // Without a server, it reads the database itself.
    let (code, described) = stepyard(&["describe", "order:cli-9"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<Value>(&described).unwrap()["status"],
        "SUCCEEDED"
    );
}

#[test]
fn the_cli_signs_its_requests_with_the_credentials_in_its_environment() {
    let data = temp_dir("cli-auth");
    let auth = data.join("auth.json");
    let policy = |actions: &[&str]| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let users = json!({"users": [
        {"name": "admin", "accessKeyId": "AKIDCLIADMIN000001", "secretAccessKey": "admin-secret",
         "policy": policy(&["states:*", "dynamodb:*"])},
        {"name": "reader", "accessKeyId": "AKIDCLIREADER00001", "secretAccessKey": "reader-secret",
         "policy": policy(&["states:List*"])},
    ]});
    std::fs::write(&auth, users.to_string()).unwrap();
    let server = Server::start(&data, &["--auth", auth.to_str().unwrap()]);
    let endpoint = format!("http://{}", server.addr);
    let stepyard = |credentials: Option<(&str, &str)>, args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stepyard"));
        command
            .arg("--data")
            .arg(&data)
            .args(args)
            .arg("--endpoint")
            .arg(&endpoint);
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
        ] {
            command.env_remove(name);
        }
        if let Some((key, secret)) = credentials {
            command
                .env("AWS_ACCESS_KEY_ID", key)
                .env("AWS_SECRET_ACCESS_KEY", secret);
        }
        let out = command.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let admin = Some(("AKIDCLIADMIN000001", "admin-secret"));
    let (code, out) = stepyard(admin, &["executions", "--json"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = stepyard(admin, &["table", "list"]);
    assert_eq!(code, Some(0), "{out}");
    // Unsigned, signed with a wrong secret, or by a user whose policy does
    // not allow the action: refused, and the CLI says why.
    let (code, out) = stepyard(None, &["executions"]);
    assert_ne!(code, Some(0));
    assert!(out.contains("MissingAuthenticationToken"), "{out}");
    let (code, out) = stepyard(Some(("AKIDCLIADMIN000001", "not-the-secret")), &["executions"]);
    assert_ne!(code, Some(0));
    assert!(out.contains("InvalidSignatureException"), "{out}");
    let reader = Some(("AKIDCLIREADER00001", "reader-secret"));
    let (code, out) = stepyard(reader, &["table", "list"]);
    assert_ne!(code, Some(0));
    assert!(
        out.contains("AccessDeniedException") && out.contains("dynamodb:ListTables"),
        "{out}"
    );
    server.kill();
}

#[test]
fn a_corrupt_database_is_refused_with_its_path_and_left_as_it_was() {
    let data = temp_dir("corrupt");
    let file = data.join("stepyard.redb");
    let garbage = b"this is not a database, and must not be reset".repeat(100);
    std::fs::write(&file, &garbage).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stepyard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), garbage);
}

#[test]
fn plugins_dropped_in_are_picked_up_and_running_executions_keep_theirs() {
    let data = temp_dir("reload");
    let folder = temp_dir("reload-plugins");
    let server = Server::start_with_plugins(&data, &folder, &[]);
    let definition = json!({
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "SecondsPath": "$.hold", "Next": "Greet"},
            "Greet": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:greet", "End": true}
        }
    })
    .to_string();
    let machine = create(&server, "greeter", &definition);
    let start = |name: &str, hold: u64| {
        let input = json!({"hold": hold}).to_string();
        server.ok(
            "StartExecution",
            json!({"stateMachineArn": machine, "name": name, "input": input}),
        )["executionArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ended = |arn: &str| loop {
        let d = server.ok("DescribeExecution", json!({"executionArn": arn}));
        if d["status"] != "RUNNING" {
            return d;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let install = |kind: &str| {
        let source = plugins_dir().join("conformance");
        for ext in ["wasm", "toml"] {
            let tmp = folder.join(format!("greet.{ext}.tmp"));
            std::fs::copy(source.join(format!("{kind}.{ext}")), &tmp).unwrap();
            std::fs::rename(&tmp, folder.join(format!("greet.{ext}"))).unwrap();
        }
        // The folder is looked at again at most once a second.
        std::thread::sleep(Duration::from_millis(1300));
    };

    let before = start("before", 0);
    assert_eq!(ended(&before)["error"], "Lambda.ResourceNotFoundException");
    install("echo_function");
    let echo = start("echo", 2);
    // Replaced while `echo` waits: `echo` keeps the version it started with.
    install("raise_exception");
    let raising = start("raising", 0);
    assert_eq!(ended(&raising)["error"], "Exception");
    let echoed = ended(&echo);
    assert_eq!(echoed["status"], "SUCCEEDED", "{echoed}");
    assert_eq!(echoed["output"], r#"{"Return":"HelloWorld"}"#);
}

/// DescribeExecution's answer once the execution no longer runs (up to
/// two minutes: the first run may compile plugins on a busy machine).
pub(crate) fn ended(server: &Server, arn: &str) -> Value {
    for _ in 0..6000 {
        let d = server.ok("DescribeExecution", json!({"executionArn": arn}));
        if d["status"] != "RUNNING" {
            return d;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{arn} did not end");
}

/// `GET path` with a `Host` header: the status and the body.
pub(crate) fn http_get(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}
