//! Text for answers and values, the same in transcripts, the TUI and `expect value`.

use super::call::FdEvents;
use super::codes::Code;
use super::model::{Answer, Notification, Ret, Value};
use super::profile::Profile;

/// The return value as the personality's API spells it.
pub fn ret_text(ret: &Ret, p: &Profile) -> String {
    match *ret {
        Ret::Int(-1) if p.winsock => "SOCKET_ERROR".into(),
        Ret::Int(v) => v.to_string(),
        Ret::Bool(true) => "TRUE".into(),
        Ret::Bool(false) => "FALSE".into(),
        Ret::Handle(Some(h)) if p.winsock => format!("0x{h:x}"),
        Ret::Handle(Some(h)) => h.to_string(),
        Ret::Handle(None) if p.winsock => "INVALID_SOCKET".into(),
        Ret::Handle(None) => "-1".into(),
        Ret::NotApplicable => "n/a".into(),
    }
}

/// `0`, or an error by name and number.
pub fn error_text(e: Option<Code>) -> String {
    match e {
        Some(c) => c.to_string(),
        None => "0".into(),
    }
}

/// One-line answer: return value, error, value.
pub fn answer_text(a: &Answer, p: &Profile) -> String {
    let mut s = ret_text(&a.ret, p);
    if let Some(e) = a.error {
        s.push(' ');
        s.push_str(&e.to_string());
    }
    let v = value_text(&a.value, p);
    if !v.is_empty() {
        s.push_str("  ");
        s.push_str(&v);
    }
    s
}

/// The value a call handed back (empty when none).
pub fn value_text(v: &Value, p: &Profile) -> String {
    match v {
        Value::None => String::new(),
        Value::Addr { addr } => addr.to_string(),
        Value::Int { value } if *value == 0xFFFF_FFFF => "0xFFFFFFFF".into(),
        Value::Int { value } => value.to_string(),
        Value::Error { error } => match error {
            Some(c) => c.name().to_string(),
            None => "0".into(),
        },
        Value::Select { read, write, except } => {
            format!("read={} write={} except={}", read.join(","), write.join(","), except.join(","))
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
        Value::CsAddr { local, remote, stream } => {
            let addr = |a: &Option<std::net::SocketAddr>| a.map_or("NULL".to_string(), |a| a.to_string());
            let (ty, proto) = if *stream { ("SOCK_STREAM", "IPPROTO_TCP") } else { ("SOCK_DGRAM", "IPPROTO_UDP") };
            format!("local={} remote={} {ty} {proto}", addr(local), addr(remote))
        }
        Value::AcceptAddrs { local, remote } => {
            let addr = |a: &Option<std::net::SocketAddr>| a.map_or("untouched".to_string(), |a| a.to_string());
            format!("local={} remote={}", addr(local), addr(remote))
        }
    }
}

/// A notification as one line.
pub fn notification_text(n: &Notification, p: &Profile) -> String {
    let ms = |d: &std::time::Duration| d.as_millis();
    match n {
        Notification::NetworkEvent { sock, event, error, at } => {
            format!("{sock}: event {} error {} (t={} ms)", event, error_text(*error), ms(at))
        }
        Notification::WindowMessage { sock, event, error, at } => {
            let lparam = ((error.map(|c| c.number()).unwrap_or(0) as u32) << 16) | event.0 as u32;
            format!("{sock}: WM_SOCKET {} error {} lParam=0x{lparam:08x} (t={} ms)", event, error_text(*error), ms(at))
        }
        Notification::Completion { sock, op, error, bytes, at } => {
            format!("{sock}: {op} completed, error {}, {bytes} bytes (t={} ms)", error_text(*error), ms(at))
        }
        Notification::Readiness { sock, bits, at } => {
            format!("{sock}: readiness {} (t={} ms)", p.poll_names(*bits), ms(at))
        }
        Notification::Packet { port, sock, key, error, bytes, at } => {
            format!(
                "{port}: completion packet of {sock}, key {key}, error {}, {bytes} bytes (t={} ms)",
                error_text(*error),
                ms(at)
            )
        }
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
