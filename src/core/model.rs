//! What personalities answer: states, transitions, notifications and answers.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::call::{FdEvents, PollBits};
use super::codes::Code;

/// The API-level state of one socket.
///
/// TCP sockets move `Unbound -> Bound -> Pending -> Connected | Failed`, or
/// `Bound -> Listening`; UDP sockets are `Unbound`, `Unassociated` (bound, no default peer) or
/// `Associated` (a default peer is set). Every socket ends `Closed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// No local address yet.
    Unbound,
    /// TCP: a local address, no connection attempt.
    Bound,
    /// TCP: `listen` was called.
    Listening,
    /// TCP: a handshake is in progress.
    Pending,
    /// TCP: the handshake completed.
    Connected,
    /// TCP: the last attempt failed; the error is kept beside the state.
    Failed,
    /// UDP: bound, no default destination.
    Unassociated,
    /// UDP: a default destination is set by connect.
    Associated,
    /// The descriptor was closed.
    Closed,
}

impl State {
    /// Every state, in diagram order.
    pub const ALL: &'static [State] = &[
        State::Unbound,
        State::Bound,
        State::Listening,
        State::Pending,
        State::Connected,
        State::Failed,
        State::Unassociated,
        State::Associated,
        State::Closed,
    ];

    /// Lower-case name used in scripts, transcripts and the diagram.
    pub fn name(self) -> &'static str {
        match self {
            State::Unbound => "unbound",
            State::Bound => "bound",
            State::Listening => "listening",
            State::Pending => "pending",
            State::Connected => "connected",
            State::Failed => "failed",
            State::Unassociated => "unassociated",
            State::Associated => "associated",
            State::Closed => "closed",
        }
    }

    /// Whether the state machine has an edge from `self` to `to`. Every transition a
    /// personality records is one of these (checked by the property test); the TUI draws them.
    pub fn can_move_to(self, to: State) -> bool {
        use State::*;
        match (self, to) {
            // Every socket can be closed (closesocket, or the last WSACleanup).
            (_, Closed) => self != Closed,
            // socket() creates an unbound socket; accept() creates a connected one.
            (Closed, Unbound | Connected) => true,
            (Closed, _) => false,
            (Unbound, Bound | Listening | Pending | Unassociated | Associated) => true,
            (Bound, Pending | Listening) => true,
            // Linux's connect(AF_UNSPEC) stops a listener or drops a connection (8b, 10d).
            (Listening | Pending | Connected | Failed, Bound | Unbound) => true,
            (Pending, Connected | Failed) => true,
            // A peer reset ends the connection: `failed`, with ECONNRESET / WSAECONNRESET.
            (Connected, Failed) => true,
            // Winsock retries at once; Linux after its reporting call (3d).
            (Failed, Pending) => true,
            // Windows lets a failed socket listen (test_select, Wine's sock.c).
            (Failed, Listening) => true,
            (Unassociated, Associated | Unbound) => true,
            (Associated, Unassociated | Unbound) => true,
            _ => false,
        }
    }

    /// Parse a state name (any case).
    pub fn from_name(s: &str) -> Option<State> {
        State::ALL.iter().copied().find(|st| st.name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What made a socket change state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "what")]
pub enum Cause {
    /// A call, by its function name.
    Call(Cow<'static, str>),
    /// Something the network did (handshake completed, reset arrived, timer expired).
    Net(Cow<'static, str>),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Call(c) => f.write_str(c),
            Cause::Net(n) => write!(f, "net: {n}"),
        }
    }
}

/// One state change, recorded by the single place that changes states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The user's name of the socket.
    pub sock: String,
    pub from: State,
    pub to: State,
    pub cause: Cause,
    /// The error that came with a move to `Failed`.
    pub error: Option<Code>,
    /// Virtual time of the change.
    pub at: Duration,
}

/// Something reported asynchronously, as the API reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A network event recorded for `WSAEventSelect` (the event object is signalled).
    NetworkEvent { sock: String, event: FdEvents, error: Option<Code>, at: Duration },
    /// A `WSAAsyncSelect` window message: `wParam` is the socket, `lParam` packs event and error.
    WindowMessage { sock: String, event: FdEvents, error: Option<Code>, at: Duration },
    /// An overlapped operation (ConnectEx) completed.
    Completion { sock: String, op: String, error: Option<Code>, bytes: u32, at: Duration },
    /// The socket's readiness changed (what poll/epoll would now report).
    Readiness { sock: String, bits: PollBits, at: Duration },
    /// An overlapped call's completion was queued at an I/O completion port (the socket is
    /// associated with `port` under `key`); GetQueuedCompletionStatus dequeues it.
    Packet { port: String, sock: String, key: u64, error: Option<Code>, bytes: u32, at: Duration },
}

