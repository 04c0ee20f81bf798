//! The kernel as judge: every call of the command language performed on real sockets, with the
//! kernel's raw answer, and the facts the models need about socklab's live targets.
//!
//! Network safety: a destination outside loopback is never contacted. `connect`, `sendto` and
//! `bind` to such an address are not performed and the answer says so; the lab subnet and the
//! routing errors live in network namespaces (see [`super::netns`]).

// The "error" side of these results is an answer to show (why a call was not made), on the
// path of every call; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::core::call::{
    self, AddrKind, Call, ConnectApi, Family, NamedTarget, OptNullArg, Proto, SockAddrArg, SockRef,
};
use crate::core::codes::{Code, Platform};
use crate::core::facts::{Facts, RouteFact, TcpFact, UdpFact};
use crate::core::model::{Ret, Value};
use crate::net::sim::SimNet;
use crate::session::lab::{Interrupt, Kernel, KernelAnswer, KernelJob, Until};

use super::Stopwatch;
use super::raw::{self, Errno, OptValue, RawSocket, SockOpt};
use super::readiness::{self, EpollBits, PollBits, TcpState};
use super::targets::{TargetName, Targets, TargetsConfig};

/// How long a blocking `recv` or `accept` waits on the live network before socklab stops it.
pub const LIVE_BLOCK_LIMIT: Duration = Duration::from_secs(10);

/// The facts of the live lab network, for the models. Loopback is real; for any other
/// destination the kernel is never asked, and the models answer from the simulated network's
/// description (the transcript says the call was not made).
#[derive(Clone, Debug)]
pub struct LiveFacts {
    addrs: Vec<(NamedTarget, SocketAddr)>,
    elsewhere: SimNet,
}

fn target_name(t: NamedTarget) -> TargetName {
    match t {
        NamedTarget::Accept => TargetName::Accept,
        NamedTarget::Refuse => TargetName::Refuse,
        NamedTarget::Pending => TargetName::Pending,
        NamedTarget::Slow => TargetName::Slow,
        NamedTarget::Reset => TargetName::Reset,
        NamedTarget::Echo => TargetName::Echo,
        NamedTarget::Sink => TargetName::Sink,
    }
}

/// Whether socklab may send to `ip` from the host namespace: loopback, or this host's
/// wildcard address (which Linux reads as this host).
pub fn allowed_destination(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified()
}

/// Whether a UDP connect to `ip` may be made for real: it sends nothing, only looks the route
/// up. socklab does this for loopback and for the limited broadcast (where the answer is the
/// host's route, LINUX_TRUTH 6d); a later send there is not made.
pub fn udp_connect_allowed(ip: IpAddr) -> bool {
    allowed_destination(ip) || is_limited_broadcast(ip)
}

fn is_limited_broadcast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_broadcast(),
        IpAddr::V6(a) => a.to_ipv4_mapped().is_some_and(|a| a.is_broadcast()),
    }
}

/// The host's route to `dst`, as the kernel sees it, learnt from UDP connects (which send
/// nothing): with SO_BROADCAST set the route itself answers; without it EACCES marks a
/// broadcast destination. `None` when the kernel gives another answer.
fn kernel_route(dst: Ipv4Addr) -> Option<RouteFact> {
    let probe = |broadcast: bool| -> Result<Option<IpAddr>, Errno> {
        let s = RawSocket::udp(raw::Family::V4)?;
        s.set_int(SockOpt::Broadcast, i32::from(broadcast))?;
        s.connect(&raw::SockAddrArg::Inet(SocketAddr::new(IpAddr::V4(dst), 9)))?;
        Ok(s.local_addr().ok().and_then(|a| a.inet()).map(|a| a.ip()))
    };
    match probe(true) {
        Ok(source) => {
            let broadcast = probe(false) == Err(Errno::EACCES);
            Some(RouteFact::Ok { broadcast, source: source.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)) })
        }
        Err(e) if e == Errno::ENETUNREACH => Some(RouteFact::NoRoute),
        Err(e) if e == Errno::EHOSTUNREACH => Some(RouteFact::Unreachable),
        Err(e) if e == Errno::EACCES => Some(RouteFact::Prohibit),
        Err(_) => None,
    }
}

impl LiveFacts {
    /// Where each running target listens (on loopback).
    pub fn target_addrs(&self) -> Vec<(NamedTarget, SocketAddr)> {
        self.addrs.clone()
    }

    fn target_at(&self, dst: SocketAddr) -> Option<NamedTarget> {
        let ip = match dst.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(dst.ip()),
            v4 => v4,
        };
        self.addrs.iter().find(|(_, a)| a.port() == dst.port() && a.ip() == ip).map(|(t, _)| *t)
    }
}

impl Facts for LiveFacts {
    fn resolve(&self, target: NamedTarget, family: Family) -> Option<SocketAddr> {
        let a = self.addrs.iter().find(|(t, _)| *t == target).map(|(_, a)| *a)?;
        Some(match (family, a.ip()) {
            // The targets listen on 127.0.0.1; a v6 socket reaches them v4-mapped (dual stack).
            (Family::V6, IpAddr::V4(v4)) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
            _ => a,
        })
    }

    fn route(&self, dst: IpAddr) -> RouteFact {
        let v4 = match dst {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(a) => a.to_ipv4_mapped(),
        };
        match v4 {
            Some(a) if a.is_loopback() => {
                RouteFact::Ok { broadcast: a.octets()[1..] == [255, 255, 255], source: IpAddr::V4(Ipv4Addr::LOCALHOST) }
            }
            Some(a) if a.is_unspecified() => {
                RouteFact::Ok { broadcast: false, source: IpAddr::V4(Ipv4Addr::LOCALHOST) }
            }
            None if dst == IpAddr::V6(Ipv6Addr::LOCALHOST) || dst.is_unspecified() => {
                RouteFact::Ok { broadcast: false, source: IpAddr::V6(Ipv6Addr::LOCALHOST) }
            }
            // The limited broadcast: the host's own route decides (a UDP connect there is made
            // for real, so the models must see the same route).
            Some(a) if a.is_broadcast() => kernel_route(a).unwrap_or_else(|| self.elsewhere.route(dst)),
            // Not on this host: the kernel is never asked (see `allowed_destination`).
            _ => self.elsewhere.route(dst),
        }
    }

    fn is_local(&self, ip: IpAddr) -> bool {
        allowed_destination(ip)
    }

    fn tcp(&self, dst: SocketAddr) -> TcpFact {
        if !allowed_destination(dst.ip()) {
            return self.elsewhere.tcp(dst);
        }
        match self.target_at(dst) {
            Some(NamedTarget::Accept) => TcpFact::Accepts { after: Duration::ZERO, reset_after: None },
            Some(NamedTarget::Pending) => TcpFact::Silent,
            // The live @slow lets the client's first SYN retransmission (1 s) through.
            Some(NamedTarget::Slow) => TcpFact::Accepts { after: Duration::from_secs(1), reset_after: None },
            Some(NamedTarget::Reset) => {
                TcpFact::Accepts { after: Duration::ZERO, reset_after: Some(Duration::from_millis(1)) }
            }
            Some(NamedTarget::Refuse | NamedTarget::Echo | NamedTarget::Sink) => {
                TcpFact::Refused { after: Duration::ZERO }
            }
            // Another program may listen there: ask the system, not a guess.
            None => match super::sys::loopback_port_in_use(dst.port(), true) {
                Some(true) => TcpFact::Accepts { after: Duration::ZERO, reset_after: None },
                _ => TcpFact::Refused { after: Duration::ZERO },
            },
        }
    }

