//! Real sockets with the kernel's raw answers.
//!
//! Every operation of [`RawSocket`] is one system call and returns `Result<T, Errno>`: `Ok` when
//! the call returned success, `Err(errno)` with the kernel's error number otherwise. Nothing is
//! retried, nothing is mapped: `EINTR` is an answer, `EISCONN` is an answer, and the one-time `0`
//! from a second `connect()` (LINUX_TRUTH 2b) is an answer too.
//!
//! [`SockAddrArg`] describes exactly what is handed to `connect(2)`: a proper address, the
//! `AF_UNSPEC` "disconnect" form, an address with a foreign family number, an address with a
//! wrong length, or a NULL pointer, so that socklab can show the kernel's answer to each.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::clock::Stopwatch;
use super::sys;

/// The platform's socket handle: a file descriptor on Unix, a `SOCKET` on Windows.
pub type Fd = sys::Fd;

// ---------------------------------------------------------------------------------------------
// Errno
// ---------------------------------------------------------------------------------------------

/// An error number exactly as the kernel returned it (`errno` on Unix, `WSAGetLastError()` on
/// Windows). Shown everywhere by name and number: `ECONNREFUSED (111)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

impl Errno {
    pub const EINTR: Self = Self(sys::code::EINTR);
    pub const EBADF: Self = Self(sys::code::EBADF);
    pub const EAGAIN: Self = Self(sys::code::EAGAIN);
    pub const EACCES: Self = Self(sys::code::EACCES);
    pub const EFAULT: Self = Self(sys::code::EFAULT);
    pub const EINVAL: Self = Self(sys::code::EINVAL);
    pub const EMFILE: Self = Self(sys::code::EMFILE);
    pub const EPIPE: Self = Self(sys::code::EPIPE);
    pub const ENOTSOCK: Self = Self(sys::code::ENOTSOCK);
    pub const EDESTADDRREQ: Self = Self(sys::code::EDESTADDRREQ);
    pub const ENOPROTOOPT: Self = Self(sys::code::ENOPROTOOPT);
    pub const EOPNOTSUPP: Self = Self(sys::code::EOPNOTSUPP);
    pub const EAFNOSUPPORT: Self = Self(sys::code::EAFNOSUPPORT);
    pub const EADDRINUSE: Self = Self(sys::code::EADDRINUSE);
    pub const EADDRNOTAVAIL: Self = Self(sys::code::EADDRNOTAVAIL);
    pub const ENETUNREACH: Self = Self(sys::code::ENETUNREACH);
    pub const ECONNABORTED: Self = Self(sys::code::ECONNABORTED);
    pub const ECONNRESET: Self = Self(sys::code::ECONNRESET);
    pub const EISCONN: Self = Self(sys::code::EISCONN);
    pub const ENOTCONN: Self = Self(sys::code::ENOTCONN);
    pub const ETIMEDOUT: Self = Self(sys::code::ETIMEDOUT);
    pub const ECONNREFUSED: Self = Self(sys::code::ECONNREFUSED);
    pub const EHOSTUNREACH: Self = Self(sys::code::EHOSTUNREACH);
    pub const EALREADY: Self = Self(sys::code::EALREADY);
    pub const EINPROGRESS: Self = Self(sys::code::EINPROGRESS);

    /// Not an answer from any kernel: socklab has not implemented this call on this platform
    /// (everything on Windows, for now). The number `-1` is never a real error number.
    pub const UNSUPPORTED: Self = Self(-1);

    /// The error number.
    #[must_use]
    pub fn code(self) -> i32 {
        self.0
    }

    /// The symbolic name (`EINPROGRESS`), or `E?` for a number this platform does not name.
    #[must_use]
    pub fn name(self) -> &'static str {
        if self == Self::UNSUPPORTED {
            return "UNSUPPORTED";
        }
        sys::errno_name(self.0).unwrap_or("E?")
    }

    /// The C library's description ("Connection refused").
    #[must_use]
    pub fn description(self) -> String {
        if self == Self::UNSUPPORTED {
            return "not yet implemented on this platform by socklab".to_owned();
        }
        sys::errno_description(self.0)
    }

    /// The error of an `io::Error` from socket2 (always an OS error for the calls used here).
    /// An error without an OS code can only come from a check on the Rust side, which the calls
    /// made here do not have; it is reported as `EINVAL`.
    pub(crate) fn from_io(e: &io::Error) -> Self {
        e.raw_os_error().map_or(Self::EINVAL, Self)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Errno {}

fn io_err(e: io::Error) -> Errno {
    Errno::from_io(&e)
}

// ---------------------------------------------------------------------------------------------
// Socket kinds and options
// ---------------------------------------------------------------------------------------------

/// Address family of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `AF_INET`
    V4,
    /// `AF_INET6`
    V6,
}

