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
