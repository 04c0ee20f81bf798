//! Platform layer for Windows: NOT YET IMPLEMENTED.
//!
//! This file mirrors `sys/unix.rs` item for item, with the same signatures, so the crate keeps
//! its shape on Windows. Calling the Winsock API needs `windows-sys` (or hand-written
//! `extern "system"` declarations), which socklab does not depend on yet, so every call here
//! answers [`Errno::UNSUPPORTED`] instead of pretending. What does work on Windows is what goes
//! through socket2 in `raw.rs` (socket, bind, listen, accept, names, shutdown, nonblocking).
//!
//! When implementing: `connect` is `WSAConnect`/`connect` with the raw buffer (Winsock answers
//! `WSAEFAULT` where Linux says `EINVAL` for a short namelen, LINUX_TRUTH 8d), errors come from
//! `WSAGetLastError()`, readiness is `select` (failure in exceptfds) and `WSAPoll`, and a
//! blocking call is interrupted by closing the socket or `CancelSynchronousIo` (there are no
//! signals). Keep this file in step with `sys/unix.rs`.
//!
//! This file cannot be compiled on the Linux machines socklab is developed on; it is kept
//! honest by review against `sys/unix.rs`.

use std::os::windows::io::{AsRawSocket, RawSocket as WinSocket};
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::{SockAddr, Socket};

use crate::net::live::raw::{Errno, OptValue, RawAddr, SockOpt};
use crate::net::live::readiness::{EpollBits, PollBits, SelectAnswer, TcpInfo};

/// A socket handle: a `SOCKET`.
pub type Fd = WinSocket;

/// The thread a blocking connect runs on (unused until interruption is implemented).
pub type ThreadId = ();

/// Error numbers: the Winsock codes (`WSAE*`, from `winerror.h`) that correspond to the POSIX
/// names socklab uses. The names stay POSIX-like in the API; `errno_name` prints the WSA names.
pub mod code {
    pub const EINTR: i32 = 10004; // WSAEINTR
    pub const EBADF: i32 = 10009; // WSAEBADF
    pub const EAGAIN: i32 = 10035; // WSAEWOULDBLOCK
    pub const EACCES: i32 = 10013; // WSAEACCES
    pub const EFAULT: i32 = 10014; // WSAEFAULT
    pub const EINVAL: i32 = 10022; // WSAEINVAL
    pub const EMFILE: i32 = 10024; // WSAEMFILE
    pub const EPIPE: i32 = 10058; // WSAESHUTDOWN (Winsock has no EPIPE)
    pub const ENOTSOCK: i32 = 10038; // WSAENOTSOCK
    pub const EDESTADDRREQ: i32 = 10039; // WSAEDESTADDRREQ
    pub const ENOPROTOOPT: i32 = 10042; // WSAENOPROTOOPT
    pub const EOPNOTSUPP: i32 = 10045; // WSAEOPNOTSUPP
    pub const EAFNOSUPPORT: i32 = 10047; // WSAEAFNOSUPPORT
    pub const EADDRINUSE: i32 = 10048; // WSAEADDRINUSE
    pub const EADDRNOTAVAIL: i32 = 10049; // WSAEADDRNOTAVAIL
    pub const ENETUNREACH: i32 = 10051; // WSAENETUNREACH
    pub const ECONNABORTED: i32 = 10053; // WSAECONNABORTED
    pub const ECONNRESET: i32 = 10054; // WSAECONNRESET
    pub const EISCONN: i32 = 10056; // WSAEISCONN
    pub const ENOTCONN: i32 = 10057; // WSAENOTCONN
    pub const ETIMEDOUT: i32 = 10060; // WSAETIMEDOUT
    pub const ECONNREFUSED: i32 = 10061; // WSAECONNREFUSED
    pub const EHOSTUNREACH: i32 = 10065; // WSAEHOSTUNREACH
    pub const EALREADY: i32 = 10037; // WSAEALREADY
    pub const EINPROGRESS: i32 = 10036; // WSAEINPROGRESS
}

