//! A circuit breaker per exporter: after 5 failures in a row it opens and the exporter is
//! not called. An open breaker is probed with growing waits: one attempt after about 1 s,
//! then 2, 4, 8 ... up to 60 s between attempts while the probes keep failing, each wait
//! jittered by ±20 % so probes do not fall into step with a provider that comes and goes.
//! A probe that succeeds closes the breaker (and resets the waits); one that fails reopens
//! it for the next, longer wait. A provider back from a short outage is thus used again
//! within seconds, and a dead one costs one attempt a minute. Deliveries run side by side,
//! so while a probe is out the others are still turned away. Time and jitter are passed
//! in, so tests need no clock.

use std::time::{Duration, Instant};

pub const FAILURES_TO_OPEN: u32 = 5;
/// The wait before the first probe of an open breaker.
pub const FIRST_PROBE: Duration = Duration::from_secs(1);
/// The longest wait between probes.
pub const MAX_PROBE: Duration = Duration::from_secs(60);
/// Each wait is the schedule's value times a random factor within 1 ± this.
pub const PROBE_JITTER: f64 = 0.2;
/// A probe that never reports back (its delivery ended at shutdown) is given up on after
/// this long, and the next one goes out.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    /// No attempt until `until`.
    Open {
        until: Instant,
    },
    /// One probe is out (since then); its outcome closes or reopens the breaker.
    HalfOpen {
        since: Instant,
    },
}

#[derive(Debug)]
pub struct Breaker {
    state: State,
    consecutive_failures: u32,
    failures_to_open: u32,
    /// Probes that failed since the breaker opened: the next wait grows with them.
    failed_probes: u32,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(FAILURES_TO_OPEN)
    }
}

/// The wait before probe number `probe` (0 for the first) without jitter: 1 s doubling,
/// capped at [`MAX_PROBE`].
pub fn probe_wait(probe: u32) -> Duration {
    FIRST_PROBE
        .saturating_mul(1u32 << probe.min(16))
        .min(MAX_PROBE)
}

/// [`probe_wait`] scaled by `1 + PROBE_JITTER * (2 * unit - 1)`, `unit` in `[0, 1)`.
pub fn jittered(wait: Duration, unit: f64) -> Duration {
    wait.mul_f64(1.0 + PROBE_JITTER * (2.0 * unit.clamp(0.0, 1.0) - 1.0))
}

impl Breaker {
    pub fn new(failures_to_open: u32) -> Breaker {
        Breaker {
            state: State::Closed,
            consecutive_failures: 0,
            failures_to_open,
            failed_probes: 0,
        }
    }

    /// May the exporter be called now? Once an open breaker's wait is over, lets one probe
    /// through (half-open).
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { since } if now.duration_since(since) >= PROBE_TIMEOUT => {
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

    /// A delivery succeeded. Returns true when that closed an open breaker (the provider
    /// is back: what was spooled meanwhile can follow).
    pub fn success(&mut self) -> bool {
        let reopened = self.state != State::Closed;
        self.consecutive_failures = 0;
        self.failed_probes = 0;
        self.state = State::Closed;
        reopened
    }

    /// A failed attempt, with a jitter `unit` in `[0, 1)` for the next wait. One that was
    /// already out when the breaker opened does not push the next probe further away.
    pub fn failure(&mut self, now: Instant, unit: f64) {
        self.consecutive_failures += 1;
        match self.state {
            State::Open { .. } => {}
            State::HalfOpen { .. } => {
                self.failed_probes += 1;
                self.open(now, unit);
            }
            State::Closed if self.consecutive_failures >= self.failures_to_open => {
                self.open(now, unit);
            }
            State::Closed => {}
        }
    }

    fn open(&mut self, now: Instant, unit: f64) {
        let wait = jittered(probe_wait(self.failed_probes), unit);
        self.state = State::Open { until: now + wait };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(breaker: &mut Breaker, now: Instant) {
        for _ in 0..FAILURES_TO_OPEN {
            breaker.failure(now, 0.5);
        }
    }

    #[test]
    fn opens_after_five_failures_in_a_row() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        for _ in 0..4 {
            breaker.failure(now, 0.5);
            assert!(breaker.allow(now));
        }
        breaker.failure(now, 0.5);
        assert!(breaker.is_open());
        assert!(!breaker.allow(now + Duration::from_millis(900)));
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        for _ in 0..4 {
            breaker.failure(now, 0.5);
        }
        assert!(!breaker.success(), "a closed breaker was not reopened");
        breaker.failure(now, 0.5);
        assert_eq!(breaker.state(), State::Closed);
    }

    #[test]
    fn probes_wait_one_second_doubling_to_a_minute() {
        let waits: Vec<u64> = (0..9).map(|p| probe_wait(p).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        let ten = Duration::from_secs(10);
        assert!(jittered(ten, 0.0).abs_diff(Duration::from_secs(8)) < Duration::from_millis(1));
        assert!(jittered(ten, 0.5).abs_diff(ten) < Duration::from_millis(1));
        assert!(jittered(ten, 0.999_999) <= Duration::from_secs(12));
    }

    #[test]
    fn failed_probes_push_the_next_further_and_a_success_starts_over() {
        let mut breaker = Breaker::default();
        let mut now = Instant::now();
        open(&mut breaker, now);
        for expected in [1, 2, 4, 8, 16, 32, 60, 60] {
            let wait = Duration::from_secs(expected);
            assert!(!breaker.allow(now + wait - Duration::from_millis(1)));
            now += wait;
            assert!(breaker.allow(now), "a probe after {expected} s");
            assert_eq!(breaker.state(), State::HalfOpen { since: now });
            assert!(!breaker.allow(now), "one probe at a time");
            breaker.failure(now, 0.5);
            assert!(breaker.is_open());
        }
        now += MAX_PROBE;
        assert!(breaker.allow(now));
        assert!(breaker.success(), "the probe closed an open breaker");
        assert_eq!(breaker.state(), State::Closed);
        open(&mut breaker, now);
        assert!(
            breaker.allow(now + FIRST_PROBE),
            "after a success the waits start over at one second"
        );
    }

    #[test]
    fn jitter_spreads_the_probes() {
        let now = Instant::now();
        let until = |unit| {
            let mut breaker = Breaker::default();
            for _ in 0..FAILURES_TO_OPEN {
                breaker.failure(now, unit);
            }
            match breaker.state() {
                State::Open { until } => until - now,
                other => panic!("{other:?}"),
            }
        };
        let near = |got: Duration, ms: u64| {
            got.abs_diff(Duration::from_millis(ms)) < Duration::from_millis(2)
        };
        assert!(near(until(0.0), 800), "{:?}", until(0.0));
        assert!(near(until(0.99), 1196), "{:?}", until(0.99));
    }

    #[test]
    fn a_late_failure_does_not_move_the_probe_and_a_lost_probe_is_replaced() {
        let mut breaker = Breaker::default();
        let now = Instant::now();
        open(&mut breaker, now);
        breaker.failure(now + Duration::from_millis(500), 0.5);
        assert!(
            breaker.allow(now + FIRST_PROBE),
            "the wait was not restarted"
        );
        let probe_at = now + FIRST_PROBE;
        assert!(!breaker.allow(probe_at + PROBE_TIMEOUT - Duration::from_secs(1)));
        assert!(
            breaker.allow(probe_at + PROBE_TIMEOUT),
            "a probe that never reported back is replaced"
        );
    }
}
