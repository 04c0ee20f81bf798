//! Every scenario file of the core, run on the live network with the `linux` personality: the
//! kernel answers every call socklab may make for real, and the model must agree with it.
//! Scenarios 12 and 15 wait for real connect timeouts (127 s, the kernel's default), so they
//! run on their own threads beside the others.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use socklab::core::personality::PersonalityId;
use socklab::net::live::judge::LiveKernel;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, Report, run};
use socklab::session::lab::Lab;

fn scenario_files() -> Vec<PathBuf> {
    common::lab_files("tests/scenarios")
}

fn run_live(file: &Path) -> (Report, String) {
    run_src(&std::fs::read_to_string(file).expect("readable"), Output::Single)
}

/// A script run on the live network with `linux`: the report and the transcript.
fn run_src(src: &str, output: Output) -> (Report, String) {
    let stmts = parse_script(src).expect("script parses");
    let (kernel, facts) = LiveKernel::start().expect("live targets start on loopback");
    let mut lab = Lab::live(&[PersonalityId::Linux], Box::new(facts), Box::new(kernel));
    let mut out = Vec::new();
    let report = run(&stmts, &mut lab, output, &mut out).expect("write to memory");
    (report, String::from_utf8_lossy(&out).into_owned())
}

/// A loopback port nothing listens on (it was free a moment ago).
fn free_port() -> u16 {
    let (l, addr) = common::listener();
    drop(l);
    addr.port()
}

