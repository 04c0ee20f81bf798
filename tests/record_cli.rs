//! The recording commands as a user runs them: `run --record`, `replay` (headless, TUI not yet,
//! divergences), `replay --rerun` and its refusal of remote addresses.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

fn socklab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socklab")).args(args).output().expect("socklab runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn record(dir: &Path, name: &str, script: &str, net: &str) -> std::path::PathBuf {
    let lab = dir.join(format!("{name}.lab"));
    std::fs::File::create(&lab).unwrap().write_all(script.as_bytes()).unwrap();
    let out = dir.join(format!("{name}.ndjson"));
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", net, "--record", out.to_str().unwrap()]);
    assert!(matches!(o.status.code(), Some(0) | Some(3)), "{:?}", text(&o));
    out
}

#[test]
fn the_tui_replay_of_an_unreadable_file_says_why_before_opening_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nosuch.ndjson");
    let o = socklab(&["replay", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("nosuch.ndjson"), "{:?}", text(&o));
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, "not a recording\n").unwrap();
    let o = socklab(&["replay", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("line 1"), "{:?}", text(&o));
}

#[test]
fn a_divergence_names_the_entry_and_both_answers_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/connect_while_pending.ndjson"))
            .unwrap();
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    // Winsock 1.1's WSAEINVAL for the second connect, recorded as WSAEALREADY instead.
    let k = lines.iter().position(|l| l.contains("\"p\":\"winsock1\"") && l.contains("WSAEINVAL")).unwrap();
    lines[k] = lines[k].replace("\"name\":\"WSAEINVAL\",\"number\":10022", "\"name\":\"WSAEALREADY\",\"number\":10037");
    let path = dir.path().join("edited.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let o = socklab(&["replay", path.to_str().unwrap(), "--headless"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let want = format!("entry {} (line {}), winsock1: error: recorded `SOCKET_ERROR WSAEALREADY (10037)", k, k + 1);
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("the replay answered `SOCKET_ERROR WSAEINVAL (10022)"), "{err}");
    assert!(out.contains("DIVERGES"), "{out}");
    assert!(out.contains("1 divergences"), "{out}");
}

#[test]
fn json_replay_has_one_object_per_step_and_personality() {
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/udp_broadcast.ndjson");
    let o = socklab(&["replay", rec.to_str().unwrap(), "--headless", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = text(&o).0.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|v| v["kind"] == "marker" && v["label"] == "with SO_BROADCAST"));
    assert!(
        lines
            .iter()
            .any(|v| v["kind"] == "call" && v["personality"] == "winsock1" && v["error"]["name"] == "WSAEACCES")
    );
}

#[test]
fn rerun_refuses_a_recording_that_reaches_beyond_this_host() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record(
        dir.path(),
        "remote",
        "socket tcp as s\nioctlsocket s FIONBIO 1\nconnect s 198.51.100.2:80\nconnect s @refuse\n",
        "sim",
    );
    let o = socklab(&["replay", rec.to_str().unwrap(), "--rerun"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("connect s 198.51.100.2:80") && err.contains("198.51.100.2:80, beyond this host"), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(out.is_empty(), "nothing was run: {out}");
    // With --allow-remote it runs, and the live network still sends nothing beyond loopback.
    let o = socklab(&["replay", rec.to_str().unwrap(), "--rerun", "--allow-remote"]);
    let (out, err) = text(&o);
    assert!(matches!(o.status.code(), Some(0) | Some(1)), "{out}\n{err}");
    assert!(err.contains("sends nothing beyond loopback"), "{err}");
    assert!(out.contains("kernel: not called: outside loopback"), "{out}");
}

#[test]
fn rerun_of_a_fresh_live_recording_finds_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let script = "socket tcp as f\nioctlsocket f FIONBIO 1\nconnect f @refuse\nwait f failed\nselect read=f write=f except=f timeout=1000\ngetsockopt f SO_ERROR\nsocket tcp as s\nconnect s @accept\ngetpeername s\n";
    let rec = record(dir.path(), "fresh", script, "live");
    let o = socklab(&["replay", rec.to_str().unwrap(), "--rerun"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("every answer is as recorded"), "{out}");
    // And the live recording replays headless from its recorded kernel answers.
    let o = socklab(&["replay", rec.to_str().unwrap(), "--headless"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("live recording"), "{out}");
}
