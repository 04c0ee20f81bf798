//! The lessons, played as a learner plays them: through `LessonRun` and through `socklab learn`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use socklab::core::model::State;
use socklab::learn::lesson;
use socklab::learn::progress::Progress;
use socklab::learn::{LessonRun, StepOutcome};

/// Every lesson, completed by typing exactly what each step asks for.
#[test]
fn every_lesson_can_be_completed() {
    assert!(lesson::all().len() >= 9, "at least nine lessons");
    for (i, l) in lesson::all().iter().enumerate() {
        let mut run = LessonRun::new(l);
        for (k, step) in l.steps.iter().enumerate() {
            assert_eq!(run.step_index(), k);
            assert!(run.instruction().starts_with(&format!("-- Step {} of {} --", k + 1, l.steps.len())));
            for (j, cmd) in step.commands.iter().enumerate() {
                let out = run.feed(cmd);
                let last = j + 1 == step.commands.len();
                match (&out, last) {
                    (StepOutcome::Ran { remaining, .. }, false) => assert_eq!(*remaining, step.commands.len() - j - 1),
                    (StepOutcome::Passed(p), true) => {
                        assert!(p.checks.iter().all(|c| c.ok()));
                        assert!(!p.explanation.trim().is_empty());
                        assert_eq!(p.step, k + 1);
                        assert_eq!(p.lesson_complete.is_some(), k + 1 == l.steps.len());
                        let text = out.to_string();
                        assert!(text.contains("What happened:"), "{text}");
                    }
                    _ => panic!("lesson {} step {} `{cmd}`: {out}", i + 1, k + 1),
                }
            }
        }
        assert!(run.is_finished(), "lesson {}", i + 1);
        assert!(matches!(run.feed("socket tcp as zz"), StepOutcome::Finished));
    }
}

/// Each passed step that ends with an error answer names every personality's answer with its
/// number and the rule that decided it.
#[test]
fn explanations_name_each_personality_by_code_and_number() {
    let l = lesson::by_number(1).unwrap();
    let mut run = LessonRun::resume(l, 3);
    let out = run.feed("connect s @slow");
    let StepOutcome::Passed(p) = &out else { panic!("{out}") };
    let names: Vec<&str> = p.answers.iter().map(|a| a.personality.name()).collect();
    assert_eq!(names, ["linux", "winsock", "windows", "winsock1"]);
    let text = out.to_string();
    assert!(text.contains("EINPROGRESS (115)") && text.contains("WSAEWOULDBLOCK (10035)"), "{text}");
    assert!(text.contains("connect.nonblocking"), "the rule is named: {text}");
}

/// A wrong line gets the step's hint, leaves the lab alone, and the step can then succeed.
#[test]
fn a_wrong_step_gets_a_hint_and_can_then_succeed() {
    let l = lesson::by_number(1).unwrap();
    let mut run = LessonRun::new(l);
    assert!(run.feed("socket tcp as b").passed());

    // Another command: it runs on a copy; the lesson's lab is unchanged.
    let out = run.feed("connect b @refuse");
    let StepOutcome::Different { hint, output } = &out else { panic!("{out}") };
    assert!(hint.contains("connect b @slow"), "{hint}");
    assert!(hint.contains("Right call"), "{hint}");
    assert!(output.contains("ECONNREFUSED"), "shows what the line did: {output}");
    assert_eq!(run.lab().hosts()[0].state("b"), Some(State::Unbound));
    assert_eq!(run.step_index(), 1);

    // A line that does not parse.
    let out = run.feed("conect b @slow");
    let StepOutcome::Invalid { error, hint } = &out else { panic!("{out}") };
    assert!(error.message.contains("connect"), "{}", error.message);
    assert!(!hint.is_empty());

    // A name defined by a rejected line stays undefined.
    assert!(matches!(run.feed("socket tcp as x"), StepOutcome::Different { .. }));
    assert!(matches!(run.feed("connect x @slow"), StepOutcome::Invalid { .. }));

    // The control words.
    let StepOutcome::Info(h) = run.feed("hint") else { panic!() };
    assert!(h.starts_with("Hint:"));
    let StepOutcome::Info(s) = run.feed("show") else { panic!() };
    assert!(s.contains("connect b @slow"), "{s}");
    let StepOutcome::Info(again) = run.feed("") else { panic!() };
    assert!(again.starts_with("-- Step 2 of"), "{again}");
    let StepOutcome::Info(help) = run.feed("help") else { panic!() };
    for w in ["hint", "show", "skip"] {
        assert!(help.contains(w), "{help}");
    }

    // An expect line is a question about the lesson's lab.
    let StepOutcome::Info(q) = run.feed("expect state b unbound") else { panic!() };
    assert!(q.contains("ok"), "{q}");

    // Equivalent spellings are the same command.
    assert!(run.feed("connect b @slow").passed());
    let out = run.feed("socket tcp as s");
    assert!(matches!(out, StepOutcome::Ran { remaining: 1, .. }), "{out}");
    assert!(run.feed("nonblock s on").passed(), "nonblock s on is ioctlsocket s FIONBIO 1");
}

