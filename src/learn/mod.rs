//! Teaching: guided lessons, `socklab explain`, and the learner's progress.
//!
//! - [`lesson`]: the lessons, as data (`lessons.toml`): a title, a goal and steps. A step asks
//!   the learner to type one or more commands of the command language, checks what happened
//!   with `expect` lines (the runner's own [`crate::script::run::check`]), and explains why each
//!   personality answered as it did.
//! - [`run`]: [`LessonRun`], the lesson engine. It owns a [`crate::session::lab::Lab`] on the
//!   simulated network with all four personalities, and is driven one line at a time with
//!   [`LessonRun::feed`], which returns a [`StepOutcome`].
//! - [`explain`]: [`explain::explain`], everything socklab knows about one error code, as
//!   structured data with a `Display` (the text of `socklab explain`).
//! - [`progress`]: which lessons are done and where the learner stopped, in the user's data dir.
//! - [`cli`]: the line-based terminal front end of `socklab learn` and `socklab explain`.
//!
//! # Driving a lesson from another front end (the TUI's lesson panel)
//!
//! ```
//! use socklab::learn::{lesson, LessonRun, StepOutcome};
//!
//! let mut run = LessonRun::new(lesson::by_number(1).unwrap());
//! // Show run.title(), run.goal(), then run.instruction() for the current step.
//! let out = run.feed("socket tcp as b");
//! assert!(matches!(out, StepOutcome::Passed(_)));
//! // `hint`, `show`, `skip` and `help` are understood too; anything else is a command.
//! let out = run.feed("connect b @refuse");
//! assert!(matches!(out, StepOutcome::Different { .. }));
//! // run.lab() is the lesson's lab: draw its sockets and states like any other Lab.
//! ```
//!
//! The panel shows `instruction()` and the outcome of each line; the prompt's other views can
//! draw `lab()`. Save [`LessonRun::step_index`] with [`progress::Progress`] to resume later
//! with [`LessonRun::resume`].

pub mod cli;
pub mod explain;
pub mod lesson;
pub mod progress;
pub mod run;

pub use explain::{Explanation, explain};
pub use lesson::{Lesson, Step};
pub use run::{CheckResult, Layout, LessonRun, Passed, StepOutcome};
