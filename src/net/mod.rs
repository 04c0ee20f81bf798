//! Facts from the world: the deterministic simulated network and live sockets.
//!
//! [`live`] performs calls on real sockets and reports the kernel's raw answers. All
//! `#[cfg(unix)]` / `#[cfg(windows)]` code of the crate lives in its mirrored platform files
//! (`live/sys/unix.rs`, `live/sys/windows.rs`).

pub mod live;
pub mod sim;