#[test]
fn skip_types_the_step_and_finishes_a_lesson() {
    for l in lesson::all() {
        let mut run = LessonRun::new(l);
        // Type the first command of a multi-command step by hand, skip the rest.
        let mut outcome = None;
        while !run.is_finished() {
            let out = run.feed("skip");
            let StepOutcome::Passed(p) = &out else { panic!("{}: {out}", l.id) };
            assert!(p.skipped);
            outcome = Some(out);
        }
        let text = outcome.unwrap().to_string();
        assert!(text.contains("Lesson complete"), "{text}");
    }
}

#[test]
fn resume_replays_earlier_steps() {
    let l = lesson::by_number(2).unwrap();
    let run = LessonRun::resume(l, 3);
    assert_eq!(run.step_index(), 3);
    assert_eq!(run.lab().hosts()[0].state("s"), Some(State::Pending));
    let mut run = LessonRun::resume(l, 3);
    for step in &l.steps[3..] {
        for c in &step.commands {
            run.feed(c);
        }
    }
    assert!(run.is_finished());
    assert!(LessonRun::resume(l, 999).is_finished());
}

/// docs/lessons.md is generated from the lesson list (`SOCKLAB_BLESS=1` rewrites it).
#[test]
fn lessons_md_matches_the_lessons() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lessons.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let want = socklab::learn::cli::lessons_markdown();
    if doc != want {
        if std::env::var_os("SOCKLAB_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
        } else {
            panic!("docs/lessons.md is out of date; run `SOCKLAB_BLESS=1 cargo test --test learn`");
        }
    }
}

// ---- the command line ----------------------------------------------------------------------

fn socklab(args: &[&str], data: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(args)
        .env("SOCKLAB_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("socklab runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn learn_list_prints_numbered_lessons() {
    let dir = tempfile::tempdir().unwrap();
    let o = socklab(&["learn", "--list"], dir.path(), "");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), lesson::all().len());
    assert_eq!(lines[0], "1  Blocking vs nonblocking connect");
    for (i, l) in lesson::all().iter().enumerate() {
        assert_eq!(lines[i], format!("{}  {}", i + 1, l.title));
    }
}

#[test]
fn learn_one_through_piped_stdin_saves_progress() {
    let dir = tempfile::tempdir().unwrap();
    let l = lesson::by_number(1).unwrap();
    let mut all: Vec<String> = l.steps.iter().flat_map(|s| s.commands.clone()).collect();

    // Half the lesson, with a mistake and a hint on the way; then the input ends.
    let half = l.steps[..3].iter().map(|s| s.commands.len()).sum::<usize>();
    let mut first: Vec<String> = all[..half].to_vec();
    first.insert(1, "connect b @accept".into());
    first.insert(2, "hint".into());
    let o = socklab(&["learn", "1"], dir.path(), &(first.join("\n") + "\n"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("Lesson 1 of"), "{out}");
    assert!(out.contains("Hint:"), "{out}");
    assert!(out.contains("Stopped at step 4"), "{out}");
    let saved = Progress::load(&dir.path().join("progress.toml"));
    assert!(saved.warning.is_none());
    assert_eq!(saved.progress.resume_step("blocking"), 3);

    let listed = text(&socklab(&["learn", "--list"], dir.path(), "").stdout);
    assert!(listed.lines().next().unwrap().contains("stopped at step 4"), "{listed}");

    // Without a number socklab resumes where the learner stopped.
    let rest = all.split_off(half);
    let o = socklab(&["learn"], dir.path(), &(rest.join("\n") + "\n"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("resuming at step 4"), "{out}");
    assert!(out.contains("Lesson complete"), "{out}");
    assert!(out.contains("socklab learn 2"), "{out}");
    let saved = Progress::load(&dir.path().join("progress.toml")).progress;
    assert_eq!(saved.completed, vec!["blocking".to_string()]);
    assert!(saved.current.is_none());
    let listed = text(&socklab(&["learn", "--list"], dir.path(), "").stdout);
    assert_eq!(listed.lines().next().unwrap(), "1  Blocking vs nonblocking connect  (done)");

    // --restart starts a lesson over, whatever the progress file says.
    let o = socklab(&["learn", "1", "--restart"], dir.path(), "quit\n");
    assert!(text(&o.stdout).contains("-- Step 1 of"), "{}", text(&o.stdout));

    // Next time, `socklab learn` goes on with lesson 2.
    let o = socklab(&["learn"], dir.path(), "quit\n");
    assert!(text(&o.stdout).contains("Lesson 2 of"));
}

#[test]
fn a_corrupt_progress_file_is_reported_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.toml");
    std::fs::write(&path, "completed = \"not a list\"\n[[[").unwrap();
    // Even listing the lessons replaces it.
    let o = socklab(&["learn", "--list"], dir.path(), "");
    assert!(o.status.success());
    assert!(text(&o.stderr).contains("progress.toml"));
    assert!(Progress::load(&path).warning.is_none());
    std::fs::write(&path, "completed = \"not a list\"\n[[[").unwrap();
    let o = socklab(&["learn", "1"], dir.path(), "socket tcp as b\n");
    assert!(o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("progress.toml") && !err.contains("panicked"), "{err}");
    let back = Progress::load(&path);
    assert!(back.warning.is_none(), "replaced by a valid file: {:?}", back.warning);
    assert_eq!(back.progress.resume_step("blocking"), 1);
}

#[test]
fn learn_rejects_a_lesson_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let o = socklab(&["learn", "99"], dir.path(), "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--list"));
}

