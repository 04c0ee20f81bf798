//! The learner's progress between runs: which lessons are complete, and the lesson and step
//! where they stopped. Kept as TOML in the user's data directory:
//!
//! - `$SOCKLAB_DATA_DIR/progress.toml` when that variable is set (tests use it),
//! - else `$XDG_DATA_HOME/socklab/progress.toml`,
//! - else `~/.local/share/socklab/progress.toml`.
//!
//! A file that cannot be read as progress is reported and replaced, never fatal.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where a learner stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Current {
    /// The lesson's id (`blocking`).
    pub lesson: String,
    /// The 0-based index of the next step to do.
    pub step: usize,
}

/// Everything kept between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// Format version of the file.
    pub version: u32,
    /// Ids of the lessons completed, in the order they were completed.
    pub completed: Vec<String>,
    /// The lesson in progress, if any.
    pub current: Option<Current>,
}

/// What loading found.
#[derive(Debug)]
pub struct Loaded {
    pub progress: Progress,
    /// Where it lives (and will be saved).
    pub path: PathBuf,
    /// A problem with the file that was there (it will be replaced on the next save).
    pub warning: Option<String>,
}

impl Progress {
    /// The format version written by this socklab.
    pub const VERSION: u32 = 1;

    /// The progress file's path, from the environment; `None` when no home is known.
    pub fn default_path() -> Option<PathBuf> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(d) = var("SOCKLAB_DATA_DIR") {
            return Some(d.join("progress.toml"));
        }
        let base = var("XDG_DATA_HOME").or_else(|| var("HOME").map(|h| h.join(".local/share")))?;
        Some(base.join("socklab").join("progress.toml"))
    }

    /// Read progress from `path`. A missing file is a fresh start; an unreadable or invalid
    /// one is a fresh start with a warning that says so.
    pub fn load(path: &Path) -> Loaded {
        let fresh =
            |warning: Option<String>| Loaded { progress: Progress::default(), path: path.to_path_buf(), warning };
        match std::fs::read_to_string(path) {
            Ok(text) => match toml::from_str::<Progress>(&text) {
                Ok(p) if p.version <= Progress::VERSION => {
                    Loaded { progress: p, path: path.to_path_buf(), warning: None }
                }
                Ok(p) => fresh(Some(format!(
                    "{} was written by a newer socklab (format {}); starting from the first lesson, and the file will be replaced",
                    path.display(),
                    p.version
                ))),
                Err(e) => fresh(Some(format!(
                    "{} is not a valid progress file ({}); starting afresh, and the file will be replaced",
                    path.display(),
                    e.message().trim()
                ))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => fresh(None),
            Err(e) => fresh(Some(format!("cannot read {}: {e}; starting afresh", path.display()))),
        }
    }

    /// Write progress to `path`, creating its directory (atomically: a new file then a rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut p = self.clone();
        p.version = Progress::VERSION;
        let text = format!(
            "# socklab learn: your progress. Delete this file to start over.\n{}",
            toml::to_string(&p).map_err(std::io::Error::other)?
        );
        // A temporary file created exclusively (never through a link), then renamed.
        crate::files::replace_atomic(path, text.as_bytes()).map_err(std::io::Error::other)
    }

    /// Whether the lesson with this id is complete.
    pub fn is_complete(&self, id: &str) -> bool {
        self.completed.iter().any(|c| c == id)
    }

    /// Record that the learner is at `step` of lesson `id`.
    pub fn at(&mut self, id: &str, step: usize) {
        self.current = Some(Current { lesson: id.to_string(), step });
    }

    /// Record that lesson `id` is complete (and no longer in progress).
    pub fn complete(&mut self, id: &str) {
        if !self.is_complete(id) {
            self.completed.push(id.to_string());
        }
        if self.current.as_ref().is_some_and(|c| c.lesson == id) {
            self.current = None;
        }
    }

    /// The step to resume lesson `id` at (0 when it is not the lesson in progress).
    pub fn resume_step(&self, id: &str) -> usize {
        match &self.current {
            Some(c) if c.lesson == id => c.step,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/progress.toml");
        let mut p = Progress::default();
        p.complete("blocking");
        p.at("repeat", 3);
        p.save(&path).unwrap();
        let back = Progress::load(&path);
        assert!(back.warning.is_none(), "{:?}", back.warning);
        assert_eq!(back.progress.completed, vec!["blocking".to_string()]);
        assert_eq!(back.progress.resume_step("repeat"), 3);
        assert_eq!(back.progress.resume_step("blocking"), 0);
        assert_eq!(back.progress.version, Progress::VERSION);
    }

    #[test]
    fn missing_is_fresh_and_silent() {
        let dir = tempfile::tempdir().unwrap();
        let l = Progress::load(&dir.path().join("progress.toml"));
        assert!(l.warning.is_none());
        assert_eq!(l.progress, Progress::default());
    }

    #[test]
    fn corrupt_is_reported_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.toml");
        for junk in ["completed = 5\n", "\u{0}\u{1}garbage[[[", "version = 99\n"] {
            std::fs::write(&path, junk).unwrap();
            let l = Progress::load(&path);
            assert!(l.warning.as_deref().is_some_and(|w| w.contains("progress.toml")), "{junk:?}: {:?}", l.warning);
            assert_eq!(l.progress.completed, Vec::<String>::new());
            l.progress.save(&path).unwrap();
            assert!(Progress::load(&path).warning.is_none());
        }
    }

    #[test]
    fn completing_clears_current() {
        let mut p = Progress::default();
        p.at("blocking", 2);
        p.complete("blocking");
        assert!(p.current.is_none());
        assert!(p.is_complete("blocking"));
        p.complete("blocking");
        assert_eq!(p.completed.len(), 1);
    }
}
