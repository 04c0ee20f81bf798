//! The lesson engine: one lesson played one line at a time.
//!
//! A [`LessonRun`] owns a [`Lab`] on the simulated network with all four personalities. Each
//! line the learner types goes to [`LessonRun::feed`]:
//!
//! - `hint`, `show`, `skip`, `help` (and an empty line, which repeats the instruction) are
//!   answered without running anything (`skip` types the step's commands for the learner).
//! - A command that is the one the step asks for (compared as parsed, so `nonblock s on` is
//!   `ioctlsocket s FIONBIO 1`) runs in the lab. When the step's last command has run, its
//!   expectations are checked with the runner's own [`check`], and the outcome carries the
//!   explanation and, per personality, its answer and the rule that decided it.
//! - Any other command runs on a copy of the lab (the lesson's lab stays as it was, so the
//!   lesson can always go on), and the outcome shows what it did, with the step's hint.
//! - An `expect` line is checked against the lesson's lab, as a question the learner asks.

use std::fmt;
use std::io;

use crate::core::format::answer_text;
use crate::core::model::{Answer, Ret};
use crate::core::personality::PersonalityId;
use crate::core::profile::Profile;
use crate::core::rules;
use crate::net::sim::SimNet;
use crate::script::ast::{Stmt, StmtKind};
use crate::script::parse::{Names, ParseError, parse_line};
use crate::script::run::{Output, check, run};
use crate::session::lab::Lab;

use super::lesson::Lesson;

/// The words [`LessonRun::feed`] understands besides commands, with what they do.
pub const CONTROL_WORDS: &[(&str, &str)] = &[
    ("hint", "a hint for this step"),
    ("show", "the exact command(s) this step asks for"),
    ("skip", "let socklab type this step's commands for you"),
    ("help", "this list"),
];

/// One expectation of a step and how it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The expectation as written (`linux: error EINPROGRESS`).
    pub expect: String,
    /// For each personality it failed for: what was expected and what came. Empty: it held.
    pub failures: Vec<(PersonalityId, String)>,
}

impl CheckResult {
    /// Whether the expectation held for every personality it applies to.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ok() {
            write!(f, "  ok    expect {}", self.expect)
        } else {
            write!(f, "  FAIL  expect {}", self.expect)?;
            for (p, why) in &self.failures {
                write!(f, "\n          {p}: {why}")?;
            }
            Ok(())
        }
    }
}

/// One personality's answer to the step's last call, and the rule that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerWhy {
    pub personality: PersonalityId,
    /// The answer as the personality's API spells it (`SOCKET_ERROR WSAEWOULDBLOCK (10035)`).
    pub answer: String,
    /// The rule's id (`connect.nonblocking`).
    pub rule: &'static str,
    /// Whether the answer is socklab's best reading rather than documented or measured.
    pub assumed: bool,
}

/// A step done: everything the learner should see.
#[derive(Clone, Debug)]
pub struct Passed {
    /// Compare columns of the line that completed the step (all of them after `skip`).
    pub output: String,
    /// The step's expectations, all held.
    pub checks: Vec<CheckResult>,
    /// What happened and why, in words.
    pub explanation: String,
    /// Per personality, the answer to the step's last call and its rule (empty when every
    /// personality simply succeeded the same way).
    pub answers: Vec<AnswerWhy>,
    /// Whether socklab typed the commands (`skip`).
    pub skipped: bool,
    /// 1-based number of the step just done.
    pub step: usize,
    /// `Some(summary)` when this was the lesson's last step.
    pub lesson_complete: Option<String>,
}

/// What one line fed to a [`LessonRun`] did.
#[derive(Clone, Debug)]
pub enum StepOutcome {
    /// A reply that ran nothing: `hint`, `show`, `help`, an empty line, a comment, or the
    /// result of an `expect` line the learner typed.
    Info(String),
    /// The step's next command ran; the step asks for more.
    Ran { output: String, remaining: usize },
    /// The step is done and its checks held.
    Passed(Box<Passed>),
    /// The step's commands ran but a check failed; the lab was put back to the start of the step.
    Failed { output: String, checks: Vec<CheckResult>, hint: String },
    /// The learner typed another command: what it did on a copy of the lab, and a hint.
    Different { output: String, hint: String },
    /// The line is not valid in the command language.
    Invalid { error: ParseError, hint: String },
    /// The lesson was already complete.
    Finished,
}

