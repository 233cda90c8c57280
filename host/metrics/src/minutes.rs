//! The figures kept over time: CloudWatch-style metrics summed per minute,
//! so a dashboard can show the last hours (and days) after a restart.
//!
//! Each minute holds one [`Aggregate`] per [`SeriesKey`]: a count, a sum,
//! the extremes, and (for durations) a log-scale histogram from which p50,
//! p95 and p99 are read within about 10 %. The current minute lives in
//! memory; [`MinuteRollup::take_closed`] hands closed minutes to whoever
//! stores them (the service, into the database), and [`Aggregate::merge`]
//! joins two parts of the same minute (a restart within it, or the stored
//! part and the part still in memory).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The metrics kept per minute, with CloudWatch's `AWS/States` names where
/// AWS has one.
pub const MINUTE_METRICS: &[&str] = &[
    "ExecutionsStarted",
    "ExecutionsSucceeded",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionsAborted",
    "ExecutionTime",
    "StateTime",
    "StatesFailed",
    "TaskAttempts",
    "TaskFailures",
    "TaskTimeouts",
    "TaskRetries",
    "PolicyDenials",
];

/// Which series a figure belongs to: a metric and its dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    /// One of [`MINUTE_METRICS`].
    pub metric: String,
    /// The state machine's name, when the metric is per machine.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state_machine: String,
    /// The state's name, when the metric is per state.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// The plugin's name, when the metric is per plugin.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plugin: String,
}

impl SeriesKey {
    /// The key as stored: its JSON text (stable field order).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored key read back; `None` when it is not one.
    pub fn decode(text: &str) -> Option<SeriesKey> {
        serde_json::from_str(text).ok()
    }
}

/// Histogram buckets per doubling: 4, so a bucket spans ×1.19.
const BUCKETS_PER_DOUBLING: f64 = 4.0;

/// One series' figures over one minute (or, merged, over several).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// How many values (events) were recorded.
    #[serde(rename = "n")]
    pub count: u64,
    /// Their sum (milliseconds for durations, 1 per event for counts).
    #[serde(rename = "s")]
    pub sum: f64,
    /// The smallest value.
    #[serde(rename = "lo", default)]
    pub min: f64,
    /// The largest value.
    #[serde(rename = "hi", default)]
    pub max: f64,
    /// Log-scale bucket index → values in it (durations only).
    #[serde(rename = "b", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub buckets: BTreeMap<i32, u64>,
}

impl Aggregate {
    fn count_one(&mut self) {
        self.add(1.0, false);
    }

    fn add(&mut self, value: f64, distribution: bool) {
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        if self.count == 0 || value > self.max {
            self.max = value;
        }
        self.count += 1;
        self.sum += value;
        if distribution {
            *self.buckets.entry(bucket_of(value)).or_default() += 1;
        }
    }

