//! Winsock judges the `windows` model: every scenario (tests/scenarios/), every Windows
//! conformance file that runs live (tests/windows/, not `# sim-only`), every shipped recording
//! (recordings/) and the Winsock C programs exported from the recordings run under Wine, with
//! the Winsock agent (agent/socklab-agent.c, built here with MinGW) performing each call on
//! Wine's ws2_32.
//!
//! Wine is not Windows. Every place where Wine's answer differs from the `windows` model must
//! be listed in tests/wine/departures.toml: a known Wine departure (with the Wine version and the
//! evidence that real Windows answers as the model does), or, where nothing public says what
//! Windows answers, an `assumed` entry: the model's rule marks its windows answer assumed (`?`)
//! and the entry names the experiment on Windows that decides it. Anything else fails this test,
//! and so does a listed entry that no longer happens.
//!
//! Without Wine the judged tests print that they were skipped; with `SOCKLAB_REQUIRE_WINE=1`
//! (set by .ci/run, which installs Wine) a missing Wine fails them instead.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Deserialize;

use socklab::core::codes::Code;
use socklab::core::format::value_text;
use socklab::core::personality::PersonalityId;
use socklab::core::profile::Profile;
use socklab::net::live::agent::WinsockAgent;
use socklab::net::live::judge::{LiveFacts, start_targets};
use socklab::net::live::targets::Targets;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, Report, run};
use socklab::session::lab::{Lab, Until};
use socklab::session::record::{Cond, Entry, WaitSpec, read_prefix};

/// A blocking connect longer than this is ended in the agent: Windows gives up after 21 s,
/// Wine on Linux after about 130 s (the host's SYN retries).
const BLOCK_LIMIT: Duration = Duration::from_secs(25);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// Wine and the agent
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Wine {
    /// The wine64 loader.
    wine: PathBuf,
    prefix: PathBuf,
    agent: PathBuf,
    version: String,
}

impl Wine {
    /// The command that starts `exe` under Wine, quiet, in socklab's own prefix.
    fn command(&self, exe: &Path) -> Vec<String> {
        vec![
            "env".into(),
            format!("WINEPREFIX={}", self.prefix.display()),
            "WINEDEBUG=-all".into(),
            self.wine.display().to_string(),
            exe.display().to_string(),
        ]
    }

    fn command_line(&self, exe: &Path) -> String {
        self.command(exe).iter().map(|w| format!("'{}'", w.replace('\'', "'\\''"))).collect::<Vec<_>>().join(" ")
    }
}

fn find_wine() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOCKLAB_WINE") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["wine64", "wine"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    // Debian's wine64 package keeps its loader off PATH.
    let debian = PathBuf::from("/usr/lib/wine/wine64");
    debian.is_file().then_some(debian)
}

/// Wine, a prefix for socklab and the agent built with MinGW; `None` (with the reason printed)
/// when this host has no Wine.
fn wine() -> Option<&'static Wine> {
    static WINE: OnceLock<Option<Wine>> = OnceLock::new();
    WINE.get_or_init(|| {
        let required = std::env::var_os("SOCKLAB_REQUIRE_WINE").is_some_and(|v| v == "1");
        let Some(loader) = find_wine() else {
            assert!(!required, "SOCKLAB_REQUIRE_WINE=1 but Wine was not found (install wine64: .ci/run does)");
            eprintln!(
                "SKIPPED: Wine is not installed here, so the Winsock agent cannot judge the windows model \
                 (apt-get install wine64 mingw-w64; CI installs both and always runs these tests)"
            );
            return None;
        };
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wine");
        std::fs::create_dir_all(&dir).expect("a directory for Wine");
        let agent = match std::env::var_os("SOCKLAB_AGENT_EXE") {
            Some(p) => PathBuf::from(p),
            None => {
                let exe = dir.join("socklab-agent.exe");
                build_exe(&root().join("agent/socklab-agent.c"), &exe);
                exe
            }
        };
        // .ci/run prepares one in the build directory; otherwise the test makes its own.
        let prefix = std::env::var_os("WINEPREFIX").map(PathBuf::from).unwrap_or_else(|| dir.join("prefix"));
        let version = Command::new(&loader)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        if !prefix.join("drive_c").is_dir() {
            if let Some(parent) = prefix.parent() {
                std::fs::create_dir_all(parent).expect("the Wine prefix's directory");
            }
            // Once: Wine builds its prefix (about 10 s).
            let o = Command::new(&loader)
                .args(["wineboot", "-i"])
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                .output()
                .expect("wineboot runs");
            assert!(o.status.success() && prefix.join("drive_c").is_dir(), "wineboot -i made no prefix: {o:?}");
        }
        eprintln!("Wine: {} ({version}), prefix {}", loader.display(), prefix.display());
        Some(Wine { wine: loader, prefix, agent, version })
    })
    .as_ref()
}

/// Build a Winsock program with MinGW, warnings as errors.
fn build_exe(src: &Path, exe: &Path) {
    let o = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(exe)
        .arg(src)
        .args(["-lws2_32", "-lmswsock"])
        .output()
        .unwrap_or_else(|e| panic!("x86_64-w64-mingw32-gcc (apt-get install mingw-w64; .ci/run does): {e}"));
    assert!(o.status.success(), "{}: {}", src.display(), String::from_utf8_lossy(&o.stderr));
}

/// socklab's targets on loopback, a fresh agent under Wine pointed at them, and a lab where
/// the agent judges the `windows` column.
fn judged_lab(w: &Wine) -> (Lab, Arc<Targets>, LiveFacts) {
    let (targets, facts): (Arc<Targets>, LiveFacts) = start_targets().expect("targets on loopback");
    let model_facts = facts.clone();
    let mut agent = WinsockAgent::start(&w.command_line(&w.agent), facts.target_addrs(), Some(Arc::clone(&targets)))
        .expect("the Winsock agent starts under Wine");
    agent.set_block_limit(BLOCK_LIMIT).expect("the agent takes a limit");
    (Lab::new(&[PersonalityId::Windows], Box::new(facts)).with_winsock_judge(Box::new(agent)), targets, model_facts)
}

