//! The command language's syntax tree. One [`Stmt`] per non-empty line.

use std::time::Duration;

use crate::core::call::{Call, FdEvents};
use crate::core::codes::Code;
use crate::core::model::State;
use crate::core::personality::PersonalityId;

/// Where a statement came from, for error messages and transcripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters) of the statement's first token.
    pub col: usize,
}

/// One line of a script (or one prompt entry).
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub span: Span,
    pub kind: StmtKind,
    /// The line's text without its comment, for transcripts.
    pub text: String,
}

/// What a line does.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An API call, answered by every personality.
    Call(Call),
    /// Let virtual time pass.
    Wait(Wait),
    /// Check the last answer or the world, for some personalities or all.
    Expect(Expect),
    /// `mark LABEL`: a marker in the recording (a label to jump to in a replay).
    Mark(String),
}

/// `wait MS` or `wait NAME connected|failed|event`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// `wait 500`: let 500 ms of virtual time pass.
    For(Duration),
    /// `wait s connected`: until the socket reaches the condition (bounded).
    Until { sock: String, until: WaitUntil },
}

/// What `wait NAME ...` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitUntil {
    Connected,
    Failed,
    /// Any notification about the socket.
    Event,
}

/// `expect [P1,P2:] WHAT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// `None`: every personality being run. `Some`: only these (others skip the line).
    pub only: Option<Vec<PersonalityId>>,
    pub what: ExpectWhat,
}

/// What an `expect` checks.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectWhat {
    /// `expect ok`: the last call succeeded.
    Ok,
    /// `expect ret N` (also `expect ret true|false` for BOOL, `-1` for SOCKET_ERROR).
    Ret(i64),
    /// `expect error NAME` (a code name or number from the catalogue).
    Error(Code),
    /// `expect na`: the personality has no such call.
    NotApplicable,
    /// `expect state NAME STATE`.
    State { sock: String, state: State },
    /// `expect select read=a,b write=c except=` : the sets the last select left (omitted set:
    /// not checked; `x=` with nothing: must be empty).
    Select { read: Option<Vec<String>>, write: Option<Vec<String>>, except: Option<Vec<String>> },
    /// `expect event NAME FD_CONNECT [error=CODE|error=0]`: a network event or window message
    /// arrived for the socket (since the previous call), with that error when given.
    Event { sock: String, event: FdEvents, error: Option<Option<Code>> },
    /// `expect noevent NAME [FD_X]`: no network event or window message (of that kind, when
    /// given) arrived for the socket since the previous call.
    NoEvent { sock: String, event: Option<FdEvents> },
    /// `expect completion NAME [error=CODE|error=0] [bytes=N]`: an overlapped completion.
    Completion { sock: String, error: Option<Option<Code>>, bytes: Option<u32> },
    /// `expect value TEXT`: the last answer's value printed as text equals TEXT
    /// (`expect value 127.0.0.1:7001`, `expect value 0xFFFFFFFF`, `expect value WSAECONNREFUSED`).
    Value(String),
    /// `expect elapsed >= MS` / `expect elapsed < MS`: how long the last call blocked.
    Elapsed { at_least: bool, ms: u64 },
}