    fn udp(&self, dst: SocketAddr) -> UdpFact {
        if !allowed_destination(dst.ip()) {
            return self.elsewhere.udp(dst);
        }
        match self.target_at(dst) {
            Some(NamedTarget::Echo) => UdpFact::Echo { after: Duration::ZERO },
            Some(NamedTarget::Sink) => UdpFact::Swallowed,
            Some(_) => UdpFact::PortUnreachable { after: Duration::ZERO },
            None => match super::sys::loopback_port_in_use(dst.port(), false) {
                Some(true) => UdpFact::Swallowed,
                _ => UdpFact::PortUnreachable { after: Duration::ZERO },
            },
        }
    }
}

/// Real sockets named as in the script, and socklab's targets on loopback.
#[derive(Debug)]
pub struct LiveKernel {
    targets: Arc<Targets>,
    socks: HashMap<String, RawSocket>,
    closed: Vec<String>,
    /// Sockets on which a call was not made for real: the kernel's socket and the models'
    /// no longer match, so later calls on them are not judged.
    diverged: Vec<String>,
    /// The last call was a blocking one still waiting when socklab's wait ran out, and so not
    /// made: its socket is unchanged, so this is no divergence.
    waited_out: bool,
    /// `alarm`: interrupt the next blocking connect after this long.
    alarm: Option<Duration>,
    /// `after`: the call a second thread makes, and when (a blocking connect runs on its own
    /// thread meanwhile; otherwise the call is made before the first call after its time).
    after: Vec<(Stopwatch, Duration, Call)>,
    /// Pipes the experiment opened (`pipe as NAME`): the only non-socket descriptors socklab
    /// passes to socket calls.
    pipes: HashMap<String, raw::Pipe>,
    /// `portrange` or `firewall` changed the models' world, not the host's: from then on the
    /// kernel's answers would be about another world, so no call is made.
    ports_narrowed: bool,
    /// Set from another thread to give up on a wait, a sleep or a select/poll (the TUI's Esc).
    cancel: Arc<AtomicBool>,
    /// Sockets another thread shut down to give up on a blocked call (the TUI's Esc): closed
    /// as soon as that call returns, the other half of the give-up.
    close_after: Arc<std::sync::Mutex<Vec<String>>>,
}

/// Gives up on a blocking job of a [`LiveKernel`] from another thread.
struct LiveInterrupt {
    /// The socket a blocking call is waiting on: shut down from the side.
    fds: Vec<(String, raw::Fd)>,
    cancel: Arc<AtomicBool>,
    close_after: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Interrupt for LiveInterrupt {
    fn interrupt(&self) -> String {
        self.cancel.store(true, Ordering::SeqCst);
        let mut done = Vec::new();
        for (n, fd) in &self.fds {
            match raw::shutdown_fd(*fd) {
                Ok(()) => {
                    done.push(format!("shut {n} down from another thread"));
                    // Closing it now could close a number reused meanwhile: the kernel's side
                    // closes it once the blocked call has returned.
                    self.close_after.lock().unwrap_or_else(|p| p.into_inner()).push(n.clone());
                }
                Err(e) => done.push(format!("shutdown of {n} from another thread answered {}", e.name())),
            }
        }
        if done.is_empty() { "stopped waiting".into() } else { done.join(", ") }
    }
}

/// Longest slice of a select/poll/epoll wait, and of a sleep, between looks at the cancel flag.
const SLICE: Duration = Duration::from_millis(200);

/// A readiness call of `ms` milliseconds made in slices, so that giving up (`cancel`) takes
/// effect within [`SLICE`]; returns at the first slice that reports something, or an error.
fn sliced<T>(
    ms: u32,
    cancel: &AtomicBool,
    ready: impl Fn(&T) -> bool,
    mut op: impl FnMut(u32) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let clock = Stopwatch::start();
    let slice = SLICE.as_millis() as u32;
    loop {
        let left = u32::try_from(u128::from(ms).saturating_sub(clock.elapsed().as_millis())).unwrap_or(u32::MAX);
        let r = op(left.min(slice));
        match &r {
            Ok(a) if !ready(a) && left > slice && !cancel.load(Ordering::SeqCst) => {}
            _ => return r,
        }
    }
}

impl LiveKernel {
    /// Start the targets (on ephemeral loopback ports) and return the kernel with the facts
    /// the models need.
    pub fn start() -> Result<(LiveKernel, LiveFacts), Errno> {
        let (targets, facts) = start_targets()?;
        Ok((
            LiveKernel {
                targets,
                socks: HashMap::new(),
                closed: Vec::new(),
                diverged: Vec::new(),
                waited_out: false,
                alarm: None,
                after: Vec::new(),
                pipes: HashMap::new(),
                ports_narrowed: false,
                cancel: Arc::new(AtomicBool::new(false)),
                close_after: Arc::default(),
            },
            facts,
        ))
    }

    /// The targets this kernel's calls reach (shared with a Winsock judge).
    pub fn targets(&self) -> Arc<Targets> {
        Arc::clone(&self.targets)
    }

    fn sock(&self, r: &SockRef) -> Result<&RawSocket, KernelAnswer> {
        match r {
            SockRef::Name(n) => self.socks.get(n).ok_or_else(|| {
                not_performed(if self.closed.contains(n) {
                    "the descriptor was closed: socklab does not call the kernel on a number that may have been reused"
                } else {
                    "no such socket on the live network"
                })
            }),
            SockRef::Raw(_) => Err(not_performed("raw descriptors are only passed to connect")),
        }
    }

    /// The descriptors of named sockets, with their names.
    fn fds(&self, socks: &[SockRef]) -> Result<Vec<(String, raw::Fd)>, KernelAnswer> {
        socks.iter().map(|r| Ok((r.to_string(), self.sock(r)?.fd()))).collect()
    }

