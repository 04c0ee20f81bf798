//! `socklab explain CODE`: everything socklab knows about one error code.
//!
//! [`explain`] gathers it as data (the TUI's explain view uses it as is); its `Display` is the
//! text of `socklab explain`. The parts:
//! - what the code means on its own platform, and what the other platform says in that case
//!   (its counterpart, or the nearest codes when there is none);
//! - which calls return it and when (a table written for every code in the catalogue, [`when`]);
//! - the rules of the personalities that answer with it (from the rule registry);
//! - the lessons that show it.

use std::fmt;

use crate::core::codes::{Code, Platform};
use crate::core::rules::{RULES, Rule};

use super::lesson;

/// One situation in which a code is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    /// The calls, as their API names them (`connect, WSAConnect`).
    pub calls: &'static str,
    /// The circumstances, in a sentence.
    pub when: &'static str,
}

/// Everything about one code.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub code: Code,
    /// For each platform, what this code (or its counterpart) means there. The code's own
    /// platform comes first.
    pub platforms: Vec<(Platform, String)>,
    /// The same error under the other platform's name.
    pub counterpart: Option<Code>,
    /// Codes to think of together with this one.
    pub see_also: Vec<Code>,
    /// Which calls return it, and when.
    pub when: Vec<When>,
    /// Rules whose answers name this code.
    pub rules: Vec<&'static Rule>,
    /// Lessons that show it: number and title.
    pub lessons: Vec<(usize, String)>,
    /// How to produce it in socklab: script lines, then the scenario under tests/ that does.
    pub try_it: &'static [&'static str],
}

/// Explain a code.
pub fn explain(code: Code) -> Explanation {
    let own = (code.platform(), code.meaning().to_string());
    let other_platform = match code.platform() {
        Platform::Winsock => Platform::Linux,
        Platform::Linux => Platform::Winsock,
    };
    let other = match code.counterpart() {
        Some(c) => format!("{c}: {}", c.meaning()),
        None => {
            let near: Vec<String> =
                code.see_also().iter().filter(|c| c.platform() == other_platform).map(|c| c.to_string()).collect();
            if near.is_empty() {
                format!("{other_platform} has no code of this name or meaning.")
            } else {
                format!("no code with the same name and meaning; related codes there: {} (see below).", near.join(", "))
            }
        }
    };
    let lessons = lesson::all()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.codes().contains(&code))
        .map(|(i, l)| (i + 1, l.title.clone()))
        .collect();
    Explanation {
        code,
        platforms: vec![own, (other_platform, other)],
        counterpart: code.counterpart(),
        see_also: code.see_also().to_vec(),
        when: when(code).to_vec(),
        rules: rules_naming(code),
        lessons,
        try_it: try_it(code),
    }
}

