//! What a plugin can call: the WIT imports, each checked against the
//! plugin's role on every call. Denial is a value the guest sees
//! (`access-denied`), recorded in the log; it never traps.

use std::sync::Arc;

use serde_json::Value;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::stepyard::plugin::{kv, log, permissions, types};
use stepyard_policy::Decision;
use stepyard_policy::arn::{ACCOUNT, REGION, table_arn};
use stepyard_store::{AuditLog, Condition, Item, KvStore, Level, LogLine, MAX_PAGE_ITEMS, StoreError};

use crate::quota::{MAX_DENIAL_RECORDS, QuotaExceeded, QuotaUse, table_write};

/// Caps on one log line, so a hostile plugin cannot exhaust host memory
/// or disk through its imports (the call's quotas bound the lines).
const MAX_LOG_BYTES: usize = 8 * 1024;
const MAX_LOG_FIELDS: usize = 32;
const MAX_FIELD_NAME_BYTES: usize = 128;
const MAX_FIELD_VALUE_BYTES: usize = 1024;

/// What the host knows about the plugin making calls.
pub(crate) struct Caller {
    pub plugin: Arc<super::PluginInfo>,
    pub function: String,
    pub execution_arn: String,
    pub state_name: String,
    /// The task's idempotency key (which entry of the state calls).
    pub entry: String,
    /// 0 for the first attempt, then 1, 2… for each retry.
    pub attempt: u32,
    /// Where denials are counted, if anywhere.
    pub metrics: Option<Arc<stepyard_metrics::Metrics>>,
}

/// The per-call store data.
pub(crate) struct CallState {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: super::usage::Limiter,
    /// What this call did through its imports.
    pub counters: super::usage::Counters,
    pub caller: Caller,
    pub kv: Arc<dyn KvStore>,
    /// Where refused imports are recorded (the audit trail), if anywhere.
    pub audit: Option<Arc<dyn AuditLog>>,
    pub logs: Vec<LogLine>,
    /// What the call has used of its quotas.
    pub quota_use: QuotaUse,
    /// How the guest shares the CPU (see `call::limit_time`).
    pub compute: super::usage::ComputeTicks,
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
    /// Bytes of stdout/stderr already turned into log lines (warm instances).
    pub stdout_seen: usize,
    pub stderr_seen: usize,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl CallState {
    fn authorize(&mut self, action: &str, resource: &str) -> Result<(), String> {
        let role = &self.caller.plugin.manifest.role;
        if role.allows(action, resource) {
            return Ok(());
        }
        let decision = role.check(action, resource);
        let why = match decision {
            Decision::ExplicitlyDenied { .. } => "with an explicit deny in an identity-based policy".to_owned(),
            _ => format!("because no identity-based policy allows the {action} action"),
        };
        let message = format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/{}-role/{} is not authorized to perform: {action} on resource: {resource} {why}",
            self.caller.plugin.name, self.caller.function
        );
        if let Some(metrics) = &self.caller.metrics {
            metrics.policy_denied(&self.caller.plugin.name, action);
        }
        // A plugin looping on a refused call must not fill the log and the
        // audit trail: past the first denials of a call they are counted,
        // and the count is said once when the call ends.
        let denials = &mut self.counters.denials;
        *denials += 1;
        if *denials > MAX_DENIAL_RECORDS {
            self.quota_use.unrecorded_denials += 1;
            return Err(message);
        }
        self.host_log(Level::Warn, format!("AccessDenied: {message}"));
        if let Some(audit) = &self.audit {
            // Queued now, written with the next group commit; the guest
            // need not wait for it (a refusal changes nothing).
            drop(audit.record(&super::denial::record(&self.caller, action, resource, &message)));
        }
        Err(message)
    }

    /// A line from the host itself (denials, traps, what was dropped),
    /// attributed to `stepyard`. It never counts against the plugin's quotas.
    pub(crate) fn host_log(&mut self, level: Level, mut message: String) {
        truncate(&mut message, MAX_LOG_BYTES);
        self.push_log("stepyard".to_owned(), level, message, Vec::new());
    }