#[test]
fn every_scenario_live_gives_zero_model_disagreements() {
    let files = scenario_files();
    let slow = |p: &PathBuf| {
        let n = p.file_name().unwrap().to_string_lossy();
        n.starts_with("12_") || n.starts_with("15_")
    };
    let handles: Vec<_> = files
        .iter()
        .filter(|p| slow(p))
        .cloned()
        .map(|p| std::thread::spawn(move || (p.clone(), run_live(&p))))
        .collect();
    let mut results: Vec<(PathBuf, (Report, String))> =
        files.iter().filter(|p| !slow(p)).map(|p| (p.clone(), run_live(p))).collect();
    for h in handles {
        results.push(h.join().expect("scenario thread"));
    }
    assert_eq!(results.len(), files.len());
    let mut problems = Vec::new();
    let mut judged = 0;
    for (path, (report, transcript)) in &results {
        judged += report.judged;
        if report.judged == 0 {
            problems.push(format!("{}: the kernel judged nothing", path.display()));
        }
        if !report.disagreements.is_empty() || !report.failures.is_empty() {
            problems.push(format!(
                "{}:\n  disagreements: {:?}\n  failed expectations: {:?}\n{transcript}",
                path.display(),
                report.disagreements,
                report.failures
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(judged > 150, "the kernel judged only {judged} calls");
}

/// A connection whose peer has closed (the kernel's socket is in CLOSE_WAIT) is still
/// connected: `wait NAME connected` is met at once for the kernel and the model alike (a wait
/// the two end differently is a disagreement).
#[test]
fn a_connection_its_peer_closed_is_still_connected_for_the_kernel() {
    let port = free_port();
    let src = format!(
        "socket tcp as l\nbind l 127.0.0.1:{port}\nlisten l\nsocket tcp as c\nioctlsocket c FIONBIO 1\n\
         connect c 127.0.0.1:{port}\naccept l as a\nclosesocket a\nwait 100\nwait c connected\n"
    );
    let (report, transcript) = run_src(&src, Output::Json);
    assert!(report.disagreements.is_empty(), "{:?}\n{transcript}", report.disagreements);
    let waits: Vec<serde_json::Value> = transcript
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "wait" && v["text"].as_str().is_some_and(|t| t.starts_with("wait c ")))
        .collect();
    assert_eq!(waits.len(), 1, "{transcript}");
    assert_eq!(waits[0]["kernel_met"], serde_json::json!(true), "{transcript}");
    assert_eq!(waits[0]["met"], serde_json::json!(true), "{transcript}");
}

/// The TUI's Esc on a blocked recv or accept: the kernel's side shuts the socket down from
/// another thread, which releases the call at once (recv answers 0, the end of the stream;
/// accept EINVAL), measured here; the Winsock agent's side does the same (tests/wine.rs).
#[test]
fn esc_releases_a_blocked_recv_and_accept_by_a_shutdown() {
    use socklab::core::call::Call;
    use socklab::session::lab::{Kernel, KernelAnswer, KernelDone, KernelJob};
    let (kernel, _facts) = LiveKernel::start().expect("live targets start on loopback");
    let mut kernel: Box<dyn Kernel> = Box::new(kernel);
    let calls = common::calls_of(
        "socket tcp as c\nconnect c @accept\nrecv c\nsocket tcp as l\nbind l 127.0.0.1:0\nlisten l\naccept l as a\n",
    );
    let mut answers = Vec::new();
    for call in calls {
        if !matches!(call, Call::Recv { .. } | Call::Accept { .. }) {
            assert!(matches!(kernel.perform(&call), KernelAnswer::Performed { error: None, .. }), "{call:?}");
            continue;
        }
        let job = KernelJob::Call(call.clone());
        let stop = kernel.interrupter(&job).expect("a blocking call can be given up");
        let (k, done, what) = std::thread::scope(|s| {
            let h = s.spawn(move || {
                let done = job.run(&mut *kernel);
                (kernel, done)
            });
            std::thread::sleep(Duration::from_millis(300));
            let what = stop.interrupt();
            let (k, done) = h.join().expect("the job's thread");
            (k, done, what)
        });
        kernel = k;
        assert!(what.starts_with("shut "), "{what}");
        answers.push((call, done));
    }
    let KernelDone::Call(KernelAnswer::Performed { ret, error, elapsed, .. }) = &answers[0].1 else {
        panic!("recv: {:?}", answers[0])
    };
    assert_eq!((*ret, *error), (socklab::core::model::Ret::Int(0), None), "recv after the shutdown: end of stream");
    assert!(*elapsed < Duration::from_secs(3), "released by the shutdown, not by a limit: {elapsed:?}");
    let KernelDone::Call(KernelAnswer::Performed { error, elapsed, .. }) = &answers[1].1 else {
        panic!("accept: {:?}", answers[1])
    };
    assert_eq!(*error, Some(socklab::core::codes::Code::EINVAL), "accept after the shutdown");
    assert!(*elapsed < Duration::from_secs(3), "released by the shutdown, not by a limit: {elapsed:?}");
}

/// A blocking recv or accept on which nothing can arrive: the model answers that it would block
/// forever (n/a), and the kernel's side, after waiting as long as socklab waits (10 s), reports
/// the call as still waiting and not made, rather than the EAGAIN of its bounded wait, which
/// once showed as a disagreement no blocking call could really have. The listener is judged
/// again afterwards: a wait that ran out changes nothing, so its socket must not diverge.
#[test]
fn a_blocking_call_nothing_can_release_still_waits_for_the_kernel_too() {
    let port = free_port();
    let src = format!(
        "socket tcp as l\nbind l 127.0.0.1:{port}\nlisten l\nsocket tcp as c\nconnect c 127.0.0.1:{port}\n\
         recv c\naccept l as a\naccept l as b\ngetsockname l\n"
    );
    let (report, transcript) = run_src(&src, Output::Single);
    assert!(report.disagreements.is_empty(), "{:?}\n{transcript}", report.disagreements);
    // The recv (nothing sent) and the second accept (one connection queued) wait it out.
    assert_eq!(report.not_performed, 2, "{transcript}");
    assert_eq!(transcript.matches("10-second wait ran out").count(), 2, "{transcript}");
    assert!(transcript.contains("a blocking recv was still waiting when"), "{transcript}");
    assert!(transcript.contains("a blocking accept was still waiting when"), "{transcript}");
    // The first accept took the connection for real, and the listener was judged afterwards.
    assert_eq!(report.judged, 7, "{transcript}");
}