const ERRNO_NAMES: &[(i32, &str)] = &[
    (10004, "WSAEINTR"),
    (10009, "WSAEBADF"),
    (10013, "WSAEACCES"),
    (10014, "WSAEFAULT"),
    (10022, "WSAEINVAL"),
    (10024, "WSAEMFILE"),
    (10035, "WSAEWOULDBLOCK"),
    (10036, "WSAEINPROGRESS"),
    (10037, "WSAEALREADY"),
    (10038, "WSAENOTSOCK"),
    (10039, "WSAEDESTADDRREQ"),
    (10042, "WSAENOPROTOOPT"),
    (10045, "WSAEOPNOTSUPP"),
    (10047, "WSAEAFNOSUPPORT"),
    (10048, "WSAEADDRINUSE"),
    (10049, "WSAEADDRNOTAVAIL"),
    (10051, "WSAENETUNREACH"),
    (10053, "WSAECONNABORTED"),
    (10054, "WSAECONNRESET"),
    (10055, "WSAENOBUFS"),
    (10056, "WSAEISCONN"),
    (10057, "WSAENOTCONN"),
    (10058, "WSAESHUTDOWN"),
    (10060, "WSAETIMEDOUT"),
    (10061, "WSAECONNREFUSED"),
    (10065, "WSAEHOSTUNREACH"),
    (10093, "WSANOTINITIALISED"),
];

/// The symbolic name of a Winsock error number.
pub fn errno_name(code: i32) -> Option<&'static str> {
    ERRNO_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The system's description of an error number (`FormatMessage`, through std).
pub fn errno_description(code: i32) -> String {
    let s = std::io::Error::from_raw_os_error(code).to_string();
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// `sizeof(ADDRESS_FAMILY)`.
pub const SA_FAMILY_LEN: u32 = 2;

/// Writes `sa_family` (the first two bytes, little endian).
pub fn set_sa_family(buf: &mut [u8], family: u16) {
    buf[..2].copy_from_slice(&family.to_le_bytes());
}

/// The name of an address family number (Windows numbering: `AF_INET6` is 23).
pub fn family_name(family: u16) -> &'static str {
    match family {
        0 => "AF_UNSPEC",
        1 => "AF_UNIX",
        2 => "AF_INET",
        23 => "AF_INET6",
        _ => "AF_?",
    }
}

/// The handle of a socket.
pub fn fd_of(s: &Socket) -> Fd {
    s.as_raw_socket()
}

