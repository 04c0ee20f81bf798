//! Property test: random call sequences through every personality never panic, only take
//! edges of the state machine, and give identical answers when run twice.

use std::net::SocketAddr;

use proptest::prelude::*;

use socklab::core::call::{
    AcceptCond, AddrKind, Call, ConnectApi, Family, FdEvents, How, NamedTarget, OptNullArg, PollBits, PollFd, Proto,
    SockAddrArg, SockOpt, SockRef,
};
use socklab::core::engine::Host;
use socklab::core::model::{Answer, State};
use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;

const NAMES: &[&str] = &["a", "b", "c"];

fn sock() -> impl Strategy<Value = SockRef> {
    prop_oneof![
        8 => (0..NAMES.len()).prop_map(|i| SockRef::Name(NAMES[i].to_string())),
        1 => (-2i64..2000).prop_map(SockRef::Raw),
    ]
}

fn addr() -> impl Strategy<Value = SockAddrArg> {
    let inet = prop_oneof![
        Just("127.0.0.1:7001"),
        Just("127.0.0.1:7002"),
        Just("127.0.0.1:5000"),
        Just("0.0.0.0:0"),
        Just("0.0.0.0:7001"),
        Just("127.255.255.255:9"),
        Just("198.51.100.255:9"),
        Just("198.51.100.9:80"),
        Just("203.0.113.5:80"),
        Just("198.18.0.1:80"),
        Just("[::1]:7001"),
        Just("[::]:0"),
        Just("127.0.0.1:0"),
    ]
    .prop_map(|s| AddrKind::Inet(s.parse::<SocketAddr>().expect("valid literal")));
    let kind = prop_oneof![
        6 => inet,
        3 => (0..NamedTarget::ALL.len()).prop_map(|i| AddrKind::Target(NamedTarget::ALL[i])),
        1 => Just(AddrKind::Unspec),
        1 => Just(AddrKind::Null),
        1 => (64u16..=u16::MAX).prop_map(AddrKind::Family),
    ];
    (kind, prop_oneof![6 => Just(None), 1 => (0u32..140).prop_map(Some)])
        .prop_map(|(kind, len)| SockAddrArg { kind, len })
}

