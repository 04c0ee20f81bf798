//! A recording survives the death of its writer: `socklab run --record` killed with SIGKILL
//! mid-session leaves a file that reads back up to the last flushed entry and replays; a
//! truncated last line and a corrupt entry each get an error naming the entry, and the valid
//! prefix before them still replays.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use socklab::net::live::Stopwatch;
use socklab::session::record::{self, ReadErrorKind, read_prefix};
use socklab::session::replay::check;

fn prefix(path: &Path) -> record::Prefix {
    read_prefix(std::io::BufReader::new(std::fs::File::open(path).unwrap())).expect("the header reads")
}

/// A session on the live network that takes about 12 s: 60 steps of `wait 200`, a call each.
fn long_script() -> String {
    let mut s = String::from("socket udp as u\nconnect u @sink\n");
    for i in 0..60 {
        s.push_str(&format!("mark step {i}\nsend u \"ping {i}\"\nwait 200\n"));
    }
    s
}

#[test]
fn a_recording_killed_mid_session_reads_back_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("long.lab");
    std::fs::write(&lab, long_script()).unwrap();
    let out = dir.path().join("killed.ndjson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["run", lab.to_str().unwrap(), "--net", "live", "--record", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("socklab starts");
    // Wait until a good part of the session is on disk, then kill this one process.
    let sw = Stopwatch::start();
    loop {
        let lines = std::fs::read_to_string(&out).map(|t| t.lines().count()).unwrap_or(0);
        if lines >= 60 {
            break;
        }
        assert!(sw.elapsed() < Duration::from_secs(20), "the recording did not grow: {lines} lines");
        assert!(child.try_wait().unwrap().is_none(), "socklab ended before it was killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL to this child only.
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status:?}");

    let text = std::fs::read_to_string(&out).unwrap();
    let p = prefix(&out);
    // Every entry was flushed whole: the file reads back to its last line, with no error.
    assert!(p.error.is_none(), "{}", p.error.unwrap());
    assert_eq!(p.entries.len(), text.lines().count() - 1);
    assert!(text.ends_with('\n'));
    let markers = p.entries.iter().filter(|e| e.kind() == "marker").count();
    assert!((2..60).contains(&markers), "killed mid-session: {markers} of 60 markers");
    // It replays: the last step may be cut short, which is not a divergence.
    let c = check(record::open(&out).unwrap(), 10);
    assert!(c.error.is_none());
    assert!(c.divergences.is_empty(), "{:#?}", c.divergences);
    let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["replay", out.to_str().unwrap(), "--headless"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A complete recording of the simulated network, as lines.
fn sim_recording(dir: &Path) -> Vec<String> {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/refused_connect.lab");
    let out = dir.join("full.ndjson");
    let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["run", lab.to_str().unwrap(), "--net", "sim", "--record", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    std::fs::read_to_string(out).unwrap().lines().map(str::to_string).collect()
}

fn replay_cli(path: &Path) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["replay", path.to_str().unwrap(), "--headless"])
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_truncated_last_line_is_named_and_the_prefix_replays() {
    let dir = tempfile::tempdir().unwrap();
    let lines = sim_recording(dir.path());
    let n = lines.len();
    // Cut the last line in half, as a writer killed mid-write would.
    let last = &lines[n - 1];
    let cut = format!("{}\n{}", lines[..n - 1].join("\n"), &last[..last.len() / 2]);
    let path = dir.path().join("truncated.ndjson");
    std::fs::write(&path, cut).unwrap();
    let p = prefix(&path);
    assert_eq!(p.entries.len(), n - 2);
    let e = p.error.expect("an error");
    assert!(matches!(e.what, ReadErrorKind::Truncated(_)), "{e}");
    assert_eq!(e.line, n);
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("entry {} (line {n})", n - 1)), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
    let c = check(record::open(&path).unwrap(), 10);
    assert!(c.divergences.is_empty(), "{:#?}", c.divergences);
    assert_eq!(c.entries, n - 2);
    let (code, stdout, stderr) = replay_cli(&path);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("entry {} (line {n})", n - 1)), "{stderr}");
    assert!(stderr.contains(&format!("the {} entries before it were replayed", n - 2)), "{stderr}");
    assert!(stdout.contains("the core reproduced every recorded answer"), "{stdout}");
}

#[test]
fn a_corrupt_entry_is_named_and_the_prefix_before_it_replays() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = sim_recording(dir.path());
    // Damage an answer in the middle of the file: an unknown error name.
    let k = lines.iter().position(|l| l.contains("\"kind\":\"answer\"") && l.contains("WSAEWOULDBLOCK")).unwrap();
    lines[k] = lines[k].replace("\"name\":\"WSAEWOULDBLOCK\"", "\"name\":\"WSAEBOGUS\"");
    let path = dir.path().join("corrupt.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let line = k + 1;
    let p = prefix(&path);
    assert_eq!(p.entries.len(), line - 2);
    let e = p.error.expect("an error");
    assert!(matches!(e.what, ReadErrorKind::Corrupt(_)), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("entry {} (line {line}), kind `answer`", line - 1)), "{msg}");
    assert!(msg.contains("WSAEBOGUS"), "{msg}");
    let c = check(record::open(&path).unwrap(), 10);
    assert!(c.divergences.is_empty(), "{:#?}", c.divergences);
    let (code, _, stderr) = replay_cli(&path);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("entry {} (line {line})", line - 1)), "{stderr}");

    // Not JSON at all.
    lines[k] = "{\"t\":0,\"kind\":\"answer\",\"p\":".to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let e = prefix(&path).error.expect("an error");
    let msg = e.to_string();
    assert!(msg.contains(&format!("entry {} (line {line})", line - 1)) && msg.contains("not valid JSON"), "{msg}");
}
