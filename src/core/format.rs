//! Text for answers and values, the same in transcripts, the TUI and `expect value`.

use super::call::FdEvents;
use super::codes::Code;
use super::model::{Answer, Notification, Ret, Value};
use super::profile::Profile;

/// The return value as the personality's API spells it.
pub fn ret_text(ret: &Ret, p: &Profile) -> String {
    let mut s = String::new();
    push_ret_text(&mut s, ret, p);
    s
}

/// [`ret_text`], appended to `s` (the transcript writes its rows in place).
pub fn push_ret_text(s: &mut String, ret: &Ret, p: &Profile) {
    match *ret {
        Ret::Int(-1) if p.winsock => s.push_str("SOCKET_ERROR"),
        Ret::Int(v) => push_int(s, v),
        Ret::Bool(true) => s.push_str("TRUE"),
        Ret::Bool(false) => s.push_str("FALSE"),
        Ret::Handle(Some(h)) if p.winsock => {
            use std::fmt::Write as _;
            let _ = write!(s, "0x{h:x}");
        }
        Ret::Handle(Some(h)) => push_int(s, h),
        Ret::Handle(None) if p.winsock => s.push_str("INVALID_SOCKET"),
        Ret::Handle(None) => s.push_str("-1"),
        Ret::NotApplicable => s.push_str("n/a"),
    }
}

/// A decimal integer appended to `s`, as `Display` writes it, without `core::fmt`.
pub fn push_int(s: &mut String, v: i64) {
    // One digit (a `t=0 ms`, a FIONBIO's 0): no buffer.
    if let Ok(d) = u8::try_from(v) {
        if d < 10 {
            s.push(char::from(b'0' + d));
            return;
        }
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        s.push('-');
    }
    // Only ASCII digits were written.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// A code as its `Display` writes it (`EINPROGRESS (115)`), appended to `s`.
pub fn push_code_text(s: &mut String, c: Code) {
    s.push_str(c.name());
    s.push_str(" (");
    push_int(s, i64::from(c.number()));
    s.push(')');
}

/// `0`, or an error by name and number.
pub fn error_text(e: Option<Code>) -> String {
    match e {
        Some(c) => {
            let mut s = String::with_capacity(24);
            push_code_text(&mut s, c);
            s
        }
        None => "0".into(),
    }
}

/// One-line answer: return value, error, value.
pub fn answer_text(a: &Answer, p: &Profile) -> String {
    let mut s = String::new();
    push_answer_text(&mut s, a, p);
    s
}

/// [`answer_text`], appended to `s`.
pub fn push_answer_text(s: &mut String, a: &Answer, p: &Profile) {
    push_ret_text(s, &a.ret, p);
    if let Some(e) = a.error {
        s.push(' ');
        push_code_text(s, e);
    }
    push_value_after(s, &a.value, p);
}

/// [`value_text`] after two spaces, appended to `s`; nothing at all for a value with no text.
pub fn push_value_after(s: &mut String, v: &Value, p: &Profile) {
    let start = s.len();
    s.push_str("  ");
    push_value_text(s, v, p);
    if s.len() == start + 2 {
        s.truncate(start);
    }
}

/// [`value_text`], appended to `s`: no value and select's sets without a string of their own.
pub fn push_value_text(s: &mut String, v: &Value, p: &Profile) {
    match v {
        Value::None => {}
        Value::Select { read, write, except } => push_select_text(s, read, write, except),
        _ => s.push_str(&value_text(v, p)),
    }
}

fn push_select_text(s: &mut String, read: &[String], write: &[String], except: &[String]) {
    for (key, set) in [("read=", read), (" write=", write), (" except=", except)] {
        s.push_str(key);
        for (i, name) in set.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(name);
        }
    }
}

