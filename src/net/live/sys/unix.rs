//! Platform layer for Unix, written for Linux (epoll, `TCP_INFO`, `TCP_SYNCNT`,
//! `IP_LOCAL_PORT_RANGE` and `/proc` are Linux's; other Unixes are not targeted yet).
//!
//! `sys/windows.rs` defines the same items with the same signatures. Every function here makes
//! one system call (or a fixed, documented sequence) and reports `errno` unchanged.

use std::ffi::c_void;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::{SockAddr, SockAddrStorage, Socket};

use crate::net::live::raw::{Errno, OptValue, RawAddr, SockOpt};
use crate::net::live::readiness::{EpollBits, PollBits, SelectAnswer, TcpInfo};

/// A socket handle: a file descriptor.
pub type Fd = RawFd;

/// The thread a blocking connect runs on.
pub type ThreadId = libc::pthread_t;

/// Error numbers, from the C library's headers.
pub mod code {
    pub const EINTR: i32 = libc::EINTR;
    pub const EBADF: i32 = libc::EBADF;
    pub const EAGAIN: i32 = libc::EAGAIN;
    pub const EACCES: i32 = libc::EACCES;
    pub const EFAULT: i32 = libc::EFAULT;
    pub const EINVAL: i32 = libc::EINVAL;
    pub const EMFILE: i32 = libc::EMFILE;
    pub const EPIPE: i32 = libc::EPIPE;
    pub const ENOTSOCK: i32 = libc::ENOTSOCK;
    pub const EDESTADDRREQ: i32 = libc::EDESTADDRREQ;
    pub const ENOPROTOOPT: i32 = libc::ENOPROTOOPT;
    pub const EOPNOTSUPP: i32 = libc::EOPNOTSUPP;
    pub const EAFNOSUPPORT: i32 = libc::EAFNOSUPPORT;
    pub const EADDRINUSE: i32 = libc::EADDRINUSE;
    pub const EADDRNOTAVAIL: i32 = libc::EADDRNOTAVAIL;
    pub const ENETUNREACH: i32 = libc::ENETUNREACH;
    pub const ECONNABORTED: i32 = libc::ECONNABORTED;
    pub const ECONNRESET: i32 = libc::ECONNRESET;
    pub const EISCONN: i32 = libc::EISCONN;
    pub const ENOTCONN: i32 = libc::ENOTCONN;
    pub const ETIMEDOUT: i32 = libc::ETIMEDOUT;
    pub const ECONNREFUSED: i32 = libc::ECONNREFUSED;
    pub const EHOSTUNREACH: i32 = libc::EHOSTUNREACH;
    pub const EALREADY: i32 = libc::EALREADY;
    pub const EINPROGRESS: i32 = libc::EINPROGRESS;
}

