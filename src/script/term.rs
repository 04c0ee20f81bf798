//! Text on its way to a terminal: the one routine that keeps recorded or typed strings from
//! acting on the terminal they are printed to (clearing the screen, setting the title,
//! rewriting a line with a carriage return, reordering text with a bidirectional override).
//!
//! [`visible`] writes such characters as `\u{1b}`; [`SafeWriter`] applies it to everything a
//! headless command prints (`run`, `replay --headless`, `export --to md` on standard output).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Characters that must not reach a terminal or a text file raw: control characters (C0,
/// DEL, C1) and the format characters that reorder or break lines (bidirectional overrides and
/// isolates, line and paragraph separators, zero-width marks, the byte-order mark).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every unsafe character but the line feed (and tab, when `keep_layout`) written
/// as `\u{H..}`, or as JSON's `\uHHHH` when `json` (the unsafe characters that serde_json
/// leaves raw, DEL, C1 and the format characters, all lie below U+10000).
fn filter(s: &str, keep_layout: bool, json: bool) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe_char(c) && !(keep_layout && (c == '\n' || c == '\t'));
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) && json {
            let _ = write!(o, "\\u{:04x}", c as u32);
        } else if bad(c) {
            let _ = write!(o, "\\u{{{:x}}}", c as u32);
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// One line of text for a terminal: every unsafe character, line breaks included, written as
/// `\u{H..}`.
pub fn visible(s: &str) -> Cow<'_, str> {
    filter(s, false, false)
}

/// Text for a terminal, lines kept: every unsafe character but the line feed and the tab
/// written as `\u{H..}`.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    filter(s, true, false)
}

/// A writer that passes text through with its unsafe characters made visible, keeping line
/// feeds and tabs. Bytes that are not UTF-8 are written as `\x{HH}`. A character split across
/// two writes is held until its end arrives.
#[derive(Debug)]
pub struct SafeWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
    /// Where a held character and the next write are put together; kept between writes, so
    /// a 64 KB block that ends inside a `≠` does not cost an allocation.
    joined: Vec<u8>,
    json: bool,
}

impl<W: Write> SafeWriter<W> {
    /// For text.
    pub fn new(inner: W) -> Self {
        SafeWriter { inner, pending: Vec::new(), joined: Vec::new(), json: false }
    }

    /// For JSON lines: the characters are escaped as JSON escapes them, so the output stays
    /// valid JSON.
    pub fn json(inner: W) -> Self {
        SafeWriter { inner, pending: Vec::new(), joined: Vec::new(), json: true }
    }

    /// [`SafeWriter::json`] when `json`, else [`SafeWriter::new`].
    pub fn for_output(inner: W, json: bool) -> Self {
        SafeWriter { inner, pending: Vec::new(), joined: Vec::new(), json }
    }

    /// The inner writer (anything held back, an incomplete character, is written first).
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush_pending()?;
        Ok(self.inner)
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut o = String::new();
        for b in std::mem::take(&mut self.pending) {
            let _ = write!(o, "\\x{{{b:02x}}}");
        }
        self.inner.write_all(o.as_bytes())
    }

    fn write_text(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => return self.inner.write_all(filter(s, true, self.json).as_bytes()),
                Err(e) => {
                    let (good, rest) = bytes.split_at(e.valid_up_to());
                    // `good` is valid UTF-8 by `valid_up_to`.
                    let s = std::str::from_utf8(good).unwrap_or_default();
                    self.inner.write_all(filter(s, true, self.json).as_bytes())?;
                    match e.error_len() {
                        // An incomplete character at the end: wait for the rest.
                        None => {
                            self.pending.extend_from_slice(rest);
                            return Ok(());
                        }
                        Some(n) => {
                            let mut o = String::new();
                            for b in &rest[..n] {
                                let _ = write!(o, "\\x{{{b:02x}}}");
                            }
                            self.inner.write_all(o.as_bytes())?;
                            bytes = &rest[n..];
                        }
                    }
                }
            }
        }
    }
}

/// How many bytes at the start of `b` are complete, safe characters that pass as they are:
/// printable ASCII, the line feed and the tab, and any valid UTF-8 character that is not
/// unsafe (`≠`, `·` and `…` in a compare transcript). The rest, from the first byte that is
/// unsafe, not UTF-8 or an unfinished character, goes through [`SafeWriter::write_text`].
fn safe_len(b: &[u8]) -> usize {
    let mut i = 0;
    while i < b.len() {
        // Sixteen bytes at a time while they are all printable ASCII, line feeds or tabs (the
        // test has no branch per byte, so the compiler makes it a few vector compares; line
        // feeds, one per transcript line, no longer end the fast run); the byte-wise checks
        // below take the rest.
        while let Some(w) = b.get(i..i + 16) {
            let plain =
                w.iter().fold(true, |ok, &c| ok & ((c.wrapping_sub(0x20) < 0x5f) | (c == b'\n') | (c == b'\t')));
            if !plain {
                break;
            }
            i += 16;
        }
        match safe_char_len(b, i) {
            Some(n) => i += n,
            None => break,
        }
    }
    i
}

