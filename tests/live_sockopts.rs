//! Every socket option socklab knows, set and read on every protocol and family, on the live
//! network with the `linux` personality: the kernel answers each call for real and the model
//! must agree with it (issue 9, defect 13). The matrix is generated from `SockOpt::ALL`, so a
//! new option is judged the day it is added, and the model cannot drift from the kernel.
//! Also here: row 1e, the readiness of a TCP socket that never connected.

use socklab::core::call::SockOpt;
use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;

/// Values tried with setsockopt: off, on, and one in range for the numeric options. SO_LINGER
/// goes on, off (which keeps the time: {0,5}), abortive ({1,0}) and off again ({0,0}).
fn values(opt: SockOpt) -> &'static [&'static str] {
    match opt {
        SockOpt::SO_SNDTIMEO | SockOpt::TCP_USER_TIMEOUT => &["0", "1500"],
        SockOpt::SO_LINGER => &["0", "5", "0", "1,0", "0"],
        SockOpt::TCP_SYNCNT => &["0", "2", "200"],
        _ => &["0", "1"],
    }
}

/// One script per (protocol, family): for each option, a fresh socket, a getsockopt, then each
/// value set and read back.
fn script(proto: &str, family: &str) -> String {
    let mut s = String::new();
    for (k, &opt) in SockOpt::ALL.iter().enumerate() {
        let name = opt.name();
        s.push_str(&format!("socket {proto} {family} as o{k}\ngetsockopt o{k} {name}\n"));
        for v in values(opt) {
            s.push_str(&format!("setsockopt o{k} {name} {v}\ngetsockopt o{k} {name}\n"));
        }
        s.push_str(&format!("closesocket o{k}\n"));
    }
    s
}

/// Run a script on the live network with `linux`; the model must agree with the kernel on
/// every call and every expectation must hold.
fn judged(src: &str) -> usize {
    let stmts = parse_script(src).expect("script parses");
    let (kernel, facts) = LiveKernel::start().expect("live targets start on loopback");
    let mut lab = Lab::live(&[PersonalityId::Linux], Box::new(facts), Box::new(kernel));
    let mut out = Vec::new();
    let report = run(&stmts, &mut lab, Output::Single, &mut out).expect("write to memory");
    let transcript = String::from_utf8_lossy(&out);
    assert!(report.disagreements.is_empty(), "{:?}\n{transcript}", report.disagreements);
    assert!(report.failures.is_empty(), "{:?}\n{transcript}", report.failures);
    report.judged
}

#[test]
fn row_1e_a_never_connected_tcp_socket_is_readable_and_writable() {
    // poll: POLLOUT|POLLHUP; select: in readfds and writefds. Bound or not.
    let n = judged(
        "socket tcp as s\nwsapoll s timeout=0\nexpect value s=POLLOUT|POLLHUP\n\
         select read=s write=s except=s timeout=0\nexpect select read=s write=s except=\n\
         bind s 127.0.0.1:0\nwsapoll s timeout=0\nexpect value s=POLLOUT|POLLHUP\n",
    );
    assert!(n >= 4, "the kernel judged {n} calls");
}

#[test]
fn every_option_on_every_protocol_and_family_agrees_with_the_kernel() {
    let mut problems = Vec::new();
    let mut judged = 0;
    for proto in ["tcp", "udp"] {
        for family in ["v4", "v6"] {
            let src = script(proto, family);
            let stmts = parse_script(&src).expect("generated script parses");
            let (kernel, facts) = LiveKernel::start().expect("live targets start on loopback");
            let mut lab = Lab::live(&[PersonalityId::Linux], Box::new(facts), Box::new(kernel));
            let mut out = Vec::new();
            let report = run(&stmts, &mut lab, Output::Single, &mut out).expect("write to memory");
            judged += report.judged;
            if !report.disagreements.is_empty() {
                problems.push(format!(
                    "{proto} {family}:\n  {}\n{}",
                    report.disagreements.join("\n  "),
                    String::from_utf8_lossy(&out)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // Every option Linux has, on four kinds of socket, set and read more than once.
    assert!(judged > 150, "the kernel judged only {judged} option calls");
}