const ERRNO_NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::ESRCH, "ESRCH"),
    (libc::EINTR, "EINTR"),
    (libc::EIO, "EIO"),
    (libc::EBADF, "EBADF"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::ENOMEM, "ENOMEM"),
    (libc::EACCES, "EACCES"),
    (libc::EFAULT, "EFAULT"),
    (libc::EEXIST, "EEXIST"),
    (libc::ENODEV, "ENODEV"),
    (libc::EINVAL, "EINVAL"),
    (libc::ENFILE, "ENFILE"),
    (libc::EMFILE, "EMFILE"),
    (libc::EPIPE, "EPIPE"),
    (libc::ENOSYS, "ENOSYS"),
    (libc::ENOTSOCK, "ENOTSOCK"),
    (libc::EDESTADDRREQ, "EDESTADDRREQ"),
    (libc::EMSGSIZE, "EMSGSIZE"),
    (libc::EPROTOTYPE, "EPROTOTYPE"),
    (libc::ENOPROTOOPT, "ENOPROTOOPT"),
    (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
    (libc::ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"),
    (libc::EOPNOTSUPP, "EOPNOTSUPP"),
    (libc::EPFNOSUPPORT, "EPFNOSUPPORT"),
    (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
    (libc::EADDRINUSE, "EADDRINUSE"),
    (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
    (libc::ENETDOWN, "ENETDOWN"),
    (libc::ENETUNREACH, "ENETUNREACH"),
    (libc::ENETRESET, "ENETRESET"),
    (libc::ECONNABORTED, "ECONNABORTED"),
    (libc::ECONNRESET, "ECONNRESET"),
    (libc::ENOBUFS, "ENOBUFS"),
    (libc::EISCONN, "EISCONN"),
    (libc::ENOTCONN, "ENOTCONN"),
    (libc::ESHUTDOWN, "ESHUTDOWN"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
    (libc::ECONNREFUSED, "ECONNREFUSED"),
    (libc::EHOSTDOWN, "EHOSTDOWN"),
    (libc::EHOSTUNREACH, "EHOSTUNREACH"),
    (libc::EALREADY, "EALREADY"),
    (libc::EINPROGRESS, "EINPROGRESS"),
];

/// The symbolic name of an error number.
pub fn errno_name(code: i32) -> Option<&'static str> {
    ERRNO_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The C library's description of an error number (`strerror`).
pub fn errno_description(code: i32) -> String {
    let s = std::io::Error::from_raw_os_error(code).to_string();
    // std appends " (os error N)"; the number is shown separately by socklab.
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn last_errno() -> Errno {
    Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL))
}

/// `-1` means failure with `errno` set; anything else is the answer.
fn check(ret: libc::c_int) -> Result<libc::c_int, Errno> {
    if ret == -1 { Err(last_errno()) } else { Ok(ret) }
}

fn check_size(ret: libc::ssize_t) -> Result<usize, Errno> {
    usize::try_from(ret).map_err(|_| last_errno())
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/// `sizeof(sa_family_t)`: the addrlen of an `AF_UNSPEC` "family only" address.
pub const SA_FAMILY_LEN: u32 = mem::size_of::<libc::sa_family_t>() as u32;

/// Writes `sa_family` (the first two bytes, native endian, on Linux).
pub fn set_sa_family(buf: &mut [u8], family: u16) {
    buf[..2].copy_from_slice(&family.to_ne_bytes());
}

/// The name of an address family number.
pub fn family_name(family: u16) -> &'static str {
    match libc::c_int::from(family) {
        libc::AF_UNSPEC => "AF_UNSPEC",
        libc::AF_UNIX => "AF_UNIX",
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        libc::AF_PACKET => "AF_PACKET",
        libc::AF_NETLINK => "AF_NETLINK",
        _ => "AF_?",
    }
}

// ---------------------------------------------------------------------------------------------
// Socket calls
// ---------------------------------------------------------------------------------------------

/// The descriptor of a socket.
pub fn fd_of(s: &Socket) -> Fd {
    s.as_raw_fd()
}

/// `connect(2)` with exactly the bytes and length described.
pub fn connect(fd: Fd, addr: &RawAddr) -> Result<(), Errno> {
    let ptr: *const libc::sockaddr = match addr.bogus_ptr {
        // A deliberately invalid pointer (NULL or unmapped): the kernel validates it with
        // copy_from_user and answers EFAULT; glibc's connect() does not dereference it.
        Some(p) => p as *const libc::sockaddr,
        None => addr.buf.0.as_ptr().cast(),
    };
    // SAFETY: `ptr` is either our buffer (256 bytes, and `len` is at most what a test passes,
    // < 256) or a deliberately bogus pointer that only the kernel examines.
    check(unsafe { libc::connect(fd, ptr, addr.len) }).map(drop)
}

/// `bind(2)` with a raw `(addr, addrlen)` pair (an arbitrary family, a NULL pointer).
pub fn bind_raw(fd: Fd, addr: &RawAddr) -> Result<(), Errno> {
    let ptr: *const libc::sockaddr = match addr.bogus_ptr {
        Some(p) => p as *const libc::sockaddr,
        None => addr.buf.0.as_ptr().cast(),
    };
    // SAFETY: as in `connect`: our buffer, or a bogus pointer only the kernel examines.
    check(unsafe { libc::bind(fd, ptr, addr.len) }).map(drop)
}

/// `setsockopt(2)` / `getsockopt(2)` with a NULL optval and an optlen of `len`.
pub fn sockopt_null(fd: Fd, opt: SockOpt, set: bool, len: u32) -> Result<(), Errno> {
    let (level, name) = opt_level_name(opt);
    let mut l: libc::socklen_t = len;
    // SAFETY: the NULL optval is only examined by the kernel; `l` is a live local.
    let r = unsafe {
        if set {
            libc::setsockopt(fd, level, name, std::ptr::null(), l)
        } else {
            libc::getsockopt(fd, level, name, std::ptr::null_mut(), &raw mut l)
        }
    };
    check(r).map(drop)
}

/// `getsockname(2)` / `getpeername(2)` with a NULL name pointer and a namelen of 16.
pub fn sockname_null(fd: Fd, peer: bool) -> Result<(), Errno> {
    let mut l: libc::socklen_t = 16;
    let p = std::ptr::null_mut::<libc::sockaddr>();
    // SAFETY: the NULL pointer is only examined by the kernel (copy_to_user fails: EFAULT).
    let r = unsafe { if peer { libc::getpeername(fd, p, &raw mut l) } else { libc::getsockname(fd, p, &raw mut l) } };
    check(r).map(drop)
}

/// args2: `getsockname(2)` / `getpeername(2)` into a sockaddr_storage with a NULL namelen pointer.
pub fn sockname_null_len(fd: Fd, peer: bool) -> Result<(), Errno> {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let p = (&raw mut ss).cast::<libc::sockaddr>();
    let l = std::ptr::null_mut::<libc::socklen_t>();
    // SAFETY: `ss` is a live local; the NULL length pointer is only examined by the kernel.
    let r = unsafe { if peer { libc::getpeername(fd, p, l) } else { libc::getsockname(fd, p, l) } };
    check(r).map(drop)
}

/// args2: `getsockopt(2)` into a buffer of 16 bytes with a NULL optlen pointer.
pub fn getsockopt_null_len(fd: Fd, opt: SockOpt) -> Result<(), Errno> {
    let (level, name) = opt_level_name(opt);
    let mut buf = [0u8; 16];
    // SAFETY: `buf` is a live local; the NULL length pointer is only examined by the kernel.
    let r = unsafe { libc::getsockopt(fd, level, name, buf.as_mut_ptr().cast(), std::ptr::null_mut()) };
    check(r).map(drop)
}

/// args2: `poll(2)` with a NULL array of `n` entries.
pub fn poll_null(n: u32, timeout_ms: u32) -> Result<(), Errno> {
    let t = timeout_ms.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: the NULL array is only examined by the kernel (EFAULT when it has entries to copy).
    let r = unsafe { libc::poll(std::ptr::null_mut(), libc::nfds_t::from(n), t) };
    check(r).map(drop)
}

/// `sendto(2)` with a raw `(addr, addrlen)` pair; the bytes sent.
pub fn sendto_raw(fd: Fd, data: &[u8], addr: &RawAddr) -> Result<usize, Errno> {
    let ptr: *const libc::sockaddr = match addr.bogus_ptr {
        Some(p) => p as *const libc::sockaddr,
        None => addr.buf.0.as_ptr().cast(),
    };
    // SAFETY: `data` is a live slice; the address as in `connect`.
    let n = unsafe { libc::sendto(fd, data.as_ptr().cast::<c_void>(), data.len(), 0, ptr, addr.len) };
    check_size(n)
}

fn opt_level_name(opt: SockOpt) -> (libc::c_int, libc::c_int) {
    match opt {
        SockOpt::Broadcast => (libc::SOL_SOCKET, libc::SO_BROADCAST),
        SockOpt::ReuseAddr => (libc::SOL_SOCKET, libc::SO_REUSEADDR),
        SockOpt::Error => (libc::SOL_SOCKET, libc::SO_ERROR),
        SockOpt::SndTimeo => (libc::SOL_SOCKET, libc::SO_SNDTIMEO),
        SockOpt::RcvTimeo => (libc::SOL_SOCKET, libc::SO_RCVTIMEO),
        SockOpt::Linger => (libc::SOL_SOCKET, libc::SO_LINGER),
        SockOpt::TcpNoDelay => (libc::IPPROTO_TCP, libc::TCP_NODELAY),
        SockOpt::TcpSynCnt => (libc::IPPROTO_TCP, libc::TCP_SYNCNT),
        SockOpt::TcpUserTimeout => (libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT),
        SockOpt::Ipv6V6Only => (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
        SockOpt::IpRecvErr => (libc::IPPROTO_IP, libc::IP_RECVERR),
        SockOpt::IpLocalPortRange => (libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE),
    }
}

/// `IP_LOCAL_PORT_RANGE` from `<linux/in.h>` (Linux >= 6.3); not in the libc crate.
const IP_LOCAL_PORT_RANGE: libc::c_int = 51;

fn set_raw<T>(fd: Fd, level: libc::c_int, name: libc::c_int, value: &T) -> Result<(), Errno> {
    // SAFETY: `value` points at a live `T` of the given size.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            std::ptr::from_ref(value).cast::<c_void>(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn get_raw<T: Copy>(fd: Fd, level: libc::c_int, name: libc::c_int) -> Result<T, Errno> {
    let mut value = MaybeUninit::<T>::zeroed();
    let mut len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: the buffer is `len` bytes long and zero-initialised, so it is a valid `T` for
    // the plain C types used here whatever the kernel writes.
    check(unsafe { libc::getsockopt(fd, level, name, value.as_mut_ptr().cast(), &raw mut len) })?;
    // SAFETY: zero-initialised plain C data (ints, timeval, linger).
    Ok(unsafe { value.assume_init() })
}

/// `setsockopt(2)`. A value whose shape does not fit the option answers `EINVAL` (what the
/// kernel says for a wrong optlen), without a call.
pub fn setsockopt(fd: Fd, opt: SockOpt, value: OptValue) -> Result<(), Errno> {
    let (level, name) = opt_level_name(opt);
    match (opt, value) {
        (SockOpt::SndTimeo | SockOpt::RcvTimeo, OptValue::Time(d)) => {
            let tv = libc::timeval {
                tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_usec: libc::suseconds_t::from(d.subsec_micros().min(999_999) as i32),
            };
            set_raw(fd, level, name, &tv)
        }
        (SockOpt::Linger, OptValue::Linger { on, secs }) => {
            let l = libc::linger { l_onoff: libc::c_int::from(on), l_linger: secs };
            set_raw(fd, level, name, &l)
        }
        (SockOpt::IpLocalPortRange, OptValue::PortRange { lo, hi }) => {
            let v: u32 = (u32::from(hi) << 16) | u32::from(lo);
            set_raw(fd, level, name, &v)
        }
        (
            SockOpt::Broadcast
            | SockOpt::ReuseAddr
            | SockOpt::Error
            | SockOpt::TcpNoDelay
            | SockOpt::TcpSynCnt
            | SockOpt::TcpUserTimeout
            | SockOpt::Ipv6V6Only
            | SockOpt::IpRecvErr,
            OptValue::Int(v),
        ) => set_raw(fd, level, name, &v),
        _ => Err(Errno::EINVAL),
    }
}

/// `setsockopt(2)` of an int option with the length given (`optlen=N`), the value's low bytes.
pub fn setsockopt_len(fd: Fd, opt: SockOpt, value: i32, len: u32) -> Result<(), Errno> {
    let (level, name) = opt_level_name(opt);
    let bytes = [i64::from(value).to_le_bytes(), [0; 8]].concat();
    let len = len.min(16);
    // SAFETY: `bytes` holds 16 readable bytes and `len` is at most 16.
    check(unsafe { libc::setsockopt(fd, level, name, bytes.as_ptr().cast(), len) }).map(drop)
}

/// `getsockopt(2)` of an int option into a buffer of `len` bytes: the value (its low bytes)
/// and the length the kernel wrote back.
pub fn getsockopt_len(fd: Fd, opt: SockOpt, len: u32) -> Result<(i64, u32), Errno> {
    let (level, name) = opt_level_name(opt);
    let mut buf = [0u8; 16];
    let mut l: libc::socklen_t = len.min(16);
    // SAFETY: `buf` has room for 16 bytes and `l` is at most 16.
    check(unsafe { libc::getsockopt(fd, level, name, buf.as_mut_ptr().cast(), &raw mut l) })?;
    let mut v = [0u8; 8];
    v.copy_from_slice(&buf[..8]);
    Ok((i64::from_le_bytes(v), l))
}

/// `getsockname(2)` (or `getpeername(2)` when `peer`) into a buffer of `len` bytes: the
/// length the kernel wrote back.
pub fn sockname_len(fd: Fd, peer: bool, len: u32) -> Result<u32, Errno> {
    // SAFETY: all-zero bytes are a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let size = libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_storage>()).unwrap_or(128);
    let mut l: libc::socklen_t = len.min(size);
    let p = (&raw mut ss).cast::<libc::sockaddr>();
    // SAFETY: `ss` has room for `l` bytes (at most its size).
    let r = unsafe { if peer { libc::getpeername(fd, p, &raw mut l) } else { libc::getsockname(fd, p, &raw mut l) } };
    check(r)?;
    Ok(l)
}

/// `getsockopt(2)`, decoded in the option's shape.
pub fn getsockopt(fd: Fd, opt: SockOpt) -> Result<OptValue, Errno> {
    let (level, name) = opt_level_name(opt);
    match opt {
        SockOpt::SndTimeo | SockOpt::RcvTimeo => {
            let tv: libc::timeval = get_raw(fd, level, name)?;
            let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
            let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
            Ok(OptValue::Time(Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))))
        }
        SockOpt::Linger => {
            let l: libc::linger = get_raw(fd, level, name)?;
            Ok(OptValue::Linger { on: l.l_onoff != 0, secs: l.l_linger })
        }
        SockOpt::IpLocalPortRange => {
            let v: u32 = get_raw(fd, level, name)?;
            Ok(OptValue::PortRange { lo: (v & 0xffff) as u16, hi: (v >> 16) as u16 })
        }
        SockOpt::Broadcast
        | SockOpt::ReuseAddr
        | SockOpt::Error
        | SockOpt::TcpNoDelay
        | SockOpt::TcpSynCnt
        | SockOpt::TcpUserTimeout
        | SockOpt::Ipv6V6Only
        | SockOpt::IpRecvErr => get_raw::<libc::c_int>(fd, level, name).map(OptValue::Int),
    }
}

/// `send(2)` / `sendto(2)` with `MSG_NOSIGNAL | MSG_DONTWAIT`.
pub fn send(fd: Fd, buf: &[u8], to: Option<&SockAddr>) -> Result<usize, Errno> {
    let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    let (ptr, len) = to.map_or((std::ptr::null(), 0), |a| (a.as_ptr().cast(), a.len()));
    // SAFETY: `buf` is valid for its length; `ptr`/`len` describe a live SockAddr or are NULL/0.
    check_size(unsafe { libc::sendto(fd, buf.as_ptr().cast(), buf.len(), flags, ptr, len) })
}

/// `recvfrom(2)` with `MSG_DONTWAIT`.
pub fn recv(fd: Fd, buf: &mut [u8]) -> Result<(usize, SockAddr), Errno> {
    let mut answer: Result<usize, Errno> = Ok(0);
    // SAFETY: `try_init` hands us a zeroed sockaddr_storage and its length to fill.
    let ((), from) = unsafe {
        SockAddr::try_init(|storage: *mut SockAddrStorage, len| {
            let n = libc::recvfrom(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT, storage.cast(), len);
            answer = check_size(n);
            Ok(())
        })
    }
    .map_err(|e| Errno::from_io(&e))?;
    answer.map(|n| (n, from))
}

/// wsaio3: `sendmsg(2)` with an iovec of `pieces` (gather), the same flags as [`send`].
pub fn send_msg(fd: Fd, pieces: &[&[u8]], to: Option<&SockAddr>) -> Result<usize, Errno> {
    let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    let mut iov: Vec<libc::iovec> =
        pieces.iter().map(|p| libc::iovec { iov_base: p.as_ptr().cast_mut().cast(), iov_len: p.len() }).collect();
    // SAFETY: a zeroed msghdr is valid; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(a) = to {
        msg.msg_name = a.as_ptr().cast_mut().cast();
        msg.msg_namelen = a.len();
    }
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = iov.len() as _;
    // SAFETY: `msg` describes live buffers (sendmsg only reads them) and a live address or none.
    check_size(unsafe { libc::sendmsg(fd, &msg, flags) })
}

/// wsaio3: `recvmsg(2)` with `MSG_DONTWAIT` into buffers of `lens` bytes (scatter); the bytes
/// received, in order, and the source address.
pub fn recv_msg(fd: Fd, lens: &[usize]) -> Result<(Vec<u8>, SockAddr), Errno> {
    let mut bufs: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0u8; n]).collect();
    let mut iov: Vec<libc::iovec> =
        bufs.iter_mut().map(|b| libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }).collect();
    let mut answer: Result<usize, Errno> = Ok(0);
    // SAFETY: `try_init` hands us a zeroed sockaddr_storage and its length to fill; the iovec
    // points into `bufs`, which outlive the call.
    let ((), from) = unsafe {
        SockAddr::try_init(|storage: *mut SockAddrStorage, len| {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_name = storage.cast();
            msg.msg_namelen = *len;
            msg.msg_iov = iov.as_mut_ptr();
            msg.msg_iovlen = iov.len() as _;
            answer = check_size(libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT));
            *len = msg.msg_namelen;
            Ok(())
        })
    }
    .map_err(|e| Errno::from_io(&e))?;
    let n = answer?;
    let mut data: Vec<u8> = bufs.concat();
    data.truncate(n);
    Ok((data, from))
}