    /// The address bytes for a call, or why socklab will not make it.
    fn addr(&self, r: &SockRef, arg: &SockAddrArg, outbound: bool) -> Result<raw::SockAddrArg, KernelAnswer> {
        let family = match r {
            SockRef::Name(n) => self.socks.get(n).map(|s| s.family()),
            SockRef::Raw(_) => None,
        };
        let inet = match &arg.kind {
            AddrKind::Inet(a) => *a,
            AddrKind::Target(t) => {
                let a = self.targets.addr(target_name(*t).name()).ok_or_else(|| not_performed("target not running"))?;
                if *t == NamedTarget::Slow && outbound {
                    let _ = self.targets.arm_slow();
                }
                match (family, a.ip()) {
                    (Some(raw::Family::V6), IpAddr::V4(v4)) => {
                        SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port())
                    }
                    _ => a,
                }
            }
            AddrKind::Unspec => {
                return Ok(match arg.len {
                    None | Some(2) => raw::SockAddrArg::Unspec,
                    Some(l) => raw::SockAddrArg::UnspecLen(l),
                });
            }
            AddrKind::Null => return Ok(raw::SockAddrArg::Null { len: arg.len.unwrap_or(0) }),
            AddrKind::Family(n) => {
                return Ok(raw::SockAddrArg::Family { family: *n, len: arg.len.unwrap_or(16) });
            }
        };
        if outbound && !allowed_destination(inet.ip()) {
            return Err(not_performed(
                "outside loopback: socklab sends nothing beyond this host (use the simulated network or a namespace)",
            ));
        }
        Ok(match arg.len {
            None => raw::SockAddrArg::Inet(inet),
            Some(l) => raw::SockAddrArg::Truncated(inet, l),
        })
    }

    /// `after` while a blocking recv or accept waits (for its socket to become readable, up to
    /// `limit`): the calls due meanwhile are made at their times, as by another thread, and the
    /// call is made once its socket is readable or nothing more is due; returns the time left.
    /// (The call itself then finds what the other thread did: a recv after a shutdown answers
    /// as one blocked in the kernel does, measured in tests/live_scenarios.rs.)
    fn after_while_waiting(&mut self, sock: &SockRef, limit: Duration) -> Result<Duration, KernelAnswer> {
        let clock = Stopwatch::start();
        while let Some((sw, due, _)) = self.after.first() {
            let wait = due.saturating_sub(sw.elapsed());
            if clock.elapsed() + wait > limit {
                break;
            }
            let fd = self.sock(sock)?.fd();
            let ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
            let bits = readiness::poll(&[(fd, readiness::PollBits::IN)], ms).unwrap_or_default();
            if bits.first().is_some_and(|b| !b.is_empty()) {
                break;
            }
            let (_, _, action) = self.after.remove(0);
            let _ = self.perform_inner(&action);
        }
        Ok(limit.saturating_sub(clock.elapsed()))
    }

