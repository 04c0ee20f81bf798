//! LINUX_TRUTH rows that need a private network namespace: 6a-6c and 6e on a real subnet broadcast
//! with a receiver, 9a-9e (no route, reject routes), 9f (an on-link host that never answers
//! ARP) and 7i (ICMP host-unreachable on connected UDP).
//!
//! Each test has two sides in one function. Run by `cargo test` (the OUTER side), it re-runs
//! this very test binary, filtered to itself, under `unshare -r -n` (or `unshare -n` as root)
//! through `socklab::net::live::netns::run`, and asserts on the report the inner run prints.
//! In the namespace (the INNER side) `netns::enter()` builds the lab topology, the experiment
//! runs and emits its report; it asserts nothing itself, so it cannot pass on its own. A test
//! whose inner run failed, printed no report, or left an expected call out fails.
//!
//! When namespaces cannot be made, the outer side fails with the reason, unless
//! `SOCKLAB_SKIP_NETNS=1` is set, in which case it prints the reason and returns.
//!
//! Network safety: the inner side checks every destination against `Topology::allows`
//! (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 and loopback) and refuses to run in the
//! namespace it was started from.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use socklab::net::live::Stopwatch;
use socklab::net::live::netns::{self, Report, Topology};
use socklab::net::live::raw::{Errno, Family, Kind, RawSocket, SockOpt};
use socklab::net::live::readiness::{self, PollBits};

/// The answer recorded for `call` in `row`; fails if the inner side did not record it.
fn answer<'a>(report: &'a Report, row: &str, call: &str) -> &'a str {
    &report.get(row, call).unwrap_or_else(|| panic!("row {row}: no observation of `{call}`")).answer
}

fn millis(report: &Report, row: &str, call: &str) -> f64 {
    report.get(row, call).unwrap_or_else(|| panic!("row {row}: no observation of `{call}`")).ms
}

/// Inner side: a destination must lie in the namespace's documentation ranges.
fn checked(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    let ip = ip.into();
    assert!(Topology::allows(ip), "refusing a destination outside the lab: {ip}");
    SocketAddr::new(ip, port)
}

fn new(family: Family, kind: Kind) -> RawSocket {
    RawSocket::new(family, kind).expect("socket")
}

// ----- 6: broadcast on a real subnet ----------------------------------------------------------

fn experiment_6(r: &mut Report) {
    let bcast = checked(Topology::SUBNET_BROADCAST, 5555);
    let rcv = new(Family::V4, Kind::Udp);
    rcv.bind(checked(std::net::Ipv4Addr::UNSPECIFIED, 5555)).expect("receiver bind");
    let s = new(Family::V4, Kind::Udp);
    let (a, t) = Stopwatch::time(|| s.connect(&inet(bcast)));
    r.record_result("6a", "udp connect subnet broadcast without SO_BROADCAST", &a, t);
    let (a, t) = Stopwatch::time(|| s.send_to(b"x", bcast));
    r.record_result("6a", "udp sendto subnet broadcast without SO_BROADCAST", &a, t);
    s.set_int(SockOpt::Broadcast, 1).expect("SO_BROADCAST");
    let (a, t) = Stopwatch::time(|| s.connect(&inet(bcast)));
    r.record_result("6b", "udp connect subnet broadcast with SO_BROADCAST", &a, t);
    let peer = s.peer_addr().map(|p| p.to_string());
    r.record("6b", "getpeername", peer.unwrap_or_else(|e| e.name().to_owned()), Duration::ZERO);
    let (a, t) = Stopwatch::time(|| s.send(b"bcast-subnet"));
    r.record("6b", "send", format!("{a:?}"), t);
    let mut buf = [0u8; 64];
    let got = |rcv: &RawSocket, buf: &mut [u8], wait| match rcv.recv_from(buf, wait) {
        Ok((n, from)) => format!("{} from {}", String::from_utf8_lossy(&buf[..n]), from),
        Err(e) => e.name().to_owned(),
    };
    r.record("6b", "receiver 1st datagram", got(&rcv, &mut buf, Duration::from_secs(1)), Duration::ZERO);
    r.record("6b", "receiver 2nd datagram", got(&rcv, &mut buf, Duration::from_millis(200)), Duration::ZERO);
    // 6c: clearing SO_BROADCAST after connect does not stop sends.
    s.set_int(SockOpt::Broadcast, 0).expect("clear SO_BROADCAST");
    let (a, t) = Stopwatch::time(|| s.send(b"after-clear"));
    r.record("6c", "send after clearing SO_BROADCAST", format!("{a:?}"), t);
    r.record("6c", "receiver datagram", got(&rcv, &mut buf, Duration::from_secs(1)), Duration::ZERO);
    // 6e: TCP to a broadcast address.
    let tcp = new(Family::V4, Kind::Tcp);
    let (a, t) = Stopwatch::time(|| tcp.connect(&inet(checked(Topology::SUBNET_BROADCAST, 80))));
    r.record_result("6e", "tcp connect subnet broadcast", &a, t);
}

