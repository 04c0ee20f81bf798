//! Readiness as the kernel reports it: select(2), poll(2) and epoll answers as plain data, and
//! the kernel's own TCP state (`TCP_INFO`).
//!
//! Each function performs one call with a bounded timeout and returns what the kernel said.
//! These are the answers socklab puts beside the API state; LINUX_TRUTH 3b is the key lesson:
//! a failed connect is *readable and writable* on Linux (never in exceptfds), and poll shows
//! `POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP`.

use std::fmt;

use super::raw::{Errno, Fd};
use super::sys;

/// The answer of `select(2)`: the descriptors the kernel left set in each of the three sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectAnswer {
    /// Left set in `readfds`.
    pub read: Vec<Fd>,
    /// Left set in `writefds`.
    pub write: Vec<Fd>,
    /// Left set in `exceptfds`.
    pub except: Vec<Fd>,
    /// The `timeval` after the call: Linux writes back the time not slept (select(2), NOTES).
    pub timeout_left: std::time::Duration,
}

impl SelectAnswer {
    /// `(read, write, except)` membership of one descriptor, as 0/1 like the probe prints it.
    #[must_use]
    pub fn bits_of(&self, fd: Fd) -> (bool, bool, bool) {
        (self.read.contains(&fd), self.write.contains(&fd), self.except.contains(&fd))
    }
}

/// `select(2)` with a timeout in milliseconds. A descriptor that `fd_set` cannot hold (negative,
/// or `>= FD_SETSIZE`, 1024 on Linux) answers `EINVAL` without calling select: glibc's
/// `FD_SET` would write out of bounds. Use poll or epoll for those.
pub fn select(read: &[Fd], write: &[Fd], except: &[Fd], timeout_ms: u32) -> Result<SelectAnswer, Errno> {
    sys::select(read, write, except, timeout_ms)
}

/// `select(2)` with a timeval of the script's, its fields as given (esc3).
pub fn select_tv(read: &[Fd], write: &[Fd], except: &[Fd], sec: i64, usec: i64) -> Result<SelectAnswer, Errno> {
    sys::select_tv(read, write, except, sec, usec)
}

/// `select(2)` of one descriptor in all three sets, as the probe does it.
pub fn select_one(fd: Fd, timeout_ms: u32) -> Result<(bool, bool, bool), Errno> {
    let a = select(&[fd], &[fd], &[fd], timeout_ms)?;
    Ok(a.bits_of(fd))
}

