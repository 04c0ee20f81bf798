//! Unit tests of the engine, grouped by the state they start from. Builders put a socket in a
//! state directly; time is virtual, so timeouts are tested in milliseconds of nothing.

use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::core::call::NamedTarget;
use crate::net::sim::SimNet;

use PersonalityId::{Linux, Windows, Winsock, Winsock1};

const NET: SimNet = SimNet;

fn name(s: &str) -> SockRef {
    SockRef::Name(s.into())
}

fn target(t: NamedTarget) -> SockAddrArg {
    SockAddrArg { kind: AddrKind::Target(t), len: None }
}

fn lit(a: &str) -> SockAddrArg {
    SockAddrArg::inet(a.parse::<SocketAddr>().unwrap())
}

fn call(h: &mut Host, c: Call) -> Answer {
    h.call(&c, &NET)
}

fn connect(h: &mut Host, s: &str, to: SockAddrArg) -> Answer {
    call(h, Call::Connect { sock: name(s), addr: to, api: ConnectApi::Connect })
}

/// A host with one TCP socket `s`, nonblocking when asked.
fn host_with_socket(p: PersonalityId, nonblocking: bool) -> Host {
    let mut h = Host::new(p);
    call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() });
    if nonblocking {
        call(&mut h, Call::Fionbio { sock: name("s"), on: true });
    }
    h
}

/// `s` nonblocking and pending towards `@pending`.
fn socket_pending(p: PersonalityId) -> Host {
    let mut h = host_with_socket(p, true);
    connect(&mut h, "s", target(NamedTarget::Pending));
    assert_eq!(h.state("s"), Some(State::Pending));
    h
}

/// `s` nonblocking, refused by `@refuse`, its error unread.
fn socket_failed(p: PersonalityId) -> Host {
    let mut h = host_with_socket(p, true);
    connect(&mut h, "s", target(NamedTarget::Refuse));
    h.advance(Duration::from_secs(3), &NET);
    assert_eq!(h.state("s"), Some(State::Failed));
    h
}

// ----- pending --------------------------------------------------------------------------------

#[test]
fn pending_repeat_names_per_personality() {
    for (p, want) in [
        (Linux, Code::EALREADY),
        (Winsock, Code::WSAEALREADY),
        (Windows, Code::WSAEALREADY),
        (Winsock1, Code::WSAEINVAL),
    ] {
        let mut h = socket_pending(p);
        let a = connect(&mut h, "s", target(NamedTarget::Pending));
        assert_eq!(a.error, Some(want), "{p}");
        assert_eq!(a.rule, r::PENDING_AGAIN);
    }
}

#[test]
fn pending_times_out_after_the_personality_default() {
    for (p, secs, code) in [(Linux, 127, Code::ETIMEDOUT), (Windows, 21, Code::WSAETIMEDOUT)] {
        let mut h = socket_pending(p);
        h.advance(Duration::from_secs(secs) - Duration::from_millis(1), &NET);
        assert_eq!(h.state("s"), Some(State::Pending), "{p} still pending just before {secs} s");
        let ev = h.advance(Duration::from_millis(1), &NET);
        assert_eq!(h.state("s"), Some(State::Failed), "{p}");
        assert_eq!(ev.transitions.last().and_then(|t| t.error), Some(code));
    }
}

// ----- failed ---------------------------------------------------------------------------------

#[test]
fn linux_reports_a_failure_before_retrying() {
    let mut h = socket_failed(Linux);
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::ECONNREFUSED));
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EINPROGRESS));
}

#[test]
fn linux_answers_econnaborted_when_so_error_was_read() {
    let mut h = socket_failed(Linux);
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
    assert_eq!(e.value, Value::Error { error: Some(Code::ECONNREFUSED) });
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::ECONNABORTED));
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EINPROGRESS));
}

#[test]
fn winsock_retries_at_once() {
    for p in [Winsock, Windows, Winsock1] {
        let mut h = socket_failed(p);
        let a = connect(&mut h, "s", target(NamedTarget::Accept));
        assert_eq!(a.error, Some(Code::WSAEWOULDBLOCK), "{p}");
        assert_eq!(h.state("s"), Some(State::Pending));
    }
}

#[test]
fn windows_keeps_so_error_after_reading_it() {
    for (p, second) in [(Winsock, None), (Windows, Some(Code::WSAECONNREFUSED))] {
        let mut h = socket_failed(p);
        call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
        let again = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
        assert_eq!(again.value, Value::Error { error: second }, "{p}");
    }
}

