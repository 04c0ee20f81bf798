//! socklab's own targets on loopback: each behaves as its name says, at its real address, and
//! all of them stop (bounded) when `Targets` is dropped.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::*;
use socklab::net::live::raw::{Errno, Kind};
use socklab::net::live::readiness::{PollBits, TcpState};
use socklab::net::live::targets::TargetsConfig;
use socklab::net::live::{Stopwatch, TargetName, Targets};

const SHORT: Duration = Duration::from_secs(2);

/// Waits (bounded: 200 x 10 ms) until `cond` holds.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: not within 2 s");
}

#[test]
fn target_names_parse_with_or_without_the_at_sign() {
    assert_eq!(TargetName::parse("@accept"), Some(TargetName::Accept));
    assert_eq!(TargetName::parse("SLOW"), Some(TargetName::Slow));
    assert_eq!(TargetName::parse("@nope"), None);
    for t in TargetName::ALL {
        assert_eq!(TargetName::parse(t.name()), Some(t));
    }
    assert_eq!(TargetName::Echo.kind(), Kind::Udp);
    let targets = Targets::new(TargetsConfig::default());
    assert_eq!(targets.addr("@nope"), None);
    assert!(targets.running().is_empty(), "nothing starts before it is asked for");
}

#[test]
fn targets_start_on_demand_on_loopback_and_keep_their_address() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@accept").expect("@accept");
    assert!(a.ip().is_loopback());
    assert_eq!(targets.addr("accept"), Some(a), "same target, same address");
    assert_eq!(targets.running(), vec![(TargetName::Accept, a)]);
    let all = Targets::start_all(TargetsConfig::default()).expect("all targets");
    let running = all.running();
    assert_eq!(running.len(), TargetName::ALL.len());
    assert!(running.iter().all(|(_, a)| a.ip().is_loopback()));
}

#[test]
fn accept_target_accepts_and_keeps_connections() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.start(TargetName::Accept).unwrap();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let s = tcp4();
            assert_eq!(s.connect(&inet(a)), Ok(()));
            s
        })
        .collect();
    eventually("3 accepted", || targets.stats().accepted == 3);
    // Kept open: no EOF on the clients.
    for c in &clients {
        let mut buf = [0u8; 4];
        assert_eq!(c.recv(&mut buf, Duration::from_millis(50)), Err(Errno::EAGAIN));
        assert_eq!(state(c), Some(TcpState::Established));
    }
}

#[test]
fn accept_target_keeps_a_bounded_number_of_connections() {
    let config = TargetsConfig { accept_keep: 2, ..TargetsConfig::default() };
    let targets = Targets::new(config);
    let a = targets.start(TargetName::Accept).unwrap();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let s = tcp4();
            assert_eq!(s.connect(&inet(a)), Ok(()));
            s
        })
        .collect();
    eventually("3 accepted", || targets.stats().accepted == 3);
    // The oldest one was closed: its client reads EOF.
    let mut buf = [0u8; 4];
    assert_eq!(clients[0].recv(&mut buf, SHORT), Ok(0));
}

#[test]
fn refuse_target_is_a_closed_port() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@refuse").unwrap();
    let s = tcp4();
    assert_eq!(s.connect(&inet(a)), Err(Errno::ECONNREFUSED));
    // Still bound: nobody else can take the port.
    let t = tcp4();
    assert_eq!(t.bind(a), Err(Errno::EADDRINUSE));
}

#[test]
fn pending_target_leaves_connects_in_syn_sent() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@pending").unwrap();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, Duration::from_millis(300));
    assert_eq!(bits, PollBits::EMPTY);
    assert_eq!(state(&s), Some(TcpState::SynSent));
}

#[test]
fn slow_target_completes_at_the_first_syn_retransmission_after_about_1s() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.start(TargetName::Slow).unwrap();
    for round in 0..2 {
        targets.arm_slow().unwrap();
        let s = tcp4_nb();
        let sw = Stopwatch::start();
        assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS), "round {round}");
        assert_eq!(state(&s), Some(TcpState::SynSent));
        let (bits, _) = wait_done(&s, Duration::from_secs(5));
        let took = sw.elapsed();
        println!("@slow round {round}: completed after {took:?} with {bits}");
        assert_eq!(bits, PollBits::OUT, "round {round}");
        assert_secs("@slow", took, 0.8, 2.0);
        assert_eq!(s.so_error(), Ok(None));
        assert_eq!(state(&s), Some(TcpState::Established));
    }
    eventually("2 let through", || targets.stats().slow_completed == 2);
}

#[test]
fn slow_target_without_an_arm_stays_pending() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.start(TargetName::Slow).unwrap();
    let s = tcp4_nb();
    assert_eq!(s.connect(&inet(a)), Err(Errno::EINPROGRESS));
    let (bits, _) = wait_done(&s, Duration::from_millis(1300));
    assert_eq!(bits, PollBits::EMPTY, "the 1 s retransmission is dropped too");
    assert_eq!(state(&s), Some(TcpState::SynSent));
}

#[test]
fn reset_target_resets_after_accepting() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@reset").unwrap();
    let s = tcp4();
    assert_eq!(s.connect(&inet(a)), Ok(()));
    let mut buf = [0u8; 4];
    assert_eq!(s.recv(&mut buf, SHORT), Err(Errno::ECONNRESET));
    assert_eq!(targets.stats().reset, 1);
}

#[test]
fn echo_target_sends_datagrams_back() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@echo").unwrap();
    let u = udp4();
    assert_eq!(u.connect(&inet(a)), Ok(()));
    assert_eq!(u.send(b"ping"), Ok(4));
    let mut buf = [0u8; 16];
    assert_eq!(u.recv(&mut buf, SHORT), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    assert_eq!(targets.stats().echoed, 1);
}

#[test]
fn sink_target_counts_and_never_replies() {
    let targets = Targets::new(TargetsConfig::default());
    let a = targets.addr("@sink").unwrap();
    let u = udp4();
    assert_eq!(u.connect(&inet(a)), Ok(()));
    for _ in 0..3 {
        assert_eq!(u.send(b"x"), Ok(1));
    }
    eventually("3 datagrams sunk", || targets.stats().sunk == 3);
    let mut buf = [0u8; 16];
    assert_eq!(u.recv(&mut buf, Duration::from_millis(150)), Err(Errno::EAGAIN));
}

#[test]
fn dropping_targets_stops_them_quickly_and_closes_their_ports() {
    let targets = Targets::start_all(TargetsConfig::default()).unwrap();
    let accept = targets.addr("@accept").unwrap();
    let (_, took) = Stopwatch::time(|| drop(targets));
    println!("dropping all targets took {took:?}");
    assert!(took < Duration::from_secs(2), "drop took {took:?}");
    let s = tcp4();
    assert_eq!(s.connect(&inet(accept)), Err(Errno::ECONNREFUSED), "@accept is gone");
}