impl Family {
    /// The family of an address.
    #[must_use]
    pub fn of(addr: &SocketAddr) -> Self {
        if addr.is_ipv4() { Self::V4 } else { Self::V6 }
    }

    /// `AF_INET` / `AF_INET6`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::V4 => "AF_INET",
            Self::V6 => "AF_INET6",
        }
    }
}

/// Socket type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `SOCK_STREAM` / TCP
    Tcp,
    /// `SOCK_DGRAM` / UDP
    Udp,
}

/// The socket options socklab sets and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SockOpt {
    /// `SO_BROADCAST` (int): allow sending to broadcast addresses (LINUX_TRUTH 6).
    Broadcast,
    /// `SO_REUSEADDR` (int).
    ReuseAddr,
    /// `SO_ERROR` (int, read-only): the pending error; reading it clears it (LINUX_TRUTH 3c).
    Error,
    /// `SO_SNDTIMEO` (timeval): on Linux it also bounds a blocking connect (LINUX_TRUTH 4d).
    SndTimeo,
    /// `SO_RCVTIMEO` (timeval).
    RcvTimeo,
    /// `SO_LINGER` (struct linger): `{on, 0}` makes close() send RST.
    Linger,
    /// `TCP_NODELAY` (int).
    TcpNoDelay,
    /// `TCP_SYNCNT` (int, Linux): SYN retransmissions before a connect gives up (4b).
    TcpSynCnt,
    /// `TCP_USER_TIMEOUT` (int, milliseconds, Linux): also bounds a pending connect (4c).
    TcpUserTimeout,
    /// `IPV6_V6ONLY` (int): default 0 on Linux, 1 on Windows (14a).
    Ipv6V6Only,
    /// `IP_RECVERR` (int, Linux): report ICMP errors on unconnected UDP and soft errors (7i).
    IpRecvErr,
    /// `IP_LOCAL_PORT_RANGE` (Linux >= 6.3): per-socket ephemeral range `lo..=hi` (15).
    IpLocalPortRange,
}

impl SockOpt {
    /// Every option, in a stable order.
    pub const ALL: [Self; 12] = [
        Self::Broadcast,
        Self::ReuseAddr,
        Self::Error,
        Self::SndTimeo,
        Self::RcvTimeo,
        Self::Linger,
        Self::TcpNoDelay,
        Self::TcpSynCnt,
        Self::TcpUserTimeout,
        Self::Ipv6V6Only,
        Self::IpRecvErr,
        Self::IpLocalPortRange,
    ];

    /// The C name (`SO_BROADCAST`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Broadcast => "SO_BROADCAST",
            Self::ReuseAddr => "SO_REUSEADDR",
            Self::Error => "SO_ERROR",
            Self::SndTimeo => "SO_SNDTIMEO",
            Self::RcvTimeo => "SO_RCVTIMEO",
            Self::Linger => "SO_LINGER",
            Self::TcpNoDelay => "TCP_NODELAY",
            Self::TcpSynCnt => "TCP_SYNCNT",
            Self::TcpUserTimeout => "TCP_USER_TIMEOUT",
            Self::Ipv6V6Only => "IPV6_V6ONLY",
            Self::IpRecvErr => "IP_RECVERR",
            Self::IpLocalPortRange => "IP_LOCAL_PORT_RANGE",
        }
    }

    /// Parses a C name, case-insensitively (`so_broadcast` works).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for SockOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The value of a socket option, in the shape the kernel uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptValue {
    /// An `int` option (booleans are 0/1; `SO_ERROR` is an error number).
    Int(i32),
    /// A `struct timeval` option; zero means "no timeout".
    Time(Duration),
    /// `struct linger`: `on` and the linger time in seconds.
    Linger { on: bool, secs: i32 },
    /// `IP_LOCAL_PORT_RANGE`: lowest and highest port (0 means the system range).
    PortRange { lo: u16, hi: u16 },
}

