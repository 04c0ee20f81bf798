//! LINUX_TRUTH row 8: argument errors of connect() (listening socket, wrong family, bad
//! addrlen, bad pointer, bad descriptor), performed with raw `SockAddrArg`s; and the raw
//! layer's own refusals (select beyond FD_SETSIZE, option shapes).
//!
//! Traffic goes to 127.0.0.0/8 and ::1 only.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

mod common;

use std::net::Ipv6Addr;
use std::os::fd::AsRawFd;

use common::*;
use socklab::net::live::raw::{self, Errno, OptValue, SockAddrArg, SockOpt};
use socklab::net::live::readiness;

const AF_UNIX: u16 = 1;
const AF_INET6: u16 = 10;

#[test]
fn row_8a_connect_on_a_listening_socket_is_eisconn() {
    let (l, a) = listener();
    let (_l2, a2) = listener();
    assert_eq!(l.connect(&inet(a)), Err(Errno::EISCONN), "to its own port");
    assert_eq!(l.connect(&inet(a2)), Err(Errno::EISCONN), "to another listener");
}

#[test]
fn row_8b_unspec_on_a_listener_stops_it_and_releases_its_port() {
    let (l, a) = listener();
    assert_eq!(l.connect(&SockAddrArg::UnspecLen(16)), Ok(()));
    let t = tcp4();
    assert_eq!(t.connect(&inet(a)), Err(Errno::ECONNREFUSED), "no longer listening");
    assert_eq!(l.listen(8), Ok(()));
    let again = local(&l);
    assert_ne!(again.port(), a.port(), "listen() autobinds a new port");
    let t = tcp4();
    assert_eq!(t.connect(&inet(a)), Err(Errno::ECONNREFUSED), "the old port stays closed");
    let t = tcp4();
    assert_eq!(t.connect(&inet(again)), Ok(()), "the new port listens");
}

#[test]
fn row_8c_wrong_family_is_eafnosupport() {
    let (_l, a) = listener();
    for s in [tcp4(), udp4()] {
        let k = s.kind();
        let six = v6(LO6, a.port());
        let mapped = v6("::ffff:127.0.0.1".parse().unwrap(), a.port());
        assert_eq!(s.connect(&inet(six)), Err(Errno::EAFNOSUPPORT), "{k:?}: sockaddr_in6(::1)");
        assert_eq!(s.connect(&inet(mapped)), Err(Errno::EAFNOSUPPORT), "{k:?}: v4-mapped");
        for fam in [AF_INET6, AF_UNIX, 0xffff] {
            assert_eq!(
                s.connect(&SockAddrArg::WrongFamily(a, fam)),
                Err(Errno::EAFNOSUPPORT),
                "{k:?}: sa_family {fam}"
            );
        }
    }
}

#[test]
fn row_8d_short_addrlen_is_einval() {
    let (_l, a) = listener();
    let s = tcp4();
    for len in [0, 1, 2, 8, 15] {
        assert_eq!(s.connect(&SockAddrArg::Truncated(a, len)), Err(Errno::EINVAL), "len {len}");
    }
    let u = udp4();
    assert_eq!(u.connect(&SockAddrArg::Truncated(a, 8)), Err(Errno::EINVAL));
}

#[test]
fn row_8e_addrlen_beyond_sockaddr_storage_is_einval() {
    let (_l, a) = listener();
    let s = tcp4();
    assert_eq!(s.connect(&SockAddrArg::Truncated(a, 129)), Err(Errno::EINVAL), "len 129");
    assert_eq!(s.connect(&SockAddrArg::Truncated(a, 128)), Ok(()), "len 128, padded");
}

#[test]
fn row_8f_ipv6_socket_checks_length_before_family() {
    let (_l, a) = listener();
    let (_l6, a6) = listener6();
    let s = tcp6();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINVAL), "sockaddr_in, len 16");
    assert_eq!(s.connect(&SockAddrArg::Truncated(a, 28)), Err(Errno::EAFNOSUPPORT), "padded");
    assert_eq!(s.connect(&SockAddrArg::Truncated(a6, 23)), Err(Errno::EINVAL), "len 23");
    assert_eq!(s.connect(&SockAddrArg::Truncated(a6, 24)), Ok(()), "len 24, no scope_id");
}

