//! The lessons, as data. They live in `lessons.toml` beside this file (compiled in), so a
//! lesson is edited as text: no code changes to add a step or a lesson.
//!
//! Each lesson's commands and expectations, read in order, form a valid script of the command
//! language; `tests` below and `tests/learn.rs` play every lesson to its end.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::core::codes::Code;
use crate::script::ast::{ExpectWhat, StmtKind};
use crate::script::parse::parse_script;

/// One lesson: a title, a goal and the steps that reach it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// A short stable name (`blocking`), used in the progress file.
    pub id: String,
    /// One line, as `socklab learn --list` shows it.
    pub title: String,
    /// What the learner will have seen by the end, in a few sentences.
    pub goal: String,
    /// The steps, in order.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// What to remember, shown when the lesson is complete.
    pub summary: String,
}

/// One step of a lesson.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do, in plain words.
    pub instruction: String,
    /// The command line(s) the learner is asked to type, in order.
    pub commands: Vec<String>,
    /// Expectations in the `expect` syntax without the word `expect`
    /// (`linux: error EINPROGRESS`), checked once the step's commands have run.
    pub expect: Vec<String>,
    /// Shown when the learner typed something else, a check failed, or on `hint`.
    pub hint: String,
    /// Shown after success: what happened and why each personality answered as it did.
    pub explain: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lesson: Vec<Lesson>,
}

const SOURCE: &str = include_str!("lessons.toml");

/// Parse the lesson file. `Err` names what is wrong (tests call this; [`all`] relies on it).
pub fn parse(source: &str) -> Result<Vec<Lesson>, String> {
    let file: File = toml::from_str(source).map_err(|e| e.to_string())?;
    for (i, l) in file.lesson.iter().enumerate() {
        l.validate().map_err(|e| format!("lesson {} ({}): {e}", i + 1, l.id))?;
    }
    Ok(file.lesson)
}

/// Every lesson, in order; lesson `n` (1-based) is `all()[n - 1]`.
pub fn all() -> &'static [Lesson] {
    static LESSONS: OnceLock<Vec<Lesson>> = OnceLock::new();
    LESSONS.get_or_init(|| parse(SOURCE).expect("src/learn/lessons.toml is checked by the tests"))
}

/// Lesson `n`, counting from 1.
pub fn by_number(n: usize) -> Option<&'static Lesson> {
    n.checked_sub(1).and_then(|i| all().get(i))
}

/// A lesson by its id.
pub fn by_id(id: &str) -> Option<&'static Lesson> {
    all().iter().find(|l| l.id == id)
}

impl Lesson {
    /// The lesson's number (1-based) among [`all`], if it is one of them.
    pub fn number(&self) -> Option<usize> {
        all().iter().position(|l| l.id == self.id).map(|i| i + 1)
    }

    /// The lesson as one script: every command, each followed by the step's expectations.
    pub fn script(&self) -> String {
        let mut s = String::new();
        for step in &self.steps {
            for c in &step.commands {
                s.push_str(c);
                s.push('\n');
            }
            for e in &step.expect {
                s.push_str("expect ");
                s.push_str(e);
                s.push('\n');
            }
        }
        s
    }

    /// The error codes this lesson shows: those its expectations name, and those its
    /// explanations mention.
    pub fn codes(&self) -> BTreeSet<Code> {
        let mut out = BTreeSet::new();
        if let Ok(stmts) = parse_script(&self.script()) {
            for st in stmts {
                if let StmtKind::Expect(e) = st.kind {
                    match e.what {
                        ExpectWhat::Error(c) => {
                            out.insert(c);
                        }
                        ExpectWhat::Value(v) => out.extend(Code::from_name(&v)),
                        ExpectWhat::Event { error: Some(Some(c)), .. }
                        | ExpectWhat::Completion { error: Some(Some(c)), .. } => {
                            out.insert(c);
                        }
                        _ => {}
                    }
                }
            }
        }
        for step in &self.steps {
            out.extend(codes_in(&step.explain));
        }
        out.extend(codes_in(&self.summary));
        out
    }

    fn validate(&self) -> Result<(), String> {
        if self.id.is_empty() || self.title.trim().is_empty() || self.goal.trim().is_empty() {
            return Err("id, title and goal must not be empty".into());
        }
        if self.steps.is_empty() {
            return Err("a lesson needs at least one step".into());
        }
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            if s.commands.is_empty() {
                return Err(format!("step {n} has no command"));
            }
            if s.expect.is_empty() {
                return Err(format!("step {n} checks nothing"));
            }
            for (what, text) in [("instruction", &s.instruction), ("hint", &s.hint), ("explain", &s.explain)] {
                if text.trim().is_empty() {
                    return Err(format!("step {n} has an empty {what}"));
                }
            }
            for c in &s.commands {
                if c.trim().starts_with("expect") {
                    return Err(format!("step {n}: `{c}` is not a plain command"));
                }
            }
        }
        parse_script(&self.script()).map_err(|errors| {
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ") + " (in the lesson's script)"
        })?;
        Ok(())
    }
}

/// Catalogue codes named in a text (whole words only: `EINVAL` is not found in `WSAEINVAL`).
pub fn codes_in(text: &str) -> impl Iterator<Item = Code> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.len() > 3 && (w.starts_with('E') || w.starts_with("WSA") || w.starts_with("WAIT_")))
        .filter(|w| w.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
        .filter_map(Code::from_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lesson_file_parses() {
        let lessons = parse(SOURCE).unwrap_or_else(|e| panic!("{e}"));
        assert!(lessons.len() >= 9);
        let mut ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), lessons.len(), "lesson ids are unique");
    }

    #[test]
    fn codes_in_whole_words_only() {
        let found: Vec<Code> = codes_in("WSAEINVAL, not EINVAL; also EINPROGRESS. Einval no").collect();
        assert_eq!(found, vec![Code::WSAEINVAL, Code::EINVAL, Code::EINPROGRESS]);
    }

    #[test]
    fn lesson_one_shows_the_pending_codes() {
        let codes = by_number(1).unwrap().codes();
        assert!(codes.contains(&Code::EINPROGRESS) && codes.contains(&Code::WSAEWOULDBLOCK), "{codes:?}");
    }
}
