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

use super::call::{AddrKind, Call, ConnectApi, Family, FdEvents, How, PollBits, Proto, SockAddrArg, SockOpt, SockRef};
use super::codes::Code;
use super::facts::{Facts, RouteFact, TcpFact, UdpFact};
use super::model::{Answer, Cause, Notification, Ret, State, Transition, Value};
use super::personality::PersonalityId;
use super::profile::Profile;
use super::rules as r;

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
}

/// Socket options a personality keeps.
#[derive(Clone, Debug, Default)]
struct Opts {
    broadcast: bool,
    reuseaddr: bool,
    keepalive: bool,
    nodelay: bool,
    linger: i64,
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
    connected_at: Option<Duration>,
    event_select: FdEvents,
    async_select: FdEvents,
    /// Events recorded for WSAEnumNetworkEvents, with their errors.
    recorded: Vec<(FdEvents, Option<Code>)>,
    rx: VecDeque<(Vec<u8>, SocketAddr)>,
    /// Listening: connections whose handshake completed, waiting for accept (socket indexes).
    backlog: VecDeque<usize>,
    backlog_max: usize,
    /// The other end when both ends are sockets of this host.
    partner: Option<usize>,
    shut_rd: bool,
    shut_wr: bool,
    peer_closed: bool,
    reset: bool,
    /// UDP: an ICMP error waiting for the next send/recv.
    icmp: Option<Fault>,
    /// UDP (Winsock): disconnected by the zero address.
    disconnected: bool,
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
    /// Source of socket serials and attempt numbers.
    serials: u64,
    /// Slots of closed sockets, reused by the next socket (memory stays bounded by the sockets
    /// open at once, however long a session or a replay runs).
    free: Vec<usize>,
    /// Names of closed sockets whose slot was freed: protocol, family, descriptor.
    closed_names: HashMap<String, (Proto, Family, i64), Fnv>,
    /// The slot of the socket `socket()` created last.
    created: usize,
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
            serials: 0,
            free: Vec::new(),
            closed_names: HashMap::default(),
            created: 0,
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
        let out = self.dispatch(call, facts);
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
// Time, timers and the one door for state changes
// ---------------------------------------------------------------------------------------------

impl Host {
    fn schedule(&mut self, at: Duration, timer: Timer) {
        self.seq += 1;
        self.timers.push(Reverse(Due { at, seq: self.seq, timer }));
    }

    fn run_until(&mut self, until: Duration, facts: &dyn Facts) {
        while let Some(t) = self.next_event() {
            if t > until {
                break;
            }
            self.fire_next(facts);
        }
        if until > self.now {
            self.now = until;
        }
    }

    fn fire_next(&mut self, facts: &dyn Facts) {
        let Some(Reverse(Due { at, timer, .. })) = self.timers.pop() else { return };
        if at > self.now {
            self.now = at;
        }
        match timer {
            Timer::Handshake { sock, attempt, result } => {
                if self.socks[sock].attempt == attempt && self.socks[sock].state == State::Pending {
                    self.finish_handshake(sock, result, facts);
                }
            }
            Timer::Reset { sock, attempt } => {
                let s = &self.socks[sock];
                if s.attempt == attempt && s.state == State::Connected && !s.reset {
                    self.peer_reset(sock);
                }
            }
            Timer::Datagram { sock, serial, data, from } => {
                if self.socks[sock].serial == serial {
                    self.deliver_datagram(sock, data, from);
                }
            }
            Timer::Icmp { sock, serial } => {
                if self.socks[sock].serial == serial && self.socks[sock].state != State::Closed {
                    self.socks[sock].icmp = Some(Fault::Refused);
                    self.readiness_changed(sock);
                }
            }
        }
    }

    /// The one place a socket changes state; it records from, to and cause.
    fn set_state(&mut self, i: usize, to: State, cause: Cause, error: Option<Code>) {
        let s = &mut self.socks[i];
        let from = s.state;
        if from == to && error.is_none() {
            return;
        }
        s.state = to;
        if from == State::Listening {
            self.listening.retain(|&l| l != i);
        }
        if to == State::Listening {
            self.listening.push(i);
        }
        self.trans.push(Transition { sock: s.name.clone(), from, to, cause, error, at: self.now });
    }

    fn code(&self, f: Fault) -> Code {
        let p = self.p;
        match f {
            Fault::Refused => p.pick(Code::ECONNREFUSED, Code::WSAECONNREFUSED),
            Fault::TimedOut => p.pick(Code::ETIMEDOUT, Code::WSAETIMEDOUT),
            Fault::NetUnreach => p.pick(Code::ENETUNREACH, Code::WSAENETUNREACH),
            Fault::HostUnreach => p.pick(Code::EHOSTUNREACH, Code::WSAEHOSTUNREACH),
            Fault::Access => p.pick(Code::EACCES, Code::WSAEACCES),
            Fault::Reset => p.pick(Code::ECONNRESET, Code::WSAECONNRESET),
        }
    }

    /// Record a network event for WSAEventSelect and post a WSAAsyncSelect message.
    fn fd_event(&mut self, i: usize, ev: FdEvents, error: Option<Code>) {
        let s = &mut self.socks[i];
        if s.event_select.contains(ev) {
            s.recorded.retain(|(e, _)| *e != ev);
            s.recorded.push((ev, error));
            self.notes.push(Notification::NetworkEvent { sock: s.name.clone(), event: ev, error, at: self.now });
        }
        let s = &self.socks[i];
        if s.async_select.contains(ev) {
            self.notes.push(Notification::WindowMessage { sock: s.name.clone(), event: ev, error, at: self.now });
        }
    }

    fn readiness_changed(&mut self, i: usize) {
        if !self.p.winsock {
            let bits = self.poll_bits(i);
            let name = self.socks[i].name.clone();
            self.notes.push(Notification::Readiness { sock: name, bits, at: self.now });
        }
    }

    fn finish_handshake(&mut self, i: usize, result: Result<(), Fault>, facts: &dyn Facts) {
        let name = self.socks[i].name.clone();
        match result {
            Ok(()) => {
                let peer = self.socks[i].peer;
                self.socks[i].success_unreported = true;
                self.socks[i].connected_at = Some(self.now);
                self.set_state(i, State::Connected, Cause::Net("handshake completed".into()), None);
                // Both ends on this host: queue the server side on the listener.
                if let Some(peer) = peer {
                    if let Some(l) = self.find_listener(peer) {
                        self.enqueue_accept(l, i);
                    } else if let TcpFact::Accepts { reset_after: Some(d), .. } = facts.tcp(peer) {
                        let attempt = self.socks[i].attempt;
                        self.schedule(self.now.saturating_add(d), Timer::Reset { sock: i, attempt });
                    }
                }
                if let Some(data) = self.socks[i].overlapped.take() {
                    let bytes = data.len() as u32;
                    self.notes.push(Notification::Completion {
                        sock: name.clone(),
                        op: "ConnectEx".into(),
                        error: None,
                        bytes,
                        at: self.now,
                    });
                } else {
                    self.fd_event(i, FdEvents::CONNECT, None);
                    // FD_WRITE is recorded when a socket is first connected (WSAEventSelect doc).
                    self.fd_event(i, FdEvents::WRITE, None);
                }
                self.readiness_changed(i);
            }
            Err(f) => {
                let code = self.code(f);
                let s = &mut self.socks[i];
                s.so_error = Some(code);
                s.failure_reported = false;
                self.set_state(i, State::Failed, Cause::Net(fault_text(f).into()), Some(code));
                if self.socks[i].overlapped.take().is_some() {
                    self.notes.push(Notification::Completion {
                        sock: name,
                        op: "ConnectEx".into(),
                        error: Some(code),
                        bytes: 0,
                        at: self.now,
                    });
                } else {
                    self.fd_event(i, FdEvents::CONNECT, Some(code));
                }
                self.readiness_changed(i);
            }
        }
    }

    fn peer_reset(&mut self, i: usize) {
        let code = self.code(Fault::Reset);
        let s = &mut self.socks[i];
        s.reset = true;
        s.so_error = Some(code);
        let name = s.name.clone();
        // The API state stays `connected`: connect() still answers EISCONN (LINUX_TRUTH 10c).
        self.trans.push(Transition {
            sock: name,
            from: State::Connected,
            to: State::Connected,
            cause: Cause::Net("reset by peer".into()),
            error: Some(code),
            at: self.now,
        });
        self.fd_event(i, FdEvents::CLOSE, Some(code));
        self.readiness_changed(i);
    }

    fn deliver_datagram(&mut self, i: usize, data: Vec<u8>, from: SocketAddr) {
        let s = &self.socks[i];
        if s.state == State::Closed {
            return;
        }
        // A socket with a default peer only receives from that peer (both platforms; 7c).
        if s.state == State::Associated && s.peer.is_some_and(|p| !same_endpoint(p, from)) {
            return;
        }
        self.socks[i].rx.push_back((data, from));
        self.fd_event(i, FdEvents::READ, None);
        self.readiness_changed(i);
    }

    fn enqueue_accept(&mut self, listener: usize, client: usize) {
        self.socks[listener].backlog.push_back(client);
        self.fd_event(listener, FdEvents::ACCEPT, None);
        self.readiness_changed(listener);
    }

