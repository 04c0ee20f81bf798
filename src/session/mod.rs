//! The journal of one experiment: the same calls answered by several personalities.
//!
//! - [`lab`]: a [`lab::Lab`] runs each call through several personalities over one network.
//! - [`record`]: the recording format (NDJSON), the [`record::Recorder`] and the streaming
//!   [`record::Reader`].
//! - [`replay`]: recorded facts fed back through the same core, checked answer by answer.
//! - [`export`]: a recording as a Markdown handout, C programs for POSIX and Winsock, or a
//!   script.

mod answer_line;
mod call_line;
pub mod export;
pub mod lab;
pub mod record;
pub mod replay;

/// The lines of every shipped recording (`recordings/`, `tests/fuzz_regressions/`) that contain
/// `marker`: the hand readers' tests compare them with serde on each.
#[cfg(test)]
fn shipped_lines(marker: &str) -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = Vec::new();
    for dir in ["recordings", "tests/fuzz_regressions"] {
        for f in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_some_and(|x| x == "ndjson") {
                let text = std::fs::read_to_string(&path).unwrap();
                lines.extend(text.lines().filter(|l| l.contains(marker)).map(str::to_string));
            }
        }
    }
    lines
}