/// Script lines that produce a code which no single ordinary call shows, ending with the
/// scenario of tests/ that runs them for every personality.
pub fn try_it(code: Code) -> &'static [&'static str] {
    use Code::*;
    match code {
        WSAEINTR | WSAEINPROGRESS => &[
            "socket tcp as s",
            "after 300 closesocket s",
            "connect s @pending",
            "(winsock, windows: WSAEINTR at 300 ms; winsock1: the blocking hook's closesocket gets WSAEINPROGRESS; tests/scenarios/18_closed_while_blocked.lab)",
        ],
        WSA_OPERATION_ABORTED => &[
            "socket tcp as c",
            "bind c 127.0.0.1:0",
            "connectex c @pending",
            "closesocket c",
            "(the completion arrives with WSA_OPERATION_ABORTED; tests/scenarios/18_closed_while_blocked.lab; an AcceptEx whose accept socket or listener is closed too: tests/scenarios/31_acceptex.lab)",
        ],
        // ---- abort ----
        WSAECONNABORTED | EPIPE => &[
            "socket tcp as l",
            "bind l 127.0.0.1:7343",
            "listen l",
            "socket tcp as c",
            "connect c 127.0.0.1:7343",
            "accept l as s",
            "closesocket s",
            "send c late",
            "recv c",
            "getsockopt c SO_ERROR",
            "(the closed end answers the data with a reset after its FIN: windows recv WSAECONNABORTED, linux SO_ERROR EPIPE and recv 0; tests/scenarios/43_close_unread.lab)",
        ],
        ECONNRESET | WSAECONNRESET => &[
            "socket tcp as l",
            "bind l 127.0.0.1:7343",
            "listen l",
            "socket tcp as c",
            "connect c 127.0.0.1:7343",
            "accept l as s",
            "send c abc",
            "closesocket s",
            "recv c",
            "(s closed with data it never read: a reset, not an end of stream; SO_LINGER 1,0 does the same; tests/scenarios/43_close_unread.lab)",
        ],
        ERROR_NETNAME_DELETED => &[
            "createiocompletionport as port",
            "socket tcp as r",
            "createiocompletionport r port key=125",
            "connect r @reset",
            "wsarecv r",
            "getqueuedcompletionstatus port timeout=5000",
            "(the pending WSARecv's packet: FALSE, ERROR_NETNAME_DELETED; tests/windows/ax_wsarecv.lab)",
        ],
        // ---- winapi-ov ----
        ERROR_CONNECTION_REFUSED | WSA_IO_INCOMPLETE => &[
            "socket tcp as c",
            "bind c 127.0.0.1:0",
            "connectex c @refuse",
            "getoverlappedresult c",
            "getoverlappedresult c wait",
            "wsagetoverlappedresult c",
            "(windows: ERROR_IO_INCOMPLETE while the SYN is retried, about 2 s; then ERROR_CONNECTION_REFUSED beside WSAECONNREFUSED; tests/windows/ov_connect.lab)",
        ],
        WSA_INVALID_PARAMETER => &[
            "socket tcp as c",
            "bind c 127.0.0.1:0",
            "connectex c @accept overlapped=NULL",
            "(ConnectEx needs an OVERLAPPED; tests/windows/ov_connect.lab)",
        ],
        // ---- iocp2 ----
        ERROR_ABANDONED_WAIT_0 => &[
            "createiocompletionport as port",
            "after 100 closehandle port",
            "getqueuedcompletionstatus port timeout=inf",
            "(the port's handle is closed while the call waits: FALSE after 100 ms; tests/scenarios/40_post_close_port.lab)",
        ],
        WAIT_TIMEOUT => &[
            "createiocompletionport as port",
            "getqueuedcompletionstatus port timeout=100",
            "(nothing was queued: FALSE after 100 ms; tests/windows/ov_completion_port.lab)",
        ],
        WAIT_IO_COMPLETION => &[
            "socket tcp as l",
            "bind l 127.0.0.1:7396",
            "listen l",
            "socket tcp as c",
            "connect c 127.0.0.1:7396",
            "wsasend c hi routine",
            "createiocompletionport as port",
            "getqueuedcompletionstatusex port timeout=0 alertable",
            "(the WSASend's completion routine was queued and no packet: it runs, and the call fails; tests/scenarios/49_acceptex_null_gqcsex.lab)",
        ],
        ERROR_SEM_TIMEOUT => &[
            "socket tcp as c",
            "bind c 127.0.0.1:0",
            "connectex c @pending",
            "getoverlappedresult c wait",
            "(the SYNs go unanswered until the connect times out; tests/windows/ov_connect.lab)",
        ],
        // ---- end winapi-ov ----
        // ---- acceptex2 ----
        ERROR_INSUFFICIENT_BUFFER => &[
            "socket tcp as l",
            "bind l 127.0.0.1:7471",
            "listen l",
            "socket tcp as a",
            "acceptex l a local=3",
            "socket tcp as c",
            "connect c 127.0.0.1:7471",
            "getoverlappedresult a",
            "(local=3 is shorter than sockaddr_in + 16: the completion fails; tests/scenarios/37_acceptex_receive.lab)",
        ],
        ERROR_NOT_FOUND => &[
            "socket tcp as s",
            "cancelioex s",
            "(nothing pending on s; cancelio answers TRUE instead; tests/scenarios/38_cancelio.lab)",
        ],
        WSATRY_AGAIN => &[
            "socket tcp as l",
            "bind l 127.0.0.1:7491",
            "listen l",
            "socket tcp as c",
            "connect c 127.0.0.1:7491",
            "wsaaccept l cf=defer",
            "(the connection stays queued: a later accept takes it; tests/scenarios/39_wsaaccept.lab)",
        ],
        // ---- end acceptex2 ----
        ENOTSOCK | WSAENOTSOCK => &[
            "pipe as p",
            "connect p @accept",
            "(a descriptor that is open but no socket; tests/scenarios/19_not_a_socket.lab)",
        ],
        WSAENETDOWN | ENETDOWN => &[
            "socket tcp as s",
            "link down",
            "connect s 198.51.100.7:80",
            "(Winsock: WSAENETDOWN; linux answers ENETUNREACH, not ENETDOWN, when the interface goes down: tests/live_seed_errors.rs measures it; tests/scenarios/20_link_down.lab)",
        ],
        WSAENOBUFS | ENOBUFS => &[
            "portrange 40000 40001",
            "socket tcp as a",
            "connect a @accept",
            "socket tcp as b",
            "connect b @accept",
            "socket tcp as c",
            "connect c @accept",
            "(no free ephemeral port: Winsock WSAENOBUFS, linux EADDRNOTAVAIL; tests/scenarios/21_port_exhaustion.lab)",
        ],
        EAGAIN => &[
            "portrange 40000 40001",
            "socket udp as u1",
            "connect u1 @echo",
            "socket udp as u2",
            "connect u2 @echo",
            "socket udp as u3",
            "sendto u3 @echo x",
            "(two UDP sockets took both ports: linux EAGAIN, no free local port; Winsock WSAENOBUFS; tests/scenarios/21_port_exhaustion.lab)",
        ],
        // ---- winapi-args ----
        EADDRNOTAVAIL => &[
            "portrange 40000 40001",
            "socket tcp as a",
            "connect a @accept",
            "socket tcp as b",
            "connect b @accept",
            "socket tcp as c",
            "connect c @accept",
            "(no free ephemeral port for a third connection to the same destination: linux EADDRNOTAVAIL, Winsock WSAENOBUFS; tests/scenarios/21_port_exhaustion.lab)",
        ],
        EAFNOSUPPORT | WSAEAFNOSUPPORT => &[
            "socket tcp af=57005 as bad",
            "socket tcp as t",
            "bind t af=57005",
            "connect t af=57005",
            "(a family number no system implements; tests/scenarios/27_af_number.lab, judged by the kernel in tests/live_scenarios.rs)",
        ],
        EFAULT => &[
            "socket tcp as t",
            "bind t null namelen=16",
            "getsockname t name=null",
            "getsockopt t SO_ERROR optlen=null",
            "(a NULL name with a non-zero namelen: linux EFAULT, EINVAL with namelen 0; Winsock WSAEFAULT; a NULL namelen or optlen pointer: EFAULT / WSAEFAULT; tests/scenarios/27_af_number.lab, tests/scenarios/29_null_name.lab, tests/scenarios/34_null_lengths.lab)",
        ],
        WSAEINVAL => &[
            "socket tcp as c",
            "ioctlsocket c FIONBIO 1",
            "connect c @accept",
            "wsapoll c events=POLLPRI timeout=0",
            "(WSAPoll takes only POLLRDNORM, POLLRDBAND and POLLWRNORM in events; tests/scenarios/26_poll_events.lab)",
        ],
        WSAEFAULT => &[
            "socket tcp as t",
            "setsockopt t TCP_NODELAY 1 optlen=0",
            "setsockopt t SO_LINGER optval=null optlen=0",
            "socket udp as u",
            "wsasendto u @sink hi overlapped=NULL bytes=NULL",
            "(an optlen too small; windows accepts 1 byte for BOOL-like options; tests/scenarios/23_optlen.lab. A NULL optval whatever its length, or a NULL optlen or namelen pointer; tests/scenarios/34_null_lengths.lab. A plain WSASendTo with a NULL lpNumberOfBytesSent; tests/scenarios/47_wsasendto.lab)",
        ],
        EPERM => &[
            "firewall drop 127.0.0.2",
            "socket udp as u",
            "sendto u 127.0.0.2:9 x",
            "(linux EPERM, Winsock WSAEACCES; tests/scenarios/22_firewall.lab, and tests/live_seed_errors.rs with an nftables rule)",
        ],
        _ => &[],
    }
}