    /// A line the plugin logged, capped and counted against its quotas.
    fn plugin_log(
        &mut self,
        level: Level,
        mut message: String,
        fields: Vec<(String, String)>,
    ) -> Result<(), QuotaExceeded> {
        truncate(&mut message, MAX_LOG_BYTES);
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .take(MAX_LOG_FIELDS)
            .map(|(mut k, mut v)| {
                truncate(&mut k, MAX_FIELD_NAME_BYTES);
                truncate(&mut v, MAX_FIELD_VALUE_BYTES);
                (k, v)
            })
            .collect();
        let bytes = message.len() + fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        let quotas = self.caller.plugin.manifest.quotas;
        self.quota_use.log_line(bytes as u64, &quotas)?;
        let source = self.caller.plugin.name.clone();
        self.push_log(source, level, message, fields);
        Ok(())
    }

    /// A line printed to stdout or stderr, kept while the line quota lasts
    /// (the pipes are capped, so these are bounded anyway); how many lines
    /// went past it is said when the call ends.
    pub(crate) fn printed_line(&mut self, level: Level, message: &str, stream: &str) {
        let quotas = self.caller.plugin.manifest.quotas;
        if self.quota_use.log_line(message.len() as u64, &quotas).is_err() {
            self.quota_use.dropped_lines += 1;
            return;
        }
        let mut message = message.to_owned();
        truncate(&mut message, MAX_LOG_BYTES);
        let source = self.caller.plugin.name.clone();
        self.push_log(source, level, message, vec![("stream".to_owned(), stream.to_owned())]);
    }

    fn push_log(&mut self, source: String, level: Level, message: String, fields: Vec<(String, String)>) {
        self.logs.push(LogLine {
            timestamp: stepyard_asl::timestamp::format_millis(chrono::Utc::now()),
            execution_arn: self.caller.execution_arn.clone(),
            state_name: self.caller.state_name.clone(),
            source,
            level,
            message,
            fields,
            entry: Some(self.caller.entry.clone()),
            attempt: Some(self.caller.attempt),
        });
    }

    fn read(&mut self, bytes: usize) {
        self.counters.kv_reads += 1;
        self.counters.kv_read_bytes += bytes as u64;
    }

    /// Counts a table write of `bytes`, or stops the call past its quota.
    fn wrote(&mut self, bytes: usize) -> wasmtime::Result<()> {
        let quotas = self.caller.plugin.manifest.quotas;
        let c = &self.counters;
        if let Err(e) = table_write(c.kv_writes as u64, c.kv_write_bytes, bytes as u64, &quotas) {
            return Err(self.quota_stop(e));
        }
        self.counters.kv_writes += 1;
        self.counters.kv_write_bytes += bytes as u64;
        Ok(())
    }

    /// A put of any kind: checked against the role, counted against the
    /// quotas, then awaited until durable.
    async fn put_with(
        &mut self,
        table: String,
        key: String,
        value: String,
        condition: Condition,
    ) -> wasmtime::Result<Result<u64, kv::KvError>> {
        if let Err(e) = self.table_call("dynamodb:PutItem", &table) {
            return Ok(Err(e));
        }
        self.wrote(key.len() + value.len())?;
        Ok(self
            .kv
            .put_async(&table, &key, &value, condition)
            .await
            .map_err(store_error))
    }

    /// The trap that stops a call past a quota, counted in the metrics.
    fn quota_stop(&mut self, e: QuotaExceeded) -> wasmtime::Error {
        if let Some(metrics) = &self.caller.metrics {
            metrics.quota_exceeded(&self.caller.plugin.name, e.quota);
        }
        wasmtime::Error::new(e)
    }

    fn table_call(&mut self, action: &str, table: &str) -> Result<(), kv::KvError> {
        self.compute.called_host();
        let arn = table_arn(table);
        self.authorize(action, &arn).map_err(kv::KvError::AccessDenied)
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…[truncated]");
    }
}