    fn find_listener(&self, dst: SocketAddr) -> Option<usize> {
        self.listening.iter().copied().find(|&i| {
            self.socks[i]
                .local
                .is_some_and(|l| l.port() == dst.port() && (l.ip().is_unspecified() || same_ip(l.ip(), dst.ip())))
        })
    }

    fn find_udp(&self, dst: SocketAddr) -> Option<usize> {
        self.socks.iter().position(|s| {
            s.proto == Proto::Udp
                && s.state != State::Closed
                && s.local
                    .is_some_and(|l| l.port() == dst.port() && (l.ip().is_unspecified() || same_ip(l.ip(), dst.ip())))
        })
    }
}

fn fault_text(f: Fault) -> &'static str {
    match f {
        Fault::Refused => "reset (connection refused)",
        Fault::TimedOut => "no answer: connect timed out",
        Fault::NetUnreach => "network unreachable",
        Fault::HostUnreach => "host unreachable",
        Fault::Access => "access denied",
        Fault::Reset => "reset by peer",
    }
}

/// Compare addresses, treating `::ffff:a.b.c.d` and `a.b.c.d` as the same host.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canon(a) == canon(b)
}

fn canon(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        v4 => v4,
    }
}

fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && same_ip(a.ip(), b.ip())
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
            SockRef::Name(n) => match self.names.get(n) {
                Some(&i) if self.socks[i].state != State::Closed => Ok(i),
                _ => Err(self.not_a_socket()),
            },
        }
    }

    fn dispatch(&mut self, call: &Call, facts: &dyn Facts) -> Out {
        if self.p.winsock && self.started == 0 && !matches!(call, Call::WsaStartup { .. }) {
            let out = Out::err(r::NOT_INITIALISED, Code::WSANOTINITIALISED);
            return match call {
                Call::Socket { .. } | Call::Accept { .. } => Out { ret: Ret::Handle(None), ..out },
                Call::Connect { api: ConnectApi::ConnectEx { .. }, .. } => Out { ret: Ret::Bool(false), ..out },
                _ => out,
            };
        }
        let res = match call {
            Call::WsaStartup { major, minor } => Ok(self.wsa_startup(*major, *minor)),
            Call::WsaCleanup => Ok(self.wsa_cleanup()),
            Call::Socket { proto, family, name } => Ok(self.socket(*proto, *family, name)),
            Call::Fionbio { sock, on } => self.sock(sock).map(|i| self.fionbio(i, *on)),
            Call::SetSockOpt { sock, opt, value } => self.sock(sock).map(|i| self.setsockopt(i, *opt, *value)),
            Call::GetSockOpt { sock, opt } => self.sock(sock).map(|i| self.getsockopt(i, *opt)),
            Call::Bind { sock, addr } => self.sock(sock).map(|i| self.bind(i, addr, facts)),
            Call::Listen { sock, backlog } => self.sock(sock).map(|i| self.listen(i, *backlog)),
            Call::Accept { sock, name } => self.sock(sock).map(|i| self.accept(i, name, facts)),
            Call::Connect { sock, addr, api } => self.sock(sock).map(|i| self.connect(i, addr, api, facts)),
            Call::Select { read, write, except, timeout } => Ok(self.select(read, write, except, *timeout, facts)),
            Call::Poll { socks, timeout } => Ok(self.poll(socks, *timeout, facts)),
            Call::Epoll { socks, timeout } => Ok(self.epoll(socks, *timeout, facts)),
            Call::WsaEventSelect { sock, events } => self.sock(sock).map(|i| self.event_select(i, *events, false)),
            Call::WsaAsyncSelect { sock, events } => self.sock(sock).map(|i| self.event_select(i, *events, true)),
            Call::WsaEnumNetworkEvents { sock } => self.sock(sock).map(|i| self.enum_events(i)),
            Call::GetSockName { sock } => self.sock(sock).map(|i| self.getsockname(i)),
            Call::GetPeerName { sock } => self.sock(sock).map(|i| self.getpeername(i)),
            Call::Send { sock, data } => self.sock(sock).map(|i| self.send(i, None, data, facts)),
            Call::SendTo { sock, addr, data } => self.sock(sock).map(|i| self.send(i, Some(addr), data, facts)),
            Call::Recv { sock } => self.sock(sock).map(|i| self.recv(i, false, facts)),
            Call::RecvFrom { sock } => self.sock(sock).map(|i| self.recv(i, true, facts)),
            Call::Shutdown { sock, how } => self.sock(sock).map(|i| self.shutdown(i, *how)),
            Call::Close { sock } => self.sock(sock).map(|i| self.close(i)),
            Call::Alarm { after } => Ok(self.set_alarm(*after)),
        };
        res.unwrap_or_else(|e| e)
    }

    // ----- alarm -----

    fn set_alarm(&mut self, after: Duration) -> Out {
        if self.p.winsock && self.p.ws2 {
            return Out::na(
                r::ALARM,
                "Winsock 2 has no WSACancelBlockingCall: nothing can interrupt a blocking connect (it runs to its outcome)",
            );
        }
        self.alarm = Some(self.now.saturating_add(after));
        Out::ok(r::ALARM)
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

    // ----- WSAStartup / WSACleanup -----

    fn wsa_startup(&mut self, major: u8, minor: u8) -> Out {
        if !self.p.winsock {
            return Out::na(r::POSIX_NO_STARTUP, "POSIX sockets need no initialisation");
        }
        if major == 0 || (major == 1 && minor == 0) {
            return Out {
                ret: Ret::Int(Code::WSAVERNOTSUPPORTED.number() as i64),
                ..Out::err(r::STARTUP, Code::WSAVERNOTSUPPORTED)
            };
        }
        self.started += 1;
        Out::ok(r::STARTUP)
    }

    fn wsa_cleanup(&mut self) -> Out {
        if !self.p.winsock {
            return Out::na(r::POSIX_NO_STARTUP, "POSIX sockets need no clean-up");
        }
        self.started -= 1;
        if self.started == 0 {
            // The last WSACleanup closes every socket the application still has open.
            for i in 0..self.socks.len() {
                if self.socks[i].state != State::Closed {
                    self.set_state(i, State::Closed, Cause::Call("WSACleanup".into()), None);
                }
            }
        }
        Out::ok(r::STARTUP)
    }

    // ----- socket, options -----

    fn socket(&mut self, proto: Proto, family: Family, name: &str) -> Out {
        if family == Family::V6 && !self.p.ipv6 {
            return Out { ret: Ret::Handle(None), ..Out::err(r::WS1_NO_IPV6, Code::WSAEAFNOSUPPORT) };
        }
        let handle = self.next_handle;
        self.next_handle += if self.p.winsock { 4 } else { 1 };
        let state = State::Unbound;
        let sock = Sock {
            name: name.to_string(),
            handle,
            proto,
            family,
            state,
            nonblocking: false,
            opts: Opts { v6only: family == Family::V6 && self.p.v6only_default, ..Opts::default() },
            local: None,
            port_explicit: false,
            peer: None,
            so_error: None,
            failure_reported: false,
            success_unreported: false,
            attempt: 0,
            serial: next_serial(&mut self.serials),
            overlapped: None,
            via_connectex: false,
            context_updated: false,
            connected_at: None,
            event_select: FdEvents::empty(),
            async_select: FdEvents::empty(),
            recorded: Vec::new(),
            rx: VecDeque::new(),
            backlog: VecDeque::new(),
            backlog_max: 0,
            partner: None,
            shut_rd: false,
            shut_wr: false,
            peer_closed: false,
            reset: false,
            icmp: None,
            disconnected: false,
            indeterminate: false,
        };
        let i = match self.free.pop() {
            Some(slot) => {
                self.socks[slot] = sock;
                slot
            }
            None => {
                self.socks.push(sock);
                self.socks.len() - 1
            }
        };
        self.created = i;
        self.names.insert(name.to_string(), i);
        self.closed_names.remove(name);
        self.trans.push(Transition {
            sock: name.to_string(),
            from: State::Closed,
            to: State::Unbound,
            cause: Cause::Call("socket".into()),
            error: None,
            at: self.now,
        });
        Out { ret: Ret::Handle(Some(handle)), ..Out::ok(r::SOCKET) }
    }

    fn fionbio(&mut self, i: usize, on: bool) -> Out {
        let s = &mut self.socks[i];
        if self.p.winsock && !on && !(s.event_select.is_empty() && s.async_select.is_empty()) {
            // ioctlsocket doc: FIONBIO cannot clear nonblocking mode while WSAAsyncSelect or
            // WSAEventSelect is active.
            return Out::err(r::FIONBIO_AFTER_SELECT, Code::WSAEINVAL);
        }
        s.nonblocking = on;
        Out::ok(r::FIONBIO)
    }

    /// The answer when this personality has no such option at all (for get and set alike).
    fn missing_option(&self, opt: SockOpt) -> Option<Out> {
        let p = self.p;
        match opt {
            SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT if p.winsock => {
                Some(Out::err(r::OPT_LINUX_ONLY, Code::WSAENOPROTOOPT))
            }
            SockOpt::TCP_MAXRT if !p.winsock => {
                Some(Out::na(r::OPT_WINDOWS_ONLY, "Linux has no TCP_MAXRT; closest: TCP_USER_TIMEOUT or TCP_SYNCNT"))
            }
            SockOpt::SO_CONNECT_TIME if !p.winsock => {
                Some(Out::na(r::CONNECTEX_LINUX, "Linux has no SO_CONNECT_TIME; closest: TCP_INFO (tcpi_state)"))
            }
            SockOpt::SO_UPDATE_CONNECT_CONTEXT if !p.winsock => Some(Out::na(
                r::CONNECTEX_LINUX,
                "Linux has no SO_UPDATE_CONNECT_CONTEXT: a connected socket is complete",
            )),
            // Windows extensions a Winsock 1.1 application does not see.
            SockOpt::TCP_MAXRT | SockOpt::SO_CONNECT_TIME | SockOpt::SO_UPDATE_CONNECT_CONTEXT if !p.ws2 => {
                Some(Out::err(r::OPT_WINDOWS_ONLY, Code::WSAENOPROTOOPT))
            }
            _ => None,
        }
    }

    fn setsockopt(&mut self, i: usize, opt: SockOpt, value: i64) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        let p = self.p;
        let s = &mut self.socks[i];
        let on = value != 0;
        match opt {
            SockOpt::SO_BROADCAST => s.opts.broadcast = on,
            SockOpt::SO_REUSEADDR => s.opts.reuseaddr = on,
            SockOpt::SO_KEEPALIVE => s.opts.keepalive = on,
            SockOpt::SO_LINGER => s.opts.linger = value,
            SockOpt::SO_SNDTIMEO => s.opts.sndtimeo_ms = value,
            SockOpt::TCP_NODELAY => s.opts.nodelay = on,
            SockOpt::SO_ERROR | SockOpt::SO_CONNECT_TIME => {
                // Read-only options.
                return Out::err(r::OPT_READONLY, p.pick(Code::ENOPROTOOPT, Code::WSAENOPROTOOPT));
            }
            SockOpt::TCP_SYNCNT | SockOpt::TCP_USER_TIMEOUT => {
                if s.proto != Proto::Tcp {
                    return Out::err(r::OPT_LINUX_ONLY, Code::EOPNOTSUPP);
                }
                if opt == SockOpt::TCP_SYNCNT {
                    if !(1..=127).contains(&value) {
                        return Out::err(r::OPT_LINUX_ONLY, Code::EINVAL);
                    }
                    s.opts.syncnt = Some(value);
                } else {
                    s.opts.user_timeout_ms = if value > 0 { Some(value) } else { None };
                }
            }
            SockOpt::TCP_MAXRT => s.opts.maxrt_s = if value >= 0 { Some(value) } else { None },
            SockOpt::IPV6_V6ONLY => {
                if s.family != Family::V6 {
                    return Out::err(r::V6ONLY, p.pick(Code::ENOPROTOOPT, Code::WSAEINVAL));
                }
                if s.state != State::Unbound && p.winsock {
                    return Out::err(r::V6ONLY, Code::WSAEINVAL);
                }
                s.opts.v6only = on;
            }
            SockOpt::SO_UPDATE_CONNECT_CONTEXT => {
                if !(s.via_connectex && s.state == State::Connected) {
                    return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                        .note("only meaningful on a socket connected by ConnectEx (socklab's reading of the docs)");
                }
                s.context_updated = true;
                return Out::ok(r::UPDATE_CONTEXT);
            }
        }
        Out::ok(r::SETSOCKOPT)
    }

    fn getsockopt(&mut self, i: usize, opt: SockOpt) -> Out {
        if let Some(out) = self.missing_option(opt) {
            return out;
        }
        let p = self.p;
        let now = self.now;
        let s = &mut self.socks[i];
        let v = |value: i64| Out::val(r::GETSOCKOPT, Value::Int { value });
        match opt {
            SockOpt::SO_ERROR => {
                let e = s.so_error;
                if p.so_error_clears {
                    // Linux: once the error is consumed here, the next connect answers
                    // ECONNABORTED before it retries (LINUX_TRUTH 3d).
                    s.so_error = None;
                    Out::val(r::SO_ERROR_CLEARS, Value::Error { error: e })
                } else {
                    Out::val(r::SO_ERROR_STAYS, Value::Error { error: e })
                }
            }
            SockOpt::SO_CONNECT_TIME => match (s.state, s.connected_at) {
                (State::Connected, Some(t)) => {
                    Out::val(r::CONNECT_TIME, Value::Int { value: (now - t).as_secs() as i64 })
                }
                _ => Out::val(r::CONNECT_TIME, Value::Int { value: 0xFFFF_FFFF }),
            },
            SockOpt::SO_BROADCAST => v(s.opts.broadcast as i64),
            SockOpt::SO_REUSEADDR => v(s.opts.reuseaddr as i64),
            SockOpt::SO_KEEPALIVE => v(s.opts.keepalive as i64),
            SockOpt::SO_LINGER => v(s.opts.linger),
            SockOpt::SO_SNDTIMEO => v(s.opts.sndtimeo_ms),
            SockOpt::TCP_NODELAY => v(s.opts.nodelay as i64),
            SockOpt::TCP_SYNCNT => v(s.opts.syncnt.unwrap_or(6)),
            SockOpt::TCP_USER_TIMEOUT => v(s.opts.user_timeout_ms.unwrap_or(0)),
            SockOpt::TCP_MAXRT => v(s.opts.maxrt_s.unwrap_or(-1)),
            SockOpt::IPV6_V6ONLY => {
                if s.family != Family::V6 {
                    return Out::err(r::V6ONLY, p.pick(Code::ENOPROTOOPT, Code::WSAEINVAL));
                }
                Out::val(r::V6ONLY, Value::Int { value: s.opts.v6only as i64 })
            }
            SockOpt::SO_UPDATE_CONNECT_CONTEXT => {
                Out::err(r::OPT_READONLY, p.pick(Code::ENOPROTOOPT, Code::WSAENOPROTOOPT))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses, bind, listen, accept
// ---------------------------------------------------------------------------------------------

impl Host {
    /// Let virtual time pass inside a blocking call until `pred` holds or `limit` passes.
    fn block_until(&mut self, limit: Duration, facts: &dyn Facts, pred: impl Fn(&Host) -> bool) -> bool {
        let deadline = self.now.saturating_add(limit);
        loop {
            if pred(self) {
                return true;
            }
            match self.next_event() {
                Some(t) if t <= deadline => self.fire_next(facts),
                _ => {
                    self.now = deadline;
                    return pred(self);
                }
            }
        }
    }

    /// Check a `name`/`namelen` pair against the socket, the way each platform does.
    fn dest(&self, i: usize, arg: &SockAddrArg, facts: &dyn Facts) -> Result<Dest, Out> {
        let p = self.p;
        let s = &self.socks[i];
        let len = arg.effective_len();
        let inval = |rule| Err(Out::err(rule, p.pick(Code::EINVAL, Code::WSAEFAULT)));
        let addr = match &arg.kind {
            AddrKind::Null => {
                // 8h: a NULL name pointer.
                let code = if p.winsock {
                    Code::WSAEFAULT
                } else if len == 0 {
                    Code::EINVAL
                } else {
                    Code::EFAULT
                };
                return Err(Out::err(r::ADDR_NULL, code));
            }
            AddrKind::Unspec => {
                if p.winsock {
                    return Err(Out::err(r::UNSPEC_WINSOCK, Code::WSAEAFNOSUPPORT));
                }
                if len < 2 {
                    return inval(r::ADDR_SHORT);
                }
                return Ok(Dest::Unspec);
            }
            AddrKind::Target(t) => match facts.resolve(*t, s.family) {
                Some(a) => a,
                None => return Err(Out::err(r::ADDR_FAMILY, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT))),
            },
            AddrKind::Inet(a) => *a,
        };
        if !p.winsock && len > 128 {
            return inval(r::ADDR_SHORT); // 8e: longer than sockaddr_storage
        }
        match (s.family, Family::of(&addr)) {
            (Family::V4, Family::V4) => {
                if len < 16 {
                    return inval(r::ADDR_SHORT); // 8d: EINVAL vs WSAEFAULT
                }
                Ok(Dest::Inet(addr))
            }
            (Family::V4, Family::V6) => {
                if len < 16 {
                    return inval(r::ADDR_SHORT);
                }
                Err(Out::err(r::ADDR_FAMILY, p.pick(Code::EAFNOSUPPORT, Code::WSAEAFNOSUPPORT))) // 8c
            }
            (Family::V6, Family::V6) => {
                // Linux accepts 24 bytes (no scope id); Winsock's "namelen too small" is read
                // against sizeof(sockaddr_in6) = 28.
                if len < if p.winsock { 28 } else { 24 } {
                    return inval(r::ADDR_SHORT);
                }
                Ok(Dest::Inet(addr))
            }
            (Family::V6, Family::V4) => {
                if p.winsock {
                    return inval(r::ADDR_SHORT);
                }
                // 8f: length is checked before family on a TCP socket; 8g: a dual-stack UDP
                // socket maps a plain sockaddr_in to ::ffff:a.b.c.d.
                if s.proto == Proto::Tcp {
                    return inval(r::ADDR_SHORT);
                }
                if s.opts.v6only {
                    return Err(Out::err(r::ADDR_FAMILY, Code::EAFNOSUPPORT));
                }
                let IpAddr::V4(v4) = addr.ip() else { unreachable!("family checked") };
                Ok(Dest::Inet(SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port())))
            }
        }
    }

    fn alloc_port(&mut self, for_connect: bool) -> u16 {
        // LINUX_TRUTH 1d: connect() picked even ports, bind(port 0) odd ones.
        let linux = !self.p.winsock;
        let slot = if linux && !for_connect { &mut self.next_port_odd } else { &mut self.next_port_even };
        let port = *slot;
        *slot = slot.wrapping_add(if linux { 2 } else { 1 });
        if linux && for_connect {
            self.next_port_odd = self.next_port_odd.max(self.next_port_even.saturating_sub(1));
        } else if !linux {
            self.next_port_odd = self.next_port_even;
        }
        port
    }

    fn bind(&mut self, i: usize, arg: &SockAddrArg, facts: &dyn Facts) -> Out {
        let p = self.p;
        let addr = match self.dest(i, arg, facts) {
            Ok(Dest::Inet(a)) => a,
            Ok(Dest::Unspec) => return Out::err(r::BIND, Code::EAFNOSUPPORT),
            Err(e) => return e,
        };
        let s = &self.socks[i];
        if s.local.is_some() {
            return Out::err(r::BIND, p.pick(Code::EINVAL, Code::WSAEINVAL));
        }
        if !addr.ip().is_unspecified() && !facts.is_local(canon(addr.ip())) {
            return Out::err(r::BIND, p.pick(Code::EADDRNOTAVAIL, Code::WSAEADDRNOTAVAIL));
        }
        let proto = s.proto;
        let reuse = s.opts.reuseaddr;
        if addr.port() != 0 {
            let clash = self.socks.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.proto == proto
                    && o.state != State::Closed
                    && o.local.is_some_and(|l| {
                        l.port() == addr.port()
                            && (l.ip().is_unspecified() || addr.ip().is_unspecified() || same_ip(l.ip(), addr.ip()))
                    })
                    // Linux needs SO_REUSEADDR on both sockets (and no listener); Winsock on the
                    // new one.
                    && !(reuse && (p.winsock || (o.opts.reuseaddr && o.state != State::Listening)))
            });
            if clash {
                return Out::err(r::BIND, p.pick(Code::EADDRINUSE, Code::WSAEADDRINUSE));
            }
        }
        let port = if addr.port() == 0 { self.alloc_port(false) } else { addr.port() };
        let s = &mut self.socks[i];
        s.local = Some(SocketAddr::new(addr.ip(), port));
        s.port_explicit = addr.port() != 0;
        let to = if proto == Proto::Tcp { State::Bound } else { State::Unassociated };
        self.set_state(i, to, Cause::Call("bind".into()), None);
        Out::ok(r::BIND)
    }

    fn listen(&mut self, i: usize, backlog: i32) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        if s.proto == Proto::Udp {
            return Out::err(r::LISTEN, p.pick(Code::EOPNOTSUPP, Code::WSAEOPNOTSUPP));
        }
        match s.state {
            State::Listening => {
                self.socks[i].backlog_max = backlog.max(0) as usize;
                return Out::ok(r::LISTEN);
            }
            State::Connected | State::Pending => return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEISCONN)),
            State::Failed => return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEINVAL)),
            State::Unbound if p.winsock => return Out::err(r::LISTEN, Code::WSAEINVAL),
            State::Unbound => {
                // Linux binds an unbound socket to a free port on listen.
                let family = s.family;
                let port = self.alloc_port(false);
                let any = match family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                };
                self.socks[i].local = Some(SocketAddr::new(any, port));
            }
            State::Bound => {}
            State::Unassociated | State::Associated | State::Closed => {
                return Out::err(r::LISTEN, p.pick(Code::EINVAL, Code::WSAEINVAL));
            }
        }
        self.socks[i].backlog_max = backlog.max(0) as usize;
        self.set_state(i, State::Listening, Cause::Call("listen".into()), None);
        Out::ok(r::LISTEN)
    }

    fn accept(&mut self, i: usize, name: &str, facts: &dyn Facts) -> Out {
        let p = self.p;
        if self.socks[i].state != State::Listening {
            return Out { ret: Ret::Handle(None), ..Out::err(r::ACCEPT, p.pick(Code::EINVAL, Code::WSAEINVAL)) };
        }
        if self.socks[i].backlog.is_empty() {
            if self.socks[i].nonblocking {
                return Out {
                    ret: Ret::Handle(None),
                    ..Out::err(r::ACCEPT, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK))
                };
            }
            if !self.block_until(BLOCK_LIMIT, facts, |h| !h.socks[i].backlog.is_empty()) {
                return Out {
                    ret: Ret::Handle(None),
                    ..Out::err(r::ACCEPT, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK))
                }
                .note("nothing ever connected: a real accept would block forever");
            }
        }
        let Some(client) = self.socks[i].backlog.pop_front() else { return Out::err(r::ACCEPT, Code::EINVAL) };
        let listener = self.socks[i].clone();
        let out = self.socket(listener.proto, listener.family, name);
        let j = self.created;
        let client_local = self.socks[client].local;
        let client_peer = self.socks[client].peer;
        let a = &mut self.socks[j];
        a.local = client_peer.or(listener.local);
        a.peer = client_local;
        a.partner = Some(client);
        a.connected_at = Some(self.now);
        // Winsock: the accepted socket inherits WSAAsyncSelect/WSAEventSelect registrations.
        if p.winsock {
            a.event_select = listener.event_select;
            a.async_select = listener.async_select;
            a.nonblocking = listener.nonblocking;
        }
        self.socks[client].partner = Some(j);
        self.set_state(j, State::Connected, Cause::Call("accept".into()), None);
        Out { rule: r::ACCEPT, ..out }
    }
}