/// Explain every code matching a query (`WSAEALREADY`, `einprogress`, `10035`, `0x2733`); a
/// number can match one code per platform. Empty when nothing matches.
pub fn explain_query(query: &str) -> Vec<Explanation> {
    Code::lookup(query).into_iter().map(explain).collect()
}

/// Rules whose summary names the code (as a whole word, in either spelling where the rule
/// speaks of both platforms at once, such as "EISCONN / WSAEISCONN").
pub fn rules_naming(code: Code) -> Vec<&'static Rule> {
    RULES.iter().filter(|r| lesson::codes_in(r.summary).any(|c| c == code)).collect()
}

impl Explanation {
    /// The text as lines (what `Display` prints), for views that lay lines out themselves.
    pub fn lines(&self) -> Vec<String> {
        self.to_string().lines().map(str::to_string).collect()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.code;
        writeln!(f, "{}  ({}, {} = 0x{:X})", c.name(), c.platform(), c.number(), c.number())?;
        for (p, text) in &self.platforms {
            writeln!(f, "  On {p}: {text}")?;
        }
        if !self.when.is_empty() {
            writeln!(f, "Returned by:")?;
            for w in &self.when {
                writeln!(f, "  {}: {}", w.calls, w.when)?;
            }
        }
        if !self.rules.is_empty() {
            writeln!(f, "socklab's rules that answer with it:")?;
            for r in &self.rules {
                writeln!(f, "  {}: {} (source: {})", r.id, r.summary, r.source)?;
            }
        }
        if !self.see_also.is_empty() {
            writeln!(f, "Compare with:")?;
            for s in &self.see_also {
                writeln!(f, "  {s}: {}", s.meaning())?;
            }
        }
        if !self.try_it.is_empty() {
            writeln!(f, "Try:")?;
            for l in self.try_it {
                writeln!(f, "  {l}")?;
            }
        }
        if self.lessons.is_empty() {
            write!(f, "No lesson shows it; `socklab learn --list` lists the lessons.")?;
        } else {
            write!(f, "Lessons that show it:")?;
            for (n, t) in &self.lessons {
                write!(f, "\n  socklab learn {n}   {t}")?;
            }
        }
        Ok(())
    }
}

macro_rules! w {
    ($($calls:literal => $when:literal),* $(,)?) => {
        &[$(When { calls: $calls, when: $when }),*]
    };
}

