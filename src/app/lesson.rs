//! A guided lesson inside the TUI: the lesson picker's rows and the side panel's text, as
//! data (the views only lay these lines out).
//!
//! While a lesson runs, the lines the learner types (and the lines keys produce) go to
//! [`LessonRun::feed`]; the App mirrors the lesson's lab in its own log, socket list and
//! notifications by replaying [`LessonRun::history`] (see `App::sync_lesson`), so the state
//! machine, the call log columns and the notifications show what the learner did. The main
//! lab is put aside meanwhile and comes back when the lesson is closed.

use crate::learn::lesson::{self, Lesson};
use crate::learn::progress::Progress;
use crate::learn::run::{LessonRun, StepOutcome, reflow};

use super::Tone;

/// The width lesson texts (answers in rows) are laid out for: wide enough that nothing is
/// broken before the panel wraps it to its own width.
pub const PANEL_TEXT_WIDTH: usize = 1000;

/// The lesson being played in the side panel.
#[derive(Debug)]
pub struct LessonPanel {
    /// 1-based lesson number.
    pub number: usize,
    pub run: LessonRun,
    /// What the last line did.
    pub last: Option<OutcomeView>,
    /// The learner asked for the hint (`h`); cleared when the step is done.
    pub show_hint: bool,
    /// How many of the lesson's history statements the App's mirror has run.
    pub mirrored: usize,
}

/// The last outcome, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeView {
    pub headline: String,
    pub tone: Tone,
    /// Explanation, failed checks, hint: what to read after the headline.
    pub detail: Vec<String>,
}

/// One row of the lesson picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickerRow {
    pub number: usize,
    pub title: String,
    /// `✓` complete, `…` in progress, ` ` not started (text, never colour alone).
    pub mark: &'static str,
    /// `done`, `step 3 of 5`, or empty.
    pub status: String,
}

/// The picker's rows with the learner's progress.
pub fn picker_rows(progress: &Progress) -> Vec<PickerRow> {
    lesson::all()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (mark, status) = if progress.is_complete(&l.id) {
                ("✓", "done".to_string())
            } else {
                match progress.current.as_ref().filter(|c| c.lesson == l.id && c.step > 0) {
                    Some(c) => ("…", format!("stopped at step {} of {}", c.step + 1, l.steps.len())),
                    None => (" ", String::new()),
                }
            };
            PickerRow { number: i + 1, title: l.title.clone(), mark, status }
        })
        .collect()
}

/// `Hint: ...` as paragraphs.
fn hint_lines(hint: &str) -> Vec<String> {
    let mut v = prose(hint);
    match v.first_mut() {
        Some(first) => *first = format!("Hint: {first}"),
        None => v.push("Hint:".into()),
    }
    v
}

/// Paragraphs joined, command lines (indented) kept: the view wraps them to its width.
pub fn prose(text: &str) -> Vec<String> {
    reflow(text, 10_000, "").lines().map(str::to_string).collect()
}

impl OutcomeView {
    /// What the panel shows for an outcome.
    pub fn of(outcome: &StepOutcome) -> OutcomeView {
        let headline = outcome.headline();
        let (tone, detail) = match outcome {
            StepOutcome::Info(text) => (Tone::Quiet, text.trim_end().lines().map(str::to_string).collect()),
            StepOutcome::Ran { .. } => (Tone::Ok, Vec::new()),
            StepOutcome::Passed(p) => {
                let mut d = vec!["What happened:".to_string()];
                d.extend(prose(&p.explanation));
                if !p.answers.is_empty() {
                    d.push("Who answered what, and the rule that decided it:".into());
                    for a in &p.answers {
                        d.push(format!(
                            "  {:<9} {}  [{}]{}",
                            a.personality.name(),
                            a.answer,
                            a.rule,
                            if a.assumed { " ?" } else { "" }
                        ));
                    }
                }
                if let Some(summary) = &p.lesson_complete {
                    d.push("Lesson complete. To remember:".into());
                    d.extend(prose(summary));
                }
                (Tone::Ok, d)
            }
            StepOutcome::Failed { checks, hint, .. } => {
                let mut d: Vec<String> = Vec::new();
                for c in checks.iter().filter(|c| !c.ok()) {
                    d.extend(c.to_string().lines().map(|l| l.trim_start().to_string()));
                }
                d.extend(hint_lines(hint));
                (Tone::Error, d)
            }
            StepOutcome::Different { output, hint } => {
                let mut d = hint_lines(hint);
                d.push("What it did (on a copy of the lab):".into());
                d.extend(output.trim_end().lines().map(str::to_string));
                (Tone::Error, d)
            }
            StepOutcome::Invalid { error, hint } => {
                let mut d = vec![format!("socklab cannot run that line: {}", error.message)];
                d.extend(hint_lines(hint));
                (Tone::Error, d)
            }
            StepOutcome::Finished => (Tone::Ok, vec!["L picks another lesson; Esc closes this one.".into()]),
        };
        OutcomeView { headline, tone, detail }
    }
}