impl fmt::Display for OptValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Int(v) => write!(f, "{v}"),
            Self::Time(d) => write!(f, "{} ms", d.as_millis()),
            Self::Linger { on, secs } => write!(f, "{{on={}, linger={secs}s}}", u8::from(on)),
            Self::PortRange { lo, hi } => write!(f, "{lo}-{hi}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/// What is handed to `connect(2)` as `(addr, addrlen)`: a raw description, so that the edge
/// cases of LINUX_TRUTH 7f and 8c-8h can be performed and their answers shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddrArg {
    /// A proper `sockaddr_in` / `sockaddr_in6` with its natural length (16 / 28).
    Inet(SocketAddr),
    /// `AF_UNSPEC`, family only: addrlen = `sizeof(sa_family_t)` = 2. Linux's way to disconnect
    /// a socket (7f, 8b, 10d).
    Unspec,
    /// `AF_UNSPEC` followed by zeros, with this addrlen (7f: 16 works, 1 gives `EINVAL`).
    UnspecLen(u32),
    /// The address's bytes with `sa_family` replaced by this number (8c: `AF_INET6` in a
    /// 16-byte `sockaddr_in`, `AF_UNIX`, `0xffff`).
    WrongFamily(SocketAddr, u16),
    /// The address's bytes with this addrlen. A shorter length truncates (8d); a longer one pads
    /// with zeros (8e: 128, 129; 8f: a `sockaddr_in` padded to 28).
    Truncated(SocketAddr, u32),
    /// A NULL pointer with this addrlen (8h: `EFAULT`, or `EINVAL` for len 0).
    Null { len: u32 },
    /// A pointer to unmapped memory (address 8) with this addrlen (8h: `EFAULT`). The kernel
    /// checks the pointer; nothing on the Rust side reads it.
    Unmapped { len: u32 },
    /// A zero-filled structure of this addrlen whose `sa_family` is this number (`af=N`).
    Family { family: u16, len: u32 },
}

/// Room for the longest address any test passes (`Truncated(_, 129)` needs more than
/// `sockaddr_storage`'s 128 bytes).
const ADDR_BUF_LEN: usize = 256;

/// A buffer aligned for any `sockaddr` type.
#[repr(C, align(8))]
pub(crate) struct AddrBuf(pub(crate) [u8; ADDR_BUF_LEN]);

/// The `(pointer, length)` pair handed to the system call.
pub(crate) struct RawAddr {
    pub(crate) buf: AddrBuf,
    pub(crate) len: u32,
    /// `Some(p)`: pass the address `p` instead of `buf` (NULL or unmapped).
    pub(crate) bogus_ptr: Option<usize>,
}

impl SockAddrArg {
    pub(crate) fn encode(&self) -> RawAddr {
        let mut raw = RawAddr { buf: AddrBuf([0; ADDR_BUF_LEN]), len: 0, bogus_ptr: None };
        let mut put = |addr: &SocketAddr| -> u32 {
            let sa = SockAddr::from(*addr);
            let len = sa.len() as usize;
            // SAFETY: `as_ptr` points at a `sockaddr_storage` holding `len` initialised bytes,
            // and `len` (16 or 28) is smaller than our buffer.
            let bytes = unsafe { std::slice::from_raw_parts(sa.as_ptr().cast::<u8>(), len) };
            raw.buf.0[..len].copy_from_slice(bytes);
            sa.len()
        };
        match self {
            Self::Inet(a) => raw.len = put(a),
            Self::Unspec => raw.len = sys::SA_FAMILY_LEN,
            Self::UnspecLen(len) => raw.len = *len,
            Self::WrongFamily(a, family) => {
                raw.len = put(a);
                sys::set_sa_family(&mut raw.buf.0, *family);
            }
            Self::Truncated(a, len) => {
                put(a);
                raw.len = *len;
            }
            Self::Null { len } => {
                raw.len = *len;
                raw.bogus_ptr = Some(0);
            }
            Self::Unmapped { len } => {
                raw.len = *len;
                raw.bogus_ptr = Some(8);
            }
            Self::Family { family, len } => {
                raw.len = (*len).min(ADDR_BUF_LEN as u32);
                sys::set_sa_family(&mut raw.buf.0, *family);
            }
        }
        raw
    }
}

impl From<SocketAddr> for SockAddrArg {
    fn from(a: SocketAddr) -> Self {
        Self::Inet(a)
    }
}