fn store_error(e: StoreError) -> kv::KvError {
    match e {
        StoreError::ConditionFailed(m) => kv::KvError::ConditionFailed(format!("The conditional request failed: {m}")),
        StoreError::Invalid(m) => kv::KvError::Invalid(m),
        other => kv::KvError::Internal(other.to_string()),
    }
}

fn item(i: Item) -> kv::Item {
    kv::Item {
        key: i.key,
        value: i.value,
        version: i.version,
    }
}

impl types::Host for CallState {}

impl kv::Host for CallState {
    fn get(&mut self, table: String, key: String) -> Result<Option<kv::Item>, kv::KvError> {
        self.table_call("dynamodb:GetItem", &table)?;
        let found = self.kv.get(&table, &key).map_err(store_error)?;
        self.read(found.iter().map(|i| i.value.len()).sum());
        Ok(found.map(item))
    }

    async fn put(&mut self, table: String, key: String, value: String) -> wasmtime::Result<Result<u64, kv::KvError>> {
        self.put_with(table, key, value, Condition::Always).await
    }

    async fn put_if_absent(
        &mut self,
        table: String,
        key: String,
        value: String,
    ) -> wasmtime::Result<Result<u64, kv::KvError>> {
        self.put_with(table, key, value, Condition::Absent).await
    }

    async fn put_if_version(
        &mut self,
        table: String,
        key: String,
        value: String,
        expected: u64,
    ) -> wasmtime::Result<Result<u64, kv::KvError>> {
        self.put_with(table, key, value, Condition::Version(expected)).await
    }

    async fn update(
        &mut self,
        table: String,
        key: String,
        changes: String,
    ) -> wasmtime::Result<Result<kv::Item, kv::KvError>> {
        if let Err(e) = self.table_call("dynamodb:UpdateItem", &table) {
            return Ok(Err(e));
        }
        let bytes = key.len() + changes.len();
        let changes = match serde_json::from_str::<Value>(&changes) {
            Ok(Value::Object(m)) => m,
            _ => return Ok(Err(kv::KvError::Invalid("changes must be a JSON object".into()))),
        };
        self.wrote(bytes)?;
        Ok(self
            .kv
            .update_async(&table, &key, &changes)
            .await
            .map(item)
            .map_err(store_error))
    }

    async fn delete(&mut self, table: String, key: String) -> wasmtime::Result<Result<bool, kv::KvError>> {
        if let Err(e) = self.table_call("dynamodb:DeleteItem", &table) {
            return Ok(Err(e));
        }
        self.wrote(key.len())?;
        Ok(self.kv.delete_async(&table, &key).await.map_err(store_error))
    }

    fn query(
        &mut self,
        table: String,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
    ) -> Result<kv::Page, kv::KvError> {
        self.table_call("dynamodb:Query", &table)?;
        let limit = (limit as usize).clamp(1, MAX_PAGE_ITEMS);
        let page = self
            .kv
            .query(&table, &prefix, start_after.as_deref(), limit)
            .map_err(store_error)?;
        self.read(page.items.iter().map(|i| i.key.len() + i.value.len()).sum());
        Ok(kv::Page {
            items: page.items.into_iter().map(item).collect(),
            next: page.next,
        })
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String, fields: Vec<(String, String)>) -> wasmtime::Result<()> {
        self.compute.called_host();
        let group = format!(
            "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{}",
            self.caller.function
        );
        if self.authorize("logs:PutLogEvents", &group).is_err() {
            return Ok(());
        }
        let level = match level {
            log::Level::Trace => Level::Trace,
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        };
        self.plugin_log(level, message, fields).map_err(|e| self.quota_stop(e))
    }
}

impl permissions::Host for CallState {
    fn allowed(&mut self, action: String, resource: String) -> bool {
        let resource = if resource.starts_with("arn:") {
            resource
        } else {
            table_arn(&resource)
        };
        self.caller.plugin.manifest.role.allows(&action, &resource)
    }
}
