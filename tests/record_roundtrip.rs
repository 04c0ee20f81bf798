//! Forward compatibility: entry kinds and header fields this version does not know are kept,
//! written back unchanged, and skipped by a replay.

use std::path::Path;
use std::process::Command;

use socklab::session::record::{Entry, Writer, read_prefix};

fn shipped(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings").join(name)).unwrap()
}

/// A shipped recording with a newer socklab's additions: a header field and unknown kinds.
fn from_the_future() -> String {
    let text = shipped("connect_while_pending.ndjson");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0] = lines[0].replacen('{', "{\"screen\":{\"cols\":120,\"rows\":40},", 1);
    lines.insert(
        3,
        r#"{"t":0.0,"kind":"tcp_info","sock":"s","state":"SYN_SENT","rtt_us":[12,13],"extra":{"z":1,"a":null}}"#.into(),
    );
    lines.insert(1, r#"{"kind":"comment","text":"no t, written by hand"}"#.into());
    lines.push(r#"{"t":99.5,"kind":"keypress","key":"F5","mods":["ctrl"]}"#.into());
    lines.join("\n") + "\n"
}

#[test]
fn unknown_kinds_survive_a_read_write_round_trip() {
    let text = from_the_future();
    let p = read_prefix(text.as_bytes()).unwrap();
    assert!(p.error.is_none(), "{}", p.error.unwrap());
    let unknown: Vec<&Entry> = p.entries.iter().filter(|e| matches!(e, Entry::Unknown(_))).collect();
    assert_eq!(unknown.len(), 3);
    assert_eq!(unknown.iter().map(|e| e.kind()).collect::<Vec<_>>(), ["comment", "tcp_info", "keypress"]);
    assert_eq!(p.header.extra.get("screen").unwrap()["cols"], 120);

    let mut out = Vec::new();
    let mut w = Writer::new(&mut out, &p.header).unwrap();
    for e in &p.entries {
        w.append(e).unwrap();
    }
    drop(w);
    let back = String::from_utf8(out).unwrap();
    // The unknown lines come back byte for byte (key order kept).
    for line in text.lines().filter(|l| ["tcp_info", "comment", "keypress"].iter().any(|k| l.contains(k))) {
        assert!(back.lines().any(|b| b == line), "lost or changed: {line}");
    }
    // And the whole file reads back equal.
    let again = read_prefix(back.as_bytes()).unwrap();
    assert_eq!(again.header, p.header);
    assert_eq!(again.entries, p.entries);
    assert_eq!(back.lines().count(), text.lines().count());
}

#[test]
fn a_replay_passes_over_unknown_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.ndjson");
    std::fs::write(&path, from_the_future()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["replay", path.to_str().unwrap(), "--headless"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("the core reproduced every recorded answer"), "{out}");
}

#[test]
fn a_newer_format_version_is_refused_with_a_reason() {
    let text =
        shipped("connect_while_pending.ndjson").replacen("\"socklab_recording\":1", "\"socklab_recording\":2", 1);
    let e = read_prefix(text.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("format version 2") && e.contains("update socklab"), "{e}");
}
