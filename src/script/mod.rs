//! The command language and the headless runner.
