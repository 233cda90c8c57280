//! Delivering events to targets: through a bounded queue, on tasks of
//! their own, so nothing an execution does waits for a webhook. A failed
//! attempt is retried with exponential backoff (1 s, 2 s, 4 s… by
//! default); a full queue drops the delivery. Every attempt is kept in a
//! ring of the last [`LOG_SIZE`] and counted
//! (`stepyard_alert_deliveries_total{rule,target,result}`).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use stepyard_metrics::Metrics;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};

use crate::Starter;
use crate::rules::{RetryPolicy, Target};

/// Deliveries kept for `Stepyard.ListAlerts`.
pub(crate) const LOG_SIZE: usize = 1000;
/// Deliveries waiting before new ones are dropped.
const QUEUE: usize = 1000;
/// Deliveries in flight at once (retry waits included).
const IN_FLIGHT: usize = 64;
/// How long one webhook request or command may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two attempts.
const MAX_INTERVAL: Duration = Duration::from_secs(300);

/// One delivery to make.
pub(crate) struct Job {
    /// The rule or alarm whose target it is.
    pub source: String,
    /// The target's label in the counters (`webhook[0]`).
    pub label: String,
    pub target: Target,
    pub event: Arc<Value>,
}

/// The queue, its worker, and the record of what was delivered.
pub(crate) struct Deliveries {
    queue: mpsc::Sender<Job>,
    receiver: Mutex<Option<mpsc::Receiver<Job>>>,
    log: Mutex<VecDeque<Value>>,
    metrics: Option<Arc<Metrics>>,
    pub(crate) starter: OnceLock<Arc<dyn Starter>>,
    retry: RetryPolicy,
    /// Appends to one file never interleave.
    files: Mutex<()>,
    /// Set when the log changed since the alerts' state was last saved.
    pub(crate) changed: std::sync::atomic::AtomicBool,
}

impl Deliveries {
    pub(crate) fn new(retry: RetryPolicy, metrics: Option<Arc<Metrics>>) -> Deliveries {
        let (queue, receiver) = mpsc::channel(QUEUE);
        Deliveries {
            queue,
            receiver: Mutex::new(Some(receiver)),
            log: Mutex::new(VecDeque::new()),
            metrics,
            starter: OnceLock::new(),
            retry,
            files: Mutex::new(()),
            changed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Starts the worker on the current tokio runtime (once).
    pub(crate) fn start(self: &Arc<Self>) {
        let Some(mut receiver) = self.receiver.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(IN_FLIGHT));
            while let Some(job) = receiver.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let this = this.clone();
                tokio::spawn(async move {
                    this.deliver(job).await;
                    drop(permit);
                });
            }
        });
    }

    /// Queues a delivery; never waits. A full queue drops it (recorded).
    pub(crate) fn submit(&self, job: Job) {
        if let Err(e) = self.queue.try_send(job) {
            let job = match e {
                mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => job,
            };
            self.record(&job, 0, "dropped", Some("the delivery queue is full".into()));
        }
    }

    async fn deliver(&self, job: Job) {
        let mut wait = self.retry.first_interval;
        for attempt in 1..=self.retry.max_attempts {
            match self.attempt(&job).await {
                Ok(()) => {
                    self.record(&job, attempt, "delivered", None);
                    return;
                }
                Err(e) if attempt < self.retry.max_attempts => {
                    self.record(&job, attempt, "retry", Some(e));
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_INTERVAL);
                }
                Err(e) => self.record(&job, attempt, "failed", Some(e)),
            }
        }
    }

    async fn attempt(&self, job: &Job) -> Result<(), String> {
        let body = job.event.to_string();
        match &job.target {
            Target::Webhook { authority, path, .. } => {
                match tokio::time::timeout(ATTEMPT_TIMEOUT, post(authority, path, &body)).await {
                    Ok(result) => result,
                    Err(_) => Err(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())),
                }
            }
            Target::Command(argv) => {
                let argv = argv.clone();
                tokio::task::spawn_blocking(move || run_command(&argv, &body))
                    .await
                    .unwrap_or_else(|e| Err(format!("the command's task failed: {e}")))
            }
            Target::File(path) => {
                let _one_at_a_time = self.files.lock().unwrap_or_else(|e| e.into_inner());
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| f.write_all(format!("{body}\n").as_bytes()))
                    .map_err(|e| format!("cannot append to {}: {e}", path.display()))
            }
            Target::StartExecution(arn) => match self.starter.get() {
                Some(starter) => starter.start_execution(arn, body).await.map(|_| ()),
                None => Err("executions cannot be started here".into()),
            },
        }
    }

    fn record(&self, job: &Job, attempt: u32, result: &'static str, error: Option<String>) {
        if let Some(metrics) = &self.metrics {
            metrics.alert_delivery(&job.source, &job.label, result);
        }
        if result != "delivered" {
            eprintln!(
                "stepyard: alert {} to {}: attempt {attempt} {result}: {}",
                job.source,
                job.target.describe(),
                error.as_deref().unwrap_or("")
            );
        }
        let mut entry = json!({
            "time": now_seconds(),
            "source": job.source,
            "target": job.target.describe(),
            "attempt": attempt,
            "result": result,
            "eventId": job.event["id"],
            "detailType": job.event["detail-type"],
        });
        if let Some(error) = error {
            entry["error"] = error.into();
        }
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= LOG_SIZE {
            log.pop_front();
        }
        log.push_back(entry);
        self.changed.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Puts back the deliveries a saved state kept (oldest first), before
    /// any new one is recorded.
    pub(crate) fn restore(&self, saved: Vec<Value>) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        for entry in saved.into_iter().rev().take(LOG_SIZE).rev() {
            log.push_back(entry);
        }
    }

    /// The deliveries recorded, newest first.
    pub(crate) fn recent(&self) -> Vec<Value> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .cloned()
            .collect()
    }
}

pub(crate) fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One HTTP/1.1 POST of `body` as JSON; `Ok` for a 2xx answer.
async fn post(authority: &str, path: &str, body: &str) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         User-Agent: stepyard-alerts\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send to {authority}: {e}"))?;
    // The status line is all that is needed.
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("no answer from {authority}: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line.split_whitespace().nth(1).unwrap_or("");
    if status.starts_with('2') && status.len() == 3 {
        Ok(())
    } else if status.is_empty() {
        Err(format!("{authority} closed the connection without an answer"))
    } else {
        Err(format!("{authority} answered HTTP {status}"))
    }
}

/// Runs `argv` with `input` on its standard input; `Ok` when it exits 0.
fn run_command(argv: &[String], input: &str) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input may close it early.
        let _ = stdin.write_all(input.as_bytes());
    }
    let began = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{} ended with {status}", argv[0])),
            Ok(None) if began.elapsed() > ATTEMPT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} ran longer than {} s", argv[0], ATTEMPT_TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for {}: {e}", argv[0])),
        }
    }
}