impl Notification {
    /// The socket the notification is about.
    pub fn sock(&self) -> &str {
        match self {
            Notification::NetworkEvent { sock, .. }
            | Notification::WindowMessage { sock, .. }
            | Notification::Completion { sock, .. }
            | Notification::Readiness { sock, .. }
            | Notification::Packet { sock, .. } => sock,
        }
    }
}

/// The value a call returns, typed the way its API declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Ret {
    /// An `int` (0, a count, or `SOCKET_ERROR` / -1).
    Int(i64),
    /// A `BOOL` (ConnectEx).
    Bool(bool),
    /// A new descriptor (socket, accept), or `INVALID_SOCKET` / -1 when `None`.
    Handle(Option<i64>),
    /// The personality has no such call; see the answer's note for the closest equivalent.
    NotApplicable,
}

/// Data a call hands back besides its return value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// Nothing.
    #[default]
    None,
    /// An address (getsockname, getpeername, recvfrom's source).
    Addr { addr: SocketAddr },
    /// An option's integer value (getsockopt).
    Int { value: i64 },
    /// getsockopt SO_LINGER: the whole `struct linger`, `{l_onoff,l_linger}` (l_linger in
    /// seconds), since `{1,0}` (the abortive close) and `{0,0}` (off) must not read alike.
    Linger { on: bool, secs: i64 },
    /// An option holding an error (getsockopt SO_ERROR); `None` is 0.
    Error { error: Option<Code> },
    /// The three sets select() left set.
    Select { read: Vec<String>, write: Vec<String>, except: Vec<String> },
    /// revents per socket (WSAPoll / poll).
    Poll { revents: Vec<(String, PollBits)> },
    /// events per socket (epoll_wait), in the same bit layout as poll.
    Epoll { events: Vec<(String, PollBits)> },
    /// `WSANETWORKEVENTS`: the events recorded and each one's error.
    NetworkEvents { events: FdEvents, errors: Vec<(FdEvents, Option<Code>)> },
    /// Bytes received, and from whom.
    Data { data: Vec<u8>, from: Option<SocketAddr> },
    /// An OVERLAPPED's fields: `Internal` (an NTSTATUS) and `InternalHigh` (bytes).
    Overlapped { internal: u64, internal_high: u64 },
    /// The bytes an overlapped call transferred (GetOverlappedResult's lpcbTransfer).
    Transferred { bytes: u64 },
    /// What GetQueuedCompletionStatus wrote: `None` where it left the variable untouched;
    /// `overlapped` names the socket whose OVERLAPPED the packet carries (`None`: NULL).
    Packet { key: Option<u64>, bytes: Option<u64>, overlapped: Option<String> },
    /// wsaio3: the OVERLAPPED_ENTRY array GetQueuedCompletionStatusEx filled, one per packet
    /// removed (ulNumEntriesRemoved is its length).
    Packets { entries: Vec<PacketEntry> },
    /// getsockopt SO_BSP_STATE: a CSADDR_INFO. `None` is an empty SOCKET_ADDRESS (length 0,
    /// NULL pointer); `stream` is SOCK_STREAM/IPPROTO_TCP, else SOCK_DGRAM/IPPROTO_UDP.
    CsAddr { local: Option<SocketAddr>, remote: Option<SocketAddr>, stream: bool },
    /// acceptex2: GetAcceptExSockaddrs: the local address (`None`: the pointer left untouched,
    /// a local length of 0) and the remote one.
    AcceptAddrs { local: Option<SocketAddr>, remote: Option<SocketAddr> },
    /// esc3: WSAConnect's lpCalleeData->len once the connection is made (`callee=N`).
    CalleeLen { len: u64 },
}

/// wsaio3: one OVERLAPPED_ENTRY: the packet's key, byte count, OVERLAPPED (the socket or name
/// whose structure it carries; `None`: NULL) and `Internal`, the NTSTATUS it completed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketEntry {
    pub key: u64,
    pub bytes: u64,
    pub overlapped: Option<String>,
    pub internal: u64,
}

/// A personality's complete answer to one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub ret: Ret,
    /// The error (`WSAGetLastError()` / `errno`) when the call failed.
    pub error: Option<Code>,
    pub value: Value,
    /// State changes the call caused (and any that network events caused while it blocked).
    pub transitions: Vec<Transition>,
    /// Notifications that arrived while the call ran.
    pub notifications: Vec<Notification>,
    /// How long the call blocked, in virtual time.
    pub elapsed: Duration,
    /// The rule that decided the answer (see `docs/semantics.md`).
    pub rule: &'static str,
    /// A remark for the reader (closest equivalent of a call that does not exist, ...).
    pub note: Option<String>,
}

impl Answer {
    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none() && self.ret != Ret::NotApplicable
    }
}
