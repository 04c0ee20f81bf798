//! The shipped recordings (`recordings/*.ndjson`) are regression inputs: each replays headless
//! without a divergence, and making it again from its script on the simulated network gives the
//! same entries. `SOCKLAB_BLESS=1` rewrites them after a deliberate change of the core.

use std::path::{Path, PathBuf};
use std::process::Command;

use socklab::session::record::{self, read_prefix};
use socklab::session::replay::check;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The scripts in `recordings/`, by name.
fn scripts() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("recordings"))
        .expect("recordings/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "lab"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn ndjson(name: &str) -> PathBuf {
    root().join("recordings").join(format!("{name}.ndjson"))
}

#[test]
fn six_lessons_each_with_its_script_and_readme_line() {
    let names = scripts();
    assert!(names.len() >= 6, "{names:?}");
    let readme = std::fs::read_to_string(root().join("recordings/README.md")).expect("recordings/README.md");
    for n in &names {
        assert!(ndjson(n).exists(), "recordings/{n}.lab has no {n}.ndjson");
        let line = readme
            .lines()
            .find(|l| l.contains(&format!("`{n}.ndjson`")))
            .unwrap_or_else(|| panic!("README has no line for {n}"));
        assert!(line.len() > 40, "README line for {n} says too little: {line}");
    }
}

#[test]
fn every_shipped_recording_replays_headless_without_divergence() {
    for n in scripts() {
        let path = ndjson(&n);
        // Through the library...
        let c = check(record::open(&path).unwrap_or_else(|e| panic!("{n}: {e}")), 20);
        assert!(c.error.is_none(), "{n}: {:?}", c.error.map(|e| e.to_string()));
        let msgs: Vec<String> = c.divergences.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.is_empty(),
            "{n} diverges (SOCKLAB_BLESS=1 regenerates after a deliberate change):\n{}",
            msgs.join("\n")
        );
        assert!(c.steps > 5, "{n}: only {} steps", c.steps);
        // ...and as a user runs it.
        let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
            .args(["replay", path.to_str().unwrap(), "--headless"])
            .output()
            .expect("socklab runs");
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{n}: {out}\n{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains("the core reproduced every recorded answer"), "{n}: {out}");
        assert!(out.contains("mark "), "{n}: markers are shown: {out}");
    }
}

#[test]
fn regenerated_from_its_script_each_recording_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let bless = std::env::var_os("SOCKLAB_BLESS").is_some();
    for n in scripts() {
        let fresh = dir.path().join(format!("{n}.ndjson"));
        let o = Command::new(env!("CARGO_BIN_EXE_socklab"))
            .current_dir(root())
            .args(["run", &format!("recordings/{n}.lab"), "--net", "sim", "--record", fresh.to_str().unwrap()])
            .output()
            .expect("socklab runs");
        assert_eq!(
            o.status.code(),
            Some(0),
            "recordings/{n}.lab: an expectation failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let c = check(record::open(&fresh).unwrap(), 5);
        assert!(
            c.error.is_none() && c.divergences.is_empty(),
            "{n}: the fresh recording does not replay: {:?}",
            c.divergences
        );
        let new = read_prefix(std::io::BufReader::new(std::fs::File::open(&fresh).unwrap())).unwrap();
        let old = read_prefix(std::io::BufReader::new(std::fs::File::open(ndjson(&n)).unwrap())).unwrap();
        assert_eq!(new.header.personalities, old.header.personalities, "{n}");
        assert_eq!(new.header.facts, old.header.facts, "{n}");
        if new.entries != old.entries {
            if bless {
                std::fs::copy(&fresh, ndjson(&n)).unwrap();
                continue;
            }
            let k = new
                .entries
                .iter()
                .zip(&old.entries)
                .position(|(a, b)| a != b)
                .unwrap_or(new.entries.len().min(old.entries.len()));
            panic!(
                "recordings/{n}.ndjson is out of date from entry {} on (SOCKLAB_BLESS=1 cargo test --test record_shipped rewrites it):\nshipped: {:?}\nfresh:   {:?}",
                k + 1,
                old.entries.get(k),
                new.entries.get(k)
            );
        }
    }
}