// ---------------------------------------------------------------------------------------------
// connect, WSAConnect, ConnectEx
// ---------------------------------------------------------------------------------------------

impl Host {
    fn connect(&mut self, i: usize, arg: &SockAddrArg, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let mut note = None;
        match api {
            ConnectApi::Connect => {}
            ConnectApi::WsaConnect { caller_data, sqos, gqos } => {
                if !p.winsock {
                    if caller_data.is_some() || *sqos || *gqos {
                        return Out::na(
                            r::WSACONNECT_LINUX,
                            "Linux has no connect data and no per-connect QoS; the closest call is plain connect(2)",
                        );
                    }
                    note = Some("Linux has no WSAConnect: answered as connect(2)".to_string());
                } else if !p.ws2 {
                    return self.na_ws2("WSAConnect");
                } else {
                    let s = &self.socks[i];
                    if *gqos {
                        return Out::err(r::WSACONNECT_QOS, Code::WSAEINVAL);
                    }
                    if s.proto == Proto::Tcp {
                        if caller_data.is_some() {
                            // TCP/IP on Windows does not carry connect data.
                            return Out::err(r::WSACONNECT_DATA, Code::WSAEPROTONOSUPPORT);
                        }
                        if *sqos {
                            return Out::err(r::WSACONNECT_QOS, Code::WSAEOPNOTSUPP);
                        }
                    }
                }
            }
            ConnectApi::ConnectEx { .. } => {
                if !p.winsock {
                    return Out::na(
                        r::CONNECTEX_LINUX,
                        "Linux has no ConnectEx; the closest is TCP Fast Open: sendto(MSG_FASTOPEN) on an \
                         unconnected socket, or TCP_FASTOPEN_CONNECT then connect(2) and send(2)",
                    );
                }
                if !p.ws2 {
                    return self.na_ws2("ConnectEx");
                }
            }
        }
        let dest = match self.dest(i, arg, facts) {
            Ok(d) => d,
            Err(e) => return as_api(api, e),
        };
        let out = match self.socks[i].proto {
            Proto::Tcp => self.tcp_connect(i, dest, api, facts),
            Proto::Udp => self.udp_connect(i, dest, api, facts),
        };
        let out = as_api(api, out);
        match (note, out.note.is_none()) {
            (Some(n), true) => out.note(n),
            _ => out,
        }
    }

