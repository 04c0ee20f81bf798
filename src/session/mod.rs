//! The journal of one experiment: the same calls answered by several personalities.

pub mod lab;
