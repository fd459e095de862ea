//! A circuit breaker per exporter: after 5 failures in a row it opens and the exporter is
//! not called. An open breaker is probed with growing waits: the first probe after about
//! 1 s, then each wait a quarter of the outage so far (at least 1 s, at most 60 s), each
//! jittered by ±20 %. A provider back from an outage is thus used again within a quarter
//! of the outage's length (a 15 s outage: within about 4 s), and a dead one costs one
//! attempt a minute once it has been down four minutes. (Plain doubling, 1, 2, 4 ... 60 s,
//! falls into step with a provider that is down 15 s in every 30: its probes at 15, 31,
//! 63 and 123 s all land in down windows, and `benches/flapping.rs` delivered 4 % of a
//! 150 s run.) A probe that succeeds closes the breaker; one that fails reopens it for the
//! next wait. Deliveries run side by side, so while a probe is out the others are still
//! turned away. Time and jitter are passed in, so tests need no clock.

use std::time::{Duration, Instant};

pub const FAILURES_TO_OPEN: u32 = 5;
/// The shortest wait before a probe (and the first one's).
pub const FIRST_PROBE: Duration = Duration::from_secs(1);
/// The longest wait between probes.
pub const MAX_PROBE: Duration = Duration::from_secs(60);
/// The wait before the next probe is the outage so far divided by this.
pub const OUTAGE_FRACTION: u32 = 4;
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
    /// When the breaker opened: the waits between probes grow with the outage.
    opened_at: Option<Instant>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(FAILURES_TO_OPEN)
    }
}

/// The wait before the next probe after an outage of `outage` so far, without jitter.
pub fn probe_wait(outage: Duration) -> Duration {
    (outage / OUTAGE_FRACTION).clamp(FIRST_PROBE, MAX_PROBE)
}

/// `wait` scaled by `1 + PROBE_JITTER * (2 * unit - 1)`, `unit` in `[0, 1)`.
pub fn jittered(wait: Duration, unit: f64) -> Duration {
    wait.mul_f64(1.0 + PROBE_JITTER * (2.0 * unit.clamp(0.0, 1.0) - 1.0))
}

impl Breaker {
    pub fn new(failures_to_open: u32) -> Breaker {
        Breaker {
            state: State::Closed,
            consecutive_failures: 0,
            failures_to_open,
            opened_at: None,
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
        self.opened_at = None;
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
                let outage = now.duration_since(*self.opened_at.get_or_insert(now));
                self.state = State::Open {
                    until: now + jittered(probe_wait(outage), unit),
                };
            }
            State::Closed if self.consecutive_failures >= self.failures_to_open => {
                self.opened_at = Some(now);
                self.state = State::Open {
                    until: now + jittered(FIRST_PROBE, unit),
                };
            }
            State::Closed => {}
        }
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
    fn probes_wait_a_quarter_of_the_outage_from_one_second_to_a_minute() {
        let secs = |s: u64| probe_wait(Duration::from_secs(s)).as_secs_f64();
        assert_eq!(
            [0, 3, 4, 8, 15, 40, 240, 3600].map(secs),
            [1.0, 1.0, 1.0, 2.0, 3.75, 10.0, 60.0, 60.0]
        );
        let ten = Duration::from_secs(10);
        assert!(jittered(ten, 0.0).abs_diff(Duration::from_secs(8)) < Duration::from_millis(1));
        assert!(jittered(ten, 0.5).abs_diff(ten) < Duration::from_millis(1));
        assert!(jittered(ten, 0.999_999) <= Duration::from_secs(12));
    }

    /// Probes that all fail, from the opening: when each goes out.
    fn probe_times(outage: Duration) -> Vec<Duration> {
        let mut breaker = Breaker::default();
        let start = Instant::now();
        open(&mut breaker, start);
        let mut now = start;
        let mut probes = Vec::new();
        while now - start < outage {
            now += Duration::from_millis(10);
            if breaker.allow(now) {
                probes.push(now - start);
                breaker.failure(now, 0.5);
            }
        }
        probes
    }

    #[test]
    fn probes_grow_with_the_outage_and_settle_at_one_a_minute() {
        let probes = probe_times(Duration::from_secs(600));
        let gaps: Vec<Duration> = probes.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
        assert!(gaps[0] <= Duration::from_millis(1020), "{gaps:?}");
        assert!(gaps.last().unwrap().abs_diff(MAX_PROBE) < Duration::from_millis(20));
        // A provider back after a 15 s outage is probed within about a quarter of it.
        let after = probe_times(Duration::from_secs(30))
            .into_iter()
            .find(|t| *t >= Duration::from_secs(15))
            .unwrap();
        assert!(after <= Duration::from_secs(19), "{after:?}");
    }

    #[test]
    fn a_success_closes_an_open_breaker_and_starts_the_waits_over() {
        let mut breaker = Breaker::default();
        let start = Instant::now();
        open(&mut breaker, start);
        let mut now = start;
        for _ in 0..20 {
            now += MAX_PROBE;
            assert!(breaker.allow(now));
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