#[test]
fn failure_readiness_differs() {
    let sel = |p| {
        let mut h = socket_failed(p);
        let a = call(
            &mut h,
            Call::Select {
                read: vec![name("s")],
                write: vec![name("s")],
                except: vec![name("s")],
                timeout: Some(Duration::ZERO),
            },
        );
        a.value
    };
    let set = |r: &[&str], w: &[&str], e: &[&str]| Value::Select {
        read: r.iter().map(|s| s.to_string()).collect(),
        write: w.iter().map(|s| s.to_string()).collect(),
        except: e.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(sel(Linux), set(&["s"], &["s"], &[]));
    assert_eq!(sel(Winsock), set(&[], &[], &["s"]));
}

#[test]
fn windows_refusal_takes_two_seconds() {
    let mut h = host_with_socket(Windows, false);
    let a = connect(&mut h, "s", target(NamedTarget::Refuse));
    assert_eq!(a.error, Some(Code::WSAECONNREFUSED));
    assert_eq!(a.elapsed, Duration::from_secs(2));
    let mut l = host_with_socket(Linux, false);
    assert_eq!(connect(&mut l, "s", target(NamedTarget::Refuse)).elapsed, Duration::ZERO);
}

// ----- connected ------------------------------------------------------------------------------

#[test]
fn linux_reports_success_once() {
    let mut h = host_with_socket(Linux, true);
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EINPROGRESS));
    let second = connect(&mut h, "s", target(NamedTarget::Accept));
    assert!(second.is_ok());
    assert_eq!(second.rule, r::LINUX_ONCE_ZERO);
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EISCONN));
}

#[test]
fn success_notifies_fd_connect_then_fd_write() {
    let mut h = host_with_socket(Winsock, false);
    call(&mut h, Call::WsaEventSelect { sock: name("s"), events: FdEvents::CONNECT | FdEvents::WRITE });
    let a = connect(&mut h, "s", target(NamedTarget::Slow));
    assert_eq!(a.error, Some(Code::WSAEWOULDBLOCK), "WSAEventSelect made the socket nonblocking");
    let ev = h.advance(Duration::from_secs(2), &NET);
    let events: Vec<FdEvents> = ev
        .notifications
        .iter()
        .filter_map(|n| match n {
            Notification::NetworkEvent { event, error: None, .. } => Some(*event),
            _ => None,
        })
        .collect();
    assert_eq!(events, vec![FdEvents::CONNECT, FdEvents::WRITE]);
}

#[test]
fn reset_ends_the_connection_and_linux_reports_it_once() {
    let mut h = host_with_socket(Linux, false);
    assert!(connect(&mut h, "s", target(NamedTarget::Reset)).is_ok());
    let ev = h.advance(Duration::from_secs(1), &NET);
    // The connection is gone: not `connected` any more, and the move says why.
    assert_eq!(h.state("s"), Some(State::Failed));
    let t = ev.transitions.last().expect("the reset is a transition");
    assert_eq!((t.from, t.to, t.error), (State::Connected, State::Failed, Some(Code::ECONNRESET)));
    assert_eq!(call(&mut h, Call::Recv { sock: name("s") }).error, Some(Code::ECONNRESET));
    let eof = call(&mut h, Call::Recv { sock: name("s") });
    assert_eq!((eof.ret, eof.error), (Ret::Int(0), None));
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EISCONN));
}

// ----- addresses ------------------------------------------------------------------------------

#[test]
fn zero_address_means_this_host_only_on_linux() {
    let mut l = host_with_socket(Linux, false);
    assert!(connect(&mut l, "s", lit("0.0.0.0:7001")).is_ok());
    let mut w = host_with_socket(Winsock, false);
    assert_eq!(connect(&mut w, "s", lit("0.0.0.0:7001")).error, Some(Code::WSAEADDRNOTAVAIL));
}

#[test]
fn short_namelen() {
    for (p, want) in [(Linux, Code::EINVAL), (Winsock, Code::WSAEFAULT)] {
        let mut h = host_with_socket(p, false);
        let mut a = lit("127.0.0.1:7001");
        a.len = Some(8);
        assert_eq!(connect(&mut h, "s", a).error, Some(want), "{p}");
    }
}

#[test]
fn routing_errors_are_synchronous() {
    for (to, want) in
        [("203.0.113.9:80", Code::EHOSTUNREACH), ("192.0.2.1:80", Code::ENETUNREACH), ("198.18.0.1:80", Code::EACCES)]
    {
        let mut h = host_with_socket(Linux, true);
        let a = connect(&mut h, "s", lit(to));
        assert_eq!(a.error, Some(want), "{to}");
        assert_eq!(h.state("s"), Some(State::Unbound));
    }
}

#[test]
fn arp_failure_takes_three_seconds_on_linux() {
    let mut h = host_with_socket(Linux, false);
    let a = connect(&mut h, "s", lit("198.51.100.9:80"));
    assert_eq!(a.error, Some(Code::EHOSTUNREACH));
    assert_eq!(a.elapsed, Duration::from_secs(3));
}

#[test]
fn every_transition_is_an_edge_of_the_diagram() {
    for &p in PersonalityId::ALL {
        let mut h = socket_failed(p);
        let a = connect(&mut h, "s", target(NamedTarget::Accept));
        let b = call(&mut h, Call::Close { sock: name("s") });
        for t in a.transitions.iter().chain(&b.transitions) {
            assert!(t.from.can_move_to(t.to), "{p}: {t:?}");
        }
    }
}

#[test]
fn every_rule_an_answer_names_is_registered() {
    let mut h = socket_failed(Linux);
    let a = connect(&mut h, "s", target(NamedTarget::Accept));
    assert!(crate::core::rules::find(a.rule).is_some());
}

