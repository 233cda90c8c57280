//! Retry policy: which retrier applies, and how long to wait.

use std::time::Duration;

use rand::Rng;

use super::error::Failure;
use stepyard_asl::definition::{Jitter, Retrier};

/// Attempts used per retrier, for one state entry.
#[derive(Debug, Default)]
pub(crate) struct RetryState {
    attempts: Vec<u64>,
    /// Retries so far, across all retriers (`$$.State.RetryCount`).
    pub total: u32,
    /// Which retriers were used, and which one ran out.
    pub trace: crate::outcomes::RetryTrace,
}

impl RetryState {
    /// The wait before the next attempt, or `None` when `failure` is not
    /// retried. Only the first retrier whose `ErrorEquals` matches counts;
    /// once it is exhausted the error goes on to `Catch`.
    pub(crate) fn next_delay(&mut self, retriers: &[Retrier], failure: &Failure) -> Option<Duration> {
        if self.attempts.len() < retriers.len() {
            self.attempts.resize(retriers.len(), 0);
        }
        let (i, retrier) = retriers
            .iter()
            .enumerate()
            .find(|(_, r)| failure.matches(&r.error_equals))?;
        let done = self.attempts[i];
        if done >= retrier.max_attempts {
            self.trace.exhausted = Some(i);
            return None;
        }
        if i < 64 {
            self.trace.used |= 1 << i;
        }
        self.attempts[i] += 1;
        self.total += 1;
        Some(delay(retrier, done, &mut rand::rng()))
    }
}

/// `IntervalSeconds × BackoffRate^attempt`, capped by `MaxDelaySeconds`,
/// and with FULL jitter a uniform draw in `[0, delay]`.
pub(crate) fn delay(retrier: &Retrier, attempt: u64, rng: &mut impl Rng) -> Duration {
    let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut seconds = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(exponent);
    if let Some(max) = retrier.max_delay_seconds {
        seconds = seconds.min(max as f64);
    }
    // A year is more than any execution may last; it also keeps Duration finite.
    seconds = seconds.clamp(0.0, 366.0 * 24.0 * 3600.0);
    if retrier.jitter == Jitter::Full {
        seconds = rng.random_range(0.0..=seconds);
    }
    Duration::from_secs_f64(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrier(interval: u64, max: u64, rate: f64, cap: Option<u64>, jitter: Jitter) -> Retrier {
        Retrier {
            error_equals: vec!["States.ALL".into()],
            interval_seconds: interval,
            max_attempts: max,
            backoff_rate: rate,
            max_delay_seconds: cap,
            jitter,
        }
    }

    #[test]
    fn backoff_grows_geometrically() {
        let r = retrier(3, 5, 2.0, None, Jitter::None);
        let mut rng = rand::rng();
        let secs: Vec<u64> = (0..3).map(|a| delay(&r, a, &mut rng).as_secs()).collect();
        assert_eq!(secs, vec![3, 6, 12]);
    }

    #[test]
    fn retry_backoff_is_capped_by_max_delay() {
        let r = retrier(3, 5, 2.0, Some(5), Jitter::None);
        assert_eq!(delay(&r, 4, &mut rand::rng()), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_stays_within_the_delay() {
        let r = retrier(10, 5, 1.0, None, Jitter::Full);
        let mut rng = rand::rng();
        for _ in 0..100 {
            assert!(delay(&r, 0, &mut rng) <= Duration::from_secs(10));
        }
    }

    #[test]
    fn only_the_first_matching_retrier_counts() {
        let mut a = retrier(1, 1, 2.0, None, Jitter::None);
        a.error_equals = vec!["E".into()];
        let b = retrier(1, 5, 2.0, None, Jitter::None);
        let mut state = RetryState::default();
        let e = Failure::new("E", "");
        assert!(state.next_delay(&[a.clone(), b.clone()], &e).is_some());
        // `a` is exhausted: the error is not handed to `b`.
        assert!(state.next_delay(&[a, b], &e).is_none());
        assert_eq!(state.total, 1);
        assert_eq!(state.trace.used, 1);
        assert_eq!(state.trace.exhausted, Some(0));
    }

    #[test]
    fn zero_max_attempts_never_retries() {
        let r = retrier(1, 0, 2.0, None, Jitter::None);
        assert!(RetryState::default().next_delay(&[r], &Failure::new("X", "")).is_none());
    }
}
