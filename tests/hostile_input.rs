//! Issue 14: input written by someone hostile. Exports that can't carry code or markup the
//! session did not record, output that can't drive the terminal, files never clobbered,
//! numbers and lines that can't exhaust memory or panic, errors that say where.
//!
//! The C injections are compiled with `gcc -Wall -Werror` and run: nothing but the recorded
//! calls may run (`.ci/run` installs gcc and mingw-w64).

mod common;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_socklab")
}

fn socklab(args: &[&str]) -> Output {
    run_bounded(Command::new(bin()).args(args), Duration::from_secs(60))
}

/// Run a command with stdin closed, killing it (by its pid) after `limit`.
fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the command starts");
    let start = socklab::net::live::Stopwatch::start();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?} (killed): {}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Record `script` on the simulated network into `dir/NAME.ndjson`.
fn record(dir: &Path, name: &str, script: &str) -> PathBuf {
    let lab = dir.join(format!("{name}.lab"));
    std::fs::write(&lab, script).unwrap();
    let rec = dir.join(format!("{name}.ndjson"));
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim", "--record", rec.to_str().unwrap()]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "run {name}: {}", text(&o.stderr));
    rec
}

fn export(rec: &Path, to: &str) -> String {
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", to]);
    assert_eq!(o.status.code(), Some(0), "export {to}: {}", text(&o.stderr));
    text(&o.stdout)
}

fn gcc(args: &[&str]) -> Output {
    Command::new("gcc").args(args).output().expect("gcc is installed (apt-get install gcc; .ci/run does it)")
}

fn mingw(args: &[&str]) -> Output {
    Command::new("x86_64-w64-mingw32-gcc")
        .args(args)
        .output()
        .expect("x86_64-w64-mingw32-gcc is installed (apt-get install mingw-w64; .ci/run does it)")
}

/// The payload: a line splice inside a comment, then code, then a comment opener.
const PAYLOAD: &str = r#""*\\\n/ system(\"touch PWNED\"); /*""#;

/// Compile both dialects with -Wall -Werror, run the POSIX one in `dir`, and check that no
/// recorded string became code and nothing but the recorded calls ran.
fn check_c_exports(dir: &Path, rec: &Path) {
    for (to, is_posix) in [("c-posix", true), ("c-winsock", false)] {
        let c = export(rec, to);
        let code = common::c_code_only(&c);
        for word in ["system", "PWNED", "constructor", "touch"] {
            assert!(!code.contains(word), "{to}: `{word}` is code outside a comment or a string:\n{c}");
        }
        let path = dir.join(format!("{to}.c"));
        std::fs::write(&path, &c).unwrap();
        if is_posix {
            let exe = dir.join("session");
            let o = gcc(&["-Wall", "-Werror", "-o", exe.to_str().unwrap(), path.to_str().unwrap()]);
            assert!(o.status.success(), "gcc -Wall -Werror:\n{}\n{c}", text(&o.stderr));
            let o = run_bounded(
                Command::new(&exe).current_dir(dir).args(["accept=127.0.0.1:1", "refuse=127.0.0.1:1"]),
                Duration::from_secs(30),
            );
            assert!(!dir.join("PWNED").exists(), "the exported program ran the injected command");
            for line in text(&o.stdout).lines() {
                let call = line.split(" -> ").next().unwrap_or_default();
                assert!(
                    line.starts_with('#')
                        || (line.contains(" -> ") && call.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
                    "a line that is no recorded call: {line:?}"
                );
            }
        } else {
            let obj = dir.join("session.exe");
            let o = mingw(&[
                "-Wall",
                "-Werror",
                "-o",
                obj.to_str().unwrap(),
                path.to_str().unwrap(),
                "-lws2_32",
                "-lmswsock",
            ]);
            assert!(o.status.success(), "x86_64-w64-mingw32-gcc -Wall -Werror:\n{}", text(&o.stderr));
        }
    }
}

#[test]
fn issue14_a_script_line_cannot_inject_code_into_the_c_exports() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "socket tcp as s\nmark {PAYLOAD}\nsend s {PAYLOAD}\nwsaconnect s @accept data={PAYLOAD}\nconnectex s @accept send={PAYLOAD}\nsendto s 127.0.0.1:9 {PAYLOAD}\nwait s event\nwait 5\n"
    );
    let rec = record(dir.path(), "inject", &script);
    check_c_exports(dir.path(), &rec);
}

