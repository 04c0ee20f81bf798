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

/// The width prose is laid out for unless [`LessonRun::set_width`] says otherwise.
pub const DEFAULT_WIDTH: usize = 98;

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
    /// The answer: the error when the call failed (`WSAEWOULDBLOCK (10035)`), else the return
    /// value and any value, as the personality's API spells them.
    pub answer: String,
    /// The rule's id (`connect.nonblocking`).
    pub rule: &'static str,
    /// Whether the answer is socklab's best reading rather than documented or measured.
    pub assumed: bool,
    /// How long the call blocked, in (virtual) milliseconds.
    pub blocked_ms: u128,
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
    /// Width the text is laid out for.
    pub width: usize,
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
        t.push_str("Checks (this step's `expect` lines):\n");
        for c in &self.checks {
            t.push_str(&format!("{c}\n"));
        }
        t.push_str("\nWhat happened:\n");
        t.push_str(&reflow(&self.explanation, self.width, "  "));
        if !self.answers.is_empty() {
            t.push_str("\nWho answered what, and the rule that decided it:\n");
            let width = self.answers.iter().map(|a| a.answer.chars().count()).max().unwrap_or(0);
            let blocking = self.answers.iter().any(|a| a.blocked_ms > 0);
            for a in &self.answers {
                let mut line = format!("  {:<9} {:<width$}", a.personality.name(), a.answer);
                if blocking {
                    line.push_str(&format!("  blocked {:>5} ms", a.blocked_ms));
                }
                line.push_str(&format!("  [{}]", a.rule));
                if a.assumed {
                    line.push_str("  ?");
                }
                t.push_str(line.trim_end());
                t.push('\n');
            }
            if self.answers.iter().any(|a| a.assumed) {
                t.push_str("  (? marks socklab's best reading: not documented nor measured)\n");
            }
            let mut seen: Vec<&str> = Vec::new();
            for a in &self.answers {
                if seen.contains(&a.rule) {
                    continue;
                }
                seen.push(a.rule);
                if let Some(r) = rules::find(a.rule) {
                    let para = format!("[{}] {} (source: {})", r.id, r.summary, r.source);
                    for line in wrap(&para, self.width - 2) {
                        t.push_str(&format!("  {line}\n"));
                    }
                }
            }
        }
        if let Some(summary) = &self.lesson_complete {
            t.push_str("\nLesson complete. To remember:\n");
            t.push_str(&reflow(summary, self.width, "  "));
        }
        t
    }
}

impl StepOutcome {
    /// Whether the step was completed by this line.
    pub fn passed(&self) -> bool {
        matches!(self, StepOutcome::Passed(_))
    }

