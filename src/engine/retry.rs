//! Exponential backoff with full jitter, honouring `Retry-After`, within a total deadline.

use std::time::Duration;

pub const FIRST_WAIT: Duration = Duration::from_millis(200);
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// How long one batch may keep retrying while the engine runs.
pub const TOTAL_DEADLINE: Duration = Duration::from_secs(30);

/// The wait before retry number `attempt` (1 for the first retry): `Retry-After` when the
/// server gave one, else a random time up to `FIRST_WAIT * 2^(attempt-1)`, capped.
pub fn wait(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(MAX_WAIT * 6);
    }
    let ceiling = FIRST_WAIT
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(MAX_WAIT);
    // Full jitter, but never less than a tenth of the ceiling.
    let fraction = 0.1 + 0.9 * fastrand::f64();
    ceiling.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_are_capped() {
        for attempt in 1..20 {
            let w = wait(attempt, None);
            let ceiling = FIRST_WAIT
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_WAIT);
            assert!(w <= ceiling && w >= ceiling / 10, "{attempt}: {w:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        assert_eq!(
            wait(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
    }
}
