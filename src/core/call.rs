//! Calls: what a user (script line, TUI key, replayed entry) asks a personality to do.
//!
//! A [`Call`] names sockets by the user's names (`s`, `c1`); each personality keeps its own
//! descriptors. Addresses arrive already resolved: a named target such as `@refuse` is turned
//! into a socket address by the network before the core sees it.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// `SOCK_STREAM` / `IPPROTO_TCP`.
    Tcp,
    /// `SOCK_DGRAM` / `IPPROTO_UDP`.
    Udp,
}

impl Proto {
    /// Lower-case name as used in the command language.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Address family of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `AF_INET`.
    V4,
    /// `AF_INET6`.
    V6,
}

impl Family {
    /// Lower-case name as used in the command language.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }

    /// The family of a concrete address.
    pub fn of(addr: &SocketAddr) -> Family {
        if addr.is_ipv4() { Family::V4 } else { Family::V6 }
    }

    /// `sizeof(struct sockaddr_in)` or `sizeof(struct sockaddr_in6)`.
    pub fn sockaddr_len(self) -> u32 {
        match self {
            Family::V4 => 16,
            Family::V6 => 28,
        }
    }
}

/// How a socket is named in a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SockRef {
    /// A name given with `socket ... as NAME` (or the default `s`, `s2`, ...).
    Name(String),
    /// A raw descriptor value that need not belong to any socket (`#999`): how a user asks
    /// what happens with an invalid descriptor.
    Raw(i64),
}

impl std::fmt::Display for SockRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SockRef::Name(n) => f.write_str(n),
            SockRef::Raw(v) => write!(f, "#{v}"),
        }
    }
}

/// The `name`/`namelen` pair passed to connect, bind or sendto, with the edge cases socklab
/// lets a user construct on purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SockAddrArg {
    /// What the structure holds.
    pub kind: AddrKind,
    /// `namelen`; `None` means the right size for the structure.
    pub len: Option<u32>,
}

/// The content of a socket address structure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddrKind {
    /// An IPv4 or IPv6 address and port (`127.0.0.1:80`, `[::1]:80`, `0.0.0.0:0`).
    Inet(SocketAddr),
    /// One of socklab's named targets (`@accept`, `@refuse`, ...), resolved by the network
    /// for the socket's family.
    Target(NamedTarget),
    /// A structure whose family is `AF_UNSPEC` (Linux's way to dissolve an association).
    Unspec,
    /// A NULL pointer.
    Null,
    /// `af=N`: a zero-filled `sockaddr_in`-sized structure whose family is the number N, one no
    /// system implements (what a program passes when it fills the structure wrongly).
    Family(u16),
}

impl SockAddrArg {
    /// A well-formed address of the right length.
    pub fn inet(addr: SocketAddr) -> Self {
        SockAddrArg { kind: AddrKind::Inet(addr), len: None }
    }

    /// The address, if the structure holds one.
    pub fn addr(&self) -> Option<SocketAddr> {
        match self.kind {
            AddrKind::Inet(a) => Some(a),
            AddrKind::Target(_) | AddrKind::Unspec | AddrKind::Null | AddrKind::Family(_) => None,
        }
    }

    /// The `namelen` actually passed.
    pub fn effective_len(&self) -> u32 {
        self.len.unwrap_or(match &self.kind {
            AddrKind::Inet(a) => Family::of(a).sockaddr_len(),
            AddrKind::Target(_) => 16,
            AddrKind::Unspec => 16,
            AddrKind::Null => 0,
            AddrKind::Family(_) => 16,
        })
    }
}

impl std::fmt::Display for SockAddrArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            AddrKind::Inet(a) => write!(f, "{a}")?,
            AddrKind::Target(t) => write!(f, "{t}")?,
            AddrKind::Unspec => f.write_str("AF_UNSPEC")?,
            AddrKind::Null => f.write_str("NULL")?,
            AddrKind::Family(n) => write!(f, "af={n}")?,
        }
        if let Some(l) = self.len {
            write!(f, " namelen={l}")?;
        }
        Ok(())
    }
}

/// socklab's own targets, the embedded lab network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamedTarget {
    /// Listens and accepts.
    Accept,
    /// A closed port: the handshake is refused with a reset.
    Refuse,
    /// SYNs are dropped: the connect stays pending until it times out.
    Pending,
    /// The handshake completes after a delay.
    Slow,
    /// Accepts, then resets the connection.
    Reset,
    /// UDP: every datagram is sent back.
    Echo,
    /// UDP: datagrams are received and dropped, nothing comes back.
    Sink,
}