// ---------------------------------------------------------------------------------------------
// Departures
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Departures {
    #[serde(default)]
    departure: Vec<Departure>,
    #[serde(default)]
    assumed: Vec<Assumed>,
}

/// The model follows the documentation, Wine differs, and nothing public says what real
/// Windows does: the rule marks the windows answer assumed until a run on Windows decides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Assumed {
    file: String,
    line: usize,
    kind: Kind,
    wine: String,
    /// The rule that decides the model's answer; it must list `windows` as assumed.
    rule: String,
    what: String,
    /// What to run on a Windows machine to decide it.
    experiment: String,
    /// Wine answers so only some of the time (a race in Wine): not reported when absent.
    #[serde(default)]
    flaky: bool,
}

/// Where Wine differs from real Windows, with the evidence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Departure {
    file: String,
    line: usize,
    kind: Kind,
    wine: String,
    what: String,
    evidence: String,
    /// Wine answers so only some of the time (a race in Wine): not reported when absent.
    #[serde(default)]
    flaky: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// The model's answer to a call differs from Winsock's.
    Disagreement,
    /// A scenario's `expect windows:` fails on Winsock's answer.
    Expectation,
    /// The exported Winsock C program printed something else than the `windows` column.
    Export,
}

fn departures() -> Departures {
    let path = root().join("tests/wine/departures.toml");
    let text = std::fs::read_to_string(&path).expect("tests/wine/departures.toml");
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One thing Wine's answers and the model's expectations did not agree on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Problem {
    file: String,
    line: usize,
    kind: Kind,
    message: String,
}

/// Check problems found in `files` against the departures file: every problem is listed, and
/// every entry for these files still happens.
fn check_problems(files: &[String], kinds: &[Kind], problems: &[Problem]) {
    let (unexplained, stale) = off_the_departures(&departures(), files, kinds, problems);
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "Wine and the windows model disagree where tests/wine/departures.toml says nothing \
         (a model bug, or a Wine departure to list with its evidence):\n{}\n\nstale entries:\n{}",
        unexplained.join("\n"),
        stale.join("\n")
    );
}

/// Where `problems` (found in `files`, of `kinds`) are off the departures file: the problems it
/// does not list, and the entries it lists, not marked flaky, that did not happen.
fn off_the_departures(
    d: &Departures,
    files: &[String],
    kinds: &[Kind],
    problems: &[Problem],
) -> (Vec<String>, Vec<String>) {
    let listed: BTreeSet<(String, usize, Kind)> =
        listed_entries(d).into_iter().filter(|(f, _, k)| files.contains(f) && kinds.contains(k)).collect();
    let found: BTreeSet<(String, usize, Kind)> = problems.iter().map(|p| (p.file.clone(), p.line, p.kind)).collect();
    let unexplained = problems
        .iter()
        .filter(|p| !listed.contains(&(p.file.clone(), p.line, p.kind)))
        .map(|p| format!("{}:{} ({:?}): {}", p.file, p.line, p.kind, p.message))
        .collect();
    let flaky = flaky_entries(d);
    let stale = listed
        .iter()
        .filter(|k| !found.contains(*k) && !flaky.contains(*k))
        .map(|(f, l, k)| format!("{f}:{l} ({k:?}) is listed but Wine and the model now agree there: remove it"))
        .collect();
    (unexplained, stale)
}

/// Every (file, line, kind) the departures file lists, departure or assumed.
fn listed_entries(d: &Departures) -> BTreeSet<(String, usize, Kind)> {
    d.departure
        .iter()
        .map(|e| (e.file.clone(), e.line, e.kind))
        .chain(d.assumed.iter().map(|e| (e.file.clone(), e.line, e.kind)))
        .collect()
}

/// The entries marked flaky: Wine differs there only some of the time.
fn flaky_entries(d: &Departures) -> BTreeSet<(String, usize, Kind)> {
    d.departure
        .iter()
        .filter(|e| e.flaky)
        .map(|e| (e.file.clone(), e.line, e.kind))
        .chain(d.assumed.iter().filter(|e| e.flaky).map(|e| (e.file.clone(), e.line, e.kind)))
        .collect()
}