    fn tcp_connect(&mut self, i: usize, dest: Dest, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let connectex = matches!(api, ConnectApi::ConnectEx { .. });
        let dst = match dest {
            Dest::Unspec => return self.linux_unspec_tcp(i),
            Dest::Inet(a) => a,
        };
        let s = &self.socks[i];
        if s.indeterminate {
            return Out::err(r::WS1_CANCELLED, Code::WSAEINVAL);
        }
        match s.state {
            State::Closed => return self.not_a_socket(),
            State::Listening => {
                // 8a: a listening socket cannot connect.
                return Out::err(r::CONNECT_LISTENING, p.pick(Code::EISCONN, Code::WSAEINVAL));
            }
            State::Connected => {
                if !p.winsock && s.success_unreported {
                    // 2b/2e: the first connect after a nonblocking handshake completed reports
                    // the success (sock->state moves from SS_CONNECTING to SS_CONNECTED).
                    self.socks[i].success_unreported = false;
                    return Out::ok(r::LINUX_ONCE_ZERO);
                }
                return Out::err(r::ISCONN, p.pick(Code::EISCONN, Code::WSAEISCONN));
            }
            State::Pending => {
                if !p.winsock {
                    if s.nonblocking {
                        return Out::err(r::PENDING_AGAIN, Code::EALREADY); // 4a
                    }
                    // 13d / 4d: a blocking connect while one is in progress waits for it.
                    return self.linux_wait_pending(i, Code::EALREADY, facts);
                }
                if s.overlapped.is_some() || connectex {
                    return Out::err(r::PENDING_AGAIN, Code::WSAEALREADY);
                }
                let out = Out::err(r::PENDING_AGAIN, p.pending_again);
                return if p.id == PersonalityId::Windows {
                    out.note(
                        "real Windows sometimes answers WSAEINVAL here, depending on timing (libwebsockets PR #2715)",
                    )
                } else {
                    out
                };
            }
            State::Failed if !p.winsock => {
                // 3d: Linux reports the failure once more before it starts a new attempt.
                if let Some(e) = self.socks[i].so_error.take() {
                    self.socks[i].success_unreported = false;
                    self.socks[i].failure_reported = true;
                    return Out::err(r::LINUX_FAILED_REPORT, e);
                }
                if !self.socks[i].failure_reported {
                    self.socks[i].failure_reported = true;
                    return Out::err(r::LINUX_FAILED_REPORT, Code::ECONNABORTED);
                }
            }
            State::Unbound if connectex => {
                return Out::err(r::CONNECTEX_UNBOUND, Code::WSAEINVAL);
            }
            State::Failed | State::Unbound | State::Bound | State::Unassociated | State::Associated => {}
        }
        self.tcp_attempt(i, dst, api, facts)
    }

