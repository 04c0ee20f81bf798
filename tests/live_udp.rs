//! LINUX_TRUTH rows about UDP connect() on loopback: 5d, 5e, 6a-6b (host: 127.255.255.255,
//! connect only, nothing is sent), 6e (TCP to broadcast), 7a-7h.
//!
//! Traffic goes to 127.0.0.0/8 only.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use socklab::net::live::RawSocket;
use socklab::net::live::raw::{Errno, SockAddrArg, SockName, SockOpt};
use socklab::net::live::readiness::PollBits;

const WAIT: Duration = Duration::from_millis(500);
/// How long to wait for a datagram that must NOT arrive.
const QUIET: Duration = Duration::from_millis(150);

/// One datagram within `wait`: its text and sender, or the kernel's answer.
fn recv_one(s: &RawSocket, wait: Duration) -> Result<(String, SocketAddr), Errno> {
    let mut buf = [0u8; 256];
    let (n, from) = s.recv_from(&mut buf, wait)?;
    let from = match from {
        SockName::Inet(a) => a,
        SockName::Other { family } => panic!("datagram from family {family}"),
    };
    Ok((String::from_utf8_lossy(&buf[..n]).into_owned(), from))
}

// ----- 5d, 5e: the all-zero address on UDP ----------------------------------------------------

#[test]
fn row_5d_udp_connect_to_0_0_0_0_means_this_host() {
    let (_r, a) = udp_bound();
    let u = udp4();
    assert_eq!(u.connect(&inet(at(Ipv4Addr::UNSPECIFIED, a.port()))), Ok(()));
    assert_eq!(peer(&u), Ok(a));
    assert_eq!(local(&u).ip(), Ipv4Addr::LOCALHOST);
}

#[test]
fn row_5e_udp_connect_to_port_0_connects_silently() {
    for target in [at(Ipv4Addr::UNSPECIFIED, 0), v4(0)] {
        let u = udp4();
        assert_eq!(u.connect(&inet(target)), Ok(()), "{target}");
        assert_eq!(peer(&u), Err(Errno::ENOTCONN), "{target}: getpeername");
        // ... yet the socket is connected: send goes to 127.0.0.1:0 ...
        assert_eq!(u.send(b"to-port-0"), Ok(9), "{target}: send");
        // ... and the ICMP port-unreachable comes back as an error on the next send.
        let bits = wait_for(&u, PollBits::IN, WAIT);
        assert!(bits.contains(PollBits::ERR), "{target}: ICMP error pending: {bits}");
        assert_eq!(u.send(b"again"), Err(Errno::ECONNREFUSED), "{target}: next send");
    }
}

// ----- 6 on the host: 127.255.255.255 (connect only) -------------------------------------------

#[test]
fn row_6a_6b_udp_connect_to_loopback_broadcast_needs_so_broadcast() {
    let bcast = at(Ipv4Addr::new(127, 255, 255, 255), 9);
    let u = udp4();
    assert_eq!(u.get_int(SockOpt::Broadcast), Ok(0));
    assert_eq!(u.connect(&inet(bcast)), Err(Errno::EACCES), "6a without SO_BROADCAST");
    u.set_int(SockOpt::Broadcast, 1).unwrap();
    assert_eq!(u.get_int(SockOpt::Broadcast), Ok(1));
    assert_eq!(u.connect(&inet(bcast)), Ok(()), "6b with SO_BROADCAST");
    assert_eq!(peer(&u), Ok(bcast));
    // Nothing is sent on the host.
}

#[test]
fn row_6e_tcp_connect_to_loopback_broadcast_is_enetunreach() {
    let t = tcp4();
    assert_eq!(t.connect(&inet(at(Ipv4Addr::new(127, 255, 255, 255), 9))), Err(Errno::ENETUNREACH));
}

// ----- 7: UDP connect semantics ---------------------------------------------------------------

#[test]
fn row_7a_send_on_unconnected_udp_is_edestaddrreq() {
    let (s, _) = udp_bound();
    assert_eq!(s.send(b"x"), Err(Errno::EDESTADDRREQ));
    assert_eq!(peer(&s), Err(Errno::ENOTCONN));
}

#[test]
fn row_7b_7c_7d_7e_reconnect_filtering_and_queued_datagrams() {
    let (a, aa) = udp_bound();
    let (b, ba) = udp_bound();
    let (s, sa) = udp_bound();
    // 7e: a datagram from B queued before the first connect(A) is still delivered.
    b.send_to(b"pre-connect-from-B", sa).unwrap();
    assert!(wait_for(&s, PollBits::IN, WAIT).contains(PollBits::IN));
    assert_eq!(s.connect(&inet(aa)), Ok(()));
    assert_eq!(recv_one(&s, WAIT), Ok(("pre-connect-from-B".to_owned(), ba)), "7e");
    // 7c: while connected to A, a datagram from B is not delivered.
    b.send_to(b"from-B", sa).unwrap();
    a.send_to(b"from-A", sa).unwrap();
    assert_eq!(recv_one(&s, WAIT), Ok(("from-A".to_owned(), aa)), "7c");
    assert_eq!(recv_one(&s, QUIET), Err(Errno::EAGAIN), "7c: nothing from B");
    // 7d: a datagram from A queued, then re-connect to B (7b): still delivered.
    a.send_to(b"queued-from-A", sa).unwrap();
    assert!(wait_for(&s, PollBits::IN, WAIT).contains(PollBits::IN));
    assert_eq!(s.connect(&inet(ba)), Ok(()), "7b re-connect");
    assert_eq!(recv_one(&s, WAIT), Ok(("queued-from-A".to_owned(), aa)), "7d");
    assert_eq!(peer(&s), Ok(ba));
    assert_eq!(s.send(b"hi-B"), Ok(4));
    assert_eq!(recv_one(&b, WAIT), Ok(("hi-B".to_owned(), sa)));
}

