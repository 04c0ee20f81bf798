//! A reader for answer lines in the exact shape socklab writes them, without serde's
//! per-field machinery (issue 13: serde reading the entries was half the instructions of a
//! replay, and answer lines are four lines in five).
//!
//! [`answer`] reads the common fields itself (personality, return value, states, transitions,
//! times, rule id) and hands the rarer ones (`value`, `notifications`, `error`, `note`, `model`,
//! `disagreement`) to serde_json as the slice of the line they occupy. It gives up (`None`) on
//! anything it does not expect: whitespace, an escape in a string, a key it does not know or
//! sees twice, a `null` where socklab would leave the field out, a number it cannot read exactly
//! as serde_json would. The caller then parses the line with serde, so a line this reader
//! accepts means what serde would read, and a line it refuses gets serde's error message.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use super::record::{AnswerEntry, ErrorCode, ModelAnswer, rule_id_str};
use crate::core::codes::Code;
use crate::core::model::{Cause, Notification, Ret, State, Transition, Value};
use crate::core::personality::PersonalityId;

/// Deeper nesting inside a delegated value is left to the whole-line parse (serde_json stops
/// at 128 levels for the line; a slice starts one level down).
const MAX_DEPTH: u32 = 100;

pub(super) struct Cur<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
}

/// Where a string's text ends in `rest` (the bytes after its opening quote): the first quote,
/// backslash or control character. Eight bytes at a time: in each word, the lowest byte
/// flagged by the zero-byte and less-than tests is exact (a false flag needs a borrow from a
/// true one below it).
fn string_end(rest: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = rest.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        let quote = w ^ (LO * u64::from(b'"'));
        let backslash = w ^ (LO * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(LO) & !quote)
            | (backslash.wrapping_sub(LO) & !backslash)
            | (w.wrapping_sub(LO * 0x20) & !w))
            & HI;
        if flags != 0 {
            return Some(i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    rest[i..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|p| i + p)
}

/// Decimal digits without a leading zero (`0` itself aside) and without overflow.
fn digits(d: &[u8]) -> Option<u64> {
    if d.is_empty() || (d.len() > 1 && d[0] == b'0') {
        return None;
    }
    let mut m = 0u64;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        m = m.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(m)
}

/// A table of `N` slots indexed by a string's length and ends: the readers' memory of the
/// texts they met (rule ids, causes, error names), cheaper than hashing each one.
fn slot_of<const N: usize>(s: &str) -> usize {
    let b = s.as_bytes();
    let (first, last) = (b.first().copied().unwrap_or(0), b.last().copied().unwrap_or(0));
    (b.len().wrapping_mul(31) ^ usize::from(first).wrapping_mul(7) ^ usize::from(last)) % N
}

/// A rule id, as [`rule_id_str`] gives it (the registry's own string when it is one), the
/// registry's lookup remembered.
fn rule_id_kept(s: &str) -> Cow<'static, str> {
    thread_local! {
        static SEEN: std::cell::RefCell<[Option<&'static str>; 64]> = const { std::cell::RefCell::new([None; 64]) };
    }
    let i = slot_of::<64>(s);
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        match seen[i] {
            Some(id) if id == s => Cow::Borrowed(id),
            _ => {
                let r = rule_id_str(s);
                if let Cow::Borrowed(id) = r {
                    seen[i] = Some(id);
                }
                r
            }
        }
    })
}

/// A cause's text. Causes are a few texts repeated on every line: the first 64 distinct ones
/// of at most 64 bytes are kept for the life of the process (at most 4 KB, whatever the
/// recording) and shared; the others are owned, as before.
fn cause_text(s: &str) -> Cow<'static, str> {
    thread_local! {
        static KEPT: std::cell::RefCell<(usize, [Option<&'static str>; 64])> =
            const { std::cell::RefCell::new((0, [None; 64])) };
    }
    let i = slot_of::<64>(s);
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        match kept.1[i] {
            Some(t) if t == s => Cow::Borrowed(t),
            Some(_) => Cow::Owned(s.to_string()),
            None if kept.0 < 64 && s.len() <= 64 => {
                let t: &'static str = Box::leak(s.into());
                kept.0 += 1;
                kept.1[i] = Some(t);
                Cow::Borrowed(t)
            }
            None => Cow::Owned(s.to_string()),
        }
    })
}

