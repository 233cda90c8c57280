//! The commands that read executions (`executions`, `describe`, `history`),
//! tables and log lines (`table`, `logs`), and `run --endpoint`: they talk
//! to a running `stepyard serve` over its API, or, when none runs, open the
//! data directory's database directly.
//! Either way the answers have the API's shapes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use stepyard_api::auth::sigv4::{self, RequestParts};
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::task::{NoTasks, TaskInvoker};
use stepyard_service::{Location, Service};

use super::EnvArgs;

/// The file in the data directory where `serve` writes its address.
pub(super) const ADDRESS_FILE: &str = "serve.addr";

/// Where API calls go.
pub(super) enum Backend {
    /// A server, `host:port`.
    Http(String),
    /// The database itself (no server holds it).
    Local {
        service: Arc<Service>,
        runtime: tokio::runtime::Runtime,
    },
}

impl Backend {
    /// `endpoint` if given; else the server running on the data directory
    /// (its address file); else the database.
    pub(super) fn open(endpoint: Option<&str>, env: &EnvArgs) -> anyhow::Result<Backend> {
        if let Some(url) = endpoint {
            return Ok(Backend::Http(host_port(url)?));
        }
        if let Ok(addr) = std::fs::read_to_string(env.data.join(ADDRESS_FILE)) {
            let addr = addr.trim().to_owned();
            if TcpStream::connect(&addr).is_ok() {
                return Ok(Backend::Http(addr));
            }
        }
        let store = env.store().with_context(|| {
            format!(
                "no server answers for {} and its database cannot be opened (pass --endpoint URL)",
                env.data.display()
            )
        })?;
        let tasks: Arc<dyn TaskInvoker> = Arc::new(NoTasks);
        let service = Arc::new(Service::new(store, Arc::new(tasks), Arc::new(ScaledClock::real())));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Backend::Local { service, runtime })
    }

    /// Calls a Step Functions operation; an API error becomes `Code: message`.
    pub(super) fn call(&self, operation: &str, request: Value) -> anyhow::Result<Value> {
        self.call_in(false, operation, request)
    }

    /// Calls one of Stepyard's own operations (tables, log lines).
    pub(super) fn call_stepyard(&self, operation: &str, request: Value) -> anyhow::Result<Value> {
        self.call_in(true, operation, request)
    }

    fn call_in(&self, own: bool, operation: &str, request: Value) -> anyhow::Result<Value> {
        match self {
            Backend::Local { service, runtime } => runtime
                .block_on(async {
                    if own {
                        service.call_stepyard(operation, request).await
                    } else {
                        service.call(operation, request).await
                    }
                })
                .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message)),
            Backend::Http(addr) => {
                let prefix = if own { "Stepyard" } else { "AWSStepFunctions" };
                http_call(addr, &format!("{prefix}.{operation}"), &request)
            }
        }
    }
}

fn host_port(url: &str) -> anyhow::Result<String> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--endpoint must be an http:// URL, got '{url}'");
    };
    Ok(rest.trim_end_matches('/').to_owned())
}

/// One JSON 1.0 call over HTTP/1.1, signed with SigV4 when the
/// environment holds AWS credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`; region from `AWS_REGION` or
/// `AWS_DEFAULT_REGION`, else us-east-1), as a server with `--auth` needs.
fn http_call(addr: &str, target: &str, request: &Value) -> anyhow::Result<Value> {
    let body = request.to_string();
    let mut headers: Vec<(&str, String)> = vec![
        ("host", addr.to_owned()),
        ("x-amz-target", target.to_owned()),
        ("content-type", "application/x-amz-json-1.0".to_owned()),
    ];
    if let Some(authorization) = sign(&headers, &body)? {
        headers.extend(authorization);
    }
    let mut stream = TcpStream::connect(addr).with_context(|| format!("cannot connect to http://{addr}"))?;
    let mut head = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(
        stream,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("0");
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if status != "200" {
        let code = value["__type"].as_str().unwrap_or("HttpError");
        let message = value["message"].as_str().unwrap_or(body);
        bail!("{code}: {message}");
    }
    Ok(value)
}

/// The `x-amz-date` and `authorization` headers for a request with
/// `headers` and `body`, when the environment holds credentials.
fn sign(headers: &[(&str, String)], body: &str) -> anyhow::Result<Option<Vec<(&'static str, String)>>> {
    let (Ok(key_id), Ok(secret)) = (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) else {
        return Ok(None);
    };
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_owned());
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut signed: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    signed.push(("x-amz-date", date.as_bytes()));
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &signed,
        body: body.as_bytes(),
    };
    let authorization = sigv4::sign(&parts, &key_id, &secret, &region, sigv4::SERVICE)
        .map_err(|e| anyhow::anyhow!("cannot sign the request: {e}"))?;
    Ok(Some(vec![("x-amz-date", date), ("authorization", authorization)]))
}

/// An execution named by its ARN or as `MACHINE:NAME`.
pub(super) fn execution_arn(given: &str) -> String {
    if given.starts_with("arn:") {
        return given.to_owned();
    }
    match given.split_once(':') {
        Some((machine, name)) => Location::default().execution_arn(machine, name),
        None => given.to_owned(),
    }
}

/// Every page of a paginated list operation, concatenated.
pub(super) fn all_pages(
    backend: &Backend,
    operation: &str,
    mut request: Value,
    items: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    loop {
        let page = backend.call(operation, request.clone())?;
        if let Some(list) = page[items].as_array() {
            out.extend(list.iter().cloned());
        }
        match page["nextToken"].as_str() {
            Some(token) => request["nextToken"] = json!(token),
            None => return Ok(out),
        }
    }
}

/// Epoch seconds as RFC 3339.
pub(super) fn date(v: &Value) -> String {
    v.as_f64()
        .and_then(|s| chrono::DateTime::from_timestamp_millis((s * 1000.0).round() as i64))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// The state machine's name for a definition file.
pub(super) fn machine_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl").to_owned())
        .unwrap_or_else(|| "StateMachine".to_owned())
}