impl NamedTarget {
    /// Every target, in the order help and completion list them.
    pub const ALL: &'static [NamedTarget] = &[
        NamedTarget::Accept,
        NamedTarget::Refuse,
        NamedTarget::Pending,
        NamedTarget::Slow,
        NamedTarget::Reset,
        NamedTarget::Echo,
        NamedTarget::Sink,
    ];

    /// The name without `@`.
    pub fn name(self) -> &'static str {
        match self {
            NamedTarget::Accept => "accept",
            NamedTarget::Refuse => "refuse",
            NamedTarget::Pending => "pending",
            NamedTarget::Slow => "slow",
            NamedTarget::Reset => "reset",
            NamedTarget::Echo => "echo",
            NamedTarget::Sink => "sink",
        }
    }

    /// Parse a name, with or without the leading `@`.
    pub fn from_name(s: &str) -> Option<NamedTarget> {
        let s = s.strip_prefix('@').unwrap_or(s);
        NamedTarget::ALL.iter().copied().find(|t| t.name().eq_ignore_ascii_case(s))
    }

    /// One line for help and completion.
    pub fn describe(self) -> &'static str {
        match self {
            NamedTarget::Accept => "TCP listener that accepts every connection",
            NamedTarget::Refuse => "closed TCP/UDP port: refused with RST / ICMP port unreachable",
            NamedTarget::Pending => "TCP listener with a full accept queue: SYNs are dropped",
            NamedTarget::Slow => "TCP listener that completes the handshake after a delay",
            NamedTarget::Reset => "TCP listener that accepts, then resets the connection",
            NamedTarget::Echo => "UDP port that sends every datagram back",
            NamedTarget::Sink => "UDP port that swallows datagrams",
        }
    }
}

impl std::fmt::Display for NamedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}", self.name())
    }
}

/// Which connect entry point is called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectApi {
    /// `connect()`.
    Connect,
    /// `WSAConnect()` with its optional connect data and QoS arguments.
    WsaConnect {
        /// `lpCallerData`: user data to send with the connection request.
        caller_data: Option<Vec<u8>>,
        /// `lpSQOS` is non-NULL.
        sqos: bool,
        /// `lpGQOS` is non-NULL (reserved; must be NULL).
        gqos: bool,
        /// esc3: `lpCalleeData` is a buffer of this many bytes (`callee=N`); `None`: NULL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callee: Option<u32>,
    },
    /// `ConnectEx()` through an OVERLAPPED structure, with an optional send buffer.
    ConnectEx {
        /// `lpSendBuffer`: data sent once the connection is established.
        send: Option<Vec<u8>>,
        /// `lpOverlapped` is NULL (`overlapped=NULL`): Windows refuses with ERROR_INVALID_PARAMETER.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        null_overlapped: bool,
    },
}

impl ConnectApi {
    /// The function name as a Windows programmer writes it.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectApi::Connect => "connect",
            ConnectApi::WsaConnect { .. } => "WSAConnect",
            ConnectApi::ConnectEx { .. } => "ConnectEx",
        }
    }
}

/// The value of `setsockopt NAME SO_LINGER 1,0`: struct linger {l_onoff = 1, l_linger = 0},
/// the abortive close (closesocket sends a reset). Outside a C int, so no integer a user types
/// can mean it; other values keep their meaning (N > 0: {1, N}; 0: linger off).
pub const LINGER_ABORT: i64 = 1 << 32;

/// Socket options socklab knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum SockOpt {
    SO_BROADCAST,
    SO_REUSEADDR,
    SO_ERROR,
    SO_CONNECT_TIME,
    SO_UPDATE_CONNECT_CONTEXT,
    SO_UPDATE_ACCEPT_CONTEXT,
    SO_SNDTIMEO,
    SO_KEEPALIVE,
    SO_LINGER,
    TCP_NODELAY,
    TCP_SYNCNT,
    TCP_USER_TIMEOUT,
    TCP_MAXRT,
    IPV6_V6ONLY,
    SO_EXCLUSIVEADDRUSE,
    /// getsockopt only: the socket's CSADDR_INFO (Windows Vista and later).
    SO_BSP_STATE,
}