impl Passed {
    /// The text shown for a passed step: output, checks, explanation, answers and rules.
    pub fn text(&self) -> String {
        let mut t = self.output.clone();
        if self.skipped {
            t.push_str("(socklab typed this step for you)\n");
        }
        t.push_str("Checks:\n");
        for c in &self.checks {
            t.push_str(&format!("{c}\n"));
        }
        t.push_str("\nWhat happened:\n");
        for line in self.explanation.trim().lines() {
            t.push_str(&format!("  {line}\n"));
        }
        if !self.answers.is_empty() {
            t.push_str("\nWho answered what, and the rule that decided it:\n");
            let width = self.answers.iter().map(|a| a.answer.chars().count()).max().unwrap_or(0);
            for a in &self.answers {
                let q = if a.assumed { "  (assumed: not documented)" } else { "" };
                t.push_str(&format!("  {:<9} {:<width$}  [{}]{q}\n", a.personality.name(), a.answer, a.rule));
            }
            let mut seen: Vec<&str> = Vec::new();
            for a in &self.answers {
                if seen.contains(&a.rule) {
                    continue;
                }
                seen.push(a.rule);
                if let Some(r) = rules::find(a.rule) {
                    t.push_str(&format!("  [{}] {} (source: {})\n", r.id, r.summary, r.source));
                }
            }
        }
        if let Some(summary) = &self.lesson_complete {
            t.push_str("\nLesson complete. To remember:\n");
            for line in summary.trim().lines() {
                t.push_str(&format!("  {line}\n"));
            }
        }
        t
    }
}

impl StepOutcome {
    /// Whether the step was completed by this line.
    pub fn passed(&self) -> bool {
        matches!(self, StepOutcome::Passed(_))
    }
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepOutcome::Info(text) => write!(f, "{}", text.trim_end()),
            StepOutcome::Ran { output, remaining } => {
                write!(f, "{output}")?;
                let more =
                    if *remaining == 1 { "one more command".to_string() } else { format!("{remaining} more commands") };
                write!(f, "Good. This step asks for {more}.")
            }
            StepOutcome::Passed(p) => write!(f, "{}", p.text().trim_end()),
            StepOutcome::Failed { output, checks, hint } => {
                write!(f, "{output}")?;
                writeln!(f, "Checks:")?;
                for c in checks {
                    writeln!(f, "{c}")?;
                }
                writeln!(f, "The step did not go as the lesson expects; the lab is back at the start of the step.")?;
                write!(f, "Hint: {}", hint.trim_end())
            }
            StepOutcome::Different { output, hint } => {
                write!(f, "{output}")?;
                writeln!(
                    f,
                    "(That ran on a copy of the lab: it is not this step's command, so the lesson's lab is unchanged.)"
                )?;
                write!(f, "Hint: {}", hint.trim_end())
            }
            StepOutcome::Invalid { error, hint } => {
                writeln!(f, "Not a command socklab understands: {}", error.message)?;
                write!(f, "Hint: {}", hint.trim_end())
            }
            StepOutcome::Finished => write!(f, "This lesson is complete."),
        }
    }
}

/// A lesson being played: its lab, and where the learner is.
#[derive(Debug)]
pub struct LessonRun {
    lesson: Lesson,
    lab: Lab,
    /// The commands each step asks for, parsed.
    wanted: Vec<Vec<Stmt>>,
    /// Each step's expectations, parsed.
    expects: Vec<Vec<Stmt>>,
    /// Socket names defined by the commands run so far.
    names: Names,
    /// Every command run in the lesson's lab, in order (to rebuild it).
    history: Vec<Stmt>,
    /// `history.len()` and `names` at the start of the current step.
    step_start: (usize, Names),
    step: usize,
    /// Commands of the current step already run.
    typed: usize,
    /// The answers to the current step's last call.
    last_answers: Vec<(PersonalityId, Answer)>,
}

/// The lab a lesson runs in: the simulated network, every personality.
fn fresh_lab() -> Lab {
    Lab::new(PersonalityId::ALL, Box::new(SimNet))
}

impl LessonRun {
    /// Start a lesson at its first step.
    pub fn new(lesson: &Lesson) -> LessonRun {
        let mut names = Names::default();
        let mut wanted = Vec::new();
        let mut expects = Vec::new();
        let mut n = 0;
        let mut parse = |text: &str, names: &mut Names| {
            n += 1;
            match parse_line(text, n, names) {
                Ok(Some(st)) => st,
                other => panic!("lesson {}: `{text}` does not parse: {other:?} (checked by the tests)", lesson.id),
            }
        };
        for step in &lesson.steps {
            wanted.push(step.commands.iter().map(|c| parse(c, &mut names)).collect());
            expects.push(step.expect.iter().map(|e| parse(&format!("expect {e}"), &mut names)).collect());
        }
        LessonRun {
            lesson: lesson.clone(),
            lab: fresh_lab(),
            wanted,
            expects,
            names: Names::default(),
            history: Vec::new(),
            step_start: (0, Names::default()),
            step: 0,
            typed: 0,
            last_answers: Vec::new(),
        }
    }

