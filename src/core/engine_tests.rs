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
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
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
        call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
        let again = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
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
    let port = |h: &mut Host, s: &str| match call(h, Call::GetSockName { sock: name(s) }).value {
        Value::Addr { addr } => addr.port(),
        v => panic!("{v:?}"),
    };
    assert_eq!(port(&mut h, "s") % 2, 0);
    assert_eq!(port(&mut h, "b") % 2, 1);
}

#[test]
fn huge_times_saturate_instead_of_overflowing() {
    let mut h = host_with_socket(Windows, false);
    call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::TCP_MAXRT, value: i64::MAX });
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

// ----- SO_ERROR on windows (issue 9, defect 6) -------------------------------------------------

#[test]
fn windows_so_error_survives_a_new_connect_until_one_succeeds() {
    // test_select: after a refused attempt, a second connect leaves SO_ERROR at
    // WSAECONNREFUSED; a successful connection clears it.
    for (p, during) in [(Windows, Some(Code::WSAECONNREFUSED)), (Winsock, None), (Winsock1, None)] {
        let mut h = socket_failed(p);
        assert_eq!(connect(&mut h, "s", target(NamedTarget::Slow)).error, Some(Code::WSAEWOULDBLOCK), "{p}");
        let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
        assert_eq!(e.value, Value::Error { error: during }, "{p}");
        h.advance(Duration::from_secs(2), &NET);
        assert_eq!(h.state("s"), Some(State::Connected), "{p}");
        let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
        assert_eq!(e.value, Value::Error { error: None }, "{p}");
    }
}

#[test]
fn windows_so_error_can_be_set_and_read_back() {
    // test_set_getsockopt: setsockopt(SO_ERROR, 1234) succeeds and 1234 reads back.
    let mut h = host_with_socket(Windows, false);
    let a = call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 1234 });
    assert!(a.is_ok(), "{a:?}");
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
    assert_eq!(e.value, Value::Int { value: 1234 });
    call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 10061 });
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
    assert_eq!(e.value, Value::Error { error: Some(Code::WSAECONNREFUSED) });
    for p in [Linux, Winsock, Winsock1] {
        let mut h = host_with_socket(p, false);
        let a = call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR, value: 1234 });
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
    let e = call(&mut h, Call::GetSockOpt { sock: name("s"), opt: SockOpt::SO_ERROR });
    assert_eq!(e.value, Value::Error { error: None });
    for _ in 0..2 {
        assert_eq!(call(&mut h, Call::Recv { sock: name("s") }).error, Some(Code::WSAECONNRESET));
        let a = call(&mut h, Call::Send { sock: name("s"), data: b"data".to_vec() });
        assert_eq!(a.error, Some(Code::WSAECONNRESET));
    }
    let poll = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO) });
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
        let a = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO) });
        assert_eq!(a.value, Value::Poll { revents: vec![("s".into(), PollBits::ERR | PollBits::HUP | PollBits::OUT)] });
        assert!(a.note.as_deref().is_some_and(|n| n.contains("2004")), "{p}: {a:?}");
        assert!(!r::find(a.rule).unwrap().assumed.contains(&p), "{p}: documented, not assumed");
        // A connected socket: no note about failed connects.
        let mut h = host_with_socket(p, false);
        assert!(connect(&mut h, "s", target(NamedTarget::Accept)).is_ok());
        let a = call(&mut h, Call::Poll { socks: vec![name("s")], timeout: Some(Duration::ZERO) });
        assert_eq!(a.value, Value::Poll { revents: vec![("s".into(), PollBits::OUT)] });
        assert_eq!(a.note, None, "{p}");
    }
}

// ----- linux option levels (issue 9, defect 13; the kernel's answers in tests/live_sockopts.rs)

#[test]
fn linux_tcp_options_on_udp_and_v6only_on_inet_fail_as_the_kernel_does() {
    let opt = |h: &mut Host, set: bool, o: SockOpt| {
        let c = if set {
            Call::SetSockOpt { sock: name("s"), opt: o, value: 1 }
        } else {
            Call::GetSockOpt { sock: name("s"), opt: o }
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
            call(h, Call::SetSockOpt { sock: name(s), opt: o, value: 1 });
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
    let a = call(&mut h, Call::SetSockOpt { sock: name("s"), opt: SockOpt::SO_EXCLUSIVEADDRUSE, value: 1 });
    assert_eq!(a.ret, Ret::NotApplicable);
}
