//! The descriptor limit (`RLIMIT_NOFILE`).
//!
//! socklab raises its soft limit to the hard limit at start ([`raise_nofile_limit`]) so that
//! thousands of sockets can be opened, and says so when the limit is low. Running out anyway is
//! an answer (`EMFILE` from [`RawSocket::new`](super::raw::RawSocket::new)), never a panic.

use std::fmt;

use super::raw::Errno;
use super::sys;

/// Below this many descriptors socklab tells the user that the limit is low (the budget in
/// DESIGN.md is 10,000 sockets connecting at once).
pub const LOW_NOFILE: u64 = 10_240;

/// What [`raise_nofile_limit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileReport {
    /// The soft limit before.
    pub old: u64,
    /// The soft limit now.
    pub new: u64,
    /// The hard limit (`u64::MAX` = unlimited).
    pub hard: u64,
}

impl NofileReport {
    /// Whether the limit now in force is below [`LOW_NOFILE`].
    #[must_use]
    pub fn is_low(&self) -> bool {
        self.new < LOW_NOFILE
    }
}

impl fmt::Display for NofileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.old == self.new {
            write!(f, "descriptor limit {}", self.new)?;
        } else {
            write!(f, "descriptor limit raised from {} to {}", self.old, self.new)?;
        }
        if self.is_low() {
            write!(f, " (low: fewer than {LOW_NOFILE} sockets can be open; raise the hard limit with `ulimit -Hn`)")?;
        }
        Ok(())
    }
}

/// `(soft, hard)` descriptor limits; `u64::MAX` means unlimited.
pub fn nofile_limit() -> Result<(u64, u64), Errno> {
    sys::nofile_limit()
}

/// Sets the soft descriptor limit (the hard limit is kept).
pub fn set_nofile_soft(soft: u64) -> Result<(), Errno> {
    sys::set_nofile_soft(soft)
}

/// Raises the soft descriptor limit to the hard limit. An unlimited hard limit is capped at
/// the kernel's ceiling (`/proc/sys/fs/nr_open` on Linux), which is the most it accepts.
pub fn raise_nofile_limit() -> Result<NofileReport, Errno> {
    let (old, hard) = nofile_limit()?;
    let target = if hard == u64::MAX { sys::nofile_ceiling().unwrap_or(1 << 20) } else { hard };
    if target > old {
        set_nofile_soft(target)?;
    }
    let (new, hard) = nofile_limit()?;
    Ok(NofileReport { old, new, hard })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_limit_is_said_so() {
        let low = NofileReport { old: 256, new: 1024, hard: 1024 };
        assert!(low.is_low());
        assert!(low.to_string().starts_with("descriptor limit raised from 256 to 1024 (low"));
        let fine = NofileReport { old: 1024, new: 524_288, hard: 524_288 };
        assert!(!fine.is_low());
        assert_eq!(fine.to_string(), "descriptor limit raised from 1024 to 524288");
    }
}
