//! LINUX_TRUTH rows about TCP connect() on loopback, reproduced with the raw layer: each test
//! performs the row's calls on real sockets and asserts the kernel's answers.
//!
//! Rows: 2a-2e, 3a-3e, 4a-4d, 5a-5c, 10a-10e, close with unread data, 12a, 13b-13d, 14a-14c, 15, 16.
//! Traffic goes to 127.0.0.0/8 and ::1 only.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

mod common;

use std::net::{Ipv6Addr, Shutdown};
use std::time::Duration;

use common::*;
use socklab::net::live::raw::{Errno, OptValue, SockAddrArg, SockOpt};
use socklab::net::live::readiness::{EpollBits, PollBits, TcpState};
use socklab::net::live::{Stopwatch, TargetName, Targets};

const SHORT: Duration = Duration::from_secs(2);

// ----- 2: nonblocking connect to a listener ----------------------------------------------------

#[test]
fn row_2a_2b_2c_nonblocking_connect_einprogress_then_zero_then_eisconn() {
    let (_l, a) = listener_on(LO4.into(), 4096);
    for trial in 0..20 {
        let s = tcp4_nb();
        assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS), "2a, trial {trial}");
        // 2b: on loopback the handshake finished inside the first call.
        assert_eq!(s.connect(&inet(a)), Ok(()), "2b, trial {trial}");
        assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN), "2c, trial {trial}");
        assert_eq!(s.connect(&inet(v4(1))), Err(Errno::EISCONN), "2c other address");
    }
    // The same on IPv6.
    let (_l6, a6) = listener6();
    let s = tcp6();
    s.set_nonblocking(true).unwrap();
    assert_eq!(s.connect(&inet(a6)), Err(Errno::EINPROGRESS));
    assert_eq!(s.connect(&inet(a6)), Ok(()));
    assert_eq!(s.connect(&inet(a6)), Err(Errno::EISCONN));
}

#[test]
fn row_2b_handshake_is_complete_when_the_first_call_returns() {
    let (_l, a) = listener_on(LO4.into(), 4096);
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    assert_eq!(state(&s), Some(TcpState::Established));
}

#[test]
fn row_2d_readiness_once_connected_is_write_only() {
    let (_l, a) = listener();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, SHORT);
    assert_eq!(bits, PollBits::OUT);
    let (sel, p, e) = readiness_now(&s);
    assert_eq!(sel, (false, true, false), "select read/write/except");
    assert_eq!(p, PollBits::OUT);
    assert_eq!(e, EpollBits::OUT);
}

#[test]
fn row_2e_connect_after_poll_said_writable_gives_zero_then_eisconn() {
    let (_l, a) = listener();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, SHORT);
    assert_eq!(bits, PollBits::OUT);
    assert_eq!(s.so_error(), Ok(None));
    assert_eq!(peer(&s), Ok(a));
    assert_eq!(s.connect(&inet(a)), Ok(()), "Linux reports success once more");
    assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN));
}

// ----- 3: nonblocking connect to a closed port ---------------------------------------------

#[test]
fn row_3a_3b_3c_refused_readiness_and_so_error() {
    let (_b, a) = closed_port();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS), "3a");
    let (bits, took) = wait_done(&s, SHORT);
    assert_eq!(bits, PollBits::OUT | PollBits::ERR | PollBits::HUP, "3b poll(POLLOUT)");
    assert!(took < Duration::from_millis(500), "refusal on loopback is immediate: {took:?}");
    // 3b: readable AND writable, never in exceptfds.
    let (sel, p, e) = readiness_now(&s);
    assert_eq!(sel, (true, true, false), "3b select read/write/except");
    assert_eq!(p, failed_poll_bits(), "3b poll");
    assert_eq!(e, failed_epoll_bits(), "3b epoll");
    assert_eq!(state(&s), Some(TcpState::Close));
    assert_eq!(peer(&s), Err(Errno::ENOTCONN));
    // 3c: SO_ERROR is read-and-clear.
    assert_eq!(s.so_error(), Ok(Some(Errno::ECONNREFUSED)), "3c first read");
    assert_eq!(s.so_error(), Ok(None), "3c second read");
    let (_, p, _) = readiness_now(&s);
    assert_eq!(p, PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::RDHUP, "3c: no ERR");
}