impl fmt::Display for SockAddrArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inet(a) => write!(f, "{a}"),
            Self::Unspec => write!(f, "AF_UNSPEC (len {})", sys::SA_FAMILY_LEN),
            Self::UnspecLen(len) => write!(f, "AF_UNSPEC (len {len})"),
            Self::WrongFamily(a, fam) => {
                write!(f, "{a} with sa_family={} ({fam})", sys::family_name(*fam))
            }
            Self::Truncated(a, len) => write!(f, "{a} with addrlen={len}"),
            Self::Null { len } => write!(f, "NULL (len {len})"),
            Self::Unmapped { len } => write!(f, "unmapped pointer (len {len})"),
            Self::Family { family, len } => write!(f, "sa_family={family} (len {len})"),
        }
    }
}

/// An address returned by `getsockname`/`getpeername`/`accept`/`recvfrom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SockName {
    /// An IPv4 or IPv6 address.
    Inet(SocketAddr),
    /// Any other family (for example `AF_UNSPEC` from a `recvfrom` on a connected socket).
    Other { family: u16 },
}

impl SockName {
    /// The internet address, if it is one.
    #[must_use]
    pub fn inet(self) -> Option<SocketAddr> {
        match self {
            Self::Inet(a) => Some(a),
            Self::Other { .. } => None,
        }
    }

    fn from_sockaddr(sa: &SockAddr) -> Self {
        sa.as_socket().map_or(Self::Other { family: sa.family() }, Self::Inet)
    }
}

