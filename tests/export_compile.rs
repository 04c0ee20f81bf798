//! Property test (issue 14, item 7): random valid sessions, with values at the edges of their
//! C types (option values, raw descriptors, timeouts, waits, hostile text), export to C that
//! compiles with `-Wall -Werror` in both dialects (gcc; x86_64-w64-mingw32-gcc), and the POSIX
//! program runs to its end without a crash or an abort, printing only the recorded calls.
//!
//! Sessions whose values would make the program block for long (huge timeouts, `wait NAME`)
//! are compiled but not run. The case count keeps the test under a minute (`.ci/run` installs
//! both compilers).

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use proptest::prelude::*;

use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::script::parse::{MAX_DURATION_MS, parse_script};
use socklab::script::run::{Output, run_recorded};
use socklab::session::export::{Format, export};
use socklab::session::lab::Lab;
use socklab::session::record::{Header, Network, Reader, Recorder, Tap};

const NAMES: &[&str] = &["a", "b", "c"];

fn sock(runnable: bool) -> BoxedStrategy<String> {
    let raw: &'static [i64] = if runnable {
        &[-1, 0, 5, 1023, 1024, 99_999, i64::MAX, i64::MIN]
    } else {
        &[-1, 0, 5, 1023, 1024, 65_536, 2_147_483_647, 2_147_483_648, i64::MAX, i64::MIN]
    };
    prop_oneof![
        6 => (0..NAMES.len()).prop_map(|i| NAMES[i].to_string()),
        1 => (0..raw.len()).prop_map(move |i| format!("#{}", raw[i])),
    ]
    .boxed()
}

