//! The headless command line, run as a user runs it: `socklab run`, `socklab explain`.

use std::io::Write;
use std::process::{Command, Output};

fn socklab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socklab")).args(args).output().expect("socklab runs")
}

fn script(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".lab").tempfile().expect("temp file");
    f.write_all(text.as_bytes()).expect("write script");
    f
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Each kind of mistake names its line and column and says what was expected.
#[test]
fn bad_lines_name_line_and_column() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("socket tcp as s\nconect s @accept\n", "line 2, column 1", &["conect", "connect"]),
        ("socket tcp as s\nconnect s\n", "line 2, column 10", &["address"]),
        ("socket tcp as s\nconnect t @accept\n", "line 2, column 9", &["t"]),
        ("socket tcp as s\nconnect s 127.0.0.300:80\n", "line 2, column 11", &["address"]),
        ("socket tcp as s\nconnect s 127.0.0.1:70000\n", "line 2, column 21", &["70000", "65535"]),
    ];
    for (text, at, words) in cases {
        let f = script(text);
        let o = socklab(&["run", f.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(at), "{text:?}: expected {at:?} in {err:?}");
        for w in *words {
            assert!(err.contains(w), "{text:?}: expected {w:?} in {err:?}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_failed_expect_exits_non_zero_and_says_what_came() {
    let f = script("socket tcp as s\nioctlsocket s FIONBIO 1\nconnect s @pending\nexpect error WSAEWOULDBLOCK\n");
    let o = socklab(&["run", f.path().to_str().unwrap(), "--personality", "linux"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("expected error WSAEWOULDBLOCK (10035)"), "{err}");
    assert!(err.contains("EINPROGRESS (115)"), "{err}");
}

#[test]
fn a_passing_script_exits_zero() {
    let f = script(
        "socket tcp as s\nioctlsocket s FIONBIO 1\nconnect s @pending\nexpect linux: error EINPROGRESS\nexpect winsock: error WSAEWOULDBLOCK\n",
    );
    let o = socklab(&["run", f.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("linux") && out.contains("winsock1"), "compare columns by default: {out}");
    // EINPROGRESS vs WSAEWOULDBLOCK: the same meaning in each platform's words, its own mark.
    assert!(out.contains("≈ connect s @pending"), "{out}");
    assert!(!out.contains("≠"), "{out}");
}

#[test]
fn json_has_one_object_per_step_and_personality() {
    let f = script("socket tcp as s\nioctlsocket s FIONBIO 1\nconnect s @refuse\nwait s failed\n");
    let o = socklab(&["run", f.path().to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    // 3 calls and 1 wait, 4 personalities each.
    assert_eq!(lines.len(), 16);
    let connect: Vec<&serde_json::Value> = lines.iter().filter(|v| v["line"] == 3).collect();
    let by = |p: &str| connect.iter().find(|v| v["personality"] == p).expect("personality present");
    assert_eq!(by("linux")["error"]["name"], "EINPROGRESS");
    assert_eq!(by("linux")["error"]["number"], 115);
    assert_eq!(by("windows")["error"]["name"], "WSAEWOULDBLOCK");
    assert_eq!(by("windows")["ret"], "SOCKET_ERROR");
    assert_eq!(by("windows")["state_before"], "unbound");
    assert_eq!(by("windows")["state_after"], "pending");
    for key in ["call", "vtime_ms", "notifications", "transitions", "rule"] {
        assert!(by("winsock").get(key).is_some(), "missing {key}");
    }
    let wait_windows = lines.iter().find(|v| v["line"] == 4 && v["personality"] == "windows").unwrap();
    assert_eq!(wait_windows["vtime_ms"], 2000.0, "a refused connect takes 2 s on windows");
}

#[test]
fn explain_accepts_names_and_numbers() {
    for q in ["WSAEALREADY", "einprogress", "10035"] {
        let o = socklab(&["explain", q]);
        assert!(o.status.success(), "{q}: {}", stderr(&o));
        assert!(!stdout(&o).trim().is_empty());
    }
    let o = socklab(&["explain", "WSAENOSUCHTHING"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected"));
}

/// Running out of descriptors on the live network is an answer, shown for every personality,
/// and socklab says when its descriptor limit is low.
#[test]
fn running_out_of_descriptors_is_an_answer() {
    let mut text = String::new();
    for i in 0..80 {
        text.push_str(&format!("socket tcp as s{i}\n"));
    }
    let f = script(&text);
    let o = Command::new("prlimit")
        .args(["--nofile=48:48", env!("CARGO_BIN_EXE_socklab"), "run", "--json", f.path().to_str().unwrap()])
        .output()
        .expect("prlimit (util-linux) runs");
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("limit"), "socklab says the descriptor limit is low: {err}");
    let lines: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let failed = |p: &str, code: &str| {
        lines.iter().any(|v| v["personality"] == p && v["call"] == "socket" && v["error"]["name"] == code)
    };
    assert!(failed("linux", "EMFILE"), "the kernel ran out of descriptors");
    assert!(failed("windows", "WSAEMFILE"), "every personality sees it");
    assert!(lines.iter().all(|v| v["disagreement"].is_null()), "exhaustion is not a model disagreement");
    assert_eq!(o.status.code(), Some(0));
}

/// Issue 12 item 9: an unknown theme is a bad flag: exit 2 with the list of themes, before any
/// terminal is touched.
#[test]
fn an_unknown_theme_fails_with_the_list_of_themes() {
    let o = socklab(&["--theme", "bogus", "--net", "sim"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no theme named `bogus`") && err.contains("built in: default"), "{err}");
}

/// Issue 12 item 9: `run --compare` fits the terminal: at 80 columns each personality's answer
/// gets its own line and no line is longer than 80 (it was 166).
#[test]
fn compare_fits_an_80_column_terminal() {
    let f = script(
        "socket tcp as f\nioctlsocket f FIONBIO 1\nconnect f @refuse\nwait 3000\nselect read=f write=f except=f timeout=0\n",
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["run", f.path().to_str().unwrap(), "--net", "sim"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for l in out.lines() {
        assert!(l.chars().count() <= 80, "{} columns: {l}", l.chars().count());
    }
    assert!(out.contains("        winsock   1  read= write= except=f"), "{out}");
    // Without a terminal width (a pipe), the columns stay as they were.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["run", f.path().to_str().unwrap(), "--net", "sim"])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert!(stdout(&o).lines().any(|l| l.contains(" | ")), "{}", stdout(&o));
}
