//! Metrics over time: the per-minute figures the metrics layer gathers are
//! stored every few seconds, expired after their retention, and read back
//! by `Stepyard.GetMetricData` (the console's dashboard, `stepyard
//! metrics`), merged with the minutes not yet stored.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Service, ServiceError, ServiceResult};
use stepyard_metrics::{Aggregate, SeriesKey, minute_of};

/// How often closed minutes are handed to the store.
const STORE_EVERY: Duration = Duration::from_secs(5);
/// How often minutes past their retention are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(600);
/// Rows deleted per expiry job (each its own short write).
const EXPIRE_BATCH: usize = 2000;
/// The longest range one request may cover: CloudWatch keeps one-minute
/// figures for 15 days.
const MAX_RANGE_MINUTES: u64 = 15 * 24 * 60;

/// How long per-minute metrics are kept by default (CloudWatch keeps
/// one-minute data points for 15 days).
pub const DEFAULT_METRICS_RETENTION: Duration = Duration::from_secs(15 * 24 * 3600);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetricDataRequest {
    /// Epoch seconds.
    start_time: f64,
    /// Epoch seconds; now when absent.
    end_time: Option<f64>,
    /// Only this state machine's series (and none of the plugins').
    state_machine: Option<String>,
    /// Seconds per point: a multiple of 60 (60 by default).
    period: Option<u64>,
}

impl Service {
    /// Stores the closed minutes every few seconds and deletes those older
    /// than `retention`, until the runtime stops. Nothing happens without
    /// metrics.
    pub fn keep_metrics(self: &Arc<Self>, retention: Duration) {
        let Some(metrics) = self.metrics.clone() else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            let mut store_tick = tokio::time::interval(STORE_EVERY);
            let mut last_expiry: Option<tokio::time::Instant> = None;
            loop {
                store_tick.tick().await;
                let rows = metrics.minutes().take_closed(wall_millis(), false);
                this.store_minutes(rows);
                if last_expiry.is_none_or(|t| t.elapsed() >= EXPIRE_EVERY) {
                    last_expiry = Some(tokio::time::Instant::now());
                    let before = minute_of(wall_millis().saturating_sub(retention.as_millis() as u64));
                    this.expire_minutes(before).await;
                }
            }
        });
    }

    /// Stores every minute still in memory (at shutdown).
    pub fn flush_metrics(&self) {
        if let Some(metrics) = &self.metrics {
            let rows = metrics.minutes().take_closed(wall_millis(), true);
            self.store_minutes(rows);
        }
    }

    fn store_minutes(&self, rows: Vec<(u64, SeriesKey, Aggregate)>) {
        let rows = rows
            .into_iter()
            .map(|(minute, key, aggregate)| (minute, key.encode(), aggregate.encode()))
            .collect();
        self.store.add_metric_minutes(rows, Aggregate::merge_encoded);
    }

    async fn expire_minutes(&self, before: u64) {
        let mut dropped = 0;
        loop {
            match self.store.expire_metric_minutes(before, EXPIRE_BATCH).await {
                Ok(n) => {
                    dropped += n;
                    if n < EXPIRE_BATCH as u64 {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("stepyard: expiring metrics failed: {e}");
                    break;
                }
            }
        }
        if let Some(metrics) = &self.metrics {
            metrics.retention_dropped("metric_minutes", dropped);
        }
    }

    /// Every series' figures of the minutes `from..to` (minutes since the
    /// Unix epoch): those stored and those still in memory, one entry per
    /// part (a minute may come in two parts to merge).
    pub fn metric_minutes(&self, from: u64, to: u64) -> ServiceResult<Vec<(u64, SeriesKey, Aggregate)>> {
        let mut minutes: Vec<(u64, SeriesKey, Aggregate)> = Vec::new();
        for (minute, key, bytes) in self.store.metric_minutes(from, to)? {
            if let (Some(key), Some(aggregate)) = (SeriesKey::decode(&key), Aggregate::decode(&bytes)) {
                minutes.push((minute, key, aggregate));
            }
        }
        if let Some(metrics) = &self.metrics {
            minutes.extend(metrics.minutes().snapshot(from).into_iter().filter(|(m, ..)| *m < to));
        }
        Ok(minutes)
    }

    /// `Stepyard.GetMetricData`: every series in the range, as points per
    /// period and a summary over the whole range.
    pub(crate) fn get_metric_data(&self, req: MetricDataRequest) -> ServiceResult<Value> {
        let period = req.period.unwrap_or(60);
        if period == 0 || !period.is_multiple_of(60) {
            return Err(ServiceError::validation(format!(
                "period must be a positive multiple of 60 seconds, got {period}"
            )));
        }
        let end_millis = req.end_time.map_or_else(wall_millis, |s| (s.max(0.0) * 1000.0) as u64);
        let from = minute_of((req.start_time.max(0.0) * 1000.0) as u64);
        let to = minute_of(end_millis) + 1;
        if from >= to {
            return Err(ServiceError::validation("startTime must be before endTime"));
        }
        if to - from > MAX_RANGE_MINUTES {
            return Err(ServiceError::validation(format!(
                "the range may cover at most {} days",
                MAX_RANGE_MINUTES / 1440
            )));
        }
        let minutes = self.metric_minutes(from, to)?;
        let step = period / 60;
        // Series → period start → figures; and series → the whole range.
        let mut points: BTreeMap<SeriesKey, BTreeMap<u64, Aggregate>> = BTreeMap::new();
        let mut totals: BTreeMap<SeriesKey, Aggregate> = BTreeMap::new();
        for (minute, key, aggregate) in minutes {
            if req.state_machine.as_ref().is_some_and(|m| *m != key.state_machine) {
                continue;
            }
            let bucket = from + (minute - from) / step * step;
            totals.entry(key.clone()).or_default().merge(&aggregate);
            points
                .entry(key)
                .or_default()
                .entry(bucket)
                .or_default()
                .merge(&aggregate);
        }
        let series: Vec<Value> = points
            .into_iter()
            .map(|(key, by_period)| {
                let total = &totals[&key];
                let mut out = series_json(&key);
                out["summary"] = figures(total);
                out["points"] = by_period
                    .iter()
                    .map(|(minute, a)| {
                        let mut point = figures(a);
                        point["timestamp"] = json!(minute * 60);
                        point
                    })
                    .collect();
                out
            })
            .collect();
        Ok(json!({
            "startTime": from * 60,
            "endTime": to * 60,
            "period": period,
            "series": series,
        }))
    }
}

fn series_json(key: &SeriesKey) -> Value {
    let mut out = json!({"metric": key.metric});
    for (field, value) in [
        ("stateMachine", &key.state_machine),
        ("state", &key.state),
        ("plugin", &key.plugin),
    ] {
        if !value.is_empty() {
            out[field] = json!(value);
        }
    }
    out
}

/// CloudWatch's statistics of one aggregate: SampleCount, Sum, Minimum,
/// Maximum, and for durations (milliseconds) p50, p95, p99.
fn figures(a: &Aggregate) -> Value {
    let mut out = json!({
        "sampleCount": a.count,
        "sum": a.sum,
        "minimum": a.min,
        "maximum": a.max,
    });
    for (name, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
        if let Some(v) = a.quantile(q) {
            out[name] = json!((v * 1000.0).round() / 1000.0);
        }
    }
    out
}

/// Metrics are kept by the wall clock, whatever clock executions run on.
fn wall_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
