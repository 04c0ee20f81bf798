//! socklab: a terminal laboratory for the semantics of `connect()` on Windows Sockets and POSIX.
//!
//! Layers (see `docs/architecture.md`):
//! - [`core`]: pure personalities, socket state machine, error catalogue. No I/O, no clock.
//! - [`net`]: facts from the world (simulated network with virtual time; live sockets).
//! - [`script`]: the command language (parser shared with the TUI prompt) and the headless runner.
//! - [`app`]: application state and `update(msg) -> effects`; no terminal, no clock.
//! - [`ui`]: ratatui views only: `render(frame, area, &App, &Theme)`.
//! - [`tui`]: the one async loop that wires terminal, network and app together.
//! - [`learn`]: guided lessons, `socklab explain`, the learner's progress.
//! - [`files`]: the files socklab writes (never clobbered) and the settings files it reads.

pub mod app;
pub mod core;
pub mod files;
pub mod learn;
pub mod net;
pub mod script;
pub mod session;
pub mod tui;
pub mod ui;
