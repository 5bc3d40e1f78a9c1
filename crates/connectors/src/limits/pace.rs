//! The pace of one connection as GCRA (the generic cell rate algorithm): one number, the theoretical arrival time
//! of the next request, says when a request may go. Written out here rather than taken from `governor` because
//! the pace must change while requests wait (a limit learnt from an answer), stop for a while (`Retry-After`)
//! and fall back to what the target says it has left, none of which governor's fixed quota allows; and the same
//! arithmetic runs in Redis (shared.rs) for workers on several machines.
use std::time::Duration;

use tokio::time::Instant;

/// One request every `interval`, and up to `burst` at once after a quiet spell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub interval: Duration,
    pub burst: u32,
}

impl Rate {
    pub fn new(per_minute: f64, burst: u32) -> Self {
        Self {
            interval: Duration::from_secs_f64(60.0 / per_minute.max(0.001)),
            burst: burst.max(1),
        }
    }

    /// How far ahead of now the next slot may be and a request still go at once.
    pub fn tolerance(&self) -> Duration {
        self.interval * (self.burst - 1)
    }
}

#[derive(Debug)]
pub struct Pace {
    /// When the next request would go at an even pace; a request may go up to `tolerance` before it.
    next: Instant,
    /// No request before this (the target said so).
    paused_until: Instant,
}

impl Pace {
    pub fn new(now: Instant) -> Self {
        Self {
            next: now,
            paused_until: now,
        }
    }

    /// Takes the next slot; answers when the caller may send.
    pub fn reserve(&mut self, rate: Rate, now: Instant) -> Instant {
        let earliest = self.next.checked_sub(rate.tolerance()).unwrap_or(now);
        let at = now.max(earliest).max(self.paused_until);
        self.next = self.next.max(at) + rate.interval;
        at
    }

    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = self.paused_until.max(until);
    }

    pub fn paused_until(&self) -> Instant {
        self.paused_until
    }

    /// The target says only `remaining` requests may go now: no more than that before the pace allows another.
    /// Only ever slows down; a target saying it has more left than the pace allows is not taken at its word.
    pub fn hold(&mut self, rate: Rate, remaining: u32, now: Instant) {
        self.next = self.next.max(now + hold_ahead(rate, remaining));
    }
}

/// How far ahead of now the next slot is when `remaining` requests may still go at once.
pub fn hold_ahead(rate: Rate, remaining: u32) -> Duration {
    (rate.tolerance() + rate.interval).saturating_sub(rate.interval.saturating_mul(remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(pace: &mut Pace, rate: Rate, start: Instant, n: usize) -> Vec<Duration> {
        (0..n).map(|_| pace.reserve(rate, start) - start).collect()
    }

    #[test]
    fn a_burst_at_once_then_one_per_interval() {
        let start = Instant::now();
        let rate = Rate::new(600.0, 3);
        assert_eq!(rate.interval, Duration::from_millis(100));
        let mut pace = Pace::new(start);
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            slots(&mut pace, rate, start, 6),
            [ms(0), ms(0), ms(0), ms(100), ms(200), ms(300)]
        );
    }

    #[test]
    fn a_quiet_spell_refills_the_burst_but_no_more() {
        let start = Instant::now();
        let rate = Rate::new(600.0, 2);
        let mut pace = Pace::new(start);
        slots(&mut pace, rate, start, 4);
        let later = start + Duration::from_secs(10);
        let at: Vec<_> = (0..3).map(|_| pace.reserve(rate, later) - later).collect();
        assert_eq!(at, [Duration::ZERO, Duration::ZERO, Duration::from_millis(100)]);
    }

    #[test]
    fn a_pause_holds_every_request_until_it_ends_then_the_pace_resumes() {
        let start = Instant::now();
        let rate = Rate::new(600.0, 5);
        let mut pace = Pace::new(start);
        pace.pause_until(start + Duration::from_secs(2));
        pace.pause_until(start + Duration::from_secs(1));
        let at = slots(&mut pace, rate, start, 3);
        assert_eq!(
            at,
            [Duration::from_secs(2); 3],
            "the longer pause stands, the burst follows it"
        );
    }

    #[test]
    fn what_the_target_has_left_caps_the_burst() {
        let start = Instant::now();
        let rate = Rate::new(600.0, 10);
        let mut pace = Pace::new(start);
        pace.hold(rate, 2, start);
        let ms = |n| Duration::from_millis(n);
        assert_eq!(slots(&mut pace, rate, start, 4), [ms(0), ms(0), ms(100), ms(200)]);

        let mut empty = Pace::new(start);
        empty.hold(rate, 0, start);
        assert_eq!(
            slots(&mut empty, rate, start, 1),
            [ms(100)],
            "nothing left: wait one interval"
        );

        let mut plenty = Pace::new(start);
        plenty.hold(rate, 1000, start);
        assert_eq!(
            slots(&mut plenty, rate, start, 10),
            [ms(0); 10],
            "more than the burst changes nothing"
        );
    }
}