    /// A new handshake.
    fn tcp_attempt(&mut self, i: usize, dst: SocketAddr, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        let connectex = matches!(api, ConnectApi::ConnectEx { .. });
        let mut dst = dst;
        if dst.ip().is_unspecified() || canon(dst.ip()).is_unspecified() {
            if p.winsock {
                // 5a/5b: the all-zero address is not a valid destination.
                return Out::err(r::ZERO_ADDR_TCP, Code::WSAEADDRNOTAVAIL);
            }
            // 5a/5b: Linux treats INADDR_ANY / in6addr_any as this host.
            dst = SocketAddr::new(loopback_like(dst.ip()), dst.port());
        }
        if dst.port() == 0 && p.winsock {
            return Out::err(r::PORT_ZERO_WINSOCK, Code::WSAEADDRNOTAVAIL);
        }
        let ip = canon(dst.ip());
        if ip.is_multicast() || is_broadcast(ip, facts) {
            // 6e: TCP to a broadcast or multicast address fails at once.
            return Out::err(r::TCP_BROADCAST, p.pick(Code::ENETUNREACH, Code::WSAENETUNREACH));
        }
        let source = match facts.route(ip) {
            RouteFact::Ok { source, .. } => source,
            RouteFact::NoRoute => return Out::err(r::ROUTE_SYNC, self.code(Fault::NetUnreach)),
            RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
            RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
        };
        // Implicit bind (1d), or fill in the source address of a wildcard bind.
        let local = match self.socks[i].local {
            Some(l) if !l.ip().is_unspecified() => l,
            Some(l) => SocketAddr::new(family_ip(source, self.socks[i].family), l.port()),
            None => {
                let port = self.alloc_port(true);
                SocketAddr::new(family_ip(source, self.socks[i].family), port)
            }
        };
        // 16: two sockets may share a local address (only an explicit bind can make them), but
        // not the same 4-tuple.
        let dup = self.socks[i].port_explicit
            && self.socks.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.proto == Proto::Tcp
                    && matches!(o.state, State::Pending | State::Connected)
                    && o.local.is_some_and(|l| same_endpoint(l, local))
                    && o.peer.is_some_and(|pp| same_endpoint(pp, dst))
            });
        if dup {
            return Out::err(r::FOUR_TUPLE, p.pick(Code::EADDRNOTAVAIL, Code::WSAEADDRINUSE));
        }
        // What the network does with the SYN.
        let result_at: (Result<(), Fault>, Duration) = if same_endpoint(local, dst) {
            // 12a: simultaneous open with itself.
            (Ok(()), Duration::ZERO)
        } else if let Some(l) = self.find_listener(dst) {
            let full = self.socks[l].backlog.len() > self.socks[l].backlog_max;
            if !full {
                (Ok(()), Duration::ZERO)
            } else if p.winsock {
                // listen doc: a full queue refuses further connection requests.
                (Err(Fault::Refused), p.refused_retry)
            } else {
                (Err(Fault::TimedOut), self.syn_timeout(i))
            }
        } else {
            match facts.tcp(dst) {
                TcpFact::Accepts { after, .. } => (Ok(()), after),
                TcpFact::Refused { after } => {
                    let total = after + p.refused_retry;
                    match self.maxrt(i) {
                        // A TCP_MAXRT shorter than the retries wins (nmap/nmap #2113).
                        Some(m) if p.id == PersonalityId::Windows && m < total => (Err(Fault::TimedOut), m),
                        _ => (Err(Fault::Refused), total),
                    }
                }
                TcpFact::Silent => (Err(Fault::TimedOut), self.syn_timeout(i)),
                TcpFact::NoArpReply { after } => (Err(Fault::HostUnreach), after),
            }
        };
        let s = &mut self.socks[i];
        s.local = Some(local);
        s.peer = Some(dst);
        s.attempt = next_serial(&mut self.serials);
        s.so_error = None;
        s.failure_reported = false;
        s.success_unreported = false;
        s.reset = false;
        s.via_connectex = connectex;
        s.context_updated = false;
        s.connected_at = None;
        s.overlapped = match api {
            ConnectApi::ConnectEx { send } => Some(send.clone().unwrap_or_default()),
            _ => None,
        };
        let attempt = s.attempt;
        let nonblocking = s.nonblocking;
        let sndtimeo = s.opts.sndtimeo_ms;
        let (result, after) = result_at;
        self.set_state(i, State::Pending, Cause::Call(api.name().into()), None);
        self.schedule(self.now.saturating_add(after), Timer::Handshake { sock: i, attempt, result });
        if connectex {
            // ConnectEx always completes through the OVERLAPPED structure.
            return Out { ret: Ret::Bool(false), ..Out::err(r::CONNECTEX_PENDING, Code::WSA_IO_PENDING) };
        }
        if nonblocking {
            return Out::err(r::NONBLOCKING_PENDING, p.pick(Code::EINPROGRESS, Code::WSAEWOULDBLOCK));
        }
        if !p.winsock {
            self.socks[i].success_unreported = false;
            if sndtimeo > 0 {
                return self.linux_wait_pending(i, Code::EINPROGRESS, facts);
            }
        }
        // A blocking connect returns when the outcome is known (or when the alarm cuts it short
        // where something can).
        let (_, interrupted) = self.block_connect(i, BLOCK_LIMIT, facts);
        if interrupted {
            return self.interrupted(i);
        }
        self.blocking_result(i)
    }

    /// Linux: a blocking connect waits (bounded by SO_SNDTIMEO) for the attempt in progress.
    fn linux_wait_pending(&mut self, i: usize, on_timeout: Code, facts: &dyn Facts) -> Out {
        let limit = match self.socks[i].opts.sndtimeo_ms {
            ms if ms > 0 => Duration::from_millis(ms as u64),
            _ => BLOCK_LIMIT,
        };
        let (done, interrupted) = self.block_connect(i, limit, facts);
        if interrupted {
            return self.interrupted(i);
        }
        if !done {
            // 4d: SO_SNDTIMEO bounds a blocking connect; the handshake carries on.
            return Out::err(r::LINUX_SNDTIMEO, on_timeout);
        }
        self.blocking_result(i)
    }

    fn blocking_result(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        match s.state {
            State::Connected => {
                s.success_unreported = false;
                Out::ok(r::BLOCKING)
            }
            State::Failed => {
                // The call itself reports the error; a retry may follow at once (3e).
                let e = s.so_error.take();
                s.failure_reported = true;
                Out::err(r::BLOCKING, e.unwrap_or(Code::ECONNABORTED))
            }
            _ => Out::err(r::BLOCKING, self.p.pick(Code::ETIMEDOUT, Code::WSAETIMEDOUT))
                .note("nothing answered within a day of virtual time"),
        }
    }

    fn syn_timeout(&self, i: usize) -> Duration {
        let s = &self.socks[i];
        if self.p.winsock {
            return self.maxrt(i).unwrap_or(self.p.syn_timeout);
        }
        if let Some(ms) = s.opts.user_timeout_ms {
            return Duration::from_millis(ms as u64); // 4c
        }
        match s.opts.syncnt {
            // n retries: 1 + 2 + 4 + ... + 2^n seconds (4b: TCP_SYNCNT=1 gives 3 s).
            Some(n) => Duration::from_secs((1u64 << (n.min(62) + 1)) - 1),
            None => self.p.syn_timeout,
        }
    }

    fn maxrt(&self, i: usize) -> Option<Duration> {
        self.socks[i].opts.maxrt_s.filter(|s| *s >= 0).map(|s| Duration::from_secs(s as u64))
    }

    /// 10d / 8b: Linux's `connect(AF_UNSPEC)` on a TCP socket.
    fn linux_unspec_tcp(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        s.attempt = next_serial(&mut self.serials);
        s.peer = None;
        s.so_error = None;
        s.success_unreported = false;
        s.backlog.clear();
        let partner = s.partner.take();
        let from = s.state;
        if from == State::Listening && !s.port_explicit {
            s.local = None;
        }
        if let Some(j) = partner {
            // The peer sees a reset.
            self.socks[j].partner = None;
            self.peer_reset(j);
        }
        if from != State::Unbound {
            let to = if self.socks[i].local.is_some() { State::Bound } else { State::Unbound };
            self.set_state(i, to, Cause::Call("connect(AF_UNSPEC)".into()), None);
        }
        Out::ok(r::UNSPEC_TCP)
    }

    fn udp_connect(&mut self, i: usize, dest: Dest, api: &ConnectApi, facts: &dyn Facts) -> Out {
        let p = self.p;
        if matches!(api, ConnectApi::ConnectEx { .. }) {
            return Out::err(r::CONNECTEX_DGRAM, Code::WSAEINVAL);
        }
        let dst = match dest {
            Dest::Unspec => {
                // 7f/7g: AF_UNSPEC dissolves the association; a kernel-chosen port is released.
                let s = &mut self.socks[i];
                s.peer = None;
                s.icmp = None;
                if !s.port_explicit {
                    s.local = None;
                }
                let to = if s.local.is_some() { State::Unassociated } else { State::Unbound };
                self.set_state(i, to, Cause::Call("connect(AF_UNSPEC)".into()), None);
                return Out::ok(r::UDP_UNSPEC);
            }
            Dest::Inet(a) => a,
        };
        let wsaconnect = matches!(api, ConnectApi::WsaConnect { .. });
        let mut dst = dst;
        if canon(dst.ip()).is_unspecified() {
            if p.winsock {
                if wsaconnect && dst.port() != 0 {
                    // WSAConnect disconnects only when the whole structure is zero.
                    return Out::err(r::UDP_ZERO_WINSOCK, Code::WSAEADDRNOTAVAIL);
                }
                // 5d/5e: the zero address dissolves the association.
                let s = &mut self.socks[i];
                s.peer = None;
                s.disconnected = true;
                let to = if s.local.is_some() { State::Unassociated } else { State::Unbound };
                self.set_state(i, to, Cause::Call(format!("{} (zero address)", api.name()).into()), None);
                return Out::ok(r::UDP_ZERO_WINSOCK);
            }
            // 5d/5e: Linux connects to this host, even to port 0.
            dst = SocketAddr::new(loopback_like(dst.ip()), dst.port());
        }
        let source = match facts.route(canon(dst.ip())) {
            RouteFact::Ok { broadcast, source } => {
                if broadcast && !self.socks[i].opts.broadcast {
                    return Out::err(r::UDP_BROADCAST, p.pick(Code::EACCES, Code::WSAEACCES)); // 6a
                }
                source
            }
            RouteFact::NoRoute => return Out::err(r::ROUTE_SYNC, self.code(Fault::NetUnreach)),
            RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
            RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
        };
        let family = self.socks[i].family;
        if self.socks[i].local.is_none() {
            let port = self.alloc_port(true);
            self.socks[i].local = Some(SocketAddr::new(family_ip(source, family), port));
        }
        let s = &mut self.socks[i];
        let changed = s.peer.is_some_and(|old| !same_endpoint(old, dst));
        let mut rule = r::UDP_CONNECT;
        if changed && p.winsock && !s.rx.is_empty() {
            // Winsock docs: queued datagrams are discarded when the destination changes;
            // Linux keeps them (7d).
            s.rx.clear();
            rule = r::UDP_RECONNECT_DISCARDS;
        }
        s.peer = Some(dst);
        s.disconnected = false;
        s.icmp = None;
        self.set_state(i, State::Associated, Cause::Call(api.name().into()), None);
        Out::ok(rule)
    }
}