    fn perform_inner(&mut self, call: &Call) -> Result<KernelAnswer, KernelAnswer> {
        let clock = Stopwatch::start();
        let done = |r: Result<Value, Errno>, ret: Ret| performed(r, ret, clock.elapsed());
        Ok(match call {
            Call::WsaStartup { .. } | Call::WsaCleanup => not_performed("POSIX has no WSAStartup/WSACleanup"),
            // ---- winapi-ov ----
            Call::Overlapped { .. }
            | Call::GetOverlappedResult { .. }
            | Call::CreateIoCompletionPort { .. }
            | Call::AssociatePort { .. }
            | Call::GetQueuedCompletionStatus { .. }
            | Call::GetQueuedCompletionStatusEx { .. }
            | Call::PostQueuedCompletionStatus { .. }
            | Call::CloseHandle { .. } => not_performed("Linux has no OVERLAPPED structures or I/O completion ports"),
            Call::SleepEx { .. } => not_performed("Linux has no SleepEx and no APCs"),
            Call::DisconnectEx { .. } => not_performed("Linux has no DisconnectEx"),
            Call::AcceptEx { .. } => not_performed("Linux has no AcceptEx"),
            Call::GetAcceptExSockaddrs { .. } => not_performed("Linux has no GetAcceptExSockaddrs"),
            Call::CancelIo { .. } => not_performed("Linux has no CancelIo or CancelIoEx"),
            Call::Accept { cond: Some(_), .. } => not_performed("Linux has no WSAAccept"),
            Call::WsaRecv { .. } | Call::WsaSend { .. } => not_performed("Linux has no overlapped WSARecv or WSASend"),
            // ---- wsaio3 ----
            Call::WsaSendTo { null_overlapped: false, .. } | Call::WsaRecvFrom { null_overlapped: false, .. } => {
                not_performed("Linux has no overlapped WSASendTo or WSARecvFrom")
            }
            Call::WsaSendTo { sock, addr, data, bufs, .. } => {
                let Some(b) = bufs.as_ref().filter(|b| b.len() > 1) else {
                    // One buffer: sendto(2).
                    return self.perform_inner(&Call::SendTo {
                        sock: sock.clone(),
                        addr: addr.clone(),
                        data: data.clone(),
                    });
                };
                if !call::gather_fits(data, Some(b)) {
                    return Ok(not_performed("the buffers do not cut the data exactly"));
                }
                let a = self.addr(sock, addr, true)?;
                let raw::SockAddrArg::Inet(to) = a else {
                    return Ok(not_performed("sendmsg takes a plain address here"));
                };
                let pieces = call::gather_pieces(data, Some(b));
                match self.sock(sock)?.send_msg(&pieces, Some(to)) {
                    Ok(n) => performed(Ok(Value::None), Ret::Int(n as i64), clock.elapsed()),
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::WsaRecvFrom { sock, bufs, .. } => {
                let Some(b) = bufs else {
                    return self.perform_inner(&Call::RecvFrom { sock: sock.clone() });
                };
                // recvmsg(2) into the buffers given (scatter).
                let lens: Vec<usize> = b.iter().map(|&n| n as usize).collect();
                let blocking = !self.sock(sock)?.as_socket2().nonblocking().unwrap_or(false);
                let wait = if blocking { self.after_while_waiting(sock, LIVE_BLOCK_LIMIT)? } else { Duration::ZERO };
                let s = self.sock(sock)?;
                match s.recv_msg(&lens, wait) {
                    Ok((data, from)) => {
                        let n = data.len();
                        let value = if n == 0 && s.kind() == raw::Kind::Tcp {
                            Value::None
                        } else {
                            Value::Data { data, from: from.inet() }
                        };
                        performed(Ok(value), Ret::Int(n as i64), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::Firewall { .. } => {
                self.ports_narrowed = true;
                not_performed(
                    "socklab sets firewall rules only inside a private namespace (tests/live_seed_errors.rs); the host's stay",
                )
            }
            Call::PortRange { .. } => {
                self.ports_narrowed = true;
                not_performed(
                    "socklab narrows the port range only inside a private namespace (tests/live_seed_errors.rs); the host's stays",
                )
            }
            Call::Link { .. } => not_performed(
                "socklab takes an interface down only inside a private namespace (tests/live_seed_errors.rs); the host's stay up",
            ),
            Call::Pipe { name } => match raw::Pipe::open() {
                Ok(p) => {
                    let fd = p.fd().map(|f| f as i64);
                    self.pipes.insert(name.clone(), p);
                    performed(Ok(Value::None), Ret::Handle(fd), clock.elapsed())
                }
                Err(e) => performed(Err(e), Ret::Handle(None), clock.elapsed()),
            },
            Call::Connect { sock: SockRef::Name(n), addr, api: ConnectApi::Connect } if self.pipes.contains_key(n) => {
                // The experiment's own pipe: the kernel says what connect does with it.
                let a = self.addr(&SockRef::Name(n.clone()), addr, true)?;
                let fd = self.pipes.get(n).and_then(raw::Pipe::fd).ok_or_else(|| not_performed("pipe closed"))?;
                done(raw::connect_fd(fd, &a).map(|_| Value::None), Ret::Int(0))
            }
            Call::Close { sock: SockRef::Name(n) } if self.pipes.contains_key(n) => match self.pipes.remove(n) {
                Some(p) => {
                    self.closed.push(n.clone());
                    done(p.close().map(|_| Value::None), Ret::Int(0))
                }
                None => not_performed("the descriptor was already closed"),
            },
            Call::After { after, action } => {
                // In time order, two for the same time in the order written (as the models).
                let due = |(sw, d, _): &(Stopwatch, Duration, Call)| d.saturating_sub(sw.elapsed());
                let pos = self.after.partition_point(|x| due(x) <= *after);
                self.after.insert(pos, (Stopwatch::start(), *after, (**action).clone()));
                not_performed("socklab makes the call from a second thread at that time")
            }
            Call::Alarm { after } => {
                self.alarm = Some(*after);
                not_performed("socklab itself will interrupt the next blocking connect (a signal without SA_RESTART)")
            }
            Call::OptNull { sock, opt, set, arg } => {
                let s = self.sock(sock)?;
                let Some((o, v)) = opt_value(*opt, 0) else {
                    return Ok(not_performed("Linux has no such socket option"));
                };
                let len = match v {
                    OptValue::Time(_) => 16,
                    OptValue::Linger { .. } => 8,
                    _ => 4,
                };
                let r = match arg {
                    OptNullArg::Optval => s.sockopt_null(o, *set, len),
                    OptNullArg::OptvalLen(n) => s.sockopt_null(o, true, *n),
                    OptNullArg::Optlen => s.getsockopt_null_len(o),
                };
                done(r.map(|_| Value::None), Ret::Int(0))
            }
            Call::NameNull { sock, peer, len } => {
                let s = self.sock(sock)?;
                let r = if *len { s.sockname_null_len(*peer) } else { s.sockname_null(*peer) };
                done(r.map(|_| Value::None), Ret::Int(0))
            }
            Call::SocketAf { proto, af, .. } => {
                let r = raw::try_socket_family(*af, *proto == Proto::Udp);
                done(r.map(|_| Value::None), Ret::Handle(None))
            }
            Call::Socket { proto, family, name } => {
                let fam = match family {
                    Family::V4 => raw::Family::V4,
                    Family::V6 => raw::Family::V6,
                };
                let r = match proto {
                    Proto::Tcp => RawSocket::tcp(fam),
                    Proto::Udp => RawSocket::udp(fam),
                };
                match r {
                    Ok(s) => {
                        let fd = s.fd() as i64;
                        self.socks.insert(name.clone(), s);
                        self.closed.retain(|n| n != name);
                        performed(Ok(Value::None), Ret::Handle(Some(fd)), clock.elapsed())
                    }
                    // EMFILE and friends are answers, not crashes.
                    Err(e) => performed(Err(e), Ret::Handle(None), clock.elapsed()),
                }
            }
            Call::Fionbio { sock, on } => done(self.sock(sock)?.set_nonblocking(*on).map(|_| Value::None), Ret::Int(0)),
            Call::SetSockOpt { sock, opt, value, optlen } => {
                let s = self.sock(sock)?;
                if *opt == call::SockOpt::SO_LINGER && *value == call::LINGER_ABORT {
                    // `SO_LINGER 1,0`: the abortive close.
                    let v = OptValue::Linger { on: true, secs: 0 };
                    return Ok(done(s.setsockopt(SockOpt::Linger, v).map(|_| Value::None), Ret::Int(0)));
                }
                // The C types hold an int: a value beyond one is not passed wrapped.
                let Ok(value) = i32::try_from(*value) else {
                    return Ok(not_performed("the value does not fit in the option's C int"));
                };
                let (o, v) = match opt_value(*opt, value) {
                    Some(x) => x,
                    None => return Ok(not_performed("Linux has no such socket option")),
                };
                match (optlen, v) {
                    (Some(n), OptValue::Int(i)) => done(s.setsockopt_len(o, i, *n).map(|_| Value::None), Ret::Int(0)),
                    (Some(_), _) => not_performed("optlen is made for real only with int options"),
                    (None, v) => done(s.setsockopt(o, v).map(|_| Value::None), Ret::Int(0)),
                }
            }
            Call::GetSockOpt { sock, opt, optlen } => {
                let s = self.sock(sock)?;
                let Some((o, v0)) = opt_value(*opt, 0) else {
                    return Ok(not_performed("Linux has no such socket option"));
                };
                if let Some(n) = optlen {
                    if !matches!(v0, OptValue::Int(_)) || o == SockOpt::Error {
                        return Ok(not_performed("optlen is made for real only with int options other than SO_ERROR"));
                    }
                    return Ok(done(s.getsockopt_len(o, *n).map(|(value, _)| Value::Int { value }), Ret::Int(0)));
                }
                if o == SockOpt::Error {
                    let r = s.so_error();
                    match r {
                        Ok(Some(e)) => match linux_code(e) {
                            Some(c) => done(Ok(Value::Error { error: Some(c) }), Ret::Int(0)),
                            None => unknown_errno(e),
                        },
                        Ok(None) => done(Ok(Value::Error { error: None }), Ret::Int(0)),
                        Err(e) => done(Err(e), Ret::Int(0)),
                    }
                } else {
                    let r = s.getsockopt(o).map(|v| match v {
                        OptValue::Int(i) => Value::Int { value: i as i64 },
                        OptValue::Time(d) => Value::Int { value: i64::try_from(d.as_millis()).unwrap_or(i64::MAX) },
                        OptValue::Linger { on, secs } => Value::Linger { on, secs: i64::from(secs) },
                        OptValue::PortRange { lo, hi } => Value::Int { value: ((hi as i64) << 16) | lo as i64 },
                    });
                    done(r, Ret::Int(0))
                }
            }
            Call::Bind { sock, addr } => {
                let a = self.addr(sock, addr, false)?;
                let s = self.sock(sock)?;
                match a {
                    raw::SockAddrArg::Inet(a) if allowed_destination(a.ip()) => {
                        done(s.bind(a).map(|_| Value::None), Ret::Int(0))
                    }
                    // No address at all: a family no system has, a NULL pointer.
                    a @ (raw::SockAddrArg::Family { .. } | raw::SockAddrArg::Null { .. }) => {
                        done(s.bind_raw(&a).map(|_| Value::None), Ret::Int(0))
                    }
                    _ => not_performed("socklab binds live sockets to loopback or wildcard addresses only"),
                }
            }
            Call::Listen { sock, backlog } => done(self.sock(sock)?.listen(*backlog).map(|_| Value::None), Ret::Int(0)),
            Call::Accept { sock, name, .. } => {
                let blocking = !self.sock(sock)?.as_socket2().nonblocking().unwrap_or(false);
                let left = if blocking { self.after_while_waiting(sock, LIVE_BLOCK_LIMIT)? } else { Duration::ZERO };
                let s = self.sock(sock)?;
                let r = if !blocking { s.accept() } else { s.accept_within(left) };
                if blocking && r.as_ref().is_err_and(|e| *e == Errno::EAGAIN) {
                    self.waited_out = true;
                    return Ok(still_waiting("accept"));
                }
                match r {
                    Ok((a, _)) => {
                        let fd = a.fd() as i64;
                        self.socks.insert(name.clone(), a);
                        performed(Ok(Value::None), Ret::Handle(Some(fd)), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Handle(None), clock.elapsed()),
                }
            }
            Call::Connect { sock, addr, api } => {
                match api {
                    ConnectApi::Connect => {}
                    ConnectApi::WsaConnect { caller_data: None, sqos: false, gqos: false, callee: None } => {}
                    ConnectApi::WsaConnect { .. } => return Ok(not_performed("Linux has no connect data or QoS")),
                    ConnectApi::ConnectEx { .. } => return Ok(not_performed("Linux has no ConnectEx")),
                }
                // A UDP connect sends nothing: it is made for real wherever its route lookup is
                // harmless (loopback, the limited broadcast); sends stay on loopback.
                let udp = match sock {
                    SockRef::Name(n) => self.socks.get(n).is_some_and(|s| s.kind() == raw::Kind::Udp),
                    SockRef::Raw(_) => false,
                };
                let to = match &addr.kind {
                    AddrKind::Inet(a) => Some(a.ip()),
                    _ => None,
                };
                let outbound = !(udp && to.is_some_and(udp_connect_allowed));
                let a = self.addr(sock, addr, outbound)?;
                let alarm = self.alarm.take();
                let pending_after = std::mem::take(&mut self.after);
                let mut after_left = Vec::new();
                let r = match sock {
                    SockRef::Raw(n) => {
                        // A raw number may name a socket of this experiment, or no descriptor
                        // at all (EBADF, LINUX_TRUTH 8i); never one of socklab's own (its
                        // targets, wakers, files), which a connect would break.
                        let Ok(fd) = raw::Fd::try_from(*n) else {
                            return Ok(not_performed("the descriptor does not fit in a C int"));
                        };
                        let ours = self.socks.values().any(|s| s.fd() == fd);
                        if !ours && raw::fd_is_open(fd) {
                            let what = raw::describe_fd(fd).map(|d| format!(" ({d})")).unwrap_or_default();
                            return Ok(not_performed(&format!(
                                "#{n} is not a socket of this experiment: it is one of socklab's own descriptors{what}, and connecting it would break the lab"
                            )));
                        }
                        raw::connect_fd(fd, &a)
                    }
                    SockRef::Name(_) => {
                        let s = self.sock(sock)?;
                        // Asked only when it matters (an alarm or a timed call is set): it costs
                        // an fcntl, and a storm of nonblocking connects has neither.
                        let blocking = || !s.as_socket2().nonblocking().unwrap_or(false);
                        match (alarm, pending_after) {
                            (None, mut queue) if !queue.is_empty() && blocking() => {
                                // The connect runs on a thread of its own while this thread, at
                                // the times asked, makes the other calls (a close does not wake a
                                // connect on Linux, a shutdown does: the kernel judges).
                                let mut bc = s
                                    .connect_blocking_interruptible(a)
                                    .map_err(|e| performed(Err(e), Ret::Int(0), clock.elapsed()))?;
                                let r = loop {
                                    let Some((sw, due, _)) = queue.first() else {
                                        match bc.wait(Duration::from_secs(200)) {
                                            Some((r, _)) => break r,
                                            None => return Ok(not_performed("the blocking connect did not return")),
                                        }
                                    };
                                    match bc.wait(due.saturating_sub(sw.elapsed())) {
                                        Some((r, _)) => break r,
                                        None => {
                                            let (_, _, action) = queue.remove(0);
                                            let _ = self.perform_inner(&action);
                                        }
                                    }
                                };
                                // Calls due as the connect returned are made then too (as the models).
                                while queue.first().is_some_and(|(sw, due, _)| sw.elapsed() >= *due) {
                                    let (_, _, action) = queue.remove(0);
                                    let _ = self.perform_inner(&action);
                                }
                                after_left = queue;
                                r
                            }
                            (alarm, after) => {
                                after_left = after;
                                match alarm {
                                    Some(after) if blocking() => {
                                        // 13b: run the blocking connect on its own thread and signal it.
                                        let mut bc = s
                                            .connect_blocking_interruptible(a)
                                            .map_err(|e| performed(Err(e), Ret::Int(0), clock.elapsed()))?;
                                        match bc.wait(after) {
                                            Some((r, _)) => r,
                                            None => match bc.interrupt_and_wait(Duration::from_secs(200)) {
                                                Some((r, _)) => r,
                                                None => {
                                                    return Ok(not_performed("the interrupted connect did not return"));
                                                }
                                            },
                                        }
                                    }
                                    _ => s.connect(&a),
                                }
                            }
                        }
                    }
                };
                self.after = after_left;
                done(r.map(|_| Value::None), Ret::Int(0))
            }
            Call::Select { read, write, except, timeout } => {
                let fds = |v: &[SockRef]| -> Result<Vec<(String, raw::Fd)>, KernelAnswer> {
                    v.iter().map(|r| Ok((r.to_string(), self.sock(r)?.fd()))).collect()
                };
                let (r, w, x) = (fds(read)?, fds(write)?, fds(except)?);
                let ms = wait_ms(*timeout);
                let only = |v: &[(String, raw::Fd)]| v.iter().map(|(_, f)| *f).collect::<Vec<_>>();
                let (ro, wo, xo) = (only(&r), only(&w), only(&x));
                let ready =
                    |a: &readiness::SelectAnswer| !(a.read.is_empty() && a.write.is_empty() && a.except.is_empty());
                match sliced(ms, &self.cancel, ready, |t| readiness::select(&ro, &wo, &xo, t)) {
                    Ok(ans) => {
                        let (value, n) = select_value(&r, &w, &x, &ans);
                        performed(Ok(value), Ret::Int(n), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::Poll { socks, timeout, events } => {
                let fds = self.fds(socks)?;
                // As the probe asks: POLLIN|POLLPRI|POLLOUT|POLLRDHUP (RDHUP only comes when asked),
                // or the script's mask (`events=`: the bits are Linux's own).
                let interest = events.map_or(PollBits::DEFAULT_INTEREST, |m| PollBits(m.0));
                let req: Vec<(raw::Fd, PollBits)> = fds.iter().map(|(_, f)| (*f, interest)).collect();
                let ready = |b: &Vec<PollBits>| b.iter().any(|x| !x.is_empty());
                match sliced(wait_ms(*timeout), &self.cancel, ready, |t| readiness::poll(&req, t)) {
                    Ok(bits) => {
                        let revents = named_bits(&fds, bits.iter().map(|b| b.0));
                        let n = revents.iter().filter(|(_, b)| !b.is_empty()).count() as i64;
                        performed(Ok(Value::Poll { revents }), Ret::Int(n), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            // esc3: the script's timeval. In range, the select above (in slices, so Esc ends
            // it); out of range, the fields go to the kernel as written, in one call (a negative
            // one fails at once; a long one is not made).
            Call::SelectTimeval { read, write, except, sec, usec } => {
                let in_range = *sec >= 0 && (0..1_000_000).contains(usec);
                let d = Duration::from_secs((*sec).max(0) as u64)
                    .saturating_add(Duration::from_micros((*usec).max(0) as u64));
                if in_range {
                    let select = Call::Select {
                        read: read.clone(),
                        write: write.clone(),
                        except: except.clone(),
                        timeout: Some(d),
                    };
                    return self.perform_inner(&select);
                }
                if d > LIVE_BLOCK_LIMIT {
                    return Err(not_performed("a select this long would block longer than socklab waits"));
                }
                let fds = |v: &[SockRef]| -> Result<Vec<(String, raw::Fd)>, KernelAnswer> {
                    v.iter().map(|r| Ok((r.to_string(), self.sock(r)?.fd()))).collect()
                };
                let (r, w, x) = (fds(read)?, fds(write)?, fds(except)?);
                let only = |v: &[(String, raw::Fd)]| v.iter().map(|(_, f)| *f).collect::<Vec<_>>();
                match readiness::select_tv(&only(&r), &only(&w), &only(&x), *sec, *usec) {
                    Ok(ans) => {
                        let (value, n) = select_value(&r, &w, &x, &ans);
                        performed(Ok(value), Ret::Int(n), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(-1), clock.elapsed()),
                }
            }
            // args3: sets present but empty (the live select always passes its sets, empty ones
            // included, never NULL).
            Call::SelectEmptySets { timeout, .. } => {
                let ready =
                    |a: &readiness::SelectAnswer| !(a.read.is_empty() && a.write.is_empty() && a.except.is_empty());
                match sliced(wait_ms(*timeout), &self.cancel, ready, |t| readiness::select(&[], &[], &[], t)) {
                    Ok(_) => performed(
                        Ok(Value::Select { read: vec![], write: vec![], except: vec![] }),
                        Ret::Int(0),
                        clock.elapsed(),
                    ),
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            // args3: a mask per entry; a raw `#N` is passed when it is negative, one of this
            // experiment's sockets, or no open descriptor at all (POLLNVAL), never one of
            // socklab's own.
            Call::PollFds { fds, timeout } => {
                let mut named = Vec::new();
                let mut req = Vec::new();
                for f in fds {
                    let fd = match &f.sock {
                        SockRef::Raw(n) => {
                            let Ok(fd) = raw::Fd::try_from(*n) else {
                                return Ok(not_performed("the descriptor does not fit in a C int"));
                            };
                            let ours = self.socks.values().any(|s| s.fd() == fd);
                            if fd >= 0 && !ours && raw::fd_is_open(fd) {
                                let what = raw::describe_fd(fd).map(|d| format!(" ({d})")).unwrap_or_default();
                                return Ok(not_performed(&format!(
                                    "#{n} is one of socklab's own descriptors{what}, not a socket of this experiment"
                                )));
                            }
                            fd
                        }
                        r => self.sock(r)?.fd(),
                    };
                    named.push((f.sock.to_string(), fd));
                    req.push((fd, PollBits(f.events.0)));
                }
                let ready = |b: &Vec<PollBits>| b.iter().any(|x| !x.is_empty());
                match sliced(wait_ms(*timeout), &self.cancel, ready, |t| readiness::poll(&req, t)) {
                    Ok(bits) => {
                        let revents = named_bits(&named, bits.iter().map(|b| b.0));
                        let n = revents.iter().filter(|(_, b)| !b.is_empty()).count() as i64;
                        performed(Ok(Value::Poll { revents }), Ret::Int(n), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            // args2: a NULL array of n entries.
            Call::PollNull { n, timeout } => {
                let r = raw::poll_null(*n, wait_ms(*timeout));
                performed(r.map(|_| Value::None), Ret::Int(0), clock.elapsed())
            }
            Call::Epoll { socks, timeout } => {
                let fds = self.fds(socks)?;
                let req: Vec<(raw::Fd, EpollBits)> =
                    fds.iter().map(|(_, f)| (*f, EpollBits::DEFAULT_INTEREST)).collect();
                let ready = |b: &Vec<EpollBits>| b.iter().any(|x| !x.is_empty());
                match sliced(wait_ms(*timeout), &self.cancel, ready, |t| readiness::epoll(&req, t)) {
                    Ok(bits) => {
                        // EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP and EPOLLRDHUP share poll's values.
                        let events = named_bits(&fds, bits.iter().map(|b| b.0 as u16));
                        let n = events.iter().filter(|(_, b)| !b.is_empty()).count() as i64;
                        performed(Ok(Value::Epoll { events }), Ret::Int(n), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::WsaEventSelect { .. } | Call::WsaAsyncSelect { .. } | Call::WsaEnumNetworkEvents { .. } => {
                not_performed("Linux has no WSAEventSelect, WSAAsyncSelect or WSAEnumNetworkEvents")
            }
            Call::GetSockName { sock, namelen: Some(n) } | Call::GetPeerName { sock, namelen: Some(n) } => {
                let peer = matches!(call, Call::GetPeerName { .. });
                let s = self.sock(sock)?;
                let full: u32 = if s.family() == raw::Family::V4 { 16 } else { 28 };
                if *n >= full {
                    let r = if peer { s.peer_addr() } else { s.local_addr() };
                    done(r.map(|a| addr_value(a.inet())), Ret::Int(0))
                } else {
                    done(s.sockname_len(peer, *n).map(|l| Value::Int { value: i64::from(l) }), Ret::Int(0))
                }
            }
            Call::GetSockName { sock, .. } => {
                done(self.sock(sock)?.local_addr().map(|a| addr_value(a.inet())), Ret::Int(0))
            }
            Call::GetPeerName { sock, .. } => {
                done(self.sock(sock)?.peer_addr().map(|a| addr_value(a.inet())), Ret::Int(0))
            }
            Call::Send { sock, data } => {
                let s = self.sock(sock)?;
                if s.kind() == raw::Kind::Udp {
                    if let Some(peer) = s.peer_addr().ok().and_then(|a| a.inet()) {
                        if !allowed_destination(peer.ip()) {
                            return Ok(not_performed(
                                "the peer is outside loopback: socklab sends nothing beyond this host",
                            ));
                        }
                    }
                }
                match s.send(data) {
                    Ok(n) => performed(Ok(Value::None), Ret::Int(n as i64), clock.elapsed()),
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::SendTo { sock, addr, data } => {
                let a = self.addr(sock, addr, true)?;
                if let raw::SockAddrArg::Family { .. } | raw::SockAddrArg::Null { .. } = a {
                    // No destination at all: the kernel refuses the address itself.
                    return Ok(match self.sock(sock)?.send_to_raw(data, &a) {
                        Ok(n) => performed(Ok(Value::None), Ret::Int(n as i64), clock.elapsed()),
                        Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                    });
                }
                let raw::SockAddrArg::Inet(to) = a else {
                    return Ok(not_performed("sendto takes a plain address here"));
                };
                match self.sock(sock)?.send_to(data, to) {
                    Ok(n) => performed(Ok(Value::None), Ret::Int(n as i64), clock.elapsed()),
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::Recv { sock } | Call::RecvFrom { sock } => {
                let with_from = matches!(call, Call::RecvFrom { .. });
                let blocking = !self.sock(sock)?.as_socket2().nonblocking().unwrap_or(false);
                let wait = if blocking { self.after_while_waiting(sock, LIVE_BLOCK_LIMIT)? } else { Duration::ZERO };
                let s = self.sock(sock)?;
                let mut buf = vec![0u8; 65536];
                let r = if with_from {
                    s.recv_from(&mut buf, wait).map(|(n, from)| (n, from.inet()))
                } else {
                    s.recv(&mut buf, wait).map(|n| (n, None))
                };
                if blocking && r.as_ref().is_err_and(|e| *e == Errno::EAGAIN) {
                    self.waited_out = true;
                    return Ok(still_waiting(if with_from { "recvfrom" } else { "recv" }));
                }
                match r {
                    Ok((n, from)) => {
                        buf.truncate(n);
                        let value = if n == 0 && s.kind() == raw::Kind::Tcp {
                            Value::None
                        } else {
                            Value::Data { data: buf, from }
                        };
                        performed(Ok(value), Ret::Int(n as i64), clock.elapsed())
                    }
                    Err(e) => performed(Err(e), Ret::Int(0), clock.elapsed()),
                }
            }
            Call::Shutdown { sock, how } => {
                let h = match how {
                    call::How::Read => Shutdown::Read,
                    call::How::Write => Shutdown::Write,
                    call::How::Both => Shutdown::Both,
                };
                done(self.sock(sock)?.shutdown(h).map(|_| Value::None), Ret::Int(0))
            }
            Call::Close { sock } => {
                let SockRef::Name(n) = sock else { return Ok(not_performed("raw descriptors are not closed")) };
                match self.socks.remove(n) {
                    Some(s) => {
                        self.closed.push(n.clone());
                        done(s.close().map(|_| Value::None), Ret::Int(0))
                    }
                    None => not_performed("the descriptor was already closed"),
                }
            }
        })
    }
}

/// The socket a call names, and whether an earlier call on it was not made for real (so the
/// real socket no longer matches the models'). A `socket` call starts the name afresh.
pub(crate) fn named_socket(diverged: &mut Vec<String>, call: &Call) -> (Option<String>, bool) {
    let name = match call {
        Call::Socket { name, .. } => {
            diverged.retain(|n| n != name);
            None
        }
        _ => match call.sock() {
            Some(SockRef::Name(n)) => Some(n.clone()),
            _ => None,
        },
    };
    let gone = name.as_ref().is_some_and(|n| diverged.contains(n));
    (name, gone)
}

impl Kernel for LiveKernel {
    fn perform(&mut self, call: &Call) -> KernelAnswer {
        let (name, diverged) = named_socket(&mut self.diverged, call);
        if diverged {
            return not_performed(
                "an earlier call on this socket was not made for real, so the kernel's socket differs",
            );
        }
        if self.ports_narrowed {
            return not_performed(
                "after `portrange` or `firewall` the models' host differs from this one (the kernel judges those in tests/live_seed_errors.rs)",
            );
        }
        while self.after.first().is_some_and(|(sw, due, _)| sw.elapsed() >= *due) {
            let (_, _, action) = self.after.remove(0);
            let _ = self.perform_inner(&action);
        }
        self.waited_out = false;
        let mut a = self.perform_inner(call).unwrap_or_else(|a| a);
        let given_up = std::mem::take(&mut *self.close_after.lock().unwrap_or_else(|p| p.into_inner()));
        for n in given_up {
            let _ = self.perform_inner(&Call::Close { sock: SockRef::Name(n) });
        }
        if let (KernelAnswer::NotPerformed { .. }, Some(n)) = (&a, &name) {
            // Calls that Linux does not have change nothing there; the others would have.
            let changes = matches!(
                call,
                Call::Connect { api: ConnectApi::Connect, .. }
                    | Call::Connect {
                        api: ConnectApi::WsaConnect { caller_data: None, sqos: false, gqos: false, callee: None },
                        ..
                    }
                    | Call::SendTo { .. }
                    | Call::WsaSendTo { null_overlapped: true, .. }
                    | Call::Bind { .. }
                    | Call::Accept { .. }
            );
            if changes && !self.waited_out && self.socks.contains_key(n) {
                self.diverged.push(n.clone());
            }
        }
        if let (KernelAnswer::Performed { tcp_state, .. }, Some(SockRef::Name(n))) = (&mut a, call.sock()) {
            *tcp_state = self.tcp_state(n);
        }
        a
    }

    fn diverge(&mut self, sock: &str) {
        if !self.diverged.iter().any(|n| n == sock) {
            self.diverged.push(sock.to_string());
        }
    }

    fn sleep(&mut self, d: Duration) {
        let clock = Stopwatch::start();
        let d = d.min(Duration::from_secs(600));
        while !self.cancel.load(Ordering::SeqCst) {
            let left = d.saturating_sub(clock.elapsed());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(SLICE));
        }
    }

    fn wait_until(&mut self, sock: &str, until: Until, limit: Duration) -> (bool, Duration) {
        let clock = Stopwatch::start();
        let Some(s) = self.socks.get(sock) else { return (false, Duration::ZERO) };
        let fd = s.fd();
        // Only `Until::Event` compares readiness with how it started.
        let start_bits =
            if until == Until::Event { readiness::poll_one(fd, 0).unwrap_or_default() } else { PollBits::default() };
        let tcp = s.kind() == raw::Kind::Tcp;
        let limit = if until == Until::Event { limit.min(LIVE_BLOCK_LIMIT) } else { limit };
        let mut step = Duration::from_millis(1);
        while clock.elapsed() < limit && !self.cancel.load(Ordering::SeqCst) {
            let state = readiness::tcp_info_state(fd);
            // Only a handshake in progress can still connect or fail.
            let moving = state == Some(TcpState::SynSent);
            // A handshake that completed stays connected for the models when either side has
            // since sent its FIN (the peer closing leaves this socket in CLOSE_WAIT).
            let connected = state.is_some_and(TcpState::handshake_done);
            if tcp && until != Until::Event && !moving && !connected {
                let failed = state == Some(TcpState::Close);
                return (until == Until::Failed && failed, clock.elapsed());
            }
            if !tcp && until != Until::Event {
                return (false, clock.elapsed());
            }
            let met = match until {
                Until::Connected => connected,
                // A failed handshake leaves the socket CLOSE with an error pending.
                Until::Failed => {
                    state == Some(TcpState::Close) && !readiness::poll_one(fd, 0).unwrap_or_default().is_empty()
                }
                Until::Event => readiness::poll_one(fd, 0).unwrap_or_default() != start_bits,
            };
            if met {
                return (true, clock.elapsed());
            }
            std::thread::sleep(step);
            step = (step * 2).min(Duration::from_millis(50));
        }
        (false, clock.elapsed())
    }

    fn interrupter(&self, job: &KernelJob) -> Option<Box<dyn Interrupt>> {
        self.cancel.store(false, Ordering::SeqCst);
        let fds = match job {
            // Never shut a descriptor down while it is being closed (its number may be reused).
            KernelJob::Call(Call::Close { .. }) => return None,
            // Several sockets, any of which the user still wants: just stop waiting.
            KernelJob::Call(
                Call::Select { .. }
                | Call::SelectEmptySets { .. }
                | Call::SelectTimeval { .. }
                | Call::Poll { .. }
                | Call::PollNull { .. }
                | Call::PollFds { .. }
                | Call::Epoll { .. },
            ) => Vec::new(),
            KernelJob::Call(c) => match c.sock() {
                Some(SockRef::Name(n)) => self.socks.get(n).map(|s| vec![(n.clone(), s.fd())]).unwrap_or_default(),
                _ => Vec::new(),
            },
            KernelJob::Sleep(_) | KernelJob::Until { .. } => Vec::new(),
        };
        Some(Box::new(LiveInterrupt { fds, cancel: self.cancel.clone(), close_after: self.close_after.clone() }))
    }

    fn tcp_state(&self, sock: &str) -> Option<String> {
        let s = self.socks.get(sock)?;
        if s.kind() != raw::Kind::Tcp {
            return None;
        }
        readiness::tcp_info_state(s.fd()).map(|t| t.name().to_owned())
    }
}

/// Start socklab's targets on loopback (ephemeral ports when 7001-7007 are taken) and describe
/// them to the models, without a kernel judge: for a lab judged by a Winsock agent only, and
/// for `socklab targets`.
pub fn start_targets() -> Result<(Arc<Targets>, LiveFacts), Errno> {
    let targets = Targets::start_all(TargetsConfig::default())?;
    let addrs = NamedTarget::ALL.iter().filter_map(|t| targets.addr(target_name(*t).name()).map(|a| (*t, a))).collect();
    Ok((Arc::new(targets), LiveFacts { addrs, elsewhere: SimNet }))
}

/// A call's timeout in milliseconds; none means socklab's own bound on the live network.
fn wait_ms(timeout: Option<Duration>) -> u32 {
    // At most INT_MAX ms, the longest the command language writes (and poll(2) takes).
    timeout.unwrap_or(LIVE_BLOCK_LIMIT).as_millis().min(i32::MAX as u128) as u32
}

/// Readiness bits per socket name (poll and epoll share the Linux values of these bits).
fn named_bits(fds: &[(String, raw::Fd)], bits: impl Iterator<Item = u16>) -> Vec<(String, call::PollBits)> {
    fds.iter().zip(bits).map(|((n, _), b)| (n.clone(), call::PollBits(b))).collect()
}

fn not_performed(why: &str) -> KernelAnswer {
    KernelAnswer::NotPerformed { why: why.to_string() }
}

/// select's answer in the models' terms: the names of the sockets each set kept, and their count.
fn select_value(
    r: &[(String, raw::Fd)],
    w: &[(String, raw::Fd)],
    x: &[(String, raw::Fd)],
    ans: &readiness::SelectAnswer,
) -> (Value, i64) {
    let names = |v: &[(String, raw::Fd)], set: &[raw::Fd]| {
        v.iter().filter(|(_, f)| set.contains(f)).map(|(n, _)| n.clone()).collect::<Vec<_>>()
    };
    let (rs, ws, xs) = (names(r, &ans.read), names(w, &ans.write), names(x, &ans.except));
    let n = (rs.len() + ws.len() + xs.len()) as i64;
    (Value::Select { read: rs, write: ws, except: xs }, n)
}

/// A blocking call on which nothing arrived while socklab waited for it (at most
/// [`LIVE_BLOCK_LIMIT`]): the kernel would still be waiting, so the call itself is not made and
/// the socket is left as it was (the Winsock agent does the same). Making it would answer
/// EAGAIN, which no blocking call answers.
fn still_waiting(what: &str) -> KernelAnswer {
    not_performed(&format!(
        "a blocking {what} was still waiting when socklab's {}-second wait ran out (nothing arrived), so socklab did not make it",
        LIVE_BLOCK_LIMIT.as_secs()
    ))
}

fn unknown_errno(e: Errno) -> KernelAnswer {
    KernelAnswer::NotPerformed { why: format!("the kernel answered {e}, which the catalogue does not know") }
}

/// The catalogue's Linux code for an errno.
pub fn linux_code(e: Errno) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.platform() == Platform::Linux && c.number() == e.code())
}

fn performed(r: Result<Value, Errno>, ok_ret: Ret, elapsed: Duration) -> KernelAnswer {
    match r {
        Ok(value) => KernelAnswer::Performed { ret: ok_ret, error: None, value, elapsed, tcp_state: None },
        Err(e) => match linux_code(e) {
            Some(code) => KernelAnswer::Performed {
                ret: match ok_ret {
                    Ret::Handle(_) => Ret::Handle(None),
                    _ => Ret::Int(-1),
                },
                error: Some(code),
                value: Value::None,
                elapsed,
                tcp_state: None,
            },
            None => unknown_errno(e),
        },
    }
}

fn addr_value(a: Option<SocketAddr>) -> Value {
    match a {
        Some(addr) => Value::Addr { addr },
        None => Value::None,
    }
}

/// The live option and its value for a core option, when Linux has it.
fn opt_value(opt: call::SockOpt, value: i32) -> Option<(SockOpt, OptValue)> {
    use call::SockOpt as C;
    let int = OptValue::Int(value);
    Some(match opt {
        C::SO_BROADCAST => (SockOpt::Broadcast, int),
        C::SO_REUSEADDR => (SockOpt::ReuseAddr, int),
        C::SO_ERROR => (SockOpt::Error, int),
        C::SO_SNDTIMEO => {
            (SockOpt::SndTimeo, OptValue::Time(Duration::from_millis(u64::from(value.max(0).unsigned_abs()))))
        }
        C::SO_LINGER => (SockOpt::Linger, OptValue::Linger { on: value > 0, secs: value.max(0) }),
        C::TCP_NODELAY => (SockOpt::TcpNoDelay, int),
        C::TCP_SYNCNT => (SockOpt::TcpSynCnt, int),
        C::TCP_USER_TIMEOUT => (SockOpt::TcpUserTimeout, int),
        C::IPV6_V6ONLY => (SockOpt::Ipv6V6Only, int),
        C::SO_KEEPALIVE
        | C::SO_CONNECT_TIME
        | C::SO_UPDATE_CONNECT_CONTEXT
        | C::SO_UPDATE_ACCEPT_CONTEXT
        | C::TCP_MAXRT
        | C::SO_EXCLUSIVEADDRUSE
        | C::SO_BSP_STATE => {
            return None;
        }
    })
}
