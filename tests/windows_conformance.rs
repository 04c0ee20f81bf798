//! socklab's own Windows conformance suite: `tests/windows/*.lab`, one scenario per block of
//! Wine's `dlls/ws2_32/tests/sock.c` (a suite that runs on real Windows, so what it accepts is
//! what Windows answers) that concerns connect, readiness, events, polling, addresses or options.
//!
//! Each file names its Wine test function on a `# wine: test_NAME` line and says in its comments
//! what Windows answered. Every file runs for the `windows` personality on the simulated network
//! and on the live one (loopback, with the live facts); a file that cannot run live says why on a
//! `# sim-only: REASON` line. Every file must check something, and every check must pass.

mod common;

use std::path::{Path, PathBuf};

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::net::sim::SimNet;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, Report, run};
use socklab::session::lab::Lab;

/// The suite must not shrink unnoticed: raise this as checks are added (win-b: 193 checks in
/// the `b_` files; win-a: 155 in the `a_` files; winapi-ov: 88 in the `ov_` files; winapi-args: 26
/// in the `args_` files; bsp: 17 in the `bsp_` files; acceptex: 61 in the `ax_` files; acceptex2: 55 in the `ax2_`
/// files; args2: 18 in the `args2_` files; abort: 18 in the `abort_` files; iocp2: 33 in the `io2_` files;
/// args3: 13 in the `args3_` files; wsaio3: 36 in the `io3_` files; the SO_LINGER structure: 6
/// in linger_struct.lab).
const MIN_CHECKS: usize = 719;

fn files() -> Vec<PathBuf> {
    common::lab_files("tests/windows")
}

fn header(src: &str, key: &str) -> Option<String> {
    src.lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .find_map(|l| l.trim().strip_prefix(key).and_then(|rest| rest.strip_prefix(':')).map(|v| v.trim().to_string()))
}

fn run_file(file: &Path, live: bool) -> (Report, String) {
    let src = std::fs::read_to_string(file).expect("scenario readable");
    let stmts = parse_script(&src).unwrap_or_else(|errs| {
        panic!(
            "{} does not parse: {}",
            file.display(),
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
        )
    });
    let mut lab = if live {
        let (kernel, facts) = LiveKernel::start().expect("live targets start on loopback");
        Lab::live(&[PersonalityId::Windows], Box::new(facts), Box::new(kernel))
    } else {
        Lab::new(&[PersonalityId::Windows], Box::new(SimNet))
    };
    let mut out = Vec::new();
    let report = run(&stmts, &mut lab, Output::Single, &mut out).expect("writing to memory");
    (report, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn every_file_names_its_wine_test() {
    for file in files() {
        let src = std::fs::read_to_string(&file).expect("readable");
        let wine = header(&src, "wine").unwrap_or_default();
        assert!(
            wine.starts_with("test_"),
            "{} has no `# wine: test_NAME` line naming the Wine test it reproduces",
            file.display()
        );
    }
}

#[test]
fn windows_answers_as_windows_on_the_simulated_network() {
    let mut problems = Vec::new();
    let mut total = 0;
    for file in files() {
        let (report, transcript) = run_file(&file, false);
        total += report.checks;
        if report.checks == 0 {
            problems.push(format!("{} checks nothing for windows", file.display()));
        }
        if !report.failures.is_empty() {
            problems.push(format!(
                "{}:\n  {}\n--- transcript ---\n{transcript}",
                file.display(),
                report.failures.join("\n  ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        total >= MIN_CHECKS,
        "the Windows conformance suite checks only {total} things (at least {MIN_CHECKS} expected)"
    );
}

#[test]
fn windows_answers_as_windows_on_the_live_network() {
    let mut problems = Vec::new();
    let mut ran = 0;
    for file in files() {
        let src = std::fs::read_to_string(&file).expect("readable");
        if let Some(reason) = header(&src, "sim-only") {
            assert!(!reason.is_empty(), "{}: `# sim-only:` must say why", file.display());
            continue;
        }
        let (report, transcript) = run_file(&file, true);
        ran += 1;
        if !report.failures.is_empty() {
            problems.push(format!(
                "{} (live):\n  {}\n--- transcript ---\n{transcript}",
                file.display(),
                report.failures.join("\n  ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(ran > 0 || files().is_empty(), "no Windows conformance file runs on the live network");
}