#[test]
fn row_3d_retry_after_refusal_reports_first() {
    let (b, a) = closed_port();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    wait_done(&s, SHORT);
    assert_eq!(s.so_error(), Ok(Some(Errno::ECONNREFUSED)));
    // SO_ERROR already read: the next connect reports the consumed error as ECONNABORTED.
    assert_eq!(s.connect(&inet(a)), Err(Errno::ECONNABORTED));
    // The call after that starts a new attempt.
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, SHORT);
    assert_eq!(bits, PollBits::OUT | PollBits::ERR | PollBits::HUP);
    // SO_ERROR not read this time: connect delivers the error itself, once.
    assert_eq!(s.connect(&inet(a)), Err(Errno::ECONNREFUSED));
    assert_eq!(s.so_error(), Ok(None));
    // Once the port listens, a retry on the same socket succeeds.
    b.listen(8).unwrap();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, SHORT);
    assert_eq!(bits, PollBits::OUT);
    assert_eq!(s.connect(&inet(a)), Ok(()));
    assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN));
    assert_eq!(peer(&s), Ok(a));
}

#[test]
fn row_3e_blocking_connect_to_closed_port_is_refused_at_once() {
    let (b, a) = closed_port();
    let s = tcp4();
    let (r, took) = Stopwatch::time(|| s.connect(&inet(a)));
    assert_eq!(r, Err(Errno::ECONNREFUSED));
    assert!(took < Duration::from_millis(100), "3e: refused in {took:?} (Linux: ~0.01 ms)");
    assert_eq!(s.so_error(), Ok(None), "already consumed by connect");
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Err(Errno::ENOTCONN));
    assert_eq!(s.connect(&inet(a)), Err(Errno::ECONNREFUSED), "retry, still closed");
    b.listen(8).unwrap();
    assert_eq!(s.connect(&inet(a)), Ok(()), "retry once the port listens");
    assert_eq!(peer(&s), Ok(a));
    let mut times = Vec::new();
    for _ in 0..20 {
        let (b, a) = closed_port();
        let t = tcp4();
        let (r, took) = Stopwatch::time(|| t.connect(&inet(a)));
        assert_eq!(r, Err(Errno::ECONNREFUSED));
        times.push(took);
        drop(b);
    }
    times.sort();
    println!("row 3e: 20 refused blocking connects, median {:?}, max {:?}", times[10], times[19]);
}

// ----- 4: pending connects (full accept queue) -------------------------------------------------

#[test]
fn row_4a_pending_connect_is_syn_sent_and_shows_nothing() {
    let targets = Targets::new(Default::default());
    let a = targets.start(TargetName::Pending).expect("@pending");
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    assert_eq!(state(&s), Some(TcpState::SynSent));
    // Nothing is reported for 200 ms.
    let (bits, took) = wait_done(&s, Duration::from_millis(200));
    assert_eq!(bits, PollBits::EMPTY, "4a: poll after {took:?}");
    let (sel, p, e) = readiness_now(&s);
    assert_eq!(sel, (false, false, false));
    assert_eq!(p, PollBits::EMPTY);
    assert_eq!(e, EpollBits::EMPTY);
    assert_eq!(s.connect(&inet(a)), Err(Errno::EALREADY));
    assert_eq!(peer(&s), Err(Errno::ENOTCONN));
    assert_eq!(s.so_error(), Ok(None));
    assert_eq!(state(&s), Some(TcpState::SynSent));
}

