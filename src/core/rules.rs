//! The rule registry: every answer names the rule that decided it, and every rule says what it
//! does and where that comes from. `docs/semantics.md` is checked against this table by a test.

use super::personality::PersonalityId;

/// One rule of the personalities.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (`connect.pending-again`), shown in transcripts and `--json`.
    pub id: &'static str,
    /// What the rule does, per personality where they differ.
    pub summary: &'static str,
    /// Where it comes from: a LINUX_TRUTH row, a seed, a Microsoft page, an issue thread.
    pub source: &'static str,
    /// Personalities whose answer here is not documented nor measured: socklab's best
    /// reading, marked `?` wherever it is shown.
    pub assumed: &'static [PersonalityId],
}

use PersonalityId::{Windows as WI, Winsock as WS, Winsock1 as W1};

macro_rules! rules {
    ($($konst:ident = $id:literal, [$($a:ident),*], $summary:literal, $source:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $konst: &str = $id;
        )*
        /// Every rule, in the order `docs/semantics.md` lists them.
        pub static RULES: &[Rule] = &[
            $(Rule { id: $id, summary: $summary, source: $source, assumed: &[$($a),*] },)*
        ];
    };
}

rules! {
    STARTUP = "startup", [],
        "WSAStartup/WSACleanup are counted; the last WSACleanup closes every socket. socklab starts Winsock for you (2.2, or 1.1 for winsock1).",
        "WSAStartup and WSACleanup reference pages";
    NOT_INITIALISED = "startup.required", [],
        "Winsock personalities answer WSANOTINITIALISED to any call made before WSAStartup or after the last WSACleanup.",
        "seeds 000, 001, 002 (error tables); behaviour 10";
    POSIX_NO_STARTUP = "startup.posix", [],
        "linux: there is nothing to start or clean up; the call does not exist.",
        "POSIX has no counterpart";
    BAD_DESCRIPTOR = "descriptor.invalid", [],
        "A closed or never-opened descriptor: linux EBADF, Winsock WSAENOTSOCK.",
        "LINUX_TRUTH 8i; seed 000 (WSAENOTSOCK)";
    SOCKET = "socket", [],
        "socket() returns a new descriptor in the unbound state.",
        "socket(2); socket reference page";
    OUT_OF_DESCRIPTORS = "socket.exhausted", [],
        "When the system runs out of descriptors (a fact of the live network), socket and accept fail: EMFILE on linux, WSAEMFILE on Winsock; nothing is created.",
        "socket(2), accept(2); socket reference page (WSAEMFILE)";
    WS1_NO_IPV6 = "socket.winsock1-ipv6", [],
        "winsock1: Winsock 1.1 predates IPv6; an AF_INET6 socket fails with WSAEAFNOSUPPORT.",
        "Windows Sockets 1.1 specification (AF_INET only)";
    FIONBIO = "fionbio", [],
        "ioctlsocket(FIONBIO) / fcntl(O_NONBLOCK) switches blocking mode.",
        "ioctlsocket reference; fcntl(2)";
    FIONBIO_AFTER_SELECT = "fionbio.after-eventselect", [],
        "Winsock: clearing nonblocking mode while WSAEventSelect or WSAAsyncSelect is registered fails with WSAEINVAL.",
        "ioctlsocket reference page; proxinject #10";
    SETSOCKOPT = "setsockopt", [],
        "setsockopt stores the option; options only matter where a rule reads them (SO_BROADCAST, SO_SNDTIMEO, TCP_SYNCNT, ...).",
        "setsockopt reference; socket(7)";
    GETSOCKOPT = "getsockopt", [],
        "getsockopt reads an option back.",
        "getsockopt reference; socket(7)";
    OPT_READONLY = "sockopt.readonly", [WS, WI, W1],
        "Setting a read-only option (SO_ERROR, SO_CONNECT_TIME) fails: ENOPROTOOPT / WSAENOPROTOOPT.",
        "socket(7); Winsock: not stated, socklab's reading";
    OPT_LINUX_ONLY = "sockopt.linux-only", [],
        "TCP_SYNCNT and TCP_USER_TIMEOUT exist only on Linux; Winsock answers WSAENOPROTOOPT.",
        "tcp(7); IPPROTO_TCP socket options reference (absent)";
    OPT_WINDOWS_ONLY = "sockopt.windows-only", [],
        "TCP_MAXRT, SO_CONNECT_TIME and SO_UPDATE_CONNECT_CONTEXT are Windows extensions (Winsock 2).",
        "IPPROTO_TCP and SOL_SOCKET option reference pages";
    V6ONLY = "sockopt.v6only", [],
        "IPV6_V6ONLY defaults to 0 (dual-stack) on linux and to 1 on Windows.",
        "LINUX_TRUTH 14a; dual-stack sockets reference page";
    SO_ERROR_CLEARS = "so-error.clears", [],
        "Reading SO_ERROR returns the pending error and clears it (linux, winsock, winsock1). On linux the next connect then answers ECONNABORTED.",
        "LINUX_TRUTH 3c, 3d; getsockopt reference";
    SO_ERROR_STAYS = "so-error.stays", [],
        "windows: reading SO_ERROR returns the error without clearing it.",
        "dotnet/corefx #8464 (two reads both gave ConnectionRefused on Windows)";
    CONNECT_TIME = "so-connect-time", [],
        "SO_CONNECT_TIME is 0xFFFFFFFF until the socket is connected, then the seconds since.",
        "seed 004 (ConnectEx)";
    UPDATE_CONTEXT = "connectex.update-context", [],
        "After ConnectEx, getpeername and shutdown fail with WSAENOTCONN until SO_UPDATE_CONNECT_CONTEXT is set.",
        "seed 004; SO_UPDATE_CONNECT_CONTEXT reference; cosmopolitan PR #1164, Nim #15022";
    BIND = "bind", [],
        "bind: EINVAL/WSAEINVAL when already bound, EADDRINUSE/WSAEADDRINUSE on a taken port (linux needs SO_REUSEADDR on both sockets), EADDRNOTAVAIL for a foreign address.",
        "bind(2); bind reference page";
    LISTEN = "listen", [],
        "listen: linux binds an unbound socket itself; Winsock needs bind first (WSAEINVAL). UDP: EOPNOTSUPP / WSAEOPNOTSUPP.",
        "listen(2); listen reference page";
    ACCEPT = "accept", [],
        "accept takes a completed connection from the queue; nonblocking with an empty queue answers EAGAIN / WSAEWOULDBLOCK.",
        "accept(2); accept reference page";
    ADDR_NULL = "addr.null", [],
        "A NULL name: linux EFAULT (EINVAL when namelen is 0), Winsock WSAEFAULT.",
        "LINUX_TRUTH 8h; seed 000 (WSAEFAULT)";
    ADDR_SHORT = "addr.namelen", [],
        "namelen too small: linux EINVAL, Winsock WSAEFAULT. A v6 socket given a sockaddr_in is too short on both (linux TCP checks length before family).",
        "LINUX_TRUTH 8d, 8e, 8f; seed 000 (WSAEFAULT)";
    ADDR_FAMILY = "addr.family", [],
        "An address of the wrong family: EAFNOSUPPORT / WSAEAFNOSUPPORT.",
        "LINUX_TRUTH 8c, 8g; seed 000";
    UNSPEC_WINSOCK = "addr.unspec-winsock", [WS, WI, W1],
        "Winsock has no AF_UNSPEC disconnect; the family is rejected with WSAEAFNOSUPPORT.",
        "seed 000 (WSAEAFNOSUPPORT); the AF_UNSPEC idiom is not documented for Winsock";
    CONNECT_LISTENING = "connect.listening", [],
        "connect on a listening socket: linux EISCONN, Winsock WSAEINVAL.",
        "LINUX_TRUTH 8a; seed 000 (WSAEINVAL)";
    ISCONN = "connect.isconn", [],
        "connect on a connected socket: EISCONN / WSAEISCONN (also after shutdown or a peer reset).",
        "LINUX_TRUTH 2c, 10a-10c; seed 000";
    LINUX_ONCE_ZERO = "connect.linux-once-zero", [],
        "linux: the first connect after a nonblocking handshake completed answers 0, once; later ones EISCONN.",
        "LINUX_TRUTH 2b, 2e";
    PENDING_AGAIN = "connect.pending-again", [],
        "connect while a nonblocking attempt is pending: EALREADY (linux), WSAEALREADY (winsock, windows; real Windows sometimes WSAEINVAL), WSAEINVAL (winsock1).",
        "LINUX_TRUTH 4a; seeds 000, 002; libwebsockets PR #2715";
    LINUX_FAILED_REPORT = "connect.linux-report-failure", [],
        "linux: after a failed nonblocking connect, the next connect reports the failure (the unread error, or ECONNABORTED if SO_ERROR consumed it); only the call after that retries. Winsock retries at once.",
        "LINUX_TRUTH 3d, 4b, 9f; seed 000";
    WS1_CANCELLED = "connect.winsock1-cancelled", [W1],
        "winsock1: WSACancelBlockingCall makes a blocking connect fail with WSAEINTR and leaves the socket indeterminate; only closesocket is safe (socklab answers WSAEINVAL to a further connect).",
        "WSACancelBlockingCall reference page; seeds 001, 002 (WSAEINTR)";
    ALARM = "alarm", [],
        "alarm MS interrupts the next blocking connect: a signal without SA_RESTART on linux, WSACancelBlockingCall from a blocking hook on winsock1; Winsock 2 removed that call, so nothing interrupts it there.",
        "LINUX_TRUTH 13b; WSACancelBlockingCall reference page";
    LINUX_EINTR = "connect.linux-eintr", [],
        "linux: a blocking connect interrupted by a signal answers EINTR while the handshake carries on; a later nonblocking connect answers EALREADY, a later blocking one waits for the outcome.",
        "LINUX_TRUTH 13b-13d";
    CONNECTEX_UNBOUND = "connectex.unbound", [],
        "ConnectEx needs a bound socket: WSAEINVAL otherwise.",
        "seed 004 (WSAEINVAL); Go net/fd_windows.go binds before ConnectEx";
    CONNECTEX_DGRAM = "connectex.dgram", [WS, WI],
        "ConnectEx is for connection-oriented sockets only; socklab answers WSAEINVAL for UDP.",
        "seed 004 (no error is named for this case)";
    CONNECTEX_PENDING = "connectex.pending", [],
        "ConnectEx returns FALSE with WSA_IO_PENDING and completes through the OVERLAPPED (a completion with the error and the bytes sent).",
        "seed 004";
    CONNECTEX_LINUX = "connectex.linux", [],
        "linux: no ConnectEx, SO_CONNECT_TIME or SO_UPDATE_CONNECT_CONTEXT; the closest is TCP Fast Open (sendto MSG_FASTOPEN or TCP_FASTOPEN_CONNECT).",
        "LINUX_TRUTH 11a-11c";
    WSACONNECT_LINUX = "wsaconnect.linux", [],
        "linux: no WSAConnect; without connect data or QoS it is answered as connect(2).",
        "seed 001";
    WSACONNECT_DATA = "wsaconnect.data", [],
        "WSAConnect with caller data on TCP: WSAEPROTONOSUPPORT (TCP/IP carries no connect data); on UDP the data is ignored.",
        "seed 001";
    WSACONNECT_QOS = "wsaconnect.qos", [WS, WI],
        "WSAConnect with lpGQOS: WSAEINVAL; with lpSQOS on TCP: WSAEOPNOTSUPP (the flowspec cannot be honoured).",
        "seed 001 (WSAEINVAL, WSAEOPNOTSUPP)";
    ZERO_ADDR_TCP = "connect.zero-address", [],
        "TCP connect to 0.0.0.0 or ::: linux connects to this host; Winsock answers WSAEADDRNOTAVAIL.",
        "LINUX_TRUTH 5a, 5b; seed 000; node #14900";
    PORT_ZERO_WINSOCK = "connect.port-zero", [WS, WI, W1],
        "TCP connect to port 0: linux sends the SYN and is refused; Winsock answers WSAEADDRNOTAVAIL (believed, not verified).",
        "LINUX_TRUTH 5c";
    TCP_BROADCAST = "connect.tcp-broadcast", [WS, WI, W1],
        "TCP connect to a broadcast or multicast address fails at once with ENETUNREACH (WSAENETUNREACH assumed on Winsock).",
        "LINUX_TRUTH 6e";
    ROUTE_SYNC = "connect.route-error", [WS, WI, W1],
        "Routing errors are answered at once, even by a nonblocking connect: no route ENETUNREACH, unreachable route EHOSTUNREACH, prohibit route EACCES.",
        "LINUX_TRUTH 9a-9c";
    FOUR_TUPLE = "connect.four-tuple", [],
        "Two sockets sharing a local address cannot connect to the same destination: linux EADDRNOTAVAIL, Winsock WSAEADDRINUSE.",
        "LINUX_TRUTH 16; seed 000 (WSAEADDRINUSE)";
    NONBLOCKING_PENDING = "connect.nonblocking", [],
        "A nonblocking TCP connect starts the handshake and answers EINPROGRESS (linux) or WSAEWOULDBLOCK (Winsock); the socket is pending.",
        "LINUX_TRUTH 2a; seed 000";
    BLOCKING = "connect.blocking", [],
        "A blocking connect returns when the outcome is known: refused at once on linux, after about 2 s on windows (SYN retried after RST); timeout 127 s on linux, 21 s on windows.",
        "LINUX_TRUTH 3e, 4b; libuv PR #2896; nmap #2113";
    LINUX_SNDTIMEO = "connect.linux-sndtimeo", [],
        "linux: SO_SNDTIMEO bounds a blocking connect: EINPROGRESS when it expires (EALREADY on a repeat); the handshake carries on.",
        "LINUX_TRUTH 4d";
    UNSPEC_TCP = "connect.linux-unspec-tcp", [],
        "linux: connect(AF_UNSPEC) on a TCP socket drops the connection (the peer sees a reset) or stops a listener; the socket can connect again.",
        "LINUX_TRUTH 8b, 10d";
    UDP_UNSPEC = "udp.linux-unspec", [],
        "linux: connect(AF_UNSPEC) dissolves a UDP association; a kernel-chosen port is released. send then answers EDESTADDRREQ.",
        "LINUX_TRUTH 7f, 7g; seed 003";
    UDP_ZERO_WINSOCK = "udp.zero-address", [],
        "Winsock: UDP connect to the all-zero address dissolves the association (WSAConnect: only when the whole structure is zero); linux connects to this host instead.",
        "seeds 000, 001; LINUX_TRUTH 5d, 5e";
    UDP_BROADCAST = "udp.broadcast", [],
        "UDP connect or sendto to a broadcast address needs SO_BROADCAST: EACCES / WSAEACCES otherwise. linux checks only at route lookup.",
        "LINUX_TRUTH 6a-6c; seed 000";
    UDP_CONNECT = "udp.connect", [],
        "UDP connect sets the default destination (and binds implicitly); re-connecting changes it; datagrams from other peers are dropped.",
        "LINUX_TRUTH 7b, 7c; seed 000";
    UDP_RECONNECT_DISCARDS = "udp.reconnect-discards", [],
        "Winsock: re-connecting to another address discards queued datagrams; linux keeps them.",
        "seed 000; LINUX_TRUTH 7d";
    UDP_NO_PEER = "udp.no-peer", [],
        "send on a UDP socket without a default destination: linux EDESTADDRREQ, Winsock WSAENOTCONN.",
        "LINUX_TRUTH 7a, 7f; seed 000";
    UDP_ICMP = "udp.icmp", [],
        "ICMP port unreachable: linux reports ECONNREFUSED once, on connected sockets only; Winsock reports WSAECONNRESET on the next recv, connected or not.",
        "LINUX_TRUTH 7h; SIO_UDP_CONNRESET reference; Go KB263823 comment";
    LINUX_UDP_PORT0 = "udp.linux-port0", [],
        "linux: a UDP socket connected to port 0 answers ENOTCONN to getpeername, yet send delivers to port 0.",
        "LINUX_TRUTH 5e";
    SELECT = "select", [],
        "select: success shows in writefds on both; a failed connect is readable+writable on linux but only in exceptfds on Winsock. A never-connected linux socket is readable and writable.",
        "LINUX_TRUTH 1e, 2d, 3b; seed 000; reactphp/event-loop PR #208";
    SELECT_EMPTY = "select.empty", [],
        "Winsock: select with all three sets empty fails with WSAEINVAL.",
        "select reference page; openpbs PR #571";
    POLL = "poll", [],
        "WSAPoll / poll: a failed connect is POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP on linux (POLLERR until SO_ERROR is read); POLLHUP|POLLERR|POLLWRNORM on winsock and windows, as of Windows 10 version 2004 (earlier: nothing). A listener with a connection waiting is POLLRDNORM, a connected socket POLLWRNORM.",
        "LINUX_TRUTH 3b, 3c (tests/live_tcp.rs); WSAPoll reference page https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-wsapoll (Remarks); Wine dlls/ws2_32/tests/sock.c, test_WSAPoll";
    EPOLL = "epoll", [],
        "linux: epoll_wait reports the same readiness as poll for a failed or completed connect (EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP|EPOLLRDHUP on failure); Winsock has no epoll.",
        "LINUX_TRUTH 1e, 2d, 3b, 3c";
    EVENT_SELECT = "wsaeventselect", [],
        "WSAEventSelect makes the socket nonblocking and records FD_* events with their error codes; FD_CONNECT then FD_WRITE on success, FD_CONNECT with the error on failure.",
        "seeds 000, 001; WSAEventSelect reference page";
    ASYNC_SELECT = "wsaasyncselect", [],
        "WSAAsyncSelect makes the socket nonblocking and posts a window message per event (lParam: event and error).",
        "seed 001; WSAAsyncSelect reference page";
    ENUM_EVENTS = "wsaenumnetworkevents", [],
        "WSAEnumNetworkEvents returns the recorded events with their error codes and clears the record.",
        "WSAEnumNetworkEvents reference page";
    EVENTS_LINUX = "events.linux", [],
        "linux: no WSAEventSelect, WSAAsyncSelect or WSAEnumNetworkEvents; the closest is epoll.",
        "epoll(7)";
    WS2_ONLY = "winsock1.ws2-only", [],
        "winsock1: Winsock 2 functions (WSAConnect, ConnectEx, WSAEventSelect, WSAPoll, WSAEnumNetworkEvents) do not exist for a 1.1 application.",
        "Windows Sockets 2 additions";
    GETSOCKNAME_UNBOUND = "getsockname.unbound", [],
        "getsockname before a concrete local address: linux answers 0.0.0.0:0 (or the wildcard and port), Winsock WSAEINVAL.",
        "LINUX_TRUTH 1b, 1c; getsockname reference; caproto #514";
    GETSOCKNAME = "getsockname", [],
        "getsockname returns the local address (chosen by connect when it bound implicitly).",
        "LINUX_TRUTH 1d";
    GETPEERNAME = "getpeername", [],
        "getpeername returns the peer once connected, ENOTCONN / WSAENOTCONN otherwise (also while pending).",
        "LINUX_TRUTH 4a";
    SEND = "send", [],
        "UDP send/sendto: datagrams go to the destination; the lab's own sockets, @echo and @sink receive them.",
        "send(2); send reference page";
    TCP_SEND = "send.tcp", [WS, WI, W1],
        "TCP send: linux answers EPIPE on an unconnected or failed socket (after reporting any pending error), EAGAIN while pending; Winsock WSAENOTCONN.",
        "LINUX_TRUTH 3e; tcp_sendmsg";
    RECV = "recv", [],
        "recv: data, or EAGAIN / WSAEWOULDBLOCK when nonblocking; ENOTCONN / WSAENOTCONN on an unconnected TCP socket; a reset is reported once on linux (then end of stream), every time on Winsock.",
        "LINUX_TRUTH 3e, 10c; recv reference page; Wine sock.c test_tcp_reset (WSAECONNRESET again)";
    SHUTDOWN = "shutdown", [],
        "shutdown on a never-connected socket: ENOTCONN / WSAENOTCONN; on a connected one it sends FIN, and connect keeps answering EISCONN.",
        "LINUX_TRUTH 10a, 10e";
    // ---- win-b rules ----
    SO_ERROR_KEPT = "so-error.kept-by-connect", [],
        "windows: a new connect() does not reset SO_ERROR; the previous failure reads back until a connection succeeds (linux, winsock, winsock1: the new attempt starts with no error).",
        "Wine dlls/ws2_32/tests/sock.c, test_select (interactive block: SO_ERROR after a second connect)";
    SO_ERROR_SETTABLE = "so-error.settable", [],
        "windows: setsockopt(SO_ERROR) succeeds and getsockopt reads the stored value back; elsewhere SO_ERROR is read-only.",
        "Wine dlls/ws2_32/tests/sock.c, test_set_getsockopt (SO_ERROR set/get, 1234 read back)";
    RESET_WINDOWS = "reset.windows", [],
        "A peer reset ends the connection (state failed, error ECONNRESET / WSAECONNRESET; connect still answers EISCONN). windows: SO_ERROR reads 0, recv and send answer WSAECONNRESET every time, WSAPoll gives POLLERR|POLLHUP|POLLWRNORM, select readable and writable.",
        "Wine dlls/ws2_32/tests/sock.c, test_tcp_reset; linux: LINUX_TRUTH 10c (tests/live_tcp.rs row_10c)";
    EVENTS_REENABLE_WINDOWS = "events.windows-reenable", [],
        "windows: a WSAEventSelect registration records FD_CONNECT (after a successful connect) and FD_WRITE only if they were not recorded before, so registering again records nothing; WSAAsyncSelect posts FD_WRITE on every registration while writable (an unbound UDP socket too), never FD_CONNECT. A UDP connect records FD_CONNECT and FD_WRITE (messages: FD_WRITE only). winsock: conditions already true are recorded at every registration.",
        "Wine dlls/ws2_32/tests/sock.c, test_connect_events, test_write_events, test_accept_events; WSAEventSelect and WSAAsyncSelect reference pages";
    OPT_LINUX_LEVEL = "sockopt.linux-level", [],
        "linux: an IPPROTO_TCP option (TCP_NODELAY, TCP_SYNCNT, TCP_USER_TIMEOUT) on a UDP socket, or IPV6_V6ONLY on an AF_INET socket: setsockopt ENOPROTOOPT; getsockopt EOPNOTSUPP on AF_INET, ENOPROTOOPT on AF_INET6.",
        "the kernel, judged option by option on every protocol and family by tests/live_sockopts.rs";
    BIND_EXCLUSIVE = "bind.exclusiveaddruse", [],
        "SO_EXCLUSIVEADDRUSE (Winsock 2): no other socket may bind an address it covers; it and SO_REUSEADDR exclude each other (setting one while the other is on: WSAEINVAL). linux has no such option.",
        "SO_EXCLUSIVEADDRUSE reference page https://learn.microsoft.com/en-us/windows/win32/winsock/so-exclusiveaddruse; Wine dlls/ws2_32/tests/sock.c, test_reuseaddr";
    BIND_WINDOWS = "bind.windows-conflicts", [],
        "windows: a port taken on the same address: WSAEADDRINUSE, or WSAEACCES when only the new socket has SO_REUSEADDR (both need it); a wildcard and a specific address share a port unless one has SO_EXCLUSIVEADDRUSE (the exclusive socket bound first: WSAEACCES; bound second over the other: WSAEADDRINUSE); a dual-stack [::] covers IPv4 only for an exclusive socket. A connection goes to the most specific listener, then to the first that listened.",
        "Wine dlls/ws2_32/tests/sock.c, test_reuseaddr (tests_exclusive table and the SO_REUSEADDR blocks)";
    // ---- end win-b rules ----
    CLOSE = "close", [],
        "closesocket / close releases the descriptor; later calls answer EBADF / WSAENOTSOCK; the peer sees the end of stream.",
        "close(2); closesocket reference page";
}

/// Look a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
