//! A reader for call lines in the shape socklab writes them (issue 13: serde read them through
//! its buffered `Content`, because [`Call`] is tagged inside its object, about a tenth of the
//! instructions of a replay).
//!
//! [`call`] reads the envelope (`t`, `kind`, `line`, `text`) itself and the call's object by
//! serde_json, from the slice of the line it occupies. A script's calls repeat, so the last
//! calls read are remembered by the exact text of their object: the same text is the same
//! call, and a clone of it is much cheaper than a parse. The memory is bounded (64 calls, each
//! of at most 1 KB of JSON). Like the answer reader, it gives up (`None`) on anything it does
//! not expect (whitespace, an escape in a string, a key it does not know or sees twice, `null`
//! for the line) and the caller parses the line with serde, so an accepted line means what
//! serde reads and a refused one gets serde's error.

use std::cell::RefCell;

use super::answer_line::Cur;
use super::record::CallEntry;
use crate::core::call::Call;

/// Calls remembered: a table of `SLOTS`, a text's place in any of the `WAYS` slots of its
/// group (so that a few texts of the same group do not push each other out at every step).
const SLOTS: usize = 256;
const WAYS: usize = 4;
/// The longest object text remembered.
const MAX_KEY: usize = 1024;

/// A remembered call: the text of its object, and the call.
type Slot = Option<(Box<str>, Call)>;

thread_local! {
    static SEEN: RefCell<Vec<Slot>> = RefCell::new(vec![None; SLOTS]);
}

/// A hash of `text`, eight bytes at a time (the table only needs the same text to give the
/// same number).
fn hash(text: &str) -> u64 {
    let mut h = text.len() as u64;
    let mut chunks = text.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// The first slot of `text`'s group.
fn slot(text: &str) -> (usize, u64) {
    let h = hash(text);
    ((h >> 32) as usize % (SLOTS / WAYS) * WAYS, h)
}

/// The call whose object is `text` (`{"call":"socket",...}`), by serde_json or from memory.
fn call_object(text: &str) -> Option<Call> {
    let (group, h) = slot(text);
    let hit = SEEN.with(|seen| {
        seen.borrow()[group..group + WAYS].iter().flatten().find(|(k, _)| **k == *text).map(|(_, c)| c.clone())
    });
    if hit.is_some() {
        return hit;
    }
    let c: Call = serde_json::from_str(text).ok()?;
    if text.len() <= MAX_KEY {
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            let ways = &mut seen[group..group + WAYS];
            // An empty slot of the group, else one of them by the hash's low bits.
            let i = ways.iter().position(Option::is_none).unwrap_or(h as usize % WAYS);
            ways[i] = Some((text.into(), c.clone()));
        });
    }
    Some(c)
}