#[test]
fn linux_connect_picks_even_ports_and_bind_odd_ones() {
    // LINUX_TRUTH 1d.
    let mut h = host_with_socket(Linux, false);
    call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "b".into() });
    call(&mut h, Call::Bind { sock: name("b"), addr: lit("0.0.0.0:0") });
    connect(&mut h, "s", target(NamedTarget::Accept));
    let port = |h: &mut Host, s: &str| match call(h, Call::GetSockName { sock: name(s), namelen: None }).value {
        Value::Addr { addr } => addr.port(),
        v => panic!("{v:?}"),
    };
    assert_eq!(port(&mut h, "s") % 2, 0);
    assert_eq!(port(&mut h, "b") % 2, 1);
}

#[test]
fn huge_times_saturate_instead_of_overflowing() {
    let mut h = host_with_socket(Windows, false);
    call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::TCP_MAXRT, value: i64::MAX, optlen: None });
    h.advance(Duration::MAX, &NET);
    let a = connect(&mut h, "s", target(NamedTarget::Pending));
    assert_eq!(a.error, Some(Code::WSAETIMEDOUT));
    h.advance(Duration::MAX, &NET);
}

#[test]
fn closed_slots_are_reused_so_memory_stays_bounded() {
    let mut h = Host::new(Linux);
    for _ in 0..10_000 {
        call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() });
        call(&mut h, Call::Fionbio { sock: name("s"), on: true });
        connect(&mut h, "s", target(NamedTarget::Refuse));
        call(&mut h, Call::Close { sock: name("s") });
    }
    assert_eq!(h.sockets().len(), 1, "one slot, reused ten thousand times");
    // The closed name still answers as closed.
    assert_eq!(h.state("s"), Some(State::Closed));
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::EBADF));
}

#[test]
fn a_datagram_in_flight_never_reaches_the_next_socket_in_the_same_slot() {
    /// SimNet, but the echo comes back after 5 ms, so it is still in flight when `a` closes.
    struct SlowEcho;
    impl Facts for SlowEcho {
        fn resolve(&self, t: NamedTarget, f: Family) -> Option<SocketAddr> {
            NET.resolve(t, f)
        }
        fn route(&self, dst: std::net::IpAddr) -> crate::core::facts::RouteFact {
            NET.route(dst)
        }
        fn is_local(&self, ip: std::net::IpAddr) -> bool {
            NET.is_local(ip)
        }
        fn tcp(&self, dst: SocketAddr) -> crate::core::facts::TcpFact {
            NET.tcp(dst)
        }
        fn udp(&self, _dst: SocketAddr) -> crate::core::facts::UdpFact {
            crate::core::facts::UdpFact::Echo { after: Duration::from_millis(5) }
        }
    }
    let net = SlowEcho;
    let mut h = Host::new(Linux);
    let c = |h: &mut Host, call: Call| h.call(&call, &net);
    c(&mut h, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "a".into() });
    c(&mut h, Call::Bind { sock: name("a"), addr: lit("127.0.0.1:5000") });
    c(&mut h, Call::SendTo { sock: name("a"), addr: target(NamedTarget::Echo), data: b"x".to_vec() });
    c(&mut h, Call::Close { sock: name("a") });
    c(&mut h, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "b".into() });
    c(&mut h, Call::Bind { sock: name("b"), addr: lit("127.0.0.1:5000") });
    c(&mut h, Call::Fionbio { sock: name("b"), on: true });
    assert_eq!(h.sockets().len(), 1, "b took a's slot");
    h.advance(Duration::from_millis(10), &net);
    assert_eq!(c(&mut h, Call::Recv { sock: name("b") }).error, Some(Code::EAGAIN), "the echo was for a");
}

// ----- UDP disconnect (issue 9, defect 1) -----------------------------------------------------

fn udp_connected(p: PersonalityId) -> Host {
    let mut h = Host::new(p);
    call(&mut h, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "u".into() });
    assert!(connect(&mut h, "u", target(NamedTarget::Sink)).is_ok());
    h
}

#[test]
fn a_zero_filled_af_unspec_disconnects_udp_on_every_personality() {
    let unspec = SockAddrArg { kind: AddrKind::Unspec, len: None };
    for p in [Winsock, Windows, Winsock1] {
        let mut h = udp_connected(p);
        let a = connect(&mut h, "u", unspec.clone());
        assert!(a.is_ok(), "{p}: {a:?}");
        assert_eq!(h.state("u"), Some(State::Unassociated), "{p}: the local address stays");
        assert_eq!(
            call(&mut h, Call::GetPeerName { sock: name("u"), namelen: None }).error,
            Some(Code::WSAENOTCONN),
            "{p}"
        );
    }
    let mut l = udp_connected(Linux);
    assert!(connect(&mut l, "u", unspec).is_ok());
    assert_eq!(l.state("u"), Some(State::Unbound), "linux releases the kernel-chosen port (7g)");
}

#[test]
fn windows_refuses_inaddr_any_with_a_port_and_keeps_the_peer() {
    let mut w = udp_connected(Windows);
    let a = connect(&mut w, "u", lit("0.0.0.0:9"));
    assert_eq!(a.error, Some(Code::WSAEADDRNOTAVAIL));
    assert_eq!(a.rule, r::UDP_ANY_PORT_WINDOWS);
    assert_eq!(w.state("u"), Some(State::Associated));
    let mut d = udp_connected(Winsock);
    assert!(connect(&mut d, "u", lit("0.0.0.0:9")).is_ok(), "the documentation disconnects");
    assert_eq!(d.state("u"), Some(State::Unassociated));
}