/// Give an answer the return type of the API that was called (ConnectEx returns BOOL).
fn as_api(api: &ConnectApi, out: Out) -> Out {
    match (api, out.ret) {
        (ConnectApi::ConnectEx { .. }, Ret::Int(v)) => Out { ret: Ret::Bool(v == 0 && out.error.is_none()), ..out },
        _ => out,
    }
}

fn loopback_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

/// The source address in the socket's family (a v4 source on a v6 socket is v4-mapped).
fn family_ip(source: IpAddr, family: Family) -> IpAddr {
    match (source, family) {
        (IpAddr::V4(v4), Family::V6) => IpAddr::V6(v4.to_ipv6_mapped()),
        (ip, _) => ip,
    }
}

fn is_broadcast(ip: IpAddr, facts: &dyn Facts) -> bool {
    matches!(facts.route(ip), RouteFact::Ok { broadcast: true, .. })
}

// ---------------------------------------------------------------------------------------------
// Readiness: select, WSAPoll/poll, WSAEventSelect, WSAAsyncSelect
// ---------------------------------------------------------------------------------------------

impl Host {
    /// (readable, writable, exceptional) as select() reports them.
    fn select_ready(&self, i: usize) -> (bool, bool, bool) {
        let s = &self.socks[i];
        let data = !s.rx.is_empty();
        if s.proto == Proto::Udp {
            return (data || s.icmp.is_some(), true, false);
        }
        let eof = s.reset || s.peer_closed;
        match (self.p.winsock, s.state) {
            // 1e: a never-connected socket is readable and writable on Linux (POLLOUT|POLLHUP).
            (false, State::Unbound | State::Bound) => (true, true, false),
            (true, State::Unbound | State::Bound) => (false, false, false),
            (_, State::Listening) => (!s.backlog.is_empty(), false, false),
            (_, State::Pending) => (false, false, false),
            (_, State::Connected) => (data || eof, true, false),
            // 3b: Linux reports a failed connect as readable and writable, never exceptional;
            // Winsock reports it in exceptfds only.
            (false, State::Failed) => (true, true, false),
            (true, State::Failed) => (false, false, true),
            (_, State::Unassociated | State::Associated | State::Closed) => (false, false, false),
        }
    }

    /// poll/epoll bits (Linux) or WSAPoll bits (Winsock), in Linux's bit layout.
    fn poll_bits(&self, i: usize) -> PollBits {
        let s = &self.socks[i];
        let mut b = PollBits(0);
        if !s.rx.is_empty() {
            b = b | PollBits::IN;
        }
        if s.proto == Proto::Udp {
            b = b | PollBits::OUT;
            if s.icmp.is_some() && (self.p.winsock || s.state == State::Associated) {
                b = b | PollBits::ERR;
            }
            return b;
        }
        let all_fail = PollBits::IN | PollBits::OUT | PollBits::ERR | PollBits::HUP | PollBits::RDHUP;
        match (self.p.winsock, s.state) {
            (false, State::Unbound | State::Bound) => PollBits::OUT | PollBits::HUP, // 1e
            (true, State::Unbound | State::Bound) => b,
            (_, State::Listening) => {
                if s.backlog.is_empty() {
                    b
                } else {
                    b | PollBits::IN
                }
            }
            (_, State::Pending) => b,
            (false, State::Connected) => {
                if s.reset {
                    // Peer reset: CLOSE state; ERR while the error is unread.
                    let base = PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP;
                    if s.so_error.is_some() { base | PollBits::ERR } else { base }
                } else if s.peer_closed {
                    b | PollBits::IN | PollBits::OUT | PollBits::RDHUP
                } else {
                    b | PollBits::OUT
                }
            }
            (true, State::Connected) => {
                if s.reset || s.peer_closed {
                    b | PollBits::HUP | PollBits::OUT
                } else {
                    b | PollBits::OUT
                }
            }
            // 3b/3c: ERR until SO_ERROR is read, then IN|OUT|HUP|RDHUP.
            (false, State::Failed) => {
                if s.so_error.is_some() {
                    all_fail
                } else {
                    PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP
                }
            }
            (true, State::Failed) => self.p.poll_failed,
            (_, State::Unassociated | State::Associated | State::Closed) => b,
        }
    }

    fn resolve_all(&self, refs: &[SockRef]) -> Result<Vec<usize>, Out> {
        refs.iter().map(|r| self.sock(r)).collect()
    }

