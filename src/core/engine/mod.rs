//! The engine: one simulated host as seen through one personality.
//!
//! A [`Host`] owns the sockets of one experiment for one personality, a virtual clock and a
//! queue of timed network events. Calls arrive through [`Host::call`]; time passes through
//! [`Host::advance`]. Nothing here reads a clock or touches the network: facts arrive through
//! [`Facts`]. Every state change goes through [`Host::set_state`], which records it.
//!
//! The personality's table lives in [`Profile`]; the places where personalities differ in
//! structure (Linux's one-time `0`, its reporting call after a failure, the all-zero address)
//! are the `match self.p.id` / `if self.p.winsock` arms below, each naming its rule.

// An error answer is not an exceptional path here but half of what the engine computes;
// boxing `Out` would add an allocation to most calls for no gain.
#![allow(clippy::result_large_err)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::core::call::{
    AcceptCond, AddrKind, Call, ConnectApi, Family, FdEvents, How, LINGER_ABORT, OptNullArg, PollBits, PollFd, Proto,
    SockAddrArg, SockOpt, SockRef,
};
use crate::core::codes::Code;
use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};
use crate::core::model::{Answer, Cause, Notification, PacketEntry, Ret, State, Transition, Value};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::core::rules as r;

mod acceptex;
mod addresses;
mod connect;
mod data;
mod disconnect;
mod events;
mod lifecycle;
mod options;
mod overlapped;
mod readiness;
mod timers;
mod wsaio;

use connect::*;
use timers::*;
use wsaio::WsaHow;

/// FNV-1a: socket names are short and chosen by the user; SipHash's DoS resistance buys
/// nothing here and costs a third of a lookup.
#[derive(Clone, Copy, Debug, Default)]
struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Fnv = std::hash::BuildHasherDefault<FnvHasher>;

/// Longest a blocking call waits in virtual time before socklab says it would block forever.
pub const BLOCK_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// A physical reason a connection failed, before a personality names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Refused,
    TimedOut,
    NetUnreach,
    HostUnreach,
    Access,
    Reset,
    /// A v6-only socket cannot reach a v4-mapped address (Windows' answer).
    AddrNotAvail,
}

/// Socket options a personality keeps.
#[derive(Clone, Debug, Default)]
struct Opts {
    broadcast: bool,
    reuseaddr: bool,
    /// SO_EXCLUSIVEADDRUSE (Winsock).
    exclusive: bool,
    keepalive: bool,
    nodelay: bool,
    linger: i64,
    /// The l_linger of the last SO_LINGER that turned lingering on: turning it off keeps it
    /// (Linux stores the time only when l_onoff is set, and getsockopt reads it back).
    linger_secs: i64,
    sndtimeo_ms: i64,
    syncnt: Option<i64>,
    user_timeout_ms: Option<i64>,
    maxrt_s: Option<i64>,
    v6only: bool,
}

/// One socket of the host.
#[derive(Clone, Debug)]
struct Sock {
    name: String,
    handle: i64,
    proto: Proto,
    family: Family,
    state: State,
    nonblocking: bool,
    opts: Opts,
    local: Option<SocketAddr>,
    /// The local port was chosen by the user (bind with a non-zero port).
    port_explicit: bool,
    peer: Option<SocketAddr>,
    /// The pending socket error (SO_ERROR).
    so_error: Option<Code>,
    /// windows: a number set with setsockopt(SO_ERROR) that names no Winsock error.
    so_error_other: Option<i64>,
    /// Linux: a failure has been reported to the caller (by connect or SO_ERROR) and the
    /// next connect may start a new attempt.
    failure_reported: bool,
    /// Linux: a completed handshake has not yet been reported to a connect call.
    success_unreported: bool,
    /// The current attempt's number (unique in the host); timers of older attempts, or of a
    /// socket that used this slot before, are ignored.
    attempt: u64,
    /// Unique in the host: a datagram or ICMP timer only reaches the socket it was meant for,
    /// even after the slot was reused.
    serial: u64,
    /// The attempt runs through ConnectEx (overlapped).
    overlapped: Option<Vec<u8>>,
    via_connectex: bool,
    context_updated: bool,
    /// acceptex: an AcceptEx is pending into this socket, on this listener (index, serial).
    accept_on: Option<(usize, u64)>,
    /// acceptex: this socket was connected by AcceptEx (SO_UPDATE_ACCEPT_CONTEXT not yet set
    /// unless `context_updated`).
    via_acceptex: bool,
    /// wsaio: the overlapped WSARecv calls waiting for data on this socket: the OVERLAPPED
    /// names of the pending ones, in order, and whether each has a completion routine (iocp2).
    recv_pending: VecDeque<wsaio::PendingRecv>,
    /// acceptex2: the pending AcceptEx's lengths (receive, local address, remote address).
    accept_lens: (u32, u32, u32),
    /// acceptex2: AcceptEx connected this socket and waits for the client's first data (on
    /// this listener: index, serial; at most this many bytes).
    accept_data: Option<(usize, u64, u32)>,
    connected_at: Option<Duration>,
    event_select: FdEvents,
    async_select: FdEvents,
    /// Events recorded for WSAEnumNetworkEvents, with their errors.
    recorded: Vec<(FdEvents, Option<Code>)>,
    /// windows: FD_CONNECT / FD_WRITE already recorded in event mode; registering again does
    /// not record them again (Wine test_connect_events, test_write_events).
    ev_reported: FdEvents,
    /// A connect() on this socket succeeded (an accepted socket never gets FD_CONNECT).
    connect_succeeded: bool,
    rx: VecDeque<(Vec<u8>, SocketAddr)>,
    /// Listening: connections whose handshake completed, waiting for accept (socket indexes).
    backlog: VecDeque<usize>,
    /// acceptex: listening: the sockets AcceptEx calls wait to accept into, oldest first.
    accept_waiting: VecDeque<usize>,
    backlog_max: usize,
    /// The other end when both ends are sockets of this host.
    partner: Option<usize>,
    shut_rd: bool,
    shut_wr: bool,
    peer_closed: bool,
    /// The other end closed its socket (not only shut down sending): data sent now reaches no
    /// socket, and the other host answers it with a reset.
    peer_gone: bool,
    reset: bool,
    /// The reset arrived after the peer's FIN (linux: CLOSE_WAIT, the error is EPIPE and recv
    /// keeps answering the end of stream).
    reset_after_fin: bool,
    /// UDP: an ICMP error waiting for the next send/recv.
    icmp: Option<Fault>,
    /// UDP (Winsock): disconnected by the zero address.
    disconnected: bool,
    /// TCP: data this connected socket sent (ConnectEx's buffer, send) before the other end
    /// was accepted; accept hands it to the accepted socket.
    unaccepted_tx: Vec<Vec<u8>>,
    /// Winsock 1.1: a cancelled blocking call left the socket indeterminate.
    indeterminate: bool,
}

