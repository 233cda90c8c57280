//! Closed executions expire as on AWS: 90 days after they end by default.
//! Their records, histories, log lines and usage go together, in small
//! writes on a background task, so commits never stall behind expiry; what
//! was dropped is counted in the metrics.

use std::sync::Arc;
use std::time::Duration;

use stepyard_store::LogRetention;

use super::Service;

/// How long closed executions are kept by default (AWS keeps them 90
/// days after they end).
pub const DEFAULT_EXECUTION_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);
/// How often expired executions are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(60);
/// Executions deleted per write.
const BATCH: usize = 200;

impl Service {
    /// Deletes closed executions that ended more than `retention` ago, now
    /// and every minute, until the runtime stops.
    pub fn keep_executions(self: &Arc<Self>, retention: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EXPIRE_EVERY);
            loop {
                tick.tick().await;
                let before = this.now_millis() - retention.as_millis().min(i64::MAX as u128) as i64;
                this.expire_executions(before).await;
            }
        });
    }

    /// Deletes every execution that ended before `before_millis`, a batch
    /// per write; how many went.
    pub async fn expire_executions(&self, before_millis: i64) -> u64 {
        in_batches("executions", || async {
            let expired = self.store.expire_executions(before_millis, BATCH).await?;
            if let Some(metrics) = &self.metrics {
                metrics.retention_dropped("executions", expired.executions);
                metrics.retention_dropped("log_values", expired.log_values);
            }
            Ok(expired.executions)
        })
        .await
    }

    /// Deletes log lines that `retention` no longer keeps (by age and by
    /// size per log group), now and every minute, until the runtime stops.
    pub fn keep_logs(self: &Arc<Self>, retention: LogRetention) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EXPIRE_EVERY);
            loop {
                tick.tick().await;
                this.expire_logs(retention).await;
            }
        });
    }

    /// Deletes, a batch per write, the lines of every execution that
    /// `retention` no longer keeps; how many executions' lines went.
    pub async fn expire_logs(&self, retention: LogRetention) -> u64 {
        in_batches("log lines", || async {
            // Lines are dated by the wall clock when stored, whatever the
            // service's clock (`--time-scale`) says.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let expired = self.store.expire_logs(retention, now, BATCH).await?;
            if let Some(metrics) = &self.metrics {
                metrics.retention_dropped("log_bytes", expired.bytes);
            }
            Ok(expired.executions)
        })
        .await
    }
}

/// Runs `batch` (one write, deleting up to [`BATCH`] executions' worth)
/// until one deletes less than a full batch or fails; how many went.
async fn in_batches<F, Fut>(what: &str, mut batch: F) -> u64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, stepyard_store::StoreError>>,
{
    let mut dropped = 0;
    loop {
        match batch().await {
            Ok(count) => {
                dropped += count;
                if count < BATCH as u64 {
                    break;
                }
            }
            Err(e) => {
                eprintln!("stepyard: expiring {what} failed: {e}");
                break;
            }
        }
        // Let commits of running executions through between batches.
        tokio::task::yield_now().await;
    }
    dropped
}
