//! Measuring one task attempt: its peak memory (seen by the store's
//! resource limiter), its CPU time (the polling thread's, around each poll
//! of the guest), its table reads and writes, log lines and output size.

use std::future::Future;
use std::time::Duration;

use wasmtime::{ResourceLimiter, StoreLimits};

/// The store's limits, noting the largest memory they allowed.
pub(crate) struct Limiter {
    pub limits: StoreLimits,
    /// The largest linear memory granted, in bytes (a warm instance keeps
    /// its memory between calls, so this is its size so far).
    pub peak_memory: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// How long a guest has computed without calling the host, in epoch
/// ticks: what tells a spinning guest from one that computes a little
/// between table calls.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ComputeTicks {
    /// Ticks seen since the guest last called the host.
    pub since_host_call: u32,
    /// Ticks the guest spent computing in this call (each one it ran
    /// through from start to end without calling the host).
    pub computing: u64,
    /// Whether the call was stopped for its CPU limit.
    pub cpu_limit_reached: bool,
}

impl ComputeTicks {
    /// The guest called the host: it is not spinning.
    pub(crate) fn called_host(&mut self) {
        self.since_host_call = 0;
    }

    /// An epoch tick found the guest running; whether it has now computed
    /// through a whole tick without calling the host.
    pub(crate) fn tick(&mut self) -> bool {
        self.since_host_call = self.since_host_call.saturating_add(1);
        // The first tick may come just after the guest started or came
        // back from the host; the second one means a whole tick of work.
        let computing = self.since_host_call >= 2;
        if computing {
            self.computing += 1;
        }
        computing
    }
}

/// What one call did through its imports.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counters {
    pub kv_reads: u32,
    pub kv_read_bytes: u64,
    pub kv_writes: u32,
    pub kv_write_bytes: u64,
    /// Calls refused by the plugin's role.
    pub denials: u64,
}

/// The CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into `now`, which lives
    // for the call; CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec.max(0) as u64, now.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// Runs `future`, adding to `cpu` the CPU time each of its polls took: the
/// guest runs inside those polls (and its host calls with it), on whatever
/// thread polls it, so time spent waiting for a commit or a slot is not
/// counted.
pub(crate) async fn measuring_cpu<F: Future>(future: F, cpu: &mut Duration) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let before = thread_cpu();
        let polled = future.as_mut().poll(cx);
        *cpu += thread_cpu().saturating_sub(before);
        polled
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cpu_time_counts_work_inside_polls_and_not_sleeping() {
        let mut cpu = Duration::ZERO;
        measuring_cpu(tokio::time::sleep(Duration::from_millis(50)), &mut cpu).await;
        assert!(cpu < Duration::from_millis(20), "sleeping used {cpu:?}");
        let mut cpu = Duration::ZERO;
        // Spins until the thread has used 20 ms of CPU, however busy the
        // machine is.
        let spin = async {
            let start = thread_cpu();
            let mut x = 0u64;
            while thread_cpu().saturating_sub(start) < Duration::from_millis(20) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            x
        };
        measuring_cpu(spin, &mut cpu).await;
        assert!(cpu >= Duration::from_millis(20), "spinning used {cpu:?}");
        assert!(cpu < Duration::from_secs(2), "spinning used {cpu:?}");
    }

    #[test]
    fn the_limiter_remembers_the_largest_memory_it_allowed() {
        let limits = wasmtime::StoreLimitsBuilder::new().memory_size(1 << 20).build();
        let mut limiter = Limiter { limits, peak_memory: 0 };
        assert!(limiter.memory_growing(0, 65536, None).unwrap());
        assert!(limiter.memory_growing(65536, 1 << 19, None).unwrap());
        assert!(
            !limiter.memory_growing(1 << 19, 1 << 21, None).unwrap(),
            "over the limit"
        );
        assert_eq!(limiter.peak_memory, 1 << 19);
    }
}
