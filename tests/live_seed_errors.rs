//! Errors of the seeds that need the world changed, judged by the Linux kernel inside a private
//! network namespace (`unshare -r -n`): an interface going down (`link down`), a narrowed
//! ephemeral port range (`portrange`) and a local firewall rule (`firewall drop`, nftables).
//! Each test measures the kernel on the inner side and, on the outer side, asserts both the
//! kernel's answers and that the `linux` model answers the same to the same steps written in
//! the command language (tests/scenarios/20_link_down.lab, 21_port_exhaustion.lab and
//! 22_firewall.lab run these statements for every personality).
//!
//! The outer side fails when namespaces cannot be made, unless `SOCKLAB_SKIP_NETNS=1` is set.
//! Network safety: every destination is loopback or inside the namespace's documentation range.

#![cfg(target_os = "linux")]

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

use common::*;
use socklab::core::engine::Host;
use socklab::core::personality::PersonalityId;
use socklab::net::live::Stopwatch;
use socklab::net::live::netns::{Report, Topology};
use socklab::net::live::raw::{Family, Kind, RawSocket};
use socklab::net::sim::SimNet;
use socklab::script::ast::StmtKind;
use socklab::script::parse::parse_script;

/// The kernel's answers of one row, in the order they were recorded.
fn answers(report: &Report, row: &str) -> Vec<String> {
    report.observations.iter().filter(|o| o.row == row).map(|o| o.answer.clone()).collect()
}

/// What the `linux` model answers to the calls of `script` marked with `# judged`, as the
/// kernel's answers are named: `ok` or the error's name.
fn model(script: &str) -> Vec<String> {
    let stmts = parse_script(script).expect("model script parses");
    let judged: Vec<usize> = script
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .filter(|(_, l)| l.contains("# judged"))
        .map(|(k, _)| k)
        .collect();
    let mut host = Host::new(PersonalityId::Linux);
    let mut out = Vec::new();
    for (k, st) in stmts.iter().enumerate() {
        let StmtKind::Call(call) = &st.kind else { panic!("only calls in a model script") };
        let a = host.call(call, &SimNet);
        if judged.contains(&k) {
            out.push(a.error.map_or_else(|| "ok".to_string(), |c| c.name().to_string()));
        }
    }
    out
}

/// Inner side: runs `ip ARGS` (inside the namespace only).
fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("ip runs");
    assert!(st.success(), "ip {args:?} failed");
}

fn lab(ip: Ipv4Addr, port: u16) -> SocketAddr {
    assert!(Topology::allows(ip.into()), "refusing a destination outside the lab: {ip}");
    SocketAddr::new(ip.into(), port)
}

// ----- link down -------------------------------------------------------------------------------

fn experiment_link_down(r: &mut Report) {
    ip(&["link", "set", "v0", "down"]);
    let s = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
    s.set_nonblocking(true).expect("nonblocking");
    let (a, t) = Stopwatch::time(|| s.connect(&inet(lab(Ipv4Addr::new(198, 51, 100, 7), 80))));
    r.record_result("link", "tcp connect 198.51.100.7:80 with v0 down", &a, t);
    let u = RawSocket::new(Family::V4, Kind::Udp).expect("socket");
    let (a, t) = Stopwatch::time(|| u.send_to(b"hello", lab(Ipv4Addr::new(198, 51, 100, 7), 9)));
    r.record_result("link", "udp sendto 198.51.100.7:9 with v0 down", &a, t);
}

#[test]
fn row_link_down() {
    let Some(report) = in_namespace("row_link_down", experiment_link_down) else { return };
    let kernel = answers(&report, "link");
    assert_eq!(kernel, ["ENETUNREACH", "ENETUNREACH"], "the kernel's answers with the interface down");
    let m = model(
        "socket tcp as s\nioctlsocket s FIONBIO 1\nlink down\nconnect s 198.51.100.7:80 # judged\nsocket udp as u\nsendto u 198.51.100.7:9 hello # judged\n",
    );
    assert_eq!(m, kernel, "the linux model against the kernel");
}

// ----- port exhaustion ---------------------------------------------------------------------------

