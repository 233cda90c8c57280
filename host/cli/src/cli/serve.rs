//! `stepyard serve`: the Step Functions API over HTTP, with durable
//! executions that resume after a restart.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use stepyard_alerts::{Alerts, RulesFile};
use stepyard_api::Api;
use stepyard_api::auth::AuthConfig;
use stepyard_interpreter::clock::ScaledClock;
use stepyard_metrics::Metrics;
use stepyard_runtime::PluginFolder;
use stepyard_service::audit::AuditSettings;
use stepyard_service::{DEFAULT_EXECUTION_RETENTION, DEFAULT_METRICS_RETENTION, Location, Service};
use stepyard_store::{AuditLog, RedbStore};

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8083")]
    listen: SocketAddr,
    /// Require AWS Signature Version 4 from callers, with the keys and
    /// policies of this file (see the README). Without it, only loopback
    /// addresses are allowed.
    #[arg(long, value_name = "FILE")]
    auth: Option<PathBuf>,
    /// Multiply every wait, retry interval and timeout by F (e.g. 0.001
    /// for tests).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    time_scale: f64,
    /// Do not count executions, states, tasks and requests (`/metrics`
    /// then answers 404).
    #[arg(long)]
    no_metrics: bool,
    /// Do not keep each task attempt's time and resources (CPU, memory,
    /// table reads and writes) beside the history.
    #[arg(long)]
    no_usage: bool,
    /// Keep per-minute metrics (the console's dashboard, `stepyard
    /// metrics`) this long: e.g. 15d (the default, as CloudWatch keeps
    /// one-minute figures), 12h, 90m.
    #[arg(long, value_name = "AGE", value_parser = super::duration::parse_age)]
    metrics_retention: Option<std::time::Duration>,
    /// Delete closed executions (with their histories, log lines and usage)
    /// this long after they end: 90d by default, as AWS keeps them.
    #[arg(long, value_name = "AGE", value_parser = super::duration::parse_age)]
    execution_retention: Option<std::time::Duration>,
    /// Delete log lines this long after their execution's first line
    /// (each state machine is a log group). By default lines go with their
    /// execution.
    #[arg(long, value_name = "AGE", value_parser = super::duration::parse_age)]
    log_retention: Option<std::time::Duration>,
    /// Keep at most this much of each log group's lines (`512MiB`, `1GiB`,
    /// the default): the oldest executions' lines go first.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = super::duration::parse_size)]
    log_group_size: u64,
    /// Keep no audit trail: API calls and refused plugin imports are not
    /// recorded (records already kept stay, and still age out).
    #[arg(long)]
    no_audit: bool,
    /// How long audit records are kept (`12h`, `30d`…; CloudTrail's event
    /// history keeps 90 days).
    #[arg(long, value_name = "AGE", default_value = "90d", value_parser = super::duration::parse_age)]
    audit_retention: std::time::Duration,
    /// Record the values of sensitive fields (definitions, inputs, outputs,
    /// errors, causes) instead of HIDDEN_DUE_TO_SECURITY_REASONS.
    #[arg(long, conflicts_with = "no_audit")]
    audit_data: bool,
    /// Event rules and metric alarms with their targets (webhooks,
    /// commands, files, executions): a JSON file, see the README.
    #[arg(long, value_name = "FILE")]
    alerts: Option<PathBuf>,
    /// A Step Functions Local MockConfigFile: StartExecution on
    /// `…:stateMachine:NAME#CASE` runs with that test case's mocks in front
    /// of the plugins.
    #[arg(long, value_name = "FILE", env = "SFN_MOCK_CONFIG")]
    mock_config: Option<PathBuf>,
}