/// Waits at most `wait` for `POLLIN` (or an error/hangup); whether the socket became ready.
pub fn wait_readable(fd: Fd, wait: Duration) -> bool {
    let ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
    poll(&[(fd, PollBits::IN)], ms).is_ok_and(|r| r.first().is_some_and(|b| !b.is_empty()))
}

/// `pipe(2)`: two descriptors that are not sockets (read end, write end), close-on-exec.
pub fn pipe() -> Result<(Fd, Fd), Errno> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

/// `close(2)` on a descriptor this process owns (a pipe end), with its answer.
pub fn close_fd(fd: Fd) -> Result<(), Errno> {
    // SAFETY: the caller owns `fd` and never uses it again.
    check(unsafe { libc::close(fd) }).map(drop)
}

/// `ioctl(FIONBIO)`: one system call (socket2's `set_nonblocking` reads and writes the file
/// flags with two `fcntl` calls).
pub fn set_nonblocking(s: &Socket, on: bool) -> Result<(), Errno> {
    let mut v: libc::c_int = on.into();
    // SAFETY: FIONBIO reads one int through the pointer, which is a live local.
    check(unsafe { libc::ioctl(s.as_raw_fd(), libc::FIONBIO, &mut v) }).map(drop)
}

/// `close(2)`, with its answer.
pub fn close(s: Socket) -> Result<(), Errno> {
    let fd = s.into_raw_fd();
    // SAFETY: we own `fd` (taken out of the Socket, which no longer closes it).
    check(unsafe { libc::close(fd) }).map(drop)
}