impl SockOpt {
    /// Every option, in the order completion offers them.
    pub const ALL: &'static [SockOpt] = &[
        SockOpt::SO_BROADCAST,
        SockOpt::SO_REUSEADDR,
        SockOpt::SO_ERROR,
        SockOpt::SO_CONNECT_TIME,
        SockOpt::SO_UPDATE_CONNECT_CONTEXT,
        SockOpt::SO_UPDATE_ACCEPT_CONTEXT,
        SockOpt::SO_SNDTIMEO,
        SockOpt::SO_KEEPALIVE,
        SockOpt::SO_LINGER,
        SockOpt::TCP_NODELAY,
        SockOpt::TCP_SYNCNT,
        SockOpt::TCP_USER_TIMEOUT,
        SockOpt::TCP_MAXRT,
        SockOpt::IPV6_V6ONLY,
        SockOpt::SO_EXCLUSIVEADDRUSE,
        SockOpt::SO_BSP_STATE,
    ];

    /// The C spelling.
    pub fn name(self) -> &'static str {
        match self {
            SockOpt::SO_BROADCAST => "SO_BROADCAST",
            SockOpt::SO_REUSEADDR => "SO_REUSEADDR",
            SockOpt::SO_ERROR => "SO_ERROR",
            SockOpt::SO_CONNECT_TIME => "SO_CONNECT_TIME",
            SockOpt::SO_UPDATE_CONNECT_CONTEXT => "SO_UPDATE_CONNECT_CONTEXT",
            SockOpt::SO_UPDATE_ACCEPT_CONTEXT => "SO_UPDATE_ACCEPT_CONTEXT",
            SockOpt::SO_SNDTIMEO => "SO_SNDTIMEO",
            SockOpt::SO_KEEPALIVE => "SO_KEEPALIVE",
            SockOpt::SO_LINGER => "SO_LINGER",
            SockOpt::TCP_NODELAY => "TCP_NODELAY",
            SockOpt::TCP_SYNCNT => "TCP_SYNCNT",
            SockOpt::TCP_USER_TIMEOUT => "TCP_USER_TIMEOUT",
            SockOpt::TCP_MAXRT => "TCP_MAXRT",
            SockOpt::IPV6_V6ONLY => "IPV6_V6ONLY",
            SockOpt::SO_EXCLUSIVEADDRUSE => "SO_EXCLUSIVEADDRUSE",
            SockOpt::SO_BSP_STATE => "SO_BSP_STATE",
        }
    }

    /// Parse the C spelling, any case.
    pub fn from_name(s: &str) -> Option<SockOpt> {
        SockOpt::ALL.iter().copied().find(|o| o.name().eq_ignore_ascii_case(s))
    }
}

/// Network events of `WSAEventSelect` / `WSAAsyncSelect` (`FD_READ`, `FD_CONNECT`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FdEvents(pub u16);

impl FdEvents {
    pub const READ: FdEvents = FdEvents(0x01);
    pub const WRITE: FdEvents = FdEvents(0x02);
    pub const OOB: FdEvents = FdEvents(0x04);
    pub const ACCEPT: FdEvents = FdEvents(0x08);
    pub const CONNECT: FdEvents = FdEvents(0x10);
    pub const CLOSE: FdEvents = FdEvents(0x20);
    /// Names and bits in `winsock2.h` order (the bit index is the `iErrorCode` index).
    pub const NAMES: &'static [(&'static str, FdEvents)] = &[
        ("FD_READ", FdEvents::READ),
        ("FD_WRITE", FdEvents::WRITE),
        ("FD_OOB", FdEvents::OOB),
        ("FD_ACCEPT", FdEvents::ACCEPT),
        ("FD_CONNECT", FdEvents::CONNECT),
        ("FD_CLOSE", FdEvents::CLOSE),
    ];

    /// No event.
    pub fn empty() -> Self {
        FdEvents(0)
    }
    /// Whether every bit of `other` is set.
    pub fn contains(self, other: FdEvents) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    /// Whether no bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Parse one name (`FD_CONNECT` or `connect`, any case).
    pub fn from_name(s: &str) -> Option<FdEvents> {
        let up = s.to_ascii_uppercase();
        let full = if up.starts_with("FD_") { up } else { format!("FD_{up}") };
        FdEvents::NAMES.iter().find(|(n, _)| *n == full).map(|(_, e)| *e)
    }
}

impl std::ops::BitOr for FdEvents {
    type Output = FdEvents;
    fn bitor(self, rhs: FdEvents) -> FdEvents {
        FdEvents(self.0 | rhs.0)
    }
}
impl std::ops::BitOrAssign for FdEvents {
    fn bitor_assign(&mut self, rhs: FdEvents) {
        self.0 |= rhs.0;
    }
}

impl std::fmt::Display for FdEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("0");
        }
        let mut first = true;
        for (n, e) in FdEvents::NAMES {
            if self.contains(*e) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(n)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// `shutdown` direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum How {
    /// `SD_RECEIVE` / `SHUT_RD`.
    Read,
    /// `SD_SEND` / `SHUT_WR`.
    Write,
    /// `SD_BOTH` / `SHUT_RDWR`.
    Both,
}

/// Poll request bits (`POLLIN`, `POLLOUT`, ...), shared by `poll(2)` and `WSAPoll`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PollBits(pub u16);