#[derive(Clone, Debug)]
enum Timer {
    /// The handshake of attempt `attempt` ends.
    Handshake { sock: usize, attempt: u64, result: Result<(), Fault> },
    /// A target resets an established connection.
    Reset { sock: usize, attempt: u64 },
    /// A datagram arrives at a socket of this host.
    Datagram { sock: usize, serial: u64, data: Vec<u8>, from: SocketAddr },
    /// ICMP port unreachable arrives for a UDP socket.
    Icmp { sock: usize, serial: u64 },
}

/// A timer in the queue, ordered by due time then by scheduling order (deterministic).
#[derive(Debug)]
struct Due {
    at: Duration,
    seq: u64,
    timer: Timer,
}

impl PartialEq for Due {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Due {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Outcome of dispatching a call before it is packed into an [`Answer`].
struct Out {
    ret: Ret,
    error: Option<Code>,
    value: Value,
    rule: &'static str,
    note: Option<String>,
}

impl Out {
    fn ok(rule: &'static str) -> Out {
        Out { ret: Ret::Int(0), error: None, value: Value::None, rule, note: None }
    }
    fn val(rule: &'static str, value: Value) -> Out {
        Out { ret: Ret::Int(0), error: None, value, rule, note: None }
    }
    fn err(rule: &'static str, code: Code) -> Out {
        Out { ret: Ret::Int(-1), error: Some(code), value: Value::None, rule, note: None }
    }
    fn na(rule: &'static str, note: &str) -> Out {
        Out { ret: Ret::NotApplicable, error: None, value: Value::None, rule, note: Some(note.to_string()) }
    }
    fn note(mut self, n: impl Into<String>) -> Out {
        self.note = Some(n.into());
        self
    }
}

/// One host, one personality, one virtual clock.
#[derive(Debug)]
pub struct Host {
    p: &'static Profile,
    now: Duration,
    started: u32,
    socks: Vec<Sock>,
    names: HashMap<String, usize, Fnv>,
    /// Indexes of listening sockets (kept by `set_state`).
    listening: Vec<usize>,
    timers: BinaryHeap<Reverse<Due>>,
    seq: u64,
    next_handle: i64,
    next_port_even: u16,
    next_port_odd: u16,
    trans: Vec<Transition>,
    notes: Vec<Notification>,
    /// `alarm`: when the next blocking connect is interrupted (virtual time).
    alarm: Option<Duration>,
    /// `after`: the calls another thread makes, and when (virtual time), during the next
    /// blocking call; in time order, two at the same time in the order written.
    after: Vec<(Duration, Call)>,
    /// What the other thread's call answered, told in the blocking call's note.
    after_told: Vec<String>,
    /// The socket the call being answered is about (the one a blocking call waits on).
    in_call: Option<usize>,
    /// linux: a close made by another thread while this call used the socket; the kernel keeps
    /// the socket until the call returns (close(2), "Multithreaded processes and close()").
    deferred_close: Option<usize>,
    /// Source of socket serials and attempt numbers.
    serials: u64,
    /// Slots of closed sockets, reused by the next socket (memory stays bounded by the sockets
    /// open at once, however long a session or a replay runs).
    free: Vec<usize>,
    /// Names of closed sockets whose slot was freed: protocol, family, descriptor.
    closed_names: HashMap<String, (Proto, Family, i64), Fnv>,
    /// `firewall drop`: destinations whose packets a local rule drops.
    firewall: Vec<IpAddr>,
    /// `portrange`: the ephemeral range; ports are then only taken when free.
    port_range: Option<(u16, u16)>,
    /// `link down`: the host's interface is down (loopback stays up).
    link_down: bool,
    /// Descriptors that are not sockets (`pipe`), by name: their number.
    pipes: HashMap<String, i64, Fnv>,
    /// The slot of the socket `socket()` created last.
    created: usize,
    /// winapi-ov: OVERLAPPED structures and I/O completion ports.
    ov: overlapped::OvWorld,
    /// acceptex2: the buffer of the last AcceptEx that completed into each accept socket name:
    /// the local address (absent with a local length of 0), the remote one, the data.
    accept_bufs: HashMap<String, AcceptBuf, Fnv>,
}

/// acceptex2: what an AcceptEx wrote into its buffer.
#[derive(Clone, Debug)]
struct AcceptBuf {
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
}

/// The low `n` bytes of a value, as a little-endian machine passes or returns them.
fn truncate(value: i64, n: u32) -> i64 {
    if n >= 8 { value } else { value & ((1i64 << (8 * n)) - 1) }
}

fn next_serial(counter: &mut u64) -> u64 {
    *counter += 1;
    *counter
}

impl Host {
    /// A fresh host for a personality, at virtual time zero, Winsock already started.
    pub fn new(id: PersonalityId) -> Host {
        let p = Profile::of(id);
        Host {
            p,
            now: Duration::ZERO,
            started: if p.winsock { 1 } else { 0 },
            socks: Vec::new(),
            names: HashMap::default(),
            listening: Vec::new(),
            timers: BinaryHeap::new(),
            seq: 0,
            next_handle: if p.winsock { 0x100 } else { 3 },
            next_port_even: p.ephemeral_base,
            next_port_odd: p.ephemeral_base + 1,
            trans: Vec::new(),
            notes: Vec::new(),
            alarm: None,
            after: Vec::new(),
            after_told: Vec::new(),
            in_call: None,
            deferred_close: None,
            serials: 0,
            free: Vec::new(),
            closed_names: HashMap::default(),
            pipes: HashMap::default(),
            link_down: false,
            port_range: None,
            firewall: Vec::new(),
            created: 0,
            ov: overlapped::OvWorld::default(),
            accept_bufs: HashMap::default(),
        }
    }

