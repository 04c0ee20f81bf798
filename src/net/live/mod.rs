//! The live network: real sockets on this host, with the kernel's raw answers.
//!
//! On Linux the `linux` personality is not a model here but the kernel itself. Everything in this
//! module reports what the kernel said, unchanged: `connect(2)` is called through `libc`
//! directly, never through `std::net::TcpStream::connect` (which retries `EINTR` and turns
//! `EISCONN` into success, hiding exactly what socklab teaches).
//!
//! - [`raw`]: [`RawSocket`], one method per system call, each returning
//!   `Result<T, Errno>`; [`SockAddrArg`] describes the exact bytes handed to
//!   `connect(2)`, so malformed addresses (wrong family, short length, NULL) can be shown.
//! - [`readiness`]: select(2), poll(2) and epoll answers as plain data, and the kernel's own TCP
//!   state from `TCP_INFO`.
//! - [`targets`]: socklab's own lab network on loopback (`@accept`, `@refuse`, `@pending`,
//!   `@slow`, `@reset`, `@echo`, `@sink`).
//! - [`netns`]: experiments inside a private network namespace (routing errors, ARP failure,
//!   real broadcast) through `unshare -r -n` and iproute2.
//! - [`limits`]: the descriptor limit (`RLIMIT_NOFILE`).
//! - [`agent`]: the Winsock agent as judge of the `windows` model (a real ws2_32 under Wine or
//!   on Windows, driven over a pipe).
//! - [`clock`]: the one place in the live network that reads the real clock.
//!
//! Platform code lives in `sys/unix.rs` (written for Linux) and `sys/windows.rs` (not yet
//! implemented: every function there answers [`Errno::UNSUPPORTED`](raw::Errno::UNSUPPORTED)),
//! which define the same functions with the same signatures, as socket2 does.
//!
//! Network safety: nothing in this module sends a packet by itself. Targets listen on
//! `127.0.0.1` only; namespace experiments run in namespaces they create.

pub mod agent;
pub mod clock;
pub mod judge;
pub mod limits;
pub mod netns;
pub mod raw;
pub mod readiness;
pub mod targets;

#[cfg_attr(unix, path = "sys/unix.rs")]
#[cfg_attr(windows, path = "sys/windows.rs")]
mod sys;

pub use clock::Stopwatch;

/// Whether two paths name the same file (the same inode on Unix, hard links included; the
/// same canonical path elsewhere). False when either cannot be read.
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if sys::same_file(&ma, &mb) => true,
        (Ok(_), Ok(_)) => matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y),
        _ => false,
    }
}

/// Whether the file is a FIFO, a socket or a device, whose open may block forever (a FIFO
/// without a reader or writer) or whose reads never end.
pub fn is_special_file(m: &std::fs::Metadata) -> bool {
    sys::is_fifo_or_device(m)
}
pub use raw::{Errno, Family, Kind, OptValue, RawSocket, SockAddrArg, SockName, SockOpt};
pub use readiness::{EpollBits, PollBits, SelectAnswer, TcpState};
pub use targets::{TargetName, Targets};