#[test]
fn row_4b_tcp_syncnt_1_times_out_after_about_3s() {
    let targets = Targets::new(Default::default());
    let a = targets.start(TargetName::Pending).expect("@pending");
    // The blocking variant runs beside the nonblocking one.
    let blocking = std::thread::spawn(move || {
        let s = tcp4();
        s.set_int(SockOpt::TcpSynCnt, 1).unwrap();
        Stopwatch::time(|| s.connect(&inet(a)))
    });
    let s = tcp4_nb();
    s.set_int(SockOpt::TcpSynCnt, 1).unwrap();
    assert_eq!(s.get_int(SockOpt::TcpSynCnt), Ok(1));
    let sw = Stopwatch::start();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, Duration::from_secs(10));
    let took = sw.elapsed();
    println!("row 4b: nonblocking TCP_SYNCNT=1 failed after {took:?} with {bits}");
    assert_eq!(bits, PollBits::OUT | PollBits::ERR | PollBits::HUP);
    assert_secs("4b", took, 2.5, 4.5);
    let (sel, p, e) = readiness_now(&s);
    assert_eq!(sel, (true, true, false), "same bits as 3b");
    assert_eq!(p, failed_poll_bits());
    assert_eq!(e, failed_epoll_bits());
    assert_eq!(s.so_error(), Ok(Some(Errno::ETIMEDOUT)));
    assert_eq!(s.connect(&inet(a)), Err(Errno::ECONNABORTED));
    let (r, took) = blocking.join().unwrap();
    println!("row 4b: blocking TCP_SYNCNT=1 answered {r:?} after {took:?}");
    assert_eq!(r, Err(Errno::ETIMEDOUT));
    assert_secs("4b blocking", took, 2.5, 4.5);
}

#[test]
fn row_4c_tcp_user_timeout_1500ms_times_out_after_about_1_5s() {
    let targets = Targets::new(Default::default());
    let a = targets.start(TargetName::Pending).expect("@pending");
    let s = tcp4_nb();
    s.set_int(SockOpt::TcpUserTimeout, 1500).unwrap();
    assert_eq!(s.get_int(SockOpt::TcpUserTimeout), Ok(1500));
    let sw = Stopwatch::start();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, Duration::from_secs(10));
    let took = sw.elapsed();
    println!("row 4c: TCP_USER_TIMEOUT=1500 failed after {took:?} with {bits}");
    assert_eq!(bits, PollBits::OUT | PollBits::ERR | PollBits::HUP);
    assert_secs("4c", took, 1.3, 2.8);
    assert_eq!(s.so_error(), Ok(Some(Errno::ETIMEDOUT)));
}

#[test]
fn row_4d_so_sndtimeo_bounds_a_blocking_connect() {
    let targets = Targets::new(Default::default());
    let a = targets.start(TargetName::Pending).expect("@pending");
    let s = tcp4();
    s.setsockopt(SockOpt::SndTimeo, OptValue::Time(Duration::from_millis(500))).unwrap();
    assert_eq!(s.getsockopt(SockOpt::SndTimeo), Ok(OptValue::Time(Duration::from_millis(500))));
    s.set_int(SockOpt::TcpSynCnt, 1).unwrap();
    let (r, took) = Stopwatch::time(|| s.connect(&inet(a)));
    println!("row 4d: blocking connect with SO_SNDTIMEO=500ms answered {r:?} after {took:?}");
    assert_eq!(r, Err(Errno::EINPROGRESS));
    assert_secs("4d", took, 0.4, 1.0);
    assert_eq!(state(&s), Some(TcpState::SynSent), "the handshake carries on");
    let (r, took) = Stopwatch::time(|| s.connect(&inet(a)));
    assert_eq!(r, Err(Errno::EALREADY));
    assert_secs("4d second", took, 0.4, 1.0);
}

// ----- 5: the all-zero address ---------------------------------------------------------------

#[test]
fn row_5a_tcp_connect_to_0_0_0_0_means_this_host() {
    let (_l, a) = listener();
    let zero = at(std::net::Ipv4Addr::UNSPECIFIED, a.port());
    let s = tcp4();
    assert_eq!(s.connect(&inet(zero)), Ok(()));
    assert_eq!(peer(&s), Ok(a), "0.0.0.0 was rewritten to 127.0.0.1");
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(zero)), Err(Errno::EINPROGRESS));
    let (_b, closed) = closed_port();
    let s = tcp4();
    assert_eq!(s.connect(&inet(at(std::net::Ipv4Addr::UNSPECIFIED, closed.port()))), Err(Errno::ECONNREFUSED));
}