    /// Start a lesson at step `step` (0-based), as if the earlier steps had been typed. A
    /// step past the end gives a finished run.
    pub fn resume(lesson: &Lesson, step: usize) -> LessonRun {
        let mut run = LessonRun::new(lesson);
        while run.step < step.min(run.lesson.steps.len()) {
            while run.typed < run.wanted[run.step].len() {
                run.type_wanted(&mut io::sink());
            }
            run.next_step();
        }
        run
    }

    /// The lesson being played.
    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The lesson's lab: its sockets, states and last answers.
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// 0-based index of the current step (equal to the number of steps when finished).
    pub fn step_index(&self) -> usize {
        self.step
    }

    /// How many steps the lesson has.
    pub fn step_count(&self) -> usize {
        self.lesson.steps.len()
    }

    /// Whether every step is done.
    pub fn is_finished(&self) -> bool {
        self.step >= self.lesson.steps.len()
    }

    /// The commands the current step still asks for, in order (empty when finished).
    pub fn remaining_commands(&self) -> Vec<String> {
        match self.lesson.steps.get(self.step) {
            Some(s) => s.commands[self.typed..].to_vec(),
            None => Vec::new(),
        }
    }

    /// The current step's instruction, headed `Step N of M`.
    pub fn instruction(&self) -> String {
        let Some(s) = self.lesson.steps.get(self.step) else {
            return "This lesson is complete.".into();
        };
        let mut t = format!("-- Step {} of {} --\n{}", self.step + 1, self.step_count(), s.instruction.trim());
        if self.typed > 0 {
            t.push_str(&format!("\n({} of {} commands typed; next: type the next one.)", self.typed, s.commands.len()));
        }
        t
    }

    /// The current step's hint.
    pub fn hint(&self) -> String {
        self.lesson.steps.get(self.step).map(|s| s.hint.trim_end().to_string()).unwrap_or_default()
    }

    /// Feed one line the learner typed.
    pub fn feed(&mut self, line: &str) -> StepOutcome {
        if self.is_finished() {
            return StepOutcome::Finished;
        }
        let word = line.trim().to_ascii_lowercase();
        match word.as_str() {
            "" => return StepOutcome::Info(self.instruction()),
            "hint" => return StepOutcome::Info(format!("Hint: {}", self.hint())),
            "show" => {
                let cmds = self.remaining_commands();
                let lead = if cmds.len() == 1 { "Type this line:" } else { "Type these lines, one at a time:" };
                let body: Vec<String> = cmds.iter().map(|c| format!("    {c}")).collect();
                return StepOutcome::Info(format!("{lead}\n{}", body.join("\n")));
            }
            "help" | "?" => {
                let mut t =
                    String::from("Type the command the step asks for; it runs in every personality at once.\nAlso:\n");
                for (w, what) in CONTROL_WORDS {
                    t.push_str(&format!("  {w:<6} {what}\n"));
                }
                t.push_str("  (empty line) the instruction again\n");
                return StepOutcome::Info(t);
            }
            "skip" => return self.skip(),
            _ => {}
        }
        let mut names = self.names.clone();
        let number = self.history.len() + 1;
        let stmt = match parse_line(line, number, &mut names) {
            Ok(Some(st)) => st,
            Ok(None) => return StepOutcome::Info("(a comment: nothing to run)".into()),
            Err(error) => return StepOutcome::Invalid { error, hint: self.hint() },
        };
        if let StmtKind::Expect(e) = &stmt.kind {
            let r = self.check_one(&stmt.text, e);
            return StepOutcome::Info(r.to_string());
        }
        let want = &self.wanted[self.step][self.typed];
        if stmt.kind == want.kind {
            self.names = names;
            let mut out = Vec::new();
            self.apply(stmt, &mut out);
            let output = String::from_utf8_lossy(&out).into_owned();
            self.typed += 1;
            let remaining = self.wanted[self.step].len() - self.typed;
            if remaining > 0 { StepOutcome::Ran { output, remaining } } else { self.finish_step(output, false) }
        } else {
            let output = self.try_on_copy(&stmt);
            let mut hint = String::new();
            if let (StmtKind::Call(a), StmtKind::Call(b)) = (&stmt.kind, &want.kind) {
                if a.name() == b.name() {
                    hint.push_str(&format!("Right call ({}), other arguments. ", a.name()));
                }
            }
            hint.push_str(&self.hint());
            StepOutcome::Different { output, hint }
        }
    }

    /// Type the step's remaining commands for the learner.
    fn skip(&mut self) -> StepOutcome {
        let mut out = Vec::new();
        while self.typed < self.wanted[self.step].len() {
            self.type_wanted(&mut out);
        }
        self.finish_step(String::from_utf8_lossy(&out).into_owned(), true)
    }

