//! docs/guide.md's key table is the key map: same actions, same keys, same words.

use socklab::app::keys::{DEFAULTS, KeyMap};

/// The table as the guide must show it.
fn expected_table() -> String {
    let km = KeyMap::default();
    let mut out = String::from("| Keys | Action | What it does |\n|---|---|---|\n");
    for b in DEFAULTS {
        let keys = km.keys(b.action).iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        out.push_str(&format!("| {keys} | `{}` | {} |\n", b.action.name(), b.description.replace('|', "\\|")));
    }
    out
}

#[test]
fn the_guides_key_table_matches_the_key_map() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md")).unwrap();
    let begin = "<!-- keys:begin (checked by tests/guide.rs) -->\n";
    let end = "<!-- keys:end -->";
    let start = guide.find(begin).expect("the guide marks its key table") + begin.len();
    let stop = guide[start..].find(end).expect("the key table ends") + start;
    let table = &guide[start..stop];
    let want = expected_table();
    assert_eq!(table, want, "docs/guide.md's key table differs from the key map; it should read:\n{want}");
}