/// `shutdown(fd, SHUT_RDWR)` on a descriptor another thread may be blocked on: it wakes a
/// blocking connect (the attempt is dropped), accept, recv, select or poll on it. The
/// descriptor stays open (no number is freed for reuse while the other thread holds it).
pub fn shutdown_fd(fd: Fd) -> Result<(), Errno> {
    // SAFETY: shutdown(2) on a plain integer descriptor; it does not close or free it.
    check(unsafe { libc::shutdown(fd, libc::SHUT_RDWR) }).map(drop)
}

// ---------------------------------------------------------------------------------------------
// Interrupting a blocking call
// ---------------------------------------------------------------------------------------------

extern "C" fn on_interrupt(_: libc::c_int) {}

/// The job-control signals a terminal program handles itself: stop (Ctrl-Z from a shell,
/// `kill -TSTP`) and continue.
pub const SIG_TSTP: i32 = libc::SIGTSTP;
pub const SIG_CONT: i32 = libc::SIGCONT;

/// Stop this process now (after the terminal was restored), as the default SIGTSTP would; it
/// returns once the process is continued.
pub fn stop_self() {
    // SAFETY: raise(2) with a valid signal number.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
}

/// Installs an empty `SIGUSR1` handler WITHOUT `SA_RESTART`, once per process, so a blocking
/// call in a thread that receives the signal answers `EINTR` (LINUX_TRUTH 13b).
pub fn install_interrupt_handler() -> Result<(), Errno> {
    static INSTALLED: OnceLock<Result<(), Errno>> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        // SAFETY: a zeroed sigaction is valid; we fill handler, an empty mask, and no flags
        // (deliberately no SA_RESTART). The handler does nothing, so it is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = mem::zeroed();
            sa.sa_sigaction = on_interrupt as *const () as libc::sighandler_t;
            libc::sigemptyset(&raw mut sa.sa_mask);
            sa.sa_flags = 0;
            check(libc::sigaction(libc::SIGUSR1, &raw const sa, std::ptr::null_mut())).map(drop)
        }
    })
}