    /// One line saying what happened, for a status line or a panel title.
    pub fn headline(&self) -> String {
        match self {
            StepOutcome::Info(_) => "(nothing ran)".into(),
            StepOutcome::Ran { remaining: 1, .. } => "Ran; the step asks for one more command".into(),
            StepOutcome::Ran { remaining, .. } => format!("Ran; the step asks for {remaining} more commands"),
            StepOutcome::Passed(p) if p.lesson_complete.is_some() => format!("Step {} done: lesson complete", p.step),
            StepOutcome::Passed(p) => format!("Step {} done", p.step),
            StepOutcome::Failed { .. } => "A check failed; the step starts again".into(),
            StepOutcome::Different { .. } => "Not this step's command (ran on a copy); see the hint".into(),
            StepOutcome::Invalid { .. } => "Not a valid line; see the hint".into(),
            StepOutcome::Finished => "The lesson is complete".into(),
        }
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
                writeln!(f, "Checks (this step's `expect` lines):")?;
                for c in checks {
                    writeln!(f, "{c}")?;
                }
                writeln!(f, "Not what the lesson expects; the lab is back at the start of this step.")?;
                write!(f, "Hint: {}", hint.trim_end())
            }
            StepOutcome::Different { output, hint } => {
                write!(f, "{output}")?;
                writeln!(f, "(Ran on a copy: not this step's command, so the lesson's lab is unchanged.)")?;
                write!(f, "Hint: {}", hint.trim_end())
            }
            StepOutcome::Invalid { error, hint } => {
                writeln!(f, "socklab cannot run that line: {}", error.message)?;
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
    layout: Layout,
    width: usize,
}

/// How a command's answers are laid out in [`StepOutcome`] texts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// The runner's compare columns, one column per personality (about 170 characters wide).
    #[default]
    Columns,
    /// The same cells, one line per personality: for terminals narrower than the columns.
    Rows,
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
            layout: Layout::Columns,
            width: DEFAULT_WIDTH,
        }
    }

    /// Lay prose out for a terminal this many characters wide (at least 40; the default is
    /// [`DEFAULT_WIDTH`]).
    pub fn set_width(&mut self, width: usize) {
        self.width = width.max(40);
    }

    /// Lay answers out in columns (the default) or in rows.
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
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

    /// Every command run in the lesson's lab so far, in order (after a failed check, the
    /// lab was rebuilt and the history is shorter): another front end replays it to mirror
    /// the lab in its own views.
    pub fn history(&self) -> &[Stmt] {
        &self.history
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
        let mut t = format!(
            "-- Step {} of {} --\n{}",
            self.step + 1,
            self.step_count(),
            reflow(&s.instruction, self.width, "").trim_end()
        );
        if self.typed > 0 {
            t.push_str(&format!("\n({} of {} commands typed; next: type the next one.)", self.typed, s.commands.len()));
        }
        t
    }

    /// The current step's hint.
    pub fn hint(&self) -> String {
        self.lesson
            .steps
            .get(self.step)
            .map(|s| reflow(&s.hint, self.width - 6, "").trim_end().to_string())
            .unwrap_or_default()
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
        run_one(&stmt, &mut self.lab, self.layout, self.width, w);
        if matches!(stmt.kind, StmtKind::Call(_)) {
            let ps = self.lab.personalities();
            self.last_answers =
                ps.iter().enumerate().filter_map(|(k, p)| self.lab.last(k).map(|a| (*p, a.clone()))).collect();
        }
        self.history.push(stmt);
    }

    fn next_step(&mut self) {
        self.last_answers.clear();
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
                width: self.width,
            }))
        } else {
            let hint = self.hint();
            self.rewind_to_step_start();
            StepOutcome::Failed { output, checks, hint }
        }
    }

    /// Per personality, the answer to the step's last call, when there is something to
    /// explain: an error, a call that does not exist, or personalities deciding by other rules.
    fn answers_worth_explaining(&self) -> Vec<AnswerWhy> {
        let a = &self.last_answers;
        let interesting = a.iter().any(|(_, x)| x.error.is_some() || x.ret == Ret::NotApplicable)
            || a.iter().any(|(_, x)| x.elapsed.as_millis() > 0)
            || a.windows(2).any(|w| w[0].1.rule != w[1].1.rule);
        if !interesting {
            return Vec::new();
        }
        a.iter()
            .map(|(p, x)| AnswerWhy {
                personality: *p,
                answer: match (x.ret, x.error) {
                    // SOCKET_ERROR / -1 goes without saying when the error is named.
                    (Ret::Int(-1), Some(e)) => e.to_string(),
                    _ => answer_text(x, Profile::of(*p)),
                },
                rule: x.rule,
                assumed: rules::find(x.rule).is_some_and(|r| r.assumed.contains(p)),
                blocked_ms: x.elapsed.as_millis(),
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
        run_one(&st, &mut lab, self.layout, self.width, &mut out);
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
/// In [`Layout::Rows`] the header goes and the row of cells becomes one line per personality.
fn run_one(stmt: &Stmt, lab: &mut Lab, layout: Layout, width: usize, w: &mut dyn io::Write) {
    let ps = lab.personalities();
    let mut buf = Vec::new();
    let _ = run(std::slice::from_ref(stmt), lab, Output::Compare, &mut buf);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.last().is_some_and(|l| l.contains(" passed, ") && l.ends_with(" failed")) {
        lines.pop();
    }
    for (i, l) in lines.into_iter().enumerate() {
        match layout {
            Layout::Columns => {
                let _ = writeln!(w, "{l}");
            }
            Layout::Rows if i == 0 && l.starts_with("line ") => {}
            Layout::Rows => match l.split_once(" | ") {
                Some((head, cells)) => {
                    let _ = writeln!(w, "{}", head.trim_end());
                    for (p, cell) in ps.iter().zip(cells.split(" | ")) {
                        let _ = writeln!(w, "        {:<9} {}", p.name(), cell.trim());
                    }
                }
                None => {
                    for part in wrap_hanging(l, width) {
                        let _ = writeln!(w, "{part}");
                    }
                }
            },
        }
    }
}

/// Lay out lesson prose: lines that start with a space (commands to type) stay as they are;
/// the other lines are joined into paragraphs (a blank line ends one) and filled to `width`,
/// every line prefixed with `indent`.
pub fn reflow(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            for line in fill(&para.join(" "), width.saturating_sub(indent.len()).max(20)) {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
            }
            para.clear();
        }
    };
    for line in text.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
            out.push('\n');
        } else if line.starts_with(' ') {
            flush(&mut para, &mut out);
            out.push_str(indent);
            out.push_str(line);
            out.push('\n');
        } else {
            para.push(line.trim());
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Fill a paragraph into lines of at most `width` characters (a longer word stays whole).
fn fill(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Break one line to `width`, keeping its indentation and indenting the continuation lines
/// four more spaces.
pub fn wrap_hanging(line: &str, width: usize) -> Vec<String> {
    let indent = line.len() - line.trim_start().len();
    let lead = &line[..indent];
    let more = format!("{lead}    ");
    let mut out = Vec::new();
    for (i, l) in fill(line.trim_start(), width.saturating_sub(indent + 4).max(20)).into_iter().enumerate() {
        out.push(format!("{}{l}", if i == 0 { lead } else { more.as_str() }));
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Break a paragraph into lines of at most `width` characters (longer words stay whole); the
/// lines after the first are indented by two spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let limit = if lines.is_empty() { width } else { width - 2 };
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > limit {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    for l in lines.iter_mut().skip(1) {
        l.insert_str(0, "  ");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines() {
        let l = crate::learn::lesson::by_number(1).unwrap();
        let mut run = LessonRun::new(l);
        assert_eq!(run.feed("hint").headline(), "(nothing ran)");
        assert_eq!(run.feed("socket tcp as b").headline(), "Step 1 done");
        assert!(run.feed("connect b @refuse").headline().starts_with("Not this step"));
        assert!(run.feed("conect").headline().starts_with("Not a valid line"));
        let mut last = String::new();
        while !run.is_finished() {
            last = run.feed("skip").headline();
        }
        assert!(last.ends_with("lesson complete"), "{last}");
        assert_eq!(run.feed("x").headline(), "The lesson is complete");
    }

    #[test]
    fn wrap_keeps_words_and_width() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let lines = wrap(text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" ").split_whitespace().collect::<Vec<_>>().join(" "), text);
        assert!(lines[1].starts_with("  "));
    }

    #[test]
    fn rows_layout_puts_each_personality_on_its_own_line() {
        let l = crate::learn::lesson::by_number(1).unwrap();
        let mut run = LessonRun::resume(l, 3);
        run.set_layout(Layout::Rows);
        let text = run.feed("connect s @slow").to_string();
        assert!(text.contains("\n        winsock1  WSAEWOULDBLOCK (10035)\n"), "{text}");
        assert!(!text.contains(" | "), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    }

    #[test]
    fn reflow_fills_paragraphs_and_keeps_commands() {
        let text =
            "Create a socket\nand connect it:\n    socket tcp as s\nThen wait a long while for the answer to come.";
        let out = reflow(text, 24, "  ");
        assert_eq!(
            out,
            "  Create a socket and\n  connect it:\n      socket tcp as s\n  Then wait a long while\n  for the answer to\n  come.\n"
        );
    }

    #[test]
    fn narrow_width_keeps_prose_inside() {
        for l in crate::learn::lesson::all() {
            let mut run = LessonRun::new(l);
            run.set_width(78);
            run.set_layout(Layout::Rows);
            while !run.is_finished() {
                for line in run.instruction().lines() {
                    assert!(line.chars().count() <= 78, "{}: {line}", l.id);
                }
                let StepOutcome::Passed(p) = run.feed("skip") else { panic!() };
                // `expect` lines are code, shown as written.
                for line in p.text().lines().filter(|l| !l.contains("expect ")) {
                    assert!(line.chars().count() <= 78, "{}: {line}", l.id);
                }
            }
        }
    }
}
