//! Metrics kept per minute in the database file, so a dashboard shows the
//! last hours after a restart.
//!
//! Stored: (minute since the Unix epoch, series key text) → the series'
//! aggregate for that minute, as bytes the metrics layer encodes. A minute
//! written twice (a restart within it) is merged by the function the
//! caller hands over: the store knows nothing of what the bytes mean.

use redb::{ReadableTable, TableDefinition};

use super::{RedbStore, io, read_table};
use crate::StoreError;

const METRIC_MINUTES: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("metric_minutes");

/// One series' figures over one minute: (minute, series key, aggregate).
pub type MetricMinute = (u64, String, Vec<u8>);

/// Joins a stored aggregate with a new one for the same minute and series.
pub type MergeAggregates = fn(&[u8], &[u8]) -> Vec<u8>;

impl RedbStore {
    /// Stores `rows`; a row whose minute and series are already stored is
    /// merged into it with `merge`. Nobody waits for the commit.
    pub fn add_metric_minutes(&self, rows: Vec<MetricMinute>, merge: MergeAggregates) {
        if rows.is_empty() {
            return;
        }
        self.committer.submit(
            move |txn| {
                let mut table = txn.open_table(METRIC_MINUTES).map_err(io)?;
                for (minute, series, bytes) in rows {
                    let existing = table
                        .get((minute, series.as_str()))
                        .map_err(io)?
                        .map(|g| g.value().to_vec());
                    let value = match existing {
                        Some(stored) => merge(&stored, &bytes),
                        None => bytes,
                    };
                    table.insert((minute, series.as_str()), value.as_slice()).map_err(io)?;
                }
                Ok(())
            },
            |_: Result<(), StoreError>| {},
        );
    }

    /// Every series' figures for the minutes `from..to`, by minute then key.
    pub fn metric_minutes(&self, from: u64, to: u64) -> Result<Vec<MetricMinute>, StoreError> {
        let read = self.begin_read()?;
        let Some(table) = read_table(&read, METRIC_MINUTES)? else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        if from >= to {
            return Ok(rows);
        }
        for entry in table.range((from, "")..(to, "")).map_err(io)? {
            let (key, value) = entry.map_err(io)?;
            let (minute, series) = key.value();
            rows.push((minute, series.to_owned(), value.value().to_vec()));
        }
        Ok(rows)
    }

    /// Deletes up to `limit` rows of minutes before `before`; how many went.
    /// Bounded so that expiry, run as many small jobs, never holds the
    /// writer long.
    pub async fn expire_metric_minutes(&self, before: u64, limit: usize) -> Result<u64, StoreError> {
        self.committer
            .write_async(move |txn| {
                let mut table = txn.open_table(METRIC_MINUTES).map_err(io)?;
                let doomed: Vec<(u64, String)> = table
                    .range((0, "")..(before, ""))
                    .map_err(io)?
                    .take(limit)
                    .map(|e| e.map(|(k, _)| (k.value().0, k.value().1.to_owned())))
                    .collect::<Result<_, _>>()
                    .map_err(io)?;
                for (minute, series) in &doomed {
                    table.remove((*minute, series.as_str())).map_err(io)?;
                }
                Ok(doomed.len() as u64)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &[u8], b: &[u8]) -> Vec<u8> {
        let n = |x: &[u8]| std::str::from_utf8(x).unwrap().parse::<u64>().unwrap();
        (n(a) + n(b)).to_string().into_bytes()
    }

    #[tokio::test]
    async fn minutes_merge_read_by_range_and_expire() {
        let store = RedbStore::in_memory().unwrap();
        let row = |m: u64, s: &str, v: &str| (m, s.to_owned(), v.as_bytes().to_vec());
        store.add_metric_minutes(vec![row(1, "a", "2"), row(2, "a", "5"), row(3, "b", "1")], add);
        store.add_metric_minutes(vec![row(2, "a", "3")], add);
        // A write that waits behind the two that do not.
        assert_eq!(store.expire_metric_minutes(0, 10).await.unwrap(), 0);
        let rows = store.metric_minutes(2, 4).unwrap();
        assert_eq!(rows, vec![row(2, "a", "8"), row(3, "b", "1")]);
        assert_eq!(store.expire_metric_minutes(3, 10).await.unwrap(), 2);
        assert_eq!(store.metric_minutes(0, 10).unwrap(), vec![row(3, "b", "1")]);
    }
}
