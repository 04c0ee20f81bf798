//! Fuzz targets (issue 14, "keep it found"), on the stable toolchain: a seeded mutator over
//! the shipped inputs (scripts, recordings, themes, the config) feeds each target for a
//! bounded time, and each target checks more than "no panic":
//!
//! - `script_parser`: every call the parser accepts is written back by `unparse::call_line`
//!   and parses to the same call; errors name a line within the input.
//! - `recording_reader`: reading, replaying (headless transcript) and every export of a
//!   mutated recording never panic; the script export writes one command per recorded step and
//!   no control character; the Markdown has no unescaped markup character; the C exports
//!   contain no recorded string outside a comment or string literal, and some of them are
//!   compiled with `gcc -Wall -Werror` / `x86_64-w64-mingw32-gcc -Wall -Werror`.
//! - `theme_loading`, `config_loading`: any text gives a theme or an error, a config with
//!   warnings.
//!
//! `cargo test --test fuzz` runs each target for `SOCKLAB_FUZZ_SECS` seconds (default 2: what
//! CI spends). Longer runs: `SOCKLAB_FUZZ_SECS=600 cargo test --release --test fuzz --
//! --nocapture` (see docs/fuzzing.md, which records the hours run and what was found). A
//! crashing input is saved under `target/fuzz-crashes/` and named in the failure;
//! `SOCKLAB_FUZZ_SEED` picks another seed. Inputs that once failed are kept in
//! `tests/fuzz_regressions/` and checked by every run.

mod common;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use socklab::core::call::{Call, SockRef};
use socklab::script::ast::StmtKind;
use socklab::script::parse::{Names, decode_script, parse_line, parse_script};
use socklab::script::term::is_unsafe_char;
use socklab::script::unparse::call_line;
use socklab::session::export::{Format, export};
use socklab::session::record::{Entry, Reader};

// ---------------------------------------------------------------------------------------------
// The mutator
// ---------------------------------------------------------------------------------------------

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// Tokens that have broken parsers, escapers and converters before.
const INTERESTING: &[&str] = &[
    "\"",
    "\\",
    "\\\n",
    "*/",
    "/*",
    "??/",
    "??=",
    "\n",
    "\r",
    "\u{1b}[2J",
    "\u{9b}",
    "\u{202e}",
    "\0",
    "#",
    "`",
    "<script>",
    "|",
    "=",
    ",",
    ":",
    "@",
    "[",
    "]",
    "{",
    "}",
    "-1",
    "0",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1e30",
    "NaN",
    "inf",
    "-0.0",
    "\\u{110000}",
    "\\x80",
    "\\u{",
    "é",
    "\u{fffd}",
    "\u{feff}",
    "null",
    "true",
    "[]",
    "{}",
    "\"t\":1e400",
    "\"socklab_recording\":1",
    "timeout=",
    "namelen=",
    "data=",
    "send=",
    "#-9223372036854775808",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = INTERESTING[rng.below(INTERESTING.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                let piece = v[a..b].to_vec();
                v.splice(at..at, piece);
            }
            4 => {
                // Splice in part of another seed.
                let s = &seeds[rng.below(seeds.len())];
                if !s.is_empty() {
                    let a = rng.below(s.len());
                    let b = (a + rng.below(200)).min(s.len());
                    v.splice(at..at, s[a..b].iter().copied());
                }
            }
            5 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = [b'"', b'\\', b'\n', b'#', b'0', b'9', b'-', b'{', 0xff, 0xc3][rng.below(10)];
            }
            _ => {
                let t = INTERESTING[rng.below(INTERESTING.len())].as_bytes();
                let end = (at + t.len()).min(v.len());
                v.splice(at..end, t.iter().copied());
            }
        }
    }
    v.truncate(1 << 16);
    v
}

