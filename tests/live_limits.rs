//! Running out of descriptors is an answer (EMFILE), and socklab raises its soft limit to the
//! hard limit.
//!
//! This binary holds ONE test on purpose: it lowers the process's RLIMIT_NOFILE, which would
//! disturb any other test running beside it in the same process.

// These tests assert what the Linux kernel answers.
#![cfg(target_os = "linux")]

use socklab::net::live::limits::{self, LOW_NOFILE};
use socklab::net::live::raw::{Errno, Family, Kind, RawSocket};

#[test]
fn emfile_is_an_answer_and_the_soft_limit_is_raised_to_the_hard_limit() {
    let (soft, hard) = limits::nofile_limit().expect("getrlimit");
    // Leave room for what the harness has open, then run out.
    let low = 256u64.min(hard);
    limits::set_nofile_soft(low).expect("lower the soft limit");
    let mut socks = Vec::new();
    let mut answer = None;
    for _ in 0..low + 16 {
        match RawSocket::new(Family::V4, Kind::Tcp) {
            Ok(s) => socks.push(s),
            Err(e) => {
                answer = Some(e);
                break;
            }
        }
    }
    assert_eq!(answer, Some(Errno::EMFILE), "after {} sockets", socks.len());
    assert_eq!(Errno::EMFILE.name(), "EMFILE");
    println!("EMFILE after {} sockets with a soft limit of {low}", socks.len());

    let report = limits::raise_nofile_limit().expect("raise");
    println!("{report} (was {soft} before the test lowered it)");
    assert_eq!(report.old, low);
    assert!(report.new > low);
    if hard == u64::MAX {
        assert!(report.new >= 1024, "capped at nr_open: {}", report.new);
    } else {
        assert_eq!(report.new, hard);
    }
    assert_eq!(report.is_low(), report.new < LOW_NOFILE);
    assert!(RawSocket::new(Family::V4, Kind::Tcp).is_ok(), "room again");
}