impl PollBits {
    pub const IN: PollBits = PollBits(0x001);
    pub const PRI: PollBits = PollBits(0x002);
    pub const OUT: PollBits = PollBits(0x004);
    pub const ERR: PollBits = PollBits(0x008);
    pub const HUP: PollBits = PollBits(0x010);
    pub const NVAL: PollBits = PollBits(0x020);
    pub const RDHUP: PollBits = PollBits(0x2000);
    // ---- winapi-args: the request mask of poll/WSAPoll (`events=`) ----
    pub const RDNORM: PollBits = PollBits(0x040);
    pub const RDBAND: PollBits = PollBits(0x080);
    pub const WRNORM: PollBits = PollBits(0x100);
    pub const WRBAND: PollBits = PollBits(0x200);
    /// The names a request mask may use, with their bits in Linux's layout. On Winsock
    /// `POLLIN` is `POLLRDNORM|POLLRDBAND` and `POLLOUT` is `POLLWRNORM` (macros of winsock2.h);
    /// the personalities read them so.
    pub const NAMES: &'static [(&'static str, PollBits)] = &[
        ("POLLIN", PollBits::IN),
        ("POLLPRI", PollBits::PRI),
        ("POLLOUT", PollBits::OUT),
        ("POLLERR", PollBits::ERR),
        ("POLLHUP", PollBits::HUP),
        ("POLLNVAL", PollBits::NVAL),
        ("POLLRDNORM", PollBits::RDNORM),
        ("POLLRDBAND", PollBits::RDBAND),
        ("POLLWRNORM", PollBits::WRNORM),
        ("POLLWRBAND", PollBits::WRBAND),
        ("POLLRDHUP", PollBits::RDHUP),
    ];

    /// One name (`POLLRDNORM` or `rdnorm`, any case).
    pub fn from_name(s: &str) -> Option<PollBits> {
        let up = s.to_ascii_uppercase();
        let full = if up.starts_with("POLL") { up } else { format!("POLL{up}") };
        PollBits::NAMES.iter().find(|(n, _)| *n == full).map(|(_, b)| *b)
    }

    /// The names of the set bits joined by `|` (`0` when none), as the command language
    /// writes a request mask.
    pub fn names(self) -> String {
        let names: Vec<&str> = PollBits::NAMES.iter().filter(|(_, b)| self.contains(*b)).map(|(n, _)| *n).collect();
        if names.is_empty() { "0".to_string() } else { names.join("|") }
    }

    /// The mask as winsock2.h numbers it (`POLLIN` becomes `POLLRDNORM|POLLRDBAND`, the bits
    /// Winsock has no name for keep a value WSAPoll rejects).
    pub fn to_winsock(self) -> u16 {
        let mut w = 0u16;
        for (b, v) in [
            (PollBits::IN, 0x0300u16),
            (PollBits::RDNORM, 0x0100),
            (PollBits::RDBAND, 0x0200),
            (PollBits::PRI, 0x0400),
            (PollBits::OUT, 0x0010),
            (PollBits::WRNORM, 0x0010),
            (PollBits::WRBAND, 0x0020),
            (PollBits::ERR, 0x0001),
            (PollBits::HUP, 0x0002),
            (PollBits::NVAL, 0x0004),
            (PollBits::RDHUP, 0x2000),
        ] {
            if self.contains(b) {
                w |= v;
            }
        }
        w
    }
    // ---- end winapi-args ----

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: PollBits) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    /// Whether no bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for PollBits {
    type Output = PollBits;
    fn bitor(self, rhs: PollBits) -> PollBits {
        PollBits(self.0 | rhs.0)
    }
}

/// acceptex2: what a WSAAccept's condition function answers (`Null`: no condition function).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AcceptCond {
    /// lpfnCondition NULL: WSAAccept behaves as accept.
    Null,
    /// CF_ACCEPT.
    Accept,
    /// CF_REJECT.
    Reject,
    /// CF_DEFER.
    Defer,
}

impl AcceptCond {
    /// The word of the command language (`cf=WORD`), `None` for no condition function.
    pub fn word(self) -> Option<&'static str> {
        match self {
            AcceptCond::Null => None,
            AcceptCond::Accept => Some("accept"),
            AcceptCond::Reject => Some("reject"),
            AcceptCond::Defer => Some("defer"),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One call of the socket API. The command language parses into this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "lowercase")]