fn read_dir(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn budget() -> Duration {
    let secs = std::env::var("SOCKLAB_FUZZ_SECS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(2.0);
    Duration::try_from_secs_f64(secs.clamp(0.1, 86_400.0)).unwrap_or(Duration::from_secs(2))
}

fn seed() -> u64 {
    std::env::var("SOCKLAB_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x005e_ed14)
}

/// Feed `target` mutated inputs for the budget; a panic saves the input and fails the test.
/// `target` says whether the input went deep (a header that parsed, text that decoded): only
/// those join the corpus, so the corpus does not fill with inputs rejected at the first byte.
/// One base in four is an original seed.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, mut target: impl FnMut(&[u8]) -> bool) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(seed() | 1);
    let limit = budget();
    let start = socklab::net::live::Stopwatch::start();
    let mut runs = 0u64;
    let mut deep = 0u64;
    let mut corpus = seeds.clone();
    while start.elapsed() < limit {
        let base = if rng.below(4) == 0 {
            seeds[rng.below(seeds.len())].clone()
        } else {
            corpus[rng.below(corpus.len())].clone()
        };
        let input = mutate(&mut rng, &seeds, &base);
        let went_deep = match catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(d) => d,
            Err(_) => {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join(format!("{name}-{:016x}", rng.next()));
                std::fs::write(&path, &input).unwrap();
                panic!("{name}: crash after {runs} inputs; the input is saved in {}", path.display());
            }
        };
        runs += 1;
        if went_deep {
            deep += 1;
            // Keep some deep mutants as new bases, bounded; the seeds stay.
            if deep % 7 == 0 {
                if corpus.len() < 256 {
                    corpus.push(input);
                } else {
                    let i = seeds.len() + rng.below(corpus.len() - seeds.len());
                    corpus[i] = input;
                }
            }
        }
    }
    println!(
        "fuzz {name}: {runs} inputs ({deep} past the first check) in {:.1} s, no crash",
        start.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

fn script_seeds() -> Vec<Vec<u8>> {
    let mut s = read_dir("tests/scenarios", "lab");
    s.extend(read_dir("recordings", "lab"));
    s
}

/// Names a script defines (for re-parsing one of its calls alone).
fn defined(src: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Ok(stmts) = parse_script(src) {
        for st in stmts {
            if let StmtKind::Call(
                Call::Socket { name, .. }
                | Call::Accept { name, .. }
                | Call::Pipe { name }
                | Call::CreateIoCompletionPort { name }
                | Call::SocketAf { name, .. },
            ) = st.kind
            {
                names.insert(name);
            } else if let StmtKind::Call(
                Call::WsaRecv { ov: Some(name), .. }
                | Call::WsaSend { ov: Some(name), .. }
                | Call::WsaSendTo { ov: Some(name), .. }
                | Call::WsaRecvFrom { ov: Some(name), .. }
                | Call::GetOverlappedResult { ov: Some(name), .. }
                | Call::PostQueuedCompletionStatus { overlapped: Some(name), .. },
            ) = st.kind
            {
                // iocp2: `ov=NAME` defines an OVERLAPPED name.
                names.insert(name);
            }
        }
    }
    names
}

fn check_script(bytes: &[u8]) -> bool {
    let Ok(src) = decode_script(bytes) else { return false };
    let lines = src.lines().count().max(1);
    match parse_script(src) {
        Err(errors) => {
            for e in errors {
                assert!(e.line >= 1 && e.line <= lines, "error on line {} of {lines}: {e}", e.line);
                assert!(e.message.len() < 4096, "a {} byte message", e.message.len());
            }
        }
        Ok(stmts) => {
            let all = defined(src);
            for st in stmts {
                let StmtKind::Call(call) = &st.kind else { continue };
                let line =
                    call_line(call).unwrap_or_else(|e| panic!("the parser made a call it cannot write: {e}: {call:?}"));
                assert!(!line.contains('\n') && !line.chars().any(is_unsafe_char), "{line:?}");
                let own = match call {
                    Call::Socket { name, .. }
                    | Call::Accept { name, .. }
                    | Call::Pipe { name }
                    | Call::CreateIoCompletionPort { name }
                    | Call::SocketAf { name, .. } => Some(name.as_str()),
                    _ => None,
                };
                let mut names: Names = all.iter().filter(|n| Some(n.as_str()) != own).cloned().collect();
                let back = parse_line(&line, 1, &mut names).unwrap_or_else(|e| panic!("`{line}` does not parse: {e}"));
                match back.map(|s| s.kind) {
                    Some(StmtKind::Call(c)) => assert_eq!(&c, call, "`{line}` parses to another call"),
                    other => panic!("`{line}` parses to {other:?}"),
                }
            }
        }
    }
    true
}

#[test]
fn fuzz_script_parser() {
    fuzz("script_parser", script_seeds(), check_script);
}

/// Every string of a recording (header fields, labels, texts, names): what a crafted file
/// controls.
fn recorded_strings(bytes: &[u8]) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push(k.clone());
                walk(x, out)
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for line in String::from_utf8_lossy(bytes).lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            walk(&v, &mut out);
        }
    }
    out
}

struct Compiles {
    left: usize,
    dir: tempfile::TempDir,
}

fn compile_ok(c: &Compiles, src: &str, posix: bool) {
    let path = c.dir.path().join(if posix { "f.c" } else { "w.c" });
    std::fs::write(&path, src).unwrap();
    let (cc, pkg) = if posix { ("gcc", "gcc") } else { ("x86_64-w64-mingw32-gcc", "mingw-w64") };
    let o = Command::new(cc)
        .args(["-Wall", "-Werror", "-fsyntax-only", path.to_str().unwrap()])
        .output()
        .unwrap_or_else(|e| panic!("{cc}: {e}: install the Debian package {pkg} (.ci/run does)"));
    assert!(o.status.success(), "{cc} -Wall -Werror:\n{}\n{src}", String::from_utf8_lossy(&o.stderr));
}