#[test]
fn row_6a_6b_subnet_broadcast_needs_so_broadcast_and_reaches_a_receiver() {
    let Some(report) =
        in_namespace("row_6a_6b_subnet_broadcast_needs_so_broadcast_and_reaches_a_receiver", experiment_6)
    else {
        return;
    };
    let r = &report;
    assert_eq!(answer(r, "6a", "udp connect subnet broadcast without SO_BROADCAST"), "EACCES");
    assert_eq!(answer(r, "6a", "udp sendto subnet broadcast without SO_BROADCAST"), "EACCES");
    assert_eq!(answer(r, "6b", "udp connect subnet broadcast with SO_BROADCAST"), "ok");
    assert_eq!(answer(r, "6b", "getpeername"), "198.51.100.255:5555");
    assert_eq!(answer(r, "6b", "send"), "Ok(12)");
    assert!(
        answer(r, "6b", "receiver 1st datagram").starts_with("bcast-subnet from 198.51.100.1:"),
        "6b: the receiver bound to 0.0.0.0 gets the broadcast"
    );
    assert_eq!(answer(r, "6b", "receiver 2nd datagram"), "EAGAIN", "exactly 1 copy");
    assert_eq!(answer(r, "6c", "send after clearing SO_BROADCAST"), "Ok(11)");
    assert!(answer(r, "6c", "receiver datagram").starts_with("after-clear from"));
    assert_eq!(answer(r, "6e", "tcp connect subnet broadcast"), "ENETUNREACH");
}

// ----- 9a-9e: routing errors are synchronous ----------------------------------------------------

fn experiment_9a_9e(r: &mut Report) {
    let v4 = [
        ("9a", Topology::NO_ROUTE),
        ("9b", Topology::UNREACHABLE),
        ("9c", Topology::PROHIBIT),
        ("9d", Topology::BLACKHOLE),
        ("9e", Topology::THROW),
    ];
    for (row, ip) in v4 {
        let t = new(Family::V4, Kind::Tcp);
        let (a, d) = Stopwatch::time(|| t.connect(&inet(checked(ip, 80))));
        r.record_result(row, "tcp blocking connect", &a, d);
        let t = new(Family::V4, Kind::Tcp);
        t.set_nonblocking(true).expect("FIONBIO");
        let (a, d) = Stopwatch::time(|| t.connect(&inet(checked(ip, 80))));
        r.record_result(row, "tcp nonblocking connect", &a, d);
        let u = new(Family::V4, Kind::Udp);
        let (a, d) = Stopwatch::time(|| u.connect(&inet(checked(ip, 9))));
        r.record_result(row, "udp connect", &a, d);
        let (a, d) = Stopwatch::time(|| u.send_to(b"x", checked(ip, 9)));
        r.record_result(row, "udp sendto", &a, d);
    }
    let v6 = [
        ("9a", Topology::NO_ROUTE6),
        ("9b", Topology::UNREACHABLE6),
        ("9c", Topology::PROHIBIT6),
        ("9d", Topology::BLACKHOLE6),
    ];
    for (row, ip) in v6 {
        let t = new(Family::V6, Kind::Tcp);
        let (a, d) = Stopwatch::time(|| t.connect(&inet(checked(ip, 80))));
        r.record_result(row, "tcp6 blocking connect", &a, d);
        let u = new(Family::V6, Kind::Udp);
        let (a, d) = Stopwatch::time(|| u.connect(&inet(checked(ip, 9))));
        r.record_result(row, "udp6 connect", &a, d);
    }
}