    /// The personality this host answers as.
    pub fn personality(&self) -> PersonalityId {
        self.p.id
    }

    /// The profile in use.
    pub fn profile(&self) -> &'static Profile {
        self.p
    }

    /// Virtual time now.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// The state of a named socket.
    pub fn state(&self, name: &str) -> Option<State> {
        match self.names.get(name) {
            Some(&i) => Some(self.socks[i].state),
            None => self.closed_names.get(name).map(|_| State::Closed),
        }
    }

    /// A snapshot of every socket, for views and tests.
    pub fn sockets(&self) -> Vec<SocketView> {
        self.socks.iter().map(SocketView::of).collect()
    }

    /// A snapshot of one socket by name (read-only; lets a view show only its visible rows
    /// instead of copying every socket per frame).
    pub fn socket_view(&self, name: &str) -> Option<SocketView> {
        if let Some(&i) = self.names.get(name) {
            return Some(SocketView::of(&self.socks[i]));
        }
        self.closed_names.get(name).map(|&(proto, family, handle)| SocketView {
            name: name.to_string(),
            handle,
            proto,
            family,
            state: State::Closed,
            nonblocking: false,
            broadcast: false,
            local: None,
            peer: None,
            error: None,
        })
    }

    /// When the next network event is due, if any.
    pub fn next_event(&self) -> Option<Duration> {
        self.timers.peek().map(|Reverse(d)| d.at)
    }

    /// Let `by` of virtual time pass, firing network events on the way.
    pub fn advance(&mut self, by: Duration, facts: &dyn Facts) -> Events {
        let until = self.now.saturating_add(by);
        self.run_until(until, facts);
        Events { transitions: std::mem::take(&mut self.trans), notifications: std::mem::take(&mut self.notes) }
    }

    /// Let time pass until `pred` holds for the named socket or `limit` has passed.
    /// Returns the events and whether the condition was met.
    pub fn advance_until(
        &mut self,
        limit: Duration,
        facts: &dyn Facts,
        mut pred: impl FnMut(&Host) -> bool,
    ) -> (Events, bool) {
        let deadline = self.now.saturating_add(limit);
        let mut met = pred(self);
        while !met {
            match self.next_event() {
                Some(t) if t <= deadline => {
                    self.fire_next(facts);
                    met = pred(self);
                }
                _ => {
                    self.now = deadline;
                    break;
                }
            }
        }
        (Events { transitions: std::mem::take(&mut self.trans), notifications: std::mem::take(&mut self.notes) }, met)
    }

    /// Whether anything was notified about a socket since the events were last taken.
    pub fn pending_notifications(&self) -> &[Notification] {
        &self.notes
    }