    /// Adds `other` (the same series over the same or another minute).
    pub fn merge(&mut self, other: &Aggregate) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
        for (bucket, n) in &other.buckets {
            *self.buckets.entry(*bucket).or_default() += n;
        }
    }

    /// The value below which `q` (0–1) of the recorded values fall, read
    /// from the histogram (the bucket's middle, clamped to min and max);
    /// `None` for a series without one.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.values().sum();
        if total == 0 {
            return None;
        }
        if q >= 1.0 {
            return Some(self.max);
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                let middle = 2f64.powf((f64::from(*bucket) + 0.5) / BUCKETS_PER_DOUBLING);
                return Some(middle.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The stored form (JSON bytes).
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A stored aggregate read back; `None` when the bytes are not one.
    pub fn decode(bytes: &[u8]) -> Option<Aggregate> {
        serde_json::from_slice(bytes).ok()
    }

    /// Two stored aggregates of one series and minute, merged (what the
    /// store calls when a minute is written twice). Unreadable parts count
    /// as empty rather than failing the write.
    pub fn merge_encoded(stored: &[u8], new: &[u8]) -> Vec<u8> {
        let mut merged = Aggregate::decode(stored).unwrap_or_default();
        merged.merge(&Aggregate::decode(new).unwrap_or_default());
        merged.encode()
    }
}

/// The bucket of a value: values below 1 (ms) share bucket 0's neighbours,
/// the rest sit at ⌊4·log2(value)⌋.
fn bucket_of(value: f64) -> i32 {
    if value <= 0.0 {
        return i32::MIN / 2;
    }
    (value.log2() * BUCKETS_PER_DOUBLING).floor().clamp(-200.0, 400.0) as i32
}

/// The minute (Unix seconds / 60) of a time in Unix milliseconds.
pub fn minute_of(unix_millis: u64) -> u64 {
    unix_millis / 60_000
}

/// One minute's series, by a hash of their key's parts: a series already
/// seen is found without building (allocating) its key.
type Minute = HashMap<u64, Vec<(SeriesKey, Aggregate)>>;

fn hash_parts(parts: [&str; 4]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The minutes not yet handed to the store.
#[derive(Debug, Default)]
pub struct MinuteRollup {
    open: Mutex<BTreeMap<u64, Minute>>,
}

impl MinuteRollup {
    /// Counts one event of `metric` at `now_millis`.
    pub(crate) fn count(&self, now_millis: u64, metric: &str, machine: &str, state: &str, plugin: &str) {
        self.with(now_millis, metric, machine, state, plugin, Aggregate::count_one);
    }

    /// Records a duration of `millis` in `metric` at `now_millis`.
    pub(crate) fn duration(&self, now_millis: u64, metric: &str, machine: &str, state: &str, millis: f64) {
        self.with(now_millis, metric, machine, state, "", |a| a.add(millis, true));
    }

    fn with(
        &self,
        now_millis: u64,
        metric: &str,
        machine: &str,
        state: &str,
        plugin: &str,
        record: impl FnOnce(&mut Aggregate),
    ) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let minute = open.entry(minute_of(now_millis)).or_default();
        let same = minute.entry(hash_parts([metric, machine, state, plugin])).or_default();
        let found = same
            .iter_mut()
            .find(|(k, _)| k.metric == metric && k.state_machine == machine && k.state == state && k.plugin == plugin);
        match found {
            Some((_, aggregate)) => record(aggregate),
            None => {
                let mut aggregate = Aggregate::default();
                record(&mut aggregate);
                let key = SeriesKey {
                    metric: metric.to_owned(),
                    state_machine: machine.to_owned(),
                    state: state.to_owned(),
                    plugin: plugin.to_owned(),
                };
                same.push((key, aggregate));
            }
        }
    }

    /// Takes the minutes before `now_millis`'s minute (all of them when
    /// `everything`, as at shutdown), for storing.
    pub fn take_closed(&self, now_millis: u64, everything: bool) -> Vec<(u64, SeriesKey, Aggregate)> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let keep = if everything {
            BTreeMap::new()
        } else {
            open.split_off(&minute_of(now_millis))
        };
        let closed = std::mem::replace(&mut *open, keep);
        drop(open);
        closed
            .into_iter()
            .flat_map(|(minute, series)| series.into_values().flatten().map(move |(k, a)| (minute, k, a)))
            .collect()
    }

    /// A copy of the minutes still in memory (not yet stored), from
    /// `from_minute` on.
    pub fn snapshot(&self, from_minute: u64) -> Vec<(u64, SeriesKey, Aggregate)> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.range(from_minute..)
            .flat_map(|(minute, series)| {
                series
                    .values()
                    .flatten()
                    .map(move |(k, a)| (*minute, k.clone(), a.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_within_a_bucket_of_the_truth() {
        let mut a = Aggregate::default();
        for ms in 1..=1000 {
            a.add(f64::from(ms), true);
        }
        for (q, truth) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = a.quantile(q).unwrap();
            assert!((got / truth - 1.0).abs() < 0.1, "p{q}: {got} vs {truth}");
        }
        assert_eq!(a.quantile(1.0), Some(1000.0), "clamped to the max");
        assert_eq!((a.count, a.min, a.max), (1000, 1.0, 1000.0));
        assert_eq!(Aggregate::default().quantile(0.5), None);
    }

    #[test]
    fn a_minute_written_twice_is_merged_not_replaced() {
        let (mut a, mut b) = (Aggregate::default(), Aggregate::default());
        a.add(10.0, true);
        b.add(30.0, true);
        b.add(50.0, true);
        let merged = Aggregate::decode(&Aggregate::merge_encoded(&a.encode(), &b.encode())).unwrap();
        assert_eq!(
            (merged.count, merged.sum, merged.min, merged.max),
            (3, 90.0, 10.0, 50.0)
        );
        assert_eq!(merged.buckets.values().sum::<u64>(), 3);
        let kept = Aggregate::decode(&Aggregate::merge_encoded(b"not json", &a.encode())).unwrap();
        assert_eq!(kept, a, "an unreadable stored part counts as empty");
    }

    #[test]
    fn closed_minutes_are_taken_and_the_open_one_stays() {
        let rollup = MinuteRollup::default();
        rollup.count(60_000, "ExecutionsStarted", "orders", "", "");
        rollup.count(61_000, "ExecutionsStarted", "orders", "", "");
        rollup.duration(125_000, "StateTime", "orders", "Pay", 12.0);
        let closed = rollup.take_closed(130_000, false);
        assert_eq!(closed.len(), 1);
        let (minute, key, aggregate) = &closed[0];
        assert_eq!(
            (*minute, key.metric.as_str(), aggregate.count),
            (1, "ExecutionsStarted", 2)
        );
        assert_eq!(rollup.snapshot(0).len(), 1, "minute 2 is still open");
        assert_eq!(rollup.take_closed(130_000, true).len(), 1);
        assert!(rollup.snapshot(0).is_empty());
        let key = SeriesKey::decode(&closed[0].1.encode()).unwrap();
        assert_eq!(key, closed[0].1);
    }
}