/// The pthread of a running (not yet joined) thread.
pub fn thread_id_of<T>(h: &JoinHandle<T>) -> ThreadId {
    h.as_pthread_t()
}

/// `pthread_kill(thread, SIGUSR1)`. The caller keeps the thread's JoinHandle unjoined, so the
/// id is valid.
pub fn interrupt_thread(t: ThreadId) -> Result<(), Errno> {
    // SAFETY: `t` is a thread that has not been joined or detached.
    let r = unsafe { libc::pthread_kill(t, libc::SIGUSR1) };
    if r == 0 { Ok(()) } else { Err(Errno(r)) }
}

// ---------------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------------

pub const POLLIN: u16 = libc::POLLIN as u16;
pub const POLLPRI: u16 = libc::POLLPRI as u16;
pub const POLLOUT: u16 = libc::POLLOUT as u16;
pub const POLLERR: u16 = libc::POLLERR as u16;
pub const POLLHUP: u16 = libc::POLLHUP as u16;
pub const POLLNVAL: u16 = libc::POLLNVAL as u16;
pub const POLLRDHUP: u16 = libc::POLLRDHUP as u16;

pub const EPOLLIN: u32 = libc::EPOLLIN as u32;
pub const EPOLLPRI: u32 = libc::EPOLLPRI as u32;
pub const EPOLLOUT: u32 = libc::EPOLLOUT as u32;
pub const EPOLLERR: u32 = libc::EPOLLERR as u32;
pub const EPOLLHUP: u32 = libc::EPOLLHUP as u32;
pub const EPOLLRDHUP: u32 = libc::EPOLLRDHUP as u32;