#[test]
fn row_5b_tcp6_connect_to_unspecified_means_this_host() {
    let (_l6, a6) = listener6();
    let s = tcp6();
    assert_eq!(s.connect(&inet(v6(Ipv6Addr::UNSPECIFIED, a6.port()))), Ok(()));
    assert_eq!(peer(&s), Ok(v6(LO6, a6.port())), ":: was rewritten to ::1");
    let (_l4, a4) = listener();
    let mapped_any: Ipv6Addr = "::ffff:0.0.0.0".parse().unwrap();
    let s = tcp6();
    assert_eq!(s.connect(&inet(v6(mapped_any, a4.port()))), Ok(()));
    let mapped_lo: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
    assert_eq!(peer(&s), Ok(v6(mapped_lo, a4.port())));
    let u = udp6();
    assert_eq!(u.connect(&inet(v6(Ipv6Addr::UNSPECIFIED, a6.port()))), Ok(()));
    assert_eq!(peer(&u), Ok(v6(LO6, a6.port())));
}

#[test]
fn row_5c_tcp_connect_to_port_0_is_refused() {
    let s = tcp4();
    assert_eq!(s.connect(&inet(v4(0))), Err(Errno::ECONNREFUSED));
    let s = tcp4();
    assert_eq!(s.connect(&inet(at(std::net::Ipv4Addr::UNSPECIFIED, 0))), Err(Errno::ECONNREFUSED));
}

// ----- 10: connect after shutdown, FIN, RST; AF_UNSPEC on TCP ----------------------------------

/// A connected pair: (client, accepted server side).
fn pair(
    l: &socklab::net::live::RawSocket,
    a: std::net::SocketAddr,
) -> (socklab::net::live::RawSocket, socklab::net::live::RawSocket) {
    let s = tcp4();
    assert_eq!(s.connect(&inet(a)), Ok(()));
    let (srv, _) = l.accept_within(SHORT).expect("accept");
    (s, srv)
}

#[test]
fn row_10a_connect_after_shutdown_is_eisconn() {
    let (l, a) = listener();
    let (_l2, a2) = listener();
    let (s, _srv) = pair(&l, a);
    s.shutdown(Shutdown::Write).unwrap();
    let st = state(&s);
    assert!(matches!(st, Some(TcpState::FinWait1 | TcpState::FinWait2)), "10a: state after SHUT_WR: {st:?}");
    assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN));
    assert_eq!(s.connect(&inet(a2)), Err(Errno::EISCONN));
    s.shutdown(Shutdown::Both).unwrap();
    assert_eq!(s.connect(&inet(a2)), Err(Errno::EISCONN));
}

#[test]
fn row_10b_connect_after_peer_fin_is_eisconn_and_unspec_allows_reuse() {
    let (l, a) = listener();
    let (_l2, a2) = listener();
    let (s, srv) = pair(&l, a);
    srv.close().unwrap();
    let bits = wait_for(&s, PollBits::IN | PollBits::RDHUP, SHORT);
    assert_eq!(bits, PollBits::IN | PollBits::RDHUP);
    assert_eq!(state(&s), Some(TcpState::CloseWait));
    assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN));
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0), "EOF");
    assert_eq!(s.connect(&SockAddrArg::Unspec), Ok(()));
    assert_eq!(state(&s), Some(TcpState::Close));
    assert_eq!(s.connect(&inet(a2)), Ok(()), "the same socket connects again");
    assert_eq!(peer(&s), Ok(a2));
}