pub(super) fn serve(args: ServeArgs, env: &super::EnvArgs) -> anyhow::Result<ExitCode> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        bail!("--time-scale must be a positive number, got {}", args.time_scale);
    }
    if args.auth.is_none() && !args.listen.ip().is_loopback() {
        bail!(
            "refusing to listen on {} without --auth: anyone who can reach it could run workflows. \
             Use a loopback address or give --auth FILE",
            args.listen
        );
    }
    let rules = match &args.alerts {
        Some(path) => RulesFile::load(path)?,
        None => RulesFile::default(),
    };
    if args.no_metrics && !rules.alarms.is_empty() {
        bail!(
            "the alarms of {} need the metrics: drop --no-metrics",
            args.alerts.as_deref().unwrap_or(std::path::Path::new("")).display()
        );
    }
    let store = match env.store {
        super::env::StoreKind::Redb => env.store()?,
        super::env::StoreKind::Memory => Arc::new(RedbStore::in_memory()?),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    store.keep_audit_for(args.audit_retention)?;
    let audit = (!args.no_audit).then_some(AuditSettings {
        include_data: args.audit_data,
    });
    let metrics = (!args.no_metrics).then(|| Arc::new(Metrics::new()));
    let mut plugin_runtime = env.runtime()?.with_usage(!args.no_usage);
    if let Some(metrics) = &metrics {
        plugin_runtime = plugin_runtime.with_metrics(metrics.clone());
    }
    let folder = Arc::new(PluginFolder::new_audited(
        plugin_runtime,
        env.plugins.clone(),
        store.clone(),
        store.clone(),
        audit.map(|_| store.clone() as Arc<dyn AuditLog>),
    ));
    for p in folder.host().problems() {
        eprintln!("warning: {p}");
    }
    let auth = match &args.auth {
        Some(path) => Some(Arc::new(AuthConfig::load(path)?)),
        None => None,
    };
    let clock = Arc::new(ScaledClock::new(args.time_scale));
    let catalog = folder.clone();
    let mut service = Service::new(store.clone(), folder, clock)
        .with_plugin_catalog(Arc::new(move || catalog.host().describe()))
        .with_audit(audit);
    if let Some(file) = &args.mock_config {
        let config = stepyard_testkit::mock_config::MockConfig::load(file)?;
        service = service.with_test_cases(Arc::new(MockedCases(config)));
    }
    if let Some(auth) = &auth {
        let here = Location {
            account: auth.account().to_owned(),
            ..Location::default()
        };
        service = service.with_roles(auth.clone()).with_location(here);
    }
    if let Some(metrics) = &metrics {
        service = service.with_metrics(metrics.clone());
    }
    let alerts = {
        let _inside = runtime.enter();
        let here = service.location();
        let alerts = Alerts::start(rules, &here.account, &here.region, metrics.clone());
        alerts.remember_in(env.data.join("alerts-state.json"));
        alerts
    };
    let service = Arc::new(service.with_status_listener(Arc::new(super::alerts::Listener(alerts.clone()))));
    let through = Arc::new(super::alerts::Through(Arc::downgrade(&service)));
    alerts.set_starter(through.clone());
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let resumed = service
            .resume_all()
            .await
            .context("cannot resume the running executions")?;
        service.keep_metrics(args.metrics_retention.unwrap_or(DEFAULT_METRICS_RETENTION));
        service.keep_executions(args.execution_retention.unwrap_or(DEFAULT_EXECUTION_RETENTION));
        service.keep_logs(stepyard_store::LogRetention {
            max_age_millis: args.log_retention.map(|d| d.as_millis().min(u64::MAX as u128) as u64),
            max_bytes: Some(args.log_group_size),
        });
        alerts.run_alarms(through);
        if let Some(metrics) = metrics.clone() {
            // How audited changes committed, from the store's counters.
            let store = store.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    every.tick().await;
                    let stats = store.commit_stats();
                    metrics.audited_changes(stats.bound, stats.unbound);
                }
            });
        }
        let address = listener.local_addr()?;
        // The CLI's `executions`/`history`/`describe` find the server here.
        let address_file = env.data.join(super::client::ADDRESS_FILE);
        std::fs::create_dir_all(&env.data).ok();
        std::fs::write(&address_file, address.to_string())
            .with_context(|| format!("cannot write {}", address_file.display()))?;
        eprintln!(
            "stepyard serve: listening on http://{address} ({}; data in {}{})",
            if args.auth.is_some() {
                "SigV4 authentication required"
            } else {
                "no authentication, loopback only"
            },
            store.path().display(),
            if resumed > 0 {
                format!("; resumed {resumed} running executions")
            } else {
                String::new()
            }
        );
        let mut api = Api::new(service.clone(), auth.clone());
        if let Some(metrics) = &metrics {
            api = api.with_metrics(metrics.clone());
        }
        let app = stepyard_console::router(Arc::new(api));
        // Each call's audit record names the caller's address.
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the server stopped")?;
        anyhow::Ok(())
    });
    // Executions still running resume from their checkpoints next time.
    service.suspend_all();
    service.flush_metrics();
    let _ = std::fs::remove_file(env.data.join(super::client::ADDRESS_FILE));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    store.close();
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM: stop taking requests; running executions are left
/// to resume at the next start.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The MockConfigFile's test cases, for `ARN#CASE` starts.
struct MockedCases(stepyard_testkit::mock_config::MockConfig);

impl stepyard_service::TestCases for MockedCases {
    fn mocked(
        &self,
        machine: &str,
        case: &str,
        inner: Arc<dyn stepyard_interpreter::task::TaskInvoker>,
    ) -> Result<Arc<dyn stepyard_interpreter::task::TaskInvoker>, String> {
        let mocks = self.0.mocks(machine, case).map_err(|e| e.to_string())?;
        Ok(Arc::new(stepyard_testkit::mocks::MockInvoker::new(
            Arc::new(mocks),
            inner,
        )))
    }
}