macro_rules! bitset {
    ($(#[$m:meta])* $name:ident($ty:ty), $none:literal, [$(($konst:ident, $sys:path, $label:literal)),* $(,)?]) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $ty);

        impl $name {
            $(
                #[doc = concat!("`", $label, "`")]
                pub const $konst: Self = Self($sys);
            )*

            /// The empty set.
            pub const EMPTY: Self = Self(0);

            const NAMED: &'static [(Self, &'static str)] = &[$((Self::$konst, $label)),*];

            /// Whether every bit of `other` is set.
            #[must_use]
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether no bit is set.
            #[must_use]
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// The names of the set bits, in a fixed order; unnamed bits are shown in hex.
            #[must_use]
            pub fn names(self) -> Vec<String> {
                let mut out = Vec::new();
                let mut rest = self.0;
                for (bit, label) in Self::NAMED {
                    if bit.0 != 0 && self.0 & bit.0 == bit.0 && rest & bit.0 != 0 {
                        out.push((*label).to_owned());
                        rest &= !bit.0;
                    }
                }
                if rest != 0 {
                    out.push(format!("{:#x}", rest));
                }
                out
            }
        }

        impl std::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.0 == 0 {
                    return f.write_str($none);
                }
                f.write_str(&self.names().join("|"))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

bitset!(
    /// poll(2) event bits (`events` / `revents`), shown by name: `POLLIN|POLLOUT`.
    PollBits(u16),
    "0",
    [
        (IN, sys::POLLIN, "POLLIN"),
        (PRI, sys::POLLPRI, "POLLPRI"),
        (OUT, sys::POLLOUT, "POLLOUT"),
        (ERR, sys::POLLERR, "POLLERR"),
        (HUP, sys::POLLHUP, "POLLHUP"),
        (NVAL, sys::POLLNVAL, "POLLNVAL"),
        (RDHUP, sys::POLLRDHUP, "POLLRDHUP"),
    ]
);

bitset!(
    /// epoll event bits, shown by name: `EPOLLIN|EPOLLOUT`.
    EpollBits(u32),
    "0",
    [
        (IN, sys::EPOLLIN, "EPOLLIN"),
        (PRI, sys::EPOLLPRI, "EPOLLPRI"),
        (OUT, sys::EPOLLOUT, "EPOLLOUT"),
        (ERR, sys::EPOLLERR, "EPOLLERR"),
        (HUP, sys::EPOLLHUP, "EPOLLHUP"),
        (RDHUP, sys::EPOLLRDHUP, "EPOLLRDHUP"),
    ]
);

impl PollBits {
    /// What socklab asks for by default (as the probe does): `POLLIN|POLLPRI|POLLOUT|POLLRDHUP`.
    pub const DEFAULT_INTEREST: Self = Self(sys::POLLIN | sys::POLLPRI | sys::POLLOUT | sys::POLLRDHUP);
}

impl EpollBits {
    /// What socklab asks for by default: `EPOLLIN|EPOLLPRI|EPOLLOUT|EPOLLRDHUP`.
    pub const DEFAULT_INTEREST: Self = Self(sys::EPOLLIN | sys::EPOLLPRI | sys::EPOLLOUT | sys::EPOLLRDHUP);
}

/// poll(2): one `revents` per entry, in the order given. `POLLERR`, `POLLHUP` and `POLLNVAL`
/// are reported whether asked for or not.
pub fn poll(fds: &[(Fd, PollBits)], timeout_ms: u32) -> Result<Vec<PollBits>, Errno> {
    sys::poll(fds, timeout_ms)
}

/// poll(2) of one descriptor with [`PollBits::DEFAULT_INTEREST`].
pub fn poll_one(fd: Fd, timeout_ms: u32) -> Result<PollBits, Errno> {
    let r = poll(&[(fd, PollBits::DEFAULT_INTEREST)], timeout_ms)?;
    Ok(r.first().copied().unwrap_or_default())
}

/// A fresh epoll instance with every descriptor registered (level-triggered), one
/// `epoll_wait`, then the instance is closed. One set of bits per entry, in the order given
/// (empty when the kernel reported nothing for it).
pub fn epoll(fds: &[(Fd, EpollBits)], timeout_ms: u32) -> Result<Vec<EpollBits>, Errno> {
    sys::epoll(fds, timeout_ms)
}

/// epoll of one descriptor with [`EpollBits::DEFAULT_INTEREST`].
pub fn epoll_one(fd: Fd, timeout_ms: u32) -> Result<EpollBits, Errno> {
    let r = epoll(&[(fd, EpollBits::DEFAULT_INTEREST)], timeout_ms)?;
    Ok(r.first().copied().unwrap_or_default())
}

/// The kernel's TCP state (`tcpi_state` of `TCP_INFO`; the numbering of Linux's
/// `include/net/tcp_states.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
}

impl TcpState {
    /// From Linux's `tcpi_state` number (1 = `ESTABLISHED` ... 12 = `NEW_SYN_RECV`).
    #[must_use]
    pub fn from_linux(n: u8) -> Option<Self> {
        Some(match n {
            1 => Self::Established,
            2 => Self::SynSent,
            3 => Self::SynRecv,
            4 => Self::FinWait1,
            5 => Self::FinWait2,
            6 => Self::TimeWait,
            7 => Self::Close,
            8 => Self::CloseWait,
            9 => Self::LastAck,
            10 => Self::Listen,
            11 => Self::Closing,
            12 => Self::NewSynRecv,
            _ => return None,
        })
    }