#[test]
fn issue14_a_crafted_recording_cannot_inject_code_into_the_c_exports() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record(dir.path(), "plain", "socket tcp as s\nmark plain\nwait s event\nclosesocket s\n");
    // The header's strings and each entry's recorded text carry the payloads.
    let evil = [
        "*/ __attribute__((constructor)) static void p(void) { system(\"touch PWNED\"); } /*",
        "x\\\n*/ __attribute__((constructor)) static void p(void) { system(\"touch PWNED\"); } /*",
        "??/\n*/ static int touch_PWNED; /*",
    ];
    let mut lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&rec).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines[0]["started_at"] = evil[0].into();
    lines[0]["socklab_version"] = evil[1].into();
    lines[0]["source"] = evil[2].into();
    lines[0]["host_os"] = evil[1].into();
    for l in &mut lines[1..] {
        if l.get("text").is_some() {
            l["text"] = evil[1].into();
        }
        if l["kind"] == "marker" {
            l["label"] = evil[1].into();
        }
    }
    let crafted = dir.path().join("crafted.ndjson");
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&crafted, body).unwrap();
    check_c_exports(dir.path(), &crafted);
}

#[test]
fn issue14_markdown_keeps_recorded_text_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let script = "socket tcp as s\nmark \"x`y\\n<script>alert(1)</script> [a](http://h) | c\"\nsend s \"`\\n<img src=x onerror=alert(1)>\"\n";
    let rec = record(dir.path(), "md", script);
    let md = export(&rec, "md");
    for (i, line) in md.lines().enumerate() {
        assert!(!line.starts_with('<'), "line {i} starts raw HTML: {line}");
        let chars: Vec<char> = line.chars().collect();
        for (k, &c) in chars.iter().enumerate() {
            if matches!(c, '`' | '<' | '[') {
                // Every markup character in the handout is escaped (the handout writes none).
                let escaped = k > 0 && chars[k - 1] == '\\';
                assert!(escaped, "line {i}: an unescaped `{c}`: {line}");
            }
        }
    }
    assert!(md.contains("\\<script\\>"), "{md}");
}

