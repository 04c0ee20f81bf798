//! Scenario files: every numbered behaviour of the core, written in the command language,
//! run through each personality on the simulated network. A scenario must check something
//! for every personality, and every check must pass.

use std::path::{Path, PathBuf};

use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::script::parse::parse_script;
use socklab::script::run::{Output, run};
use socklab::session::lab::Lab;

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lab"))
        .collect();
    files.sort();
    files
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