#[test]
fn row_10c_connect_after_peer_reset_is_still_eisconn() {
    let (l, a) = listener();
    let (_l2, a2) = listener();
    let (s, srv) = pair(&l, a);
    srv.setsockopt(SockOpt::Linger, OptValue::Linger { on: true, secs: 0 }).unwrap();
    srv.close().unwrap();
    let bits = wait_for(&s, PollBits::IN, SHORT);
    assert!(bits.contains(PollBits::ERR), "RST arrived: {bits}");
    assert_eq!(state(&s), Some(TcpState::Close));
    assert_eq!(s.connect(&inet(a)), Err(Errno::EISCONN));
    assert_eq!(s.connect(&inet(a2)), Err(Errno::EISCONN));
    assert_eq!(s.so_error(), Ok(Some(Errno::ECONNRESET)));
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));
    assert_eq!(s.connect(&SockAddrArg::Unspec), Ok(()));
    assert_eq!(s.connect(&inet(a2)), Ok(()), "socket reused after RST via AF_UNSPEC");
    assert_eq!(peer(&s), Ok(a2));

    // The pending ECONNRESET goes to whichever call looks first: here recv.
    let (s, srv) = pair(&l, a);
    srv.setsockopt(SockOpt::Linger, OptValue::Linger { on: true, secs: 0 }).unwrap();
    srv.close().unwrap();
    wait_for(&s, PollBits::IN, SHORT);
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Err(Errno::ECONNRESET));
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.so_error(), Ok(None));
}

/// Rule close.abort, reset.after-fin, send.closed-peer: what the peer of a socket closed
/// with received data still unread sees (tcp_close sends RST), and the same reset when the
/// peer had already seen the FIN (tcp_reset in CLOSE_WAIT records EPIPE).
#[test]
fn row_close_unread_data_resets_the_connection() {
    let (l, a) = listener();
    let mut buf = [0u8; 8];
    // Unread data: RST. The peer's recv reports ECONNRESET once, then the end of stream.
    let (s, srv) = pair(&l, a);
    assert_eq!(s.send(b"abc"), Ok(3));
    wait_for(&srv, PollBits::IN, SHORT);
    srv.close().unwrap();
    let bits = wait_for(&s, PollBits::IN | PollBits::OUT | PollBits::ERR, SHORT);
    assert!(bits.contains(PollBits::IN | PollBits::OUT | PollBits::HUP | PollBits::ERR), "RST arrived: {bits}");
    assert_eq!(readiness_now(&s).0, (true, true, false), "select: readable and writable");
    assert_eq!(state(&s), Some(TcpState::Close));
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Err(Errno::ECONNRESET));
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.so_error(), Ok(None));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));

    // Part of the data read: still a reset; the error goes to whichever call looks first.
    let (s, srv) = pair(&l, a);
    assert_eq!(s.send(b"abc"), Ok(3));
    assert_eq!(srv.recv(&mut buf[..1], SHORT), Ok(1));
    srv.close().unwrap();
    wait_for(&s, PollBits::ERR, SHORT);
    assert_eq!(s.send(b"x"), Err(Errno::ECONNRESET));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));

    // The peer's own unread data survives the reset: it is read first.
    let (s, srv) = pair(&l, a);
    assert_eq!(srv.send(b"hello"), Ok(5));
    assert_eq!(s.send(b"abc"), Ok(3));
    wait_for(&srv, PollBits::IN, SHORT);
    wait_for(&s, PollBits::IN, SHORT);
    srv.close().unwrap();
    wait_for(&s, PollBits::ERR, SHORT);
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(5));
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Err(Errno::ECONNRESET));

    // Everything read: a graceful close (FIN), no error.
    let (s, srv) = pair(&l, a);
    assert_eq!(s.send(b"abc"), Ok(3));
    assert_eq!(srv.recv(&mut buf, SHORT), Ok(3));
    srv.close().unwrap();
    wait_for(&s, PollBits::IN, SHORT);
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.so_error(), Ok(None));

    // shutdown(SHUT_WR) first, then close with unread data: the RST comes after the FIN, so
    // the peer (CLOSE_WAIT) records EPIPE and recv keeps answering 0.
    let (s, srv) = pair(&l, a);
    assert_eq!(s.send(b"abc"), Ok(3));
    wait_for(&srv, PollBits::IN, SHORT);
    srv.shutdown(Shutdown::Write).unwrap();
    wait_for(&s, PollBits::IN, SHORT);
    srv.close().unwrap();
    wait_for(&s, PollBits::ERR, SHORT);
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.so_error(), Ok(Some(Errno::EPIPE)));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));

    // Data sent to a socket already closed (gracefully): the send succeeds, the closed end
    // answers with RST, which arrives after its FIN: EPIPE again.
    let (s, srv) = pair(&l, a);
    srv.close().unwrap();
    wait_for(&s, PollBits::IN, SHORT);
    assert_eq!(s.send(b"late"), Ok(4));
    wait_for(&s, PollBits::ERR, SHORT);
    assert_eq!(s.recv(&mut buf, Duration::ZERO), Ok(0));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));
    assert_eq!(s.so_error(), Ok(None), "send took the EPIPE");
}