#[test]
fn row_9a_9e_route_errors_are_immediate() {
    let Some(report) = in_namespace("row_9a_9e_route_errors_are_immediate", experiment_9a_9e) else {
        return;
    };
    let expected = [
        ("9a", "ENETUNREACH", true),
        ("9b", "EHOSTUNREACH", true),
        ("9c", "EACCES", true),
        ("9d", "EINVAL", true),
        ("9e", "ENETUNREACH", false),
    ];
    for (row, errno, has_v6) in expected {
        let mut calls = vec!["tcp blocking connect", "tcp nonblocking connect", "udp connect", "udp sendto"];
        if has_v6 {
            calls.extend(["tcp6 blocking connect", "udp6 connect"]);
        }
        for call in calls {
            assert_eq!(answer(&report, row, call), errno, "row {row}: {call}");
            // Synchronous: no EINPROGRESS, no waiting.
            let ms = millis(&report, row, call);
            assert!(ms < 200.0, "row {row}: {call} took {ms} ms");
        }
    }
}

// ----- 9f and 7i: an on-link host that never answers ARP -----------------------------------------

fn experiment_9f(r: &mut Report) {
    // Four independent waits of ~3 s, run side by side.
    let blocking = std::thread::spawn(|| {
        let mut r = Report::new();
        let t = new(Family::V4, Kind::Tcp);
        t.set_int(SockOpt::TcpSynCnt, 3).expect("TCP_SYNCNT");
        let (a, d) = Stopwatch::time(|| t.connect(&inet(checked(Topology::SILENT_HOST, 80))));
        r.record_result("9f", "tcp blocking connect", &a, d);
        r
    });
    let udp = |recverr: bool, ip: std::net::Ipv4Addr| {
        std::thread::spawn(move || {
            let mut r = Report::new();
            let tag = if recverr { " with IP_RECVERR" } else { "" };
            let u = new(Family::V4, Kind::Udp);
            if recverr {
                u.set_int(SockOpt::IpRecvErr, 1).expect("IP_RECVERR");
            }
            let (a, d) = Stopwatch::time(|| u.connect(&inet(checked(ip, 9))));
            r.record_result("7i", format!("udp connect{tag}"), &a, d);
            let (a, d) = Stopwatch::time(|| u.send(b"x"));
            r.record_result("7i", format!("udp send{tag}"), &a, d);
            let limit = if recverr { 6000 } else { 4000 };
            let (bits, d) = Stopwatch::time(|| readiness::poll(&[(u.fd(), PollBits::IN)], limit).map(|b| b[0]));
            r.record("7i", format!("poll POLLIN{tag}"), format!("{bits:?}"), d);
            let e = u.so_error();
            r.record("7i", format!("SO_ERROR{tag}"), format!("{e:?}"), Duration::ZERO);
            r
        })
    };
    let soft = udp(false, std::net::Ipv4Addr::new(198, 51, 100, 97));
    let hard = udp(true, std::net::Ipv4Addr::new(198, 51, 100, 96));

    let t = new(Family::V4, Kind::Tcp);
    t.set_nonblocking(true).expect("FIONBIO");
    t.set_int(SockOpt::TcpSynCnt, 3).expect("TCP_SYNCNT");
    let target = inet(checked(Topology::SILENT_HOST_2, 80));
    let (a, d) = Stopwatch::time(|| t.connect(&target));
    r.record_result("9f", "tcp nonblocking connect", &a, d);
    let (bits, d) = Stopwatch::time(|| readiness::poll(&[(t.fd(), PollBits::OUT)], 10_000));
    r.record("9f", "poll POLLOUT", format!("{:?}", bits.map(|b| b[0])), d);
    let bits = readiness::poll_one(t.fd(), 0);
    r.record("9f", "poll after failure", format!("{bits:?}"), Duration::ZERO);
    let sel = readiness::select_one(t.fd(), 0);
    r.record("9f", "select after failure", format!("{sel:?}"), Duration::ZERO);
    let e = t.so_error();
    r.record("9f", "SO_ERROR", format!("{e:?}"), Duration::ZERO);
    let (a, d) = Stopwatch::time(|| t.connect(&target));
    r.record_result("9f", "tcp connect again", &a, d);

    for h in [blocking, soft, hard] {
        r.observations.extend(h.join().expect("experiment thread").observations);
    }
}