    /// Whether the handshake completed and the connection has not ended in `CLOSE`: the
    /// states a connected socket passes through as either side sends its FIN.
    #[must_use]
    pub fn handshake_done(self) -> bool {
        matches!(
            self,
            Self::Established
                | Self::CloseWait
                | Self::FinWait1
                | Self::FinWait2
                | Self::Closing
                | Self::LastAck
                | Self::TimeWait
        )
    }

    /// The kernel's spelling (`SYN_SENT`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Established => "ESTABLISHED",
            Self::SynSent => "SYN_SENT",
            Self::SynRecv => "SYN_RECV",
            Self::FinWait1 => "FIN_WAIT1",
            Self::FinWait2 => "FIN_WAIT2",
            Self::TimeWait => "TIME_WAIT",
            Self::Close => "CLOSE",
            Self::CloseWait => "CLOSE_WAIT",
            Self::LastAck => "LAST_ACK",
            Self::Listen => "LISTEN",
            Self::Closing => "CLOSING",
            Self::NewSynRecv => "NEW_SYN_RECV",
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first fields of Linux's `struct tcp_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// `tcpi_state` as a number (see [`TcpInfo::state`]).
    pub state_raw: u8,
    /// `tcpi_retransmits`: retransmissions of the current segment (SYNs while connecting).
    pub retransmits: u8,
    /// `tcpi_backoff`.
    pub backoff: u8,
    /// `tcpi_options` (`0x20` = data in the SYN was acknowledged, TCP Fast Open).
    pub options: u8,
    /// `tcpi_rto` in microseconds.
    pub rto_us: u32,
}

impl TcpInfo {
    /// The state, if the number is one Linux defines.
    #[must_use]
    pub fn state(&self) -> Option<TcpState> {
        TcpState::from_linux(self.state_raw)
    }
}

/// `getsockopt(TCP_INFO)`: the kernel's view of a TCP socket.
pub fn tcp_info(fd: Fd) -> Result<TcpInfo, Errno> {
    sys::tcp_info(fd)
}

/// The kernel's TCP state of a socket, or `None` when `TCP_INFO` is not available (not a TCP
/// socket, a closed descriptor, or a platform without it).
#[must_use]
pub fn tcp_info_state(fd: Fd) -> Option<TcpState> {
    tcp_info(fd).ok().and_then(|i| i.state())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_show_their_names() {
        assert_eq!(PollBits::EMPTY.to_string(), "0");
        assert_eq!((PollBits::IN | PollBits::OUT).to_string(), "POLLIN|POLLOUT");
        assert_eq!((EpollBits::OUT | EpollBits::ERR | EpollBits::HUP).to_string(), "EPOLLOUT|EPOLLERR|EPOLLHUP");
        assert!((PollBits::IN | PollBits::OUT).contains(PollBits::OUT));
        assert!(!PollBits::IN.contains(PollBits::OUT));
    }

    #[test]
    fn unnamed_bits_are_shown_in_hex() {
        let odd = EpollBits(1 << 30);
        assert_eq!(odd.to_string(), format!("{:#x}", 1u32 << 30));
    }

    #[test]
    fn tcp_states_use_the_kernel_spelling() {
        let names: Vec<String> = (1..=12).map(|n| TcpState::from_linux(n).unwrap().to_string()).collect();
        assert_eq!(
            names,
            [
                "ESTABLISHED",
                "SYN_SENT",
                "SYN_RECV",
                "FIN_WAIT1",
                "FIN_WAIT2",
                "TIME_WAIT",
                "CLOSE",
                "CLOSE_WAIT",
                "LAST_ACK",
                "LISTEN",
                "CLOSING",
                "NEW_SYN_RECV"
            ]
        );
        assert_eq!(TcpState::from_linux(0), None);
        assert_eq!(TcpState::from_linux(13), None);
    }

    #[test]
    fn select_answer_bits() {
        let a = SelectAnswer { read: vec![3], write: vec![3, 4], except: vec![], timeout_left: Default::default() };
        assert_eq!(a.bits_of(3), (true, true, false));
        assert_eq!(a.bits_of(4), (false, true, false));
    }
}
