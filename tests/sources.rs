//! Every source socklab shows can be followed by a reader (issue 12, item 10): no text cites
//! `LINUX_TRUTH` rows or the numbered seed documents, which are not in the repository. Rules,
//! explain texts, lessons, notes in the code, the docs and the shipped recordings are scanned.

use std::path::{Path, PathBuf};

use socklab::core::codes::Code;
use socklab::core::rules::RULES;
use socklab::learn::explain::explain;

/// Where `text` cites something a reader cannot open, if anywhere.
fn unfollowable(text: &str) -> Option<String> {
    if let Some(i) = text.find("LINUX_TRUTH") {
        return Some(text[i..].chars().take(40).collect());
    }
    let lower = text.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut from = 0;
    while let Some(k) = lower[from..].find("seed") {
        let mut i = from + k + 4;
        if b.get(i) == Some(&b's') {
            i += 1;
        }
        let digits = b.get(i) == Some(&b' ') && b.get(i + 1..i + 4).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        if digits {
            return Some(text[from + k..].chars().take(40).collect());
        }
        from = from + k + 4;
    }
    None
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

#[test]
fn the_detector_finds_what_it_must() {
    assert!(unfollowable("LINUX_TRUTH 3e; recv page").is_some());
    assert!(unfollowable("seeds 000, 001").is_some());
    assert!(unfollowable("see Seed 004 (ConnectEx)").is_some());
    assert!(unfollowable("row_3e in tests/live_tcp.rs; the seeds of a test").is_none());
}

#[test]
fn no_shown_text_cites_linux_truth_or_a_seed_number() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for r in RULES {
        for (what, t) in [("summary", r.summary), ("source", r.source)] {
            if let Some(s) = unfollowable(t) {
                found.push(format!("rule {} {what}: {s}", r.id));
            }
        }
    }
    for &c in Code::ALL {
        if let Some(s) = unfollowable(&explain(c).to_string()) {
            found.push(format!("explain {}: {s}", c.name()));
        }
    }
    // Lessons, and every string the program can print (notes, help): the source files, their
    // comments aside.
    let mut rs = Vec::new();
    files(&root.join("src"), "rs", &mut rs);
    files(&root.join("src"), "toml", &mut rs);
    for f in rs {
        let text = std::fs::read_to_string(&f).expect("readable");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if let Some(s) = unfollowable(line) {
                found.push(format!("{}:{}: {s}", f.display(), n + 1));
            }
        }
    }
    // What a reader opens next to the program: the docs, the README, the shipped recordings.
    let mut docs = vec![root.join("README.md")];
    files(&root.join("docs"), "md", &mut docs);
    files(&root.join("recordings"), "lab", &mut docs);
    files(&root.join("recordings"), "md", &mut docs);
    for f in docs {
        let text = std::fs::read_to_string(&f).expect("readable");
        for (n, line) in text.lines().enumerate() {
            if let Some(s) = unfollowable(line) {
                found.push(format!("{}:{}: {s}", f.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "texts citing what a reader cannot open:\n{}", found.join("\n"));
}