#[test]
fn row_9f_arp_failure_gives_ehostunreach_after_about_3s() {
    let Some(report) = in_namespace("row_9f_arp_failure_gives_ehostunreach_after_about_3s", experiment_9f) else {
        return;
    };
    let r = &report;
    let secs = |row, call| millis(r, row, call) / 1000.0;
    // Blocking: EHOSTUNREACH after ~3 s (3 ARP probes; TCP_SYNCNT does not matter).
    assert_eq!(answer(r, "9f", "tcp blocking connect"), "EHOSTUNREACH");
    let b = secs("9f", "tcp blocking connect");
    assert!((2.5..=5.0).contains(&b), "9f blocking took {b} s");
    // Nonblocking: EINPROGRESS, then OUT|ERR|HUP at ~3 s, SO_ERROR EHOSTUNREACH.
    assert_eq!(answer(r, "9f", "tcp nonblocking connect"), "EINPROGRESS");
    assert_eq!(answer(r, "9f", "poll POLLOUT"), "Ok(POLLOUT|POLLERR|POLLHUP)");
    let n = secs("9f", "poll POLLOUT");
    assert!((2.5..=5.0).contains(&n), "9f nonblocking took {n} s");
    assert_eq!(answer(r, "9f", "poll after failure"), "Ok(POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP)");
    assert_eq!(answer(r, "9f", "select after failure"), "Ok((true, true, false))");
    assert_eq!(answer(r, "9f", "SO_ERROR"), format!("{:?}", Ok::<_, Errno>(Some(Errno::EHOSTUNREACH))));
    assert_eq!(answer(r, "9f", "tcp connect again"), "ECONNABORTED");
    // 7i: connected UDP ignores host-unreachable unless IP_RECVERR.
    assert_eq!(answer(r, "7i", "udp connect"), "ok");
    assert_eq!(answer(r, "7i", "udp send"), "ok");
    assert_eq!(answer(r, "7i", "poll POLLIN"), "Ok(0)");
    assert_eq!(answer(r, "7i", "SO_ERROR"), "Ok(None)");
    assert_eq!(answer(r, "7i", "poll POLLIN with IP_RECVERR"), "Ok(POLLERR)");
    let e = secs("7i", "poll POLLIN with IP_RECVERR");
    assert!((2.5..=5.5).contains(&e), "7i with IP_RECVERR took {e} s");
    assert_eq!(answer(r, "7i", "SO_ERROR with IP_RECVERR"), format!("{:?}", Ok::<_, Errno>(Some(Errno::EHOSTUNREACH))));
}

// ----- giving up on a blocking connect from another thread (the TUI's Esc) --------------------

/// One blocking connect to a host that never answers ARP (it would fail with EHOSTUNREACH after
/// ~3 s), while another thread acts on its socket at 300 ms: `close` or `shutdown`.
fn blocked_connect_and_side_act(r: &mut Report, host: std::net::Ipv4Addr, act: &'static str) {
    let s = new(Family::V4, Kind::Tcp);
    let fd = s.fd();
    let target = inet(checked(host, 80));
    let blocked = std::thread::spawn(move || Stopwatch::time(|| socklab::net::live::raw::connect_fd(fd, &target)));
    std::thread::sleep(Duration::from_millis(300));
    let (side, d) = match act {
        "close" => Stopwatch::time(|| s.close()),
        _ => Stopwatch::time(|| {
            let a = s.shutdown(std::net::Shutdown::Both);
            drop(s);
            a
        }),
    };
    r.record_result("esc", format!("{act} from another thread"), &side, d);
    let (a, d) = blocked.join().expect("the blocked connect's thread");
    r.record_result("esc", format!("blocked connect after {act}"), &a, d);
}

fn experiment_side_close(r: &mut Report) {
    let other = std::thread::spawn(|| {
        let mut r = Report::new();
        blocked_connect_and_side_act(&mut r, Topology::SILENT_HOST_2, "shutdown");
        r
    });
    blocked_connect_and_side_act(r, Topology::SILENT_HOST, "close");
    r.observations.extend(other.join().expect("experiment thread").observations);
}