    fn select(
        &mut self,
        read: &[SockRef],
        write: &[SockRef],
        except: &[SockRef],
        timeout: Option<Duration>,
        facts: &dyn Facts,
    ) -> Out {
        let p = self.p;
        if p.winsock && read.is_empty() && write.is_empty() && except.is_empty() {
            // select doc: at least one set must hold a socket (openpbs PR #571: also when the
            // sets are present but empty).
            return Out::err(r::SELECT_EMPTY, Code::WSAEINVAL);
        }
        let (rs, ws, es) = match (self.resolve_all(read), self.resolve_all(write), self.resolve_all(except)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
        };
        let sets = |h: &Host| -> (Vec<String>, Vec<String>, Vec<String>) {
            let pick = |ids: &[usize], k: usize| -> Vec<String> {
                ids.iter()
                    .filter(|&&i| {
                        let (r, w, e) = h.select_ready(i);
                        [r, w, e][k]
                    })
                    .map(|&i| h.socks[i].name.clone())
                    .collect()
            };
            (pick(&rs, 0), pick(&ws, 1), pick(&es, 2))
        };
        let any = |h: &Host| {
            rs.iter().any(|&i| h.select_ready(i).0)
                || ws.iter().any(|&i| h.select_ready(i).1)
                || es.iter().any(|&i| h.select_ready(i).2)
        };
        let limit = timeout.unwrap_or(BLOCK_LIMIT);
        let met = self.block_until(limit, facts, any);
        let (a, b, c) = sets(self);
        let n = (a.len() + b.len() + c.len()) as i64;
        let mut out = Out { ret: Ret::Int(n), ..Out::val(r::SELECT, Value::Select { read: a, write: b, except: c }) };
        if !met && timeout.is_none() {
            out = out.note("nothing became ready within a day of virtual time: a real select would still be waiting");
        }
        out
    }

    fn poll(&mut self, refs: &[SockRef], timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        let p = self.p;
        if p.winsock && !p.ws2 {
            return self.na_ws2("WSAPoll");
        }
        let ids = match self.resolve_all(refs) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let ready = |h: &Host| ids.iter().any(|&i| !h.poll_bits(i).is_empty());
        let met = self.block_until(timeout.unwrap_or(BLOCK_LIMIT), facts, ready);
        let revents: Vec<(String, PollBits)> =
            ids.iter().map(|&i| (self.socks[i].name.clone(), self.poll_bits(i))).collect();
        let n = revents.iter().filter(|(_, b)| !b.is_empty()).count() as i64;
        let mut out = Out { ret: Ret::Int(n), ..Out::val(r::POLL, Value::Poll { revents }) };
        if !met && timeout.is_none() {
            out = out.note("nothing became ready within a day of virtual time: a real poll would still be waiting");
        }
        if p.id == PersonalityId::Windows {
            out = out.note("modelled on Windows 10 2004 and later; earlier WSAPoll never reported a failed connect");
        }
        out
    }

    /// epoll on Linux: the same readiness as poll for these sockets (level-triggered), with
    /// the EPOLL names; Winsock has none.
    fn epoll(&mut self, refs: &[SockRef], timeout: Option<Duration>, facts: &dyn Facts) -> Out {
        if self.p.winsock {
            return Out::na(
                r::EPOLL,
                "Winsock has no epoll; the closest are WSAPoll, WSAEventSelect and I/O completion ports",
            );
        }
        let out = self.poll(refs, timeout, facts);
        let value = match out.value {
            Value::Poll { revents } => Value::Epoll { events: revents },
            v => v,
        };
        Out { rule: r::EPOLL, value, note: None, ..out }
    }

    fn event_select(&mut self, i: usize, events: FdEvents, async_msg: bool) -> Out {
        let p = self.p;
        if !p.winsock {
            let closest = if async_msg {
                "Linux has no window messages; the closest is epoll, or O_ASYNC with SIGIO"
            } else {
                "Linux has no WSAEventSelect; the closest is epoll_ctl + epoll_wait (see the readiness notifications)"
            };
            return Out::na(r::EVENTS_LINUX, closest);
        }
        if !p.ws2 && !async_msg {
            return self.na_ws2("WSAEventSelect");
        }
        let s = &mut self.socks[i];
        // Either registration cancels the other and clears the record; both make the socket
        // nonblocking (behaviour 15).
        s.recorded.clear();
        if async_msg {
            s.async_select = events;
            s.event_select = FdEvents::empty();
        } else {
            s.event_select = events;
            s.async_select = FdEvents::empty();
        }
        if !events.is_empty() {
            s.nonblocking = true;
        }
        // Conditions already true are recorded at once.
        let state = s.state;
        let has_data = !s.rx.is_empty();
        let backlog = !s.backlog.is_empty();
        if state == State::Connected || (s.proto == Proto::Udp && state != State::Unbound) {
            self.fd_event(i, FdEvents::WRITE, None);
        }
        if has_data {
            self.fd_event(i, FdEvents::READ, None);
        }
        if backlog {
            self.fd_event(i, FdEvents::ACCEPT, None);
        }
        Out::ok(if async_msg { r::ASYNC_SELECT } else { r::EVENT_SELECT })
    }

    fn enum_events(&mut self, i: usize) -> Out {
        let p = self.p;
        if !p.winsock {
            return Out::na(r::EVENTS_LINUX, "Linux has no WSAEnumNetworkEvents; the closest is epoll_wait");
        }
        if !p.ws2 {
            return self.na_ws2("WSAEnumNetworkEvents");
        }
        let rec = std::mem::take(&mut self.socks[i].recorded);
        let mut events = FdEvents::empty();
        for (e, _) in &rec {
            events |= *e;
        }
        Out::val(r::ENUM_EVENTS, Value::NetworkEvents { events, errors: rec })
    }
}

// ---------------------------------------------------------------------------------------------
// Names, data, shutdown, close
// ---------------------------------------------------------------------------------------------

