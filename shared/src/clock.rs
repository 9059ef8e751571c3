//! The time every cache and expiry decision reads.
//!
//! In a function this is the system's clock, nothing else: [`Clock::system`] reads
//! `SystemTime::now()` and `Instant::now()`. The fleet model of `make bench` runs hours
//! of a Lambda fleet in seconds by handing the same code a [`Clock::manual`] it moves
//! itself; the caches ([`crate::auth`]) and the credential and user-check expiry
//! logic read no time but this, so what the model counts is what the functions do.
//!
//! Two readings, as the standard library has them: [`Clock::now`], the wall clock
//! (what token `exp`/`iat` and credential expirations are compared with), and
//! [`Clock::instant`], the monotonic clock (what TTLs run on, so a wall-clock step
//! never stretches or cuts one short). A manual clock moves both together.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// A clock: the system's, or one a simulation moves by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Manual>>);

#[derive(Debug)]
struct Manual {
    wall: SystemTime,
    mono: Instant,
    /// Nanoseconds since `wall` / `mono`.
    elapsed: AtomicU64,
}

impl Clock {
    /// The system's clock: what every function runs on.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that reads `start` until [`Clock::advance`] or [`Clock::set`] moves it.
    pub fn manual(start: SystemTime) -> Clock {
        Clock(Some(Arc::new(Manual {
            wall: start,
            mono: Instant::now(),
            elapsed: AtomicU64::new(0),
        })))
    }

    /// The wall-clock time.
    pub fn now(&self) -> SystemTime {
        match &self.0 {
            None => SystemTime::now(),
            Some(manual) => manual.wall + manual.elapsed(),
        }
    }

    /// The monotonic time.
    pub fn instant(&self) -> Instant {
        match &self.0 {
            None => Instant::now(),
            Some(manual) => manual.mono + manual.elapsed(),
        }
    }

    /// Moves a manual clock forward by `by`. The system clock cannot be moved: a
    /// simulation that tries is wrong, so this panics.
    pub fn advance(&self, by: Duration) {
        let manual = self
            .0
            .as_ref()
            .expect("only a manual clock can be advanced");
        let nanos = u64::try_from(by.as_nanos()).expect("an advance of under 584 years");
        manual.elapsed.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Moves a manual clock to `to`, which must not be before its present time.
    pub fn set(&self, to: SystemTime) {
        let manual = self.0.as_ref().expect("only a manual clock can be set");
        let since = to
            .duration_since(manual.wall)
            .expect("a manual clock never goes back before its start");
        let nanos = u64::try_from(since.as_nanos()).expect("under 584 years");
        let previous = manual.elapsed.swap(nanos, Ordering::SeqCst);
        assert!(previous <= nanos, "a manual clock never goes back");
    }

    /// Whether this is the system's clock.
    pub fn is_system(&self) -> bool {
        self.0.is_none()
    }
}

impl Manual {
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.elapsed.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn the_system_clock_reads_the_system_time() {
        let clock = Clock::system();
        assert!(clock.is_system());
        let before = SystemTime::now();
        let read = clock.now();
        let after = SystemTime::now();
        assert!(before <= read && read <= after);
        let before = Instant::now();
        assert!(clock.instant() >= before);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_both_readings_together() {
        let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let clock = Clock::manual(start);
        let mono = clock.instant();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), start, "real time does not move it");
        assert_eq!(clock.instant(), mono);
        clock.advance(Duration::from_secs(3600));
        assert_eq!(clock.now(), start + Duration::from_secs(3600));
        assert_eq!(clock.instant(), mono + Duration::from_secs(3600));
        let copy = clock.clone();
        copy.set(start + Duration::from_secs(7200));
        assert_eq!(
            clock.now(),
            start + Duration::from_secs(7200),
            "clones share it"
        );
    }

    #[test]
    #[should_panic(expected = "only a manual clock")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::from_secs(1));
    }
}
