//! A circuit breaker per exporter: after 5 failures in a row it opens and the exporter is
//! not called; after 60 s it lets one attempt through (half-open), which closes it again
//! on success or reopens it on failure. Deliveries run side by side, so while that one
//! attempt is out the others are still turned away. Time is passed in, so tests need no
//! clock.

use std::time::{Duration, Instant};

pub const FAILURES_TO_OPEN: u32 = 5;
pub const OPEN_FOR: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open {
        since: Instant,
    },
    /// One attempt is out (since then); its outcome closes or reopens the breaker. An
    /// attempt that never reports back (its delivery ended at shutdown) is given up on
    /// after another wait, and the next one goes out.
    HalfOpen {
        since: Instant,
    },
}

#[derive(Debug)]
pub struct Breaker {
    state: State,
    consecutive_failures: u32,
    failures_to_open: u32,
    open_for: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(FAILURES_TO_OPEN, OPEN_FOR)
    }
}

impl Breaker {
    pub fn new(failures_to_open: u32, open_for: Duration) -> Breaker {
        Breaker {
            state: State::Closed,
            consecutive_failures: 0,
            failures_to_open,
            open_for,
        }
    }

    /// May the exporter be called now? Moves an expired open breaker to half-open and
    /// lets that one attempt through.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { since } | State::HalfOpen { since }
                if now.duration_since(since) >= self.open_for =>
            {
                self.state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } | State::HalfOpen { .. } => false,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    #[cfg(test)]
    pub fn state(&self) -> State {
        self.state
    }

    pub fn success(&mut self) {
        self.consecutive_failures = 0;
        self.state = State::Closed;
    }

    /// A failed attempt. One that was already out when the breaker opened does not
    /// push the reopening further away.
    pub fn failure(&mut self, now: Instant) {
        self.consecutive_failures += 1;
        match self.state {
            State::Open { .. } => {}
            State::HalfOpen { .. } => self.state = State::Open { since: now },
            State::Closed if self.consecutive_failures >= self.failures_to_open => {
                self.state = State::Open { since: now }
            }
            State::Closed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_five_failures_in_a_row() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        for _ in 0..4 {
            breaker.failure(now);
            assert!(breaker.allow(now));
        }
        breaker.failure(now);
        assert!(breaker.is_open());
        assert!(!breaker.allow(now + Duration::from_secs(59)));
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        for _ in 0..4 {
            breaker.failure(now);
        }
        breaker.success();
        breaker.failure(now);
        assert_eq!(breaker.state(), State::Closed);
    }

    #[test]
    fn half_opens_after_the_wait_then_closes_or_reopens() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        for _ in 0..5 {
            breaker.failure(now);
        }
        let later = now + OPEN_FOR;
        assert!(breaker.allow(later));
        assert_eq!(breaker.state(), State::HalfOpen { since: later });
        assert!(
            !breaker.allow(later),
            "one attempt at a time while half-open"
        );
        breaker.failure(later);
        assert!(breaker.is_open(), "one failure while half-open reopens it");
        let much_later = later + OPEN_FOR;
        breaker.failure(much_later);
        assert_eq!(
            breaker.state(),
            State::Open { since: later },
            "a late failure does not restart the wait"
        );
        assert!(breaker.allow(much_later));
        breaker.success();
        assert_eq!(breaker.state(), State::Closed);
    }
}