/// The value a call handed back (empty when none).
pub fn value_text(v: &Value, p: &Profile) -> String {
    match v {
        Value::None => String::new(),
        Value::Addr { addr } => addr.to_string(),
        Value::Int { value } if *value == 0xFFFF_FFFF => "0xFFFFFFFF".into(),
        Value::Int { value } => value.to_string(),
        Value::Linger { on, secs } => format!("{{{},{secs}}}", u8::from(*on)),
        Value::Error { error } => match error {
            Some(c) => c.name().to_string(),
            None => "0".into(),
        },
        Value::Select { read, write, except } => {
            let mut s = String::new();
            push_select_text(&mut s, read, write, except);
            s
        }
        Value::Poll { revents } => {
            revents.iter().map(|(n, b)| format!("{n}={}", p.poll_names(*b))).collect::<Vec<_>>().join(" ")
        }
        Value::Epoll { events } => events
            .iter()
            .map(|(n, b)| {
                let names = p.poll_names(*b);
                let names = if names == "0" {
                    names
                } else {
                    names.split('|').map(|x| format!("E{x}")).collect::<Vec<_>>().join("|")
                };
                format!("{n}={names}")
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::NetworkEvents { events, errors } => {
            if events.is_empty() {
                return "no events".into();
            }
            errors
                .iter()
                .map(|(e, err)| format!("{e}={}", err.map(|c| c.name().to_string()).unwrap_or_else(|| "0".into())))
                .collect::<Vec<_>>()
                .join(" ")
        }
        Value::Data { data, from } => {
            let text = String::from_utf8_lossy(data);
            match from {
                Some(f) => format!("{text:?} from {f}"),
                None => format!("{text:?}"),
            }
        }
        Value::Overlapped { internal, internal_high } => {
            let status = match *internal {
                0 => " (STATUS_SUCCESS)",
                0x103 => " (STATUS_PENDING)",
                _ => "",
            };
            format!("Internal=0x{internal:x}{status} InternalHigh=0x{internal_high:x}")
        }
        Value::Transferred { bytes } => format!("bytes={bytes}"),
        Value::Packet { key, bytes, overlapped } => {
            let kept = |v: &Option<u64>| v.map_or("untouched".to_string(), |v| v.to_string());
            format!(
                "key={} bytes={} overlapped={}",
                kept(key),
                kept(bytes),
                overlapped.as_deref().map_or("NULL".to_string(), |s| format!("&ov({s})"))
            )
        }
        Value::Packets { entries } => {
            let one = |e: &crate::core::model::PacketEntry| {
                format!(
                    "[key={} bytes={} overlapped={} Internal=0x{:x}]",
                    e.key,
                    e.bytes,
                    e.overlapped.as_deref().map_or("NULL".to_string(), |s| format!("&ov({s})")),
                    e.internal
                )
            };
            let all: Vec<String> = entries.iter().map(one).collect();
            format!("removed={} {}", entries.len(), all.join(" ")).trim_end().to_string()
        }
        Value::CsAddr { local, remote, stream } => {
            let addr = |a: &Option<std::net::SocketAddr>| a.map_or("NULL".to_string(), |a| a.to_string());
            let (ty, proto) = if *stream { ("SOCK_STREAM", "IPPROTO_TCP") } else { ("SOCK_DGRAM", "IPPROTO_UDP") };
            format!("local={} remote={} {ty} {proto}", addr(local), addr(remote))
        }
        Value::AcceptAddrs { local, remote } => {
            let addr = |a: &Option<std::net::SocketAddr>| a.map_or("untouched".to_string(), |a| a.to_string());
            format!("local={} remote={}", addr(local), addr(remote))
        }
        Value::CalleeLen { len } => format!("callee len={len}"),
    }
}

/// A notification as one line.
pub fn notification_text(n: &Notification, p: &Profile) -> String {
    let mut s = String::new();
    push_notification_text(&mut s, n, p);
    s
}

/// [`notification_text`], appended to `s` (the transcript writes its lines in place). The
/// readiness change, one per connect in a storm, is written without `core::fmt`.
pub fn push_notification_text(s: &mut String, n: &Notification, p: &Profile) {
    use std::fmt::Write as _;
    let ms = |d: &std::time::Duration| d.as_millis();
    match n {
        Notification::NetworkEvent { sock, event, error, at } => {
            let _ = write!(s, "{sock}: event {} error {} (t={} ms)", event, error_text(*error), ms(at));
        }
        Notification::WindowMessage { sock, event, error, at } => {
            let lparam = ((error.map(|c| c.number()).unwrap_or(0) as u32) << 16) | event.0 as u32;
            let _ = write!(
                s,
                "{sock}: WM_SOCKET {} error {} lParam=0x{lparam:08x} (t={} ms)",
                event,
                error_text(*error),
                ms(at)
            );
        }
        Notification::Completion { sock, op, error, bytes, at } => {
            let _ = write!(s, "{sock}: {op} completed, error {}, {bytes} bytes (t={} ms)", error_text(*error), ms(at));
        }
        Notification::Readiness { sock, bits, at } => {
            s.push_str(sock);
            s.push_str(": readiness ");
            p.push_poll_names(s, *bits);
            s.push_str(" (t=");
            push_millis(s, *at);
            s.push_str(" ms)");
        }
        Notification::Packet { port, sock, key, error, bytes, at } => {
            let _ = write!(
                s,
                "{port}: completion packet of {sock}, key {key}, error {}, {bytes} bytes (t={} ms)",
                error_text(*error),
                ms(at)
            );
        }
    }
}

/// Whole milliseconds of `d`, as `Duration::as_millis` counts them, appended to `s`.
pub fn push_millis(s: &mut String, d: std::time::Duration) {
    match i64::try_from(d.as_millis()) {
        Ok(ms) => push_int(s, ms),
        Err(_) => s.push_str(&d.as_millis().to_string()),
    }
}

/// Parse the event part of a notification (for `expect event`).
pub fn notification_event(n: &Notification) -> Option<(FdEvents, Option<Code>)> {
    match n {
        Notification::NetworkEvent { event, error, .. } | Notification::WindowMessage { event, error, .. } => {
            Some((*event, *error))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_codes_are_written_as_display_writes_them() {
        for v in [0, 1, -1, 9, 10, 99, 100, 115, 10035, -4096, i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut s = String::from("x");
            push_int(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
        for &c in Code::ALL {
            let mut s = String::new();
            push_code_text(&mut s, c);
            assert_eq!(s, c.to_string());
        }
    }

    /// The notification lines as they were made before the push versions (`format!` per
    /// variant, `poll_names` joined from a vector), the reference the fast path must match.
    fn notification_text_reference(n: &Notification, p: &Profile) -> String {
        let ms = |d: &std::time::Duration| d.as_millis();
        match n {
            Notification::NetworkEvent { sock, event, error, at } => {
                format!("{sock}: event {} error {} (t={} ms)", event, error_text(*error), ms(at))
            }
            Notification::WindowMessage { sock, event, error, at } => {
                let lparam = ((error.map(|c| c.number()).unwrap_or(0) as u32) << 16) | event.0 as u32;
                format!(
                    "{sock}: WM_SOCKET {} error {} lParam=0x{lparam:08x} (t={} ms)",
                    event,
                    error_text(*error),
                    ms(at)
                )
            }
            Notification::Completion { sock, op, error, bytes, at } => {
                format!("{sock}: {op} completed, error {}, {bytes} bytes (t={} ms)", error_text(*error), ms(at))
            }
            Notification::Readiness { sock, bits, at } => {
                format!("{sock}: readiness {} (t={} ms)", poll_names_reference(p, *bits), ms(at))
            }
            Notification::Packet { port, sock, key, error, bytes, at } => format!(
                "{port}: completion packet of {sock}, key {key}, error {}, {bytes} bytes (t={} ms)",
                error_text(*error),
                ms(at)
            ),
        }
    }

    /// `Profile::poll_names` as it was: the names of the set bits, in table order, joined.
    fn poll_names_reference(p: &Profile, bits: crate::core::call::PollBits) -> String {
        // The table is the profile's own: what is checked is the writing of the names.
        let table = p.poll_table();
        let names: Vec<&str> = table.iter().filter(|(b, _)| bits.contains(*b)).map(|(_, n)| *n).collect();
        if names.is_empty() { "0".to_string() } else { names.join("|") }
    }

    #[test]
    fn poll_names_and_notifications_are_written_as_before() {
        use crate::core::call::PollBits;
        use crate::core::personality::PersonalityId;
        use std::time::Duration;
        let profiles = [PersonalityId::Linux, PersonalityId::Winsock, PersonalityId::Windows, PersonalityId::Winsock1];
        for id in profiles {
            let p = Profile::of(id);
            for b in 0..=u16::MAX {
                assert_eq!(p.poll_names(PollBits(b)), poll_names_reference(p, PollBits(b)), "{id} {b:#x}");
            }
            let ats = [Duration::ZERO, Duration::from_micros(999), Duration::from_millis(1234), Duration::MAX];
            for at in ats {
                for error in [None, Some(Code::ALL[0]), Code::ALL.last().copied()] {
                    let ns = [
                        Notification::Readiness { sock: "s0".into(), bits: PollBits(0), at },
                        Notification::Readiness { sock: "a \u{3000}b".into(), bits: PollBits(0x4 | 0x8 | 0x2000), at },
                        Notification::Readiness { sock: "s12".into(), bits: PollBits(u16::MAX), at },
                        Notification::NetworkEvent { sock: "s1".into(), event: FdEvents(0x10), error, at },
                        Notification::WindowMessage { sock: "s1".into(), event: FdEvents(0x10), error, at },
                        Notification::Completion { sock: "s2".into(), op: "ConnectEx".into(), error, bytes: 7, at },
                        Notification::Packet { port: "p".into(), sock: "s3".into(), key: 9, error, bytes: 0, at },
                    ];
                    for n in &ns {
                        let mut s = String::from("x");
                        push_notification_text(&mut s, n, p);
                        assert_eq!(s, format!("x{}", notification_text_reference(n, p)));
                    }
                }
            }
        }
    }

    #[test]
    fn select_sets_are_spelled_as_before() {
        let names = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        for (r, w, e) in [(vec![], vec![], vec![]), (vec!["a"], vec!["a", "b"], vec!["c", "d", "e"])] {
            let v = Value::Select { read: names(&r), write: names(&w), except: names(&e) };
            let p = Profile::of(crate::core::personality::PersonalityId::Linux);
            let old = format!("read={} write={} except={}", r.join(","), w.join(","), e.join(","));
            assert_eq!(value_text(&v, p), old);
            let mut s = String::from("1  ");
            push_value_text(&mut s, &v, p);
            assert_eq!(s, format!("1  {old}"));
        }
    }
}