/// Which calls return a code, and when. Written for every code of the catalogue (a test checks
/// that none is missing).
pub fn when(code: Code) -> &'static [When] {
    use Code::*;
    match code {
        // ---- winapi-ov: Win32 errors of overlapped calls and completion ports ----
        ERROR_ACCESS_DENIED => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "an overlapped connect was refused by a local rule; WSAGetOverlappedResult says WSAEACCES"),
        ERROR_NETNAME_DELETED => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped call ended because the connection was reset; WSAGetOverlappedResult says WSAECONNRESET"),
        WSA_INVALID_PARAMETER => w!(
            "ConnectEx" => "lpOverlapped is NULL (ERROR_INVALID_PARAMETER): ConnectEx is overlapped only",
            "CreateIoCompletionPort" => "the port handle is not a completion port, or the socket is already associated with one",
        ),
        ERROR_SEM_TIMEOUT => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect timed out (STATUS_IO_TIMEOUT); WSAGetOverlappedResult says WSAETIMEDOUT"),
        WAIT_TIMEOUT => w!("GetQueuedCompletionStatus" =>
            "no completion packet reached the port within the timeout: FALSE, the OVERLAPPED pointer set to NULL, key and byte count left as they were",
            "GetQueuedCompletionStatusEx" =>
            "no packet within the timeout: FALSE, and ulNumEntriesRemoved is not to be read"),
        WAIT_IO_COMPLETION => w!("GetQueuedCompletionStatusEx (alertable)" =>
            "no packet was queued but completion routines (APCs) were: the wait ran them and returned FALSE; call it again for packets (SleepEx answers the same 192 as its return value)"),
        ERROR_INVALID_NETNAME => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect's address cannot be used from this socket; WSAGetOverlappedResult says WSAEADDRNOTAVAIL"),
        ERROR_CONNECTION_REFUSED => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect (ConnectEx) was refused: the Win32 view of the failure WSAGetOverlappedResult reports as WSAECONNREFUSED (10061)"),
        ERROR_NETWORK_UNREACHABLE => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect found no route; WSAGetOverlappedResult says WSAENETUNREACH"),
        ERROR_HOST_UNREACHABLE => w!("GetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect's host did not answer at the link layer; WSAGetOverlappedResult says WSAEHOSTUNREACH"),
        ERROR_ABANDONED_WAIT_0 => w!("GetQueuedCompletionStatus" =>
            "the completion port's handle was closed (CloseHandle, by another thread) while the call waited on it: FALSE, the OVERLAPPED pointer NULL"),
        // ---- end winapi-ov ----
        // ---- acceptex2 ----
        ERROR_INSUFFICIENT_BUFFER => w!("GetOverlappedResult, GetQueuedCompletionStatus (AcceptEx)" =>
            "the AcceptEx was given a local or remote address length shorter than the address plus 16 bytes: it completes with STATUS_BUFFER_TOO_SMALL and the connection stays queued for accept(); WSAGetOverlappedResult says WSAEFAULT"),
        ERROR_NOT_FOUND => w!("CancelIoEx" =>
            "nothing was pending on the handle (CancelIo answers TRUE in the same situation)"),
        WSATRY_AGAIN => w!("WSAAccept" =>
            "the condition function answered CF_DEFER: the connection stays first in the queue and the next accept, WSAAccept or AcceptEx takes it"),
        // ---- end acceptex2 ----
        WSA_INVALID_HANDLE => w!(
            "WSAWaitForMultipleEvents, WSAGetOverlappedResult" =>
            "the event handle or the OVERLAPPED's hEvent is not a valid event object",
            "GetQueuedCompletionStatus, PostQueuedCompletionStatus, CloseHandle" =>
            "the handle is no open completion port: never created, or already closed (ERROR_INVALID_HANDLE)",
        ),
        WSA_OPERATION_ABORTED => {
            w!("ConnectEx completion, GetOverlappedResult, WSAGetOverlappedResult, GetQueuedCompletionStatus" =>
            "the overlapped connect was cancelled: the socket was closed, CancelIoEx was called, or the thread that issued it exited (ERROR_OPERATION_ABORTED in Win32 words, the same number)",
            "AcceptEx completion" =>
            "the accept socket or the listening socket was closed while the AcceptEx waited for a connection",
            "CancelIo, CancelIoEx" =>
            "cancelled the handle's pending ConnectEx, WSARecv, or the AcceptEx issued on the listener: each completes with it")
        }
        WSA_IO_INCOMPLETE => w!("GetOverlappedResult, WSAGetOverlappedResult" =>
            "asked without waiting (bWait / fWait = FALSE) while the ConnectEx is still running (Internal is STATUS_PENDING); ERROR_IO_INCOMPLETE in Win32 words"),
        WSA_IO_PENDING => w!("ConnectEx" =>
            "the connect was started and has not finished yet: not a failure; the outcome arrives later as a completion (ConnectEx may also return TRUE when it finishes at once)",
            "AcceptEx, DisconnectEx, WSARecv, WSARecvFrom, WSASend, WSASendTo (overlapped)" =>
            "the call was started: AcceptEx completes when a client's connection arrives, DisconnectEx when the connection's sending side is closed, WSARecv and WSARecvFrom when data (or the end of the stream) arrives"),
        WSAEINTR => w!("connect (blocking, Winsock 1.1)" =>
            "the blocking call was cancelled with WSACancelBlockingCall; the socket is left in an unknown state",
            "connect, recv (blocking, Winsock 2)" =>
            "another thread closed the socket while the call waited on it"),
        WSAEBADF => w!("(rare)" =>
            "Winsock defines it but reports a bad or closed socket handle as WSAENOTSOCK instead"),
        WSAEACCES => w!(
            "connect, sendto (UDP)" => "the destination is a broadcast address and SO_BROADCAST is not set on the socket (real Windows does not check it when connecting to 255.255.255.255; sendto there still fails)",
            "bind" => "another socket holds the address with SO_EXCLUSIVEADDRUSE, or only the new socket set SO_REUSEADDR (Windows refuses that since Server 2003)",
        ),
        WSAEFAULT => w!(
            "connect, WSAConnect, ConnectEx" =>
                "the name pointer is invalid, or namelen is smaller than the sockaddr of the socket's family",
            "getsockopt(SO_BSP_STATE)" =>
                "optlen is smaller than a CSADDR_INFO; real Windows also wants room for the two addresses after it (72 bytes for IPv4): `getsockopt c SO_BSP_STATE optlen=40`, tests/scenarios/33_bsp_state.lab",
            "getsockname, getpeername, getsockopt, setsockopt" =>
                "a NULL namelen or optlen pointer (`namelen=null`, `optlen=null`), or a NULL optval whatever the length given (`optval=null optlen=0`); getpeername on a socket with no peer says WSAENOTCONN first: tests/scenarios/34_null_lengths.lab",
            "WSAPoll" => "a NULL array with one entry or more: `wsapoll null n=1`, tests/scenarios/35_poll_null.lab",
            "AcceptEx" =>
                "lpOutputBuffer is NULL (`acceptex l a buffer=NULL`, tests/scenarios/49_acceptex_null_gqcsex.lab), or the remote address length is 0",
            "WSASendTo (no OVERLAPPED)" =>
                "lpNumberOfBytesSent is NULL, which only an overlapped call may pass: `wsasendto u @sink hi overlapped=NULL bytes=NULL`, tests/scenarios/47_wsasendto.lab",
        ),
        WSAEINVAL => w!(
            "connect" => "the socket is listening; for a Winsock 1.1 program also: a connect is already pending",
            "ConnectEx" => "the socket was not bound first",
            "WSAPoll" => "no entries at all (`wsapoll null n=0`, tests/scenarios/35_poll_null.lab), or a request bit other than POLLRDNORM, POLLRDBAND and POLLWRNORM, also on an entry whose handle is garbage (`wsapoll #11250859:POLLERR,#-1:POLLIN` with a socket beside it), or, by the reference page, no valid socket at all (real Windows: WSAENOTSOCK); tests/scenarios/45_poll_fds.lab",
            "AcceptEx" => "the listener is not listening, or the accept socket is UDP, bound, connected, or already waited on by another AcceptEx; connect and ConnectEx on a socket being accepted into too",
            "ioctlsocket(FIONBIO, 0)" => "WSAEventSelect or WSAAsyncSelect is registered on the socket",
            "setsockopt" => "SO_REUSEADDR while SO_EXCLUSIVEADDRUSE is on, or the other way round",
            "getsockname" => "the socket has no local address yet (unbound; the documentation says also bound to the wildcard, where real Windows answers 0.0.0.0 and the port)",
            "select" => "no set holds a socket, whether the sets are NULL (`select timeout=0`) or present but empty (`select read= write= timeout=0`, tests/scenarios/46_select_empty.lab)",
        ),
        WSAEMFILE => w!("socket, accept" => "the process or system has no socket descriptors left"),
        WSAEWOULDBLOCK => w!(
            "connect, WSAConnect (nonblocking TCP)" => "the handshake has started and cannot finish during the call; wait for writefds/exceptfds, FD_CONNECT, or call connect again",
            "recv, accept (nonblocking)" => "there is nothing to take yet",
        ),
        WSAEINPROGRESS => w!("any call (Winsock 1.1)" =>
            "another blocking Winsock 1.1 call is running in this thread, or a provider callback is in progress; never the sign of a pending connect"),
        WSAEALREADY => w!("connect, WSAConnect, ConnectEx" =>
            "called again while an earlier nonblocking connect on the same socket is still pending (Winsock 1.1 programs get WSAEINVAL)"),
        WSAENOTSOCK => w!(
            "any socket call" => "the handle is not a socket, or was a socket that closesocket already released",
            "WSAPoll" => "no entry of the array is a valid socket, on real Windows (the reference page says WSAEINVAL): `wsapoll #-1:POLLIN,#11250859:POLLIN`, tests/scenarios/45_poll_fds.lab",
        ),
        WSAEDESTADDRREQ => w!("sendto" => "no destination address was given where one is needed"),
        WSAEMSGSIZE => w!("send, sendto, recv (UDP)" =>
            "the datagram does not fit the buffer (recv truncates it) or exceeds the largest the protocol carries"),
        WSAEPROTOTYPE => w!("socket" => "the protocol given does not match the socket type"),
        WSAENOPROTOOPT => w!("setsockopt, getsockopt" =>
            "the option or level is unknown or not valid here (e.g. Linux-only TCP_SYNCNT, or setting a read-only option such as SO_CONNECT_TIME or SO_BSP_STATE; Windows lets a program set SO_ERROR; a Winsock 1.1 program asking for SO_BSP_STATE)"),
        WSAEPROTONOSUPPORT => w!(
            "WSAConnect" => "caller connect data was given on TCP, which cannot carry it",
            "socket" => "the protocol is not available",
        ),
        WSAESOCKTNOSUPPORT => w!("socket" => "the address family has no socket of this type"),
        WSAEOPNOTSUPP => w!(
            "WSAConnect" => "the quality of service asked for (lpSQOS) cannot be provided",
            "listen, accept" => "the socket is not connection-oriented (UDP)",
        ),
        WSAEPFNOSUPPORT => w!("socket" => "the protocol family is not installed"),
        WSAEAFNOSUPPORT => w!(
            "connect, bind, sendto" => "the address's family does not match the socket's (an AF_INET6 name on an AF_INET socket; an AF_UNSPEC address anywhere but a UDP connect, where a zero-filled one disconnects)",
            "socket (Winsock 1.1)" => "an AF_INET6 socket was asked for; Winsock 1.1 predates IPv6",
        ),
        WSAEADDRINUSE => w!(
            "bind" => "the local address is taken: the same address without SO_REUSEADDR on both sockets, or an SO_EXCLUSIVEADDRUSE socket asking for a wildcard that covers a bound one",
            "connect" => "two sockets sharing a local address connect to the same destination, or a wildcard bind is made concrete at connect time and clashes",
        ),
        WSAEADDRNOTAVAIL => w!(
            "connect, WSAConnect, ConnectEx" => "the remote address is all zeros (INADDR_ANY, in6addr_any) or otherwise unusable; Linux connects to this host instead",
            "bind" => "the address does not belong to this machine",
        ),
        WSAENETDOWN => w!("any call" => "the network subsystem or the interface has failed"),
        WSAENETUNREACH => w!("connect, sendto" =>
            "there is no route to the destination network (including TCP to a broadcast address); the socket may try connect again"),
        WSAENETRESET => w!("send, recv, setsockopt(SO_KEEPALIVE)" =>
            "keep-alive found the connection dead while it was in use"),
        WSAECONNABORTED => w!(
            "send, recv" => "the local stack gave up on an established connection (retransmission timeout, or the connection was aborted locally); Windows also answers recv so when the peer reset a connection it had already ended with a FIN (data sent to a closed socket)",
            "FD_CLOSE (windows)" => "the error Windows records with FD_CLOSE when the peer reset the connection (the documentation says WSAECONNRESET)",
        ),
        WSAECONNRESET => w!(
            "recv, send (TCP)" => "the peer reset the connection: an abortive close, SO_LINGER {1, 0}, or a close with data it had not read (every call says so again; SO_ERROR reads 0 on Windows)",
            "recv, recvfrom (UDP)" => "an earlier datagram drew an ICMP port unreachable, even on an unconnected socket (SIO_UDP_CONNRESET turns this off)",
        ),
        WSAENOBUFS => w!("connect, socket, bind" =>
            "out of buffer space, or no ephemeral port is left for the connection (local port exhaustion)"),
        WSAEISCONN => w!("connect, WSAConnect, ConnectEx" =>
            "the socket is already connected (also after the handshake of a nonblocking connect completed, where Linux answers 0 once)"),
        WSAENOTCONN => w!(
            "getpeername" => "the socket has no peer: never connected, still pending (documented; real Windows answers the peer while a plain connect pends, and WSAENOTCONN only while a ConnectEx does), or after ConnectEx before SO_UPDATE_CONNECT_CONTEXT",
            "send, recv" => "TCP not connected; UDP without a default destination (after the zero-address disconnect)",
            "shutdown" => "the socket was never connected",
        ),
        WSAESHUTDOWN => w!("send, recv" => "that direction was closed earlier with shutdown"),
        WSAETIMEDOUT => w!("connect (blocking), FD_CONNECT, SO_ERROR, ConnectEx completion" =>
            "the SYN was never answered (about 21 s by default, TCP_MAXRT changes it); the socket may connect again"),
        WSAECONNREFUSED => w!("connect (blocking), FD_CONNECT, SO_ERROR, ConnectEx completion" =>
            "the target replied with a reset: nothing listens on that port (real Windows retries for about 2 s first); the socket may connect again"),
        WSAEHOSTDOWN => w!("connect, send" => "the destination host is known to be down"),
        WSAEHOSTUNREACH => w!("connect, WSAConnect, ConnectEx, sendto" => "there is no route to the destination host"),
        WSASYSNOTREADY => w!("WSAStartup" => "the network subsystem is not ready"),
        WSAVERNOTSUPPORTED => {
            w!("WSAStartup" => "the Winsock DLL cannot provide the version asked for (ws2_32 refuses only a major version of 0; 1.0 and later are accepted)")
        }
        WSANOTINITIALISED => w!("every Winsock call except WSAStartup" =>
            "WSAStartup has not succeeded in this process, or the last WSACleanup undid it"),

        EINTR => w!("connect (blocking)" =>
            "a signal arrived while the call waited (handler without SA_RESTART); the handshake carries on, and a later connect answers EALREADY or waits for it"),
        EBADF => w!("any call on a descriptor" => "the descriptor is not open: closed already, or -1"),
        EAGAIN => w!(
            "recv, accept (nonblocking)" => "there is nothing to take yet (EWOULDBLOCK is the same number)",
            "connect (UDP)" => "no free local port is left for an implicit bind; never for a pending TCP connect, which is EINPROGRESS",
            "send (TCP, nonblocking)" => "the connection is still pending or the send buffer is full",
        ),
        EACCES => w!(
            "connect, sendto (UDP)" => "the destination is a broadcast address and SO_BROADCAST is not set",
            "connect" => "a prohibit route or a firewall rule forbids the destination",
        ),
        EFAULT => w!(
            "connect, bind, sendto" => "the address pointer is NULL (with a non-zero length) or not mapped",
            "getsockname, getpeername, getsockopt, setsockopt" =>
                "the length pointer is NULL (`namelen=null`, `optlen=null`), or setsockopt's optval is NULL with a length of at least an int (below that: EINVAL); tests/scenarios/34_null_lengths.lab",
            "poll" => "the array is NULL and has entries to read (`poll null n=1`; with n=0 poll just waits); tests/scenarios/35_poll_null.lab",
        ),
        EINVAL => w!(
            "connect" => "addrlen is too short or too long, a NULL name with length 0, a blackhole route, or a link-local IPv6 address without a scope id",
            "bind" => "the socket is already bound",
        ),
        ENFILE => w!("socket, accept" => "the system-wide limit of open files is reached"),
        EMFILE => w!("socket, accept" => "the process reached its limit of open descriptors (RLIMIT_NOFILE)"),
        EPIPE => w!(
            "send (TCP)" => "the socket is not connected, its connect failed, was reset, or was shut down for writing; the process also gets SIGPIPE unless MSG_NOSIGNAL",
            "getsockopt(SO_ERROR)" => "the peer reset the connection after its FIN (it closed, then our data reached the closed socket, or it closed with data unread after shutdown(SHUT_WR)); recv keeps answering 0",
        ),
        ENOTSOCK => w!("any socket call" => "the descriptor is open but is not a socket (a pipe, /dev/null, a file)"),
        EDESTADDRREQ => {
            w!("send (UDP)" => "the socket has no default destination: never connected, or disconnected with AF_UNSPEC")
        }
        EMSGSIZE => w!("send, sendto (UDP)" => "the datagram is larger than the protocol or the path allows"),
        EPROTOTYPE => {
            w!("socket, connect (local sockets)" => "the protocol does not match the socket type, or the peer socket has another type")
        }
        ENOPROTOOPT => w!("setsockopt, getsockopt" =>
            "unknown option or level, or setting a read-only one (SO_ERROR); Windows-only options such as SO_CONNECT_TIME do not exist; an IPPROTO_TCP option on a UDP socket, IPV6_V6ONLY on an AF_INET socket (setsockopt; getsockopt on AF_INET6)"),
        EPROTONOSUPPORT => w!("socket" => "the protocol is not supported in this address family"),
        ESOCKTNOSUPPORT => w!("socket" => "the socket type is not supported in this address family"),
        EOPNOTSUPP => w!(
            "listen, accept" => "the socket type does not support it (UDP)",
            "getsockopt" => "an option of another level on an AF_INET socket: an IPPROTO_TCP option on UDP, IPV6_V6ONLY",
        ),
        EPFNOSUPPORT => w!("socket" => "the protocol family is not supported by the kernel"),
        EAFNOSUPPORT => w!("connect, bind, sendto" =>
            "the sockaddr's family does not fit the socket (sockaddr_in6 on AF_INET; a v4 address on a V6ONLY UDP socket)"),
        EADDRINUSE => w!(
            "bind" => "the local address is taken (both sockets need SO_REUSEADDR to share it)",
            "listen" => "another socket already listens on the port",
        ),
        EADDRNOTAVAIL => w!(
            "connect" => "no ephemeral port is free for this destination, or another socket already uses the same four-tuple (two SO_REUSEADDR sockets on one address)",
            "bind" => "the address does not belong to this machine",
        ),
        EPERM => w!("send, sendto (UDP)" =>
            "a local firewall rule (nftables, iptables) drops what the host sends there; a TCP connect is not refused by such a rule but times out"),
        ENETDOWN => w!("connect, send" => "the interface the route uses is down"),
        ENETUNREACH => w!("connect, sendto" =>
            "there is no route to the network: answered at once, even by a nonblocking connect; also TCP to a broadcast or multicast address"),
        ENETRESET => w!("recv, send" => "the network dropped the connection (rare on Linux)"),
        ECONNABORTED => w!(
            "connect" => "the previous nonblocking attempt failed and its SO_ERROR was already read: this call reports the failure, the next one retries",
            "accept" => "a connection in the queue was aborted before it was accepted",
        ),
        ECONNRESET => w!(
            "recv, send" => "the peer reset the connection (reported once): SO_LINGER {1, 0}, or it closed with data it had not read",
            "getsockopt(SO_ERROR)" => "the pending error of a connection that was reset",
        ),
        ENOBUFS => w!("socket, connect, send" => "the kernel could not allocate memory for the socket or its buffers"),
        EISCONN => w!("connect" =>
            "the socket is already connected (after Linux's one-time 0), shut down, reset by the peer, or it is a listening socket (Windows: WSAEINVAL)"),
        ENOTCONN => w!(
            "getpeername" => "no peer: never connected, still pending, or a UDP socket connected to port 0",
            "recv, shutdown (TCP)" => "the socket is not connected",
        ),
        ESHUTDOWN => w!("send" => "the socket was shut down for writing (TCP reports EPIPE instead)"),
        ETIMEDOUT => w!("connect (blocking), SO_ERROR" =>
            "the SYN was never answered: about 127 s by default (tcp_syn_retries = 6), sooner with TCP_SYNCNT or TCP_USER_TIMEOUT"),
        ECONNREFUSED => w!(
            "connect (blocking), SO_ERROR" => "the target replied to the SYN with a reset: nothing listens there",
            "connect (after a failed nonblocking one)" => "the failure was not read yet: connect reports it, once, and the next call retries",
            "send, recv (connected UDP)" => "an earlier datagram drew an ICMP port unreachable",
        ),
        EHOSTDOWN => w!("connect, send" => "the destination host is known to be down"),
        EHOSTUNREACH => w!("connect, SO_ERROR" =>
            "an unreachable route (at once), or no neighbour answered ARP or neighbour discovery (after about 3 s)"),
        EALREADY => w!("connect" =>
            "an earlier nonblocking connect (or one interrupted by a signal) is still in progress on this socket"),
        EINPROGRESS => w!(
            "connect (nonblocking TCP)" => "the handshake has started; poll for writable, then read SO_ERROR for the outcome",
            "connect (blocking, with SO_SNDTIMEO)" => "the timeout expired while the handshake goes on",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_explanation() {
        for &c in Code::ALL {
            let e = explain(c);
            assert!(!e.when.is_empty(), "{c}: no `when`");
            for w in &e.when {
                assert!(!w.calls.trim().is_empty() && !w.when.trim().is_empty(), "{c}: empty `when` row");
            }
            assert_eq!(e.platforms.len(), 2, "{c}");
            assert_eq!(e.platforms[0].0, c.platform(), "{c}");
            for (p, text) in &e.platforms {
                assert!(!text.trim().is_empty(), "{c}: nothing said for {p}");
            }
            let text = e.to_string();
            assert!(text.starts_with(c.name()), "{text}");
            assert_eq!(e.lines().len(), text.lines().count());
        }
    }

    #[test]
    fn explain_links_rules_lessons_and_counterparts() {
        let e = explain(Code::WSAEALREADY);
        assert_eq!(e.counterpart, Some(Code::EALREADY));
        assert!(e.rules.iter().any(|r| r.id == "connect.pending-again"), "{:?}", e.rules);
        assert!(e.lessons.iter().any(|(n, _)| *n == 2), "{:?}", e.lessons);
        let text = e.to_string();
        assert!(text.contains("10037") && text.contains("EALREADY (114)"), "{text}");

        let e = explain(Code::EINPROGRESS);
        assert!(e.counterpart.is_none());
        assert!(e.platforms[1].1.contains("WSAEWOULDBLOCK"), "{:?}", e.platforms);
        assert!(e.lessons.iter().any(|(n, _)| *n == 1));
    }

    #[test]
    fn rules_match_whole_words() {
        // connect.listening names EISCONN and WSAEINVAL, not EINVAL.
        assert!(!rules_naming(Code::EINVAL).iter().any(|r| r.id == "connect.listening"));
        assert!(rules_naming(Code::WSAEINVAL).iter().any(|r| r.id == "connect.listening"));
    }

    #[test]
    fn queries_by_name_number_and_hex() {
        assert_eq!(explain_query("WSAEALREADY")[0].code, Code::WSAEALREADY);
        assert_eq!(explain_query("einprogress")[0].code, Code::EINPROGRESS);
        assert_eq!(explain_query("10035")[0].code, Code::WSAEWOULDBLOCK);
        assert_eq!(explain_query("0x2733")[0].code, Code::WSAEWOULDBLOCK);
        assert!(explain_query("nonsense").is_empty());
    }
}