    /// Run the step's next command as if the learner had typed it.
    fn type_wanted(&mut self, w: &mut dyn io::Write) {
        let st = self.wanted[self.step][self.typed].clone();
        // Parsing it again defines the names it introduces.
        let _ = parse_line(&st.text, self.history.len() + 1, &mut self.names);
        self.apply(st, w);
        self.typed += 1;
    }

    /// Run one accepted statement in the lesson's lab, writing its compare columns.
    fn apply(&mut self, mut stmt: Stmt, w: &mut dyn io::Write) {
        stmt.span.line = self.history.len() + 1;
        run_one(&stmt, &mut self.lab, w);
        if matches!(stmt.kind, StmtKind::Call(_)) {
            let ps = self.lab.personalities();
            self.last_answers =
                ps.iter().enumerate().filter_map(|(k, p)| self.lab.last(k).map(|a| (*p, a.clone()))).collect();
        }
        self.history.push(stmt);
    }

    fn next_step(&mut self) {
        self.step += 1;
        self.typed = 0;
        self.step_start = (self.history.len(), self.names.clone());
    }

    fn check_one(&self, text: &str, e: &crate::script::ast::Expect) -> CheckResult {
        let mut failures = Vec::new();
        for (k, p) in self.lab.personalities().into_iter().enumerate() {
            if e.only.as_ref().is_some_and(|only| !only.contains(&p)) {
                continue;
            }
            if let Err(why) = check(&self.lab, k, p, e) {
                failures.push((p, why));
            }
        }
        let expect = text.trim().strip_prefix("expect").unwrap_or(text).trim().to_string();
        CheckResult { expect, failures }
    }

    fn finish_step(&mut self, output: String, skipped: bool) -> StepOutcome {
        let checks: Vec<CheckResult> = self.expects[self.step]
            .iter()
            .map(|st| match &st.kind {
                StmtKind::Expect(e) => self.check_one(&st.text, e),
                _ => unreachable!("expectations parse as expect statements"),
            })
            .collect();
        let step = &self.lesson.steps[self.step];
        if checks.iter().all(CheckResult::ok) {
            let answers = self.answers_worth_explaining();
            let number = self.step + 1;
            let explanation = step.explain.clone();
            self.next_step();
            let lesson_complete = self.is_finished().then(|| self.lesson.summary.clone());
            StepOutcome::Passed(Box::new(Passed {
                output,
                checks,
                explanation,
                answers,
                skipped,
                step: number,
                lesson_complete,
            }))
        } else {
            let hint = step.hint.clone();
            self.rewind_to_step_start();
            StepOutcome::Failed { output, checks, hint }
        }
    }

    /// Per personality, the answer to the step's last call, when there is something to
    /// explain: an error, a call that does not exist, or personalities deciding by other rules.
    fn answers_worth_explaining(&self) -> Vec<AnswerWhy> {
        let a = &self.last_answers;
        let interesting = a.iter().any(|(_, x)| x.error.is_some() || x.ret == Ret::NotApplicable)
            || a.windows(2).any(|w| w[0].1.rule != w[1].1.rule);
        if !interesting {
            return Vec::new();
        }
        a.iter()
            .map(|(p, x)| AnswerWhy {
                personality: *p,
                answer: answer_text(x, Profile::of(*p)),
                rule: x.rule,
                assumed: rules::find(x.rule).is_some_and(|r| r.assumed.contains(p)),
            })
            .collect()
    }

    /// Rebuild the lab as it was when the current step began.
    fn rewind_to_step_start(&mut self) {
        let (len, names) = self.step_start.clone();
        self.history.truncate(len);
        self.names = names;
        self.typed = 0;
        self.lab = replay(&self.history);
        self.last_answers.clear();
    }

    /// Run a statement on a copy of the lesson's lab and return its compare columns.
    fn try_on_copy(&self, stmt: &Stmt) -> String {
        let mut lab = replay(&self.history);
        let mut st = stmt.clone();
        st.span.line = self.history.len() + 1;
        let mut out = Vec::new();
        run_one(&st, &mut lab, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// A fresh lab with these statements run in it (the simulated network is deterministic).
fn replay(history: &[Stmt]) -> Lab {
    let mut lab = fresh_lab();
    let _ = run(history, &mut lab, Output::Single, &mut io::sink());
    lab
}

/// The runner's compare columns for one statement, without its closing count line.
fn run_one(stmt: &Stmt, lab: &mut Lab, w: &mut dyn io::Write) {
    let mut buf = Vec::new();
    let _ = run(std::slice::from_ref(stmt), lab, Output::Compare, &mut buf);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.last().is_some_and(|l| l.contains(" steps, ") && l.contains(" checks: ")) {
        lines.pop();
    }
    for l in lines {
        let _ = writeln!(w, "{l}");
    }
}