fn experiment_ports(r: &mut Report) {
    let l = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
    l.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 6100))).expect("bind");
    l.listen(16).expect("listen");
    let l2 = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
    l2.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 6101))).expect("bind");
    l2.listen(16).expect("listen");
    std::fs::write("/proc/sys/net/ipv4/ip_local_port_range", "40000 40001").expect("narrow the port range");
    let to = |p: u16| inet(SocketAddr::from((Ipv4Addr::LOCALHOST, p)));
    let mut keep = Vec::new();
    for (name, port) in [("a", 6100), ("b", 6100), ("c", 6100), ("d", 6101)] {
        let s = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
        let (a, t) = Stopwatch::time(|| s.connect(&to(port)));
        r.record_result("ports", format!("tcp connect {name} to 127.0.0.1:{port}"), &a, t);
        keep.push(s);
    }
    for name in ["u", "u2"] {
        let s = RawSocket::new(Family::V4, Kind::Udp).expect("socket");
        let (a, t) = Stopwatch::time(|| s.connect(&to(6100)));
        r.record_result("ports", format!("udp connect {name}"), &a, t);
        keep.push(s);
    }
    let u3 = RawSocket::new(Family::V4, Kind::Udp).expect("socket");
    let (a, t) = Stopwatch::time(|| u3.send_to(b"x", SocketAddr::from((Ipv4Addr::LOCALHOST, 6100))));
    r.record_result("ports", "udp sendto u3", &a, t);
    let e = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
    let (a, t) = Stopwatch::time(|| e.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))));
    r.record_result("ports", "tcp bind 127.0.0.1:0", &a, t);
}

#[test]
fn row_port_exhaustion() {
    let Some(report) = in_namespace("row_port_exhaustion", experiment_ports) else { return };
    let kernel = answers(&report, "ports");
    assert_eq!(
        kernel,
        ["ok", "ok", "EADDRNOTAVAIL", "ok", "ok", "ok", "EAGAIN", "EADDRINUSE"],
        "the kernel's answers with two ephemeral ports"
    );
    let m = model(
        "socket tcp as l\nbind l 127.0.0.1:6100\nlisten l\nsocket tcp as l2\nbind l2 127.0.0.1:6101\nlisten l2\n\
         portrange 40000 40001\n\
         socket tcp as a\nconnect a 127.0.0.1:6100 # judged\nsocket tcp as b\nconnect b 127.0.0.1:6100 # judged\n\
         socket tcp as c\nconnect c 127.0.0.1:6100 # judged\nsocket tcp as d\nconnect d 127.0.0.1:6101 # judged\n\
         socket udp as u\nconnect u 127.0.0.1:6100 # judged\nsocket udp as u2\nconnect u2 127.0.0.1:6100 # judged\n\
         socket udp as u3\nsendto u3 127.0.0.1:6100 x # judged\nsocket tcp as e\nbind e 127.0.0.1:0 # judged\n",
    );
    assert_eq!(m, kernel, "the linux model against the kernel");
}

// ----- a local firewall rule -------------------------------------------------------------------

fn experiment_firewall(r: &mut Report) {
    let nft = |rule: &str| {
        let st = Command::new("nft").arg(rule).status().expect("nft runs (CI installs nftables)");
        assert!(st.success(), "nft {rule} failed");
    };
    nft("add table inet lab");
    nft("add chain inet lab out { type filter hook output priority 0 ; }");
    nft("add rule inet lab out ip daddr 127.0.0.2 drop");
    let dst = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 9));
    let u = RawSocket::new(Family::V4, Kind::Udp).expect("socket");
    let (a, t) = Stopwatch::time(|| u.send_to(b"x", dst));
    r.record_result("firewall", "udp sendto 127.0.0.2:9", &a, t);
    let (a, t) = Stopwatch::time(|| u.connect(&inet(dst)));
    r.record_result("firewall", "udp connect 127.0.0.2:9", &a, t);
    let (a, t) = Stopwatch::time(|| u.send(b"x"));
    r.record_result("firewall", "udp send", &a, t);
    let s = RawSocket::new(Family::V4, Kind::Tcp).expect("socket");
    s.set_int(socklab::net::live::raw::SockOpt::TcpSynCnt, 1).expect("TCP_SYNCNT");
    let (a, t) = Stopwatch::time(|| s.connect(&inet(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 80)))));
    r.record_result("firewall", "tcp connect 127.0.0.2:80 (TCP_SYNCNT 1)", &a, t);
}

#[test]
fn row_firewall() {
    let Some(report) = in_namespace("row_firewall", experiment_firewall) else { return };
    let kernel = answers(&report, "firewall");
    assert_eq!(kernel, ["EPERM", "ok", "EPERM", "ETIMEDOUT"], "the kernel's answers behind an output drop rule");
    let ms = report.get("firewall", "tcp connect 127.0.0.2:80 (TCP_SYNCNT 1)").expect("recorded").ms;
    assert!(ms >= 2500.0, "the connect waited for its SYN retries: {ms} ms");
    let m = model(
        "socket udp as u\nsocket tcp as t\nsetsockopt t TCP_SYNCNT 1\nfirewall drop 127.0.0.2\n\
         sendto u 127.0.0.2:9 x # judged\nconnect u 127.0.0.2:9 # judged\nsend u x # judged\n\
         connect t 127.0.0.2:80 # judged\n",
    );
    assert_eq!(m, kernel, "the linux model against the kernel");
}