fn timeout_int(ms: u32) -> libc::c_int {
    libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
}

/// `select(2)`.
pub fn select(read: &[Fd], write: &[Fd], except: &[Fd], timeout_ms: u32) -> Result<SelectAnswer, Errno> {
    select_tv(read, write, except, i64::from(timeout_ms / 1000), i64::from(timeout_ms % 1000) * 1000)
}

/// `select(2)` with the timeval's two fields as given, out of range too (esc3: the kernel
/// judges a `tv_usec` of 1000000 or more, or a negative field).
pub fn select_tv(read: &[Fd], write: &[Fd], except: &[Fd], sec: i64, usec: i64) -> Result<SelectAnswer, Errno> {
    let all = read.iter().chain(write).chain(except);
    let mut nfds = 0;
    for &fd in all {
        if fd < 0 || fd >= libc::FD_SETSIZE as Fd {
            return Err(Errno::EINVAL);
        }
        nfds = nfds.max(fd + 1);
    }
    let fill = |fds: &[Fd]| {
        // SAFETY: FD_ZERO/FD_SET on a local fd_set with descriptors checked against
        // FD_SETSIZE above.
        unsafe {
            let mut set = MaybeUninit::<libc::fd_set>::zeroed().assume_init();
            libc::FD_ZERO(&raw mut set);
            for &fd in fds {
                libc::FD_SET(fd, &raw mut set);
            }
            set
        }
    };
    let (mut r, mut w, mut e) = (fill(read), fill(write), fill(except));
    // 64-bit fields on the hosts socklab runs on: the values pass unchanged.
    let mut tv = libc::timeval { tv_sec: sec as libc::time_t, tv_usec: usec as libc::suseconds_t };
    // SAFETY: all pointers are to locals; nfds covers every descriptor set.
    check(unsafe { libc::select(nfds, &raw mut r, &raw mut w, &raw mut e, &raw mut tv) })?;
    let collect = |fds: &[Fd], set: &libc::fd_set| -> Vec<Fd> {
        let mut out: Vec<Fd> = Vec::new();
        for &fd in fds {
            // SAFETY: fd checked against FD_SETSIZE above.
            if unsafe { libc::FD_ISSET(fd, set) } && !out.contains(&fd) {
                out.push(fd);
            }
        }
        out
    };
    let timeout_left = Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64);
    Ok(SelectAnswer { read: collect(read, &r), write: collect(write, &w), except: collect(except, &e), timeout_left })
}