/// Not yet implemented on Windows.
pub fn connect(_fd: Fd, _addr: &RawAddr) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn sockopt_null(_fd: Fd, _opt: SockOpt, _set: bool, _len: u32) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn sockname_null(_fd: Fd, _peer: bool) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn poll_null(_n: u32, _timeout_ms: u32) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn sockname_null_len(_fd: Fd, _peer: bool) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn getsockopt_null_len(_fd: Fd, _opt: SockOpt) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn sendto_raw(_fd: Fd, _data: &[u8], _addr: &RawAddr) -> Result<usize, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn bind_raw(_fd: Fd, _addr: &RawAddr) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn setsockopt(_fd: Fd, _opt: SockOpt, _value: OptValue) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn getsockopt(_fd: Fd, _opt: SockOpt) -> Result<OptValue, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn send(_fd: Fd, _buf: &[u8], _to: Option<&SockAddr>) -> Result<usize, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (wsaio3: sendmsg's counterpart is WSASendTo).
pub fn send_msg(_fd: Fd, _pieces: &[&[u8]], _to: Option<&SockAddr>) -> Result<usize, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (wsaio3: recvmsg's counterpart is WSARecvFrom).
pub fn recv_msg(_fd: Fd, _lens: &[usize]) -> Result<(Vec<u8>, SockAddr), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn recv(_fd: Fd, _buf: &mut [u8]) -> Result<(usize, SockAddr), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows: reports "not ready" at once.
pub fn wait_readable(_fd: Fd, _wait: Duration) -> bool {
    false
}

/// `ioctlsocket(FIONBIO)`, through socket2.
pub fn set_nonblocking(s: &Socket, on: bool) -> Result<(), Errno> {
    s.set_nonblocking(on).map_err(|e| Errno::from_io(&e))
}

/// `closesocket()` through socket2's drop (its answer is not reported yet).
pub fn close(s: Socket) -> Result<(), Errno> {
    drop(s);
    Ok(())
}

/// Not yet implemented on Windows.
pub fn shutdown_fd(_fd: Fd) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Windows has no job-control signals.
pub const SIG_TSTP: i32 = 0;
pub const SIG_CONT: i32 = 0;

/// Windows has no job control: nothing to do.
pub fn stop_self() {}

/// Not yet implemented on Windows (there are no signals; see the module docs).
pub fn install_interrupt_handler() -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn thread_id_of<T>(_h: &JoinHandle<T>) -> ThreadId {}

/// Not yet implemented on Windows.
pub fn interrupt_thread(_t: ThreadId) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

// WSAPoll bits (WinSock2.h). Windows has no POLLRDHUP: it is 0 and never reported.
pub const POLLIN: u16 = 0x0100 | 0x0200; // POLLRDNORM | POLLRDBAND
pub const POLLPRI: u16 = 0x0400;
pub const POLLOUT: u16 = 0x0010; // POLLWRNORM
pub const POLLERR: u16 = 0x0001;
pub const POLLHUP: u16 = 0x0002;
pub const POLLNVAL: u16 = 0x0004;
pub const POLLRDHUP: u16 = 0;

// epoll does not exist on Windows; the bits keep Linux's values so that recordings read the
// same everywhere.
pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDHUP: u32 = 0x2000;

/// Not yet implemented on Windows.
pub fn select(_read: &[Fd], _write: &[Fd], _except: &[Fd], _timeout_ms: u32) -> Result<SelectAnswer, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (esc3: the timeval's fields as given).
pub fn select_tv(_read: &[Fd], _write: &[Fd], _except: &[Fd], _sec: i64, _usec: i64) -> Result<SelectAnswer, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (`WSAPoll`).
pub fn poll(_fds: &[(Fd, PollBits)], _timeout_ms: u32) -> Result<Vec<PollBits>, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// epoll does not exist on Windows.
pub fn epoll(_fds: &[(Fd, EpollBits)], _timeout_ms: u32) -> Result<Vec<EpollBits>, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (`SIO_TCP_INFO` exists since Windows 10 1703).
pub fn tcp_info(_fd: Fd) -> Result<TcpInfo, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Windows has no `RLIMIT_NOFILE` (sockets are not limited by a descriptor table).
pub fn nofile_limit() -> Result<(u64, u64), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn sockname_len(_fd: Fd, _peer: bool, _len: u32) -> Result<u32, Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn setsockopt_len(_fd: Fd, _opt: SockOpt, _value: i32, _len: u32) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn getsockopt_len(_fd: Fd, _opt: SockOpt, _len: u32) -> Result<(i64, u32), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows (CreatePipe handles are not SOCKETs either).
pub fn pipe() -> Result<(Fd, Fd), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Not yet implemented on Windows.
pub fn close_fd(_fd: Fd) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Windows has no `RLIMIT_NOFILE`.
pub fn set_nofile_soft(_soft: u64) -> Result<(), Errno> {
    Err(Errno::UNSUPPORTED)
}

/// Windows has no `RLIMIT_NOFILE`.
pub fn nofile_ceiling() -> Option<u64> {
    None
}

/// Windows has no network namespaces.
pub fn netns_id() -> Option<String> {
    None
}

/// Not used on Windows.
pub fn is_root() -> bool {
    false
}

/// Network namespaces are a Linux feature.
pub fn netns_platform() -> Result<(), String> {
    Err("network namespaces are a Linux feature; not available on Windows".to_owned())
}

/// Not yet implemented on Windows (GetExtendedTcpTable would answer it): unknown.
pub fn loopback_port_in_use(_port: u16, _tcp: bool) -> Option<bool> {
    None
}

/// Whether two files' metadata name the same file: without a stable file id in std on
/// Windows, the callers compare canonical paths instead; this answers false.
pub fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    false
}

/// Windows has no FIFOs in the file system (named pipes live in their own namespace).
pub fn is_fifo_or_device(_m: &std::fs::Metadata) -> bool {
    false
}

/// Whether `fd` is an open socket of this process (not known on Windows without a call that
/// could touch it: answered true, so a raw number is never passed blindly).
pub fn fd_is_open(_fd: Fd) -> bool {
    true
}

/// What an open descriptor is (not known on Windows).
pub fn describe_fd(_fd: Fd) -> Option<String> {
    None
}