impl LessonPanel {
    /// A lesson at `step` (0-based; earlier steps are typed for the learner).
    pub fn start(number: usize, lesson: &Lesson, step: usize) -> LessonPanel {
        let mut run = LessonRun::resume(lesson, step);
        run.set_layout(crate::learn::run::Layout::Rows);
        run.set_width(PANEL_TEXT_WIDTH);
        LessonPanel { number, run, last: None, show_hint: false, mirrored: 0 }
    }

    /// The panel's title: lesson number, title and progress.
    pub fn title(&self) -> String {
        let n = self.run.step_count();
        let k = (self.run.step_index() + 1).min(n);
        let title = &self.run.lesson().title;
        if self.run.is_finished() {
            format!("Lesson {} · {title} · complete", self.number)
        } else {
            format!("Lesson {} · {title} · step {k} of {n}", self.number)
        }
    }

    /// Step k of n, as numbers (k is n + 1 once finished... capped at n).
    pub fn progress(&self) -> (usize, usize) {
        let n = self.run.step_count();
        ((self.run.step_index() + 1).min(n), n)
    }

    /// The current step's instruction as paragraphs (empty once finished).
    pub fn instruction(&self) -> Vec<String> {
        match self.run.lesson().steps.get(self.run.step_index()) {
            Some(s) => prose(&s.instruction),
            None => vec!["This lesson is complete.".into()],
        }
    }

    /// The panel's lines, in order: (tone, text). Headings use [`Tone::Ok`]/[`Tone::Error`]
    /// for the outcome, [`Tone::NotApplicable`] for labels, [`Tone::Quiet`] for prose. What a
    /// small panel must not lose comes first: progress, the last outcome's headline (and, for
    /// a wrong line, its hint), the instruction; then the hint asked for and the explanation
    /// of the step just done.
    pub fn lines(&self) -> Vec<(Tone, String)> {
        let mut out = Vec::new();
        let (k, n) = self.progress();
        let label = if self.run.is_finished() {
            format!("Complete: {n} of {n} steps {}", bar(n, n))
        } else {
            format!("Step {k} of {n} {}", bar(k - 1, n))
        };
        out.push((Tone::NotApplicable, label));
        let wrong = self.last.as_ref().is_some_and(|o| o.tone == Tone::Error);
        if let Some(o) = &self.last {
            let sym = match o.tone {
                Tone::Error => "✗ ",
                Tone::Ok => "✓ ",
                _ => "· ",
            };
            out.push((o.tone, format!("{sym}{}", o.headline)));
            if o.tone != Tone::Ok {
                out.extend(o.detail.iter().map(|d| (Tone::Quiet, d.clone())));
            }
            out.push((Tone::Quiet, String::new()));
        }
        if !self.run.is_finished() {
            out.extend(self.instruction().into_iter().map(|l| (Tone::Quiet, l)));
        }
        if self.show_hint && !self.run.is_finished() && !wrong {
            out.extend(hint_lines(&self.run.hint()).into_iter().map(|l| (Tone::NotApplicable, l)));
        }
        if let Some(o) = self.last.as_ref().filter(|o| o.tone == Tone::Ok && !o.detail.is_empty()) {
            out.push((Tone::Quiet, String::new()));
            out.extend(o.detail.iter().map(|d| (Tone::Quiet, d.clone())));
        }
        out
    }
}

/// `[■■□□□]`: steps done out of n.
fn bar(done: usize, n: usize) -> String {
    format!("[{}{}]", "■".repeat(done.min(n)), "□".repeat(n.saturating_sub(done)))
}
