//! Time as the interpreter sees it.
//!
//! Waits, retry intervals and timeouts all go through a [`Clock`], so tests
//! and `run --time-scale` can shrink or skip real waiting while keeping the
//! order of events exactly as real time would give it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A boxed, sendable future, the shape trait objects can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The interpreter's source of time.
pub trait Clock: Send + Sync {
    /// The current instant in the clock's (possibly virtual) timeline.
    fn now(&self) -> DateTime<Utc>;
    /// Completes after `duration` of the clock's time has passed.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Tokio time, scaled: a wait of `d` takes `d × scale` of tokio time, and
/// `now()` runs `1 / scale` times faster than tokio's clock.
///
/// With `scale == 1` on a runtime whose clock is paused
/// (`tokio::runtime::Builder::start_paused`), time is fully virtual: tokio
/// jumps to the next timer whenever every task is idle, so a one-hour Wait
/// takes no real time and timers still fire in order. That is what
/// `run --time-scale 0` uses.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin_wall: DateTime<Utc>,
    origin: tokio::time::Instant,
    scale: f64,
}

impl ScaledClock {
    /// A clock starting at the system's wall time. `scale` must be positive
    /// and finite; anything else is treated as 1.
    pub fn new(scale: f64) -> ScaledClock {
        let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        ScaledClock {
            origin_wall: Utc::now(),
            origin: tokio::time::Instant::now(),
            scale,
        }
    }

    /// A clock whose timeline starts at `wall` (a test's fixed start
    /// time), so timestamps repeat from run to run in virtual time.
    pub fn starting_at(wall: DateTime<Utc>, scale: f64) -> ScaledClock {
        ScaledClock {
            origin_wall: wall,
            ..ScaledClock::new(scale)
        }
    }

    /// Real time.
    pub fn real() -> ScaledClock {
        ScaledClock::new(1.0)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.origin.elapsed().as_secs_f64() / self.scale;
        let micros = (elapsed * 1e6).min(i64::MAX as f64) as i64;
        self.origin_wall + chrono::Duration::microseconds(micros)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let scaled = duration.mul_f64(self.scale);
        Box::pin(tokio::time::sleep(scaled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn virtual_time_skips_waits_and_moves_now() {
        let clock = ScaledClock::real();
        let before = clock.now();
        let started = std::time::Instant::now();
        clock.sleep(Duration::from_secs(3600)).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let advanced = clock.now() - before;
        assert!(advanced >= chrono::Duration::seconds(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_runs_now_faster() {
        let clock = ScaledClock::new(0.01);
        let before = clock.now();
        clock.sleep(Duration::from_secs(100)).await; // 1 s of tokio time
        let advanced = clock.now() - before;
        assert!(advanced >= chrono::Duration::seconds(99), "{advanced}");
    }
}
