//! The command language and the headless runner.

pub mod ast;
pub mod parse;
pub mod replay;
pub mod run;
pub mod term;
pub mod unparse;