fn check_recording(bytes: &[u8], compiles: &mut Compiles) -> bool {
    let Ok(reader) = Reader::new(Cursor::new(bytes)) else { return false };
    let mut calls = 0usize;
    let mut steps = 0usize;
    for e in reader {
        match e {
            Ok(Entry::Call(_)) => {
                calls += 1;
                steps += 1;
            }
            Ok(Entry::Wait(_) | Entry::Marker(_)) => steps += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = socklab::script::replay::replay(Reader::new(Cursor::new(bytes)).unwrap(), false, &mut std::io::sink());
    let crafted: Vec<String> = recorded_strings(bytes)
        .into_iter()
        .filter(|s| s.chars().count() >= 4 && s.contains([';', '(', ')', '{', '}', '*', '/', '\\', '"', '\n', '#']))
        .collect();
    for format in [Format::Markdown, Format::Script, Format::CPosix, Format::CWinsock] {
        let mut out = Vec::new();
        if export(Reader::new(Cursor::new(bytes)).unwrap(), format, &mut out).is_err() {
            continue;
        }
        let text = String::from_utf8(out).expect("exports are UTF-8");
        match format {
            Format::Markdown => {
                for line in text.lines() {
                    assert!(!line.chars().any(is_unsafe_char), "control character in the handout: {line:?}");
                    let chars: Vec<char> = line.chars().collect();
                    for (k, &c) in chars.iter().enumerate() {
                        if matches!(c, '`' | '<' | '[') {
                            assert!(k > 0 && chars[k - 1] == '\\', "unescaped `{c}`: {line}");
                        }
                    }
                }
            }
            Format::Script => {
                let commands = text
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.starts_with("expect ") && !l.trim().is_empty())
                    .count();
                assert!(commands <= steps, "{commands} commands for {steps} recorded steps:\n{text}");
                assert!(!text.chars().any(|c| is_unsafe_char(c) && c != '\n'), "{text}");
            }
            Format::CPosix | Format::CWinsock => {
                let code = common::c_code_only(&text);
                for s in &crafted {
                    assert!(!code.contains(s.as_str()), "a recorded string is C code: {s:?}\n{text}");
                }
                if calls > 0 && compiles.left > 0 {
                    compiles.left -= 1;
                    compile_ok(compiles, &text, format == Format::CPosix);
                }
            }
        }
    }
    steps > 0
}

#[test]
fn fuzz_recording_reader_and_exports() {
    // Compiling takes most of a short run: two programs in CI's two seconds, six in a long run.
    let left = if budget() < Duration::from_secs(10) { 2 } else { 6 };
    let mut compiles = Compiles { left, dir: tempfile::tempdir().unwrap() };
    fuzz("recording_reader", read_dir("recordings", "ndjson"), |b| check_recording(b, &mut compiles));
}

/// Inputs a fuzz target once failed on (`tests/fuzz_regressions/TARGET-*.`), checked again.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut compiles = Compiles { left: 2, dir: tempfile::tempdir().unwrap() };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        if name.starts_with("recording_reader-") {
            check_recording(&bytes, &mut compiles);
        } else if name.starts_with("script_parser-") {
            check_script(&bytes);
        } else {
            panic!("{name}: no target of that name");
        }
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
}

#[test]
fn fuzz_theme_loading() {
    fuzz("theme_loading", read_dir("themes", "toml"), |b| {
        socklab::ui::theme::Theme::from_toml(&String::from_utf8_lossy(b)).is_ok()
    });
}

#[test]
fn fuzz_config_loading() {
    let seeds = vec![
        b"theme = \"light\"\nmouse = true\n[keys]\nquit = \"q\"\nconnect = \"ctrl-c\"\n".to_vec(),
        b"theme = \"themes/x.toml\"\n[keys]\nhelp = \"F1\"\nnext = \"alt-j\"\n".to_vec(),
    ];
    fuzz("config_loading", seeds, |b| {
        let c = socklab::app::config::Config::parse(&String::from_utf8_lossy(b));
        !c.warnings.iter().any(|w| w.starts_with("config file ignored"))
    });
}

/// A raw descriptor parses as the platform would: unparse keeps its value.
#[test]
fn raw_descriptors_round_trip_at_the_extremes() {
    for v in [i64::MIN, -1, 0, i64::MAX] {
        let c = Call::Close { sock: SockRef::Raw(v) };
        let line = call_line(&c).unwrap();
        let mut names = Names::default();
        let back = parse_line(&line, 1, &mut names).unwrap().unwrap();
        assert_eq!(back.kind, StmtKind::Call(c));
    }
}