#[test]
fn row_10d_unspec_on_a_connected_socket_sends_rst() {
    let (l, a) = listener();
    let (s, srv) = pair(&l, a);
    assert_eq!(s.connect(&SockAddrArg::Unspec), Ok(()));
    assert_eq!(state(&s), Some(TcpState::Close));
    let mut buf = [0u8; 8];
    assert_eq!(srv.recv(&mut buf, SHORT), Err(Errno::ECONNRESET), "the peer was reset");
    assert_eq!(s.connect(&inet(a)), Ok(()), "the same socket connects again");
    assert_eq!(peer(&s), Ok(a));
}

#[test]
fn row_10e_shutdown_of_a_never_connected_socket_is_enotconn() {
    let (_l, a) = listener();
    let s = tcp4();
    assert_eq!(s.shutdown(Shutdown::Both), Err(Errno::ENOTCONN));
    assert_eq!(s.connect(&inet(a)), Ok(()));
}

// ----- 12: self-connect ---------------------------------------------------------------------

#[test]
fn row_12a_self_connect_is_a_simultaneous_open() {
    let s = tcp4();
    s.bind(v4(0)).unwrap();
    let me = local(&s);
    assert_eq!(s.connect(&inet(me)), Ok(()));
    assert_eq!(peer(&s), Ok(me), "getsockname == getpeername");
    assert_eq!(state(&s), Some(TcpState::Established));
    assert_eq!(s.send(b"echo"), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(s.recv(&mut buf, SHORT), Ok(4));
    assert_eq!(&buf[..4], b"echo");

    let s = tcp4_nb();
    s.bind(v4(0)).unwrap();
    let me = local(&s);
    assert_eq!(s.connect(&inet(me)), Err(Errno::EINPROGRESS));
    assert_eq!(s.connect(&inet(me)), Ok(()));

    let s6 = tcp6();
    s6.bind(v6(LO6, 0)).unwrap();
    let me6 = local(&s6);
    assert_eq!(s6.connect(&inet(me6)), Ok(()));
}

// ----- 13: EINTR on a blocking connect ------------------------------------------------------

#[test]
fn row_13b_13c_13d_blocking_connect_interrupted_by_a_signal() {
    let (l, a) = listener_on(LO4.into(), 0);
    let filler = tcp4();
    assert_eq!(filler.connect(&inet(a)), Ok(()), "fills the listen(0) queue");
    let v = tcp4();
    v.set_int(SockOpt::TcpSynCnt, 2).unwrap();
    let mut bc = v.connect_blocking_interruptible(inet(a)).expect("start blocking connect");
    // Still blocked after 300 ms: the SYN is dropped.
    assert_eq!(bc.wait(Duration::from_millis(300)), None);
    let (r, took) = bc.interrupt_and_wait(SHORT).expect("the call returns");
    println!("row 13b: blocking connect answered {r:?} after {took:?}");
    assert_eq!(r, Err(Errno::EINTR), "13b");
    assert_eq!(state(&v), Some(TcpState::SynSent), "13b: the attempt continues");
    assert_eq!(peer(&v), Err(Errno::ENOTCONN));
    // 13c: nonblocking connect now.
    v.set_nonblocking(true).unwrap();
    assert_eq!(v.connect(&inet(a)), Err(Errno::EALREADY), "13c");
    v.set_nonblocking(false).unwrap();
    // 13d: make room in the queue, then a blocking connect waits for the background handshake.
    let (_accepted, _) = l.accept_within(SHORT).expect("accept the filler");
    let mut bc = v.connect_blocking_interruptible(inet(a)).expect("second blocking connect");
    let (r, took) = bc.wait(Duration::from_secs(5)).expect("13d returns");
    println!("row 13d: second blocking connect answered {r:?} after {took:?}");
    assert_eq!(r, Ok(()), "13d waits for the handshake and returns 0");
    assert!(took < Duration::from_secs(4), "13d took {took:?}");
    assert_eq!(v.connect(&inet(a)), Err(Errno::EISCONN));
    assert_eq!(state(&v), Some(TcpState::Established));
}

// ----- 14: IPv6 and v4-mapped addresses ---------------------------------------------------------

#[test]
fn row_14a_ipv6_v6only_defaults_to_dual_stack() {
    let s = tcp6();
    assert_eq!(s.get_int(SockOpt::Ipv6V6Only), Ok(0));
    let u = udp6();
    assert_eq!(u.get_int(SockOpt::Ipv6V6Only), Ok(0));
}

#[test]
fn row_14b_dual_stack_connect_to_v4_mapped() {
    let (_l6, a6) = listener6();
    let s = tcp6();
    assert_eq!(s.connect(&inet(a6)), Ok(()));
    assert_eq!(local(&s).ip(), std::net::IpAddr::V6(LO6));
    let (l4, a4) = listener();
    let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
    let s = tcp6();
    assert_eq!(s.connect(&inet(v6(mapped, a4.port()))), Ok(()));
    let me = local(&s);
    assert_eq!(me.ip(), std::net::IpAddr::V6(mapped));
    assert_eq!(peer(&s), Ok(v6(mapped, a4.port())));
    let (_srv, seen) = l4.accept_within(SHORT).unwrap();
    assert_eq!(seen.inet(), Some(v4(me.port())), "the v4 listener sees 127.0.0.1");
    let s = tcp6();
    s.set_nonblocking(true).unwrap();
    assert_eq!(s.connect(&inet(v6(mapped, a4.port()))), Err(Errno::EINPROGRESS));
    assert_eq!(s.connect(&inet(v6(mapped, a4.port()))), Ok(()));
    let u = udp6();
    assert_eq!(u.connect(&inet(v6(mapped, a4.port()))), Ok(()));
    assert_eq!(peer(&u), Ok(v6(mapped, a4.port())));
}

#[test]
fn row_14c_v6only_or_bound_to_ipv6_loopback_cannot_reach_v4_mapped() {
    let (_l4, a4) = listener();
    let mapped = v6("::ffff:127.0.0.1".parse().unwrap(), a4.port());
    let s = tcp6();
    s.set_int(SockOpt::Ipv6V6Only, 1).unwrap();
    assert_eq!(s.connect(&inet(mapped)), Err(Errno::ENETUNREACH));
    let s = tcp6();
    s.bind(v6(LO6, 0)).unwrap();
    assert_eq!(s.connect(&inet(mapped)), Err(Errno::ENETUNREACH));
    let u = udp6();
    u.set_int(SockOpt::Ipv6V6Only, 1).unwrap();
    assert_eq!(u.connect(&inet(mapped)), Err(Errno::ENETUNREACH));
    // Only a v4 listener on that port: [::1] is refused.
    let s = tcp6();
    assert_eq!(s.connect(&inet(v6(LO6, a4.port()))), Err(Errno::ECONNREFUSED));
}

// ----- 15: ephemeral port exhaustion ---------------------------------------------------------

/// Two adjacent ports inside the system's ephemeral range that nobody has bound right now.
fn two_free_ports() -> u16 {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let mut it = range.split_whitespace().map(|x| x.parse::<u32>().unwrap());
    let (lo, hi) = (it.next().unwrap(), it.next().unwrap());
    let span = hi - lo - 2000;
    // A fixed walk through the range (bounded), so runs are reproducible.
    for i in 0..400u32 {
        let base = u16::try_from((lo + 1000 + (i * 7919) % span) & !1).unwrap();
        let a = tcp4();
        let b = tcp4();
        if a.bind(v4(base)).is_ok() && b.bind(v4(base + 1)).is_ok() {
            return base;
        }
    }
    panic!("no two free adjacent ports found");
}

#[test]
fn row_15_ip_local_port_range_exhaustion_is_eaddrnotavail() {
    let Some(version) = kernel_version() else {
        panic!("cannot read the kernel version");
    };
    if version < (6, 3) {
        println!("row 15 skipped: kernel {version:?} is older than 6.3 (no IP_LOCAL_PORT_RANGE)");
        return;
    }
    let (_l, a) = listener();
    let (_l2, a2) = listener();
    let base = two_free_ports();
    let range = OptValue::PortRange { lo: base, hi: base + 1 };
    let mut socks = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..4 {
        let s = tcp4();
        // This kernel is >= 6.3: the option must be supported.
        assert_eq!(s.setsockopt(SockOpt::IpLocalPortRange, range), Ok(()));
        answers.push(s.connect(&inet(a)));
        socks.push(s);
    }
    assert_eq!(answers, vec![Ok(()), Ok(()), Err(Errno::EADDRNOTAVAIL), Err(Errno::EADDRNOTAVAIL)]);
    let mut used: Vec<u16> = socks[..2].iter().map(|s| local(s).port()).collect();
    used.sort_unstable();
    assert_eq!(used, vec![base, base + 1]);
    assert_eq!(socks[0].getsockopt(SockOpt::IpLocalPortRange), Ok(range));
    // Ports are unique per 4-tuple: the same range reaches another destination.
    let s = tcp4();
    s.setsockopt(SockOpt::IpLocalPortRange, range).unwrap();
    assert_eq!(s.connect(&inet(a2)), Ok(()));
    // UDP with both ports taken: EAGAIN.
    let u = udp4();
    u.setsockopt(SockOpt::IpLocalPortRange, range).unwrap();
    let (x, y) = (udp4(), udp4());
    x.bind(v4(base)).unwrap();
    y.bind(v4(base + 1)).unwrap();
    assert_eq!(u.connect(&inet(a)), Err(Errno::EAGAIN));
}

// ----- 16: 4-tuple collision with SO_REUSEADDR ------------------------------------------------

#[test]
fn row_16_reuseaddr_sockets_collide_at_connect_with_eaddrnotavail() {
    let (_l, a) = listener();
    let (_l2, a2) = listener();
    let s1 = tcp4();
    s1.set_int(SockOpt::ReuseAddr, 1).unwrap();
    s1.bind(v4(0)).unwrap();
    let q = local(&s1).port();
    assert_eq!(s1.connect(&inet(a)), Ok(()));
    let s2 = tcp4();
    s2.set_int(SockOpt::ReuseAddr, 1).unwrap();
    assert_eq!(s2.bind(v4(q)), Ok(()), "bind succeeds with SO_REUSEADDR");
    assert_eq!(s2.connect(&inet(a)), Err(Errno::EADDRNOTAVAIL), "same 4-tuple");
    assert_eq!(s2.connect(&inet(a2)), Ok(()), "another destination");
    let s3 = tcp4();
    assert_eq!(s3.bind(v4(q)), Err(Errno::EADDRINUSE), "without SO_REUSEADDR");
    let s4 = tcp4();
    s4.set_int(SockOpt::ReuseAddr, 1).unwrap();
    assert_eq!(s4.bind(at(std::net::Ipv4Addr::UNSPECIFIED, q)), Ok(()), "wildcard");
    assert_eq!(s4.connect(&inet(a)), Err(Errno::EADDRNOTAVAIL));
}