/// The code named exactly `name` (as serde reads a `Code`), the lookup remembered.
fn code_named(name: &str) -> Option<Code> {
    thread_local! {
        static SEEN: std::cell::RefCell<[Option<Code>; 64]> = const { std::cell::RefCell::new([None; 64]) };
    }
    let i = slot_of::<64>(name);
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        match seen[i] {
            Some(c) if c.name() == name => Some(c),
            _ => {
                let c = Code::ALL.iter().copied().find(|c| c.name() == name)?;
                seen[i] = Some(c);
                Some(c)
            }
        }
    })
}

impl<'a> Cur<'a> {
    /// A cursor at the start of `line`.
    pub(super) fn new(line: &'a str) -> Cur<'a> {
        Cur { src: line, s: line.as_bytes(), i: 0 }
    }

    /// The text from here to the line's last byte when that is a closing brace (the rest of
    /// the line's last field, for serde_json to read), the cursor moved to that brace.
    pub(super) fn rest_of_object(&mut self) -> Option<&'a str> {
        let end = self.s.len().checked_sub(1).filter(|&e| e >= self.i && self.s[e] == b'}')?;
        let text = self.src.get(self.i..end)?;
        self.i = end;
        Some(text)
    }

    /// Whether the whole line was read.
    pub(super) fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    pub(super) fn eat(&mut self, lit: &[u8]) -> Option<()> {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            Some(())
        } else {
            None
        }
    }

    pub(super) fn next(&mut self) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        self.i += 1;
        Some(b)
    }

    /// A string without escapes or control characters.
    pub(super) fn str(&mut self) -> Option<&'a str> {
        let rest = self.s.get(self.i..)?.strip_prefix(b"\"")?;
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        let start = self.i + 1;
        self.i = start + len + 1;
        // Both ends are at ASCII bytes of the line.
        self.src.get(start..start + len)
    }

    fn key(&mut self) -> Option<&'a str> {
        let k = self.str()?;
        self.eat(b":")?;
        Some(k)
    }

    /// The text of a JSON number (checked for JSON's grammar by the readers below).
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        while let Some(&c) = self.s.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start).then(|| &self.src[start..self.i])
    }

    /// A float, read exactly as serde_json reads it: a plain decimal of at most 15 digits is
    /// its digits divided by a power of ten, one correctly rounded operation on exact values,
    /// as in serde_json; anything else goes through serde_json.
    pub(super) fn f64(&mut self) -> Option<f64> {
        const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
        let n = self.number()?;
        let b = n.as_bytes();
        let (neg, d) = match b.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, b),
        };
        let mut m = 0u64;
        let mut i = 0;
        while i < d.len() && d[i].is_ascii_digit() {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d[i] - b'0'));
            i += 1;
        }
        let int_len = i;
        let mut scale = 0;
        if i < d.len() && d[i] == b'.' {
            i += 1;
            let frac = i;
            while i < d.len() && d[i].is_ascii_digit() {
                m = m.wrapping_mul(10).wrapping_add(u64::from(d[i] - b'0'));
                i += 1;
            }
            scale = i - frac;
            if scale == 0 {
                return None;
            }
        }
        // serde_json reads `-0` as the integer 0, not as -0.0: left to it, with the rest.
        let plain = i == d.len()
            && int_len > 0
            && !(int_len > 1 && d[0] == b'0')
            && int_len + scale <= 15
            && !(neg && scale == 0);
        if plain {
            let v = m as f64 / POW10[scale];
            Some(if neg { -v } else { v })
        } else {
            serde_json::from_str(n).ok()
        }
    }

    /// A non-negative integer without leading zeros, read in one pass: what [`digits`] reads
    /// of the [`Cur::number`] here, `None` where it gives `None`.
    pub(super) fn u64(&mut self) -> Option<u64> {
        let start = self.i;
        let mut m = 0u64;
        while let Some(&c) = self.s.get(self.i) {
            if !c.is_ascii_digit() {
                // A sign, point or exponent: not a plain integer.
                if matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                    return None;
                }
                break;
            }
            m = m.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        let len = self.i - start;
        (len == 1 || (len > 1 && self.s[start] != b'0')).then_some(m)
    }

    fn i64(&mut self) -> Option<i64> {
        let n = self.number()?.as_bytes();
        match n.strip_prefix(b"-") {
            // Down to i64::MIN, whose magnitude is one more than i64::MAX.
            Some(d) => digits(d).filter(|&m| m <= i64::MAX as u64 + 1).map(|m| (m as i64).wrapping_neg()),
            None => digits(n).and_then(|m| i64::try_from(m).ok()),
        }
    }

    /// The slice of one JSON value, for serde_json to read.
    pub(super) fn raw(&mut self) -> Option<&'a str> {
        let start = self.i;
        let mut depth = 0u32;
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    loop {
                        match self.next()? {
                            b'\\' => self.i += 1,
                            b'"' => break,
                            _ => {}
                        }
                    }
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                }
                b'}' | b']' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        break;
                    }
                }
                b',' if depth == 0 => break,
                _ => {}
            }
            self.i += 1;
        }
        let s = self.src.get(start..self.i)?;
        (!s.is_empty()).then_some(s)
    }

    fn de<T: Deserialize<'a>>(&mut self) -> Option<T> {
        serde_json::from_str(self.raw()?).ok()
    }

    /// `lit` here, then `v`.
    #[inline(always)]
    fn lit<T>(&mut self, lit: &[u8], v: T) -> Option<T> {
        self.eat(lit).map(|()| v)
    }

    fn state(&mut self) -> Option<State> {
        // By the name's first letter, then the quoted name whole.
        match *self.s.get(self.i + 1)? {
            b'u' => {
                self.lit(b"\"unbound\"", State::Unbound).or_else(|| self.lit(b"\"unassociated\"", State::Unassociated))
            }
            b'b' => self.lit(b"\"bound\"", State::Bound),
            b'l' => self.lit(b"\"listening\"", State::Listening),
            b'p' => self.lit(b"\"pending\"", State::Pending),
            b'c' => self.lit(b"\"connected\"", State::Connected).or_else(|| self.lit(b"\"closed\"", State::Closed)),
            b'f' => self.lit(b"\"failed\"", State::Failed),
            b'a' => self.lit(b"\"associated\"", State::Associated),
            _ => None,
        }
    }

    fn ret(&mut self) -> Option<Ret> {
        let start = self.i;
        let fast = (|| {
            self.eat(b"{\"kind\":")?;
            let r = match self.str()? {
                "int" => {
                    self.eat(b",\"value\":")?;
                    Ret::Int(self.i64()?)
                }
                "handle" => {
                    self.eat(b",\"value\":")?;
                    if self.eat(b"null").is_some() { Ret::Handle(None) } else { Ret::Handle(Some(self.i64()?)) }
                }
                _ => return None,
            };
            self.eat(b"}")?;
            Some(r)
        })();
        match fast {
            Some(r) => Some(r),
            None => {
                self.i = start;
                self.de()
            }
        }
    }

    /// Socket names (`["a","b"]`).
    fn names(&mut self) -> Option<Vec<String>> {
        self.eat(b"[")?;
        let mut v = Vec::new();
        if self.eat(b"]").is_some() {
            return Some(v);
        }
        loop {
            v.push(self.str()?.to_string());
            match self.next()? {
                b',' => {}
                b']' => return Some(v),
                _ => return None,
            }
        }
    }

    /// A value: select's sets read here, the other kinds by serde_json.
    fn value(&mut self) -> Option<Value> {
        let start = self.i;
        let fast = (|| {
            self.eat(b"{\"kind\":\"select\",\"read\":")?;
            let read = self.names()?;
            self.eat(b",\"write\":")?;
            let write = self.names()?;
            self.eat(b",\"except\":")?;
            let except = self.names()?;
            self.eat(b"}")?;
            Some(Value::Select { read, write, except })
        })();
        fast.or_else(|| {
            self.i = start;
            self.de()
        })
    }

    /// Notifications: readiness read here, the other kinds by serde_json.
    fn notifications(&mut self) -> Option<Vec<Notification>> {
        self.eat(b"[")?;
        let mut v = Vec::new();
        if self.eat(b"]").is_some() {
            return Some(v);
        }
        loop {
            let start = self.i;
            let fast = (|| {
                self.eat(b"{\"kind\":\"readiness\",\"sock\":")?;
                let sock = self.str()?.to_string();
                self.eat(b",\"bits\":")?;
                let bits = u16::try_from(self.u64()?).ok()?;
                self.eat(b",\"at\":")?;
                let at = self.duration()?;
                self.eat(b"}")?;
                Some(Notification::Readiness { sock, bits: crate::core::call::PollBits(bits), at })
            })();
            let n = match fast {
                Some(n) => n,
                None => {
                    self.i = start;
                    self.de()?
                }
            };
            v.push(n);
            match self.next()? {
                b',' => {}
                b']' => return Some(v),
                _ => return None,
            }
        }
    }

    /// An answer's error (`{"name":"EINPROGRESS","number":115}`): the name and its number
    /// read here, anything else (another order, a number that does not match) by serde.
    fn error_code(&mut self) -> Option<Option<ErrorCode>> {
        let start = self.i;
        let fast = (|| {
            self.eat(b"{\"name\":")?;
            let code = code_named(self.str()?)?;
            self.eat(b",\"number\":")?;
            if self.i64()? != i64::from(code.number()) {
                return None;
            }
            self.eat(b"}")?;
            Some(Some(ErrorCode(code)))
        })();
        fast.or_else(|| {
            self.i = start;
            self.de()
        })
    }

    fn duration(&mut self) -> Option<Duration> {
        self.eat(b"{\"secs\":")?;
        let secs = self.u64()?;
        self.eat(b",\"nanos\":")?;
        let nanos = self.u64()?;
        self.eat(b"}")?;
        (nanos < 1_000_000_000).then(|| Duration::new(secs, nanos as u32))
    }

    fn cause(&mut self) -> Option<Cause> {
        let net = if self.eat(b"{\"kind\":\"call\",\"what\":").is_some() {
            false
        } else {
            self.eat(b"{\"kind\":\"net\",\"what\":")?;
            true
        };
        let what = cause_text(self.str()?);
        self.eat(b"}")?;
        Some(if net { Cause::Net(what) } else { Cause::Call(what) })
    }

    /// A transition's error: `null`, or a code's name.
    fn transition_error(&mut self) -> Option<Option<Code>> {
        if self.eat(b"null").is_some() {
            return Some(None);
        }
        let start = self.i;
        match self.str().and_then(code_named) {
            Some(c) => Some(Some(c)),
            None => {
                self.i = start;
                self.de::<Option<Code>>()
            }
        }
    }

    fn transition(&mut self) -> Option<Transition> {
        // The order socklab writes, then any order.
        let start = self.i;
        let fast = (|| {
            self.eat(b"{\"sock\":")?;
            let sock = self.str()?.to_string();
            self.eat(b",\"from\":")?;
            let from = self.state()?;
            self.eat(b",\"to\":")?;
            let to = self.state()?;
            self.eat(b",\"cause\":")?;
            let cause = self.cause()?;
            self.eat(b",\"error\":")?;
            let error = self.transition_error()?;
            self.eat(b",\"at\":")?;
            let at = self.duration()?;
            self.eat(b"}")?;
            Some(Transition { sock, from, to, cause, error, at })
        })();
        if fast.is_some() {
            return fast;
        }
        self.i = start;
        self.eat(b"{")?;
        let (mut sock, mut from, mut to, mut cause, mut error, mut at) = (None, None, None, None, None, None);
        loop {
            match self.key()? {
                "sock" if sock.is_none() => sock = Some(self.str()?.to_string()),
                "from" if from.is_none() => from = Some(self.state()?),
                "to" if to.is_none() => to = Some(self.state()?),
                "cause" if cause.is_none() => cause = Some(self.cause()?),
                "error" if error.is_none() => error = Some(self.transition_error()?),
                "at" if at.is_none() => at = Some(self.duration()?),
                _ => return None,
            }
            match self.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        Some(Transition { sock: sock?, from: from?, to: to?, cause: cause?, error: error.flatten(), at: at? })
    }

    fn transitions(&mut self) -> Option<Vec<Transition>> {
        self.eat(b"[")?;
        let mut v = Vec::new();
        if self.eat(b"]").is_some() {
            return Some(v);
        }
        loop {
            v.push(self.transition()?);
            match self.next()? {
                b',' => {}
                b']' => return Some(v),
                _ => return None,
            }
        }
    }
}