pub enum Call {
    /// `WSAStartup(version)`.
    WsaStartup { major: u8, minor: u8 },
    /// `WSACleanup()`.
    WsaCleanup,
    /// `socket(family, type, 0)`; `name` is how later calls refer to it.
    Socket { proto: Proto, family: Family, name: String },
    /// `ioctlsocket(s, FIONBIO, &on)` / `fcntl(O_NONBLOCK)`.
    Fionbio { sock: SockRef, on: bool },
    /// `setsockopt`.
    SetSockOpt {
        sock: SockRef,
        opt: SockOpt,
        value: i64,
        /// `optlen=N`: the length passed instead of the option's size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        optlen: Option<u32>,
    },
    /// `getsockopt`.
    GetSockOpt {
        sock: SockRef,
        opt: SockOpt,
        /// `optlen=N`: the buffer length passed instead of the option's size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        optlen: Option<u32>,
    },
    /// `bind`.
    Bind { sock: SockRef, addr: SockAddrArg },
    /// `listen`.
    Listen { sock: SockRef, backlog: i32 },
    /// `accept`; the new socket is named `name`. With `cond`: `WSAAccept`, its condition
    /// function answering `cond` (acceptex2).
    Accept {
        sock: SockRef,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cond: Option<AcceptCond>,
    },
    /// `connect`, `WSAConnect` or `ConnectEx`.
    Connect { sock: SockRef, addr: SockAddrArg, api: ConnectApi },
    /// `select(read, write, except, timeout)`; `None` blocks until something is ready.
    Select { read: Vec<SockRef>, write: Vec<SockRef>, except: Vec<SockRef>, timeout: Option<Duration> },
    /// `WSAPoll` (Winsock) / `poll(2)` (POSIX), each socket with `POLLIN|POLLOUT`, or with the
    /// request mask `events=` names (Linux's bit layout, see [`PollBits::NAMES`]).
    Poll {
        socks: Vec<SockRef>,
        timeout: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        events: Option<PollBits>,
    },
    /// `epoll_create1` + `epoll_ctl(EPOLL_CTL_ADD, EPOLLIN|EPOLLOUT|EPOLLRDHUP)` for each socket +
    /// one `epoll_wait` (Linux only).
    Epoll { socks: Vec<SockRef>, timeout: Option<Duration> },
    /// `WSAEventSelect(s, event, events)`.
    WsaEventSelect { sock: SockRef, events: FdEvents },
    /// `WSAAsyncSelect(s, hwnd, msg, events)`.
    WsaAsyncSelect { sock: SockRef, events: FdEvents },
    /// `WSAEnumNetworkEvents(s, event, &out)`.
    WsaEnumNetworkEvents { sock: SockRef },
    /// `getsockname`.
    GetSockName {
        sock: SockRef,
        /// `namelen=N`: the buffer length passed instead of the address's size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namelen: Option<u32>,
    },
    /// `getpeername`.
    GetPeerName {
        sock: SockRef,
        /// `namelen=N`: the buffer length passed instead of the address's size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namelen: Option<u32>,
    },
    /// `send`.
    Send { sock: SockRef, data: Vec<u8> },
    /// `sendto`.
    SendTo { sock: SockRef, addr: SockAddrArg, data: Vec<u8> },
    /// `recv` (nonblocking sockets answer at once; blocking ones wait in virtual time).
    Recv { sock: SockRef },
    /// `recvfrom`.
    RecvFrom { sock: SockRef },
    /// `shutdown`.
    Shutdown { sock: SockRef, how: How },
    /// `closesocket` / `close`.
    Close { sock: SockRef },
    /// Interrupt the next blocking connect after `after`: SIGALRM without SA_RESTART on Linux,
    /// a blocking hook calling WSACancelBlockingCall in a Winsock 1.1 application.
    Alarm { after: Duration },
    /// `after MS CALL`: another thread makes `action` at virtual time now + `after`, while the
    /// next blocking call waits (Winsock 1.1: the blocking hook makes it, in the same thread).
    After { after: Duration, action: Box<Call> },
    /// `pipe()` / `CreatePipe`: a descriptor that is not a socket, named `name` (its read end);
    /// socket calls on it answer ENOTSOCK / WSAENOTSOCK.
    Pipe { name: String },
    /// `link down|up`: the host's network interface (not loopback) goes down or comes back.
    /// Not an API call: a change of the world, as `ip link set DEV down` makes it.
    Link { up: bool },
    /// `portrange LO HI`: the ephemeral port range (net.ipv4.ip_local_port_range; on Windows
    /// `netsh int ipv4 set dynamicport`). A change of the world, not an API call.
    PortRange { lo: u16, hi: u16 },
    /// `firewall drop IP`: a local rule drops every packet this host sends to IP (`None`:
    /// `firewall clear` removes every rule). A change of the world, not an API call.
    Firewall { drop: Option<std::net::IpAddr> },
    // ---- winapi-ov: overlapped I/O and completion ports ----
    /// `overlapped NAME [set=N]`: read the OVERLAPPED that NAME's overlapped calls use (its
    /// `Internal` status and `InternalHigh` byte count), after writing N into both fields when
    /// `set` is given (as Wine's tests fill them with 0xdeadbeef). Memory, not an API call.
    Overlapped { sock: SockRef, set: Option<u64> },
    /// `GetOverlappedResult` (Win32 errors) or `WSAGetOverlappedResult` (`wsa`: Winsock errors)
    /// on NAME's OVERLAPPED; `wait` is `bWait`/`fWait`.
    GetOverlappedResult {
        sock: SockRef,
        wait: bool,
        wsa: bool,
        /// `ov=NAME`: the OVERLAPPED named NAME instead of the socket's own (iocp2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ov: Option<String>,
    },
    /// `CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0)`: a new port named `name`.
    CreateIoCompletionPort { name: String },
    /// `CreateIoCompletionPort(socket, port, key, 0)`: completions of the socket's overlapped
    /// calls are queued at the port with `key`.
    AssociatePort { sock: SockRef, port: SockRef, key: u64 },
    /// `GetQueuedCompletionStatus(port, &bytes, &key, &overlapped, timeout)`; `None` is INFINITE.
    GetQueuedCompletionStatus { port: SockRef, timeout: Option<Duration> },
    /// `DisconnectEx(s, overlapped, reuse ? TF_REUSE_SOCKET : 0, 0)`.
    DisconnectEx { sock: SockRef, reuse: bool, null_overlapped: bool },
    // ---- end winapi-ov ----
    // ---- iocp2: packets of the program's own, closing a port ----
    /// `PostQueuedCompletionStatus(port, bytes, key, overlapped)`: a packet the program queues
    /// itself; `overlapped` names the socket whose OVERLAPPED pointer it carries (`None`: NULL).
    PostQueuedCompletionStatus { port: SockRef, key: u64, bytes: u32, overlapped: Option<String> },
    /// `CloseHandle(port)`: closes a completion port's handle.
    CloseHandle { handle: SockRef },
    /// `SleepEx(ms, alertable)`: an alertable sleep runs the completion routines queued to the
    /// thread and returns WAIT_IO_COMPLETION (192); otherwise 0 after `ms`.
    SleepEx { ms: u64, alertable: bool },
    // ---- end iocp2 ----
    /// `AcceptEx(listener, sock, buf, recv, local, remote, &bytes, overlapped)`; `sock` was
    /// created beforehand. `local`/`remote` `None`: the address length plus 16, as the
    /// reference page asks.
    AcceptEx {
        listener: SockRef,
        sock: SockRef,
        null_overlapped: bool,
        /// acceptex2: `recv=N`, dwReceiveDataLength.
        #[serde(default, skip_serializing_if = "is_zero")]
        recv: u32,
        /// acceptex2: `local=N`, dwLocalAddressLength.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        local: Option<u32>,
        /// acceptex2: `remote=N`, dwRemoteAddressLength.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remote: Option<u32>,
        /// wsaio3: `buffer=NULL`, a NULL lpOutputBuffer.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        null_buffer: bool,
    },
    /// acceptex2: `GetAcceptExSockaddrs` on the buffer of the last AcceptEx into `sock`.
    GetAcceptExSockaddrs { sock: SockRef },
    /// acceptex2: `CancelIo(sock)`, or `CancelIoEx(sock, NULL)` when `ex`.
    CancelIo { sock: SockRef, ex: bool },
    /// `WSARecv(s, &buf, 1, &bytes, &flags, &ov, NULL)`: an overlapped receive.
    WsaRecv {
        sock: SockRef,
        /// `ov=NAME`: the OVERLAPPED named NAME instead of the socket's own (iocp2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ov: Option<String>,
        /// `routine`: with an lpCompletionRoutine, run by the next alertable wait (iocp2).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        routine: bool,
        /// `bufs=N,M,...`: the WSABUF lengths (scatter); `None`: one buffer of 2048 bytes (iocp2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bufs: Option<Vec<u32>>,
    },
    /// `WSASend(s, bufs, n, &bytes, 0, &ov, NULL)`: an overlapped send.
    WsaSend {
        sock: SockRef,
        data: Vec<u8>,
        /// `ov=NAME`: the OVERLAPPED named NAME instead of the socket's own (iocp2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ov: Option<String>,
        /// `routine`: with an lpCompletionRoutine, run by the next alertable wait (iocp2).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        routine: bool,
        /// `bufs=N,M,...`: the data cut into WSABUFs of these lengths (gather; they add up to
        /// the data's length); `None`: one buffer (wsaio3).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bufs: Option<Vec<u32>>,
    },
    /// `wsasendto NAME ADDR DATA`: `WSASendTo(s, bufs, n, &bytes, 0, &to, tolen, &ov, NULL)`
    /// (wsaio3); with `overlapped=null` a plain call (lpOverlapped NULL), which linux makes as
    /// sendto(2), or sendmsg(2) with an iovec for several buffers.
    WsaSendTo {
        sock: SockRef,
        addr: SockAddrArg,
        data: Vec<u8>,
        /// `bufs=N,M,...`: the data cut into WSABUFs of these lengths (gather).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bufs: Option<Vec<u32>>,
        /// `overlapped=null`: lpOverlapped NULL, a plain (blocking or nonblocking) call.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        null_overlapped: bool,
        /// `ov=NAME`: the OVERLAPPED named NAME instead of the socket's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ov: Option<String>,
        /// `routine`: with an lpCompletionRoutine.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        routine: bool,
        /// `bytes=null`: lpNumberOfBytesSent NULL.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        null_bytes: bool,
    },
    /// `wsarecvfrom NAME`: `WSARecvFrom(s, bufs, n, &bytes, &flags, &from, &fromlen, &ov, NULL)`
    /// (wsaio3); with `overlapped=null` a plain call, which linux makes as recvfrom(2), or
    /// recvmsg(2) with an iovec for several buffers.
    WsaRecvFrom {
        sock: SockRef,
        /// `bufs=N,M,...`: the WSABUF lengths (scatter); `None`: one buffer of 2048 bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bufs: Option<Vec<u32>>,
        /// `overlapped=null`: lpOverlapped NULL, a plain (blocking or nonblocking) call.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        null_overlapped: bool,
        /// `ov=NAME`: the OVERLAPPED named NAME instead of the socket's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ov: Option<String>,
        /// `routine`: with an lpCompletionRoutine.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        routine: bool,
    },
    /// wsaio3: `getqueuedcompletionstatusex PORT [count=N] [timeout=MS] [alertable]`:
    /// GetQueuedCompletionStatusEx with an array of `count` OVERLAPPED_ENTRY.
    GetQueuedCompletionStatusEx { port: SockRef, count: u32, timeout: Option<Duration>, alertable: bool },
    /// `socket tcp|udp af=N`: `socket(N, type, 0)` with an address family number no system
    /// implements (64 and up); it fails, and `name` then names no socket.
    SocketAf { proto: Proto, af: u16, name: String },
    /// `getsockname NAME name=null` / `getpeername NAME name=null`: the call with a NULL
    /// `name` pointer (and a `namelen` of 16); with `len`, `namelen=null`: a buffer of
    /// sockaddr_storage's size and a NULL `namelen` pointer.
    NameNull {
        sock: SockRef,
        peer: bool,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        len: bool,
    },
    /// `setsockopt NAME OPTION optval=null [optlen=N]` / `getsockopt NAME OPTION optval=null` /
    /// `getsockopt NAME OPTION optlen=null`: a NULL pointer where the option's value or its
    /// length goes (`arg`).
    OptNull {
        sock: SockRef,
        opt: SockOpt,
        set: bool,
        #[serde(default, skip_serializing_if = "OptNullArg::is_optval")]
        arg: OptNullArg,
    },
    /// `wsapoll null n=N [timeout=MS]`: WSAPoll / poll(2) with a NULL array of N entries (args2).
    PollNull { n: u32, timeout: Option<Duration> },
    /// `wsapoll ENTRY:MASK,... [timeout=MS]`: WSAPoll / poll(2) with a descriptor and a request
    /// mask per entry, where a descriptor may be a raw `#N` (`#-1`, a garbage handle) (args3).
    PollFds { fds: Vec<PollFd>, timeout: Option<Duration> },
    /// `select read= [write=] [except=] [timeout=MS]`: select with sets that are present (not
    /// NULL) but hold no socket, and no socket in any set (args3).
    SelectEmptySets { read: bool, write: bool, except: bool, timeout: Option<Duration> },
    /// `select ... tv_sec=S tv_usec=US`: select with a timeval of the script's, its fields
    /// written as given, out of range too (a `tv_usec` of 1000000 or more, a negative field)
    /// (esc3, rule select.timeval).
    SelectTimeval { read: Vec<SockRef>, write: Vec<SockRef>, except: Vec<SockRef>, sec: i64, usec: i64 },
}