/// What the TUI's Esc does on the live network rests on this: on Linux, closing the socket from
/// another thread does not release a blocked connect (it runs to its own end), shutting it down
/// does, at once, with ECONNRESET.
#[test]
fn a_blocked_connect_is_released_by_shutdown_from_another_thread_not_by_close() {
    let Some(report) = in_namespace(
        "a_blocked_connect_is_released_by_shutdown_from_another_thread_not_by_close",
        experiment_side_close,
    ) else {
        return;
    };
    let r = &report;
    assert_eq!(answer(r, "esc", "close from another thread"), "ok");
    assert_eq!(answer(r, "esc", "blocked connect after close"), "EHOSTUNREACH", "close does not wake it");
    let c = millis(r, "esc", "blocked connect after close");
    assert!(c >= 2500.0, "the connect ran to its own end after close: {c} ms");
    assert_eq!(answer(r, "esc", "shutdown from another thread"), "ok");
    assert_eq!(answer(r, "esc", "blocked connect after shutdown"), "ECONNRESET");
    let s = millis(r, "esc", "blocked connect after shutdown");
    assert!((250.0..1500.0).contains(&s), "shutdown released it at once: {s} ms");
}

// ----- safety of the inner side -----------------------------------------------------------------

#[test]
fn inner_side_refuses_to_run_in_the_namespace_it_was_started_from() {
    if netns::enter().is_some() {
        // Only reachable if someone runs this test as an inner side; nothing to do there.
        return;
    }
    let here = netns::current_netns_id().expect("read /proc/self/ns/net");
    let exe = std::env::current_exe().expect("the test binary");
    // Start the 9a-9e test as an inner side WITHOUT a new namespace: it must refuse.
    let out = Command::new(exe)
        .args(["row_9a_9e_route_errors_are_immediate", "--exact", "--nocapture", "--test-threads=1"])
        .env(netns::ENV_TOPOLOGY, Topology::Lab.name())
        .env(netns::ENV_HOST_NS, &here)
        .stdin(Stdio::null())
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the inner side ran in the host namespace:\n{stdout}");
    assert!(stderr.contains("refusing to run") || stdout.contains("refusing to run"), "stderr: {stderr}");
    assert!(netns::Report::parse(&stdout).is_none(), "no experiment ran");
}

#[test]
fn topology_allows_only_documentation_ranges_and_loopback() {
    let ok = ["198.51.100.255", "203.0.113.65", "2001:db8:1::1", "127.0.0.1", "::1"];
    // Only parsed and classified, never contacted: other documentation and special ranges, the
    // limited broadcast, link-local, and the v6 prefix just past 2001:db8::/32.
    let bad = [
        "192.0.2.1",
        "198.18.0.1",
        "198.19.255.1",
        "169.254.1.1",
        "224.0.0.1",
        "255.255.255.255",
        "fe80::1",
        "2001:db9::1",
    ];
    for a in ok {
        assert!(Topology::allows(a.parse().unwrap()), "{a}");
    }
    for a in bad {
        assert!(!Topology::allows(a.parse().unwrap()), "{a}");
    }
}

#[test]
fn without_namespaces_the_tests_fail_with_the_reason_unless_skipped_explicitly() {
    if netns::enter().is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let run = |skip: bool| {
        let mut cmd = Command::new(&exe);
        // No PATH: neither `unshare` nor `ip` can be found, as on a host without them.
        cmd.args(["row_9a_9e_route_errors_are_immediate", "--exact", "--nocapture"])
            .env("PATH", "")
            .env_remove("SOCKLAB_SKIP_NETNS")
            .stdin(Stdio::null());
        if skip {
            cmd.env("SOCKLAB_SKIP_NETNS", "1");
        }
        let out = cmd.output().expect("run the test binary");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    };
    let (ok, text) = run(false);
    assert!(!ok, "must not pass silently:\n{text}");
    assert!(text.contains("private network namespaces: unavailable"), "{text}");
    assert!(text.contains("SOCKLAB_SKIP_NETNS"), "{text}");
    let (ok, text) = run(true);
    assert!(ok, "{text}");
    assert!(text.contains("skipped (SOCKLAB_SKIP_NETNS is set)"), "{text}");
}