impl fmt::Display for SockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inet(a) => write!(f, "{a}"),
            Self::Other { family } => write!(f, "<{}>", sys::family_name(*family)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RawSocket
// ---------------------------------------------------------------------------------------------

/// A real socket. Every method is one system call with the kernel's raw answer.
///
/// Dropping a `RawSocket` closes it (errors ignored); [`RawSocket::close`] closes it and
/// reports the answer.
#[derive(Debug)]
pub struct RawSocket {
    inner: Socket,
    family: Family,
    kind: Kind,
}

impl RawSocket {
    /// `socket(2)`. Running out of descriptors is an answer (`EMFILE`), never a panic.
    pub fn new(family: Family, kind: Kind) -> Result<Self, Errno> {
        let domain = match family {
            Family::V4 => Domain::IPV4,
            Family::V6 => Domain::IPV6,
        };
        let (ty, proto) = match kind {
            Kind::Tcp => (Type::STREAM, Protocol::TCP),
            Kind::Udp => (Type::DGRAM, Protocol::UDP),
        };
        let inner = Socket::new(domain, ty, Some(proto)).map_err(io_err)?;
        Ok(Self { inner, family, kind })
    }

    /// A TCP socket of this family.
    pub fn tcp(family: Family) -> Result<Self, Errno> {
        Self::new(family, Kind::Tcp)
    }

    /// A UDP socket of this family.
    pub fn udp(family: Family) -> Result<Self, Errno> {
        Self::new(family, Kind::Udp)
    }

    /// The address family the socket was created with.
    #[must_use]
    pub fn family(&self) -> Family {
        self.family
    }

    /// TCP or UDP.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The descriptor, for readiness calls ([`super::readiness`]).
    #[must_use]
    pub fn fd(&self) -> Fd {
        sys::fd_of(&self.inner)
    }

    /// The socket2 socket underneath (for calls this wrapper does not have).
    #[must_use]
    pub fn as_socket2(&self) -> &Socket {
        &self.inner
    }

    /// `ioctl(FIONBIO)` / `ioctlsocket(FIONBIO)`.
    pub fn set_nonblocking(&self, on: bool) -> Result<(), Errno> {
        sys::set_nonblocking(&self.inner, on)
    }

    /// `setsockopt(2)`. A value of the wrong shape for the option answers `EINVAL`, as the
    /// kernel does for a wrong optlen.
    pub fn setsockopt(&self, opt: SockOpt, value: OptValue) -> Result<(), Errno> {
        sys::setsockopt(self.fd(), opt, value)
    }

    /// `setsockopt(2)` of an `int` option.
    pub fn set_int(&self, opt: SockOpt, value: i32) -> Result<(), Errno> {
        self.setsockopt(opt, OptValue::Int(value))
    }

    /// `getsockopt(2)`.
    pub fn getsockopt(&self, opt: SockOpt) -> Result<OptValue, Errno> {
        sys::getsockopt(self.fd(), opt)
    }

    /// `getsockopt(2)` of an `int` option.
    pub fn get_int(&self, opt: SockOpt) -> Result<i32, Errno> {
        match self.getsockopt(opt)? {
            OptValue::Int(v) => Ok(v),
            OptValue::Time(_) | OptValue::Linger { .. } | OptValue::PortRange { .. } => Err(Errno::EINVAL),
        }
    }

    /// `getsockopt(SO_ERROR)`: `Ok(None)` when no error is pending. Reading clears it.
    pub fn so_error(&self) -> Result<Option<Errno>, Errno> {
        let v = self.get_int(SockOpt::Error)?;
        Ok((v != 0).then_some(Errno(v)))
    }

    /// `bind(2)`.
    pub fn bind(&self, addr: SocketAddr) -> Result<(), Errno> {
        self.inner.bind(&SockAddr::from(addr)).map_err(io_err)
    }

    /// `listen(2)`.
    pub fn listen(&self, backlog: i32) -> Result<(), Errno> {
        self.inner.listen(backlog).map_err(io_err)
    }

    /// `accept(2)` (blocks on a blocking socket; see [`RawSocket::accept_within`]).
    pub fn accept(&self) -> Result<(Self, SockName), Errno> {
        let (s, peer) = self.inner.accept().map_err(io_err)?;
        let family = self.family;
        let sock = Self { inner: s, family, kind: self.kind };
        Ok((sock, SockName::from_sockaddr(&peer)))
    }

    /// Waits at most `wait` for a connection to be ready, then `accept(2)`. When none is ready
    /// in time, the answer is `EAGAIN` without calling `accept` (socklab's answer, the same a
    /// nonblocking `accept` would give). A helper for targets and tests, not a lab call.
    pub fn accept_within(&self, wait: Duration) -> Result<(Self, SockName), Errno> {
        if !sys::wait_readable(self.fd(), wait) {
            return Err(Errno::EAGAIN);
        }
        self.accept()
    }

    /// `connect(2)`, called through `libc` directly with exactly the bytes `addr` describes.
    /// A blocking socket blocks here (a pending connect can take ~127 s on Linux; see
    /// [`RawSocket::connect_blocking_interruptible`] to run it off the caller's thread).
    pub fn connect(&self, addr: &SockAddrArg) -> Result<(), Errno> {
        connect_fd(self.fd(), addr)
    }

    /// `bind(2)` with a raw address: an arbitrary family ([`SockAddrArg::Family`]) or a NULL
    /// pointer, which bind no address.
    pub fn bind_raw(&self, addr: &SockAddrArg) -> Result<(), Errno> {
        sys::bind_raw(self.fd(), &addr.encode())
    }

    /// `sendto(2)` with a raw address (an arbitrary family, a NULL pointer).
    pub fn send_to_raw(&self, data: &[u8], addr: &SockAddrArg) -> Result<usize, Errno> {
        sys::sendto_raw(self.fd(), data, &addr.encode())
    }

    /// A blocking `connect(2)` run on its own thread, which [`BlockingConnect::interrupt`] can
    /// interrupt with a signal (`SIGUSR1`, handler installed without `SA_RESTART`): the call then
    /// answers `EINTR` while the handshake carries on in the kernel (LINUX_TRUTH 13b).
    ///
    /// The thread works on a duplicate of the descriptor (the same socket), so `self` stays
    /// usable meanwhile. Installing the handler replaces any `SIGUSR1` disposition the process had.
    pub fn connect_blocking_interruptible(&self, addr: SockAddrArg) -> Result<BlockingConnect, Errno> {
        sys::install_interrupt_handler()?;
        let dup = self.inner.try_clone().map_err(io_err)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("socklab-blocking-connect".to_owned())
            .spawn(move || {
                let (answer, took) = Stopwatch::time(|| connect_fd(sys::fd_of(&dup), &addr));
                // The receiver may be gone; the answer is then simply not wanted.
                let _ = tx.send((answer, took));
            })
            .map_err(io_err)?;
        let thread = sys::thread_id_of(&handle);
        Ok(BlockingConnect { handle: Some(handle), thread, rx, answer: None })
    }

    /// `getsockname(2)` / `getpeername(2)` into a buffer of `len` bytes: the length written back.
    pub fn sockname_len(&self, peer: bool, len: u32) -> Result<u32, Errno> {
        sys::sockname_len(self.fd(), peer, len)
    }

    /// `setsockopt(2)` / `getsockopt(2)` with a NULL optval and an optlen of `len`.
    pub fn sockopt_null(&self, opt: SockOpt, set: bool, len: u32) -> Result<(), Errno> {
        sys::sockopt_null(self.fd(), opt, set, len)
    }

    /// `getsockname(2)` / `getpeername(2)` with a NULL name pointer (namelen 16).
    pub fn sockname_null(&self, peer: bool) -> Result<(), Errno> {
        sys::sockname_null(self.fd(), peer)
    }

    /// args2: `getsockname(2)` / `getpeername(2)` with a NULL namelen pointer.
    pub fn sockname_null_len(&self, peer: bool) -> Result<(), Errno> {
        sys::sockname_null_len(self.fd(), peer)
    }

    /// args2: `getsockopt(2)` with a NULL optlen pointer.
    pub fn getsockopt_null_len(&self, opt: SockOpt) -> Result<(), Errno> {
        sys::getsockopt_null_len(self.fd(), opt)
    }

    /// `setsockopt(2)` of an int option with an explicit optlen.
    pub fn setsockopt_len(&self, opt: SockOpt, value: i32, len: u32) -> Result<(), Errno> {
        sys::setsockopt_len(self.fd(), opt, value, len)
    }

    /// `getsockopt(2)` of an int option into a buffer of `len` bytes: (value, length written).
    pub fn getsockopt_len(&self, opt: SockOpt, len: u32) -> Result<(i64, u32), Errno> {
        sys::getsockopt_len(self.fd(), opt, len)
    }

    /// `getsockname(2)`.
    pub fn local_addr(&self) -> Result<SockName, Errno> {
        let sa = self.inner.local_addr().map_err(io_err)?;
        Ok(SockName::from_sockaddr(&sa))
    }

    /// `getpeername(2)`.
    pub fn peer_addr(&self) -> Result<SockName, Errno> {
        let sa = self.inner.peer_addr().map_err(io_err)?;
        Ok(SockName::from_sockaddr(&sa))
    }

    /// `send(2)` with `MSG_NOSIGNAL | MSG_DONTWAIT`: never raises `SIGPIPE` (an `EPIPE` is an
    /// answer) and never blocks (a full send buffer answers `EAGAIN`).
    pub fn send(&self, buf: &[u8]) -> Result<usize, Errno> {
        sys::send(self.fd(), buf, None)
    }

    /// `sendto(2)` with the same flags as [`RawSocket::send`].
    pub fn send_to(&self, buf: &[u8], to: SocketAddr) -> Result<usize, Errno> {
        sys::send(self.fd(), buf, Some(&SockAddr::from(to)))
    }

    /// wsaio3: `sendmsg(2)` with an iovec of `pieces` (gather), to `to` or the peer.
    pub fn send_msg(&self, pieces: &[&[u8]], to: Option<SocketAddr>) -> Result<usize, Errno> {
        sys::send_msg(self.fd(), pieces, to.map(SockAddr::from).as_ref())
    }

    /// wsaio3: like [`RawSocket::recv_from`], into buffers of `lens` bytes (`recvmsg(2)`).
    pub fn recv_msg(&self, lens: &[usize], wait: Duration) -> Result<(Vec<u8>, SockName), Errno> {
        sys::wait_readable(self.fd(), wait);
        let (data, from) = sys::recv_msg(self.fd(), lens)?;
        Ok((data, SockName::from_sockaddr(&from)))
    }

    /// Waits at most `wait` for the socket to become readable (or to have an error), then
    /// `recv(2)` with `MSG_DONTWAIT`. The answer is the kernel's: `EAGAIN` when nothing came in
    /// time (as with `SO_RCVTIMEO`), `Ok(0)` at end of stream, or the pending error.
    pub fn recv(&self, buf: &mut [u8], wait: Duration) -> Result<usize, Errno> {
        sys::wait_readable(self.fd(), wait);
        sys::recv(self.fd(), buf).map(|(n, _)| n)
    }

    /// Like [`RawSocket::recv`], with the sender's address (`recvfrom(2)`).
    pub fn recv_from(&self, buf: &mut [u8], wait: Duration) -> Result<(usize, SockName), Errno> {
        sys::wait_readable(self.fd(), wait);
        let (n, from) = sys::recv(self.fd(), buf)?;
        Ok((n, SockName::from_sockaddr(&from)))
    }

    /// `shutdown(2)`.
    pub fn shutdown(&self, how: Shutdown) -> Result<(), Errno> {
        self.inner.shutdown(how).map_err(io_err)
    }

    /// `close(2)` / `closesocket()`, reporting its answer.
    pub fn close(self) -> Result<(), Errno> {
        sys::close(self.inner)
    }
}

/// The process's own signals, for the terminal layer: job control, and SIGUSR1 made harmless.
pub mod signals {
    pub use super::sys::{SIG_CONT, SIG_TSTP, stop_self};

    /// SIGUSR1 gets socklab's empty handler (the one that makes a blocking call answer EINTR,
    /// LINUX_TRUTH 13b): a stray `kill -USR1` then ends nothing and leaves the terminal alone.
    pub fn tame_usr1() -> Result<(), super::Errno> {
        super::sys::install_interrupt_handler()
    }
}

/// `shutdown(SHUT_RDWR)` on a descriptor another thread may be blocked on (giving up on a
/// blocking call from the side); the descriptor stays open.
pub fn shutdown_fd(fd: Fd) -> Result<(), Errno> {
    sys::shutdown_fd(fd)
}

/// Whether `fd` is an open descriptor of this process.
pub fn fd_is_open(fd: Fd) -> bool {
    sys::fd_is_open(fd)
}

/// What an open descriptor is, as the system names it (`socket:[1234]`, `/dev/null`), when it
/// says.
pub fn describe_fd(fd: Fd) -> Option<String> {
    sys::describe_fd(fd)
}

/// `connect(2)` on any descriptor, even one that is closed, `-1`, a pipe or `/dev/null`
/// (LINUX_TRUTH 8i, 8j).
/// A pipe this process opened: two descriptors that are not sockets, closed on drop.
#[derive(Debug)]
pub struct Pipe {
    read: Option<Fd>,
    write: Option<Fd>,
}

impl Pipe {
    /// `pipe(2)`.
    pub fn open() -> Result<Pipe, Errno> {
        let (r, w) = sys::pipe()?;
        Ok(Pipe { read: Some(r), write: Some(w) })
    }

    /// The read end: the descriptor a script names.
    pub fn fd(&self) -> Option<Fd> {
        self.read
    }

    /// `close(2)` on both ends; the answer is the read end's.
    pub fn close(mut self) -> Result<(), Errno> {
        if let Some(w) = self.write.take() {
            let _ = sys::close_fd(w);
        }
        match self.read.take() {
            Some(r) => sys::close_fd(r),
            None => Ok(()),
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        for fd in [self.read.take(), self.write.take()].into_iter().flatten() {
            let _ = sys::close_fd(fd);
        }
    }
}

/// args2: `poll(2)` with a NULL array of `n` entries, waiting at most `timeout_ms`.
pub fn poll_null(n: u32, timeout_ms: u32) -> Result<(), Errno> {
    sys::poll_null(n, timeout_ms)
}

/// `socket(af, SOCK_STREAM or SOCK_DGRAM, 0)` with any family number: its error, or `Ok` (the
/// socket is closed at once) when the system has such a family.
pub fn try_socket_family(af: u16, udp: bool) -> Result<(), Errno> {
    let ty = if udp { socket2::Type::DGRAM } else { socket2::Type::STREAM };
    Socket::new(socket2::Domain::from(i32::from(af)), ty, None).map(drop).map_err(io_err)
}

pub fn connect_fd(fd: Fd, addr: &SockAddrArg) -> Result<(), Errno> {
    sys::connect(fd, &addr.encode())
}

/// A blocking `connect(2)` running on its own thread
/// ([`RawSocket::connect_blocking_interruptible`]).
#[derive(Debug)]
pub struct BlockingConnect {
    handle: Option<JoinHandle<()>>,
    thread: sys::ThreadId,
    rx: mpsc::Receiver<(Result<(), Errno>, Duration)>,
    answer: Option<(Result<(), Errno>, Duration)>,
}

impl BlockingConnect {
    /// The answer and how long the call took, if it has returned.
    pub fn try_answer(&mut self) -> Option<(Result<(), Errno>, Duration)> {
        self.wait(Duration::ZERO)
    }

    /// Waits at most `timeout` for the call to return.
    pub fn wait(&mut self, timeout: Duration) -> Option<(Result<(), Errno>, Duration)> {
        if self.answer.is_none() {
            if let Ok(a) = self.rx.recv_timeout(timeout) {
                self.answer = Some(a);
                if let Some(h) = self.handle.take() {
                    // The thread has sent its answer and is ending: the join is immediate.
                    let _ = h.join();
                }
            }
        }
        self.answer
    }

    /// Sends the interrupting signal to the connecting thread once. If the signal lands just
    /// before the thread entered `connect(2)`, nothing is interrupted:
    /// [`BlockingConnect::interrupt_and_wait`] repeats it until the call returns.
    pub fn interrupt(&mut self) -> Result<(), Errno> {
        if self.try_answer().is_some() {
            return Ok(());
        }
        // The JoinHandle is still held (not joined), so the thread id stays valid.
        sys::interrupt_thread(self.thread)
    }

    /// Interrupts the call, repeating the signal every 20 ms, and waits at most `timeout` for
    /// its answer (`EINTR`, unless the call returned by itself first).
    pub fn interrupt_and_wait(&mut self, timeout: Duration) -> Option<(Result<(), Errno>, Duration)> {
        let sw = Stopwatch::start();
        let step = Duration::from_millis(20);
        while sw.elapsed() < timeout {
            if self.interrupt().is_err() {
                break;
            }
            if let Some(a) = self.wait(step) {
                return Some(a);
            }
        }
        self.try_answer()
    }
}

impl Drop for BlockingConnect {
    fn drop(&mut self) {
        if self.handle.is_some() {
            // Bounded: a thread that does not answer within 1 s is left to finish on its own
            // (its JoinHandle is then dropped, which detaches it).
            let _ = self.interrupt_and_wait(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 80);
    const V6: SocketAddr = SocketAddr::new(std::net::IpAddr::V6(Ipv6Addr::LOCALHOST), 80);

    #[test]
    fn errno_shows_name_and_number() {
        let e = Errno::ECONNREFUSED;
        assert_eq!(e.to_string(), format!("{} ({})", e.name(), e.code()));
        assert!(e.name().contains("ECONNREFUSED"));
        assert_eq!(Errno::UNSUPPORTED.to_string(), "UNSUPPORTED (-1)");
        assert_eq!(Errno(123_456).name(), "E?");
        assert!(!Errno::EINVAL.description().contains("os error"));
    }

    #[test]
    fn option_names_round_trip() {
        for o in SockOpt::ALL {
            assert_eq!(SockOpt::from_name(o.name()), Some(o));
            assert_eq!(SockOpt::from_name(&o.name().to_lowercase()), Some(o));
        }
        assert_eq!(SockOpt::from_name("SO_NOPE"), None);
    }

    #[test]
    fn addresses_encode_with_the_lengths_described() {
        assert_eq!(SockAddrArg::Inet(V4).encode().len, 16);
        assert_eq!(SockAddrArg::Inet(V6).encode().len, 28);
        assert_eq!(SockAddrArg::Unspec.encode().len, 2);
        let u = SockAddrArg::UnspecLen(16).encode();
        assert_eq!((u.len, &u.buf.0[..16]), (16, &[0u8; 16][..]));
        let t = SockAddrArg::Truncated(V4, 129).encode();
        assert_eq!(t.len, 129);
        assert_eq!(&t.buf.0[16..129], &[0u8; 113][..], "padded with zeros");
        let n = SockAddrArg::Null { len: 16 }.encode();
        assert_eq!((n.len, n.bogus_ptr), (16, Some(0)));
        assert!(SockAddrArg::Unmapped { len: 16 }.encode().bogus_ptr.is_some());
    }

    #[test]
    fn wrong_family_replaces_only_the_family() {
        let good = SockAddrArg::Inet(V4).encode();
        let bad = SockAddrArg::WrongFamily(V4, 0xffff).encode();
        assert_eq!(bad.len, good.len);
        assert_eq!(&bad.buf.0[..2], &[0xff, 0xff]);
        assert_eq!(&bad.buf.0[2..16], &good.buf.0[2..16]);
    }

    #[test]
    fn addresses_display_what_is_passed() {
        assert_eq!(SockAddrArg::Inet(V4).to_string(), "127.0.0.1:80");
        assert_eq!(SockAddrArg::Unspec.to_string(), "AF_UNSPEC (len 2)");
        assert_eq!(SockAddrArg::Truncated(V4, 8).to_string(), "127.0.0.1:80 with addrlen=8");
        assert_eq!(SockAddrArg::Null { len: 0 }.to_string(), "NULL (len 0)");
    }

    #[test]
    fn option_values_display() {
        assert_eq!(OptValue::Int(1).to_string(), "1");
        assert_eq!(OptValue::Time(Duration::from_millis(500)).to_string(), "500 ms");
        assert_eq!(OptValue::Linger { on: true, secs: 0 }.to_string(), "{on=1, linger=0s}");
        assert_eq!(OptValue::PortRange { lo: 1, hi: 2 }.to_string(), "1-2");
    }
}