// ----- ConnectEx and connect together (issue 9, defect 3) ------------------------------------

fn connectex(h: &mut Host, s: &str, to: SockAddrArg) -> Answer {
    call(
        h,
        Call::Connect { sock: name(s), addr: to, api: ConnectApi::ConnectEx { send: None, null_overlapped: false } },
    )
}

fn bound_socket(p: PersonalityId) -> Host {
    let mut h = host_with_socket(p, true);
    call(&mut h, Call::Bind { sock: name("s"), addr: lit("0.0.0.0:0") });
    h
}

#[test]
fn windows_answers_wsaeinval_when_connect_and_connectex_meet() {
    for (p, want) in [(Windows, Code::WSAEINVAL), (Winsock, Code::WSAEALREADY)] {
        // ConnectEx while a plain connect pends.
        let mut h = bound_socket(p);
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Pending)).error, Some(Code::WSAEWOULDBLOCK));
        let a = connectex(&mut h, "s", target(NamedTarget::Pending));
        assert_eq!((a.ret, a.error), (Ret::Bool(false), Some(want)), "{p}");
        // connect while a ConnectEx pends, and a second ConnectEx.
        let mut h = bound_socket(p);
        assert_eq!(connectex(&mut h, "s", target(NamedTarget::Pending)).error, Some(Code::WSA_IO_PENDING));
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Pending)).error, Some(want), "{p}");
        assert_eq!(connectex(&mut h, "s", target(NamedTarget::Pending)).error, Some(want), "{p}");
    }
}

#[test]
fn windows_connect_after_connectex_without_update_context_is_wsaeinval() {
    for (p, want) in [(Windows, Code::WSAEINVAL), (Winsock, Code::WSAEISCONN)] {
        let mut h = bound_socket(p);
        connectex(&mut h, "s", target(NamedTarget::Accept));
        h.advance(Duration::from_millis(1), &NET);
        assert_eq!(h.state("s"), Some(State::Connected));
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(want), "{p}");
        assert_eq!(connectex(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::WSAEISCONN), "{p}");
        call(
            &mut h,
            Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_UPDATE_CONNECT_CONTEXT, value: 1, optlen: None },
        );
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::WSAEISCONN), "{p}");
    }
}

// ----- getpeername while pending (issue 9, defect 4) -----------------------------------------

#[test]
fn windows_getpeername_answers_while_a_plain_connect_pends() {
    for (p, ok) in [(Windows, true), (Winsock, false), (Linux, false)] {
        let mut h = socket_pending(p);
        let a = call(&mut h, Call::GetPeerName { sock: name("s"), namelen: None });
        assert_eq!(a.is_ok(), ok, "{p}: {a:?}");
    }
    let mut h = bound_socket(Windows);
    connectex(&mut h, "s", target(NamedTarget::Pending));
    assert_eq!(call(&mut h, Call::GetPeerName { sock: name("s"), namelen: None }).error, Some(Code::WSAENOTCONN));
}

// ----- ConnectEx's buffer arrives (issue 9, defect 14) ---------------------------------------

#[test]
fn connectex_send_buffer_reaches_the_accepted_socket() {
    let mut h = Host::new(Windows);
    call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "l".into() });
    call(&mut h, Call::Bind { sock: name("l"), addr: lit("127.0.0.1:47300") });
    call(&mut h, Call::Listen { sock: name("l"), backlog: 1 });
    call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "c".into() });
    call(&mut h, Call::Bind { sock: name("c"), addr: lit("127.0.0.1:0") });
    let a = call(
        &mut h,
        Call::Connect {
            sock: name("c"),
            addr: lit("127.0.0.1:47300"),
            api: ConnectApi::ConnectEx { send: Some(b"123".to_vec()), null_overlapped: false },
        },
    );
    assert_eq!(a.error, Some(Code::WSA_IO_PENDING));
    h.advance(Duration::from_millis(1), &NET);
    assert!(call(&mut h, Call::Accept { sock: name("l"), name: "a".into(), cond: None }).is_ok());
    let r = call(&mut h, Call::Recv { sock: name("a") });
    assert!(matches!(&r.value, Value::Data { data, .. } if data == b"123"), "{r:?}");
}

// ----- getsockname after bind to the wildcard (issue 9, defect 5) ----------------------------

#[test]
fn windows_getsockname_answers_after_a_wildcard_bind() {
    for (p, ok) in [(Windows, true), (Winsock, false), (Linux, true)] {
        let mut h = host_with_socket(p, false);
        assert!(
            call(&mut h, Call::GetSockName { sock: name("s"), namelen: None }).is_ok() == (p == Linux),
            "{p}: unbound"
        );
        call(&mut h, Call::Bind { sock: name("s"), addr: lit("0.0.0.0:0") });
        let a = call(&mut h, Call::GetSockName { sock: name("s"), namelen: None });
        assert_eq!(a.is_ok(), ok, "{p}: {a:?}");
        if let Value::Addr { addr } = a.value {
            assert!(addr.ip().is_unspecified() && addr.port() != 0, "{p}: {addr}");
        }
    }
}

// ----- listen after a failed connect (issue 9, defect 10) ------------------------------------

