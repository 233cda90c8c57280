//! What the bench measures besides the server's own counters: the disk's
//! sync latency, this process's CPU and I/O, percentiles.

use std::path::Path;
use std::time::{Duration, Instant};

/// fdatasync latency of a 4 KiB write in `dir` now (p50, p99): the disk
/// this VM gets varies, and every commit waits for one.
pub(crate) fn fsync_probe(dir: &Path) -> (Duration, Duration) {
    use std::os::unix::fs::FileExt;
    let path = dir.join("fsync-probe");
    let file = std::fs::File::create(&path).expect("the probe file");
    file.set_len(16 << 20)
        .and_then(|_| file.sync_all())
        .expect("the probe file");
    let page = [7u8; 4096];
    let mut times: Vec<Duration> = (0..60u64)
        .map(|i| {
            file.write_at(&page, (i * 7919 % 4096) * 4096).expect("a probe write");
            let t = Instant::now();
            file.sync_data().expect("fdatasync");
            t.elapsed()
        })
        .collect();
    let _ = std::fs::remove_file(path);
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub(crate) fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What this process used so far, from /proc (Linux).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    /// CPU seconds in user space and in the kernel.
    pub user: f64,
    pub system: f64,
    /// Bytes written towards the disk (page-cache writes included).
    pub written: u64,
}

impl Usage {
    pub(crate) fn now() -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
        let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
        let written = io
            .lines()
            .find_map(|l| l.strip_prefix("write_bytes:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Some(Usage {
            user: ticks(11)? / 100.0,
            system: ticks(12)? / 100.0,
            written,
        })
    }

    /// CPU seconds of this process's threads named `name` (user + system).
    pub(crate) fn thread_cpu(name: &str) -> f64 {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return 0.0;
        };
        tasks
            .filter_map(Result::ok)
            .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
            .filter_map(|t| {
                let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
            })
            .sum()
    }

    pub(crate) fn since(self, before: Usage) -> Usage {
        Usage {
            user: self.user - before.user,
            system: self.system - before.system,
            written: self.written.saturating_sub(before.written),
        }
    }
}

pub(crate) fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