#[test]
fn issue14_the_script_export_makes_only_the_recorded_calls() {
    let dir = tempfile::tempdir().unwrap();
    let script = "socket tcp as s\nmark \"label\\nsocket tcp as evil\"\nsend s \"a\\nsocket udp as evil2\"\n";
    let rec = record(dir.path(), "sc", script);
    let out = export(&rec, "script");
    let stmts = socklab::script::parse::parse_script(&out).unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let calls: Vec<_> = stmts
        .iter()
        .filter_map(|s| match &s.kind {
            socklab::script::ast::StmtKind::Call(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("socket tcp as evil") || l.starts_with("socket udp")), "{out}");
}

#[test]
fn issue14_headless_output_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let nasty = "\u{1b}[2J\u{1b}]0;owned\u{7}\rALL CHECKS PASSED\u{9b}31m";
    let script = format!("socket tcp as s\nmark \"{nasty}\"\nsend s \"{nasty}\"\n");
    let lab = dir.path().join("t.lab");
    std::fs::write(&lab, &script).unwrap();
    let rec = dir.path().join("t.ndjson");
    let bad = |out: &[u8]| {
        let s = text(out);
        s.chars().find(|&c| socklab::script::term::is_unsafe_char(c) && c != '\n')
    };
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim", "--record", rec.to_str().unwrap()]);
    assert_eq!(bad(&o.stdout), None, "run: {}", text(&o.stdout));
    assert!(text(&o.stdout).contains("\\u{1b}[2J"), "the escape is shown, not sent: {}", text(&o.stdout));
    for args in [
        vec!["replay", rec.to_str().unwrap(), "--headless"],
        vec!["replay", rec.to_str().unwrap(), "--headless", "--json"],
        vec!["export", rec.to_str().unwrap(), "--to", "md"],
        vec!["export", rec.to_str().unwrap(), "--to", "script"],
        vec!["export", rec.to_str().unwrap(), "--to", "c-posix"],
    ] {
        let o = socklab(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        assert_eq!(bad(&o.stdout), None, "{args:?}: {}", text(&o.stdout));
    }
    // The JSON transcript is still JSON.
    let o = socklab(&["replay", rec.to_str().unwrap(), "--headless", "--json"]);
    for l in text(&o.stdout).lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
}

#[test]
fn issue14_outputs_never_clobber() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lab = d.join("self.lab");
    let script = "socket tcp as s\nclosesocket s\n";
    std::fs::write(&lab, script).unwrap();
    // The script is never its own recording, not even with --force.
    for force in [false, true] {
        let mut args = vec!["run", lab.to_str().unwrap(), "--net", "sim", "--record", lab.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let o = socklab(&args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("never writes over a file it reads"), "{}", text(&o.stderr));
        assert_eq!(std::fs::read_to_string(&lab).unwrap(), script);
    }
    let rec = record(d, "r", script);
    let before = std::fs::read(&rec).unwrap();
    // The recording is never its export.
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md", "-o", rec.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&rec).unwrap(), before);
    // An existing output needs --force.
    let out = d.join("out.md");
    std::fs::write(&out, "mine").unwrap();
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md", "-o", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("# socklab"));
    // Links are not written through, even dangling ones, even with --force.
    let target = d.join("target.txt");
    std::fs::write(&target, "keep").unwrap();
    let link = d.join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = d.join("dangling.ndjson");
    let nowhere = d.join("nowhere.ndjson");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md", "-o", link.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("symbolic link"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim", "--record", dangling.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!nowhere.exists(), "the recording followed a dangling link");
    // A FIFO without a reader is refused at once, not waited on.
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md", "-o", fifo.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim", "--record", fifo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // The TUI without a terminal leaves its --record file alone.
    let kept = d.join("kept.ndjson");
    std::fs::write(&kept, "precious").unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["--net", "sim", "--record", kept.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = socklab(&args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "precious");
    }
}