#[test]
fn windows_listens_after_a_failed_connect_and_keeps_the_error() {
    for (p, want) in [(Windows, None), (Winsock, Some(Code::WSAEINVAL)), (Linux, Some(Code::EINVAL))] {
        let mut h = socket_failed(p);
        let a = call(&mut h, Call::Listen { sock: name("s"), backlog: 1 });
        assert_eq!(a.error, want, "{p}");
    }
    let mut h = socket_failed(Windows);
    call(&mut h, Call::Listen { sock: name("s"), backlog: 1 });
    assert_eq!(h.state("s"), Some(State::Listening));
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
    assert_eq!(e.value, Value::Error { error: Some(Code::WSAECONNREFUSED) });
}

// ----- the limited broadcast (issue 9, defect 2) ---------------------------------------------

#[test]
fn the_limited_broadcast_routes_and_windows_skips_so_broadcast_at_connect() {
    for (p, want) in [
        (Linux, Some(Code::EACCES)),
        (Winsock, Some(Code::WSAEACCES)),
        (Winsock1, Some(Code::WSAEACCES)),
        (Windows, None),
    ] {
        let mut h = Host::new(p);
        call(&mut h, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "u".into() });
        let a = connect(&mut h, "u", lit("255.255.255.255:9"));
        assert_eq!(a.error, want, "{p}: without SO_BROADCAST");
        call(&mut h, Call::SetSockOpt { sock: name("u"), opt: SockOpt::SO_BROADCAST, value: 1, optlen: None });
        assert!(connect(&mut h, "u", lit("255.255.255.255:9")).is_ok(), "{p}: with SO_BROADCAST");
    }
    let mut w = Host::new(Windows);
    call(&mut w, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "u".into() });
    connect(&mut w, "u", lit("255.255.255.255:9"));
    let to = lit("255.255.255.255:9");
    assert_eq!(
        call(&mut w, Call::SendTo { sock: name("u"), addr: to, data: b"x".to_vec() }).error,
        Some(Code::WSAEACCES)
    );
    assert_eq!(call(&mut w, Call::Send { sock: name("u"), data: b"test".to_vec() }).ret, Ret::Int(4));
}

#[test]
fn a_blocking_recv_that_nothing_can_complete_says_so_and_keeps_the_clock() {
    for p in [Windows, Linux] {
        let mut h = host_with_socket(p, false);
        assert!(connect(&mut h, "s", target(NamedTarget::Accept)).is_ok());
        let before = h.now();
        let a = call(&mut h, Call::Recv { sock: name("s") });
        assert_eq!((a.ret, a.error, a.rule), (Ret::NotApplicable, None, r::BLOCKS_FOREVER), "{p}");
        assert!(a.note.as_deref().is_some_and(|n| n.contains("forever")), "{p}: {a:?}");
        assert_eq!(h.now(), before, "{p}: no day of virtual time passed");
    }
    let mut w = host_with_socket(Windows, false);
    connect(&mut w, "s", target(NamedTarget::Accept));
    call(&mut w, Call::Recv { sock: name("s") });
    let t = call(&mut w, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_CONNECT_TIME, optlen: None });
    assert_eq!(t.value, Value::Int { value: 0 }, "SO_CONNECT_TIME does not show a day");
}

// ----- IPV6_V6ONLY and v4-mapped destinations (issue 9, defect 11) ---------------------------

#[test]
fn a_v6_only_socket_cannot_reach_a_v4_mapped_address() {
    let mapped = lit("[::ffff:127.0.0.1]:7001");
    for (p, sync, later) in [
        (Linux, Some(Code::ENETUNREACH), None),
        (Windows, Some(Code::WSAEWOULDBLOCK), Some(Code::WSAEADDRNOTAVAIL)),
        (Winsock, Some(Code::WSAEWOULDBLOCK), Some(Code::WSAEADDRNOTAVAIL)),
    ] {
        let mut h = Host::new(p);
        call(&mut h, Call::Socket { proto: Proto::Tcp, family: Family::V6, name: "s".into() });
        call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::IPV6_V6ONLY, value: 1, optlen: None });
        call(&mut h, Call::Fionbio { sock: name("s"), on: true });
        assert_eq!(connect(&mut h, "s", mapped.clone()).error, sync, "{p}");
        h.advance(Duration::from_millis(1), &NET);
        let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
        assert_eq!(e.value, Value::Error { error: later }, "{p}");
    }
    // Linux's default is dual-stack: the same connect starts.
    let mut l = Host::new(Linux);
    call(&mut l, Call::Socket { proto: Proto::Tcp, family: Family::V6, name: "s".into() });
    call(&mut l, Call::Fionbio { sock: name("s"), on: true });
    assert_eq!(connect(&mut l, "s", mapped).error, Some(Code::EINPROGRESS));
}

// ----- WSAStartup versions and unsourced claims (issue 9, defect 15) -------------------------

#[test]
fn wsastartup_refuses_only_major_version_zero() {
    for (major, minor, ok) in [(0, 0, false), (0, 1, false), (1, 0, true), (1, 1, true), (2, 2, true), (3, 0, true)] {
        let mut h = Host::new(Windows);
        let a = call(&mut h, Call::WsaStartup { major, minor });
        assert_eq!(a.error.is_none(), ok, "{major}.{minor}: {a:?}");
    }
}

