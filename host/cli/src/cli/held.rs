//! `stepyard run` on the database, with others at once.
//!
//! One process at a time can open the database file. The first `run` to
//! open it *holds* it: it runs its own execution through the service (so
//! the execution and its history are stored, as `serve` stores them) and,
//! while it lives, serves the API on a loopback port written to
//! `DATA/serve.addr`, exactly where `serve` writes its address. Every
//! other `run`, `table`, `logs`, `executions`… finds that address and goes
//! through it. The holder stays until the executions it runs for others
//! have ended, then lets go; a `run` that arrives as it lets go opens the
//! database itself.

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use stepyard_api::Api;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_interpreter::history::HistoryObserver;
use stepyard_interpreter::task::TaskInvoker;
use stepyard_service::Service;
use stepyard_store::{RedbStore, StoreError};

use super::EnvArgs;
use super::client::ADDRESS_FILE;

/// How long a `run` keeps trying when the database is held by a process
/// that has not written its address yet (or is letting go).
const RESOLVE_FOR: Duration = Duration::from_secs(30);
/// How long the holder keeps answering after removing its address: a
/// caller that read it just before connects in this time.
const GRACE: Duration = Duration::from_millis(250);

/// Where a run goes.
pub(super) enum Access {
    /// Another process holds the database and serves it here (`host:port`).
    Remote(String),
    /// This process opened it.
    Held(Arc<RedbStore>),
}

/// The address a live server wrote for the data directory, if it answers.
pub(super) fn live_address(data: &Path) -> Option<String> {
    let addr = std::fs::read_to_string(data.join(ADDRESS_FILE)).ok()?;
    let addr = addr.trim().to_owned();
    TcpStream::connect(&addr).is_ok().then_some(addr)
}

/// A server on the data directory if one answers, else the database, else
/// (held by a process that is starting or letting go) either, once ready.
pub(super) fn resolve(env: &EnvArgs) -> anyhow::Result<Access> {
    let deadline = Instant::now() + RESOLVE_FOR;
    loop {
        if let Some(addr) = live_address(&env.data) {
            return Ok(Access::Remote(addr));
        }
        match env.store() {
            Ok(store) => return Ok(Access::Held(store)),
            Err(e) if in_use(&e) && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e),
        }
    }
}

fn in_use(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Open { reason, .. }) if reason.starts_with("another Stepyard process"))
}

/// The service and server of a holding `run`.
pub(super) struct Holder {
    pub service: Arc<Service>,
    store: Arc<RedbStore>,
    address_file: std::path::PathBuf,
    address: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Holder {
    /// Starts the service over `store` with `tasks`, counting into
    /// `metrics`, and serves it on a loopback port. Call from inside the runtime that runs executions.
    pub(super) async fn start(
        store: Arc<RedbStore>,
        tasks: Arc<dyn TaskInvoker>,
        clock: Arc<ScaledClock>,
        metrics: Arc<stepyard_metrics::Metrics>,
        data: &Path,
    ) -> anyhow::Result<Holder> {
        let service = Arc::new(Service::new(store.clone(), Arc::new(tasks), clock).with_metrics(metrics));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on a loopback port for other runs")?;
        let address = listener.local_addr()?.to_string();
        let app = stepyard_console::router(Arc::new(Api::new(service.clone(), None)));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let address_file = data.join(ADDRESS_FILE);
        std::fs::write(&address_file, &address).with_context(|| format!("cannot write {}", address_file.display()))?;
        Ok(Holder {
            service,
            store,
            address_file,
            address,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Creates (or updates) the state machine `name` and runs one execution
    /// of it to its end, handing each event to `observer`; its ARN.
    pub(super) async fn run(
        &self,
        name: &str,
        definition: &str,
        input: &Value,
        execution_name: &str,
        observer: Arc<dyn HistoryObserver>,
    ) -> anyhow::Result<(String, Value)> {
        let service = &self.service;
        let machine = ensure_machine(service, name, definition).await?;
        let request = json!({"stateMachineArn": machine, "input": input.to_string(), "name": execution_name});
        let started = service
            .start_execution_observed(request, observer)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
        let arn = started["executionArn"].as_str().unwrap_or_default().to_owned();
        service.wait_until_ended(&arn).await;
        let described = service
            .call("DescribeExecution", json!({"executionArn": arn}))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
        Ok((arn, described))
    }

    /// Waits for the executions run for others, stops serving, and lets
    /// the database go.
    pub(super) async fn let_go(mut self) {
        self.wait_for_others().await;
        // Only our own address: a server that took over keeps its file.
        if std::fs::read_to_string(&self.address_file).is_ok_and(|a| a.trim() == self.address) {
            let _ = std::fs::remove_file(&self.address_file);
        }
        real_sleep(GRACE).await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.wait_for_others().await;
        self.service.suspend_all();
        self.service.flush_metrics();
        self.store.close();
    }

    async fn wait_for_others(&self) {
        while self.service.running_count() > 0 {
            real_sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Sleeps in real time, even on a runtime whose clock is paused (virtual
/// time would skip a tokio sleep at once and spin).
async fn real_sleep(duration: Duration) {
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(duration)).await;
}

/// The machine `name` with `definition`: created, or updated when it exists.
pub(super) async fn ensure_machine(service: &Arc<Service>, name: &str, definition: &str) -> anyhow::Result<String> {
    let role = "arn:aws:iam::123456789012:role/StepyardExecutionRole";
    let fail = |e: stepyard_service::ServiceError| anyhow::anyhow!("{}: {}", e.code, e.message);
    match service
        .call(
            "CreateStateMachine",
            json!({"name": name, "definition": definition, "roleArn": role}),
        )
        .await
    {
        Ok(created) => Ok(created["stateMachineArn"].as_str().unwrap_or_default().to_owned()),
        Err(e) if e.code == "StateMachineAlreadyExists" => {
            let arn = service.location().state_machine_arn(name);
            service
                .call(
                    "UpdateStateMachine",
                    json!({"stateMachineArn": arn, "definition": definition}),
                )
                .await
                .map_err(fail)?;
            Ok(arn)
        }
        Err(e) => Err(fail(e)),
    }
}
