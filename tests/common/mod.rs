//! Small helpers shared by the live tests: sockets, listeners and waits on loopback, and the
//! calls of a script.
//!
//! Every helper panics with the kernel's answer (name and number) when a setup step fails, so
//! a failing test says what the kernel said.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use socklab::net::live::Stopwatch;
use socklab::net::live::raw::{Errno, Family, Kind, RawSocket, SockAddrArg, SockName, SockOpt};
use socklab::net::live::readiness::{self, EpollBits, PollBits, TcpState};

pub const LO4: Ipv4Addr = Ipv4Addr::LOCALHOST;
pub const LO6: Ipv6Addr = Ipv6Addr::LOCALHOST;

pub fn v4(port: u16) -> SocketAddr {
    SocketAddr::from((LO4, port))
}

pub fn v6(ip: Ipv6Addr, port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

pub fn at(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

pub fn inet(a: SocketAddr) -> SockAddrArg {
    SockAddrArg::Inet(a)
}

pub fn sock(family: Family, kind: Kind) -> RawSocket {
    RawSocket::new(family, kind).unwrap_or_else(|e| panic!("socket({family:?}, {kind:?}): {e}"))
}

pub fn tcp4() -> RawSocket {
    sock(Family::V4, Kind::Tcp)
}

pub fn tcp6() -> RawSocket {
    sock(Family::V6, Kind::Tcp)
}

pub fn udp4() -> RawSocket {
    sock(Family::V4, Kind::Udp)
}

pub fn udp6() -> RawSocket {
    sock(Family::V6, Kind::Udp)
}

/// A nonblocking TCP socket.
pub fn tcp4_nb() -> RawSocket {
    let s = tcp4();
    s.set_nonblocking(true).expect("FIONBIO");
    s
}

/// A listening TCP socket on `ip:0` and its address.
pub fn listener_on(ip: IpAddr, backlog: i32) -> (RawSocket, SocketAddr) {
    let family = if ip.is_ipv4() { Family::V4 } else { Family::V6 };
    let l = sock(family, Kind::Tcp);
    l.set_int(SockOpt::ReuseAddr, 1).expect("SO_REUSEADDR");
    l.bind(SocketAddr::new(ip, 0)).expect("bind listener");
    l.listen(backlog).expect("listen");
    let a = local(&l);
    (l, a)
}

pub fn listener() -> (RawSocket, SocketAddr) {
    listener_on(IpAddr::V4(LO4), 128)
}

pub fn listener6() -> (RawSocket, SocketAddr) {
    listener_on(IpAddr::V6(LO6), 128)
}

/// A TCP port that is bound (so nobody else takes it) but not listening: SYN -> RST.
pub fn closed_port() -> (RawSocket, SocketAddr) {
    let b = tcp4();
    b.bind(v4(0)).expect("bind closed port");
    let a = local(&b);
    (b, a)
}

/// A UDP socket bound to 127.0.0.1:0 and its address.
pub fn udp_bound() -> (RawSocket, SocketAddr) {
    let u = udp4();
    u.bind(v4(0)).expect("bind udp");
    let a = local(&u);
    (u, a)
}

pub fn local(s: &RawSocket) -> SocketAddr {
    s.local_addr().expect("getsockname").inet().expect("an inet address")
}

pub fn peer(s: &RawSocket) -> Result<SocketAddr, Errno> {
    s.peer_addr().map(|n| match n {
        SockName::Inet(a) => a,
        SockName::Other { family } => panic!("peer of family {family}"),
    })
}

/// poll(POLLOUT) until the connect finishes or `limit` passes: the revents and the time.
pub fn wait_done(s: &RawSocket, limit: Duration) -> (PollBits, Duration) {
    let sw = Stopwatch::start();
    let ms = u32::try_from(limit.as_millis()).expect("limit in ms");
    let r = readiness::poll(&[(s.fd(), PollBits::OUT)], ms).expect("poll");
    (r[0], sw.elapsed())
}

/// poll for `bits` (plus the always-reported error bits) within `limit`.
pub fn wait_for(s: &RawSocket, bits: PollBits, limit: Duration) -> PollBits {
    let ms = u32::try_from(limit.as_millis()).expect("limit in ms");
    readiness::poll(&[(s.fd(), bits)], ms).expect("poll")[0]
}

/// `(select read/write/except, poll revents, epoll events)` with timeout 0, as the probe
/// prints them.
pub fn readiness_now(s: &RawSocket) -> ((bool, bool, bool), PollBits, EpollBits) {
    let sel = readiness::select_one(s.fd(), 0).expect("select");
    let p = readiness::poll_one(s.fd(), 0).expect("poll");
    let e = readiness::epoll_one(s.fd(), 0).expect("epoll");
    (sel, p, e)
}

pub fn state(s: &RawSocket) -> Option<TcpState> {
    readiness::tcp_info_state(s.fd())
}

/// The bits of a failed connect on Linux (LINUX_TRUTH 3b).
pub fn failed_poll_bits() -> PollBits {
    PollBits::IN | PollBits::OUT | PollBits::ERR | PollBits::HUP | PollBits::RDHUP
}

pub fn failed_epoll_bits() -> EpollBits {
    EpollBits::IN | EpollBits::OUT | EpollBits::ERR | EpollBits::HUP | EpollBits::RDHUP
}

/// Asserts that `d` lies within `[lo, hi]` seconds, with a message naming the row.
pub fn assert_secs(row: &str, d: Duration, lo: f64, hi: f64) {
    let s = d.as_secs_f64();
    assert!((lo..=hi).contains(&s), "row {row}: took {s:.3} s, expected between {lo} and {hi} s");
}

/// The kernel release as (major, minor), from /proc/sys/kernel/osrelease.
pub fn kernel_version() -> Option<(u32, u32)> {
    let s = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut it = s.trim().split(['.', '-']);
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The outer side's limit for one inner run.
pub const INNER_LIMIT: Duration = Duration::from_secs(40);

/// Runs `experiment` inside a private namespace and returns its report (outer side), or runs
/// the experiment and emits its report (inner side, returns `None`).
#[cfg(target_os = "linux")]
pub fn in_namespace(
    test_name: &str,
    experiment: fn(&mut socklab::net::live::netns::Report),
) -> Option<socklab::net::live::netns::Report> {
    match socklab::net::live::netns::enter() {
        Some(Ok(socklab::net::live::netns::Topology::Lab)) => {
            let mut report = socklab::net::live::netns::Report::new();
            experiment(&mut report);
            report.emit();
            None
        }
        Some(Err(e)) => panic!("inner side of {test_name}: {e}"),
        None => {
            let support = socklab::net::live::netns::NetnsSupport::detect();
            println!("{support}");
            if !support.is_available() {
                if std::env::var_os("SOCKLAB_SKIP_NETNS").is_some() {
                    println!("{test_name} skipped (SOCKLAB_SKIP_NETNS is set): {support}");
                    return None;
                }
                panic!("{support}\nset SOCKLAB_SKIP_NETNS=1 to skip the namespace tests on this host");
            }
            let exe = std::env::current_exe().expect("the test binary");
            let args: Vec<std::ffi::OsString> = [test_name, "--exact", "--nocapture", "--test-threads=1"]
                .into_iter()
                .map(std::ffi::OsString::from)
                .collect();
            let sw = Stopwatch::start();
            let out =
                socklab::net::live::netns::run(socklab::net::live::netns::Topology::Lab, &exe, &args, INNER_LIMIT)
                    .unwrap_or_else(|e| panic!("{test_name}: {e}"));
            println!("{test_name}: inner run took {:?}", sw.elapsed());
            assert!(
                out.status.success(),
                "{test_name}: inner run failed ({})\n--- stdout\n{}\n--- stderr\n{}",
                out.status,
                out.stdout,
                out.stderr
            );
            let report =
                out.report().unwrap_or_else(|| panic!("{test_name}: no report from the inner run\n{}", out.stdout));
            for o in &report.observations {
                println!("  [{}] {} -> {} ({:.3} ms)", o.row, o.call, o.answer, o.ms);
            }
            Some(report)
        }
    }
}

/// The `.lab` files of a directory of the repository (`tests/scenarios`), sorted by name.
pub fn lab_files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lab"))
        .collect();
    files.sort();
    files
}

/// C source with comments, string and character literals removed (what the compiler sees as
/// code), by a small scanner that follows C's phases: line splices first, then comments and
/// literals.
pub fn c_code_only(src: &str) -> String {
    let spliced = src.replace("\\\n", "");
    let b: Vec<char> = spliced.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '/' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                out.push(' ');
            }
            '/' if b.get(i + 1) == Some(&'/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            q @ ('"' | '\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The calls of a script, in order (other statements left out).
pub fn calls_of(script: &str) -> Vec<socklab::core::call::Call> {
    socklab::script::parse::parse_script(script)
        .expect("parses")
        .into_iter()
        .filter_map(|s| match s.kind {
            socklab::script::ast::StmtKind::Call(c) => Some(c),
            _ => None,
        })
        .collect()
}
