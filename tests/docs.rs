//! Documentation kept in step with the code.

use std::path::Path;

use socklab::core::rules::RULES;

fn render_rules() -> String {
    let mut s = String::from("| rule | what it does | source | assumed for |\n|---|---|---|---|\n");
    for r in RULES {
        let assumed = if r.assumed.is_empty() {
            "-".to_string()
        } else {
            r.assumed.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
        };
        s.push_str(&format!("| `{}` | {} | {} | {} |\n", r.id, r.summary.replace('|', "\\|"), r.source, assumed));
    }
    s
}

#[test]
fn semantics_md_lists_every_rule() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/semantics.md");
    let doc = std::fs::read_to_string(&path).expect("docs/semantics.md");
    let (head, rest) = doc.split_once("<!-- rules:begin -->\n").expect("rules:begin marker");
    let (current, tail) = rest.split_once("<!-- rules:end -->").expect("rules:end marker");
    let want = render_rules();
    if current != want {
        if std::env::var_os("SOCKLAB_BLESS").is_some() {
            std::fs::write(&path, format!("{head}<!-- rules:begin -->\n{want}<!-- rules:end -->{tail}")).unwrap();
        } else {
            panic!(
                "docs/semantics.md's rule list is out of date; run `SOCKLAB_BLESS=1 cargo test --test docs`.\nExpected:\n{want}"
            );
        }
    }
}

#[test]
fn rule_ids_are_unique() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
}

/// Every ```lab block in docs/ runs through every personality without a failed expectation.
#[test]
fn every_example_in_docs_runs() {
    use socklab::core::personality::PersonalityId;
    use socklab::net::sim::SimNet;
    use socklab::script::parse::parse_script;
    use socklab::script::run::{Output, run};
    use socklab::session::lab::Lab;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut examples = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("```lab\n") {
            let body = &rest[start + 7..];
            let end = body.find("```").expect("closed code block");
            let block = &body[..end];
            rest = &body[end + 3..];
            examples += 1;
            let stmts = parse_script(block).unwrap_or_else(|e| panic!("{}: {:?}\n{block}", path.display(), e));
            for &p in PersonalityId::ALL {
                let mut lab = Lab::new(&[p], Box::new(SimNet));
                let mut out = Vec::new();
                let report = run(&stmts, &mut lab, Output::Single, &mut out).unwrap();
                assert!(
                    report.failures.is_empty(),
                    "{} [{p}]: {:?}\n{}",
                    path.display(),
                    report.failures,
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
    assert!(examples >= 6, "found only {examples} examples in docs/");
}
