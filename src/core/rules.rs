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
    /// Where it comes from, as a reader can follow it: a live test of this repository that
    /// measures the kernel (`row_3d in tests/live_tcp.rs`), a Microsoft or man page by title and
    /// address, a Wine conformance test, an issue or pull request.
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
        "WSAStartup/WSACleanup are counted; the last WSACleanup closes every socket. socklab starts Winsock for you (2.2, or 1.1 for winsock1). Only a major version of 0 is refused (WSAVERNOTSUPPORTED); 1.0 is accepted.",
        "WSAStartup and WSACleanup reference pages learn.microsoft.com/windows/win32/api/winsock/nf-winsock-wsastartup, learn.microsoft.com/windows/win32/api/winsock/nf-winsock-wsacleanup; Wine dlls/ws2_32/tests/protocol.c test_startup, dlls/ws2_32/tests/sock.c test_WithWSAStartup";
    NOT_INITIALISED = "startup.required", [],
        "Winsock personalities answer WSANOTINITIALISED to any call made before WSAStartup or after the last WSACleanup.",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect (error tables); behaviour 10 of docs/semantics.md; windows: Wine dlls/ws2_32/tests/sock.c test_WithoutWSAStartup (checked before the arguments), Icinga/icinga2 #3256 (accept after WSACleanup: 10093)";
    POSIX_NO_STARTUP = "startup.posix", [],
        "linux: there is nothing to start or clean up; the call does not exist.",
        "POSIX has no counterpart";
    BAD_DESCRIPTOR = "descriptor.invalid", [],
        "A closed or never-opened descriptor: linux EBADF, Winsock WSAENOTSOCK.",
        "row_8i in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAENOTSOCK)";
    NOT_SOCKET = "descriptor.not-socket", [],
        "pipe as NAME opens a descriptor that is not a socket (pipe(2); CreatePipe on Windows): every socket call on it answers ENOTSOCK (linux) or WSAENOTSOCK (Winsock); close(2) closes it on linux, closesocket refuses it with WSAENOTSOCK.",
        "connect(2) https://man7.org/linux/man-pages/man2/connect.2.html (ENOTSOCK); connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAENOTSOCK); closesocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-closesocket (WSAENOTSOCK); tests/scenarios/19_not_a_socket.lab, judged by the kernel in tests/live_scenarios.rs";
    SOCKET = "socket", [],
        "socket() returns a new descriptor in the unbound state.",
        "socket(2) https://man7.org/linux/man-pages/man2/socket.2.html; socket reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-socket";
    OUT_OF_DESCRIPTORS = "socket.exhausted", [],
        "When the system runs out of descriptors (a fact of the live network), socket and accept fail: EMFILE on linux, WSAEMFILE on Winsock; nothing is created.",
        "socket(2) https://man7.org/linux/man-pages/man2/socket.2.html, accept(2) https://man7.org/linux/man-pages/man2/accept.2.html; socket reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-socket (WSAEMFILE)";
    WS1_NO_IPV6 = "socket.winsock1-ipv6", [W1],
        "winsock1: Winsock 1.1 predates IPv6; an AF_INET6 socket fails with WSAEAFNOSUPPORT.",
        "Windows Sockets 1.1 specification (AF_INET only); what WSOCK32.DLL does with AF_INET6 today is not documented";
    FIONBIO = "fionbio", [],
        "ioctlsocket(FIONBIO) / fcntl(O_NONBLOCK) switches blocking mode.",
        "ioctlsocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-ioctlsocket; fcntl(2) https://man7.org/linux/man-pages/man2/fcntl.2.html";
    FIONBIO_AFTER_SELECT = "fionbio.after-eventselect", [],
        "Winsock: clearing nonblocking mode while WSAEventSelect or WSAAsyncSelect is registered fails with WSAEINVAL.",
        "ioctlsocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-ioctlsocket; PragmaTwice/proxinject #10";
    SETSOCKOPT = "setsockopt", [],
        "setsockopt stores the option; options only matter where a rule reads them (SO_BROADCAST, SO_SNDTIMEO, TCP_SYNCNT, ...).",
        "setsockopt reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-setsockopt; socket(7) https://man7.org/linux/man-pages/man7/socket.7.html";
    GETSOCKOPT = "getsockopt", [],
        "getsockopt reads an option back.",
        "getsockopt reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockopt; socket(7) https://man7.org/linux/man-pages/man7/socket.7.html";
    OPT_READONLY = "sockopt.readonly", [WS, WI, W1],
        "Setting a read-only option (SO_ERROR, SO_CONNECT_TIME) fails: ENOPROTOOPT / WSAENOPROTOOPT.",
        "socket(7) https://man7.org/linux/man-pages/man7/socket.7.html; Winsock: not stated, socklab's reading";
    OPT_LINUX_ONLY = "sockopt.linux-only", [],
        "TCP_SYNCNT and TCP_USER_TIMEOUT exist only on Linux; Winsock answers WSAENOPROTOOPT.",
        "tcp(7) https://man7.org/linux/man-pages/man7/tcp.7.html; IPPROTO_TCP socket options page learn.microsoft.com/windows/win32/winsock/ipproto-tcp-socket-options (not listed there)";
    OPT_WINDOWS_ONLY = "sockopt.windows-only", [],
        "TCP_MAXRT, SO_CONNECT_TIME and SO_UPDATE_CONNECT_CONTEXT are Windows extensions (Winsock 2).",
        "IPPROTO_TCP and SOL_SOCKET socket options pages learn.microsoft.com/windows/win32/winsock/ipproto-tcp-socket-options, learn.microsoft.com/windows/win32/winsock/sol-socket-socket-options";
    V6ONLY = "sockopt.v6only", [],
        "IPV6_V6ONLY defaults to 0 (dual-stack) on linux and to 1 on Windows.",
        "row_14a in tests/live_tcp.rs; Dual-Stack Sockets page learn.microsoft.com/windows/win32/winsock/dual-stack-sockets";
    SO_ERROR_CLEARS = "so-error.clears", [],
        "Reading SO_ERROR returns the pending error and clears it (linux, winsock, winsock1). On linux the next connect then answers ECONNABORTED.",
        "row_3a_3b_3c, row_3d in tests/live_tcp.rs; getsockopt reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockopt";
    SO_ERROR_STAYS = "so-error.stays", [],
        "windows: reading SO_ERROR returns the error without clearing it.",
        "Wine dlls/ws2_32/tests/sock.c, test_select (interactive block: SO_ERROR read twice, WSAECONNREFUSED both times); dotnet/corefx #8464 https://github.com/dotnet/corefx/issues/8464";
    CONNECT_TIME = "so-connect-time", [],
        "SO_CONNECT_TIME is 0xFFFFFFFF until the socket is connected, then the seconds since.",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (ConnectEx)";
    UPDATE_CONTEXT = "connectex.update-context", [],
        "After ConnectEx, getpeername and shutdown fail with WSAENOTCONN until SO_UPDATE_CONNECT_CONTEXT is set.",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex; SOL_SOCKET socket options page learn.microsoft.com/windows/win32/winsock/sol-socket-socket-options (SO_UPDATE_CONNECT_CONTEXT); jart/cosmopolitan PR #1164, nim-lang/Nim #15022";
    BIND = "bind", [],
        "bind: EINVAL/WSAEINVAL when already bound, EADDRINUSE/WSAEADDRINUSE on a taken port (linux needs SO_REUSEADDR on both sockets), EADDRNOTAVAIL for a foreign address.",
        "bind(2) https://man7.org/linux/man-pages/man2/bind.2.html; bind reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-bind";
    LISTEN = "listen", [],
        "listen: linux binds an unbound socket itself; Winsock needs bind first (WSAEINVAL). UDP: EOPNOTSUPP / WSAEOPNOTSUPP.",
        "listen(2) https://man7.org/linux/man-pages/man2/listen.2.html; listen reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-listen";
    ACCEPT = "accept", [],
        "accept takes a completed connection from the queue; nonblocking with an empty queue answers EAGAIN / WSAEWOULDBLOCK.",
        "accept(2) https://man7.org/linux/man-pages/man2/accept.2.html; accept reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-accept";
    ADDR_NULL = "addr.null", [],
        "A NULL name: linux EFAULT (EINVAL when namelen is 0), Winsock WSAEFAULT.",
        "row_8h in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEFAULT)";
    ADDR_SHORT = "addr.namelen", [],
        "namelen too small: linux EINVAL, Winsock WSAEFAULT. A v6 socket given a sockaddr_in is too short on both (linux TCP checks length before family).",
        "row_8d, row_8e, row_8f in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEFAULT); windows: Wine dlls/ws2_32/tests/sock.c test_bind (a namelen one byte short: WSAEFAULT), bytecodealliance/rustix PR #954 (sendto with a too short address: WSAEFAULT on Windows)";
    ADDR_FAMILY = "addr.family", [],
        "An address of the wrong family: EAFNOSUPPORT / WSAEAFNOSUPPORT.",
        "row_8c, row_8g in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    UNSPEC_WINSOCK = "addr.unspec-winsock", [WS, WI, W1],
        "Winsock, TCP: an AF_UNSPEC address is rejected with WSAEAFNOSUPPORT (on UDP it disconnects: udp.zero-address).",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEAFNOSUPPORT); nothing documents AF_UNSPEC on a TCP socket";
    CONNECT_LISTENING = "connect.listening", [],
        "connect on a listening socket: linux EISCONN, Winsock WSAEINVAL.",
        "row_8a in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEINVAL)";
    ISCONN = "connect.isconn", [],
        "connect on a connected socket: EISCONN / WSAEISCONN (also after shutdown; after a peer reset see connect.after-reset).",
        "row_2a_2b_2c, row_10a, row_10b, row_10c in tests/live_tcp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    LINUX_ONCE_ZERO = "connect.linux-once-zero", [],
        "linux: the first connect after a nonblocking handshake completed answers 0, once; later ones EISCONN.",
        "row_2a_2b_2c, row_2e in tests/live_tcp.rs";
    PENDING_AGAIN = "connect.pending-again", [],
        "connect while a nonblocking attempt is pending: EALREADY (linux), WSAEALREADY (winsock, windows; real Windows sometimes WSAEINVAL), WSAEINVAL (winsock1).",
        "row_4a in tests/live_tcp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; warmcat/libwebsockets PR #2715";
    LINUX_FAILED_REPORT = "connect.linux-report-failure", [],
        "linux: after a failed nonblocking connect, the next connect reports the failure (the unread error, or ECONNABORTED if SO_ERROR consumed it); only the call after that retries. Winsock retries at once.",
        "row_3d, row_4b in tests/live_tcp.rs; row_9f in tests/live_netns.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    WS1_CANCELLED = "connect.winsock1-cancelled", [W1],
        "winsock1: WSACancelBlockingCall makes a blocking connect fail with WSAEINTR and leaves the socket indeterminate; only closesocket is safe (socklab answers WSAEINVAL to a further connect).",
        "WSACancelBlockingCall function (winsock2.h) reference page on learn.microsoft.com; WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect; connect reference page (Winsock 1.1 note) learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEINTR)";
    ALARM = "alarm", [],
        "alarm MS interrupts the next blocking connect: a signal without SA_RESTART on linux, WSACancelBlockingCall from a blocking hook on winsock1; Winsock 2 removed that call: there only closing the socket from another thread ends it (WSAEINTR; write `after MS closesocket NAME`, rule block.closed-by-other-thread).",
        "row_13b_13c_13d in tests/live_tcp.rs; WSACancelBlockingCall function (winsock2.h) reference page on learn.microsoft.com; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEINTR: the socket was closed)";
    AFTER = "after", [],
        "after MS CALL: another thread makes CALL at virtual time now + MS, while a blocking call waits (or between calls, when none does); what it answered is noted on the answer of the call that was running. winsock1: the blocking hook makes it instead (Winsock 1.1 allows one blocking call at a time).",
        "tests/scenarios/18_closed_while_blocked.lab, judged by the kernel in tests/live_scenarios.rs";
    CLOSED_WHILE_BLOCKED = "block.closed-by-other-thread", [],
        "closesocket from another thread while a blocking connect or recv waits on that socket: Winsock 2 ends the waiting call with WSAEINTR; linux: close(2) releases the descriptor at once but does not wake the call, which runs to its own outcome (a connect to an unanswering address times out with ETIMEDOUT; shutdown(SHUT_RDWR) is what wakes it on linux).",
        "connect (Windows Sockets) reference page for Windows Embedded CE on learn.microsoft.com (WSAEINTR: the socket was closed); close(2) https://man7.org/linux/man-pages/man2/close.2.html (Multithreaded processes and close()); tests/scenarios/18_closed_while_blocked.lab, judged by the kernel in tests/live_scenarios.rs";
    WS1_IN_PROGRESS = "winsock1.in-progress", [],
        "winsock1: a call made while a blocking call is in progress (from the blocking hook, which is where a 1.1 application runs anything during the wait) fails with WSAEINPROGRESS and does nothing; the blocking call goes on.",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEINPROGRESS: a blocking Windows Sockets 1.1 call is in progress); WSASetBlockingHook function (winsock2.h) reference page on learn.microsoft.com";
    CONNECTEX_ABORTED = "connectex.closed-pending", [WS, WI],
        "closesocket while a ConnectEx is pending: closesocket answers 0 and the ConnectEx completes at once with WSA_OPERATION_ABORTED and 0 bytes.",
        "closesocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-closesocket (pending overlapped operations fail with WSA_OPERATION_ABORTED; the page names the send and receive calls, socklab applies it to ConnectEx)";
    LINUX_EINTR = "connect.linux-eintr", [],
        "linux: a blocking connect interrupted by a signal answers EINTR while the handshake carries on; a later nonblocking connect answers EALREADY, a later blocking one waits for the outcome.",
        "row_13b_13c_13d in tests/live_tcp.rs";
    CONNECTEX_UNBOUND = "connectex.unbound", [],
        "ConnectEx needs a bound socket: WSAEINVAL otherwise.",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (WSAEINVAL); golang/go src/net/fd_windows.go binds before ConnectEx";
    CONNECTEX_DGRAM = "connectex.dgram", [WS, WI],
        "ConnectEx is for connection-oriented sockets only; socklab answers WSAEINVAL for UDP.",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (no error is named for this case)";
    CONNECTEX_PENDING = "connectex.pending", [],
        "ConnectEx returns FALSE with WSA_IO_PENDING and completes through the OVERLAPPED (a completion with the error and the bytes sent).",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex; windows: every ConnectEx of Wine dlls/ws2_32/tests/sock.c test_connect and test_connect_completion_port pends (ERROR_IO_PENDING) even on loopback, none returns TRUE";
    CONNECTEX_LINUX = "connectex.linux", [],
        "linux: no ConnectEx, SO_CONNECT_TIME or SO_UPDATE_CONNECT_CONTEXT; the closest is TCP Fast Open (sendto MSG_FASTOPEN or TCP_FASTOPEN_CONNECT).",
        "tcp(7) https://man7.org/linux/man-pages/man7/tcp.7.html (TCP_FASTOPEN_CONNECT)";
    WSACONNECT_LINUX = "wsaconnect.linux", [],
        "linux: no WSAConnect; without connect data or QoS it is answered as connect(2).",
        "WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect";
    WSACONNECT_DATA = "wsaconnect.data", [WI],
        "WSAConnect with caller data on TCP: WSAEPROTONOSUPPORT (TCP/IP carries no connect data); on UDP the data is ignored.",
        "WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect";
    WSACONNECT_QOS = "wsaconnect.qos", [WS, WI],
        "WSAConnect with lpGQOS: WSAEINVAL; with lpSQOS on TCP: WSAEOPNOTSUPP (the flowspec cannot be honoured).",
        "WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect (WSAEINVAL, WSAEOPNOTSUPP)";
    ZERO_ADDR_TCP = "connect.zero-address", [],
        "TCP connect to 0.0.0.0 or ::: linux connects to this host; Winsock answers WSAEADDRNOTAVAIL.",
        "row_5a, row_5b in tests/live_tcp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; nodejs/node #14900";
    PORT_ZERO_WINSOCK = "connect.port-zero", [WS, WI, W1],
        "TCP connect to port 0: linux sends the SYN and is refused; Winsock answers WSAEADDRNOTAVAIL (believed, not verified).",
        "row_5c in tests/live_tcp.rs";
    TCP_BROADCAST = "connect.tcp-broadcast", [WS, WI, W1],
        "TCP connect to a broadcast or multicast address fails at once with ENETUNREACH (WSAENETUNREACH assumed on Winsock).",
        "row_6e in tests/live_udp.rs";
    ROUTE_SYNC = "connect.route-error", [WS, WI, W1],
        "Routing errors are answered at once, even by a nonblocking connect: no route ENETUNREACH, unreachable route EHOSTUNREACH, prohibit route EACCES.",
        "row_9a_9e in tests/live_netns.rs";
    LINK_DOWN = "net.link-down", [WS, WI, W1],
        "link down takes the host's interface down (loopback stays up) until link up: its routes go with it. linux answers ENETUNREACH to a connect or sendto that needed it (not ENETDOWN, measured in a namespace); Winsock's documented error for a failed network subsystem is WSAENETDOWN, which socklab answers there.",
        "row_link_down in tests/live_seed_errors.rs (ip link set DEV down in a private namespace); connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAENETDOWN: the network subsystem has failed)";
    PORTS_EXHAUSTED = "ports.exhausted", [WI, W1],
        "portrange LO HI narrows the ephemeral port range; a call that needs a port when none is free fails: linux EADDRNOTAVAIL for a TCP connect (a port already connected elsewhere can be shared), EAGAIN for a UDP connect or sendto, EADDRINUSE for bind to port 0 or listen; Winsock WSAENOBUFS (connect: no buffer space, the socket cannot be connected).",
        "row_port_exhaustion in tests/live_seed_errors.rs (net.ipv4.ip_local_port_range narrowed in a private namespace); connect(2) https://man7.org/linux/man-pages/man2/connect.2.html (EADDRNOTAVAIL, EAGAIN); connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAENOBUFS); Troubleshoot port exhaustion issues page learn.microsoft.com/troubleshoot/windows-client/networking/tcp-ip-port-exhaustion-troubleshooting";
    FIREWALL = "net.firewall", [WS, WI, W1],
        "firewall drop IP: a local rule drops what this host sends to IP. linux: a UDP send or sendto there fails at once with EPERM; a TCP connect is not refused (its SYNs are dropped, retransmissions too) and times out. Winsock: socklab answers WSAEACCES to the connect and the send (no document states what a blocking filter rule gives).",
        "row_firewall in tests/live_seed_errors.rs (an nftables output rule in a private namespace); sendto(2) https://man7.org/linux/man-pages/man2/sendto.2.html (EPERM)";
    FOUR_TUPLE = "connect.four-tuple", [],
        "Two sockets sharing a local address cannot connect to the same destination: linux EADDRNOTAVAIL, Winsock WSAEADDRINUSE.",
        "row_16 in tests/live_tcp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (WSAEADDRINUSE)";
    NONBLOCKING_PENDING = "connect.nonblocking", [],
        "A nonblocking TCP connect starts the handshake and answers EINPROGRESS (linux) or WSAEWOULDBLOCK (Winsock); the socket is pending.",
        "row_2a_2b_2c in tests/live_tcp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    BLOCKING = "connect.blocking", [],
        "A blocking connect returns when the outcome is known: refused at once on linux, after about 2 s on windows (SYN retried after RST); timeout 127 s on linux, 21 s on windows.",
        "row_3e, row_4b in tests/live_tcp.rs; windows: libuv/libuv PR #2896, Wine dlls/ws2_32/tests/sock.c test_select (a refused connect takes over 2 s to report on Windows 10), nmap/nmap #2113";
    LINUX_SNDTIMEO = "connect.linux-sndtimeo", [],
        "linux: SO_SNDTIMEO bounds a blocking connect: EINPROGRESS when it expires (EALREADY on a repeat); the handshake carries on.",
        "row_4d in tests/live_tcp.rs";
    UNSPEC_TCP = "connect.linux-unspec-tcp", [],
        "linux: connect(AF_UNSPEC) on a TCP socket drops the connection (the peer sees a reset) or stops a listener; the socket can connect again.",
        "row_8b in tests/live_args.rs; row_10d in tests/live_tcp.rs";
    UDP_UNSPEC = "udp.linux-unspec", [],
        "linux: connect(AF_UNSPEC) dissolves a UDP association; a kernel-chosen port is released. send then answers EDESTADDRREQ.",
        "row_7f_7g in tests/live_udp.rs; connect(2) https://man7.org/linux/man-pages/man2/connect.2.html";
    UDP_ZERO_WINSOCK = "udp.zero-address", [],
        "Winsock: UDP connect or WSAConnect with a zero-filled AF_UNSPEC structure dissolves the association (connect to the all-zero AF_INET address: udp.zero-address-inet); WSAConnect to ADDR_ANY is WSAEADDRNOTAVAIL. linux connects 0.0.0.0 to this host instead.",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect (the entire name structure all zeros); windows: Wine dlls/ws2_32/tests/sock.c test_connect_udp; row_5d, row_5e in tests/live_udp.rs";
    UDP_BROADCAST = "udp.broadcast", [],
        "UDP connect or sendto to a broadcast address needs SO_BROADCAST: EACCES / WSAEACCES otherwise. linux checks only at route lookup.",
        "row_6a_6b in tests/live_netns.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    UDP_CONNECT = "udp.connect", [],
        "UDP connect sets the default destination (and binds implicitly); re-connecting changes it; datagrams from other peers are dropped.",
        "row_7b_7c_7d_7e in tests/live_udp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    UDP_RECONNECT_DISCARDS = "udp.reconnect-discards", [WI],
        "Winsock: re-connecting to another address discards queued datagrams; linux keeps them.",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; row_7b_7c_7d_7e in tests/live_udp.rs";
    UDP_NO_PEER = "udp.no-peer", [],
        "send on a UDP socket without a default destination: linux EDESTADDRREQ, Winsock WSAENOTCONN.",
        "row_7a, row_7f_7g in tests/live_udp.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect";
    UDP_ICMP = "udp.icmp", [],
        "ICMP port unreachable: linux reports ECONNREFUSED once, on connected sockets only; Winsock reports WSAECONNRESET on the next recv, connected or not.",
        "row_7h in tests/live_udp.rs; Winsock IOCTLs page learn.microsoft.com/windows/win32/winsock/winsock-ioctls (SIO_UDP_CONNRESET); Go KB263823 comment";
    LINUX_UDP_PORT0 = "udp.linux-port0", [],
        "linux: a UDP socket connected to port 0 answers ENOTCONN to getpeername, yet send delivers to port 0.",
        "row_5e in tests/live_udp.rs";
    SELECT = "select", [],
        "select: success shows in writefds on both; a failed connect is readable+writable on linux but only in exceptfds on Winsock. A never-connected linux socket is readable and writable. The timeval after the call: linux writes back the time not slept, Winsock leaves it as given (shown in a note).",
        "row_2d, row_3a_3b_3c in tests/live_tcp.rs; row_1e in tests/live_sockopts.rs; select_writes_back_the_time_not_slept in tests/live_args.rs; connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; reactphp/event-loop PR #208; select reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-select (const TIMEVAL *timeout); Wine dlls/ws2_32/tests/sock.c test_select (\"select timeout should not have changed\")";
    SELECT_EMPTY = "select.empty", [],
        "Winsock: select with no socket in any set fails with WSAEINVAL, whether the sets are NULL or present but empty (`select read= write=`); linux waits out the timeout and answers 0 either way.",
        "select reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-select; openpbs/openpbs PR #571 (empty, non-NULL sets on Windows: -1 with WSAEINVAL); Wine dlls/ws2_32/tests/sock.c test_select (\"Test selecting invalid handles\": NULL sets and three FD_ZERO'd sets, both WSAEINVAL, plain checks); select(2) https://man7.org/linux/man-pages/man2/select.2.html, judged by the kernel live in tests/scenarios/46_select_empty.lab";
    POLL = "poll", [],
        "WSAPoll / poll: a failed connect is POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP on linux (POLLERR until SO_ERROR is read); POLLHUP|POLLERR|POLLWRNORM on winsock and windows, as of Windows 10 version 2004 (earlier: nothing). A listener with a connection waiting is POLLRDNORM, a connected socket POLLWRNORM.",
        "row_3a_3b_3c in tests/live_tcp.rs (tests/live_tcp.rs); WSAPoll reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsapoll (Remarks); Wine dlls/ws2_32/tests/sock.c, test_WSAPoll";
    EPOLL = "epoll", [],
        "linux: epoll_wait reports the same readiness as poll for a failed or completed connect (EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP|EPOLLRDHUP on failure); Winsock has no epoll.",
        "row_2d, row_3a_3b_3c in tests/live_tcp.rs; row_1e in tests/live_sockopts.rs";
    EVENT_SELECT = "wsaeventselect", [],
        "WSAEventSelect makes the socket nonblocking and records FD_* events with their error codes; FD_CONNECT then FD_WRITE on success, FD_CONNECT with the error on failure.",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect; WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect; WSAEventSelect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaeventselect";
    ASYNC_SELECT = "wsaasyncselect", [],
        "WSAAsyncSelect makes the socket nonblocking and posts a window message per event (lParam: event and error).",
        "WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect; WSAAsyncSelect reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-wsaasyncselect";
    ENUM_EVENTS = "wsaenumnetworkevents", [],
        "WSAEnumNetworkEvents returns the recorded events with their error codes and clears the record. Its iErrorCode array has FD_MAX_EVENTS (10) entries in FD_ bit order; only the entries of reported events are written, the others keep the caller's values (shown as - in the answer's note).",
        "WSAEnumNetworkEvents function (winsock2.h) reference page on learn.microsoft.com; Wine dlls/ws2_32/tests/sock.c test_WSAEnumNetworkEvents (entries of events not reported keep 0xABABABAB)";
    EVENTS_LINUX = "events.linux", [],
        "linux: no WSAEventSelect, WSAAsyncSelect or WSAEnumNetworkEvents; the closest is epoll.",
        "epoll(7) https://man7.org/linux/man-pages/man7/epoll.7.html";
    WS2_ONLY = "winsock1.ws2-only", [],
        "winsock1: Winsock 2 functions (WSAConnect, ConnectEx, WSAEventSelect, WSAPoll, WSAEnumNetworkEvents) do not exist for a 1.1 application.",
        "Winsock functions page learn.microsoft.com/windows/win32/winsock/winsock-functions (the Winsock 2 ones)";
    GETSOCKNAME_UNBOUND = "getsockname.unbound", [],
        "getsockname before a concrete local address: linux answers 0.0.0.0:0 (or the wildcard and port), Winsock WSAEINVAL (real Windows only when unbound: getsockname.any-windows).",
        "tests/scenarios/11_implicit_bind.lab, judged by the kernel in tests/live_scenarios.rs; getsockname reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockname; unbound on Windows: Wine dlls/ws2_32/tests/sock.c test_getsockname, caproto/caproto #514";
    GETSOCKNAME = "getsockname", [],
        "getsockname returns the local address (chosen by connect when it bound implicitly).",
        "tests/scenarios/11_implicit_bind.lab, judged by the kernel in tests/live_scenarios.rs";
    GETPEERNAME = "getpeername", [],
        "getpeername returns the peer once connected, ENOTCONN / WSAENOTCONN otherwise (also while pending; real Windows: getpeername.pending-windows).",
        "row_4a in tests/live_tcp.rs";
    SEND = "send", [],
        "UDP send/sendto: datagrams go to the destination; the lab's own sockets, @echo and @sink receive them.",
        "send(2) https://man7.org/linux/man-pages/man2/send.2.html; send reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-send";
    TCP_SEND = "send.tcp", [WS, WI, W1],
        "TCP send: linux answers EPIPE on an unconnected or failed socket (after reporting any pending error), EAGAIN while pending; Winsock WSAENOTCONN.",
        "row_3e in tests/live_tcp.rs; tcp_sendmsg in the Linux kernel (net/ipv4/tcp.c)";
    TCP_SEND_CONNECTED = "send.tcp-connected", [],
        "TCP send on a connected socket: the data is queued and the call returns its length (every personality; a blocking send that would wait for buffer space is not modelled).",
        "row_3e in tests/live_tcp.rs (the kernel judges every live send); send(2) https://man7.org/linux/man-pages/man2/send.2.html; send reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-send (return value: the number of bytes sent); Wine dlls/ws2_32/tests/sock.c test_send";
    RECV = "recv", [],
        "recv: data, or EAGAIN / WSAEWOULDBLOCK when nonblocking; ENOTCONN / WSAENOTCONN on an unconnected TCP socket; a reset is reported once on linux (then end of stream), every time on Winsock.",
        "row_3e, row_10c in tests/live_tcp.rs; recv reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-recv; Wine sock.c test_tcp_reset (WSAECONNRESET again)";
    SHUTDOWN = "shutdown", [],
        "shutdown on a never-connected socket: ENOTCONN / WSAENOTCONN; on a connected one it sends FIN, and connect keeps answering EISCONN.",
        "row_10a, row_10e in tests/live_tcp.rs";
    // ---- win-b rules ----
    SO_ERROR_KEPT = "so-error.kept-by-connect", [],
        "windows: a new connect() does not reset SO_ERROR; the previous failure reads back until a connection succeeds (linux, winsock, winsock1: the new attempt starts with no error).",
        "Wine dlls/ws2_32/tests/sock.c, test_select (interactive block: SO_ERROR after a second connect)";
    SO_ERROR_SETTABLE = "so-error.settable", [],
        "windows: setsockopt(SO_ERROR) succeeds and getsockopt reads the stored value back; elsewhere SO_ERROR is read-only.",
        "Wine dlls/ws2_32/tests/sock.c, test_set_getsockopt (SO_ERROR set/get, 1234 read back)";
    RESET_WINDOWS = "reset.windows", [],
        "A peer reset ends the connection (state failed, error ECONNRESET / WSAECONNRESET; connect still answers EISCONN). windows: SO_ERROR reads 0, recv and send answer WSAECONNRESET every time, WSAPoll gives POLLERR|POLLHUP|POLLWRNORM, select readable and writable.",
        "Wine dlls/ws2_32/tests/sock.c, test_tcp_reset; linux: row_10c in tests/live_tcp.rs (tests/live_tcp.rs row_10c)";
    EVENTS_REENABLE_WINDOWS = "events.windows-reenable", [],
        "windows: a WSAEventSelect registration records FD_CONNECT (after a successful connect) and FD_WRITE only if they were not recorded before, so registering again records nothing; WSAAsyncSelect posts FD_WRITE on every registration while writable (an unbound UDP socket too), never FD_CONNECT. A UDP connect records FD_CONNECT and FD_WRITE (messages: FD_WRITE only). winsock: conditions already true are recorded at every registration.",
        "Wine dlls/ws2_32/tests/sock.c, test_connect_events, test_write_events, test_accept_events; WSAEventSelect and WSAAsyncSelect reference pages learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaeventselect, learn.microsoft.com/windows/win32/api/winsock/nf-winsock-wsaasyncselect";
    OPT_LINUX_LEVEL = "sockopt.linux-level", [],
        "linux: an IPPROTO_TCP option (TCP_NODELAY, TCP_SYNCNT, TCP_USER_TIMEOUT) on a UDP socket, or IPV6_V6ONLY on an AF_INET socket: setsockopt ENOPROTOOPT; getsockopt EOPNOTSUPP on AF_INET, ENOPROTOOPT on AF_INET6.",
        "the kernel, judged option by option on every protocol and family by tests/live_sockopts.rs";
    NAMELEN = "getsockname.namelen", [],
        "getsockname/getpeername with namelen=N shorter than the address (16 bytes for AF_INET, 28 for AF_INET6): Winsock WSAEFAULT; linux succeeds, cuts the address to N bytes and writes the full size back into namelen (socklab shows that size as the value).",
        "getsockname(2) https://man7.org/linux/man-pages/man2/getsockname.2.html (the address is truncated, addrlen returns the larger size), judged by tests/scenarios/23_optlen.lab in tests/live_scenarios.rs; getsockname reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockname (WSAEFAULT: namelen too small); Wine dlls/ws2_32/tests/sock.c test_getsockname (a namelen one byte short)";
    OPTLEN = "sockopt.optlen", [],
        "setsockopt/getsockopt with optlen=N shorter than an int: linux setsockopt EINVAL, getsockopt answers with the value cut to N bytes; winsock WSAEFAULT (optlen too small); windows accepts 1 to 3 bytes for SO_BROADCAST, SO_REUSEADDR, SO_EXCLUSIVEADDRUSE, SO_KEEPALIVE, TCP_NODELAY and IPV6_V6ONLY (the value is the low bytes) and answers WSAEFAULT for the others and for 0.",
        "the kernel, judged by tests/scenarios/23_optlen.lab in tests/live_scenarios.rs; getsockopt and setsockopt reference pages learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockopt, learn.microsoft.com/windows/win32/api/winsock/nf-winsock-setsockopt (WSAEFAULT); Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (the test_optsize table, accepts_short_len)";
    BIND_EXCLUSIVE = "bind.exclusiveaddruse", [],
        "SO_EXCLUSIVEADDRUSE (Winsock 2): no other socket may bind an address it covers; it and SO_REUSEADDR exclude each other (setting one while the other is on: WSAEINVAL). linux has no such option.",
        "SO_EXCLUSIVEADDRUSE reference page learn.microsoft.com/windows/win32/winsock/so-exclusiveaddruse; Wine dlls/ws2_32/tests/sock.c, test_reuseaddr";
    BIND_WINDOWS = "bind.windows-conflicts", [],
        "windows: a port taken on the same address: WSAEADDRINUSE, or WSAEACCES when only the new socket has SO_REUSEADDR (both need it); a wildcard and a specific address share a port unless one has SO_EXCLUSIVEADDRUSE (the exclusive socket bound first: WSAEACCES; bound second over the other: WSAEADDRINUSE); a dual-stack [::] covers IPv4 only for an exclusive socket. A connection goes to the most specific listener, then to the first that listened.",
        "Wine dlls/ws2_32/tests/sock.c, test_reuseaddr (tests_exclusive table and the SO_REUSEADDR blocks)";
    CONNECT_AFTER_RESET = "connect.after-reset", [WS, WI, W1],
        "connect on a socket whose connection the peer reset: linux EISCONN (the socket stays in use until connect(AF_UNSPEC)); Winsock: socklab answers WSAEISCONN, which no document or Windows test states.",
        "row_10c in tests/live_tcp.rs";
    // ---- end win-b rules ----
    // ---- win-a rules ----
    UDP_ANY_PORT_WINDOWS = "udp.any-port-windows", [],
        "windows: UDP connect to 0.0.0.0 with a non-zero port fails with WSAEADDRNOTAVAIL and the socket keeps its peer (winsock: the documented disconnect).",
        "libuv/libuv PR #2981 (test-udp-connect.c: connect to INADDR_ANY fails on Windows)";
    CONNECTEX_MIXED_WINDOWS = "connectex.mixed-windows", [],
        "windows: ConnectEx while a connect() is pending, connect() while a ConnectEx is pending, a second ConnectEx, and connect() on a socket ConnectEx connected (before SO_UPDATE_CONNECT_CONTEXT) all fail with WSAEINVAL (winsock: WSAEALREADY / WSAEISCONN as documented).",
        "Wine dlls/ws2_32/tests/sock.c test_connecting_socket, test_connect";
    GETPEERNAME_PENDING_WINDOWS = "getpeername.pending-windows", [],
        "windows: getpeername succeeds while a plain connect() is pending (the peer it is connecting to); with a ConnectEx pending it fails with WSAENOTCONN, as documented.",
        "Wine dlls/ws2_32/tests/sock.c test_connecting_socket";
    GETSOCKNAME_ANY_WINDOWS = "getsockname.any-windows", [],
        "windows: getsockname after bind to 0.0.0.0 port 0 succeeds with 0.0.0.0 and the chosen port (winsock: WSAEINVAL as documented; an unbound socket is WSAEINVAL on both).",
        "Wine dlls/ws2_32/tests/sock.c test_getsockname";
    LISTEN_AFTER_FAILURE_WINDOWS = "listen.after-failure-windows", [],
        "windows: listen on a bound socket whose connect failed succeeds; SO_ERROR keeps the failure and select keeps it in exceptfds (linux: EINVAL; winsock: WSAEINVAL).",
        "Wine dlls/ws2_32/tests/sock.c test_select (interactive block)";
    UDP_LIMITED_BROADCAST_WINDOWS = "udp.limited-broadcast-windows", [],
        "windows: UDP connect to 255.255.255.255 succeeds without SO_BROADCAST, and send on that socket works; sendto 255.255.255.255 still needs SO_BROADCAST (winsock: WSAEACCES at connect, as documented).",
        "Wine dlls/ws2_32/tests/sock.c test_broadcast";
    BLOCKS_FOREVER = "block.forever", [],
        "A blocking recv or accept that nothing can ever complete would wait forever: socklab answers n/a with a note instead of an error the real call never gives, and virtual time does not jump ahead.",
        "recv reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-recv; recv(2) https://man7.org/linux/man-pages/man2/recv.2.html (a blocking call returns only with data, a connection or an error)";
    V6ONLY_MAPPED = "connect.v6only-mapped", [WS],
        "TCP connect from a v6-only socket (IPV6_V6ONLY = 1, Windows' default) to a v4-mapped address: linux ENETUNREACH at once (also from a socket bound to ::1); Windows starts the attempt and fails it with WSAEADDRNOTAVAIL (nonblocking: WSAEWOULDBLOCK, then SO_ERROR 10049).",
        "tests/scenarios/17_v6only_mapped.lab, judged by the kernel in tests/live_scenarios.rs; warmcat/libwebsockets #2223 (SO_ERROR 10049), DOCGroup/ACE_TAO #1267 (10049); Dual-Stack Sockets page learn.microsoft.com/windows/win32/winsock/dual-stack-sockets";
    V6ONLY_MAPPED_UDP = "udp.v6only-mapped", [WS, WI],
        "UDP connect from a v6-only socket to a v4-mapped address: linux ENETUNREACH; Winsock WSAEADDRNOTAVAIL at once.",
        "tests/scenarios/17_v6only_mapped.lab, judged by the kernel in tests/live_scenarios.rs; Winsock: the Dual-Stack Sockets page learn.microsoft.com/windows/win32/winsock/dual-stack-sockets says v4-mapped needs IPV6_V6ONLY = 0, the error is socklab's reading";
    V6ONLY_V4_WINDOWS = "sockopt.v6only-v4-windows", [],
        "windows: IPV6_V6ONLY also exists on an AF_INET socket: it reads 1, can be set before bind and not after (winsock: WSAEINVAL, linux: ENOPROTOOPT).",
        "Wine dlls/ws2_32/tests/sock.c test_ipv6only (todo_wine there)";
    CONNECT_FAILURE_TIMING = "connect.fail-time", [WS, W1],
        "A blocking connect that fails returns when the failure is known: refused at once on linux, after about 2 s on windows (the SYN is retried after the RST); unanswered after 127 s on linux, 21 s on windows. winsock and winsock1: not documented; socklab answers a refusal at once and gives up after 21 s.",
        "row_3e, row_4b in tests/live_tcp.rs; windows: libuv/libuv PR #2896, Wine dlls/ws2_32/tests/sock.c test_select (a refused connect takes over 2 s to report), nmap/nmap #2113";
    SELF_CONNECT = "connect.self", [WS, WI, W1],
        "A TCP socket bound to a port with nothing listening, connecting to that same address, connects to itself (simultaneous open): measured on linux; for the Winsock personalities socklab assumes the same.",
        "row_12a in tests/live_tcp.rs";
    // ---- end of win-a rules ----
    // ---- agent rules ----
    UDP_ZERO_INET = "udp.zero-address-inet", [WI],
        "Winsock: UDP connect (not WSAConnect) to the all-zero address (0.0.0.0 or ::; windows: port 0 only, see udp.any-port-windows) dissolves the association, as the connect page says of an address filled with zeros. What Windows itself does is on record nowhere (Wine passes the address to the host, which connects to its own port 0).",
        "connect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect (an address filled with zeros disconnects); tests/wine/departures.toml lists the experiment that decides it";
    // ---- end of agent rules ----
    // ---- winapi-ov rules ----
    OV_FIELDS = "overlapped.fields", [WS],
        "The OVERLAPPED a socket's ConnectEx is given (`overlapped NAME` reads it): Internal is STATUS_PENDING (0x103) while the call runs, then the completion's NTSTATUS (0 on success); InternalHigh the bytes sent (a call that pends leaves it alone until then, as Windows does for a pending WSARecv in test_nonblocking_async_recv). windows: a ConnectEx that fails at once (WSAEINVAL on a listener or a socket already connecting, WSAEISCONN) still writes STATUS_PENDING into Internal and leaves InternalHigh untouched; winsock: socklab leaves the structure alone when the call fails at once.",
        "Wine dlls/ws2_32/tests/sock.c test_connect, test_connecting_socket (Internal == STATUS_PENDING after WSAEINVAL and WSAEISCONN; InternalHigh still 0xdeadbeef, todo_wine there); OVERLAPPED structure reference page learn.microsoft.com/windows/win32/api/minwinbase/ns-minwinbase-overlapped";
    OV_NULL = "connectex.null-overlapped", [WS],
        "ConnectEx with a NULL lpOverlapped (`overlapped=NULL`): FALSE with ERROR_INVALID_PARAMETER (87, WSA_INVALID_PARAMETER), checked before anything else.",
        "Wine dlls/ws2_32/tests/sock.c test_connect (ConnectEx on a NULL overlapped); ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (lpOverlapped cannot be NULL)";
    OV_RESULT = "overlapped.result", [],
        "GetOverlappedResult / WSAGetOverlappedResult read the socket's OVERLAPPED: while Internal is STATUS_PENDING, without waiting: FALSE with ERROR_IO_INCOMPLETE (996, WSA_IO_INCOMPLETE); waiting: they block until the completion. Then TRUE with the bytes, or FALSE with the error, in Win32 words from GetOverlappedResult (ERROR_CONNECTION_REFUSED 1225, ERROR_SEM_TIMEOUT 121, ERROR_OPERATION_ABORTED 995) and in Winsock words from WSAGetOverlappedResult (WSAECONNREFUSED 10061, WSAETIMEDOUT). WSAGetOverlappedResult on a handle that is no socket: WSAENOTSOCK.",
        "Wine dlls/ws2_32/tests/sock.c test_connect and test_connect_completion_port (GetOverlappedResult: ERROR_CONNECTION_REFUSED, 0 or 3 bytes), test_WSAGetOverlappedResult (the NTSTATUS to Winsock table, WSAENOTSOCK); GetOverlappedResult reference page learn.microsoft.com/windows/win32/api/ioapiset/nf-ioapiset-getoverlappedresult";
    IOCP = "iocp.packet", [],
        "A socket associated with an I/O completion port (CreateIoCompletionPort with a key) queues one packet per overlapped completion, and none for a plain nonblocking connect(). GetQueuedCompletionStatus returns TRUE with the key, the bytes and the OVERLAPPED, or FALSE with them and the Win32 error (ERROR_CONNECTION_REFUSED); with nothing queued within the timeout FALSE with WAIT_TIMEOUT (258), the OVERLAPPED pointer NULL and key and bytes untouched. A name that is no port: ERROR_INVALID_HANDLE (6); a socket associated twice: ERROR_INVALID_PARAMETER.",
        "Wine dlls/ws2_32/tests/sock.c test_connect_completion_port (ConnectEx queues a completion, connect() does not, refused ConnectEx: ERROR_CONNECTION_REFUSED), test_completion_port (WAIT_TIMEOUT, key and bytes untouched, NULL overlapped); CreateIoCompletionPort reference page learn.microsoft.com/windows/win32/fileio/createiocompletionport";
    OV_LINUX = "overlapped.linux", [],
        "linux: no OVERLAPPED, GetOverlappedResult or completion ports; the closest are epoll (readiness) and io_uring (a completion queue).",
        "epoll(7) https://man7.org/linux/man-pages/man7/epoll.7.html; io_uring(7) https://man7.org/linux/man-pages/man7/io_uring.7.html";
    OV_WINSOCK1 = "overlapped.winsock1", [],
        "winsock1: a Winsock 1.1 application makes no overlapped socket calls, so OVERLAPPED results and completion ports have nothing to report.",
        "Windows Sockets 1.1 specification (no overlapped I/O; ConnectEx, WSARecv and WSASend are Winsock 2): WSAStartup reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-wsastartup";
    DISCONNECTEX = "disconnectex", [],
        "DisconnectEx ends the connection's sending side (the peer reads the end of the stream). A handle that is no socket: WSAENOTSOCK; a socket that is not connected: WSAENOTCONN. With an OVERLAPPED it returns FALSE with ERROR_IO_PENDING and completes with 0 bytes; without one (`overlapped=NULL`) it returns TRUE. Without TF_REUSE_SOCKET the socket stays connected: connect answers WSAEISCONN, send WSAESHUTDOWN, recv still reads what the peer sends. With TF_REUSE_SOCKET (`reuse`) the socket is bound again, not connected, and ConnectEx may use it. linux: no DisconnectEx (shutdown(SHUT_WR) is the closest).",
        "Wine dlls/ws2_32/tests/sock.c test_DisconnectEx; DisconnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_disconnectex (TF_REUSE_SOCKET); ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (a socket DisconnectEx reused can be passed to ConnectEx)";
    TIME_WAIT_REUSE = "disconnectex.time-wait", [WI],
        "A ConnectEx from a socket DisconnectEx reused (TF_REUSE_SOCKET), to the peer it was connected to, waits for the pair's TIME_WAIT to end (240 s after the DisconnectEx, TcpTimedWaitDelay's default) before its handshake starts; to another peer it starts at once.",
        "ConnectEx reference page learn.microsoft.com/windows/win32/api/mswsock/nc-mswsock-lpfn_connectex (a reused socket is subject to TIME_WAIT, which delays ConnectEx; TcpTimedWaitDelay defaults to 240 s)";
    // ---- end winapi-ov rules ----
    // ---- acceptex rules ----
    ACCEPTEX = "acceptex", [],
        "AcceptEx accepts the next connection into a TCP socket created beforehand (unbound, unconnected). With no OVERLAPPED: ERROR_INVALID_PARAMETER. A listening handle that is no socket or an accept handle that is no socket: WSAENOTSOCK; a listener that is not listening, an accept socket that is UDP, bound, connected, or already waited on by an AcceptEx: WSAEINVAL (windows: STATUS_PENDING is written into Internal all the same). Otherwise FALSE with ERROR_IO_PENDING; when a client's connection completes (or one already waits in the backlog) the call completes with 0 bytes into the accept socket's OVERLAPPED, queued at the listener's completion port. Closing the accept socket or the listener cancels it: ERROR_OPERATION_ABORTED. linux: no AcceptEx (accept(2) creates the socket).",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx; AcceptEx reference page learn.microsoft.com/windows/win32/api/mswsock/nf-mswsock-acceptex";
    ACCEPTEX_BUSY = "acceptex.connect-into", [WS],
        "connect() or ConnectEx on a socket an AcceptEx is waiting to accept into: WSAEINVAL.",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx (\"try to connect a socket that's being accepted into\")";
    ACCEPT_CONTEXT = "acceptex.update-context", [WS, WI],
        "After AcceptEx, getpeername and shutdown on the accepted socket fail with WSAENOTCONN until SO_UPDATE_ACCEPT_CONTEXT is set on it (as after ConnectEx); SO_UPDATE_ACCEPT_CONTEXT on a socket AcceptEx did not connect: WSAENOTCONN.",
        "AcceptEx reference page learn.microsoft.com/windows/win32/api/mswsock/nf-mswsock-acceptex (the accept socket does not take the listener's properties until SO_UPDATE_ACCEPT_CONTEXT); Wine dlls/ws2_32/tests/sock.c test_AcceptEx (getsockname after SO_UPDATE_ACCEPT_CONTEXT succeeds)";
    WSA_IO = "wsaio", [],
        "Overlapped WSARecv (TCP): data already received: 0 at once with the bytes, and the completion is queued all the same; the peer's graceful close already seen: 0 with 0 bytes; otherwise SOCKET_ERROR with WSA_IO_PENDING, completing with the bytes of the next data, 0 bytes at the end of the stream, or ERROR_NETNAME_DELETED (WSAECONNRESET) on a reset; closing the socket aborts it (ERROR_OPERATION_ABORTED). A reset connection: WSAECONNRESET at once with no completion; a socket never connected: WSAENOTCONN. Overlapped WSASend: 0 at once with the count and a completion; a reset connection: WSAECONNRESET, no completion. linux: no overlapped I/O.",
        "Wine dlls/ws2_32/tests/sock.c test_completion_port (WSARecv pending then ERROR_NETNAME_DELETED on a reset; WSARecv and WSASend that succeed at once and queue their packet; WSAECONNRESET and WSAENOTCONN with no packet); WSARecv reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecv";
    // ---- end acceptex rules ----
    // ---- winapi-args rules ----
    POLL_EVENTS = "poll.events", [WS],
        "poll / WSAPoll with a request mask (events=): linux reports only the asked bits (POLLRDNORM beside POLLIN, POLLWRNORM beside POLLOUT, POLLWRBAND too for UDP) plus POLLERR, POLLHUP and POLLNVAL, which are always reported; Winsock accepts only POLLRDNORM, POLLRDBAND and POLLWRNORM (POLLIN, POLLOUT): any other bit, POLLPRI and POLLERR included, fails with WSAEINVAL; POLLERR, POLLHUP and POLLNVAL are reported unasked.",
        "poll(2) https://man7.org/linux/man-pages/man2/poll.2.html, judged by the kernel live in tests/scenarios/26_poll_events.lab; WSAPoll reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsapoll; Wine dlls/ws2_32/tests/sock.c test_WSAPoll (invalid_flags: WSAEINVAL on Windows, todo_wine; a listener asked POLLRDBAND|POLLWRNORM answers 0; asked 0 after the peer closed: POLLHUP)";
    AF_NUMBER = "addr.af-number", [],
        "An address family number no system implements (af=N), in socket() or in the structure given to bind/connect/sendto: EAFNOSUPPORT / WSAEAFNOSUPPORT (linux checks namelen first: a structure shorter than its socket's sockaddr is EINVAL).",
        "socket(2) https://man7.org/linux/man-pages/man2/socket.2.html, judged by the kernel live in tests/scenarios/27_af_number.lab; Wine dlls/ws2_32/tests/sock.c test_WSASocket (family 0xdead: WSAEAFNOSUPPORT), test_bind (sa_family 0xdead: WSAEAFNOSUPPORT); connect and sendto reference pages learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect, learn.microsoft.com/windows/win32/api/winsock/nf-winsock-sendto (WSAEAFNOSUPPORT; for connect and sendto see addr.af-number-dest)";
    AF_NUMBER_DEST = "addr.af-number-dest", [WI],
        "connect or sendto given an address of a family number no system implements (af=N): EAFNOSUPPORT / WSAEAFNOSUPPORT, as for bind. windows: the documented code; Wine answers connect with WSAEADDRNOTAVAIL and sendto with WSAEFAULT, and no Windows record says which is right.",
        "connect and sendto reference pages learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect, learn.microsoft.com/windows/win32/api/winsock/nf-winsock-sendto (WSAEAFNOSUPPORT); linux judged by the kernel live in tests/scenarios/27_af_number.lab; tests/wine/departures.toml lists the experiment that decides windows";
    NAME_NULL = "addr.name-null", [W1],
        "getsockname / getpeername with a NULL name pointer: the socket's state is checked first (getpeername on an unconnected socket: ENOTCONN / WSAENOTCONN), then the pointer: EFAULT / WSAEFAULT (linux getsockname: EFAULT on any socket).",
        "getsockname(2) https://man7.org/linux/man-pages/man2/getsockname.2.html, judged by the kernel live in tests/scenarios/29_null_name.lab; Wine dlls/ws2_32/tests/sock.c test_getpeername (\"Test the parameter validation order\": NULL name on an unconnected UDP socket WSAENOTCONN, on a connected one WSAEFAULT); getsockname reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockname (WSAEFAULT)";
    NAME_NULL_SOCKNAME = "addr.name-null-sockname", [WS, WI, W1],
        "Winsock getsockname with a NULL name pointer: socklab checks the state first as getpeername does (unbound: WSAEINVAL), then the pointer (WSAEFAULT); no document or Windows test says which comes first, and Wine checks the pointer first.",
        "by analogy with Wine dlls/ws2_32/tests/sock.c test_getpeername; tests/wine/departures.toml lists the experiment that decides it";
    OPTVAL_NULL = "sockopt.optval-null", [WS, W1],
        "setsockopt / getsockopt with a NULL optval (and the option's own length): an option the personality lacks answers as always, then EFAULT / WSAEFAULT. linux: setsockopt(IPV6_V6ONLY, NULL) reads the NULL as 0 and succeeds.",
        "setsockopt(2) https://man7.org/linux/man-pages/man2/setsockopt.2.html, judged by the kernel live in tests/scenarios/30_null_optval.lab; Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (setsockopt SO_LINGER and SO_DONTLINGER with NULL: WSAEFAULT, any length; getsockopt SO_PROTOCOL_INFOA into a NULL buffer: WSAEFAULT); setsockopt and getsockopt reference pages (WSAEFAULT: optval not in the user address space)";
    OPTVAL_NULL_SO_ERROR = "sockopt.optval-null-so-error", [WS, WI, W1],
        "getsockopt(SO_ERROR) into a NULL optval: Winsock WSAEFAULT, as the getsockopt page says of any optval outside the address space and as Windows answers for SO_PROTOCOL_INFOA; Wine answers WSAEINVAL for SO_ERROR, and no Windows record covers SO_ERROR itself. linux: EFAULT, judged by the kernel.",
        "getsockopt reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockopt (WSAEFAULT); Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (SO_PROTOCOL_INFOA into a NULL buffer: WSAEFAULT); tests/wine/departures.toml lists the experiment that decides it";
    // ---- end winapi-args rules ----
    // ---- bsp rules ----
    BSP_STATE = "sockopt.bsp-state", [],
        "getsockopt SO_BSP_STATE answers a CSADDR_INFO: LocalAddr once the socket is bound (empty: length 0, NULL pointer, before), RemoteAddr once it is connected (TCP, or UDP with a default peer), the socket's type and protocol; one end's local address is the other's remote. setsockopt: WSAENOPROTOOPT (a get-only option). winsock1: no such option in Winsock 1.1 (WSAENOPROTOOPT). linux has no such option; its parts are getsockname, getpeername, SO_TYPE and SO_PROTOCOL.",
        "SO_BSP_STATE socket option page learn.microsoft.com/windows/win32/winsock/so-bsp-state (Windows Vista and later); Wine dlls/ws2_32/tests/sock.c test_set_getsockopt, its SO_BSP_STATE block (unbound, bound, connected on both ends); Windows Sockets 1.1 specification, getsockopt (its option list has no SO_BSP_STATE); socket(7) https://man7.org/linux/man-pages/man7/socket.7.html";
    BSP_STATE_OPTLEN = "sockopt.bsp-state-optlen", [],
        "getsockopt SO_BSP_STATE with optlen=N: winsock WSAEFAULT below sizeof(CSADDR_INFO) (40 bytes on 64-bit), as the option's page says; windows WSAEFAULT unless the buffer also holds the two sockaddrs the structure points to (an IPv4 socket: 40 + 2 x 16 = 72 bytes; sizeof(CSADDR_INFO) alone, or one byte less than 72, fails). A large enough buffer leaves optlen as it was on windows.",
        "SO_BSP_STATE socket option page learn.microsoft.com/windows/win32/winsock/so-bsp-state (WSAEFAULT: optlen smaller than a CSADDR_INFO); Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (SO_BSP_STATE with sizeof(CSADDR_INFO): WSAEFAULT; with sizeof(CSADDR_INFO) + 2 x sizeof(SOCKADDR): success; one byte less: WSAEFAULT)";
    BSP_STATE_OPTLEN_V6 = "sockopt.bsp-state-optlen-v6", [WI],
        "windows, an IPv6 socket: getsockopt SO_BSP_STATE needs sizeof(CSADDR_INFO) + 2 x sizeof(SOCKADDR_IN6) = 96 bytes, else WSAEFAULT: the IPv4 record carried over to the larger address, with no Windows test of its own.",
        "by analogy with Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (IPv4 only)";
    // ---- end bsp rules ----
    // ---- acceptex2 rules ----
    ACCEPTEX_RECV = "acceptex.receive", [],
        "AcceptEx with a receive length (recv=N, dwReceiveDataLength > 0) accepts the connection when it arrives but completes only when the client's first data arrives, with that many bytes (at most N; the rest stays for recv); a client that closes before sending completes it with 0 bytes. With recv=0 it completes as the connection arrives. linux: no AcceptEx.",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx (\"Test short reads\": still pending after the connect, 1 byte after the send; \"Disconnect during receive?\": 0 bytes); AcceptEx reference page learn.microsoft.com/windows/win32/api/mswsock/nf-mswsock-acceptex";
    ACCEPTEX_ADDRLEN = "acceptex.addrlen", [WS],
        "AcceptEx's address lengths (local=N, remote=N; the reference page asks for the address length plus 16: 32 for IPv4, 44 for IPv6): a remote length of 0 fails at once with WSAEFAULT; a local length of 0 is accepted (the local address is then not written); a shorter nonzero length pends, and the completion fails with STATUS_BUFFER_TOO_SMALL (GetOverlappedResult: ERROR_INSUFFICIENT_BUFFER, WSAGetOverlappedResult: WSAEFAULT) and 0 bytes while the connection stays queued for accept(). socklab treats a short remote length as a short local one.",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx (\"AcceptEx on too small remote address size\": WSAEFAULT for 0; local length 0: success; local length 3: ERROR_INSUFFICIENT_BUFFER, STATUS_BUFFER_TOO_SMALL, then accept() takes the connection); test_WSAGetOverlappedResult (STATUS_BUFFER_TOO_SMALL is WSAEFAULT)";
    ACCEPTEX_ADDRS = "acceptex.sockaddrs", [],
        "GetAcceptExSockaddrs reads the accepted connection's local and remote addresses out of the buffer of the AcceptEx that completed into the socket; with a local length of 0 the local pointer and length are left untouched. It returns nothing and cannot fail. linux: no such call (accept's address argument and getsockname).",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx (\"Check if the buffer from AcceptEx is decoded correctly\"; GetAcceptExSockaddrs after a local length of 0: the remote address, the local pointer untouched); GetAcceptExSockaddrs reference page learn.microsoft.com/windows/win32/api/mswsock/nf-mswsock-getacceptexsockaddrs";
    CANCEL_IO = "cancelio", [],
        "CancelIo(h) and CancelIoEx(h, NULL) cancel the overlapped calls issued on handle h: a pending ConnectEx or WSARecv on the socket, an AcceptEx issued on the listener (not one into the socket: that one was issued on the listener); each completes with ERROR_OPERATION_ABORTED (STATUS_CANCELLED). CancelIo returns TRUE even with nothing to cancel; CancelIoEx then fails with ERROR_NOT_FOUND (1168). A cancelled ConnectEx: rule cancelio.connectex. linux: no CancelIo (io_uring's IORING_OP_ASYNC_CANCEL is the closest).",
        "Wine dlls/ws2_32/tests/sock.c test_send_buffering (CancelIoEx with nothing pending: ERROR_NOT_FOUND; CancelIo: TRUE), test_AcceptEx (CancelIo on the listener succeeds and frees the accept socket for another AcceptEx; CancelIo on the accept socket leaves the AcceptEx pending), test_WSAGetOverlappedResult (STATUS_CANCELLED is ERROR_OPERATION_ABORTED); CancelIoEx reference page learn.microsoft.com/windows/win32/fileio/cancelioex-func";
    CANCEL_IO_CONNECTEX = "cancelio.connectex", [WS, WI],
        "CancelIo / CancelIoEx on a socket whose ConnectEx pends: the ConnectEx completes with ERROR_OPERATION_ABORTED, the handshake is abandoned and socklab leaves the socket failed; which calls the socket may make next is in no document or Wine test.",
        "CancelIoEx reference page learn.microsoft.com/windows/win32/fileio/cancelioex-func (the cancelled operation completes with ERROR_OPERATION_ABORTED); the socket's state afterwards: socklab's assumption, tests/wine/departures.toml names the experiment";
    WSAACCEPT = "wsaaccept", [],
        "WSAAccept with a condition function (cf=...): it is called once a connection waits; CF_ACCEPT accepts it as accept() does, CF_REJECT fails with WSAECONNREFUSED (what the client then sees: rule wsaaccept.reject), CF_DEFER fails with WSATRY_AGAIN and leaves the connection first in the queue for the next accept, WSAAccept or AcceptEx. With no condition function WSAAccept is accept(). linux: no WSAAccept (accept(2), then close to refuse).",
        "Wine dlls/ws2_32/tests/sock.c test_accept (CF_DEFER: WSATRY_AGAIN, then accept() takes the deferred connection), test_AcceptEx (\"Test CF_DEFER & AcceptEx interaction\": the AcceptEx after a deferred WSAAccept takes the deferred connection); WSAAccept reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaaccept (CF_REJECT: WSAECONNREFUSED; CF_DEFER: WSATRY_AGAIN)";
    WSAACCEPT_REJECT = "wsaaccept.reject", [WS, WI],
        "The connection a WSAAccept condition function rejected (CF_REJECT) without SO_CONDITIONAL_ACCEPT: the handshake had completed, and socklab resets it, so the client's next call fails with WSAECONNRESET. No document or Windows test says whether Windows resets or closes it gracefully (Wine closes it: the client reads the end of the stream).",
        "WSAAccept reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaaccept (CF_REJECT: WSAECONNREFUSED for the caller; nothing about the peer); socklab's assumption, tests/wine/departures.toml names the experiment";
    // ---- end acceptex2 rules ----
    // ---- args2 rules ----
    ACCEPTEX_OV_HIGH = "acceptex.overlapped-high", [WI],
        "windows: an AcceptEx refused at once writes STATUS_PENDING into its OVERLAPPED's Internal (test_AcceptEx checks it) and leaves InternalHigh as it was, as a refused ConnectEx does (test_connect). test_AcceptEx never reads InternalHigh after a refusal, and Wine writes 0 there, so the untouched InternalHigh is carried over from ConnectEx.",
        "by analogy with Wine dlls/ws2_32/tests/sock.c test_connect (InternalHigh still 0xdeadbeef after a refused ConnectEx, todo_wine there); test_AcceptEx (Internal == STATUS_PENDING after each refusal); tests/wine/departures.toml names the experiment that decides it";
    NAMELEN_NULL = "addr.namelen-null", [W1],
        "getsockname / getpeername with a NULL namelen pointer (`namelen=null`): the socket's state is checked first (getpeername on an unconnected socket: ENOTCONN / WSAENOTCONN), then the length is read: EFAULT / WSAEFAULT. linux getsockname reads it even on an unbound socket (EFAULT).",
        "getsockname(2) https://man7.org/linux/man-pages/man2/getsockname.2.html, judged by the kernel live in tests/scenarios/34_null_lengths.lab; Wine dlls/ws2_32/tests/sock.c test_getpeername (unconnected with NULL pointers: WSAENOTCONN; connected with a NULL namelen: WSAEFAULT); Windows Sockets 1.1 specification, getpeername (WSAEFAULT)";
    NAMELEN_NULL_SOCKNAME = "addr.namelen-null-sockname", [WS, WI, W1],
        "Winsock getsockname with a NULL namelen pointer: socklab checks the state first as getpeername does (unbound: WSAEINVAL), then the pointer (WSAEFAULT), as for a NULL name (addr.name-null-sockname); no document or Windows test says which comes first.",
        "by analogy with Wine dlls/ws2_32/tests/sock.c test_getpeername; getsockname reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockname (WSAEFAULT, WSAEINVAL)";
    OPTVAL_NULL_LEN = "sockopt.optval-null-len", [W1],
        "setsockopt with a NULL optval and a length of the script's (`optval=null optlen=N`): linux checks the length first (less than an int: EINVAL), then reads the value (EFAULT; an IPv6 option reads NULL as 0); Winsock refuses the NULL pointer whatever the length: WSAEFAULT (SO_LINGER and SO_DONTLINGER with NULL and 0 or their size on Windows).",
        "setsockopt(2) https://man7.org/linux/man-pages/man2/setsockopt.2.html, judged by the kernel live in tests/scenarios/34_null_lengths.lab; Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (setsockopt(SO_LINGER, NULL, 0) and (SO_DONTLINGER, NULL, 0): WSAEFAULT)";
    OPTLEN_NULL = "sockopt.optlen-null", [W1],
        "getsockopt with a NULL optlen pointer (`optlen=null`): the length is read before the option is looked at: EFAULT / WSAEFAULT (an option the personality lacks still answers as always).",
        "getsockopt(2) https://man7.org/linux/man-pages/man2/getsockopt.2.html, judged by the kernel live in tests/scenarios/34_null_lengths.lab; Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (getsockopt(SO_PROTOCOL_INFOA) with a NULL optlen: WSAEFAULT); getsockopt reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-getsockopt";
    POLL_NULL = "poll.null-array", [W1],
        "WSAPoll / poll with a NULL array (`wsapoll null n=N`): Winsock WSAEINVAL when N is 0 and WSAEFAULT otherwise, whatever the timeout; linux reads no entry when N is 0 (poll waits out its timeout and answers 0) and EFAULT otherwise. winsock1: no WSAPoll.",
        "Wine dlls/ws2_32/tests/sock.c test_WSAPoll (WSAPoll(NULL, 0, 0 or 1): WSAEINVAL; WSAPoll(NULL, 1, 0 or 1): WSAEFAULT; plain checks); WSAPoll reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsapoll; poll(2) https://man7.org/linux/man-pages/man2/poll.2.html, judged by the kernel live in tests/scenarios/35_poll_null.lab";
    // ---- end args2 rules ----
    // ---- abort rules ----
    CLOSE_ABORT = "close.abort", [WS, WI, W1],
        "closesocket / close of a connected TCP socket that still holds received data it has not read, or whose SO_LINGER is {1, 0} (`setsockopt NAME SO_LINGER 1,0`), resets the connection instead of ending it: the unread data is lost and the peer sees a reset (rule reset.windows; reset.after-fin when it had already seen the end of the stream). Reading part of the data is not enough; shutdown(SD_SEND) before the close does not prevent it. Winsock: the linger case is documented; for unread data socklab follows RFC 1122, which no Windows test checks.",
        "row_close_unread_data_resets_the_connection and row_10c (SO_LINGER {1, 0}) in tests/live_tcp.rs (tcp_close in Linux: unread data or a zero linger time sends RST); RFC 1122 \"Closing a Connection\" https://www.rfc-editor.org/rfc/rfc1122 (a CLOSE with received data pending SHOULD send RST); closesocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-closesocket (l_onoff nonzero, l_linger zero: hard, abortive close); Wine dlls/ws2_32/tests/sock.c close_with_rst (SO_LINGER {1, 0} then closesocket sends RST on Windows) and test_tcp_reset";
    RESET_AFTER_FIN = "reset.after-fin", [WS, W1],
        "A reset that arrives after the peer's FIN (the peer shut down sending, or closed, first) finds the connection half closed. linux: SO_ERROR holds EPIPE, recv keeps answering 0 (end of stream), send EPIPE. windows: recv answers WSAECONNABORTED; send WSAECONNRESET as after any reset; SO_ERROR 0. winsock, winsock1: the documented WSAECONNRESET. No second FD_CLOSE.",
        "row_close_unread_data_resets_the_connection in tests/live_tcp.rs (shutdown(SHUT_WR) then close with unread data: EPIPE; tcp_reset in CLOSE_WAIT); Wine dlls/ws2_32/tests/sock.c test_shutdown (\"Send data to a peer which is closed\": recv WSAECONNABORTED, a todo_wine line: Wine answers otherwise); recv reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-recv (WSAECONNRESET)";
    SEND_CLOSED_PEER = "send.closed-peer", [WS, W1],
        "send on a connection whose peer has closed its socket succeeds (the data is only queued), but the closed end answers the data with a reset, which arrives after its FIN: see reset.after-fin.",
        "row_close_unread_data_resets_the_connection in tests/live_tcp.rs (send after the peer's close: the next SO_ERROR is EPIPE); Wine dlls/ws2_32/tests/sock.c test_shutdown (\"Send data to a peer which is closed\": send returns 5, then recv fails); RFC 1122 \"Closing a Connection\" https://www.rfc-editor.org/rfc/rfc1122 (new data received after CLOSE SHOULD be answered with RST)";
    RESET_FD_CLOSE = "reset.fd-close", [],
        "The FD_CLOSE a reset records carries WSAECONNRESET on winsock and winsock1, as the WSAEventSelect page says of a connection the remote side reset, and WSAECONNABORTED on windows.",
        "WSAEventSelect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaeventselect (FD_CLOSE: WSAECONNRESET); Wine dlls/ws2_32/tests/sock.c test_close_events (\"Trigger RST\": FD_CLOSE with WSAECONNABORTED on Windows)";
    RECV_SHUTDOWN = "recv.shutdown", [],
        "recv on a TCP socket whose own receive side was shut down (shutdown SD_RECEIVE / SHUT_RD / both): Winsock WSAESHUTDOWN; linux 0 (end of stream) once nothing is queued.",
        "Wine dlls/ws2_32/tests/sock.c test_shutdown (recv after shutdown(SD_RECEIVE) and SD_BOTH: WSAESHUTDOWN); linux judged by the kernel live in tests/scenarios/44_shutdown_while_blocked.lab";
    BLOCK_SHUTDOWN = "block.shutdown", [WS, WI, W1],
        "Another thread shuts down the socket a blocking call waits on (the TUI's Esc does): linux wakes a recv, which answers 0, and shutting a listener's receive side down stops it listening (its queued connections are reset) and wakes an accept with EINVAL. Winsock: a recv ends with WSAESHUTDOWN as after any shutdown, and a listener cannot be shut down (WSAENOTCONN), so an accept keeps waiting; how Windows ends a recv already blocked when the shutdown comes is on record nowhere.",
        "esc_releases_a_blocked_recv_and_accept_by_a_shutdown in tests/live_scenarios.rs and tests/scenarios/44_shutdown_while_blocked.lab, judged by the kernel live; inet_shutdown in the Linux kernel (net/ipv4/af_inet.c: a listener is disconnected); Wine dlls/ws2_32/tests/sock.c test_shutdown (WSAESHUTDOWN after SD_RECEIVE); shutdown reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-shutdown (WSAENOTCONN: not connected)";
    // ---- end abort rules ----
    // ---- iocp2 rules ----
    IOCP_POST = "iocp.post", [],
        "PostQueuedCompletionStatus queues a packet of the program's own at a port: TRUE, and GetQueuedCompletionStatus later returns TRUE with exactly the bytes, key and OVERLAPPED pointer posted (NULL allowed), in the order posted, with the sockets' packets. A name that is no open port: FALSE with ERROR_INVALID_HANDLE (6).",
        "Wine dlls/kernel32/tests/file.c test_post_completion (123 bytes, key 456, &ovl come back; two posts come back in order); PostQueuedCompletionStatus reference page learn.microsoft.com/windows/win32/fileio/postqueuedcompletionstatus";
    IOCP_CLOSE = "iocp.close", [],
        "CloseHandle on a completion port: TRUE; a GetQueuedCompletionStatus waiting on it returns FALSE with ERROR_ABANDONED_WAIT_0 (735) and a NULL OVERLAPPED pointer; a later one, and a later PostQueuedCompletionStatus, ERROR_INVALID_HANDLE (6); CloseHandle again: ERROR_INVALID_HANDLE. The sockets still associated keep the port alive: their overlapped calls still complete into their OVERLAPPED (GetOverlappedResult reads them), but no handle is left to dequeue the packets. CloseHandle on a socket: not modelled (closesocket closes a socket).",
        "Wine dlls/ntdll/tests/sync.c test_completion_port_scheduling (the port closed during GetQueuedCompletionStatus: ERROR_ABANDONED_WAIT_0; closed before the wait starts: ERROR_INVALID_HANDLE); GetQueuedCompletionStatus reference page learn.microsoft.com/windows/win32/api/ioapiset/nf-ioapiset-getqueuedcompletionstatus; CreateIoCompletionPort reference page learn.microsoft.com/windows/win32/fileio/createiocompletionport (each associated handle is a reference to the port)";
    OV_NAMED = "overlapped.named", [],
        "A call given an OVERLAPPED of its own (`ov=NAME`; by default each socket's calls share the socket's one) pends beside the socket's other calls: two or more overlapped WSARecv on one socket each take the next arrival in the order they were made, a WSASend completes on its own, and each completion is written into its own structure and queued at the port with that structure's address. Closing the socket cancels every one still pending (ERROR_OPERATION_ABORTED, STATUS_CANCELLED in each structure).",
        "Wine dlls/ws2_32/tests/sock.c test_WSARecv (lines 7972-7975: two WSARecv pending on one socket, both ended by the reset); WSARecv reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecv (each overlapped call has its own WSAOVERLAPPED); judged under Wine by tests/scenarios/41_second_overlapped.lab";
    WSA_ROUTINE = "wsaio.routine", [],
        "Overlapped WSARecv / WSASend with a completion routine (`routine`): the call answers as without one, but its completion (also one at once) queues the routine to the thread instead of a packet; it runs only in an alertable wait: SleepEx(ms, TRUE) runs every queued routine and returns WAIT_IO_COMPLETION (192), at once when one is already queued; a SleepEx that is not alertable sleeps the whole time, returns 0 and leaves them queued. The OVERLAPPED is written all the same. On a socket associated with a completion port a routine is refused: WSAEINVAL. linux: no APCs (a signal handler is the closest).",
        "Wine dlls/ws2_32/tests/sock.c test_WSARecv (lines 8040-8047: WSARecv with io_completion pends, SleepEx(1000, TRUE) returns WAIT_IO_COMPLETION with the routine called once; lines 8052-8060: WSAEINVAL on a socket associated with a port, routine not called), test_fionbio (SleepEx(0, TRUE) runs the routine of a call that succeeded at once); SleepEx reference page learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-sleepex";
    WSA_UDP_SCATTER = "wsaio.udp-scatter", [],
        "Overlapped WSARecv into several buffers (`bufs=N,M`) fills them in order and takes what fits: TCP leaves the rest of the stream for the next receive. On UDP, WSARecv needs a bound socket (rule wsaio.udp-unbound) and takes one datagram, pending until one arrives (a port unreachable ends it with WSAECONNRESET, as it fails a recv); WSASend sends a datagram to the socket's default peer and completes at once (no default peer: WSAENOTCONN). linux: no overlapped I/O.",
        "Wine dlls/ws2_32/tests/sock.c test_WSARecv (lines 7948-7964: \"deadbeefs\" into buffers of 4 and 5 bytes: 9 bytes, \"dead\" and \"beefs\"); WSARecv reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecv (WSAEINVAL: the socket has not been bound; datagram sockets); WSASend reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsasend";
    WSA_UDP_UNBOUND = "wsaio.udp-unbound", [WI],
        "Overlapped WSARecv on a UDP socket that was never bound: WSAEINVAL, as the WSARecv page says of an unbound socket. Wine instead binds it implicitly and lets the call pend (WSA_IO_PENDING); no Windows test or record shows which is right.",
        "WSARecv reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecv (WSAEINVAL: the socket has not been bound); tests/wine/departures.toml lists the experiment that decides windows";
    // ---- end iocp2 rules ----
    // ---- args3 rules ----
    POLL_FDS = "poll.fds", [W1],
        "WSAPoll / poll with a descriptor and a request mask per entry (`wsapoll l:POLLIN,#-1:POLLERR`): linux ignores a negative fd (revents 0), reads POLLNVAL for one that is not open and counts it, and checks no mask; winsock ignores a negative fd, reads POLLNVAL for an invalid one without counting it, refuses a bad mask with WSAEINVAL, and fails with WSAEINVAL when no entry is a valid socket; windows reads POLLNVAL for -1 too (its mask unchecked), refuses a bad mask on an invalid handle with WSAEINVAL, and fails with WSAENOTSOCK when no entry is a valid socket. winsock1: no WSAPoll.",
        "Wine dlls/ws2_32/tests/sock.c test_WSAPoll (the four arrays after \"When no events are pending\": {-1 asking POLLERR, a listener}: 0 and POLLNVAL; {a listener, 0xabacab}: 0 and POLLNVAL; {a listener, 0xabacab asking POLLERR}: WSAEINVAL, todo_wine; {-1, 0xabacab}: WSAENOTSOCK, both POLLNVAL); WSAPoll and WSAPOLLFD reference pages learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsapoll (a negative fd is ignored; WSAEINVAL when none of the sockets is valid); poll(2) https://man7.org/linux/man-pages/man2/poll.2.html, judged by the kernel live in tests/scenarios/45_poll_fds.lab";
    // ---- end args3 rules ----
    LINGER_OFF_KEEPS = "sockopt.linger-off", [WS, WI, W1],
        "getsockopt SO_LINGER reads the whole struct linger, shown {l_onoff,l_linger}. Turning lingering off (`SO_LINGER 0`) keeps the time set before: {1,5} then off reads {0,5}. linux: the kernel stores l_linger only when l_onoff is set. Winsock: no page or test says what l_linger reads once lingering is off, so socklab carries Linux's answer over, assumed.",
        "socket(7) https://man7.org/linux/man-pages/man7/socket.7.html (SO_LINGER), sock_setsockopt in Linux's net/core/sock.c (sk_lingertime set only when l_onoff is nonzero), judged by the kernel live in tests/live_sockopts.rs; Wine dlls/ws2_32/tests/sock.c test_set_getsockopt (reads l_linger back only when l_onoff is set)";
    // ---- wsaio3 rules ----
    WSA_SENDTO = "wsasendto", [],
        "WSASendTo and WSARecvFrom. With `overlapped=NULL` (a plain call) WSASendTo sends as sendto does: a UDP socket not yet bound is bound implicitly, and the call answers 0 with the count in lpNumberOfBytesSent; WSARecvFrom receives as recvfrom does, 0 with the bytes and the source address (a blocking socket waits, a nonblocking one answers WSAEWOULDBLOCK). linux makes them as sendto(2) / recvfrom(2), answering the count. Overlapped, they answer as WSASend and WSARecv (rules wsaio, wsaio.udp-scatter), WSASendTo sending its datagram to the address given and WSARecvFrom showing the source of a datagram it takes at once; linux: no overlapped I/O. On TCP the address is ignored and they are WSASend and WSARecv.",
        "Wine dlls/ws2_32/tests/sock.c test_WSASendTo (lines 7805-7813: WSASendTo with lpNumberOfBytesSent on an unbound UDP socket succeeds, and getsockname then answers a nonzero port where it answered WSAEINVAL before), test_write_watch (line 8115: a plain WSARecvFrom on TCP returns 0 with the bytes; line 8213: an overlapped WSARecvFrom into two buffers pends, then completes with them); WSASendTo and WSARecvFrom reference pages learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsasendto, learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecvfrom; sendto(2) / recvfrom(2) judged by the kernel live in tests/scenarios/47_wsasendto.lab";
    WSA_SENDTO_NULL_BYTES = "wsasendto.null-bytes", [],
        "A plain WSASendTo (no OVERLAPPED) with a NULL lpNumberOfBytesSent: WSAEFAULT, and socklab sends nothing. Overlapped, a NULL count is allowed (the call answers without it). linux: sendto(2) has no such pointer; it sends and returns the count.",
        "Wine dlls/ws2_32/tests/sock.c test_WSASendTo (lines 7800-7803: WSAEFAULT); WSASendTo reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsasendto (lpNumberOfBytesSent can be NULL only when lpOverlapped is not)";
    WSA_GATHER = "wsaio.gather", [],
        "WSASend and WSASendTo with several buffers (`bufs=N,M` cutting the data) send them in order, as one stream piece on TCP and as one datagram on UDP: the count is their sum. linux makes a plain WSASendTo with several buffers as sendmsg(2) with an iovec, which gathers the same way.",
        "WSASend reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsasend (the buffers are sent in order, a datagram is one message); sendmsg(2) https://man7.org/linux/man-pages/man2/sendmsg.2.html, judged by the kernel live in tests/scenarios/48_gather.lab";
    ACCEPTEX_NULL_BUFFER = "acceptex.null-buffer", [],
        "AcceptEx with a NULL lpOutputBuffer (`buffer=NULL`): FALSE with WSAEFAULT at once, nothing waits on the listener, and windows writes STATUS_PENDING into the OVERLAPPED's Internal as for its other refusals. Wine 8 departs (tests/wine/departures.toml). linux: no AcceptEx.",
        "Wine dlls/ws2_32/tests/sock.c test_AcceptEx (lines 9035-9041: FALSE with WSAEFAULT, a todo_wine check, so Wine differs; Internal STATUS_PENDING); AcceptEx reference page learn.microsoft.com/windows/win32/api/mswsock/nf-mswsock-acceptex (lpOutputBuffer receives the data and both addresses)";
    IOCP_EX = "iocp.ex", [],
        "GetQueuedCompletionStatusEx removes up to ulCount packets at once, in the order queued: TRUE with ulNumEntriesRemoved and one OVERLAPPED_ENTRY each (key, byte count, OVERLAPPED pointer, and Internal: the NTSTATUS the call completed with, so a failed completion still makes TRUE); the rest stay queued. Nothing queued within the timeout: FALSE with WAIT_TIMEOUT (258). Alertable (fAlertable TRUE) with completion routines queued and no packet: they run and the call answers FALSE with WAIT_IO_COMPLETION (192); a packet there comes first and the routines stay queued; not alertable, they never run. The port closed during the wait: ERROR_ABANDONED_WAIT_0; no such port: ERROR_INVALID_HANDLE. linux: no completion ports.",
        "Wine dlls/kernel32/tests/file.c test_post_completion (lines 6046-6110: WAIT_TIMEOUT on an empty port; one and two packets with their keys, OVERLAPPEDs, byte counts and an Internal of 0; a queued user APC runs only in an alertable call with no packet, which fails with WAIT_IO_COMPLETION); dlls/ntdll/tests/sync.c test_completion_port_scheduling (line 995: the port closed during the wait, ERROR_ABANDONED_WAIT_0); GetQueuedCompletionStatusEx reference page learn.microsoft.com/windows/win32/fileio/getqueuedcompletionstatusex-func";
    // ---- end wsaio3 rules ----
    // ---- esc3 rules ----
    SELECT_TIMEVAL = "select.timeval", [WI],
        "select with a timeval written field by field (`tv_sec=S tv_usec=US`) out of range: linux refuses a negative tv_sec or tv_usec with EINVAL and takes a tv_usec of 1000000 or more as its whole seconds added to tv_sec (measured: {0, 1000000} waits 1 s and answers 0); winsock and winsock1 read the select page's \"the time-out value is not valid\" as such a value: WSAEINVAL. windows: on record nowhere, the documented answer is assumed; Wine does not check the fields (it turns them into one relative wait: a tv_usec of 1000000 or more adds up, a negative value ends the wait at once).",
        "select(2) https://man7.org/linux/man-pages/man2/select.2.html (EINVAL: the timeout is invalid), judged by the kernel live in tests/scenarios/50_select_timeval.lab; select reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-select (WSAEINVAL: the time-out value is not valid); Wine dlls/ws2_32/socket.c select() (the timeout is tv_sec * -10000000 + tv_usec * -10, unchecked); tests/wine/departures.toml lists the experiment that decides windows";
    WSACONNECT_CALLEE = "wsaconnect.callee", [WI],
        "WSAConnect given an lpCalleeData buffer (`callee=N`): once the connection is made, its len reads 0, no user data having been passed back (TCP/IP carries none); it is valid only when the connect has completed (for a nonblocking socket after FD_CONNECT), so socklab shows it with a WSAConnect that succeeded. windows: no Windows record, the documented answer is assumed; Wine leaves the buffer alone (len stays N). linux: no connect data (n/a).",
        "WSAConnect reference page learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsaconnect (the callee buffer's len reads 0 when no data came back, and means something only once the connect has completed); Wine dlls/ws2_32/socket.c WSAConnect() (a FIXME for the four buffers, then connect(): the callee buffer is not touched); tests/wine/departures.toml lists the experiment that decides windows";
    // ---- end esc3 rules ----
    CLOSE = "close", [],
        "closesocket / close releases the descriptor; later calls answer EBADF / WSAENOTSOCK; the peer sees the end of stream (a reset when data was left unread or SO_LINGER is {1, 0}: close.abort).",
        "close(2) https://man7.org/linux/man-pages/man2/close.2.html; closesocket reference page learn.microsoft.com/windows/win32/api/winsock/nf-winsock-closesocket";
}

/// Look a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Whether a personality's answer under this rule is assumed (shown `?` in every view).
pub fn assumed(rule: &str, p: PersonalityId) -> bool {
    find(rule).is_some_and(|r| r.assumed.contains(&p))
}
