//! The one place in the live network that reads the real clock.
//!
//! The pure core never reads a clock (time is a parameter there, see `clippy.toml`). The live
//! network is the world itself: how long a refused connect or a SYN timeout took is one of the
//! facts it reports, so it needs real time. Every timing in `net::live`, and in the live tests,
//! goes through [`Stopwatch`], which keeps the exception to the clock rule in this one file.

use std::time::{Duration, Instant};

/// Measures elapsed real (monotonic) time.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    /// Starts measuring now.
    #[must_use]
    pub fn start() -> Self {
        // The live network measures real time: this is its sanctioned clock read.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        Self { started }
    }

    /// Time since [`Stopwatch::start`].
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time since [`Stopwatch::start`] in milliseconds, as a float (for reports).
    #[must_use]
    pub fn elapsed_ms(&self) -> f64 {
        self.elapsed().as_secs_f64() * 1000.0
    }

    /// Runs `f` and returns its result with the time it took.
    pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
        let sw = Self::start();
        let out = f();
        (out, sw.elapsed())
    }
}