/// A call line (`{"t":..,"kind":"call",...}`, no newline), or `None` when the line is not in
/// the shape this reader knows (the caller then parses it with serde).
pub(super) fn call(line: &str) -> Option<CallEntry> {
    let mut c = Cur::new(line);
    c.eat(b"{")?;
    let mut seen = 0u32;
    let mut t = 0.0;
    let mut number = None;
    let mut text = None;
    let mut call = None;
    loop {
        // Each key quoted with its colon, whole.
        let bit: u32 = if c.eat(b"\"t\":").is_some() {
            0
        } else if c.eat(b"\"kind\":").is_some() {
            1
        } else if c.eat(b"\"line\":").is_some() {
            2
        } else if c.eat(b"\"text\":").is_some() {
            3
        } else if c.eat(b"\"call\":").is_some() {
            4
        } else {
            return None;
        };
        if seen & (1 << bit) != 0 {
            return None;
        }
        seen |= 1 << bit;
        match bit {
            0 => t = c.f64()?,
            1 => c.eat(b"\"call\"")?,
            2 => number = Some(usize::try_from(c.u64()?).ok()?),
            3 => text = Some(c.str()?.to_string()),
            // The call's object is the last field, as socklab writes it: the rest of the line
            // is read by serde_json (or remembered), which refuses anything but one value.
            _ => call = Some(call_object(c.rest_of_object()?)?),
        }
        match c.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    if !c.at_end() {
        return None;
    }
    Some(CallEntry { t, line: number, text: text?, call: call? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::record::Entry;

    fn serde(line: &str) -> Result<CallEntry, String> {
        serde_json::from_str(line).map_err(|e| e.to_string())
    }

    /// Every call line of the shipped recordings.
    fn shipped_call_lines() -> Vec<String> {
        crate::session::shipped_lines(r#","kind":"call","#)
    }

    #[test]
    fn shipped_call_lines_read_as_serde_reads_them() {
        let lines = shipped_call_lines();
        assert!(lines.len() > 50, "only {} call lines found", lines.len());
        let mut fast_read = 0;
        // Twice: read, then remembered.
        for _ in 0..2 {
            for line in &lines {
                match call(line) {
                    Some(fast) => {
                        assert_eq!(fast, serde(line).unwrap(), "{line}");
                        fast_read += 1;
                    }
                    // An escape in the text (`send="hello"`) is left to serde.
                    None => assert!(line.contains('\\'), "the fast reader gave up on {line}"),
                }
                assert_eq!(Entry::parse(line), Ok(Entry::Call(serde(line).unwrap())), "{line}");
            }
        }
        assert!(fast_read > 2 * 50, "only {fast_read} of {} lines read the fast way", 2 * lines.len());
    }

    /// Calls whose objects share a group of slots, more of them than it holds, read in turn:
    /// each is its own call, remembered or pushed out.
    #[test]
    fn a_remembered_call_is_only_given_for_the_same_text() {
        let mut by_group: std::collections::HashMap<usize, Vec<String>> = std::collections::HashMap::new();
        for n in 0..2000 {
            let obj = format!(r#"{{"call":"socket","proto":"tcp","family":"v4","name":"s{n}"}}"#);
            by_group.entry(slot(&obj).0).or_default().push(obj);
        }
        let crowd = by_group.values().find(|v| v.len() > 2 * WAYS).expect("a crowded group");
        for _ in 0..3 {
            for o in crowd {
                let line = format!(r#"{{"t":0.0,"kind":"call","line":1,"text":"x","call":{o}}}"#);
                assert_eq!(call(&line).unwrap(), serde(&line).unwrap(), "{line}");
            }
        }
    }

    /// Lines the fast reader leaves to serde: what serde makes of them (an entry or an error)
    /// is what `Entry::parse` returns.
    #[test]
    fn unusual_lines_are_left_to_serde() {
        let base = r#"{"t":0.0,"kind":"call","line":3,"text":"connect s @accept","call":{"call":"connect","sock":{"Name":"s"},"addr":{"kind":{"Target":"accept"},"len":null},"api":"Connect"}}"#;
        assert_eq!(call(base), serde(base).ok());
        let odd = [
            base.replace(r#""line":3,"#, ""),
            base.replace(r#""api":"Connect""#, r#""api": "Connect""#),
            // The call's object before the other fields: serde reads it.
            r#"{"t":0.0,"kind":"call","call":{"call":"connect","sock":{"Name":"s"},"addr":{"kind":{"Target":"accept"},"len":null},"api":"Connect"},"line":3,"text":"connect s @accept"}"#.to_string(),
            base.replace(r#""line":3"#, r#""line":null"#),
            base.replace(r#""line":3"#, r#""line":-3"#),
            base.replace(r#""line":3"#, r#""line":03"#),
            base.replace(r#""line":3"#, r#""line":3.0"#),
            base.replace(r#""text":"connect s @accept""#, r#""text":"connect s \u0040accept""#),
            base.replace(r#""t":0.0,"#, r#""t":0.0, "#),
            base.replace(r#""line":3,"#, r#""line":3,"line":4,"#),
            base.replace(r#""line":3,"#, r#""line":3,"extra":{"a":"}"},"#),
            base.replace(r#""call":"connect","#, r#""call":"nosuchcall","#),
            base.replace(r#""api":"Connect""#, r#""api":"Connect","api":"Connect""#),
            base.replace(r#","call":{"#, r#","call":["#),
            base.replace(r#""kind":"call""#, r#""kind":"wait""#),
            format!("{base} "),
            format!("{base}x"),
            base[..base.len() - 1].to_string(),
            base[..base.len() - 2].to_string(),
        ];
        for line in &odd {
            let fast = call(line);
            let slow = serde(line);
            match (&fast, &slow) {
                (Some(f), Ok(s)) => assert_eq!(f, s, "{line}"),
                (Some(_), Err(e)) => panic!("the fast reader accepted a line serde refuses ({e}): {line}"),
                (None, _) => {}
            }
            if line.contains(r#""kind":"call""#) {
                let parsed = Entry::parse(line).map_err(|e| e.message);
                match slow {
                    Ok(s) => assert_eq!(parsed, Ok(Entry::Call(s)), "{line}"),
                    Err(_) => assert!(parsed.is_err(), "{line}"),
                }
            }
        }
        // The first two are read the fast way (a call's object may have spaces: serde reads
        // it); the others must not be (serde reads them, or refuses them).
        assert!(odd[..2].iter().all(|l| call(l).is_some()));
        for line in &odd[2..] {
            assert!(call(line).is_none(), "{line}");
        }
    }
}