/// wsaio3: gather buffers `bufs` cut `data` exactly (their lengths add up to its length); no
/// `bufs` is one buffer holding all of it.
pub fn gather_fits(data: &[u8], bufs: Option<&[u32]>) -> bool {
    bufs.is_none_or(|b| b.iter().map(|&n| n as usize).sum::<usize>() == data.len())
}

/// wsaio3: the pieces gather buffers `bufs` cut `data` into (one piece without `bufs`); lengths
/// that do not fit are cut short at the data's end.
pub fn gather_pieces<'a>(data: &'a [u8], bufs: Option<&[u32]>) -> Vec<&'a [u8]> {
    let Some(b) = bufs else { return vec![data] };
    let mut at = 0;
    b.iter()
        .map(|&n| {
            let end = (at + n as usize).min(data.len());
            let piece = &data[at..end];
            at = end;
            piece
        })
        .collect()
}

/// One WSAPOLLFD / pollfd entry of [`Call::PollFds`]: its descriptor and its request mask (args3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollFd {
    pub sock: SockRef,
    pub events: PollBits,
}

/// Which argument of an `OptNull` call is NULL (args2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptNullArg {
    /// A NULL `optval` with the option's own length.
    #[default]
    Optval,
    /// setsockopt: a NULL `optval` with the length N (`optval=null optlen=N`).
    OptvalLen(u32),
    /// getsockopt: a buffer for the value and a NULL `optlen` pointer (`optlen=null`).
    Optlen,
}