fn api() -> impl Strategy<Value = ConnectApi> {
    prop_oneof![
        4 => Just(ConnectApi::Connect),
        1 => (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(0u32..4097)).prop_map(|(d, s, g, callee)| ConnectApi::WsaConnect {
            caller_data: d.then(|| b"x".to_vec()), sqos: s, gqos: g, callee
        }),
        1 => (any::<bool>(), prop::bool::weighted(0.2)).prop_map(|(d, null_overlapped)| ConnectApi::ConnectEx { send: d.then(|| b"hi".to_vec()), null_overlapped }),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    let opt = (0..SockOpt::ALL.len()).prop_map(|i| SockOpt::ALL[i]);
    prop_oneof![
        3 => (any::<bool>(), any::<bool>(), 0..NAMES.len()).prop_map(|(t, v6, i)| Call::Socket {
            proto: if t { Proto::Tcp } else { Proto::Udp },
            family: if v6 { Family::V6 } else { Family::V4 },
            name: NAMES[i].to_string(),
        }),
        2 => (sock(), any::<bool>()).prop_map(|(sock, on)| Call::Fionbio { sock, on }),
        1 => (sock(), opt.clone(), -1i64..5).prop_map(|(sock, opt, value)| Call::SetSockOpt { sock, opt, value, optlen: None }),
        1 => (sock(), opt.clone(), any::<bool>(), prop_oneof![Just(OptNullArg::Optval), Just(OptNullArg::Optlen), (0u32..64).prop_map(OptNullArg::OptvalLen)])
            .prop_map(|(sock, opt, set, arg)| {
                // args2: optlen=null is getsockopt's, optval=null optlen=N setsockopt's.
                let set = match arg { OptNullArg::Optval => set, OptNullArg::Optlen => false, OptNullArg::OptvalLen(_) => true };
                Call::OptNull { sock, opt, set, arg }
            }),
        1 => (sock(), any::<bool>(), any::<bool>()).prop_map(|(sock, peer, len)| Call::NameNull { sock, peer, len }),
        1 => (proptest::collection::vec((sock(), 0usize..4), 1..4), 0u64..3000).prop_map(|(v, ms)| {
            // args3: a mask per entry.
            let masks = [PollBits::IN, PollBits::ERR, PollBits(0), PollBits::RDNORM | PollBits::WRNORM];
            let fds = v.into_iter().map(|(sock, m)| PollFd { sock, events: masks[m] }).collect();
            Call::PollFds { fds, timeout: Some(std::time::Duration::from_millis(ms)) }
        }),
        1 => (1u8..8, 0u64..3000).prop_map(|(b, ms)| {
            // args3: sets present but empty (at least one).
            Call::SelectEmptySets { read: b & 1 != 0, write: b & 2 != 0, except: b & 4 != 0, timeout: Some(std::time::Duration::from_millis(ms)) }
        }),
        1 => (0u32..4, 0u64..3000).prop_map(|(n, ms)| Call::PollNull { n, timeout: Some(std::time::Duration::from_millis(ms)) }),
        // esc3: a timeval written field by field, out of range too.
        1 => (prop::collection::vec(sock(), 1..3), -1i64..2, prop_oneof![Just(-1i64), 0i64..1_000_000, Just(1_000_000i64), Just(1_500_000i64)])
            .prop_map(|(read, sec, usec)| Call::SelectTimeval { read, write: vec![], except: vec![], sec, usec }),
        1 => (sock(), opt).prop_map(|(sock, opt)| Call::GetSockOpt { sock, opt, optlen: None }),
        1 => (sock(), addr()).prop_map(|(sock, addr)| Call::Bind { sock, addr }),
        1 => (sock(), 0i32..3).prop_map(|(sock, backlog)| Call::Listen { sock, backlog }),
        1 => (sock(), 0..NAMES.len(), proptest::option::of(prop_oneof![
            Just(AcceptCond::Null),
            Just(AcceptCond::Accept),
            Just(AcceptCond::Reject),
            Just(AcceptCond::Defer)
        ]))
            .prop_map(|(sock, i, cond)| Call::Accept { sock, name: NAMES[i].to_string(), cond }),
        6 => (sock(), addr(), api()).prop_map(|(sock, addr, api)| Call::Connect { sock, addr, api }),
        2 => (prop::collection::vec(sock(), 0..3), prop::collection::vec(sock(), 0..3), prop::collection::vec(sock(), 0..3), prop_oneof![Just(None), (0u64..5000).prop_map(|ms| Some(std::time::Duration::from_millis(ms)))])
            .prop_map(|(read, write, except, timeout)| Call::Select { read, write, except, timeout }),
        1 => (prop::collection::vec(sock(), 1..3), (0u64..3000)).prop_map(|(socks, ms)| Call::Poll { socks, timeout: Some(std::time::Duration::from_millis(ms)), events: None }),
        1 => (sock(), 0u16..64).prop_map(|(sock, e)| Call::WsaEventSelect { sock, events: FdEvents(e) }),
        1 => (sock(), 0u16..64).prop_map(|(sock, e)| Call::WsaAsyncSelect { sock, events: FdEvents(e) }),
        1 => sock().prop_map(|sock| Call::WsaEnumNetworkEvents { sock }),
        1 => sock().prop_map(|sock| Call::GetSockName { sock, namelen: None }),
        1 => sock().prop_map(|sock| Call::GetPeerName { sock, namelen: None }),
        1 => sock().prop_map(|sock| Call::Send { sock, data: b"x".to_vec() }),
        1 => (sock(), addr()).prop_map(|(sock, addr)| Call::SendTo { sock, addr, data: b"y".to_vec() }),
        1 => sock().prop_map(|sock| Call::Recv { sock }),
        1 => sock().prop_map(|sock| Call::RecvFrom { sock }),
        1 => (sock(), prop_oneof![Just(How::Read), Just(How::Write), Just(How::Both)]).prop_map(|(sock, how)| Call::Shutdown { sock, how }),
        1 => sock().prop_map(|sock| Call::Close { sock }),
        1 => Just(Call::WsaCleanup),
        1 => Just(Call::WsaStartup { major: 2, minor: 2 }),
        // winapi-ov: the OVERLAPPED, its results and a completion port named `port`.
        1 => (sock(), prop_oneof![Just(None), Just(Some(0xdead_beef))]).prop_map(|(sock, set)| Call::Overlapped { sock, set }),
        1 => (sock(), any::<bool>(), any::<bool>()).prop_map(|(sock, wait, wsa)| Call::GetOverlappedResult { sock, wait, wsa, ov: None }),
        1 => Just(Call::CreateIoCompletionPort { name: "port".into() }),
        1 => (sock(), 0u64..200).prop_map(|(sock, key)| Call::AssociatePort { sock, port: SockRef::Name("port".into()), key }),
        1 => (sock(), any::<bool>(), any::<bool>()).prop_map(|(sock, reuse, null_overlapped)| Call::DisconnectEx { sock, reuse, null_overlapped }),
        1 => (sock(), sock(), any::<bool>(), 0u32..=4096, proptest::option::of(0u32..=256), proptest::option::of(0u32..=256))
            .prop_map(|(listener, sock, null_overlapped, recv, local, remote)| Call::AcceptEx { listener, sock, null_overlapped, recv, local, remote, null_buffer: recv == 7 }),
        1 => sock().prop_map(|sock| Call::GetAcceptExSockaddrs { sock }),
        1 => (sock(), any::<bool>()).prop_map(|(sock, ex)| Call::CancelIo { sock, ex }),
        1 => (0u64..300).prop_map(|ms| Call::GetQueuedCompletionStatus { port: SockRef::Name("port".into()), timeout: Some(std::time::Duration::from_millis(ms)) }),
        // iocp2: packets of the program's own and closing the port.
        1 => (0u64..1000, 0u32..5000, prop_oneof![Just(None), Just(Some("a".to_string()))]).prop_map(|(key, bytes, overlapped)| Call::PostQueuedCompletionStatus { port: SockRef::Name("port".into()), key, bytes, overlapped }),
        1 => Just(Call::CloseHandle { handle: SockRef::Name("port".into()) }),
        // iocp2: a second OVERLAPPED named by the call.
        1 => (sock(), prop_oneof![Just(None), Just(Some("r1".to_string()))]).prop_map(|(sock, ov)| Call::WsaRecv { sock, ov, routine: false, bufs: None }),
        1 => (sock(), prop_oneof![Just(None), Just(Some("w1".to_string()))]).prop_map(|(sock, ov)| Call::WsaSend { sock, data: b"z".to_vec(), ov, routine: false, bufs: None }),
        1 => (sock(), any::<bool>()).prop_map(|(sock, routine)| Call::WsaRecv { sock, ov: None, routine, bufs: if routine { None } else { Some(vec![4, 5]) } }),
        1 => (0u64..300, any::<bool>()).prop_map(|(ms, alertable)| Call::SleepEx { ms, alertable }),
        // wsaio3: GetQueuedCompletionStatusEx; gather buffers, WSASendTo and WSARecvFrom.
        1 => (1u32..=64, 0u64..300, any::<bool>()).prop_map(|(count, ms, alertable)| Call::GetQueuedCompletionStatusEx { port: SockRef::Name("port".into()), count, timeout: Some(std::time::Duration::from_millis(ms)), alertable }),
        1 => (sock(), any::<bool>()).prop_map(|(sock, routine)| Call::WsaSend { sock, data: b"deadbeefs".to_vec(), ov: None, routine, bufs: Some(vec![4, 5]) }),
        1 => (sock(), addr(), any::<bool>(), any::<bool>(), prop_oneof![Just(None), Just(Some(vec![1, 1]))], prop_oneof![Just(None), Just(Some("w1".to_string()))])
            .prop_map(|(sock, addr, plain, null_bytes, bufs, ov)| Call::WsaSendTo { sock, addr, data: b"xy".to_vec(), bufs, null_overlapped: plain, ov: if plain { None } else { ov }, routine: false, null_bytes }),
        1 => (sock(), any::<bool>(), any::<bool>(), prop_oneof![Just(None), Just(Some(vec![4, 5]))])
            .prop_map(|(sock, plain, routine, bufs)| Call::WsaRecvFrom { sock, bufs, null_overlapped: plain, ov: None, routine: routine && !plain }),
        1 => (sock(), any::<bool>(), prop_oneof![Just(None), Just(Some("r1".to_string()))]).prop_map(|(sock, wait, ov)| Call::GetOverlappedResult { sock, wait, wsa: false, ov }),
    ]
}

fn play(p: PersonalityId, calls: &[(Call, u64)]) -> Vec<Answer> {
    let mut h = Host::new(p);
    let mut out = Vec::new();
    for (c, wait_ms) in calls {
        let a = h.call(c, &SimNet);
        for t in &a.transitions {
            assert!(
                t.from.can_move_to(t.to) || (t.from == State::Closed && t.to == State::Unbound),
                "{p}: illegal transition {t:?} after {c:?}"
            );
        }
        out.push(a);
        let ev = h.advance(std::time::Duration::from_millis(*wait_ms), &SimNet);
        for t in &ev.transitions {
            assert!(t.from.can_move_to(t.to), "{p}: illegal transition {t:?} while waiting");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_sequences_are_legal_and_deterministic(calls in prop::collection::vec((call(), prop_oneof![3 => Just(0u64), 1 => 0u64..4000]), 1..40)) {
        for &p in PersonalityId::ALL {
            let first = play(p, &calls);
            let second = play(p, &calls);
            prop_assert_eq!(first, second);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The same sequences on the live network, in a private network namespace (issue 14)
// ---------------------------------------------------------------------------------------------

/// A generated sequence made safe to run for real: every socket nonblocking (a blocking
/// connect to @pending would wait minutes), every timeout and wait short and finite.
#[cfg(target_os = "linux")]
fn tame(calls: Vec<(Call, u64)>) -> Vec<(Call, u64)> {
    use std::time::Duration;
    let short = |t: Option<Duration>| Some(t.unwrap_or_default().min(Duration::from_millis(30)));
    let mut out = Vec::new();
    for (c, wait) in calls {
        let wait = wait.min(30);
        let follow = match &c {
            Call::Socket { name, .. } | Call::Accept { name, .. } => Some(name.clone()),
            _ => None,
        };
        let c = match c {
            Call::Fionbio { sock, .. } => Call::Fionbio { sock, on: true },
            Call::Select { read, write, except, timeout } => {
                Call::Select { read, write, except, timeout: short(timeout) }
            }
            Call::Poll { socks, timeout, events } => Call::Poll { socks, timeout: short(timeout), events },
            // esc3: at most 30 ms; a tv_usec of 1000000 or more (a wait of a second or more
            // on linux) becomes a negative one, still out of range (scenario 50 judges the other).
            Call::SelectTimeval { read, write, except, sec, usec } => {
                let usec = if usec >= 1_000_000 { -1 } else { usec.min(30_000) };
                Call::SelectTimeval { read, write, except, sec: sec.min(0), usec }
            }
            other => other,
        };
        out.push((c, if follow.is_some() { 0 } else { wait }));
        if let Some(name) = follow {
            out.push((Call::Fionbio { sock: SockRef::Name(name), on: true }, wait));
        }
    }
    out
}

/// Outer side: re-run this test in a private namespace (`unshare -r -n`, as tests/live_netns.rs
/// does) and check what the inner side reports. Inner side: random sequences through
/// `Lab::live` (the kernel judging the linux model, socklab's targets in the namespace): no
/// panic, only edges of the state machine, and an answer from the kernel (made, or not made
/// with a reason) for every call in the linux column.
#[cfg(target_os = "linux")]
#[test]
fn random_sequences_on_the_live_network_in_a_namespace() {
    use socklab::net::live::judge::LiveKernel;
    use socklab::net::live::netns::{self, NetnsSupport, Topology};
    use socklab::session::lab::Lab;
    use std::ffi::OsString;
    use std::time::Duration;

    const NAME: &str = "random_sequences_on_the_live_network_in_a_namespace";
    const CASES: u32 = 64;
    match netns::enter() {
        Some(Ok(_)) => {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases: CASES,
                failure_persistence: None,
                ..ProptestConfig::default()
            });
            let seqs =
                prop::collection::vec((call(), prop_oneof![3 => Just(0u64), 1 => 0u64..30]), 1..30).prop_map(tame);
            let made = std::cell::Cell::new(0usize);
            let result = runner.run(&seqs, |calls| {
                let (kernel, facts) = LiveKernel::start().expect("socklab's targets in the namespace");
                let mut lab = Lab::live(PersonalityId::ALL, Box::new(facts), Box::new(kernel));
                for (c, wait_ms) in &calls {
                    made.set(made.get() + 1);
                    for r in lab.call(c) {
                        for t in &r.answer.transitions {
                            prop_assert!(
                                t.from.can_move_to(t.to) || (t.from == State::Closed && t.to == State::Unbound),
                                "{}: illegal transition {t:?} after {c:?}",
                                r.personality
                            );
                        }
                        if r.personality == PersonalityId::Linux {
                            prop_assert!(r.kernel.is_some(), "the kernel gave no answer to {c:?}");
                        }
                    }
                    for r in lab.wait_for(Duration::from_millis(*wait_ms)) {
                        for t in &r.events.transitions {
                            prop_assert!(t.from.can_move_to(t.to), "illegal transition {t:?} while waiting");
                        }
                    }
                }
                Ok(())
            });
            match result {
                Ok(()) => println!("LIVE PROPERTY HELD: {CASES} sequences, {} calls", made.get()),
                Err(e) => println!("LIVE PROPERTY FAILED: {e}"),
            }
        }
        Some(Err(e)) => panic!("inner side: {e}"),
        None => {
            let support = NetnsSupport::detect();
            if !support.is_available() {
                if std::env::var_os("SOCKLAB_SKIP_NETNS").is_some() {
                    println!("{NAME} skipped (SOCKLAB_SKIP_NETNS is set): {support}");
                    return;
                }
                panic!("{support}\nset SOCKLAB_SKIP_NETNS=1 to skip the namespace tests on this host");
            }
            let exe = std::env::current_exe().expect("the test binary");
            let args: Vec<OsString> =
                [NAME, "--exact", "--nocapture", "--test-threads=1"].into_iter().map(OsString::from).collect();
            let out =
                netns::run(Topology::Lab, &exe, &args, Duration::from_secs(150)).unwrap_or_else(|e| panic!("{e}"));
            assert!(out.status.success(), "inner run failed ({})\n{}\n{}", out.status, out.stdout, out.stderr);
            assert!(
                out.stdout.contains("LIVE PROPERTY HELD"),
                "the property failed on the live network:\n{}\n{}",
                out.stdout,
                out.stderr
            );
            for l in out.stdout.lines().filter(|l| l.contains("LIVE PROPERTY")) {
                println!("inner side: {l}");
            }
        }
    }
}