/// `poll(2)`.
pub fn poll(fds: &[(Fd, PollBits)], timeout_ms: u32) -> Result<Vec<PollBits>, Errno> {
    let mut pfds: Vec<libc::pollfd> =
        fds.iter().map(|&(fd, ev)| libc::pollfd { fd, events: ev.0 as libc::c_short, revents: 0 }).collect();
    // SAFETY: `pfds` is a live array of `len` pollfd.
    check(unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_int(timeout_ms)) })?;
    Ok(pfds.iter().map(|p| PollBits(p.revents as u16)).collect())
}

/// A fresh epoll instance, registration of every descriptor, one `epoll_wait`, close.
pub fn epoll(fds: &[(Fd, EpollBits)], timeout_ms: u32) -> Result<Vec<EpollBits>, Errno> {
    // SAFETY: plain syscall.
    let ep = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    let result = (|| {
        for (i, &(fd, interest)) in fds.iter().enumerate() {
            let mut ev = libc::epoll_event { events: interest.0, u64: i as u64 };
            // SAFETY: `ev` is a live epoll_event.
            check(unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &raw mut ev) })?;
        }
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; fds.len().max(1)];
        // SAFETY: `events` has room for `len` entries.
        let n = check(unsafe {
            libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as libc::c_int, timeout_int(timeout_ms))
        })?;
        let mut out = vec![EpollBits::EMPTY; fds.len()];
        for ev in events.iter().take(n as usize) {
            let (bits, idx) = (ev.events, ev.u64);
            if let Some(slot) = usize::try_from(idx).ok().and_then(|i| out.get_mut(i)) {
                *slot = EpollBits(bits);
            }
        }
        Ok(out)
    })();
    // SAFETY: `ep` is ours.
    unsafe { libc::close(ep) };
    result
}