impl Host {
    fn getsockname(&mut self, i: usize) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        let connected = matches!(s.state, State::Connected | State::Pending | State::Associated);
        match s.local {
            None if p.winsock => Out::err(r::GETSOCKNAME_UNBOUND, Code::WSAEINVAL), // 1b
            None => {
                // 1b: Linux answers the wildcard address and port 0.
                let any = match s.family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                };
                Out::val(r::GETSOCKNAME_UNBOUND, Value::Addr { addr: SocketAddr::new(any, 0) })
            }
            Some(l) if p.winsock && l.ip().is_unspecified() && !connected => {
                // 1c: bound to ADDR_ANY and not yet connected.
                Out::err(r::GETSOCKNAME_UNBOUND, Code::WSAEINVAL)
            }
            Some(l) => Out::val(r::GETSOCKNAME, Value::Addr { addr: l }),
        }
    }

    fn getpeername(&mut self, i: usize) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        let notconn = Out::err(r::GETPEERNAME, p.pick(Code::ENOTCONN, Code::WSAENOTCONN));
        if p.winsock && s.via_connectex && !s.context_updated && s.state == State::Connected {
            // SO_UPDATE_CONNECT_CONTEXT doc; cosmopolitan PR #1164, Nim #15022.
            return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_CONNECT_CONTEXT after ConnectEx before using getpeername");
        }
        match (s.state, s.peer) {
            (State::Connected, Some(peer)) => Out::val(r::GETPEERNAME, Value::Addr { addr: peer }),
            (State::Associated, Some(peer)) => {
                if !p.winsock && peer.port() == 0 {
                    // 5e: Linux reports ENOTCONN for a peer with port 0, yet sends go there.
                    return Out::err(r::LINUX_UDP_PORT0, Code::ENOTCONN);
                }
                Out::val(r::GETPEERNAME, Value::Addr { addr: peer })
            }
            _ => notconn,
        }
    }

    fn send(&mut self, i: usize, to: Option<&SockAddrArg>, data: &[u8], facts: &dyn Facts) -> Out {
        let len = data.len() as i64;
        if self.socks[i].proto == Proto::Tcp {
            return self.tcp_send(i, data, facts);
        }
        let p = self.p;
        let dst = match to {
            None => {
                if let (false, Some(f)) = (p.winsock, self.socks[i].icmp) {
                    if self.socks[i].state == State::Associated {
                        // 7h: the ICMP error of an earlier datagram, reported once.
                        self.socks[i].icmp = None;
                        return Out::err(r::UDP_ICMP, self.code(f));
                    }
                }
                match (self.socks[i].state, self.socks[i].peer) {
                    (State::Associated, Some(peer)) => peer,
                    // 7a/7f: no default destination.
                    _ => return Out::err(r::UDP_NO_PEER, p.pick(Code::EDESTADDRREQ, Code::WSAENOTCONN)),
                }
            }
            Some(arg) => {
                let a = match self.dest(i, arg, facts) {
                    Ok(Dest::Inet(a)) => a,
                    Ok(Dest::Unspec) => return Out::err(r::UDP_NO_PEER, Code::EAFNOSUPPORT),
                    Err(e) => return e,
                };
                let a = if canon(a.ip()).is_unspecified() && !p.winsock {
                    SocketAddr::new(loopback_like(a.ip()), a.port())
                } else {
                    a
                };
                match facts.route(canon(a.ip())) {
                    RouteFact::Ok { broadcast: true, .. } if !self.socks[i].opts.broadcast => {
                        return Out::err(r::UDP_BROADCAST, p.pick(Code::EACCES, Code::WSAEACCES));
                    }
                    RouteFact::Ok { .. } => {}
                    RouteFact::NoRoute => return Out::err(r::ROUTE_SYNC, self.code(Fault::NetUnreach)),
                    RouteFact::Unreachable => return Out::err(r::ROUTE_SYNC, self.code(Fault::HostUnreach)),
                    RouteFact::Prohibit => return Out::err(r::ROUTE_SYNC, self.code(Fault::Access)),
                }
                a
            }
        };
        if self.socks[i].local.is_none() {
            // Implicit bind by sendto.
            let src = match facts.route(canon(dst.ip())) {
                RouteFact::Ok { source, .. } => source,
                _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
            };
            let port = self.alloc_port(true);
            let fam = self.socks[i].family;
            self.socks[i].local = Some(SocketAddr::new(family_ip(src, fam), port));
            if self.socks[i].state == State::Unbound {
                self.set_state(i, State::Unassociated, Cause::Call("sendto (implicit bind)".into()), None);
            }
        }
        let from = self.socks[i].local.unwrap_or(dst);
        self.route_datagram(i, from, dst, data.to_vec(), facts);
        Out { ret: Ret::Int(len), ..Out::ok(r::SEND) }
    }

    fn route_datagram(&mut self, i: usize, from: SocketAddr, dst: SocketAddr, data: Vec<u8>, facts: &dyn Facts) {
        let associated = self.socks[i].state == State::Associated;
        let icmp_applies = self.p.winsock || associated;
        if let Some(j) = self.find_udp(dst) {
            let o = &self.socks[j];
            let filtered = o.state == State::Associated && o.peer.is_some_and(|pp| !same_endpoint(pp, from));
            if filtered {
                // 7c: no socket takes it; the sender gets ICMP port unreachable.
                if icmp_applies {
                    self.schedule(self.now, Timer::Icmp { sock: i, serial: self.socks[i].serial });
                }
            } else {
                self.schedule(self.now, Timer::Datagram { sock: j, serial: self.socks[j].serial, data, from });
            }
            return;
        }
        match facts.udp(dst) {
            UdpFact::Echo { after } => self.schedule(
                self.now.saturating_add(after),
                Timer::Datagram { sock: i, serial: self.socks[i].serial, data, from: dst },
            ),
            UdpFact::Swallowed => {}
            UdpFact::PortUnreachable { after } => {
                if icmp_applies {
                    self.schedule(
                        self.now.saturating_add(after),
                        Timer::Icmp { sock: i, serial: self.socks[i].serial },
                    );
                }
            }
        }
    }

    fn tcp_send(&mut self, i: usize, data: &[u8], facts: &dyn Facts) -> Out {
        let p = self.p;
        let len = data.len() as i64;
        if !p.winsock && self.socks[i].state == State::Pending {
            if self.socks[i].nonblocking {
                return Out::err(r::TCP_SEND, Code::EAGAIN);
            }
            self.block_until(BLOCK_LIMIT, facts, |h| h.socks[i].state != State::Pending);
        }
        let s = &mut self.socks[i];
        match s.state {
            State::Connected => {
                if s.reset {
                    if let Some(e) = s.so_error.take() {
                        return Out::err(r::TCP_SEND, e);
                    }
                    return Out::err(r::TCP_SEND, p.pick(Code::EPIPE, Code::WSAECONNRESET));
                }
                if s.shut_wr {
                    return Out::err(r::TCP_SEND, p.pick(Code::EPIPE, Code::WSAESHUTDOWN));
                }
                if let Some(j) = s.partner {
                    let from = s.local.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
                    self.schedule(
                        self.now,
                        Timer::Datagram { sock: j, serial: self.socks[j].serial, data: data.to_vec(), from },
                    );
                }
                Out { ret: Ret::Int(len), ..Out::ok(r::TCP_SEND) }
            }
            State::Failed if !p.winsock => {
                // 3e: the pending error first, then EPIPE.
                match s.so_error.take() {
                    Some(e) => Out::err(r::TCP_SEND, e),
                    None => Out::err(r::TCP_SEND, Code::EPIPE),
                }
            }
            _ if !p.winsock => Out::err(r::TCP_SEND, Code::EPIPE),
            _ => Out::err(r::TCP_SEND, Code::WSAENOTCONN),
        }
    }

    fn recv(&mut self, i: usize, with_from: bool, facts: &dyn Facts) -> Out {
        let p = self.p;
        let udp = self.socks[i].proto == Proto::Udp;
        // Errors reported before any data.
        {
            let s = &mut self.socks[i];
            if udp {
                if let Some(f) = s.icmp {
                    if p.winsock || s.state == State::Associated {
                        s.icmp = None;
                        // 7h: ECONNREFUSED (Linux, connected only) vs WSAECONNRESET.
                        let code = if p.winsock { Code::WSAECONNRESET } else { self.code(f) };
                        return Out::err(r::UDP_ICMP, code);
                    }
                }
                if p.winsock && s.disconnected && !with_from {
                    return Out::err(r::UDP_NO_PEER, Code::WSAENOTCONN);
                }
                if p.winsock && s.local.is_none() {
                    return Out::err(r::RECV, Code::WSAEINVAL);
                }
            } else {
                match s.state {
                    State::Connected | State::Pending => {}
                    State::Failed if !p.winsock && s.so_error.is_some() => {
                        let e = s.so_error.take();
                        return Out::err(r::RECV, e.unwrap_or(Code::ENOTCONN));
                    }
                    _ => return Out::err(r::RECV, p.pick(Code::ENOTCONN, Code::WSAENOTCONN)),
                }
                if s.state == State::Pending && p.winsock {
                    return Out::err(r::RECV, Code::WSAENOTCONN);
                }
            }
        }
        let ready = |h: &Host| {
            let s = &h.socks[i];
            !s.rx.is_empty() || s.reset || s.peer_closed || s.icmp.is_some() || s.state == State::Failed
        };
        if !ready(self) {
            if self.socks[i].nonblocking {
                return Out::err(r::RECV, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK));
            }
            if !self.block_until(BLOCK_LIMIT, facts, ready) {
                return Out::err(r::RECV, p.pick(Code::EAGAIN, Code::WSAEWOULDBLOCK))
                    .note("nothing arrived within a day of virtual time: a real recv would still be waiting");
            }
            return self.recv(i, with_from, facts);
        }
        let s = &mut self.socks[i];
        if let Some((data, from)) = s.rx.pop_front() {
            let n = data.len() as i64;
            return Out {
                ret: Ret::Int(n),
                ..Out::val(r::RECV, Value::Data { data, from: with_from.then_some(from) })
            };
        }
        if s.reset {
            // 10c: the reset is reported once, then end of stream (Linux).
            if let Some(e) = s.so_error.take() {
                return Out::err(r::RECV, e);
            }
            if p.winsock {
                return Out::err(r::RECV, Code::WSAECONNRESET);
            }
            return Out { ret: Ret::Int(0), ..Out::ok(r::RECV) };
        }
        if s.peer_closed {
            return Out { ret: Ret::Int(0), ..Out::ok(r::RECV) };
        }
        self.recv(i, with_from, facts)
    }

    fn shutdown(&mut self, i: usize, how: How) -> Out {
        let p = self.p;
        let s = &self.socks[i];
        if p.winsock && s.via_connectex && !s.context_updated && s.state == State::Connected {
            return Out::err(r::UPDATE_CONTEXT, Code::WSAENOTCONN)
                .note("set SO_UPDATE_CONNECT_CONTEXT after ConnectEx before using shutdown");
        }
        let ok_state = matches!(s.state, State::Connected | State::Associated);
        if !ok_state {
            return Out::err(r::SHUTDOWN, p.pick(Code::ENOTCONN, Code::WSAENOTCONN)); // 10e
        }
        let partner = s.partner;
        let s = &mut self.socks[i];
        if matches!(how, How::Read | How::Both) {
            s.shut_rd = true;
        }
        if matches!(how, How::Write | How::Both) && !s.shut_wr {
            s.shut_wr = true;
            if let Some(j) = partner {
                self.socks[j].peer_closed = true;
                self.fd_event(j, FdEvents::CLOSE, None);
                self.readiness_changed(j);
            }
        }
        Out::ok(r::SHUTDOWN)
    }

    fn close(&mut self, i: usize) -> Out {
        let s = &mut self.socks[i];
        s.attempt = next_serial(&mut self.serials);
        s.overlapped = None;
        s.rx.clear();
        let partner = s.partner.take();
        let backlog: Vec<usize> = s.backlog.drain(..).collect();
        self.set_state(i, State::Closed, Cause::Call("closesocket".into()), None);
        if let Some(j) = partner {
            if self.socks[j].state == State::Connected {
                self.socks[j].peer_closed = true;
                self.socks[j].partner = None;
                self.fd_event(j, FdEvents::CLOSE, None);
                self.readiness_changed(j);
            }
        }
        for c in backlog {
            // Connections nobody accepted are reset when the listener closes.
            if self.socks[c].state == State::Connected {
                self.socks[c].partner = None;
                self.peer_reset(c);
            }
        }
        self.free_slot(i);
        Out::ok(r::CLOSE)
    }

    /// A closed socket's slot becomes free for the next socket; its name keeps answering as
    /// closed. Nothing may point at the slot afterwards.
    fn free_slot(&mut self, i: usize) {
        for &l in &self.listening {
            self.socks[l].backlog.retain(|&c| c != i);
        }
        let s = &self.socks[i];
        if self.names.get(&s.name) == Some(&i) {
            let name = s.name.clone();
            self.closed_names.insert(name.clone(), (s.proto, s.family, s.handle));
            self.names.remove(&name);
        }
        let s = &mut self.socks[i];
        s.rx = VecDeque::new();
        s.backlog = VecDeque::new();
        s.recorded = Vec::new();
        self.free.push(i);
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