#[test]
fn row_7f_7g_unspec_disconnects_and_releases_a_kernel_chosen_port() {
    let (a, aa) = udp_bound();
    let (s, sa) = udp_bound();
    assert_eq!(s.connect(&inet(aa)), Ok(()));
    // 7f: AF_UNSPEC disconnects.
    assert_eq!(s.connect(&SockAddrArg::UnspecLen(16)), Ok(()));
    assert_eq!(peer(&s), Err(Errno::ENOTCONN));
    // 7g: the port was chosen by the kernel (bind to 0), so it is released.
    assert_eq!(s.local_addr(), Ok(SockName::Inet(v4(0))));
    assert_eq!(s.send(b"x"), Err(Errno::EDESTADDRREQ), "not ENOTCONN");
    // Measured here, not in LINUX_TRUTH: even the failing send binds a new port first
    // (inet_sendmsg autobinds before udp_sendmsg checks the destination).
    assert_ne!(local(&s).port(), 0);
    assert_eq!(s.send_to(b"sendto-after-unspec", aa), Ok(19), "sendto still works");
    let (text, from) = recv_one(&a, WAIT).unwrap();
    assert_eq!(text, "sendto-after-unspec");
    assert_ne!(from.port(), sa.port(), "a new port");
    // recv still works after the disconnect (on the new port).
    a.send_to(b"to-new-port", local(&s)).unwrap();
    assert_eq!(recv_one(&s, WAIT).map(|(t, _)| t), Ok("to-new-port".to_owned()));
    // The old port is gone: datagrams to it are lost.
    a.send_to(b"to-old-port", sa).unwrap();
    assert_eq!(recv_one(&s, QUIET), Err(Errno::EAGAIN));
    assert_eq!(s.connect(&SockAddrArg::UnspecLen(16)), Ok(()), "again while unconnected");
    assert_eq!(s.connect(&SockAddrArg::Unspec), Ok(()), "addrlen 2 (family only)");
    assert_eq!(s.connect(&SockAddrArg::UnspecLen(1)), Err(Errno::EINVAL), "addrlen 1");

    // An implicit binding is dropped as well.
    let t = udp4();
    assert_eq!(t.connect(&inet(aa)), Ok(()));
    assert_eq!(local(&t).ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(t.connect(&SockAddrArg::Unspec), Ok(()));
    assert_eq!(t.local_addr(), Ok(SockName::Inet(at(Ipv4Addr::UNSPECIFIED, 0))));

    // An explicit port is kept.
    let (e, ea) = udp_bound_explicit();
    assert_eq!(e.connect(&inet(aa)), Ok(()));
    assert_eq!(e.connect(&SockAddrArg::Unspec), Ok(()));
    assert_eq!(local(&e), ea);
}

/// A UDP socket bound to an explicit (non-zero) port.
fn udp_bound_explicit() -> (RawSocket, SocketAddr) {
    // Find a free port, then bind to it explicitly (bounded attempts).
    for _ in 0..50 {
        let (probe, a) = udp_bound();
        drop(probe);
        let u = udp4();
        if u.bind(a).is_ok() {
            return (u, a);
        }
    }
    panic!("no port for an explicit bind");
}

#[test]
fn row_7h_icmp_port_unreachable_reaches_only_connected_udp_once() {
    let dead = {
        let (d, a) = udp_bound();
        drop(d);
        a
    };
    let u = udp4();
    assert_eq!(u.connect(&inet(dead)), Ok(()));
    assert_eq!(u.send(b"x"), Ok(1), "#1");
    let bits = wait_for(&u, PollBits::IN, WAIT);
    assert!(bits.contains(PollBits::ERR), "ICMP came back: {bits}");
    assert_eq!(u.send(b"x"), Err(Errno::ECONNREFUSED), "#2 reports it");
    assert_eq!(u.send(b"x"), Ok(1), "#3: reported once");
    // The error again, this time seen by recv.
    let bits = wait_for(&u, PollBits::IN, WAIT);
    assert!(bits.contains(PollBits::ERR));
    let mut buf = [0u8; 8];
    assert_eq!(u.recv(&mut buf, Duration::ZERO), Err(Errno::ECONNREFUSED), "recv sees it");
    // ... and once more through SO_ERROR, which clears it.
    assert_eq!(u.send(b"x"), Ok(1));
    wait_for(&u, PollBits::IN, WAIT);
    assert_eq!(u.so_error(), Ok(Some(Errno::ECONNREFUSED)));
    assert_eq!(u.so_error(), Ok(None));

    // Unconnected sendto never sees the error (no IP_RECVERR).
    let v = udp4();
    assert_eq!(v.send_to(b"x", dead), Ok(1));
    let bits = wait_for(&v, PollBits::IN, QUIET);
    assert_eq!(bits, PollBits::EMPTY);
    assert_eq!(v.recv(&mut buf, Duration::ZERO), Err(Errno::EAGAIN));
    assert_eq!(v.so_error(), Ok(None));
    assert_eq!(v.send_to(b"x", dead), Ok(1));
}
