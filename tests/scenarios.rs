//! Scenario files: every numbered behaviour of the core, written in the command language,
//! run through each personality on the simulated network. A scenario must check something
//! for every personality, and every check must pass.

mod common;

use std::path::{Path, PathBuf};

use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;

fn scenario_files() -> Vec<PathBuf> {
    common::lab_files("tests/scenarios")
}

fn run_one(file: &Path, p: PersonalityId) -> (usize, Vec<String>, String) {
    let src = std::fs::read_to_string(file).expect("scenario readable");
    let stmts = parse_script(&src).unwrap_or_else(|errs| {
        panic!(
            "{} does not parse: {}",
            file.display(),
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
        )
    });
    let mut lab = Lab::new(&[p], Box::new(SimNet));
    let mut out = Vec::new();
    let report = run(&stmts, &mut lab, Output::Single, &mut out).expect("writing to memory");
    (report.checks, report.failures, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn every_numbered_behaviour_has_a_scenario() {
    let names: Vec<String> =
        scenario_files().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for n in 1..=15 {
        let prefix = format!("{n:02}_");
        assert!(names.iter().any(|f| f.starts_with(&prefix)), "no scenario for behaviour {n}");
    }
}

#[test]
fn scenarios_pass_for_every_personality() {
    let mut failures = Vec::new();
    for file in scenario_files() {
        for &p in PersonalityId::ALL {
            let (checks, fails, transcript) = run_one(&file, p);
            if checks == 0 {
                failures.push(format!("{} checks nothing for {p}", file.display()));
            }
            if !fails.is_empty() {
                failures.push(format!(
                    "{} [{p}]:\n  {}\n--- transcript ---\n{transcript}",
                    file.display(),
                    fails.join("\n  ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn scenarios_are_deterministic() {
    for file in scenario_files() {
        for &p in PersonalityId::ALL {
            let a = run_one(&file, p).2;
            let b = run_one(&file, p).2;
            assert_eq!(a, b, "{} [{p}] gave two different transcripts", file.display());
        }
    }
}

/// The marks of `--compare` (`≈` same meaning in other words, `≠` a real difference) on every
/// scenario, by the one definition in `core::compare`: each marked line with what differs.
fn compare_marks(file: &Path) -> String {
    let src = std::fs::read_to_string(file).expect("scenario readable");
    let stmts = parse_script(&src).expect("scenario parses");
    let mut lab = Lab::new(PersonalityId::ALL, Box::new(SimNet));
    let mut out = Vec::new();
    run(&stmts, &mut lab, Output::Compare, &mut out).expect("writing to memory");
    let text = String::from_utf8_lossy(&out).into_owned();
    let mut marks = String::new();
    for l in text.lines() {
        let t = l.trim_start();
        let marked = t
            .find(|c: char| !c.is_ascii_digit())
            .is_some_and(|i| i > 0 && (t[i..].starts_with('≠') || t[i..].starts_with('≈')));
        if marked {
            let head: String = t.split('|').next().unwrap_or("").trim_end().to_string();
            marks.push_str(&head);
            marks.push('\n');
        } else if t.starts_with("≠ ") {
            marks.push_str("    ");
            marks.push_str(t);
            marks.push('\n');
        }
    }
    marks
}

#[test]
fn difference_marks_on_every_scenario() {
    let mut all = String::new();
    for file in scenario_files() {
        all.push_str(&format!("== {}\n", file.file_name().unwrap().to_string_lossy()));
        all.push_str(&compare_marks(&file));
    }
    insta::assert_snapshot!(all);
}

/// Issue 12 item 1: the lessons' key differences are marked; equal-looking rows are not.
#[test]
fn regression_issue_12_marks_where_the_lessons_say() {
    let marks = compare_marks(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/04_notification.lab"));
    // select after a refused connect: linux `2 read=f write=f`, Winsock `1 except=f`.
    assert!(marks.contains("12≠ select read=f write=f except=f"), "{marks}");
    assert!(
        marks.contains("≠ value: linux: read=f write=f except= · winsock, windows, winsock1: read= write= except=f"),
        "{marks}"
    );
    // SO_ERROR read a second time: windows keeps WSAECONNREFUSED, the others cleared it.
    assert!(marks.contains("22≠ getsockopt f SO_ERROR"), "{marks}");
    assert!(marks.contains("≠ value: linux, winsock, winsock1: 0 · windows: WSAECONNREFUSED"), "{marks}");
    // The first SO_ERROR read: the same error under each platform's name.
    assert!(marks.contains("19≈ getsockopt f SO_ERROR"), "{marks}");
    // EINPROGRESS against WSAEWOULDBLOCK: the same meaning, its own mark.
    assert!(marks.contains("5≈ connect s @accept"), "{marks}");

    // Rows after a call one personality lacks: the older state difference is not repeated.
    let src = "socket tcp as w\nwsaconnect w @accept\ngetsockopt w SO_ERROR\ngetsockopt w SO_ERROR\n";
    let mut lab = Lab::new(PersonalityId::ALL, Box::new(SimNet));
    let mut out = Vec::new();
    run(&parse_script(src).unwrap(), &mut lab, Output::Compare, &mut out).unwrap();
    let out = String::from_utf8_lossy(&out);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("getsockopt w SO_ERROR")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    for r in rows {
        assert!(!r.contains('≠') && !r.contains('≈'), "{r}");
    }
}