/// An answer line (`{"t":..,"kind":"answer",...}`, no newline), or `None` when the line is not
/// in the shape this reader knows (the caller then parses it with serde).
pub(super) fn answer(line: &str) -> Option<AnswerEntry> {
    let mut c = Cur { src: line, s: line.as_bytes(), i: 0 };
    c.eat(b"{")?;
    let mut seen = 0u32;
    let mut t = 0.0;
    let mut p = None;
    let mut ret = None;
    let mut error = None;
    let mut value = Value::None;
    let (mut before, mut after) = (None, None);
    let mut transitions = Vec::new();
    let mut notifications: Vec<Notification> = Vec::new();
    let mut elapsed_ms = 0.0;
    let mut vtime_ms = None;
    let mut rule = None;
    let mut note = None;
    let mut model: Option<ModelAnswer> = None;
    let mut disagreement = None;
    loop {
        // By the key's first letter, then the quoted key and its colon whole.
        let bit: u32 = match *c.s.get(c.i + 1)? {
            b't' => c.lit(b"\"t\":", 0).or_else(|| c.lit(b"\"transitions\":", 8)),
            b'k' => c.lit(b"\"kind\":", 1),
            b'p' => c.lit(b"\"p\":", 2),
            b'r' => c.lit(b"\"ret\":", 3).or_else(|| c.lit(b"\"rule\":", 12)),
            b'e' => c.lit(b"\"error\":", 4).or_else(|| c.lit(b"\"elapsed_ms\":", 10)),
            b'v' => c.lit(b"\"value\":", 5).or_else(|| c.lit(b"\"vtime_ms\":", 11)),
            b'b' => c.lit(b"\"before\":", 6),
            b'a' => c.lit(b"\"after\":", 7),
            b'n' => c.lit(b"\"notifications\":", 9).or_else(|| c.lit(b"\"note\":", 13)),
            b'm' => c.lit(b"\"model\":", 14),
            b'd' => c.lit(b"\"disagreement\":", 15),
            _ => None,
        }?;
        if seen & (1 << bit) != 0 {
            return None;
        }
        seen |= 1 << bit;
        match bit {
            0 => t = c.f64()?,
            1 => c.eat(b"\"answer\"")?,
            2 => {
                let name = c.str()?;
                p = Some(PersonalityId::ALL.iter().copied().find(|p| p.name() == name)?);
            }
            3 => ret = Some(c.ret()?),
            4 => error = c.error_code()?,
            5 => value = c.value()?,
            6 => before = Some(c.state()?),
            7 => after = Some(c.state()?),
            8 => transitions = c.transitions()?,
            9 => notifications = c.notifications()?,
            10 => elapsed_ms = c.f64()?,
            11 => vtime_ms = Some(c.f64()?),
            12 => rule = Some(rule_id_kept(c.str()?)),
            13 => note = c.de()?,
            14 => model = c.de()?,
            _ => disagreement = c.de()?,
        }
        match c.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    if c.i != c.s.len() {
        return None;
    }
    Some(AnswerEntry {
        t,
        p: p?,
        ret: ret?,
        error,
        value,
        before,
        after,
        transitions,
        notifications,
        elapsed_ms,
        vtime_ms: vtime_ms?,
        rule: rule?,
        note,
        model,
        disagreement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::record::Entry;

    fn serde(line: &str) -> Result<AnswerEntry, String> {
        serde_json::from_str(line).map_err(|e| e.to_string())
    }

    /// Every answer line of the shipped recordings.
    fn shipped_answer_lines() -> Vec<String> {
        crate::session::shipped_lines(r#""kind":"answer""#)
    }

    #[test]
    fn shipped_answer_lines_read_as_serde_reads_them() {
        let lines = shipped_answer_lines();
        assert!(lines.len() > 100, "only {} answer lines found", lines.len());
        for line in &lines {
            let fast = answer(line).unwrap_or_else(|| panic!("the fast reader gave up on {line}"));
            assert_eq!(fast, serde(line).unwrap(), "{line}");
        }
        // The rarer fields went through it too.
        for field in ["\"notifications\":", "\"value\":", "\"error\":{"] {
            assert!(lines.iter().any(|l| l.contains(field)), "no shipped answer line has {field}");
        }
    }

    #[test]
    fn a_string_ends_where_a_byte_at_a_time_says() {
        let specials =
            [b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xa0, 0xe2, 0xff, b'a', b'!', b'#', b'[', b']'];
        // Every special byte at every place of strings of 0 to 20 bytes, over fillers.
        for fill in [b'a', b' ', 0x7f, 0xff, 0x21] {
            for len in 0..20 {
                assert_eq!(string_end(&vec![fill; len]), None);
                for at in 0..len {
                    for &b in &specials {
                        let mut v = vec![fill; len];
                        v[at] = b;
                        let want = v.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                        assert_eq!(string_end(&v), want, "{v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn integers_read_as_before() {
        // The rule the reader had: JSON's digits without a leading zero, then std's parse.
        fn old_i64(n: &str) -> Option<i64> {
            let d = n.strip_prefix('-').unwrap_or(n);
            if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) || (d.len() > 1 && d.starts_with('0')) {
                return None;
            }
            n.parse().ok()
        }
        fn old_u64(n: &str) -> Option<u64> {
            if !n.bytes().all(|c| c.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0')) {
                return None;
            }
            n.parse().ok()
        }
        for n in [
            "0",
            "1",
            "-0",
            "-1",
            "10",
            "115",
            "-10035",
            "01",
            "-01",
            "00",
            "-",
            "--1",
            "1-",
            "1.0",
            "1e3",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
        ] {
            assert_eq!(Cur::new(n).i64(), old_i64(n), "{n}");
            assert_eq!(Cur::new(n).u64(), old_u64(n), "{n}");
            // Followed by what ends a number in a line.
            for end in [",", "}", "]"] {
                let text = format!("{n}{end}");
                assert_eq!(Cur::new(&text).u64(), old_u64(n), "{text}");
            }
        }
    }

    /// Every catalogued code, as an answer's error and as a transition's, reads as serde reads
    /// it; a number that is not the name's is serde's error.
    #[test]
    fn every_error_code_reads_as_serde_reads_it() {
        let base = r#"{"t":0.0,"kind":"answer","p":"linux","ret":{"kind":"int","value":-1},"error":@E@,"transitions":[{"sock":"s","from":"pending","to":"failed","cause":{"kind":"net","what":"reset"},"error":@T@,"at":{"secs":0,"nanos":0}}],"vtime_ms":0.0,"rule":"connect"}"#;
        for &code in Code::ALL.iter().chain(Code::ALL) {
            let err = format!(r#"{{"name":"{}","number":{}}}"#, code.name(), code.number());
            let line = base.replace("@E@", &err).replace("@T@", &format!("\"{}\"", code.name()));
            let fast = answer(&line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(Ok(fast), serde(&line), "{line}");
            let wrong = format!(r#"{{"name":"{}","number":{}}}"#, code.name(), code.number() + 1);
            let line = base.replace("@E@", &wrong).replace("@T@", "null");
            assert!(serde(&line).is_err() && answer(&line).is_none(), "{line}");
        }
        let line = base.replace("@E@", "null").replace("@T@", r#""ENOSUCHCODE""#);
        assert!(serde(&line).is_err() && answer(&line).is_none(), "{line}");
    }

    #[test]
    fn causes_and_rule_ids_keep_their_text() {
        for i in 0..300 {
            let text = format!("cause number {i}");
            for _ in 0..2 {
                assert_eq!(cause_text(&text), text);
            }
        }
        for r in crate::core::rules::RULES {
            for _ in 0..2 {
                assert!(matches!(rule_id_kept(r.id), Cow::Borrowed(id) if id == r.id));
            }
        }
        assert!(matches!(rule_id_kept("no.such.rule"), Cow::Owned(id) if id == "no.such.rule"));
    }

    #[test]
    fn every_state_name_reads_back() {
        for &st in State::ALL {
            let text = format!("\"{}\"", st.name());
            let mut c = Cur { src: &text, s: text.as_bytes(), i: 0 };
            assert_eq!(c.state(), Some(st));
        }
        for odd in ["", "u", "unbounD", "Unbound", "bounds", "pendinG", "connecteD", "closeD", "unassociatex"] {
            let text = format!("\"{odd}\"");
            assert_eq!(Cur::new(&text).state(), None, "{odd}");
        }
    }

    /// An answer with every field, written by the recorder's own serialisation.
    #[test]
    fn every_field_survives_a_write_and_a_fast_read() {
        let at = Duration::new(3, 500_000_000);
        let e = AnswerEntry {
            t: 1234.5,
            p: PersonalityId::Windows,
            ret: Ret::Handle(None),
            error: Some(ErrorCode(Code::WSAEWOULDBLOCK)),
            value: Value::Select { read: vec!["a".into()], write: vec![], except: vec!["b\"q".into()] },
            before: Some(State::Pending),
            after: Some(State::Failed),
            transitions: vec![Transition {
                sock: "s".into(),
                from: State::Pending,
                to: State::Failed,
                cause: Cause::Net(Cow::Borrowed("reset arrived")),
                error: Some(Code::WSAECONNRESET),
                at,
            }],
            notifications: vec![Notification::Readiness { sock: "s".into(), bits: Default::default(), at }],
            elapsed_ms: 0.1,
            vtime_ms: 1e-7,
            rule: Cow::Borrowed("socket"),
            note: Some("a note".into()),
            model: None,
            disagreement: Some("ret".into()),
        };
        let mut out = Vec::new();
        Entry::Answer(Box::new(e.clone())).to_line(&mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert_eq!(answer(&line).as_ref(), Some(&e), "{line}");
        assert_eq!(serde(&line).as_ref(), Ok(&e));
    }

    /// Lines the fast reader leaves to serde: what serde makes of them (an entry or an error)
    /// is what `Entry::parse` returns.
    #[test]
    fn unusual_lines_are_left_to_serde() {
        let base = r#"{"t":0.0,"kind":"answer","p":"linux","ret":{"kind":"int","value":0},"before":"unbound","after":"unbound","vtime_ms":0.0,"rule":"fionbio"}"#;
        assert!(answer(base).is_some());
        let odd = [
            base.replace(r#""p":"linux""#, r#""p":"lin\u0075x""#),
            base.replace(r#""rule":"fionbio""#, r#""rule":"fionbio","rule":"x""#),
            base.replace(r#""rule":"fionbio""#, r#""rule":"fionbio","extra":[1,{"a":"}"}]"#),
            base.replace(r#""t":0.0,"#, r#""t":0.0, "#),
            base.replace(r#""before":"unbound""#, r#""before":null"#),
            base.replace(r#""vtime_ms":0.0"#, r#""vtime_ms":01.0"#),
            base.replace(r#""vtime_ms":0.0"#, r#""vtime_ms":-0"#),
            base.replace(r#""vtime_ms":0.0"#, r#""vtime_ms":0.30000000000000004"#),
            base.replace(r#""p":"linux""#, r#""p":"Linux""#),
            base.replace(r#""after":"unbound""#, r#""after":"UNBOUND""#),
            base.replace(r#""rule":"fionbio""#, ""),
            base.replace(r#"{"kind":"int","value":0}"#, r#"{"value":0,"kind":"int"}"#),
            base.replace(r#"{"kind":"int","value":0}"#, r#"{"kind":"int","value":00}"#),
            base.replace(r#""vtime_ms""#, r#""value":{"kind":"select","write":["a"],"read":[],"except":[]},"vtime_ms""#),
            base.replace(r#""vtime_ms""#, r#""value":{"kind":"select","read":[],"write":[],"except":[],"read":[]},"vtime_ms""#),
            base.replace(
                r#""vtime_ms""#,
                r#""notifications":[{"kind":"readiness","sock":"s","bits":4,"at":{"secs":0,"nanos":0},"x":1}],"vtime_ms""#,
            ),
            base.replace(
                r#""vtime_ms""#,
                r#""notifications":[{"kind":"readiness","sock":"s","bits":70000,"at":{"secs":0,"nanos":0}}],"vtime_ms""#,
            ),
            base.replace(r#""vtime_ms":0.0"#, r#""vtime_ms":123456789012345.6"#),
            base.replace(r#""vtime_ms":0.0"#, r#""vtime_ms":-12.5"#),
            format!("{base} "),
            format!("{base}x"),
            base[..base.len() - 1].to_string(),
        ];
        for line in &odd {
            let fast = answer(line);
            let slow = serde(line);
            match (&fast, &slow) {
                // Accepted only where serde reads the same entry.
                (Some(f), Ok(s)) => assert_eq!(f, s, "{line}"),
                (Some(_), Err(e)) => panic!("the fast reader accepted a line serde refuses ({e}): {line}"),
                (None, _) => {}
            }
            let parsed = Entry::parse(line).map_err(|e| e.message);
            match slow {
                Ok(s) => assert_eq!(parsed, Ok(Entry::Answer(Box::new(s))), "{line}"),
                Err(_) => assert!(parsed.is_err(), "{line}"),
            }
        }
        // The ones that must not go the fast way.
        for line in &odd[..3] {
            assert!(answer(line).is_none(), "{line}");
        }
    }
}