#[test]
fn row_8g_udp6_dual_stack_accepts_a_plain_sockaddr_in() {
    let target = v4(9);
    let u = udp6();
    assert_eq!(u.connect(&inet(target)), Ok(()));
    let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
    assert_eq!(peer(&u), Ok(v6(mapped, 9)));
    let u = udp6();
    u.set_int(SockOpt::Ipv6V6Only, 1).unwrap();
    assert_eq!(u.connect(&inet(target)), Err(Errno::EAFNOSUPPORT));
}

#[test]
fn row_8h_null_or_unmapped_pointer_is_efault() {
    let s = tcp4();
    assert_eq!(s.connect(&SockAddrArg::Null { len: 16 }), Err(Errno::EFAULT));
    assert_eq!(s.connect(&SockAddrArg::Unmapped { len: 16 }), Err(Errno::EFAULT));
    assert_eq!(s.connect(&SockAddrArg::Null { len: 0 }), Err(Errno::EINVAL));
}

#[test]
fn row_8i_bad_descriptor_is_ebadf() {
    // A descriptor that cannot be open: beyond the soft limit. (Closing a socket and reusing
    // its number would race with the other tests of this binary, which open descriptors.)
    let (soft, _) = socklab::net::live::limits::nofile_limit().unwrap();
    let beyond = i32::try_from(soft).unwrap_or(i32::MAX - 1).saturating_add(1);
    assert_eq!(raw::connect_fd(beyond, &inet(v4(9))), Err(Errno::EBADF), "fd {beyond}");
    assert_eq!(raw::connect_fd(-1, &inet(v4(9))), Err(Errno::EBADF), "fd -1");
}

#[test]
fn row_8j_pipe_or_dev_null_is_enotsock() {
    let (r, _w) = std::io::pipe().unwrap();
    assert_eq!(raw::connect_fd(r.as_raw_fd(), &inet(v4(9))), Err(Errno::ENOTSOCK), "pipe");
    let null = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(raw::connect_fd(null.as_raw_fd(), &inet(v4(9))), Err(Errno::ENOTSOCK), "/dev/null");
}

// ----- the raw layer's own refusals -------------------------------------------------------------

#[test]
fn select_refuses_descriptors_beyond_fd_setsize() {
    assert_eq!(readiness::select(&[1024], &[], &[], 0), Err(Errno::EINVAL));
    assert_eq!(readiness::select(&[], &[-1], &[], 0), Err(Errno::EINVAL));
}

#[test]
fn an_option_value_of_the_wrong_shape_is_einval() {
    let s = tcp4();
    assert_eq!(s.setsockopt(SockOpt::Broadcast, OptValue::Time(Default::default())), Err(Errno::EINVAL));
    assert_eq!(s.setsockopt(SockOpt::SndTimeo, OptValue::Int(1)), Err(Errno::EINVAL));
}

#[test]
fn options_read_back_what_was_set() {
    let s = tcp4();
    assert_eq!(s.get_int(SockOpt::TcpNoDelay), Ok(0));
    s.set_int(SockOpt::TcpNoDelay, 1).unwrap();
    assert_eq!(s.get_int(SockOpt::TcpNoDelay), Ok(1));
    let linger = OptValue::Linger { on: true, secs: 0 };
    s.setsockopt(SockOpt::Linger, linger).unwrap();
    assert_eq!(s.getsockopt(SockOpt::Linger), Ok(linger));
    let u = udp4();
    u.set_int(SockOpt::IpRecvErr, 1).unwrap();
    assert_eq!(u.get_int(SockOpt::IpRecvErr), Ok(1));
    // SO_ERROR is read-only.
    assert_eq!(u.set_int(SockOpt::Error, 0), Err(Errno::ENOPROTOOPT));
}

// ---- winapi-args: select's timeval after the call ----

/// Linux writes the time not slept back into select's timeval: 0 after a full timeout, nearly
/// all of it when a socket is ready at once (Winsock leaves it as given: rule `select`).
#[test]
fn select_writes_back_the_time_not_slept() {
    let idle = udp4();
    let a = readiness::select(&[idle.fd()], &[], &[], 150).expect("select");
    assert!(a.read.is_empty());
    assert_eq!(a.timeout_left, std::time::Duration::ZERO, "a full timeout leaves nothing");
    let t = tcp4();
    let a = readiness::select(&[], &[t.fd()], &[], 2000).expect("select");
    assert_eq!(a.write, vec![t.fd()], "a never-connected socket is writable (1e)");
    assert!(a.timeout_left > std::time::Duration::from_millis(1500), "ready at once: {:?} left", a.timeout_left);
}
