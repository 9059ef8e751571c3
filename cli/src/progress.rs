//! One progress display per transfer. On a terminal: an indicatif bar with bytes,
//! rate and ETA. Anywhere else (a pipe, a CI log, a file): no escape codes at all,
//! a plain line every [`PLAIN_EVERY`] and one at the end, so a log shows that a long
//! transfer is alive without filling up with redraws.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::human::{bytes, duration};

const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    label: String,
    total: u64,
    done: AtomicU64,
    /// Bytes an earlier run transferred: done, but not part of this run's rate.
    skipped: AtomicU64,
    started: Instant,
    mode: Mode,
}

enum Mode {
    Bar(ProgressBar),
    Plain { last: Mutex<Instant> },
    Quiet,
}

impl Progress {
    /// A display for `total` bytes; `quiet` shows nothing at all.
    pub fn new(label: &str, total: u64, quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {rate}")
            {
                bar.set_style(style.progress_chars("=> ").with_key(
                    "rate",
                    |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                        // No rate or ETA until there is one to tell: "0 B/s ETA 0s"
                        // at the start says something false.
                        let _ = match rate_and_eta(state.pos(), state.len(), state.elapsed()) {
                            Some(text) => out.write_str(&text),
                            None => out.write_str("starting…"),
                        };
                    },
                ));
            }
            bar.set_message(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else {
            Mode::Plain {
                last: Mutex::new(Instant::now()),
            }
        };
        Progress {
            label: label.to_owned(),
            total,
            done: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            started: Instant::now(),
            mode,
        }
    }

    /// Counts bytes already there (parts an earlier run uploaded): they show as done
    /// but do not count towards the rate.
    pub fn skip(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        self.skipped.fetch_add(n, Ordering::Relaxed);
        if let Mode::Bar(bar) = &self.mode {
            bar.inc(n);
            bar.reset_eta();
        }
    }

    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        match &self.mode {
            Mode::Bar(bar) => bar.inc(n),
            Mode::Plain { last } => {
                let mut last = last
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.elapsed() >= PLAIN_EVERY && done < self.total {
                    *last = Instant::now();
                    self.line(done, false);
                }
            }
            Mode::Quiet => {}
        }
    }

    /// Takes back bytes of a part that failed and will be sent again.
    pub fn sub(&self, n: u64) {
        let before = self
            .done
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_sub(n))
            })
            .unwrap_or(0);
        if let Mode::Bar(bar) = &self.mode {
            bar.set_position(before.saturating_sub(n));
        }
    }

    /// The transfer is complete: the bar is cleared and one summary line is left.
    pub fn finish(&self) {
        let done = self.done.load(Ordering::Relaxed);
        match &self.mode {
            Mode::Bar(bar) => {
                bar.finish_and_clear();
                self.line(done, true);
            }
            Mode::Plain { .. } => self.line(done, true),
            Mode::Quiet => {}
        }
    }

    /// The transfer stopped before the end: the bar is removed, nothing else said.
    pub fn abandon(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    fn line(&self, done: u64, last: bool) {
        let elapsed = self.started.elapsed();
        let moved = done.saturating_sub(self.skipped.load(Ordering::Relaxed));
        let rate = moved as f64 / elapsed.as_secs_f64().max(0.001);
        let text = if last {
            format!(
                "{}: {} in {} ({}/s)",
                self.label,
                bytes(moved),
                duration(elapsed),
                bytes(rate as u64)
            )
        } else {
            let percent = done.saturating_mul(100) / self.total.max(1);
            format!(
                "{}: {} of {} ({percent}%), {}/s",
                self.label,
                bytes(done),
                bytes(self.total),
                bytes(rate as u64)
            )
        };
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{text}");
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// `12.3 MiB/s ETA 4 s` once a second has passed and bytes moved; `None` before.
fn rate_and_eta(done: u64, total: Option<u64>, elapsed: Duration) -> Option<String> {
    if done == 0 || elapsed < Duration::from_secs(1) {
        return None;
    }
    let rate = done as f64 / elapsed.as_secs_f64();
    let left = total.map(|t| t.saturating_sub(done) as f64 / rate);
    Some(match left {
        Some(secs) => format!(
            "{}/s ETA {}",
            crate::human::bytes(rate as u64),
            crate::human::duration(Duration::from_secs_f64(secs))
        ),
        None => format!("{}/s", crate::human::bytes(rate as u64)),
    })
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn no_rate_or_eta_before_there_is_one() {
        assert_eq!(rate_and_eta(0, Some(100), Duration::from_secs(5)), None);
        assert_eq!(
            rate_and_eta(50, Some(100), Duration::from_millis(500)),
            None
        );
        assert_eq!(
            rate_and_eta(2048, Some(4096), Duration::from_secs(2)).as_deref(),
            Some("1.0 KiB/s ETA 2.0 s")
        );
    }
}