#[test]
fn unsourced_answers_are_marked_assumed() {
    let assumed = |id: &str, p: PersonalityId| crate::core::rules::find(id).is_some_and(|r| r.assumed.contains(&p));
    // A refused blocking connect: timing documented nowhere for winsock.
    let mut h = host_with_socket(Winsock, false);
    let a = connect(&mut h, "s", target(NamedTarget::Refuse));
    assert!(assumed(a.rule, Winsock) && !assumed(a.rule, Windows), "{}", a.rule);
    // Self-connect: measured on Linux only.
    let mut w = host_with_socket(Windows, true);
    call(&mut w, Call::Bind { sock: name("s"), addr: lit("127.0.0.1:47400") });
    let a = connect(&mut w, "s", lit("127.0.0.1:47400"));
    assert_eq!(a.rule, r::SELF_CONNECT);
    assert!(assumed(a.rule, Windows) && !assumed(a.rule, Linux));
    assert!(assumed(r::WS1_NO_IPV6, Winsock1));
}

// ----- SO_ERROR on windows (issue 9, defect 6) -------------------------------------------------

#[test]
fn windows_so_error_survives_a_new_connect_until_one_succeeds() {
    // test_select: after a refused attempt, a second connect leaves SO_ERROR at
    // WSAECONNREFUSED; a successful connection clears it.
    for (p, during) in [(Windows, Some(Code::WSAECONNREFUSED)), (Winsock, None), (Winsock1, None)] {
        let mut h = socket_failed(p);
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Slow)).error, Some(Code::WSAEWOULDBLOCK), "{p}");
        let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
        assert_eq!(e.value, Value::Error { error: during }, "{p}");
        h.advance(Duration::from_secs(2), &NET);
        assert_eq!(h.state("s"), Some(State::Connected), "{p}");
        let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
        assert_eq!(e.value, Value::Error { error: None }, "{p}");
    }
}

#[test]
fn windows_so_error_can_be_set_and_read_back() {
    // test_set_getsockopt: setsockopt(SO_ERROR, 1234) succeeds and 1234 reads back.
    let mut h = host_with_socket(Windows, false);
    let a = call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 1234, optlen: None });
    assert!(a.is_ok(), "{a:?}");
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
    assert_eq!(e.value, Value::Int { value: 1234 });
    call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 10061, optlen: None });
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
    assert_eq!(e.value, Value::Error { error: Some(Code::WSAECONNREFUSED) });
    for p in [Linux, Winsock, Winsock1] {
        let mut h = host_with_socket(p, false);
        let a = call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 1234, optlen: None });
        assert!(!a.is_ok(), "{p}: SO_ERROR stays read-only");
    }
}

// ----- peer reset on windows (issue 9, defect 8) -----------------------------------------------

#[test]
fn windows_reset_reads_so_error_0_and_polls_err_hup_wrnorm() {
    // test_tcp_reset: SO_ERROR is 0; recv and send answer WSAECONNRESET, every time; WSAPoll
    // gives POLLERR|POLLHUP|POLLWRNORM; select: readable and writable, not exceptional.
    let mut h = host_with_socket(Windows, false);
    assert!(connect(&mut h, "s", target(NamedTarget::Reset)).is_ok());
    h.advance(Duration::from_secs(1), &NET);
    assert_eq!(h.state("s"), Some(State::Failed));
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, optlen: None });
    assert_eq!(e.value, Value::Error { error: None });
    for _ in 0..2 {
        assert_eq!(call(&mut h, Call::Recv { sock: name("s") }).error, Some(Code::WSAECONNRESET));
        let a = call(&mut h, Call::Send { sock: name("s"), data: b"data".to_vec() });
        assert_eq!(a.error, Some(Code::WSAECONNRESET));
    }
    let poll = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO), events: None });
    assert_eq!(poll.value, Value::Poll { revents: vec![("s".into(), PollBits::ERR | PollBits::HUP | PollBits::OUT)] });
    let sel = call(
        &mut h,
        Call::Select {
            read: vec![name("s")],
            write: vec![name("s")],
            except: vec![name("s")],
            timeout: Some(Duration::ZERO),
        },
    );
    assert_eq!(sel.ret, Ret::Int(2));
    assert_eq!(connect(&mut h, "s", target(NamedTarget::Accept)).error, Some(Code::WSAEISCONN));
}

// ----- event re-enabling on windows (issue 9, defect 9) ----------------------------------------

fn enum_events(h: &mut Host) -> Vec<FdEvents> {
    match call(h, Call::WsaEnumNetworkEvents { sock: name("s") }).value {
        Value::NetworkEvents { errors, .. } => errors.into_iter().map(|(e, _)| e).collect(),
        v => panic!("not events: {v:?}"),
    }
}

