//! Budget (DESIGN.md): 10,000 sockets connecting at once on loopback, run headless through
//! socklab, within 1.5x the wall time of a minimal epoll program doing the same connects.
//!
//! `cargo bench --bench connect_many` (set SOCKLAB_BENCH_N for another count). Both sides
//! connect N nonblocking TCP sockets to an `@accept` target on 127.0.0.1 and wait until every
//! one is connected; each side runs three times and the medians are compared.
//!
//! The baseline is Linux-only (it calls epoll through libc, as a minimal C program would).

// A benchmark measures wall time: reading the clock is its job.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::net::live::targets::{TargetName, Targets, TargetsConfig};
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;

#[cfg(target_os = "linux")]
fn baseline(n: usize, to: std::net::SocketAddr) -> Duration {
    use std::os::fd::AsRawFd;
    let std::net::SocketAddr::V4(v4) = to else { panic!("@accept listens on IPv4") };
    let start = Instant::now();
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
        sin_zero: [0; 8],
    };
    // SAFETY: plain system calls on descriptors this function owns; every pointer is to a
    // live local of the right type and size.
    unsafe {
        let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        assert!(ep >= 0, "epoll_create1");
        let mut socks = Vec::with_capacity(n);
        for i in 0..n {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
            s.set_nonblocking(true).expect("nonblocking");
            let r = libc::connect(
                s.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            );
            assert!(r == 0 || *libc::__errno_location() == libc::EINPROGRESS, "connect");
            let mut ev = libc::epoll_event { events: libc::EPOLLOUT as u32, u64: i as u64 };
            assert_eq!(libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev), 0);
            socks.push(s);
        }
        let mut left = n;
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        let deadline = Instant::now() + Duration::from_secs(120);
        while left > 0 && Instant::now() < deadline {
            let k = libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, 1000);
            for e in &events[..k.max(0) as usize] {
                let fd = socks[e.u64 as usize].as_raw_fd();
                libc::epoll_ctl(ep, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut());
                left -= 1;
            }
        }
        assert_eq!(left, 0, "every baseline connect completed");
        libc::close(ep);
        let took = start.elapsed();
        drop(socks);
        took
    }
}

fn socklab_run(n: usize) -> Duration {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("socket tcp as s{i}\nioctlsocket s{i} FIONBIO 1\nconnect s{i} @accept\n"));
    }
    for i in 0..n {
        text.push_str(&format!("wait s{i} connected\nexpect linux: state s{i} connected\n"));
    }
    let stmts = parse_script(&text).expect("the generated script parses");
    let (kernel, facts) = LiveKernel::start().expect("live targets");
    let mut lab = Lab::live(&[PersonalityId::Linux], Box::new(facts), Box::new(kernel));
    let start = Instant::now();
    let report = run(&stmts, &mut lab, Output::Json, &mut std::io::sink()).expect("sink");
    let took = start.elapsed();
    assert!(report.failures.is_empty(), "{:?}", &report.failures[..report.failures.len().min(3)]);
    assert!(report.disagreements.is_empty(), "{:?}", &report.disagreements[..report.disagreements.len().min(3)]);
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench targets with no arguments: keep that cheap.
    if std::env::args().any(|a| a == "--bench") || std::env::var_os("SOCKLAB_BENCH_N").is_some() {
        measure();
    }
}

fn measure() {
    let n: usize = std::env::var("SOCKLAB_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let lim = socklab::net::live::limits::raise_nofile_limit().expect("descriptor limit");
    assert!(lim.new as usize > n + 3000, "descriptor limit {} too low for {n} sockets", lim.new);
    let targets = Targets::new(TargetsConfig { lab_ports: false, ..TargetsConfig::default() });
    let to = targets.start(TargetName::Accept).expect("@accept");
    let mut base = Vec::new();
    let mut lab = Vec::new();
    for round in 0..3 {
        #[cfg(target_os = "linux")]
        base.push(baseline(n, to));
        lab.push(socklab_run(n));
        eprintln!("round {round}: epoll {:?}, socklab {:?}", base.last(), lab.last());
    }
    let (b, l) = (median(base), median(lab));
    println!(
        "{n} connects on loopback: epoll baseline {:.1} ms, socklab headless (live, kernel-judged) {:.1} ms, ratio {:.2} (budget 1.5)",
        b.as_secs_f64() * 1000.0,
        l.as_secs_f64() * 1000.0,
        l.as_secs_f64() / b.as_secs_f64()
    );
}
