//! The pure core: personalities, the socket state machine and the error catalogue.
//!
//! Like `quinn-proto`, nothing here performs I/O or reads a clock: time arrives as a parameter
//! and facts about the network arrive through the [`facts::Facts`] trait.

pub mod call;
pub mod codes;
pub mod compare;
pub mod engine;
pub mod facts;
pub mod format;
pub mod model;
pub mod personality;
pub mod profile;
pub mod rules;