#[test]
fn windows_event_mode_records_connect_and_write_once() {
    // test_connect_events / test_write_events: registering after the connect records FD_CONNECT
    // and FD_WRITE; registering the same mask again records nothing. winsock (the documents)
    // records FD_WRITE again.
    let all = FdEvents::CONNECT | FdEvents::WRITE | FdEvents::READ;
    let mut h = host_with_socket(Windows, false);
    assert!(connect(&mut h, "s", target(NamedTarget::Accept)).is_ok());
    call(&mut h, Call::WsaEventSelect { sock: name("s"), events: all });
    assert_eq!(enum_events(&mut h), vec![FdEvents::CONNECT, FdEvents::WRITE]);
    call(&mut h, Call::WsaEventSelect { sock: name("s"), events: FdEvents::empty() });
    call(&mut h, Call::WsaEventSelect { sock: name("s"), events: all });
    assert_eq!(enum_events(&mut h), vec![]);
    let mut w = host_with_socket(Winsock, false);
    assert!(connect(&mut w, "s", target(NamedTarget::Accept)).is_ok());
    call(&mut w, Call::WsaEventSelect { sock: name("s"), events: all });
    call(&mut w, Call::WsaEventSelect { sock: name("s"), events: all });
    assert_eq!(enum_events(&mut w), vec![FdEvents::WRITE]);
}

#[test]
fn windows_message_mode_reposts_fd_write_and_udp_gets_it_unbound() {
    let mut h = Host::new(Windows);
    call(&mut h, Call::Socket { proto: Proto::Udp, family: Family::V4, name: "s".into() });
    let a = call(&mut h, Call::WsaAsyncSelect { sock: name("s"), events: FdEvents::WRITE | FdEvents::CONNECT });
    assert!(matches!(a.notifications.as_slice(), [Notification::WindowMessage { event: FdEvents::WRITE, .. }]));
    let a = connect(&mut h, "s", target(NamedTarget::Sink));
    let evs: Vec<FdEvents> = a
        .notifications
        .iter()
        .filter_map(|n| match n {
            Notification::WindowMessage { event, .. } => Some(*event),
            _ => None,
        })
        .collect();
    assert_eq!(evs, vec![FdEvents::WRITE], "UDP connect posts FD_WRITE, no FD_CONNECT message");
}

// ----- WSAPoll (issue 9, defect 7) -------------------------------------------------------------

#[test]
fn wsapoll_failed_connect_is_documented_and_the_2004_note_only_shows_where_it_applies() {
    for p in [Winsock, Windows] {
        let mut h = socket_failed(p);
        let a = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO), events: None });
        assert_eq!(a.value, Value::Poll { revents: vec![("s".into(), PollBits::ERR | PollBits::HUP | PollBits::OUT)] });
        assert!(a.note.as_deref().is_some_and(|n| n.contains("2004")), "{p}: {a:?}");
        assert!(!r::find(a.rule).unwrap().assumed.contains(&p), "{p}: documented, not assumed");
        // A connected socket: no note about failed connects.
        let mut h = host_with_socket(p, false);
        assert!(connect(&mut h, "s", target(NamedTarget::Accept)).is_ok());
        let a = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO), events: None });
        assert_eq!(a.value, Value::Poll { revents: vec![("s".into(), PollBits::OUT)] });
        assert_eq!(a.note, None, "{p}");
    }
}

// ----- linux option levels (issue 9, defect 13; the kernel's answers in tests/live_sockopts.rs)

#[test]
fn linux_tcp_options_on_udp_and_v6only_on_inet_fail_as_the_kernel_does() {
    let opt = |h: &mut Host, set: bool, o: SockOpt| {
        let c = if set {
            Call::SetSockOpt { sock: name("s"), opt: o, value: 1, optlen: None }
        } else {
            Call::GetSockOpt { sock: name("s"), opt: o, optlen: None }
        };
        call(h, c).error
    };
    for (family, get_err) in [(Family::V4, Code::EOPNOTSUPP), (Family::V6, Code::ENOPROTOOPT)] {
        let mut h = Host::new(Linux);
        call(&mut h, Call::Socket { proto: Proto::Udp, family, name: "s".into() });
        for o in [SockOpt::TCP_NODELAY, SockOpt::TCP_SYNCNT, SockOpt::TCP_USER_TIMEOUT] {
            assert_eq!(opt(&mut h, true, o), Some(Code::ENOPROTOOPT), "set {o:?} {family:?}");
            assert_eq!(opt(&mut h, false, o), Some(get_err), "get {o:?} {family:?}");
        }
    }
    let mut h = host_with_socket(Linux, false);
    assert_eq!(opt(&mut h, true, SockOpt::IPV6_V6ONLY), Some(Code::ENOPROTOOPT));
    assert_eq!(opt(&mut h, false, SockOpt::IPV6_V6ONLY), Some(Code::EOPNOTSUPP));
    assert_eq!(opt(&mut h, true, SockOpt::TCP_NODELAY), None, "TCP_NODELAY on TCP is fine");
}

// ----- bind conflicts on windows (issue 9, defect 12) ------------------------------------------