/// The length of the safe character at `b[i]` (see [`safe_len`]), or `None` at the end of `b`,
/// at an unsafe byte or character, or at one that is not complete UTF-8.
fn safe_char_len(b: &[u8], i: usize) -> Option<usize> {
    let c = *b.get(i)?;
    if c < 0x80 {
        return ((c >= 0x20 && c != 0x7f) || c == b'\n' || c == b'\t').then_some(1);
    }
    let width = if c >= 0xf0 {
        4
    } else if c >= 0xe0 {
        3
    } else {
        2
    };
    let seq = b.get(i..i + width)?;
    match std::str::from_utf8(seq).ok().and_then(|s| s.chars().next()) {
        Some(ch) if !is_unsafe_char(ch) => Some(width),
        _ => None,
    }
}

/// How many bytes at the end of `b` are the start of a UTF-8 character whose rest has not
/// arrived yet.
fn incomplete_tail(b: &[u8]) -> usize {
    for back in 1..=3.min(b.len()) {
        let c = b[b.len() - back];
        if c & 0xc0 != 0x80 {
            // A lead byte (or ASCII): how long its character is.
            let need = if c >= 0xf0 {
                4
            } else if c >= 0xe0 {
                3
            } else if c >= 0xc0 {
                2
            } else {
                1
            };
            return if need > back { back } else { 0 };
        }
    }
    0
}

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut joined = std::mem::take(&mut self.joined);
        let bytes = if self.pending.is_empty() {
            buf
        } else {
            joined.clear();
            joined.append(&mut self.pending);
            joined.extend_from_slice(buf);
            &joined[..]
        };
        // The common case: everything passes as it is, checked character by character
        // without building a string; an unfinished character at the end is held until its
        // end arrives. Filtering is per character, so the rest can start at any boundary.
        let n = safe_len(bytes);
        let mut done = self.inner.write_all(&bytes[..n]);
        let rest = &bytes[n..];
        if done.is_ok() && !rest.is_empty() {
            if rest.len() < 4 && incomplete_tail(bytes) == rest.len() {
                self.pending.extend_from_slice(rest);
            } else {
                done = self.write_text(rest);
            }
        }
        self.joined = joined;
        done?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_lines_stay_lines() {
        let mut w = SafeWriter::new(Vec::new());
        w.write_all(b"a\x1b]0;title\x07b\r\nALL PASSED\xc2").unwrap();
        w.write_all(b"\x9b2J\n\xff").unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(out, "a\\u{1b}]0;title\\u{7}b\\u{d}\nALL PASSED\\u{9b}2J\n\\x{ff}");
    }

    #[test]
    fn characters_split_across_writes_survive() {
        let text = "é\u{1b}x\u{202e}y€z\n";
        for split in 0..=text.len() {
            let mut w = SafeWriter::new(Vec::new());
            w.write_all(&text.as_bytes()[..split]).unwrap();
            w.write_all(&text.as_bytes()[split..]).unwrap();
            let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
            assert_eq!(out, "é\\u{1b}x\\u{202e}y€z\n", "split at {split}");
        }
    }

    #[test]
    fn json_stays_json() {
        let mut w = SafeWriter::json(Vec::new());
        let line = serde_json::json!({ "label": "a\u{7f}\u{9b}\u{202e}\u{1b}b" }).to_string();
        w.write_all(line.as_bytes()).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert!(!out.chars().any(is_unsafe_char), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["label"], "a\u{7f}\u{9b}\u{202e}\u{1b}b");
    }

    #[test]
    fn safe_text_passes_whole_and_stray_bytes_do_not() {
        let mut w = SafeWriter::new(Vec::new());
        w.write_all("  4≠ connect s @accept | 0 · ti…\tx\n".as_bytes()).unwrap();
        // A byte that is not UTF-8 between plain ASCII is still made visible.
        w.write_all(b"a\xffb\x80c\n").unwrap();
        // Unsafe characters that share a lead byte with safe ones (C1 with `·`, the format
        // characters with `≠`, the byte-order mark).
        w.write_all("\u{85}\u{200b}\u{2028}\u{feff}·\n".as_bytes()).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "  4≠ connect s @accept | 0 · ti…\tx\na\\x{ff}b\\x{80}c\n\\u{85}\\u{200b}\\u{2028}\\u{feff}·\n"
        );
    }

    /// [`safe_len`] without its sixteen-byte steps: the byte-wise rule alone.
    fn safe_len_bytewise(b: &[u8]) -> usize {
        let mut i = 0;
        while let Some(n) = super::safe_char_len(b, i) {
            i += n;
        }
        i
    }

    #[test]
    fn the_sixteen_byte_steps_stop_where_the_byte_wise_rule_does() {
        let base = "  4≠ connect s0 @accept\t| EINPROGRESS (115)\n        s0: readiness POLLOUT (t=0 ms)\n";
        let base = base.as_bytes();
        for at in 0..base.len() {
            for c in 0..=255u8 {
                let mut b = base.to_vec();
                b[at] = c;
                for start in [0, 1, 7, 15] {
                    let b = &b[start.min(b.len())..];
                    assert_eq!(safe_len(b), safe_len_bytewise(b), "byte {c:#x} at {at} from {start}");
                }
            }
        }
        for text in ["", "a", "x\u{7f}y", "é·…≠\u{202e}", "\u{1b}[2J", &"ab\ncd\t".repeat(20)] {
            assert_eq!(safe_len(text.as_bytes()), safe_len_bytewise(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn one_line_has_no_break() {
        assert_eq!(visible("x\ny\u{202e}z"), "x\\u{a}y\\u{202e}z");
        assert!(matches!(visible("plain é"), Cow::Borrowed(_)));
    }
}