/// `getsockopt(IPPROTO_TCP, TCP_INFO)`, first fields.
pub fn tcp_info(fd: Fd) -> Result<TcpInfo, Errno> {
    let info: libc::tcp_info = get_raw(fd, libc::IPPROTO_TCP, libc::TCP_INFO)?;
    Ok(TcpInfo {
        state_raw: info.tcpi_state,
        retransmits: info.tcpi_retransmits,
        backoff: info.tcpi_backoff,
        options: info.tcpi_options,
        rto_us: info.tcpi_rto,
    })
}

// ---------------------------------------------------------------------------------------------
// Limits and namespaces
// ---------------------------------------------------------------------------------------------

/// `getrlimit(RLIMIT_NOFILE)`: `(soft, hard)`; `u64::MAX` means unlimited.
pub fn nofile_limit() -> Result<(u64, u64), Errno> {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `rl` is a live rlimit.
    check(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut rl) })?;
    Ok((rl.rlim_cur, rl.rlim_max))
}

/// `setrlimit(RLIMIT_NOFILE)` with this soft limit, keeping the hard one.
pub fn set_nofile_soft(soft: u64) -> Result<(), Errno> {
    let (_, hard) = nofile_limit()?;
    let rl = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: `rl` is a live rlimit.
    check(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const rl) }).map(drop)
}

/// The largest soft limit the kernel accepts when the hard limit is unlimited
/// (`/proc/sys/fs/nr_open`).
pub fn nofile_ceiling() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|s| s.trim().parse().ok())
}

/// An identifier of the network namespace this process is in (`net:[4026531840]`).
pub fn netns_id() -> Option<String> {
    std::fs::read_link("/proc/self/ns/net").ok().map(|p| p.to_string_lossy().into_owned())
}

/// Whether the process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // SAFETY: plain syscall without arguments.
    unsafe { libc::geteuid() == 0 }
}

/// Network namespaces exist on this platform (Linux); the caller still has to try one.
pub fn netns_platform() -> Result<(), String> {
    Ok(())
}

/// Whether some socket on this host (any process) is bound to `port` on a loopback or wildcard
/// address: a listening TCP socket (`tcp: true`) or any UDP socket. Read from
/// `/proc/net/{tcp,tcp6,udp,udp6}`, without touching the socket. `None` when the tables cannot
/// be read (then the caller does not know).
pub fn loopback_port_in_use(port: u16, tcp: bool) -> Option<bool> {
    let files: &[&str] = if tcp { &["/proc/net/tcp", "/proc/net/tcp6"] } else { &["/proc/net/udp", "/proc/net/udp6"] };
    let mut readable = false;
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        readable = true;
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(st)) = (cols.get(1), cols.get(3)) else { continue };
            let Some((ip, p)) = local.split_once(':') else { continue };
            if u16::from_str_radix(p, 16).ok() != Some(port) {
                continue;
            }
            // TCP: only LISTEN (0A) accepts a handshake; UDP: any bound socket takes datagrams.
            if tcp && *st != "0A" {
                continue;
            }
            let loopback_or_any = match ip.len() {
                8 => ip == "00000000" || ip.ends_with("7F"),
                _ => {
                    ip.chars().all(|c| c == '0')
                        || ip == "00000000000000000000000001000000"
                        || ip.ends_with("7F") && ip.starts_with("0000000000000000FFFF0000")
                }
            };
            if loopback_or_any {
                return Some(true);
            }
        }
    }
    readable.then_some(false)
}

/// Whether two files' metadata name the same file (device and inode: hard links too).
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Whether the metadata is of a FIFO, a socket or a device: a file whose open may block or
/// whose reads never end.
pub fn is_fifo_or_device(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    t.is_fifo() || t.is_socket() || t.is_block_device() || t.is_char_device()
}

/// Whether `fd` is an open descriptor of this process.
pub fn fd_is_open(fd: Fd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; an unknown number answers EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// What an open descriptor is, as the kernel names it (`socket:[1234]`, `pipe:[5678]`,
/// `/dev/null`, `anon_inode:[eventpoll]`).
pub fn describe_fd(fd: Fd) -> Option<String> {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).ok().map(|p| p.display().to_string())
}