#[test]
fn issue14_settings_files_that_are_fifos_do_not_block() {
    use socklab::tui::{TuiNet, TuiOptions, prepare};
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("theme.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (tx, rx) = std::sync::mpsc::channel();
    let f = fifo.clone();
    std::thread::spawn(move || {
        let opts = TuiOptions {
            net: TuiNet::Sim,
            theme: Some(f.display().to_string()),
            mouse: false,
            config: Some(f.clone()),
            lesson: None,
            record: None,
            replay: None,
            winsock_judge: None,
        };
        let (app, _, _) = prepare(&opts);
        let _ = tx.send(app.status().text.clone());
    });
    let got = rx.recv_timeout(Duration::from_secs(20)).expect("prepare returned: a FIFO is not waited on");
    assert!(got.contains("not a regular file"), "{got}");
}

#[test]
fn issue14_numbers_that_do_not_fit_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record(dir.path(), "n", "socket tcp as s\n");
    for v in ["1e30", "18446744073709551616", "inf", "NaN", "-1", "0"] {
        let o = socklab(&["replay", rec.to_str().unwrap(), &format!("--idle-limit={v}")]);
        assert_eq!(o.status.code(), Some(2), "--idle-limit {v}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("--idle-limit"), "{v}: {}", text(&o.stderr));
        assert!(!text(&o.stderr).contains("panicked"), "{v}: {}", text(&o.stderr));
    }
    let lab = dir.path().join("big.lab");
    for (line, what) in [
        ("setsockopt s SO_LINGER 4294967297", "out of range"),
        ("setsockopt s SO_SNDTIMEO 99999999999999999999999", "out of range"),
        ("select write=s timeout=99999999999", "too long"),
        ("wait 99999999999", "too long"),
        ("alarm 2147483648", "too long"),
    ] {
        std::fs::write(&lab, format!("socket tcp as s\n{line}\n")).unwrap();
        let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
        assert_eq!(o.status.code(), Some(2), "{line}");
        let err = text(&o.stderr);
        assert!(err.contains("line 2") && err.contains(what), "{line}: {err}");
    }
}

#[test]
fn issue14_huge_lines_and_bad_bytes_are_errors_that_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A script line longer than the cap.
    let lab = d.join("long.lab");
    let mut f = std::fs::File::create(&lab).unwrap();
    writeln!(f, "socket tcp as s").unwrap();
    writeln!(f, "send s {}", "x".repeat(3 << 20)).unwrap();
    drop(f);
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("line 2") && err.contains("at most"), "{err}");
    assert!(err.len() < 2000, "the line is not printed back: {} bytes", err.len());
    // A long word is not echoed whole.
    std::fs::write(&lab, format!("socket tcp as s\nconnect s {}\n", "y".repeat(1 << 20))).unwrap();
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.len() < 2000, "{} bytes of error", o.stderr.len());
    // Many errors: the first ones, then a count.
    std::fs::write(&lab, "bogus\n".repeat(500)).unwrap();
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
    let err = text(&o.stderr);
    assert!(err.lines().count() <= 25, "{err}");
    assert!(err.contains("500 errors in all"), "{err}");
    // Invalid UTF-8: line and column.
    std::fs::write(&lab, b"socket tcp as s\nsend s ab\xffcd\n").unwrap();
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("line 2, column 10"), "{}", text(&o.stderr));
    // A recording line longer than the cap, and /dev/zero.
    let rec = d.join("huge.ndjson");
    let good = record(d, "g", "socket tcp as s\n");
    let mut body = std::fs::read(&good).unwrap();
    body.extend(std::iter::repeat_n(b'x', 17 << 20));
    body.push(b'\n');
    std::fs::write(&rec, body).unwrap();
    let o = socklab(&["replay", rec.to_str().unwrap(), "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("longer than"), "{}", text(&o.stderr));
    let o = socklab(&["replay", "/dev/zero", "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("line 1"), "{}", text(&o.stderr));
    // A header field of the wrong type is named.
    let header = std::fs::read_to_string(&good).unwrap();
    let bad = header.replacen("\"started_at\":\"", "\"started_at\":5,\"x\":\"", 1);
    let badrec = d.join("badheader.ndjson");
    std::fs::write(&badrec, bad).unwrap();
    let o = socklab(&["replay", badrec.to_str().unwrap(), "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("started_at"), "{}", text(&o.stderr));
}

#[test]
fn issue14_shell_reports_a_bad_line_and_exits_non_zero() {
    let mut child = Command::new(bin())
        .arg("shell")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"socket tcp as s\nsend s a\xffb\nclosesocket s\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("line 2, column 9"), "{}", text(&o.stderr));
    // The lines after it still ran.
    assert!(text(&o.stdout).contains("closesocket"), "{}", text(&o.stdout));
}

#[test]
fn issue14_replay_headless_fails_when_its_output_does() {
    let dir = tempfile::tempdir().unwrap();
    let rec = record(dir.path(), "full", "socket tcp as s\nclosesocket s\n");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let o = Command::new(bin()).args(["replay", rec.to_str().unwrap(), "--headless"]).stdout(full).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn issue14_raw_descriptors_on_the_live_network_never_reach_socklabs_own() {
    // Loopback only: socklab's targets on 127.0.0.1.
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::new();
    for n in 0..48 {
        script.push_str(&format!("connect #{n} @refuse\n"));
    }
    script.push_str(
        "socket udp as u\nioctlsocket u FIONBIO 1\nconnect u @echo\nsend u ping\nwait 300\nrecv u\nexpect ok\n",
    );
    let lab = dir.path().join("raw.lab");
    std::fs::write(&lab, script).unwrap();
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "live", "--personality", "linux"]);
    let out = text(&o.stdout);
    assert!(out.contains("is not a socket of this experiment"), "{out}\n{}", text(&o.stderr));
    // @echo still answers: none of its sockets was connected elsewhere.
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", text(&o.stderr));
}

#[test]
fn issue14_a_wait_that_can_never_be_met_is_said_at_once() {
    // Loopback only: socklab's targets on 127.0.0.1.
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("w.lab");
    std::fs::write(&lab, "socket tcp as s\nconnect s @accept\nwait s failed\nsocket udp as u\nwait u connected\n")
        .unwrap();
    for net in ["live", "sim"] {
        let start = socklab::net::live::Stopwatch::start();
        let o = socklab(&["run", lab.to_str().unwrap(), "--net", net]);
        assert!(start.elapsed() < Duration::from_secs(20), "{net}: took {:?}", start.elapsed());
        let out = text(&o.stdout);
        assert_eq!(out.matches("never reached").count(), 2, "{net}: {out}");
        assert!(out.contains("s is connected"), "{out}");
    }
}

#[test]
fn issue14_the_progress_file_is_not_written_through_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    let path = dir.path().join("progress.toml");
    // The old predictable temporary name, and the file itself, as links to the victim.
    std::os::unix::fs::symlink(&victim, dir.path().join("progress.toml.tmp")).unwrap();
    let mut p = socklab::learn::progress::Progress::default();
    p.complete("first");
    p.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(std::fs::read_to_string(&path).unwrap().contains("first"));
}

#[test]
fn issue14_the_tui_replay_index_does_not_hold_a_huge_line() {
    use socklab::session::replay::Replay;
    let dir = tempfile::tempdir().unwrap();
    let good = record(dir.path(), "idx", "socket tcp as s\n");
    let mut body = std::fs::read(&good).unwrap();
    body.extend(std::iter::repeat_n(b'{', 17 << 20));
    body.push(b'\n');
    let r = Replay::new(Cursor::new(body)).expect("the header is fine");
    let e = r.error().expect("the huge line is an error").to_string();
    assert!(e.contains("longer than"), "{e}");
    let r = Replay::new(Cursor::new(vec![b'x'; 17 << 20]));
    assert!(r.is_err());
}

#[test]
fn issue14_error_messages_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("e.lab");
    std::fs::write(&lab, "\u{1b}]0;owned\u{7}bogus\nsocket tcp as \"\u{1b}[2J\"\n").unwrap();
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(!err.chars().any(|c| socklab::script::term::is_unsafe_char(c) && c != '\n'), "{err:?}");
    assert!(err.contains("\\u{1b}"), "{err}");
}

#[test]
fn issue14_a_recording_error_does_not_print_a_huge_value_back() {
    let dir = tempfile::tempdir().unwrap();
    let good = record(dir.path(), "v", "socket tcp as s\n");
    let mut body = std::fs::read_to_string(&good).unwrap();
    body.push_str(&format!(
        "{{\"t\":0,\"kind\":\"call\",\"text\":\"x\",\"call\":{{\"call\":\"{}\"}}}}\n",
        "z".repeat(1 << 20)
    ));
    let rec = dir.path().join("huge_value.ndjson");
    std::fs::write(&rec, body).unwrap();
    let o = socklab(&["replay", rec.to_str().unwrap(), "--headless"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.len() < 2000, "{} bytes of error", o.stderr.len());
    assert!(text(&o.stderr).contains("line "), "{}", text(&o.stderr));
}