    /// The system has no descriptor left for this `socket` or `accept` (a fact the live
    /// network observed): the call fails as this personality reports exhaustion.
    pub fn out_of_descriptors(&mut self, facts: &dyn Facts) -> Answer {
        self.run_until(self.now, facts);
        let code = self.p.pick(Code::EMFILE, Code::WSAEMFILE);
        let out = Out { ret: Ret::Handle(None), ..Out::err(r::OUT_OF_DESCRIPTORS, code) };
        Answer {
            ret: out.ret,
            error: out.error,
            value: Value::None,
            transitions: std::mem::take(&mut self.trans),
            notifications: std::mem::take(&mut self.notes),
            elapsed: Duration::ZERO,
            rule: out.rule,
            note: Some("the process is out of descriptors (RLIMIT_NOFILE)".into()),
        }
    }

    /// Answer one call.
    pub fn call(&mut self, call: &Call, facts: &dyn Facts) -> Answer {
        let start = self.now;
        // Events that became due before the call are part of the world it sees.
        self.run_until(self.now, facts);
        self.in_call = match call.sock() {
            Some(SockRef::Name(n)) => self.names.get(n).copied(),
            _ => None,
        };
        let mut out = self.dispatch(call, facts);
        if !matches!(call, Call::After { .. }) {
            self.fire_after_due_now(facts);
        }
        self.in_call = None;
        if let Some(i) = self.deferred_close.take() {
            if self.socks[i].state != State::Closed {
                self.close(i);
            }
        }
        if !self.after_told.is_empty() {
            let told = std::mem::take(&mut self.after_told).join("; ");
            out.note = Some(match out.note.take() {
                Some(n) => format!("{n}; {told}"),
                None => told,
            });
        }
        Answer {
            ret: out.ret,
            error: out.error,
            value: out.value,
            transitions: std::mem::take(&mut self.trans),
            notifications: std::mem::take(&mut self.notes),
            elapsed: self.now - start,
            rule: out.rule,
            note: out.note,
        }
    }
}

/// What a view needs to know about one socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketView {
    pub name: String,
    pub handle: i64,
    pub proto: Proto,
    pub family: Family,
    pub state: State,
    pub nonblocking: bool,
    pub broadcast: bool,
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    pub error: Option<Code>,
}

impl SocketView {
    fn of(s: &Sock) -> SocketView {
        SocketView {
            name: s.name.clone(),
            handle: s.handle,
            proto: s.proto,
            family: s.family,
            state: s.state,
            nonblocking: s.nonblocking,
            broadcast: s.opts.broadcast,
            local: s.local,
            peer: s.peer,
            error: s.so_error,
        }
    }
}

/// State changes and notifications caused by time passing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    pub transitions: Vec<Transition>,
    pub notifications: Vec<Notification>,
}

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

/// A destination after validation.
enum Dest {
    Inet(SocketAddr),
    Unspec,
}

impl Host {
    fn na_ws2(&self, what: &str) -> Out {
        Out::na(r::WS2_ONLY, &format!("{what} is a Winsock 2 function; a Winsock 1.1 application cannot call it"))
    }

    fn not_a_socket(&self) -> Out {
        // 8i/8j: a closed or never-opened descriptor.
        Out::err(r::BAD_DESCRIPTOR, self.p.pick(Code::EBADF, Code::WSAENOTSOCK))
    }

    fn sock(&self, r: &SockRef) -> Result<usize, Out> {
        match r {
            SockRef::Raw(_) => Err(self.not_a_socket()),
            // An open descriptor that is no socket: ENOTSOCK on both (WSAENOTSOCK).
            SockRef::Name(n) if self.pipes.contains_key(n) => {
                Err(Out::err(r::NOT_SOCKET, self.p.pick(Code::ENOTSOCK, Code::WSAENOTSOCK)))
            }
            SockRef::Name(n) => match self.names.get(n) {
                Some(&i) if self.socks[i].state != State::Closed => Ok(i),
                _ => Err(self.not_a_socket()),
            },
        }
    }