#[test]
fn windows_bind_conflicts_follow_test_reuseaddr() {
    let bind = |h: &mut Host, s: &str, a: &str| call(h, Call::Bind { sock: name(s), addr: lit(a) }).error;
    let sock = |h: &mut Host, s: &str, opt: Option<SockOpt>| {
        call(h, Call::Socket { proto: Proto::Tcp, family: Family::V4, name: s.into() });
        if let Some(o) = opt {
            call(h, Call::SetSockOpt { sock: name(s), opt: o, value: 1, optlen: None });
        }
    };
    // Wildcard and loopback share a port without options on windows; linux refuses.
    for (p, want) in [(Windows, None), (Linux, Some(Code::EADDRINUSE))] {
        let mut h = Host::new(p);
        sock(&mut h, "a", None);
        sock(&mut h, "b", None);
        assert_eq!(bind(&mut h, "a", "0.0.0.0:7300"), None);
        assert_eq!(bind(&mut h, "b", "127.0.0.1:7300"), want, "{p}");
    }
    // SO_REUSEADDR on the newcomer only: WSAEACCES (the documents let it in: winsock).
    for (p, want) in [(Windows, Some(Code::WSAEACCES)), (Winsock, None)] {
        let mut h = Host::new(p);
        sock(&mut h, "a", None);
        sock(&mut h, "b", Some(SockOpt::SO_REUSEADDR));
        assert_eq!(bind(&mut h, "a", "127.0.0.1:7300"), None);
        assert_eq!(bind(&mut h, "b", "127.0.0.1:7300"), want, "{p}");
    }
    // An exclusive wildcard keeps loopback out (WSAEACCES); an exclusive newcomer over a bound
    // specific address is refused with WSAEADDRINUSE.
    let mut h = Host::new(Windows);
    sock(&mut h, "a", Some(SockOpt::SO_EXCLUSIVEADDRUSE));
    sock(&mut h, "b", None);
    assert_eq!(bind(&mut h, "a", "0.0.0.0:7300"), None);
    assert_eq!(bind(&mut h, "b", "127.0.0.1:7300"), Some(Code::WSAEACCES));
    let mut h = Host::new(Windows);
    sock(&mut h, "a", None);
    sock(&mut h, "b", Some(SockOpt::SO_EXCLUSIVEADDRUSE));
    assert_eq!(bind(&mut h, "a", "127.0.0.1:7300"), None);
    assert_eq!(bind(&mut h, "b", "0.0.0.0:7300"), Some(Code::WSAEADDRINUSE));
    // Linux has no SO_EXCLUSIVEADDRUSE.
    let mut h = host_with_socket(Linux, false);
    let a =
        call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_EXCLUSIVEADDRUSE, value: 1, optlen: None });
    assert_eq!(a.ret, Ret::NotApplicable);
}

// ---- winapi-args: WSAEnumNetworkEvents' whole iErrorCode array ----

#[test]
fn enum_network_events_shows_all_ten_error_entries() {
    // test_WSAEnumNetworkEvents: entries of events not reported are not written.
    let mut h = host_with_socket(Windows, true);
    call(&mut h, Call::WsaEventSelect { sock: name("s"), events: FdEvents::CONNECT | FdEvents::WRITE });
    let _ = connect(&mut h, "s", target(NamedTarget::Refuse));
    h.advance(Duration::from_secs(5), &NET);
    let a = call(&mut h, Call::WsaEnumNetworkEvents { sock: name("s") });
    let note = a.note.expect("the array is shown");
    assert!(note.starts_with("iErrorCode[10] = {-, -, -, -, 10061, -, -, -, -, -}"), "{note}");
    let again = call(&mut h, Call::WsaEnumNetworkEvents { sock: name("s") });
    assert!(again.note.expect("shown").starts_with("iErrorCode[10] = {-, -, -, -, -, -, -, -, -, -}"));
}

#[test]
fn so_linger_reads_the_whole_structure_and_a_short_optlen_cuts_linuxs() {
    use crate::core::model::Value;
    let get = |h: &mut Host, optlen: Option<u32>| {
        call(h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_LINGER, optlen }).value
    };
    let set = |h: &mut Host, value: i64| {
        call(h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_LINGER, value, optlen: None });
    };
    for p in PersonalityId::ALL.iter().copied() {
        let mut h = host_with_socket(p, false);
        assert_eq!(get(&mut h, None), Value::Linger { on: false, secs: 0 }, "{p:?}");
        set(&mut h, crate::core::call::LINGER_ABORT);
        assert_eq!(get(&mut h, None), Value::Linger { on: true, secs: 0 }, "{p:?}: {{1,0}} is not off");
        set(&mut h, 5);
        set(&mut h, 0);
        assert_eq!(get(&mut h, None), Value::Linger { on: false, secs: 5 }, "{p:?}: off keeps the time");
    }
    // Linux's struct linger is two ints: the kernel copies the first optlen bytes (measured with
    // getsockopt(SO_LINGER) after {1,5}: 2 bytes 0100, 4 bytes 01000000, 6 bytes 010000000500).
    let mut h = host_with_socket(PersonalityId::Linux, false);
    set(&mut h, 5);
    assert_eq!(get(&mut h, Some(4)), Value::Linger { on: true, secs: 0 });
    assert_eq!(get(&mut h, Some(6)), Value::Linger { on: true, secs: 5 });
    assert_eq!(get(&mut h, Some(8)), Value::Linger { on: true, secs: 5 });
    // Winsock's LINGER is two u_shorts: 4 bytes are the whole of it.
    let mut h = host_with_socket(PersonalityId::Windows, false);
    set(&mut h, 5);
    assert_eq!(get(&mut h, Some(4)), Value::Linger { on: true, secs: 5 });
}