/// `line N: ...` at the start of a report sentence.
fn line_of(s: &str) -> usize {
    s.strip_prefix("line ").and_then(|r| r.split(':').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

fn problems_of(file: &str, report: &Report) -> Vec<Problem> {
    let mut out = Vec::new();
    for d in &report.disagreements {
        out.push(Problem { file: file.into(), line: line_of(d), kind: Kind::Disagreement, message: d.clone() });
    }
    for f in &report.failures {
        out.push(Problem { file: file.into(), line: line_of(f), kind: Kind::Expectation, message: f.clone() });
    }
    out
}

#[test]
fn the_departures_file_gives_evidence_for_every_entry() {
    let d = departures();
    for e in &d.departure {
        assert!(!e.wine.trim().is_empty(), "{}:{}: no Wine version", e.file, e.line);
        assert!(!e.what.trim().is_empty(), "{}:{}: says nothing about what differs", e.file, e.line);
        // Evidence is Wine's own conformance test (run on real Windows) or a public report.
        assert!(
            e.evidence.contains("dlls/ws2_32/tests/sock.c") || e.evidence.contains("https://"),
            "{}:{}: the evidence must cite dlls/ws2_32/tests/sock.c (a todo_wine line, or a check Windows passes) or link a public report",
            e.file,
            e.line
        );
        assert!(root().join(&e.file).is_file(), "{}: no such file", e.file);
    }
    for a in &d.assumed {
        assert!(!a.wine.trim().is_empty(), "{}:{}: no Wine version", a.file, a.line);
        assert!(!a.what.trim().is_empty(), "{}:{}: says nothing about what differs", a.file, a.line);
        assert!(!a.experiment.trim().is_empty(), "{}:{}: no experiment to decide it on Windows", a.file, a.line);
        assert!(root().join(&a.file).is_file(), "{}: no such file", a.file);
        // The answer nobody has verified must be shown as such: `?` in every view.
        assert!(socklab::core::rules::find(&a.rule).is_some(), "{}:{}: no rule {}", a.file, a.line, a.rule);
        assert!(
            socklab::core::rules::assumed(&a.rule, PersonalityId::Windows),
            "{}:{}: rule {} must list windows as assumed (src/core/rules.rs) while nothing public decides it",
            a.file,
            a.line,
            a.rule
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios and recordings, judged
// ---------------------------------------------------------------------------------------------

fn lab_files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// An upper bound on how long a call blocked, missed by less than 20 ms: under Wine every
/// Winsock call is a round trip to the wineserver, which a loaded machine delays. The
/// semantics (the call did not block, or blocked about so long) are met.
fn timing_noise(failure: &str) -> bool {
    let Some(rest) = failure.split("expected the call to block < ").nth(1) else { return false };
    let mut nums = rest.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()).map(|w| w.parse::<u64>());
    match (nums.next(), nums.next()) {
        (Some(Ok(bound)), Some(Ok(got))) => got < bound + 20,
        _ => false,
    }
}

#[test]
fn only_small_misses_of_an_upper_time_bound_are_timing_noise() {
    assert!(timing_noise(
        "line 9: `expect elapsed < 1` failed for windows: expected the call to block < 1 ms, it blocked 2 ms"
    ));
    assert!(!timing_noise(
        "line 9: `expect elapsed < 1` failed for windows: expected the call to block < 1 ms, it blocked 2000 ms"
    ));
    assert!(!timing_noise("line 8: failed for windows: expected the call to block >= 2000 ms, it blocked 0 ms"));
    assert!(!timing_noise("line 5: expected error WSAEFAULT (10014), got 0"));
}

/// Run a scenario judged by Winsock. An expectation counts against Wine only when the model
/// alone, on the same live facts, meets it: expectations that name lab ports (7001-7007) fail
/// for everybody when another program holds those ports, and say nothing about Wine.
fn run_scenario(w: &Wine, file: &Path) -> (Report, String) {
    let src = std::fs::read_to_string(file).expect("readable");
    let stmts = parse_script(&src).expect("scenario parses");
    let (mut lab, _targets, facts) = judged_lab(w);
    let mut model_only = Lab::new(&[PersonalityId::Windows], Box::new(facts));
    let alone = run(&stmts, &mut model_only, Output::Single, &mut std::io::sink()).expect("write to nothing");
    let mut out = Vec::new();
    let mut report = run(&stmts, &mut lab, Output::Single, &mut out).expect("write to memory");
    let failed_alone: BTreeSet<usize> = alone.failures.iter().map(|f| line_of(f)).collect();
    report.failures.retain(|f| !failed_alone.contains(&line_of(f)) && !timing_noise(f));
    (report, String::from_utf8_lossy(&out).into_owned())
}

/// Every file of `files` run through its own agent under Wine, at once (they wait on the
/// network, not the CPU): each must be judged, and every difference must be a listed departure.
fn judge_files(w: &'static Wine, files: &[PathBuf], what: &str) {
    let handles: Vec<_> =
        files.iter().cloned().map(|p| std::thread::spawn(move || (p.clone(), run_judged_file(w, &p)))).collect();
    let d = departures();
    let mut problems = Vec::new();
    let mut judged = 0;
    let mut transcripts = String::new();
    for h in handles {
        let (path, (report, transcript)) = h.join().expect("a judged file's thread");
        let (report, transcript) =
            rerun_if_unlisted(&rel(&path), &d, (report, transcript), || run_judged_file(w, &path));
        judged += report.judged;
        assert!(report.judged > 0, "{}: Winsock judged nothing:\n{transcript}", path.display());
        problems.extend(problems_of(&rel(&path), &report));
        if !report.disagreements.is_empty() || !report.failures.is_empty() {
            transcripts.push_str(&format!("\n== {}\n{transcript}", rel(&path)));
        }
    }
    eprintln!("Winsock ({}) judged {judged} calls of {} {what}", w.version, files.len());
    if std::env::var_os("SOCKLAB_WINE_TRANSCRIPTS").is_some() {
        eprintln!("{transcripts}");
    }
    assert!(judged > 150, "Winsock judged only {judged} calls");
    let names: Vec<String> = files.iter().map(|p| rel(p)).collect();
    check_problems(&names, &[Kind::Disagreement, Kind::Expectation], &problems);
}

/// How many times in all a file may run when its runs show differences the departures file does
/// not list.
const RUNS_FOR_UNLISTED: usize = 3;

/// The run of `file` to judge: the first, unless it showed a difference the departures file does
/// not list, or missed a listed one not marked flaky; then the file runs again (at most
/// `RUNS_FOR_UNLISTED` runs in all), and the first run without either is taken. Wine 8.0 races
/// its host's resets and the @reset target's timing (tests/wine/departures.toml marks such
/// lines flaky), and a race the file has not met before would otherwise fail the suite on one
/// run in many. A model bug differs on every run, so it still fails; the lines that differed
/// only once are printed, to be listed as flaky.
fn rerun_if_unlisted(
    file: &str,
    d: &Departures,
    first: (Report, String),
    mut again: impl FnMut() -> (Report, String),
) -> (Report, String) {
    let files = [file.to_string()];
    let off = |r: &Report| -> Vec<String> {
        let (unlisted, missed) =
            off_the_departures(d, &files, &[Kind::Disagreement, Kind::Expectation], &problems_of(file, r));
        unlisted.into_iter().chain(missed).collect()
    };
    let mut current = first;
    for run in 2..=RUNS_FOR_UNLISTED {
        let diffs = off(&current.0);
        if diffs.is_empty() {
            break;
        }
        eprintln!(
            "{file}: run {} of at most {RUNS_FOR_UNLISTED} is off the departures file; running it again:\n  {}",
            run - 1,
            diffs.join("\n  ")
        );
        current = again();
        if off(&current.0).is_empty() {
            eprintln!("{file}: run {run} matched the departures file: mark the lines above flaky");
        }
    }
    current
}

#[test]
fn a_file_differing_once_where_nothing_is_listed_is_run_again_and_a_steady_difference_is_kept() {
    let d: Departures = toml::from_str(
        "[[departure]]\nfile = \"f.lab\"\nline = 3\nkind = \"disagreement\"\nwine = \"8.0\"\n\
         what = \"w\"\nevidence = \"e\"\n",
    )
    .expect("a departures file");
    let report = |lines: &[usize]| Report {
        disagreements: lines.iter().map(|l| format!("line {l}: `connect c @reset`: windows: differs")).collect(),
        judged: 1,
        ..Report::default()
    };
    // Only listed lines: no second run.
    let mut runs = 0;
    let (r, _) = rerun_if_unlisted("f.lab", &d, (report(&[3]), "first".into()), || {
        runs += 1;
        (report(&[]), String::new())
    });
    assert_eq!((runs, r.disagreements.len()), (0, 1));
    // An unlisted line on the first run only: the second run, which agrees, is the one judged.
    let mut runs = 0;
    let (r, t) = rerun_if_unlisted("f.lab", &d, (report(&[7]), "first".into()), || {
        runs += 1;
        (report(&[3]), "second".into())
    });
    assert_eq!((runs, t.as_str(), r.disagreements.len()), (1, "second", 1));
    // An unlisted line on every run: the last run is kept, so check_problems fails on it.
    let mut runs = 0;
    let (r, _) = rerun_if_unlisted("f.lab", &d, (report(&[7]), "first".into()), || {
        runs += 1;
        (report(&[7]), "again".into())
    });
    assert_eq!(runs, RUNS_FOR_UNLISTED - 1);
    assert_eq!(line_of(&r.disagreements[0]), 7);
    // A listed line (not flaky) missing on the first run: run again, and the run that has it is judged.
    let mut runs = 0;
    let (r, _) = rerun_if_unlisted("f.lab", &d, (report(&[]), "first".into()), || {
        runs += 1;
        (report(&[3]), "second".into())
    });
    assert_eq!((runs, r.disagreements.len()), (1, 1));
}

#[test]
fn winsock_under_wine_judges_every_scenario() {
    let Some(w) = wine() else { return };
    let files = lab_files("tests/scenarios", "lab");
    assert!(files.len() >= 17, "{files:?}");
    judge_files(w, &files, "scenarios");
}

/// A `# KEY: value` header line of a conformance file.
fn header(src: &str, key: &str) -> Option<String> {
    src.lines()
        .filter_map(|l| l.trim().strip_prefix('#'))
        .find_map(|l| l.trim().strip_prefix(key).and_then(|rest| rest.strip_prefix(':')).map(|v| v.trim().to_string()))
}

/// Whether Winsock could not bind a fixed port of the file that the model bound: another program
/// on this host held it (other test runs use the same files), which says nothing about Wine.
fn port_taken(report: &Report) -> bool {
    report
        .disagreements
        .iter()
        .any(|d| d.contains("`bind ") && d.contains("model expected success, Winsock answered WSAEADDRINUSE"))
}

/// Run a scenario or conformance file judged by Winsock; a file whose fixed port another program held is run
/// again (at most five times in all, 20 s apart: tests/windows_conformance.rs, which cargo runs
/// just before this file, and other test runs on this host use the same ports, and a connection
/// they closed holds its port in TIME_WAIT for 60 s, which Wine's bind does not reuse) and fails
/// if the port stays taken.
fn run_judged_file(w: &Wine, file: &Path) -> (Report, String) {
    const ATTEMPTS: u64 = 5;
    for attempt in 1..=ATTEMPTS {
        let (report, transcript) = run_scenario(w, file);
        if !port_taken(&report) {
            return (report, transcript);
        }
        eprintln!("{}: a fixed port was taken by another program (attempt {attempt} of {ATTEMPTS})", rel(file));
        if attempt < ATTEMPTS {
            std::thread::sleep(Duration::from_secs(20));
        }
    }
    panic!("{}: another program kept holding the file's fixed port; run again when it is free", rel(file));
}

/// The Windows conformance files (tests/windows/, each built from a test function of Wine's
/// sock.c) judged by Winsock under Wine: their `expect windows:` lines hold what Windows
/// answers, so where Wine answers otherwise sock.c usually marks the check `todo_wine`, and the
/// departures file cites that line. A file that cannot run live (`# sim-only:`) is not run here
/// either.
#[test]
fn winsock_under_wine_judges_every_windows_conformance_file() {
    let Some(w) = wine() else { return };
    let files: Vec<PathBuf> = lab_files("tests/windows", "lab")
        .into_iter()
        .filter(|p| header(&std::fs::read_to_string(p).expect("readable"), "sim-only").is_none())
        .collect();
    assert!(files.len() >= 20, "{files:?}");
    judge_files(w, &files, "conformance files");
}

/// The statements the agent once reported "not made" are now made by it: a short optlen and
/// namelen, a pipe (a handle that is no socket), and `after MS CALL` (the agent's second thread
/// closes the socket while a blocking connect waits on it, which ends the connect early).
#[test]
fn the_agent_makes_short_lengths_pipes_and_calls_from_a_second_thread() {
    use socklab::script::ast::StmtKind;
    use socklab::session::lab::KernelAnswer;
    let Some(w) = wine() else { return };
    let (mut lab, _targets, _) = judged_lab(w);
    let src = "socket tcp as t\n\
               setsockopt t TCP_NODELAY 1 optlen=0\n\
               getsockopt t SO_KEEPALIVE optlen=1\n\
               bind t 127.0.0.1:0\n\
               getsockname t namelen=15\n\
               getsockname t namelen=16\n\
               pipe as p\n\
               getsockname p\n\
               socket tcp as s\n\
               after 300 closesocket s\n\
               connect s @pending\n";
    let stmts = parse_script(src).expect("parses");
    let mut answers = Vec::new();
    for st in &stmts {
        let StmtKind::Call(call) = &st.kind else { continue };
        let rec = lab.call(call).first().expect("one personality").clone();
        answers.push((st.text.clone(), rec.kernel.clone().expect("the agent judges")));
    }
    let performed = |i: usize| match &answers[i].1 {
        KernelAnswer::Performed { error, elapsed, .. } => (*error, *elapsed),
        other => panic!("`{}` was not made by the agent: {other:?}", answers[i].0),
    };
    // optlen 0 for TCP_NODELAY: too short on Windows and under Wine alike.
    assert_eq!(performed(1).0, Some(Code::WSAEFAULT), "{:?}", answers[1]);
    assert_eq!(performed(2).0, None, "a 1-byte SO_KEEPALIVE is accepted: {:?}", answers[2]);
    assert_eq!(performed(4).0, Some(Code::WSAEFAULT), "namelen one byte short: {:?}", answers[4]);
    assert_eq!(performed(5).0, None, "{:?}", answers[5]);
    assert_eq!(performed(6).0, None, "CreatePipe: {:?}", answers[6]);
    // A pipe is no socket: Windows says WSAENOTSOCK, Wine 8.0 WSAEOPNOTSUPP (a listed departure).
    assert!(performed(7).0.is_some(), "getsockname on a pipe failed: {:?}", answers[7]);
    assert!(matches!(answers[9].1, KernelAnswer::NotPerformed { .. }), "`after` itself is no Winsock call");
    let (error, elapsed) = performed(10);
    assert!(error.is_some(), "the blocking connect failed once its socket was closed: {:?}", answers[10]);
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(10),
        "the connect ended when the second thread closed its socket at 300 ms, not on its own: {elapsed:?}"
    );
}

/// Perform a recording's calls and waits again, with the agent judging the `windows` column.
fn run_recording(w: &Wine, file: &Path) -> (Vec<Problem>, usize) {
    let prefix = read_prefix(std::io::BufReader::new(std::fs::File::open(file).expect("recording")))
        .expect("the recording reads");
    assert!(prefix.error.is_none(), "{}: {:?}", file.display(), prefix.error);
    let (mut lab, _targets, _) = judged_lab(w);
    let name = rel(file);
    let mut problems = Vec::new();
    let mut judged = 0;
    let mut line = 0;
    for e in &prefix.entries {
        match e {
            Entry::Call(c) => {
                line = c.line.unwrap_or(line);
                for r in lab.call(&c.call) {
                    if matches!(r.kernel, Some(socklab::session::lab::KernelAnswer::Performed { .. })) {
                        judged += 1;
                    }
                    if let Some(d) = &r.disagreement {
                        problems.push(Problem {
                            file: name.clone(),
                            line,
                            kind: Kind::Disagreement,
                            message: format!("line {line}: `{}`: {d}", c.text),
                        });
                    }
                }
            }
            Entry::Wait(wait) => {
                line = wait.line.unwrap_or(line);
                let recs = match &wait.wait {
                    WaitSpec::For { ms } => lab.wait_for(Duration::from_secs_f64(ms / 1000.0)),
                    WaitSpec::Until { sock, until } => lab.wait_until(
                        sock,
                        match until {
                            Cond::Connected => Until::Connected,
                            Cond::Failed => Until::Failed,
                            Cond::Event => Until::Event,
                        },
                    ),
                };
                for r in recs {
                    if let Some(d) = r.disagreement {
                        problems.push(Problem {
                            file: name.clone(),
                            line,
                            kind: Kind::Disagreement,
                            message: format!("line {line}: `{}`: {d}", wait.text),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    (problems, judged)
}

#[test]
fn winsock_under_wine_judges_every_shipped_recording() {
    let Some(w) = wine() else { return };
    let files = lab_files("recordings", "ndjson");
    assert!(files.len() >= 6, "{files:?}");
    let handles: Vec<_> =
        files.iter().cloned().map(|p| std::thread::spawn(move || (p.clone(), run_recording(w, &p)))).collect();
    let mut problems = Vec::new();
    for h in handles {
        let (path, (p, judged)) = h.join().expect("recording thread");
        assert!(judged > 5, "{}: Winsock judged only {judged} calls", path.display());
        problems.extend(p);
    }
    let names: Vec<String> = files.iter().map(|p| rel(p)).collect();
    // Disagreements only: a recording has no expectations.
    let names_kinds: Vec<Problem> = problems.into_iter().filter(|p| p.kind == Kind::Disagreement).collect();
    check_problems(&names, &[Kind::Disagreement], &names_kinds);
}

// ---------------------------------------------------------------------------------------------
// Exported Winsock programs, run under Wine
// ---------------------------------------------------------------------------------------------

/// A line of an exported program: `NAME -> RET[ ERROR (N)][  VALUE]`.
fn parse_line(l: &str) -> (String, Option<String>, String) {
    let (head, value) = match l.split_once("  ") {
        Some((h, v)) => (h, v.trim().to_string()),
        None => (l, String::new()),
    };
    let (name, ret) = head.split_once(" -> ").unwrap_or((head, ""));
    let err = ret.split_whitespace().nth(1).map(str::to_string);
    (name.trim().to_string(), err, value)
}

type Expected = ((usize, String), Option<Code>, String);

/// For each call with a Winsock counterpart, in order: its line and text, the `windows`
/// column's error and value.
fn expected_lines(rec: &Path, profile: &Profile) -> Vec<Expected> {
    let prefix = read_prefix(std::io::BufReader::new(std::fs::File::open(rec).unwrap())).unwrap();
    let mut want = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for e in &prefix.entries {
        match e {
            Entry::Call(c) => current = Some((c.line.unwrap_or(0), c.text.clone())),
            Entry::Answer(a) if a.p == PersonalityId::Windows && a.ret != socklab::core::model::Ret::NotApplicable => {
                if let Some(cur) = current.take() {
                    want.push((cur, a.code(), value_text(&a.value, profile)));
                }
            }
            _ => {}
        }
    }
    want
}

#[test]
fn exported_winsock_programs_print_the_windows_column_under_wine() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (targets, facts) = start_targets().expect("targets on loopback");
    let args: Vec<String> = facts.target_addrs().iter().map(|(t, a)| format!("{}={a}", t.name())).collect();
    let profile = Profile::of(PersonalityId::Windows);
    let mut problems = Vec::new();
    let files = lab_files("recordings", "ndjson");
    let mut compared = 0;
    for rec in &files {
        let stem = rec.file_stem().unwrap().to_string_lossy().into_owned();
        let c = dir.path().join(format!("{stem}.c"));
        let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
            .args(["export", rec.to_str().unwrap(), "--to", "c-winsock", "-o", c.to_str().unwrap()])
            .output()
            .expect("socklab export");
        assert!(o.status.success(), "{stem}: {}", String::from_utf8_lossy(&o.stderr));
        let exe = dir.path().join(format!("{stem}.exe"));
        build_exe(&c, &exe);
        let cmd = w.command(&exe);
        // The program's lines, in order, are the calls whose windows answer is not n/a.
        let want = expected_lines(rec, profile);
        // `@slow` lets a client through once armed: armed as soon as the program says it
        // called connect on it, as socklab arms it around its own connects.
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the program runs under Wine");
        let out = child.stdout.take().expect("the program's output");
        let mut all = Vec::new();
        let mut got: Vec<String> = Vec::new();
        for l in std::io::BufRead::lines(std::io::BufReader::new(out)) {
            let l = l.expect("the program's output");
            if !l.starts_with('#') && !l.trim().is_empty() {
                if let Some(((_, text), _, _)) = want.get(got.len()) {
                    if text.starts_with("connect") && text.contains("@slow") {
                        let _ = targets.arm_slow();
                    }
                }
                got.push(l.clone());
            }
            all.push(l);
        }
        let status = child.wait().expect("the program ends");
        let stdout = all.join("\n");
        assert!(status.success(), "{stem} under Wine: {status:?}\n{stdout}");
        assert_eq!(
            got.len(),
            want.len(),
            "{stem}: the program printed {} call lines for {} calls:\n{stdout}",
            got.len(),
            want.len()
        );
        for (g, ((line, text), code, value)) in got.iter().zip(&want) {
            compared += 1;
            let (_, err, v) = parse_line(g);
            let want_err = code.map(|c: Code| c.name().to_string());
            // Addresses and data name this run's ports: compared by the judged runs instead.
            let comparable = !v.contains(':') && !value.contains(':') && !value.starts_with('"');
            if err != want_err || (comparable && v != *value) {
                problems.push(Problem {
                    file: rel(rec),
                    line: *line,
                    kind: Kind::Export,
                    message: format!(
                        "`{text}`: the program printed `{g}`, the windows column holds {want_err:?} `{value}`"
                    ),
                });
            }
        }
    }
    drop(targets);
    assert!(compared > 50, "only {compared} lines compared");
    let names: Vec<String> = files.iter().map(|p| rel(p)).collect();
    check_problems(&names, &[Kind::Export], &problems);
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------

fn socklab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_socklab")).args(args).output().expect("socklab runs")
}

#[test]
fn run_with_a_winsock_judge_shows_its_answers_and_exits_3_on_a_disagreement() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Wine's WSAPoll reports a refused connect as POLLERR alone, the model (as Windows) as
    // POLLWRNORM|POLLHUP|POLLERR: a listed departure, so a disagreement here.
    let script = dir.path().join("poll.lab");
    std::fs::write(
        &script,
        "socket tcp as f\nioctlsocket f FIONBIO 1\nconnect f @refuse\nselect except=f timeout=5000\nwsapoll f timeout=0\n",
    )
    .unwrap();
    let cmd = w.command_line(&w.agent);
    let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", &cmd]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("windows (Winsock)"), "{stdout}");
    assert!(stdout.contains("[windows] MODEL DISAGREES WITH WINSOCK"), "{stdout}");
    assert!(stderr.contains("line 5: `wsapoll f timeout=0`: windows: model expected value"), "{stderr}");
    // Where Wine and the model agree, the run succeeds.
    let calm = dir.path().join("calm.lab");
    std::fs::write(&calm, "socket tcp as s\nioctlsocket s FIONBIO 1\nconnect s @accept\nselect write=s timeout=5000\nexpect select write=s\ngetsockopt s SO_ERROR\nexpect windows: value 0\n").unwrap();
    let o = socklab(&["run", calm.to_str().unwrap(), "--personality", "windows", "--winsock-judge", &cmd]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("live: the kernel and Winsock judged 5 calls, the models disagreed 0 times"), "{stdout}");
}

#[test]
fn a_winsock_judge_needs_the_live_network_and_a_command_that_starts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = dir.path().join("s.lab");
    std::fs::write(&script, "socket tcp as s\n").unwrap();
    let o = socklab(&["run", script.to_str().unwrap(), "--net", "sim", "--winsock-judge", "agent.exe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--winsock-judge needs the live network"));
    let missing = dir.path().join("no-such-agent");
    let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot start the Winsock agent") && err.contains("no-such-agent"), "{err}");
    let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", "agent 'unclosed"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unclosed ' quote"));
    // A program that exits without greeting is reported, not waited for.
    let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exited before greeting"));
}

#[test]
fn socklab_targets_prints_every_target_and_serves_them() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["targets", "--for-secs", "20"])
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("socklab targets");
    let out = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(out));
    let mut addrs = std::collections::HashMap::new();
    for l in lines.by_ref() {
        let l = l.unwrap();
        if l.starts_with("serving") {
            break;
        }
        if let Some(rest) = l.strip_prefix('@') {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap().to_string();
            let addr: std::net::SocketAddr = words.next().unwrap().parse().expect("an address");
            assert!(addr.ip().is_loopback(), "{l}");
            addrs.insert(name, addr);
        }
    }
    for t in ["accept", "refuse", "pending", "slow", "reset", "echo", "sink"] {
        assert!(addrs.contains_key(t), "no @{t}: {addrs:?}");
    }
    // @accept accepts; @refuse refuses.
    let ok = std::net::TcpStream::connect_timeout(&addrs["accept"], Duration::from_secs(5));
    assert!(ok.is_ok(), "@accept: {ok:?}");
    let refused = std::net::TcpStream::connect_timeout(&addrs["refuse"], Duration::from_secs(5));
    assert_eq!(refused.map(|_| ()).unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    // A line on standard input arms @slow.
    use std::io::Write as _;
    child.stdin.as_mut().unwrap().write_all(b"\n").unwrap();
    child.stdin.as_mut().unwrap().flush().unwrap();
    let armed = lines.next().expect("a line").unwrap();
    assert_eq!(armed, "@slow armed");
    let _ = child.kill();
    let _ = child.wait();
}

/// Run `call` on the agent on a thread of its own and give it up 500 ms later, as the TUI's Esc
/// does: the agent back, what the call ended with, what the give-up did, and how long it took.
fn give_up_after_500_ms(
    mut agent: Box<dyn socklab::session::lab::Kernel>,
    call: &socklab::core::call::Call,
) -> (Box<dyn socklab::session::lab::Kernel>, socklab::session::lab::KernelDone, String, Duration) {
    use socklab::session::lab::KernelJob;
    let job = KernelJob::Call(call.clone());
    let stop = agent.interrupter(&job).expect("the agent's blocking call can be given up");
    let clock = socklab::net::live::Stopwatch::start();
    let (agent, done, what) = std::thread::scope(|s| {
        let h = s.spawn(move || {
            let done = job.run(&mut *agent);
            (agent, done)
        });
        std::thread::sleep(Duration::from_millis(500));
        let what = stop.interrupt();
        let (agent, done) = h.join().expect("the job's thread");
        (agent, done, what)
    });
    (agent, done, what, clock.elapsed())
}

/// The TUI's Esc reaches the agent's own blocked call: the agent's stdin thread makes the
/// give-up requests (`now shutdown S 2`, and for a connect `now close S`) while its main thread
/// blocks, so the call ends at once, as the kernel's does (tests/live_scenarios.rs), instead of
/// at the agent's own limit (8 s here for a connect; 10 s for a recv or an accept).
#[test]
fn esc_reaches_the_agents_own_blocked_call() {
    use socklab::core::call::Call;
    use socklab::session::lab::{Kernel, KernelAnswer, KernelDone};
    let Some(w) = wine() else { return };
    let (targets, facts) = start_targets().expect("targets on loopback");
    let mut agent = WinsockAgent::start(&w.command_line(&w.agent), facts.target_addrs(), Some(Arc::clone(&targets)))
        .expect("the Winsock agent starts under Wine");
    agent.set_block_limit(Duration::from_secs(8)).expect("the agent takes a limit");
    let mut agent: Box<dyn Kernel> = Box::new(agent);
    let calls = common::calls_of(
        "socket tcp as s\nconnect s @pending\nsocket tcp as c\nconnect c @accept\nrecv c\nclosesocket c\n\
         socket tcp as l\nbind l 127.0.0.1:0\nlisten l\naccept l as a\n",
    );
    let mut given_up = Vec::new();
    for call in calls {
        let blocks = matches!(&call, Call::Recv { .. } | Call::Accept { .. })
            || matches!(&call, Call::Connect { addr, .. } if format!("{addr:?}").contains("Pending"));
        if !blocks {
            let a = agent.perform(&call);
            assert!(matches!(a, KernelAnswer::Performed { error: None, .. }), "{call:?}: {a:?}");
            continue;
        }
        let (k, done, what, took) = give_up_after_500_ms(agent, &call);
        agent = k;
        eprintln!("{call:?}: {what}: {done:?} after {took:?}");
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(5),
            "{call:?} ended when Esc reached the agent at 500 ms, not at the agent's limit: {took:?}"
        );
        given_up.push((call, done));
    }
    // The connect's socket was closed under it: Wine answers 995, Windows WSAEINTR (a listed
    // departure, scenario 18).
    let KernelDone::Call(KernelAnswer::Performed { error, .. }) = &given_up[0].1 else {
        panic!("the connect was not made: {:?}", given_up[0])
    };
    assert!(error.is_some(), "the connect failed once its socket was closed: {:?}", given_up[0]);
    // The recv is made after the shutdown (it no longer blocks); socklab then closes c.
    assert!(matches!(given_up[1].1, KernelDone::Call(KernelAnswer::Performed { .. })), "{:?}", given_up[1]);
    // Winsock refuses to shut a listener down: the agent gives up on the accept, and says so.
    let KernelDone::Call(KernelAnswer::NotPerformed { why }) = &given_up[2].1 else { panic!("{:?}", given_up[2]) };
    assert!(why.contains("given up (Esc)"), "{why}");
    drop(targets);
}

/// esc3: Esc ends the agent's select, WSAPoll and GetQueuedCompletionStatus too, at once rather
/// than at their own timeout (20 s here), without touching the script's socket or port: the
/// select and the WSAPoll also watch a wake socket of the agent's own, the
/// GetQueuedCompletionStatus gets a completion packet of the agent's own, and the call is
/// answered as given up (not made), never as Winsock's answer. The socket then reads nothing
/// (the wake datagram went elsewhere) and the port hands back the script's packet, not the wake.
#[test]
fn esc_ends_the_agents_select_wsapoll_and_gqcs() {
    use socklab::core::call::Call;
    use socklab::core::model::{Ret, Value};
    use socklab::session::lab::{Kernel, KernelAnswer, KernelDone};
    let Some(w) = wine() else { return };
    let (targets, facts) = start_targets().expect("targets on loopback");
    let agent = WinsockAgent::start(&w.command_line(&w.agent), facts.target_addrs(), Some(Arc::clone(&targets)))
        .expect("the Winsock agent starts under Wine");
    let mut agent: Box<dyn Kernel> = Box::new(agent);
    let calls = common::calls_of(
        "socket udp as u\nbind u 127.0.0.1:0\ncreateiocompletionport as port\n\
         select read=u timeout=20000\nwsapoll u events=POLLRDNORM timeout=20000\n\
         getqueuedcompletionstatus port timeout=20000\n\
         select read=u timeout=0\nselect write=u timeout=0\n\
         postqueuedcompletionstatus port key=7 bytes=3\ngetqueuedcompletionstatus port timeout=0\n\
         getqueuedcompletionstatus port timeout=0\n",
    );
    let mut answers = Vec::new();
    for call in calls {
        let waits = matches!(
            &call,
            Call::Select { timeout: Some(t), .. } | Call::Poll { timeout: Some(t), .. }
                | Call::GetQueuedCompletionStatus { timeout: Some(t), .. } if !t.is_zero()
        );
        if !waits {
            answers.push((call.clone(), agent.perform(&call)));
            continue;
        }
        let (k, done, what, took) = give_up_after_500_ms(agent, &call);
        agent = k;
        eprintln!("{call:?}: {what}: {done:?} after {took:?}");
        assert!(what.contains("agent's own") && what.contains("ended its wait"), "{call:?}: {what}");
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(5),
            "{call:?} ended when Esc reached the agent at 500 ms, not at its 20 s timeout: {took:?}"
        );
        let KernelDone::Call(KernelAnswer::NotPerformed { why }) = &done else {
            panic!("{call:?}: given up, not answered as Winsock's own answer: {done:?}")
        };
        assert!(why.contains("given up (Esc)"), "{call:?}: {why}");
        answers.push((call, KernelAnswer::NotPerformed { why: why.clone() }));
    }
    let ret = |i: usize| match &answers[i].1 {
        KernelAnswer::Performed { ret, error: None, value, .. } => (*ret, value.clone()),
        other => panic!("{:?}: {other:?}", answers[i].0),
    };
    // u is still the script's, open and with nothing to read.
    assert_eq!(ret(6).0, Ret::Int(0), "select read=u: the wake datagram was not u's: {:?}", answers[6]);
    assert_eq!(ret(7).0, Ret::Int(1), "select write=u: u is still open: {:?}", answers[7]);
    // The port hands back the script's packet; no wake packet is left behind for it.
    assert_eq!(ret(9).0, Ret::Bool(true), "{:?}", answers[9]);
    let Value::Packet { key, bytes, overlapped } = ret(9).1 else { panic!("{:?}", answers[9]) };
    assert_eq!((key, bytes, overlapped), (Some(7), Some(3), None), "{:?}", answers[9]);
    let KernelAnswer::Performed { ret: Ret::Bool(false), error, .. } = &answers[10].1 else {
        panic!("nothing more queued: {:?}", answers[10])
    };
    assert!(error.is_some(), "WAIT_TIMEOUT: {:?}", answers[10]);
    drop(targets);
}

/// The kernel and Winsock under Wine share this host's ports: a script's fixed-port `bind`,
/// `listen` and `connect`, judged by both, once made the two judges race for the port, and
/// whichever lost answered an address in use, a disagreement in its column at random. Now the
/// kernel binds first, the agent's bind is reported as not made (the kernel's socket holds the
/// port), and so is its listen on that socket: no disagreement, the same every time.
#[test]
fn a_fixed_port_under_both_judges_is_the_kernels_every_time() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cmd = w.command_line(&w.agent);
    for run in 1..=3 {
        // A port free right now for this host (the judges' own sockets then claim it).
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = dir.path().join(format!("fixed{run}.lab"));
        std::fs::write(
            &script,
            format!(
                "socket tcp as s\nbind s 127.0.0.1:{port}\nlisten s 5\nsocket tcp as c\nconnect c 127.0.0.1:{port}\n"
            ),
        )
        .unwrap();
        let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", &cmd]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "run {run}:\n{stdout}\n{stderr}");
        assert!(
            // bind and listen; and (esc3) the agent's connect, which would reach the kernel's listener.
            stdout.contains("the models disagreed 0 times; 3 calls were not made for real"),
            "run {run}:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("[windows] Winsock: not called: the agent shares this host (Wine), and the kernel's socket s holds port {port} here")),
            "run {run}:\n{stdout}"
        );
        assert!(
            stdout.contains("[windows] Winsock: not called: an earlier call on this socket was not made by the agent"),
            "run {run}:\n{stdout}"
        );
        // The kernel made every call for real: its listener is in LISTEN, its connect got there.
        assert!(stdout.contains("[linux] kernel: TCP state LISTEN"), "run {run}:\n{stdout}");
        assert!(stdout.contains("[linux] kernel: TCP state ESTABLISHED"), "run {run}:\n{stdout}");
    }
}

/// esc3: a connect to a fixed port under both judges once went to both: the agent's socket is
/// the host's, so its connection reached the kernel's listener too (the agent's own listener
/// there was not made), and the kernel's accept could take the agent's connection, whose data
/// never comes. Now a connect to a port only the kernel's socket holds is made by the kernel
/// alone: the agent's is reported as not made (so are its later calls on that socket, and on
/// the socket its accept did not make), and the kernel's accepted peer is always its own
/// client: the data it sends is what the accepted socket reads, every time.
#[test]
fn a_connect_to_the_kernels_fixed_port_reaches_the_kernels_listener_alone() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cmd = w.command_line(&w.agent);
    for run in 1..=3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = dir.path().join(format!("connect{run}.lab"));
        std::fs::write(
            &script,
            format!(
                "socket tcp as s\nbind s 127.0.0.1:{port}\nlisten s 5\nsocket tcp as c\nconnect c 127.0.0.1:{port}\n\
                 accept s as a\nsend c hi\nrecv a\n"
            ),
        )
        .unwrap();
        let o = socklab(&["run", script.to_str().unwrap(), "--winsock-judge", &cmd]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "run {run}:\n{stdout}\n{stderr}");
        assert!(stdout.contains("the models disagreed 0 times"), "run {run}:\n{stdout}");
        assert!(
            stdout.contains(&format!(
                "[windows] Winsock: not called: the agent shares this host (Wine), and the kernel's socket s holds port {port} here: the Winsock agent's call would reach that socket, not one of its own"
            )),
            "run {run}:\n{stdout}"
        );
        // The kernel's accepted socket reads what the kernel's client sent (a model expects
        // "hi": any other answer of the kernel's is a disagreement, counted above).
        assert!(stdout.contains("[linux] a: readiness POLLIN"), "run {run}:\n{stdout}");
        assert!(
            !stdout.contains("WSAENOTSOCK"),
            "run {run}: the agent's missing `a` is not made, not misjudged:\n{stdout}"
        );
    }
}