    fn dispatch(&mut self, call: &Call, facts: &dyn Facts) -> Out {
        // winapi-ov: the OVERLAPPED, GetOverlappedResult and completion ports are kernel32's and
        // need no WSAStartup.
        let kernel32 = matches!(
            call,
            Call::Overlapped { .. }
                | Call::CancelIo { .. }
                | Call::GetOverlappedResult { wsa: false, .. }
                | Call::CreateIoCompletionPort { .. }
                | Call::AssociatePort { .. }
                | Call::GetQueuedCompletionStatus { .. }
                | Call::GetQueuedCompletionStatusEx { .. }
                | Call::PostQueuedCompletionStatus { .. }
                | Call::CloseHandle { .. }
                | Call::SleepEx { .. }
        );
        if self.p.winsock && self.started == 0 && !matches!(call, Call::WsaStartup { .. }) && !kernel32 {
            let out = Out::err(r::NOT_INITIALISED, Code::WSANOTINITIALISED);
            return match call {
                Call::Socket { .. } | Call::SocketAf { .. } | Call::Accept { .. } => {
                    Out { ret: Ret::Handle(None), ..out }
                }
                Call::Connect { api: ConnectApi::ConnectEx { .. }, .. }
                | Call::GetOverlappedResult { .. }
                | Call::DisconnectEx { .. }
                | Call::AcceptEx { .. }
                | Call::CancelIo { .. } => Out { ret: Ret::Bool(false), ..out },
                _ => out,
            };
        }
        let res = match call {
            Call::WsaStartup { major, minor } => Ok(self.wsa_startup(*major, *minor)),
            Call::WsaCleanup => Ok(self.wsa_cleanup()),
            Call::Socket { proto, family, name } => Ok(self.socket(*proto, *family, name)),
            Call::OptNull { sock, opt, set, arg } => self.sock(sock).map(|i| match arg {
                OptNullArg::Optval => self.optval_null(i, *opt, *set),
                OptNullArg::OptvalLen(n) => self.optval_null_len(i, *opt, *n),
                OptNullArg::Optlen => self.optlen_null(i, *opt),
            }),
            // winapi-args: a NULL name pointer: the state is checked first, then the pointer.
            // args2: a NULL namelen pointer, checked in the same place (rule addr.namelen-null).
            Call::NameNull { sock, peer, len } => self.sock(sock).map(|i| {
                let out = if *peer { self.getpeername(i) } else { self.getsockname(i) };
                let rule = match (*len, *peer || !self.p.winsock) {
                    (true, true) => r::NAMELEN_NULL,
                    (true, false) => r::NAMELEN_NULL_SOCKNAME,
                    (false, true) => r::NAME_NULL,
                    (false, false) => r::NAME_NULL_SOCKNAME,
                };
                if out.error.is_some() {
                    return Out { rule, ..out };
                }
                Out::err(rule, self.p.pick(Code::EFAULT, Code::WSAEFAULT))
            }),
            // winapi-args: a family no system implements (rule addr.af-number).
            Call::SocketAf { .. } => {
                let code = self.p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT);
                Ok(Out { ret: Ret::Handle(None), ..Out::err(r::AF_NUMBER, code) })
            }
            Call::Fionbio { sock, on } => self.sock(sock).map(|i| self.fionbio(i, *on)),
            Call::SetSockOpt { sock, opt, value, optlen } => {
                self.sock(sock).map(|i| match self.short_optlen(*opt, *optlen) {
                    Some(out) => out,
                    // linux: setsockopt wants a whole int (tests/scenarios/23_optlen.lab, kernel-judged).
                    None if !self.p.winsock && optlen.is_some_and(|n| n < 4) && self.missing_option(*opt).is_none() => {
                        Out::err(r::OPTLEN, Code::EINVAL)
                    }
                    None => {
                        let v = optlen.map_or(*value, |n| truncate(*value, n));
                        self.setsockopt(i, *opt, v)
                    }
                })
            }
            // ---- bsp ----
            Call::GetSockOpt { sock, opt: SockOpt::SO_BSP_STATE, optlen } => {
                self.sock(sock).map(|i| self.bsp_state(i, *optlen))
            }
            // ---- end bsp ----
            Call::GetSockOpt { sock, opt, optlen } => self.sock(sock).map(|i| match self.short_optlen(*opt, *optlen) {
                Some(out) => out,
                None => {
                    let out = self.getsockopt(i, *opt);
                    match (optlen, &out.value) {
                        (Some(n), &Value::Int { value }) if *n < 4 => {
                            Out { value: Value::Int { value: truncate(value, *n) }, ..out }
                                .note(format!("optlen {n}: the value is cut to {n} byte(s)"))
                        }
                        // Linux's struct linger is two ints: a shorter optlen gets its first bytes.
                        (Some(n), &Value::Linger { on, secs }) if *n < 8 && self.p.id == PersonalityId::Linux => {
                            let (on, secs) = (truncate(i64::from(on), *n), truncate(secs, n.saturating_sub(4)));
                            Out { value: Value::Linger { on: on != 0, secs }, ..out }
                                .note(format!("optlen {n}: the structure is cut to {n} byte(s)"))
                        }
                        _ => out,
                    }
                }
            }),
            Call::Bind { sock, addr } => self.sock(sock).map(|i| self.bind(i, addr, facts)),
            Call::Listen { sock, backlog } => self.sock(sock).map(|i| self.listen(i, *backlog)),
            Call::Accept { sock, name, cond: None } => self.sock(sock).map(|i| self.accept(i, name, facts)),
            Call::Accept { sock, name, cond: Some(cond) } => {
                self.sock(sock).map(|i| self.wsa_accept(i, name, *cond, facts))
            }
            Call::GetAcceptExSockaddrs { sock } => Ok(self.get_acceptex_sockaddrs(sock)),
            Call::CancelIo { sock, ex } => Ok(self.cancel_io(sock, *ex)),
            // ---- winapi-ov ----
            Call::Connect { sock, addr, api: api @ ConnectApi::ConnectEx { .. } } if self.p.winsock && self.p.ws2 => {
                Ok(self.connectex_overlapped(sock, addr, api, facts))
            }
            Call::Overlapped { sock, set } => Ok(self.read_overlapped(sock, *set)),
            Call::GetOverlappedResult { sock, wait, wsa, ov } => {
                Ok(self.get_overlapped_result(sock, *wait, *wsa, ov.as_deref(), facts))
            }
            Call::CreateIoCompletionPort { name } => Ok(self.create_port(name)),
            Call::AssociatePort { sock, port, key } => Ok(self.associate_port(sock, port, *key)),
            Call::GetQueuedCompletionStatus { port, timeout } => Ok(self.dequeue_packet(port, *timeout, facts)),
            Call::GetQueuedCompletionStatusEx { port, count, timeout, alertable } => {
                Ok(self.dequeue_packets(port, *count, *timeout, *alertable, facts))
            }
            Call::DisconnectEx { sock, reuse, null_overlapped } => {
                Ok(self.disconnect_ex(sock, *reuse, *null_overlapped))
            }
            Call::PostQueuedCompletionStatus { port, key, bytes, overlapped } => {
                Ok(self.post_packet(port, *key, *bytes, overlapped.as_deref()))
            }
            Call::CloseHandle { handle } => Ok(self.close_handle(handle)),
            // ---- end winapi-ov ----
            Call::WsaRecv { sock, ov, routine, bufs } => {
                self.sock(sock).map(|i| self.wsa_recv(i, ov.as_deref(), *routine, bufs.as_deref()))
            }
            Call::WsaSend { sock, data, ov, routine, bufs } => {
                self.sock(sock).map(|i| self.wsa_send(i, data, ov.as_deref(), *routine, bufs.as_deref(), facts))
            }
            // ---- wsaio3 ----
            Call::WsaSendTo { sock, addr, data, bufs, null_overlapped, ov, routine, null_bytes } => {
                let how =
                    WsaHow { plain: *null_overlapped, ov: ov.as_deref(), routine: *routine, null_bytes: *null_bytes };
                self.sock(sock).map(|i| self.wsa_send_to(i, addr, data, bufs.as_deref(), how, facts))
            }
            Call::WsaRecvFrom { sock, bufs, null_overlapped, ov, routine } => {
                let how = WsaHow { plain: *null_overlapped, ov: ov.as_deref(), routine: *routine, null_bytes: false };
                self.sock(sock).map(|i| self.wsa_recv_from(i, bufs.as_deref(), how, facts))
            }
            Call::SleepEx { ms, alertable } => Ok(self.sleep_ex(*ms, *alertable, facts)),
            Call::AcceptEx { listener, sock, null_overlapped, recv, local, remote, null_buffer } => {
                Ok(self.accept_ex(listener, sock, *null_overlapped, (*recv, *local, *remote), *null_buffer, facts))
            }
            Call::Connect { sock, addr, api } => {
                // ConnectEx returns BOOL, also when the handle is no socket (test_connect, sock.c).
                self.sock(sock).map(|i| self.connect(i, addr, api, facts)).map_err(|e| as_api(api, e))
            }
            Call::Select { read, write, except, timeout } => Ok(self.select(read, write, except, *timeout, facts)),
            Call::Poll { socks, timeout, events } => Ok(self.poll(socks, *timeout, *events, facts)),
            Call::PollNull { n, timeout } => Ok(self.poll_null(*n, *timeout, facts)),
            Call::PollFds { fds, timeout } => Ok(self.poll_fds(fds, *timeout, facts)),
            // args3: empty sets answer as NULL ones (rule select.empty: Winsock WSAEINVAL, linux
            // waits out the timeout).
            Call::SelectEmptySets { timeout, .. } => Ok(self.select(&[], &[], &[], *timeout, facts)),
            Call::SelectTimeval { read, write, except, sec, usec } => {
                Ok(self.select_timeval([read, write, except], *sec, *usec, facts))
            }
            Call::Epoll { socks, timeout } => Ok(self.epoll(socks, *timeout, facts)),
            Call::WsaEventSelect { sock, events } => self.sock(sock).map(|i| self.event_select(i, *events, false)),
            Call::WsaAsyncSelect { sock, events } => self.sock(sock).map(|i| self.event_select(i, *events, true)),
            Call::WsaEnumNetworkEvents { sock } => self.sock(sock).map(|i| self.enum_events(i)),
            Call::GetSockName { sock, namelen } => {
                self.sock(sock).map(|i| self.with_namelen(i, *namelen, |h| h.getsockname(i)))
            }
            Call::GetPeerName { sock, namelen } => {
                self.sock(sock).map(|i| self.with_namelen(i, *namelen, |h| h.getpeername(i)))
            }
            Call::Send { sock, data } => self.sock(sock).map(|i| self.send(i, None, data, facts)),
            Call::SendTo { sock, addr, data } => self.sock(sock).map(|i| self.send(i, Some(addr), data, facts)),
            Call::Recv { sock } => self.sock(sock).map(|i| self.recv(i, false, facts)),
            Call::RecvFrom { sock } => self.sock(sock).map(|i| self.recv(i, true, facts)),
            Call::Shutdown { sock, how } => self.sock(sock).map(|i| self.shutdown(i, *how)),
            Call::Close { sock: SockRef::Name(n) } if !self.p.winsock && self.pipes.contains_key(n) => {
                // close(2) closes any descriptor.
                self.pipes.remove(n);
                Ok(Out::ok(r::NOT_SOCKET))
            }
            Call::Close { sock } => self.sock(sock).map(|i| self.close(i)),
            Call::Firewall { drop } => {
                match drop {
                    Some(ip) => self.firewall.push(canon(*ip)),
                    None => self.firewall.clear(),
                }
                Ok(Out::ok(r::FIREWALL))
            }
            Call::PortRange { lo, hi } => {
                self.port_range = Some((*lo, *hi));
                Ok(Out::ok(r::PORTS_EXHAUSTED))
            }
            Call::Link { up } => {
                self.link_down = !*up;
                Ok(Out::ok(r::LINK_DOWN))
            }
            Call::Pipe { name } => {
                let h = self.next_handle;
                // A pipe takes two descriptors (two handles on Windows).
                self.next_handle += if self.p.winsock { 8 } else { 2 };
                self.pipes.insert(name.clone(), h);
                Ok(Out { ret: Ret::Handle(Some(h)), ..Out::ok(r::NOT_SOCKET) })
            }
            Call::Alarm { after } => Ok(self.set_alarm(*after)),
            Call::After { after, action } => {
                let at = self.now.saturating_add(*after);
                let pos = self.after.partition_point(|(t, _)| *t <= at);
                self.after.insert(pos, (at, (**action).clone()));
                Ok(Out::ok(r::AFTER))
            }
        };
        res.unwrap_or_else(|e| e)
    }

    // ----- alarm -----

    fn set_alarm(&mut self, after: Duration) -> Out {
        if self.p.winsock && self.p.ws2 {
            return Out::na(
                r::ALARM,
                "Winsock 2 has no WSACancelBlockingCall: a blocking connect ends early only when another thread closes the socket (WSAEINTR, connect reference page): write `after MS closesocket NAME` for that",
            );
        }
        self.alarm = Some(self.now.saturating_add(after));
        Out::ok(r::ALARM)
    }

    /// A route lookup as the host sees it now: with its interface down, only loopback routes
    /// are left (the kernel removes the routes of an interface that goes down).
    fn route_of(&self, facts: &dyn Facts, ip: IpAddr) -> RouteFact {
        match facts.route(ip) {
            // The host's own addresses keep their local routes.
            RouteFact::Ok { source, .. } if self.link_down && !source.is_loopback() && !facts.is_local(ip) => {
                RouteFact::NoRoute
            }
            f => f,
        }
    }

    /// getsockname/getpeername with `namelen=N`: shorter than the address structure (16 bytes
    /// for AF_INET, 28 for AF_INET6), Winsock answers WSAEFAULT; linux answers, cuts the
    /// address to N bytes and writes the full size back into namelen (the value shown).
    fn with_namelen(&mut self, i: usize, namelen: Option<u32>, f: impl FnOnce(&mut Host) -> Out) -> Out {
        let full: u32 = if self.socks[i].family == Family::V4 { 16 } else { 28 };
        let Some(n) = namelen.filter(|&n| n < full) else { return f(self) };
        if self.p.winsock {
            return Out::err(r::NAMELEN, Code::WSAEFAULT);
        }
        let out = f(self);
        if out.error.is_some() {
            return out;
        }
        Out { value: Value::Int { value: i64::from(full) }, rule: r::NAMELEN, ..out }
            .note(format!("the address is cut to {n} bytes; namelen comes back as {full}"))
    }

    /// An optlen shorter than the option's int: linux EINVAL for setsockopt (a getsockopt is
    /// answered, cut to the length); Winsock WSAEFAULT; windows accepts a short length for its
    /// BOOL-like options (1 byte or more), as Wine's test_optsize table records.
    fn short_optlen(&self, opt: SockOpt, optlen: Option<u32>) -> Option<Out> {
        let n = optlen.filter(|&n| n < 4)?;
        if self.missing_option(opt).is_some() {
            return None;
        }
        let bool_like = matches!(
            opt,
            SockOpt::SO_BROADCAST
                | SockOpt::SO_REUSEADDR
                | SockOpt::SO_EXCLUSIVEADDRUSE
                | SockOpt::SO_KEEPALIVE
                | SockOpt::TCP_NODELAY
                | SockOpt::IPV6_V6ONLY
        );
        match self.p.id {
            PersonalityId::Linux => None,
            PersonalityId::Windows if bool_like && n >= 1 => None,
            _ => Some(Out::err(r::OPTLEN, Code::WSAEFAULT)),
        }
    }

    /// Whether a local firewall rule drops what this host sends to `ip`.
    fn firewalled(&self, ip: IpAddr) -> bool {
        self.firewall.contains(&canon(ip))
    }

    /// No route to the destination: ENETUNREACH / WSAENETUNREACH; with the interface down,
    /// Winsock reports WSAENETDOWN while linux still answers ENETUNREACH (measured).
    fn no_route(&self) -> Out {
        if self.link_down {
            return Out::err(r::LINK_DOWN, self.p.pick(Code::ENETUNREACH, Code::WSAENETDOWN));
        }
        Out::err(r::ROUTE_SYNC, self.code(Fault::NetUnreach))
    }

    /// When the other thread's call (`after`) is due, if one waits.
    pub(super) fn after_due(&self) -> Option<Duration> {
        self.after.first().map(|(at, _)| *at)
    }

    /// The other thread makes its call now (the blocking call goes on waiting, unless the call
    /// ends it). Winsock 1.1: the blocking hook makes it, and every call but
    /// WSACancelBlockingCall fails with WSAEINPROGRESS while a blocking call is in progress.
    pub(super) fn fire_after(&mut self, facts: &dyn Facts) {
        if self.after.is_empty() {
            return;
        }
        let (at, action) = self.after.remove(0);
        self.now = self.now.max(at);
        let ms = at.as_millis();
        if self.p.winsock && !self.p.ws2 {
            self.after_told.push(format!(
                "at {ms} ms the blocking hook called {}: WSAEINPROGRESS (a blocking call is in progress; rule {})",
                action.name(),
                r::WS1_IN_PROGRESS
            ));
            return;
        }
        let closes_in_use = match &action {
            Call::Close { sock: SockRef::Name(n) } => self.names.get(n).copied().filter(|&i| Some(i) == self.in_call),
            _ => None,
        };
        if let Some(answer) = self.shut_down_while_connecting(&action) {
            self.after_told.push(format!("at {ms} ms another thread called {}: {answer}", action.name()));
            return;
        }
        let answer = match closes_in_use {
            Some(i) if !self.p.winsock => {
                // The descriptor is gone at once; the socket lives until the blocked call returns.
                self.deferred_close = Some(i);
                "0 (the blocked call keeps the socket until it returns)".to_string()
            }
            _ => {
                let out = self.dispatch(&action, facts);
                match (out.ret, out.error) {
                    (_, Some(e)) => format!("error {e}"),
                    (Ret::Int(n), None) => n.to_string(),
                    (Ret::Bool(b), None) => if b { "TRUE" } else { "FALSE" }.to_string(),
                    (Ret::Handle(h), None) => h.map_or("INVALID_SOCKET".into(), |h| h.to_string()),
                    (Ret::NotApplicable, None) => "n/a".to_string(),
                }
            }
        };
        self.after_told.push(format!("at {ms} ms another thread called {}: {answer}", action.name()));
    }

    /// The other thread's calls due at the moment a call returns are made then (two calls
    /// written for the same time are made together, even when the first ended the wait).
    fn fire_after_due_now(&mut self, facts: &dyn Facts) {
        while self.after_due().is_some_and(|a| a <= self.now) {
            self.fire_after(facts);
        }
    }

    /// linux: `shutdown` from another thread on the socket whose blocking connect is still in
    /// its handshake answers 0 and ends the handshake (the kernel disconnects the socket): the
    /// connect wakes at once with ECONNRESET and the socket can connect again. Measured in
    /// tests/live_netns.rs (a_blocked_connect_is_released_by_shutdown_from_another_thread_not_by_close),
    /// where a close from the side leaves the connect to run to its own end instead. `None` when
    /// the rule does not apply (Winsock: shutdown of a socket not yet connected is WSAENOTCONN).
    fn shut_down_while_connecting(&mut self, action: &Call) -> Option<String> {
        let Call::Shutdown { sock: SockRef::Name(n), .. } = action else { return None };
        let i = self.names.get(n).copied().filter(|&i| Some(i) == self.in_call)?;
        if self.p.winsock || self.socks[i].state != State::Pending {
            return None;
        }
        let s = &mut self.socks[i];
        s.attempt = next_serial(&mut self.serials);
        s.so_error = Some(Code::ECONNRESET);
        s.failure_reported = false;
        self.set_state(i, State::Failed, Cause::Net("shut down by another thread".into()), Some(Code::ECONNRESET));
        self.readiness_changed(i);
        Some("0 (the handshake is abandoned: the blocked connect wakes with ECONNRESET)".into())
    }

    /// Block a connect until its outcome or the alarm. `true` when the alarm interrupted it.
    fn block_connect(&mut self, i: usize, limit: Duration, facts: &dyn Facts) -> (bool, bool) {
        let alarm = self.alarm.take();
        let deadline = self.now.saturating_add(limit);
        let until = alarm.map_or(deadline, |a| a.min(deadline));
        let done = self.block_until(until.saturating_sub(self.now), facts, |h| h.socks[i].state != State::Pending);
        let interrupted = !done && alarm.is_some_and(|a| a <= deadline);
        (done, interrupted)
    }

    /// The answer of a blocking connect cut short by the alarm.
    fn interrupted(&mut self, i: usize) -> Out {
        if self.p.winsock {
            // WSACancelBlockingCall: the call fails with WSAEINTR and the socket is left in an
            // indeterminate state; only closesocket is safe afterwards.
            self.socks[i].indeterminate = true;
            return Out::err(r::WS1_CANCELLED, Code::WSAEINTR);
        }
        // 13b: EINTR; the handshake carries on in the background.
        Out::err(r::LINUX_EINTR, Code::EINTR)
    }
}

#[cfg(test)]
#[path = "../engine_tests.rs"]
mod tests;