#[test]
fn explain_by_name_number_and_hex() {
    let dir = tempfile::tempdir().unwrap();
    for (q, want) in [
        ("WSAEALREADY", "WSAEALREADY"),
        ("EINPROGRESS", "EINPROGRESS"),
        ("10035", "WSAEWOULDBLOCK"),
        ("0x2733", "WSAEWOULDBLOCK"),
    ] {
        let o = socklab(&["explain", q], dir.path(), "");
        assert!(o.status.success(), "{q}");
        let out = text(&o.stdout);
        assert!(out.starts_with(want), "{q}: {out}");
        for part in ["On Winsock", "On Linux", "Returned by:", "socklab learn "] {
            assert!(out.contains(part), "{q}: {part} missing in {out}");
        }
    }
    // 13 is EACCES on Linux; no Winsock code has that number.
    let out = text(&socklab(&["explain", "13"], dir.path(), "").stdout);
    assert!(out.starts_with("EACCES"), "{out}");
}

#[test]
fn manpage_and_completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let o = socklab(&["manpage"], dir.path(), "");
    assert!(o.status.success());
    let man = text(&o.stdout);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "roff: {man}");
    assert!(man.contains("socklab") && man.contains("learn") && man.contains("explain"), "{man}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = socklab(&["completions", shell], dir.path(), "");
        assert!(o.status.success(), "{shell}");
        let script = text(&o.stdout);
        assert!(script.contains("socklab") && script.contains("learn") && script.contains("explain"), "{shell}");
    }
}

/// `socklab learn 1` from start to end in one run, input piped; the progress file says so.
#[test]
fn learn_one_to_completion_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let l = lesson::by_number(1).unwrap();
    let input: Vec<String> = l.steps.iter().flat_map(|s| s.commands.clone()).collect();
    let o = socklab(&["learn", "1"], dir.path(), &(input.join("\n") + "\n"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for k in 1..=l.steps.len() {
        assert!(out.contains(&format!("-- Step {k} of {} --", l.steps.len())), "step {k}: {out}");
    }
    assert_eq!(out.matches("What happened:").count(), l.steps.len());
    assert!(out.contains("Lesson complete"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    let saved = std::fs::read_to_string(dir.path().join("progress.toml")).unwrap();
    let back: Progress =
        toml::from_str(saved.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n").as_str()).unwrap();
    assert_eq!(back.completed, vec!["blocking".to_string()]);
}

// ---- winapi-args: every `Try:` of `socklab explain` produces its code ----

/// For each code with `Try:` lines, the lines (without the parenthesised remark) run on the
/// simulated network, and some personality answers with that very code (as a call's error,
/// a completion's or a note on the call).
#[test]
fn every_explain_try_produces_its_code() {
    use socklab::core::codes::Code;
    use socklab::core::personality::PersonalityId;
    use socklab::learn::explain::try_it;
    use socklab::net::sim::SimNet;
    use socklab::script::parse::parse_script;
    use socklab::script::run::{Output as Out, run};
    use socklab::session::lab::Lab;

    let mut tried = 0;
    for &code in Code::ALL {
        let lines: Vec<&str> = try_it(code).iter().copied().filter(|l| !l.starts_with('(')).collect();
        if lines.is_empty() {
            continue;
        }
        tried += 1;
        let script = lines.join("\n");
        let stmts = parse_script(&script).unwrap_or_else(|e| panic!("{code:?}: Try lines parse: {e:?}"));
        let shown = code.name();
        // Linux answers ENETUNREACH, not ENETDOWN, when the interface goes down, and
        // EADDRNOTAVAIL, not ENOBUFS, when no port is free (measured in tests/live_seed_errors.rs):
        // their Try shows the situation, where Winsock says WSAENETDOWN / WSAENOBUFS.
        let alt =
            if matches!(code, Code::ENETDOWN | Code::ENOBUFS) { code.counterpart().map(|c| c.name()) } else { None };
        let mut transcripts = String::new();
        let found = PersonalityId::ALL.iter().any(|&p| {
            let mut lab = Lab::new(&[p], Box::new(SimNet));
            let mut out = Vec::new();
            run(&stmts, &mut lab, Out::Single, &mut out).expect("writing to memory");
            let text = String::from_utf8_lossy(&out).into_owned();
            transcripts.push_str(&text);
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == shown || Some(w) == alt)
        });
        assert!(found, "{code:?}: no personality answers {shown} to\n{script}\n{transcripts}");
    }
    assert!(tried >= 14, "only {tried} codes have Try lines");
}
