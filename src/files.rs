//! The files socklab writes (recordings, exports, the learner's progress) and the few it reads
//! by name from the user's settings (theme and config files).
//!
//! Writing never clobbers by surprise: an output that already exists is replaced only with
//! `--force`, never when it is one of the command's inputs, and never through a symbolic link;
//! a whole file is written to a temporary file created exclusively next to it, then renamed over
//! it (a reader sees the old file or the new one, never half of one); a streamed file (a
//! recording) is created new. Reading a settings file refuses a FIFO or a device, whose open
//! would block forever without a writer.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::net::live::{is_special_file, same_file};

/// How an output may be written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy<'a> {
    /// `--force`: replace a regular file that is already there.
    pub force: bool,
    /// The command's inputs: never written, whatever `force` says.
    pub inputs: &'a [&'a Path],
}

/// Why an output was refused or could not be written; the message names the file.
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

fn io_err(path: &Path, e: &io::Error) -> WriteError {
    WriteError(format!("cannot write {}: {e}", path.display()))
}

/// Whether `path` may be written under `policy`: `Ok(true)` when a regular file is there (and
/// `--force` allows replacing it), `Ok(false)` when nothing is.
pub fn check_output(path: &Path, policy: Policy<'_>) -> Result<bool, WriteError> {
    let shown = path.display();
    for input in policy.inputs {
        if same_file(path, input) {
            return Err(WriteError(format!(
                "{shown} is the input {}: socklab never writes over a file it reads",
                input.display()
            )));
        }
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path, &e)),
        Ok(m) if m.file_type().is_symlink() => Err(WriteError(format!(
            "{shown} is a symbolic link: socklab does not write through links (name the file itself, or remove the link)"
        ))),
        Ok(m) if !m.is_file() => {
            Err(WriteError(format!("{shown} exists and is not a regular file (a directory, FIFO or device)")))
        }
        Ok(_) if !policy.force => Err(WriteError(format!("{shown} already exists: pass --force to replace it"))),
        Ok(_) => Ok(true),
    }
}

/// Create `path` for streaming (a recording): a new file, created exclusively (an existing
/// name, a link, even a dangling one, is never followed). With `--force` a regular file already
/// there is removed first.
pub fn create_new(path: &Path, policy: Policy<'_>) -> Result<File, WriteError> {
    if check_output(path, policy)? {
        std::fs::remove_file(path).map_err(|e| io_err(path, &e))?;
    }
    OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => {
            WriteError(format!("{} appeared while socklab was creating it: not replaced", path.display()))
        }
        _ => io_err(path, &e),
    })
}

/// A temporary file next to `path`, created exclusively: `.NAME.PID-N.tmp`.
fn exclusive_temp(path: &Path) -> io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map_or_else(|| "socklab".into(), |n| n.to_string_lossy().into_owned());
    let mut last = None;
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Write a whole file atomically: a temporary file created exclusively in the same directory,
/// synced, then renamed over `path` (a rename replaces a name; it never writes through a link).
pub fn write_atomic(path: &Path, bytes: &[u8], policy: Policy<'_>) -> Result<(), WriteError> {
    check_output(path, policy)?;
    replace_atomic(path, bytes)
}

/// [`write_atomic`] without the checks: for socklab's own files (the learner's progress), where
/// whatever is at the name, a link included, is replaced.
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let (mut f, tmp) = exclusive_temp(path).map_err(|e| io_err(path, &e))?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all()).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path, &e));
    }
    Ok(())
}

/// The largest settings file (theme, config) socklab reads.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// Read a settings file (theme, config): a regular file (or a link to one) of at most
/// [`MAX_SETTINGS_BYTES`]. A FIFO or a device is refused before it is opened.
pub fn read_settings(path: &Path) -> io::Result<String> {
    let m = std::fs::metadata(path)?;
    if is_special_file(&m) || m.is_dir() {
        return Err(io::Error::other("not a regular file (a directory, FIFO or device): not read"));
    }
    let f = File::open(path)?;
    let mut text = String::new();
    f.take(MAX_SETTINGS_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(io::Error::other(format!("larger than {MAX_SETTINGS_BYTES} bytes: not read")));
    }
    Ok(text)
}

/// What [`read_line_capped`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The end of the input: nothing was read.
    End,
    /// A line (with its `\n` when it had one) is in the buffer.
    Read,
    /// The line is longer than the cap: the buffer holds its first `max` bytes; the rest of the
    /// line was skipped (up to its `\n`, within `skip_max` more bytes).
    TooLong,
}

/// `read_until(b'\n')` that keeps at most `max` bytes of a line in `buf`, so one huge line (a
/// crafted file, `/dev/zero`) costs `max` bytes of memory, not its length. The rest of a long
/// line is read and dropped, at most `skip_max` bytes of it; after that the input is left where
/// it is (the caller stops there).
pub fn read_line_capped(r: &mut impl io::BufRead, buf: &mut Vec<u8>, max: usize, skip_max: u64) -> io::Result<Line> {
    buf.clear();
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(if buf.is_empty() { Line::End } else { Line::Read });
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > max {
            let room = max - buf.len();
            buf.extend_from_slice(&chunk[..room]);
            r.consume(room);
            skip_line(r, skip_max)?;
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
        if done {
            return Ok(Line::Read);
        }
    }
}

/// Read and drop up to the end of the line, at most `max` bytes.
fn skip_line(r: &mut impl io::BufRead, max: u64) -> io::Result<()> {
    let mut left = max;
    while left > 0 {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(());
        }
        let lim = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match memchr::memchr(b'\n', &chunk[..lim]) {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                r.consume(lim);
                left -= lim as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_output_needs_force_and_an_input_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        std::fs::write(&out, "old").unwrap();
        let e = write_atomic(&out, b"new", Policy::default()).unwrap_err();
        assert!(e.0.contains("--force"), "{e}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        write_atomic(&out, b"new", Policy { force: true, inputs: &[] }).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        let inputs = [out.as_path()];
        let e = write_atomic(&out, b"x", Policy { force: true, inputs: &inputs }).unwrap_err();
        assert!(e.0.contains("never writes over a file it reads"), "{e}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
