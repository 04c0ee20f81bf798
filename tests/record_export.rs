//! Exports of recordings: the POSIX C program compiles with `gcc -Wall -Werror` and, run
//! against socklab's targets, prints the recording's `linux` column; the Winsock program
//! passes a syntax check against MinGW's headers; the Markdown handout and the script.
//!
//! The compilers are required, not optional: a missing one fails the test with the Debian
//! package to install (`.ci/run` installs both).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use socklab::net::live::targets::TargetsConfig;
use socklab::net::live::{TargetName, Targets};
use socklab::session::export::posix_expected;
use socklab::session::record::{self, read_prefix};

fn socklab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socklab")).args(args).output().expect("socklab runs")
}

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    v.sort();
    v
}

/// Run a compiler; a missing one fails with the package that provides it.
fn compile(compiler: &str, package: &str, args: &[&str]) -> Output {
    match Command::new(compiler).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{compiler}` is not installed: install the Debian package `{package}` (apt-get install {package}); .ci/run does this"
        ),
        Err(e) => panic!("{compiler}: {e}"),
    }
}

fn export(rec: &Path, to: &str, out: &Path) {
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", to, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "export {to} of {}: {}", rec.display(), String::from_utf8_lossy(&o.stderr));
}

const LIVE_SCRIPT: &str = "\
wsastartup
socket tcp as s
ioctlsocket s FIONBIO 1
connect s @accept
select write=s except=s timeout=2000
getsockopt s SO_ERROR
getpeername s
connect s @accept
connect s @accept
mark refused
socket tcp as f
ioctlsocket f FIONBIO 1
connect f @refuse
wait f failed
select read=f write=f except=f timeout=2000
getsockopt f SO_ERROR
getsockopt f SO_ERROR
wsapoll f timeout=0
epoll f timeout=0
wsaeventselect f FD_CONNECT
connectex f @accept
mark udp
socket udp as u
connect u @echo
send u \"hello\"
select read=u timeout=2000
recv u
getsockopt u SO_BROADCAST
setsockopt u SO_BROADCAST 1
getsockopt u SO_BROADCAST
shutdown s both
closesocket s
closesocket f
closesocket u
";

/// `127.0.0.1:7001` -> `@accept` for every target address of the recording and of today.
fn normalise(line: &str, addrs: &[(String, SocketAddr)]) -> String {
    let mut s = line.to_string();
    for (name, a) in addrs {
        s = s.replace(&a.to_string(), &format!("@{name}"));
    }
    s
}

#[test]
fn the_posix_program_prints_the_recordings_linux_column() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("session.lab");
    std::fs::write(&lab, LIVE_SCRIPT).unwrap();
    let rec = dir.path().join("session.ndjson");
    let o = socklab(&["run", lab.to_str().unwrap(), "--net", "live", "--record", rec.to_str().unwrap()]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "the live session failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let c = dir.path().join("session.c");
    export(&rec, "c-posix", &c);
    let bin = dir.path().join("session");
    let cc = compile("gcc", "gcc", &["-Wall", "-Werror", "-o", bin.to_str().unwrap(), c.to_str().unwrap()]);
    assert!(cc.status.success(), "gcc -Wall -Werror:\n{}", String::from_utf8_lossy(&cc.stderr));

    // socklab's targets, started here; the program is pointed at them.
    let targets = Targets::start_all(TargetsConfig::default()).expect("targets on loopback");
    let header = read_prefix(std::io::BufReader::new(std::fs::File::open(&rec).unwrap())).unwrap().header;
    let mut addrs = Vec::new();
    let mut args = Vec::new();
    for t in TargetName::ALL {
        let today = targets.addr(t.name()).expect("target running");
        let name = &t.name()[1..];
        args.push(format!("{name}={today}"));
        addrs.push((name.to_string(), today));
        if let Some(a) = header.facts.targets.get(name).and_then(|a| a.v4) {
            addrs.push((name.to_string(), a));
        }
    }
    let run = Command::new(&bin).args(&args).output().expect("the program runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let got: Vec<String> = stdout.lines().filter(|l| !l.starts_with('#')).map(|l| normalise(l, &addrs)).collect();
    let want: Vec<String> =
        posix_expected(record::open(&rec).unwrap()).unwrap().iter().map(|l| normalise(l, &addrs)).collect();
    assert!(want.len() >= 20, "{want:#?}");
    assert_eq!(got, want, "the C program's answers differ from the recording's linux column:\n{stdout}");
    // Calls without a POSIX counterpart are comments.
    for c in ["WSAStartup", "WSAEventSelect", "ConnectEx"] {
        assert!(stdout.lines().any(|l| l.starts_with('#') && l.contains(c)), "no comment for {c}:\n{stdout}");
    }
    assert!(stdout.contains("connect -> -1 EINPROGRESS (115)"), "{stdout}");
    assert!(
        stdout.contains("getpeername -> 0  @accept") || stdout.contains(&format!("getpeername -> 0  {}", addrs[0].1)),
        "{stdout}"
    );

    // The Winsock program of the same session passes MinGW's syntax check.
    let w = dir.path().join("session_winsock.c");
    export(&rec, "c-winsock", &w);
    let o = compile("x86_64-w64-mingw32-gcc", "mingw-w64", &["-fsyntax-only", "-Wall", "-Werror", w.to_str().unwrap()]);
    assert!(o.status.success(), "x86_64-w64-mingw32-gcc -fsyntax-only:\n{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&w).unwrap();
    for f in
        ["WSAStartup(MAKEWORD(2, 2)", "ioctlsocket(", "WSAPoll(", "WSAEventSelect(", "load_connectex(", "closesocket("]
    {
        assert!(text.contains(f), "the Winsock program lacks {f}");
    }
}

#[test]
fn every_shipped_recording_exports_to_c_that_compiles() {
    let dir = tempfile::tempdir().unwrap();
    for rec in shipped() {
        let stem = rec.file_stem().unwrap().to_string_lossy().into_owned();
        let p = dir.path().join(format!("{stem}.c"));
        export(&rec, "c-posix", &p);
        let o = compile("gcc", "gcc", &["-fsyntax-only", "-Wall", "-Wextra", "-Werror", p.to_str().unwrap()]);
        assert!(o.status.success(), "{stem} (POSIX):\n{}", String::from_utf8_lossy(&o.stderr));
        let w = dir.path().join(format!("{stem}_winsock.c"));
        export(&rec, "c-winsock", &w);
        let o =
            compile("x86_64-w64-mingw32-gcc", "mingw-w64", &["-fsyntax-only", "-Wall", "-Werror", w.to_str().unwrap()]);
        assert!(o.status.success(), "{stem} (Winsock):\n{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn the_exported_script_reproduces_each_shipped_recording() {
    let dir = tempfile::tempdir().unwrap();
    for rec in shipped() {
        let stem = rec.file_stem().unwrap().to_string_lossy().into_owned();
        let lab = dir.path().join(format!("{stem}.lab"));
        export(&rec, "script", &lab);
        let again = dir.path().join(format!("{stem}.ndjson"));
        let o = socklab(&["run", lab.to_str().unwrap(), "--net", "sim", "--record", again.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{stem}: the exported script's expectations fail:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Same calls, same answers: the re-recorded session equals the original, entry for entry
        // (the call's text aside: the export writes each call rebuilt from the parsed call,
        // never the recorded text).
        let a = read_prefix(std::io::BufReader::new(std::fs::File::open(&rec).unwrap())).unwrap();
        let b = read_prefix(std::io::BufReader::new(std::fs::File::open(&again).unwrap())).unwrap();
        let strip = |p: &socklab::session::record::Prefix| -> Vec<socklab::session::record::Entry> {
            p.entries
                .iter()
                .map(|e| match e.clone() {
                    socklab::session::record::Entry::Call(mut c) => {
                        c.line = None;
                        c.text.clear();
                        socklab::session::record::Entry::Call(c)
                    }
                    socklab::session::record::Entry::Wait(mut w) => {
                        w.line = None;
                        socklab::session::record::Entry::Wait(w)
                    }
                    socklab::session::record::Entry::Marker(mut m) => {
                        m.line = None;
                        socklab::session::record::Entry::Marker(m)
                    }
                    other => other,
                })
                .collect()
        };
        assert_eq!(strip(&a), strip(&b), "{stem}");
    }
}

#[test]
fn the_markdown_handout_has_a_table_per_call_and_the_transitions() {
    let rec = shipped().into_iter().find(|p| p.ends_with("refused_connect.ndjson")).unwrap();
    let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md"]);
    assert!(o.status.success());
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(md.starts_with("# socklab: "), "{md}");
    let calls = read_prefix(std::io::BufReader::new(std::fs::File::open(&rec).unwrap()))
        .unwrap()
        .entries
        .iter()
        .filter(|e| e.kind() == "call")
        .count();
    assert_eq!(md.matches("| personality | returns | error | value | state | rule |").count(), calls);
    assert!(md.contains("| winsock | 1 | - | read= write= except=f |"), "{md}");
    assert!(md.contains("pending → failed"), "{md}");
    assert!(md.contains("## select"), "markers are headings: {md}");
    assert!(md.contains("WSAECONNREFUSED (10061)"), "{md}");
    // A `|` inside a cell is escaped.
    assert!(md.contains("POLLIN\\|POLLOUT"), "{md}");
    let mut sink = std::io::sink();
    sink.write_all(md.as_bytes()).unwrap();
}

/// Every view marks an assumed answer `?`, the handout too: a row's rule cell ends in ` ?`
/// exactly when the rule is assumed for that row's personality.
#[test]
fn the_markdown_handout_marks_assumed_answers() {
    use socklab::core::personality::PersonalityId;
    // The shipped recordings, and a session that meets assumed rules (TCP send on Winsock,
    // setsockopt of a read-only option).
    let dir = std::env::temp_dir().join(format!("socklab-md-assumed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("assumed.lab");
    std::fs::write(&script, "socket tcp as s\nconnect s @accept\nsend s \"x\"\nsetsockopt s SO_ERROR 1\n").unwrap();
    let own = dir.join("assumed.ndjson");
    let _ = std::fs::remove_file(&own);
    let o = socklab(&["run", script.to_str().unwrap(), "--net", "sim", "--record", own.to_str().unwrap()]);
    assert!(own.is_file(), "the session was recorded: {o:?}");
    let mut assumed_rows = 0;
    for rec in shipped().into_iter().chain([own]) {
        let o = socklab(&["export", rec.to_str().unwrap(), "--to", "md"]);
        assert!(o.status.success(), "{}", rec.display());
        let md = String::from_utf8_lossy(&o.stdout);
        for row in md.lines().filter(|l| l.starts_with("| ") && l.ends_with(" |")) {
            let inner = &row[2..row.len() - 2];
            let Some(p) = inner.split(" | ").next().and_then(PersonalityId::from_name) else { continue };
            let last = inner.rsplit(" | ").next().unwrap();
            let (rule, marked) = match last.strip_suffix(" ?") {
                Some(r) => (r, true),
                None => (last, false),
            };
            let Some(_) = socklab::core::rules::find(rule) else { continue };
            let want = socklab::core::rules::assumed(rule, p);
            assert_eq!(marked, want, "{}: `{row}`: rule {rule} assumed for {p}: {want}", rec.display());
            assumed_rows += usize::from(want);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(assumed_rows > 0, "no recording has an assumed answer to check");
}