impl OptNullArg {
    pub fn is_optval(&self) -> bool {
        *self == OptNullArg::Optval
    }
}

impl Call {
    /// The function name as a Windows programmer writes it (POSIX spelling in parentheses
    /// where it differs is added by the views).
    pub fn name(&self) -> &'static str {
        match self {
            Call::WsaStartup { .. } => "WSAStartup",
            Call::WsaCleanup => "WSACleanup",
            Call::Socket { .. } => "socket",
            Call::Fionbio { .. } => "ioctlsocket(FIONBIO)",
            Call::SetSockOpt { .. } => "setsockopt",
            Call::GetSockOpt { .. } => "getsockopt",
            Call::Bind { .. } => "bind",
            Call::Listen { .. } => "listen",
            Call::Accept { cond: None, .. } => "accept",
            Call::Accept { cond: Some(_), .. } => "WSAAccept",
            Call::Connect { api, .. } => api.name(),
            Call::Select { .. } | Call::SelectEmptySets { .. } | Call::SelectTimeval { .. } => "select",
            Call::Poll { .. } | Call::PollNull { .. } | Call::PollFds { .. } => "WSAPoll",
            Call::Epoll { .. } => "epoll_wait",
            Call::WsaEventSelect { .. } => "WSAEventSelect",
            Call::WsaAsyncSelect { .. } => "WSAAsyncSelect",
            Call::WsaEnumNetworkEvents { .. } => "WSAEnumNetworkEvents",
            Call::GetSockName { .. } => "getsockname",
            Call::GetPeerName { .. } => "getpeername",
            Call::Send { .. } => "send",
            Call::SendTo { .. } => "sendto",
            Call::Recv { .. } => "recv",
            Call::RecvFrom { .. } => "recvfrom",
            Call::Shutdown { .. } => "shutdown",
            Call::Close { .. } => "closesocket",
            Call::Alarm { .. } => "alarm",
            Call::After { .. } => "after",
            Call::Pipe { .. } => "pipe",
            Call::Link { .. } => "link",
            Call::PortRange { .. } => "portrange",
            Call::Firewall { .. } => "firewall",
            Call::Overlapped { .. } => "OVERLAPPED",
            Call::GetOverlappedResult { wsa: false, .. } => "GetOverlappedResult",
            Call::GetOverlappedResult { wsa: true, .. } => "WSAGetOverlappedResult",
            Call::CreateIoCompletionPort { .. } | Call::AssociatePort { .. } => "CreateIoCompletionPort",
            Call::GetQueuedCompletionStatus { .. } => "GetQueuedCompletionStatus",
            Call::GetQueuedCompletionStatusEx { .. } => "GetQueuedCompletionStatusEx",
            Call::DisconnectEx { .. } => "DisconnectEx",
            Call::PostQueuedCompletionStatus { .. } => "PostQueuedCompletionStatus",
            Call::CloseHandle { .. } => "CloseHandle",
            Call::SleepEx { .. } => "SleepEx",
            Call::AcceptEx { .. } => "AcceptEx",
            Call::GetAcceptExSockaddrs { .. } => "GetAcceptExSockaddrs",
            Call::CancelIo { ex: false, .. } => "CancelIo",
            Call::CancelIo { ex: true, .. } => "CancelIoEx",
            Call::WsaRecv { .. } => "WSARecv",
            Call::WsaSend { .. } => "WSASend",
            Call::WsaSendTo { .. } => "WSASendTo",
            Call::WsaRecvFrom { .. } => "WSARecvFrom",
            Call::SocketAf { .. } => "socket",
            Call::NameNull { peer: false, .. } => "getsockname",
            Call::NameNull { peer: true, .. } => "getpeername",
            Call::OptNull { set: true, .. } => "setsockopt",
            Call::OptNull { set: false, .. } => "getsockopt",
        }
    }

    /// The socket the call is about, if it has exactly one.
    pub fn sock(&self) -> Option<&SockRef> {
        match self {
            Call::Fionbio { sock, .. }
            | Call::SetSockOpt { sock, .. }
            | Call::GetSockOpt { sock, .. }
            | Call::Bind { sock, .. }
            | Call::Listen { sock, .. }
            | Call::Accept { sock, .. }
            | Call::Connect { sock, .. }
            | Call::WsaEventSelect { sock, .. }
            | Call::WsaAsyncSelect { sock, .. }
            | Call::WsaEnumNetworkEvents { sock }
            | Call::GetSockName { sock, .. }
            | Call::GetPeerName { sock, .. }
            | Call::Send { sock, .. }
            | Call::SendTo { sock, .. }
            | Call::Recv { sock }
            | Call::RecvFrom { sock }
            | Call::Shutdown { sock, .. }
            | Call::Close { sock }
            | Call::Overlapped { sock, .. }
            | Call::GetOverlappedResult { sock, .. }
            | Call::AssociatePort { sock, .. }
            | Call::DisconnectEx { sock, .. }
            | Call::AcceptEx { sock, .. }
            | Call::GetAcceptExSockaddrs { sock }
            | Call::CancelIo { sock, .. }
            | Call::WsaRecv { sock, .. }
            | Call::WsaSend { sock, .. }
            | Call::WsaSendTo { sock, .. }
            | Call::WsaRecvFrom { sock, .. } => Some(sock),
            Call::NameNull { sock, .. } | Call::OptNull { sock, .. } => Some(sock),
            Call::WsaStartup { .. }
            | Call::WsaCleanup
            | Call::Socket { .. }
            | Call::Select { .. }
            | Call::Poll { .. }
            | Call::PollNull { .. }
            | Call::PollFds { .. }
            | Call::SelectEmptySets { .. }
            | Call::SelectTimeval { .. }
            | Call::Epoll { .. }
            | Call::Alarm { .. }
            | Call::After { .. }
            | Call::Pipe { .. }
            | Call::Link { .. }
            | Call::PortRange { .. }
            | Call::Firewall { .. }
            | Call::CreateIoCompletionPort { .. }
            | Call::GetQueuedCompletionStatus { .. }
            | Call::GetQueuedCompletionStatusEx { .. }
            | Call::PostQueuedCompletionStatus { .. }
            | Call::CloseHandle { .. }
            | Call::SleepEx { .. } => None,
            Call::SocketAf { .. } => None,
        }
    }
}