fn list(runnable: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(sock(runnable), 0..3).prop_map(|v| v.join(","))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("hello".to_string()),
        Just(r#""*\\\n/ system(\"x\"); /*""#.to_string()),
        Just(r#""??/ ??= \x1b[2J \u{202e} é \0 \r\t""#.to_string()),
        Just(r#""*/ /* // `x` <b> | #""#.to_string()),
        "[a-z]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn value() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::from(i32::MIN)),
        Just(-1),
        Just(0),
        Just(1),
        Just(65_535),
        Just(65_536),
        Just(i64::from(i32::MAX)),
        -5i64..5000,
    ]
}

fn timeout(runnable: bool) -> BoxedStrategy<String> {
    if runnable {
        prop_oneof![Just("0".to_string()), (1u64..30).prop_map(|ms| ms.to_string())].boxed()
    } else {
        prop_oneof![
            Just("inf".to_string()),
            Just(MAX_DURATION_MS.to_string()),
            Just("2147483s".to_string()),
            (0u64..5000).prop_map(|ms| ms.to_string()),
        ]
        .boxed()
    }
}

fn line(runnable: bool) -> BoxedStrategy<String> {
    let s = || sock(runnable);
    let opts = [
        "SO_BROADCAST",
        "SO_REUSEADDR",
        "SO_ERROR",
        "SO_SNDTIMEO",
        "SO_LINGER",
        "TCP_NODELAY",
        "SO_CONNECT_TIME",
        "TCP_MAXRT",
        "TCP_SYNCNT",
        "IPV6_V6ONLY",
        "SO_KEEPALIVE",
        "SO_UPDATE_CONNECT_CONTEXT",
        "SO_BSP_STATE",
    ];
    let opt = (0..opts.len()).prop_map(move |i| opts[i]);
    let addr = prop_oneof![
        Just("@accept".to_string()),
        Just("@refuse".to_string()),
        Just("@echo".to_string()),
        Just("127.0.0.1:1".to_string()),
        Just("[::1]:1".to_string()),
        Just("0.0.0.0:0".to_string()),
        Just("null".to_string()),
        Just("af_unspec".to_string()),
        Just("127.0.0.1:1 namelen=4294967295".to_string()),
        Just("127.0.0.1:1 namelen=3".to_string()),
        Just("af=57005".to_string()),
    ];
    let fionbio = if runnable { Just("1").boxed() } else { prop_oneof![Just("1"), Just("0")].boxed() };
    let wait = if runnable {
        (0u64..20).prop_map(|ms| format!("wait {ms}")).boxed()
    } else {
        prop_oneof![
            Just(format!("wait {MAX_DURATION_MS}")),
            (0usize..3).prop_map(|i| format!("wait {} failed", NAMES[i])),
            (0usize..3).prop_map(|i| format!("wait {} event", NAMES[i])),
        ]
        .boxed()
    };
    let alarm = if runnable { Just(5u64).boxed() } else { prop_oneof![Just(MAX_DURATION_MS), Just(0u64)].boxed() };
    prop_oneof![
        (s(), fionbio).prop_map(|(s, v)| format!("ioctlsocket {s} FIONBIO {v}")),
        (s(), opt.clone(), value()).prop_map(|(s, o, v)| format!("setsockopt {s} {o} {v}")),
        (s(), opt.clone()).prop_map(|(s, o)| format!("getsockopt {s} {o}")),
        (s(), addr.clone()).prop_map(|(s, a)| format!("bind {s} {}", a.split(' ').next().unwrap_or_default())),
        (s(), prop_oneof![Just(i32::MIN), Just(0), Just(5), Just(i32::MAX)])
            .prop_map(|(s, b)| format!("listen {s} {b}")),
        (s(), addr.clone()).prop_map(|(s, a)| format!("connect {s} {a}")),
        (s(), addr.clone(), text()).prop_map(|(s, a, t)| format!("wsaconnect {s} {a} data={t} sqos")),
        // esc3: an lpCalleeData buffer.
        (s(), addr.clone(), 0u32..=4096).prop_map(|(s, a, n)| format!("wsaconnect {s} {a} callee={n}")),
        // esc3: a timeval written field by field (a runnable program never waits a second).
        (
            s(),
            list(runnable),
            prop_oneof![Just(-1i64), Just(0i64), Just(if runnable { 0 } else { 2_147_483_648 })],
            prop_oneof![Just(-1i64), Just(0i64), Just(999i64), Just(if runnable { -5 } else { 1_000_000 })]
        )
            .prop_map(|(s, w, sec, usec)| format!("select read={s} write={w} tv_sec={sec} tv_usec={usec}")),
        (s(), addr.clone(), text()).prop_map(|(s, a, t)| format!("connectex {s} {a} send={t}")),
        (list(runnable), list(runnable), list(runnable), timeout(runnable))
            .prop_map(|(r, w, x, t)| format!("select read={r} write={w} except={x} timeout={t}")),
        (s(), timeout(runnable)).prop_map(|(s, t)| format!("wsapoll {s} timeout={t}")),
        (
            s(),
            timeout(runnable),
            prop_oneof![
                Just("0"),
                Just("POLLRDNORM|POLLWRNORM"),
                Just("POLLIN|POLLPRI|POLLOUT|POLLERR|POLLHUP|POLLNVAL|POLLWRBAND|POLLRDBAND|POLLRDHUP")
            ]
        )
            .prop_map(|(s, t, m)| format!("wsapoll {s} timeout={t} events={m}")),
        (s(), timeout(runnable)).prop_map(|(s, t)| format!("epoll {s} timeout={t}")),
        s().prop_map(|s| format!("wsaeventselect {s} FD_CONNECT|FD_WRITE")),
        s().prop_map(|s| format!("wsaasyncselect {s} all")),
        s().prop_map(|s| format!("wsaenumnetworkevents {s}")),
        s().prop_map(|s| format!("getsockname {s}")),
        s().prop_map(|s| format!("getpeername {s}")),
        s().prop_map(|s| format!("getsockname {s} name=null")),
        (s(), opt.clone()).prop_map(|(s, o)| format!("setsockopt {s} {o} optval=null")),
        // args2: NULL length pointers, a NULL optval with a length.
        s().prop_map(|s| format!("getpeername {s} namelen=null")),
        (0u32..3, timeout(runnable)).prop_map(|(n, t)| format!("wsapoll null n={n} timeout={t}")),
        // args3: sets present but empty; a mask per entry with raw descriptors.
        timeout(runnable).prop_map(|t| format!("select read= except= timeout={t}")),
        (s(), timeout(runnable))
            .prop_map(|(s, t)| format!("wsapoll {s}:POLLIN,#-1:POLLERR,#11250859:POLLIN timeout={t}")),
        (s(), opt.clone()).prop_map(|(s, o)| format!("getsockopt {s} {o} optlen=null")),
        (s(), opt, 0u32..12).prop_map(|(s, o, n)| format!("setsockopt {s} {o} optval=null optlen={n}")),
        (s(), text()).prop_map(|(s, t)| format!("send {s} {t}")),
        (s(), text()).prop_map(|(s, t)| format!("sendto {s} 127.0.0.1:1 {t}")),
        s().prop_map(|s| format!("recv {s}")),
        s().prop_map(|s| format!("recvfrom {s}")),
        // wsaio3: WSASendTo / WSARecvFrom, plain (sendto, sendmsg, recvfrom, recvmsg on POSIX) or
        // overlapped, and gather buffers.
        (s(), text()).prop_map(|(s, t)| format!("wsasendto {s} 127.0.0.1:1 {t} overlapped=NULL")),
        (s(), any::<bool>()).prop_map(|(s, b)| format!(
            "wsasendto {s} 127.0.0.1:1 hello overlapped=NULL bufs=2,3{}",
            if b { " bytes=NULL" } else { "" }
        )),
        (s(), any::<bool>()).prop_map(|(s, r)| format!(
            "wsasendto {s} 127.0.0.1:1 hi bytes=NULL ov=w2{}",
            if r { " routine" } else { "" }
        )),
        s().prop_map(|s| format!("wsarecvfrom {s} overlapped=NULL")),
        s().prop_map(|s| format!("wsarecvfrom {s} overlapped=NULL bufs=4,5")),
        s().prop_map(|s| format!("wsarecvfrom {s} ov=r2 bufs=4,5")),
        s().prop_map(|s| format!("wsasend {s} deadbeefs bufs=4,5")),
        (1u32..=64, any::<bool>()).prop_map(|(n, a)| format!(
            "getqueuedcompletionstatusex port count={n} timeout=0{}",
            if a { " alertable" } else { "" }
        )),
        s().prop_map(|s| format!("shutdown {s} both")),
        s().prop_map(|s| format!("closesocket {s}")),
        text().prop_map(|t| format!("mark {t}")),
        wait,
        alarm.prop_map(|ms| format!("alarm {ms}")),
        Just("wsastartup 1.1".to_string()),
        // winapi-ov: the OVERLAPPED, its results and a completion port (`port`, made first).
        (s(), addr.clone()).prop_map(|(s, a)| format!("connectex {s} {a} overlapped=NULL")),
        s().prop_map(|s| format!("overlapped {s} set=0xdeadbeef")),
        s().prop_map(|s| format!("getoverlappedresult {s}")),
        s().prop_map(|s| format!("wsagetoverlappedresult {s}")),
        s().prop_map(|s| format!("createiocompletionport {s} port key=125")),
        s().prop_map(|s| format!("disconnectex {s} reuse")),
        s().prop_map(|s| format!("disconnectex {s} overlapped=NULL")),
        (s(), s()).prop_map(|(l, s)| format!("acceptex {l} {s}")),
        // acceptex2: AcceptEx's lengths, GetAcceptExSockaddrs, CancelIo(Ex), WSAAccept.
        (s(), s()).prop_map(|(l, s)| format!("acceptex {l} {s} recv=16 local=0 remote=44")),
        (s(), s()).prop_map(|(l, s)| format!("acceptex {l} {s} recv=16 buffer=NULL")),
        s().prop_map(|s| format!("getacceptexsockaddrs {s}")),
        s().prop_map(|s| format!("cancelio {s}")),
        s().prop_map(|s| format!("cancelioex {s}")),
        s().prop_map(|s| format!("wsaaccept {s} cf=defer")),
        s().prop_map(|s| format!("wsaaccept {s}")),
        s().prop_map(|s| format!("setsockopt {s} SO_UPDATE_ACCEPT_CONTEXT 1")),
        s().prop_map(|s| format!("wsarecv {s}")),
        s().prop_map(|s| format!("wsasend {s} hi")),
        timeout(runnable).prop_map(|t| format!("getqueuedcompletionstatus port timeout={t}")),
        // iocp2: packets of the script's own, and closing the port.
        (0u32..1000).prop_map(|n| format!("postqueuedcompletionstatus port key=456 bytes={n} ov=r2")),
        Just("postqueuedcompletionstatus port key=1 bytes=0".to_string()),
        Just("closehandle port".to_string()),
        (s(), any::<bool>()).prop_map(|(s, r)| format!("wsarecv {s} ov=r1{}", if r { " routine" } else { "" })),
        s().prop_map(|s| format!("wsasend {s} hi ov=w1 routine")),
        s().prop_map(|s| format!("getoverlappedresult {s} ov=r1")),
        Just("sleepex 0 alertable".to_string()),
        s().prop_map(|s| format!("wsarecv {s} bufs=4,5")),
        Just("socket udp af=57005".to_string()),
        // abort: SO_LINGER written as the structure (the abortive close).
        s().prop_map(|s| format!("setsockopt {s} SO_LINGER 1,0")),
    ]
    .boxed()
}

fn session(runnable: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(line(runnable), 1..25).prop_map(|lines| {
        let mut s = String::from(
            "socket tcp as a\nioctlsocket a FIONBIO 1\nsocket udp as b\nioctlsocket b FIONBIO 1\nsocket tcp v6 as c\nioctlsocket c FIONBIO 1\ncreateiocompletionport as port\n",
        );
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s
    })
}

/// Record a script on the simulated network.
fn recorded(script: &str) -> Vec<u8> {
    let stmts =
        parse_script(script).unwrap_or_else(|e| panic!("the generator wrote an invalid script: {e:?}\n{script}"));
    let ps = PersonalityId::ALL;
    let tap = Tap::default();
    let mut lab = Lab::new(ps, tap.facts(Box::new(SimNet)));
    let header = Header::new(ps, Network::Sim, "2026-01-01T00:00:00Z".into(), &SimNet);
    let mut rec = Recorder::with_tap(Vec::new(), &header, tap, None).unwrap();
    run_recorded(&stmts, &mut lab, Output::Json, &mut std::io::sink(), &mut rec).unwrap();
    rec.stop().unwrap()
}

fn exported(rec: &[u8], format: Format) -> String {
    let mut out = Vec::new();
    export(Reader::new(Cursor::new(rec)).unwrap(), format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn compile(compiler: &str, package: &str, args: &[&str]) -> std::process::Output {
    Command::new(compiler)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{compiler}`: {e}: install the Debian package `{package}` (.ci/run does this)"))
}

fn check(dir: &Path, script: &str, runnable: bool) -> Result<(), TestCaseError> {
    let rec = recorded(script);
    let posix = exported(&rec, Format::CPosix);
    let winsock = exported(&rec, Format::CWinsock);
    let pc = dir.join("p.c");
    let wc = dir.join("w.c");
    std::fs::write(&pc, &posix).unwrap();
    std::fs::write(&wc, &winsock).unwrap();
    let exe = dir.join("p");
    let o = compile(
        "gcc",
        "gcc",
        &["-Wall", "-Werror", "-O1", "-D_FORTIFY_SOURCE=2", "-o", exe.to_str().unwrap(), pc.to_str().unwrap()],
    );
    prop_assert!(
        o.status.success(),
        "gcc -Wall -Werror:\n{}\n--- script\n{script}",
        String::from_utf8_lossy(&o.stderr)
    );
    let wo = dir.join("w.o");
    let o = compile(
        "x86_64-w64-mingw32-gcc",
        "mingw-w64",
        &["-Wall", "-Werror", "-c", "-o", wo.to_str().unwrap(), wc.to_str().unwrap()],
    );
    prop_assert!(
        o.status.success(),
        "mingw -Wall -Werror:\n{}\n--- script\n{script}",
        String::from_utf8_lossy(&o.stderr)
    );
    if !runnable {
        return Ok(());
    }
    let mut child = Command::new(&exe)
        .args([
            "accept=127.0.0.1:1",
            "refuse=127.0.0.1:1",
            "pending=127.0.0.1:1",
            "slow=127.0.0.1:1",
            "reset=127.0.0.1:1",
            "echo=127.0.0.1:1",
            "sink=127.0.0.1:1",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = socklab::net::live::Stopwatch::start();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            prop_assert!(false, "the POSIX program did not finish in 20 s\n--- script\n{script}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    prop_assert!(
        out.status.success(),
        "the POSIX program failed ({}):\n{}\n--- script\n{script}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for l in stdout.lines() {
        let call = l.split(" -> ").next().unwrap_or_default();
        prop_assert!(
            l.starts_with('#') || (l.contains(" -> ") && call.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
            "a line that is no recorded call: {l:?}\n--- script\n{script}"
        );
        prop_assert!(!l.chars().any(socklab::script::term::is_unsafe_char), "{l:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn random_sessions_export_to_c_that_compiles_and_runs(script in session(true)) {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), &script, true)?;
    }

    #[test]
    fn sessions_at_the_limits_export_to_c_that_compiles(script in session(false)) {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), &script, false)?;
    }
}
