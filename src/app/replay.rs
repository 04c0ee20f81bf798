//! The TUI's replay: the App shows a recording's lab, driven by a [`Replay`] that the terminal
//! layer opened. Stepping, markers and speed are app state; the terminal layer sleeps the pause
//! that [`App::replay_delay`] asks for and sends [`Msg::ReplayTick`](super::Msg::ReplayTick).

use std::collections::HashMap;
use std::time::Duration;

use crate::session::lab::Lab;
use crate::session::record::Entry;
use crate::session::replay::{Marker, Replay, Source, Timed, timeline};

use super::keys::Action;
use super::{App, AppOptions, Body, Level, LogEntry, NetKind, SockEntry};

/// What a replay reads its entries from (opened by the terminal layer).
pub type ReplaySource = Box<dyn Source>;

/// Replay speeds, slowest first (`+` and `-` move along them).
pub const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// How long each step of a recording of the simulated network stays on the screen at least,
/// at speed 1 (its calls take no virtual time).
pub const SIM_STEP: Duration = Duration::from_millis(400);

/// The default limit on idle gaps.
pub const IDLE_LIMIT: Duration = Duration::from_secs(2);

/// The screen's state before a step was applied (to step back without rebuilding the views).
#[derive(Debug)]
struct Checkpoint {
    step_start: usize,
    log: usize,
    notes: usize,
    sockets: Vec<SockEntry>,
    sock_index: HashMap<String, usize>,
    selected_socket: Option<usize>,
}

/// A recording being replayed.
#[derive(Debug)]
pub struct ReplayState {
    replay: Replay<ReplaySource>,
    name: String,
    playing: bool,
    speed: usize,
    idle_limit: Duration,
    checkpoints: Vec<Checkpoint>,
    warning: Option<String>,
}

impl ReplayState {
    /// The lab after the entries applied so far.
    pub fn lab(&self) -> &Lab {
        self.replay.lab()
    }
    /// The recording's file name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Entries applied (0: the start).
    pub fn position(&self) -> usize {
        self.replay.position()
    }
    /// Entries in the (readable part of the) recording.
    pub fn len(&self) -> usize {
        self.replay.len()
    }
    /// Whether the recording has no entry.
    pub fn is_empty(&self) -> bool {
        self.replay.is_empty()
    }
    /// The time offset of the last entry applied, in ms.
    pub fn t_ms(&self) -> f64 {
        self.position().checked_sub(1).and_then(|i| self.replay.t_of(i)).unwrap_or(0.0)
    }
    /// The recording's length in ms.
    pub fn duration_ms(&self) -> f64 {
        self.replay.duration_ms()
    }
    /// The markers.
    pub fn markers(&self) -> &[Marker] {
        self.replay.markers()
    }
    /// Whether it plays.
    pub fn playing(&self) -> bool {
        self.playing
    }
    /// The speed factor.
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }
    /// The limit on idle gaps.
    pub fn idle_limit(&self) -> Duration {
        self.idle_limit
    }
    /// Why the file could not be read to its end, if it could not.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
    /// Answers the replay did not reproduce so far.
    pub fn divergences(&self) -> usize {
        self.replay.divergences().len()
    }
    /// The index of the marker at or before the position, if any.
    pub fn current_marker(&self) -> Option<usize> {
        let p = self.position();
        self.markers().iter().rposition(|m| m.index < p)
    }
}

struct Ms(f64);

impl Timed for Ms {
    fn t_ms(&self) -> Option<f64> {
        Some(self.0)
    }
}

impl App {
    /// An app showing a recording (`socklab replay FILE`). `name` is shown in the title; a
    /// damaged file opens on its valid prefix with a warning.
    pub fn replaying(replay: Replay<ReplaySource>, name: String, idle_limit: Duration, opts: AppOptions) -> App {
        let mut app = App::new(opts);
        app.ws.net = match replay.header().network {
            crate::session::record::Network::Sim => NetKind::Sim,
            crate::session::record::Network::Live => NetKind::Live,
        };
        let warning = replay
            .error()
            .map(|e| format!("the recording is damaged at {e}; the {} entries before it replay", replay.len()));
        match &warning {
            Some(w) => app.set_status(format!("warning: {w}"), Level::Warn),
            None => app.set_status(
                format!(
                    "replay of {name} ({} entries, {} markers): Space plays, . , step, ] [ jump to markers, + - speed",
                    replay.len(),
                    replay.markers().len()
                ),
                Level::Info,
            ),
        }
        app.replay = Some(Box::new(ReplayState {
            replay,
            name,
            playing: false,
            speed: 2,
            idle_limit,
            checkpoints: Vec::new(),
            warning,
        }));
        app
    }

    /// The replay, when the app shows one.
    pub fn replay(&self) -> Option<&ReplayState> {
        self.replay.as_deref()
    }

    /// How long to wait before the next step while playing (`None`: not playing). The gap
    /// between the recorded offsets, with idle gaps shortened and the speed applied (the
    /// pacing adapters of `session::replay`).
    pub fn replay_delay(&self) -> Option<Duration> {
        let r = self.replay.as_deref()?;
        if !r.playing || r.position() >= r.len() {
            return None;
        }
        let from = r.t_ms();
        let to = r.replay.t_of(r.position()).unwrap_or(from);
        let paced: Vec<Duration> = timeline([Ms(from), Ms(to)].into_iter())
            .idle_limit(r.idle_limit)
            .speed(r.speed())
            .map(|(at, _)| at)
            .collect();
        let gap = paced[1].saturating_sub(paced[0]);
        // A recording of the simulated network is paced by its virtual time, in which calls take
        // no time at all: each step still gets a moment on the screen.
        if self.ws.net == NetKind::Sim {
            return Some(gap.max(SIM_STEP.div_f64(r.speed())));
        }
        Some(gap)
    }

    /// Move to position `p`: forward one step at a time (each step joins the log), backward by
    /// restoring the views as they were before the steps undone.
    pub fn replay_seek(&mut self, p: usize) {
        let Some(mut r) = self.replay.take() else { return };
        let p = p.min(r.len());
        let mut error = None;
        if p < r.position() {
            if let Err(e) = r.replay.seek(p) {
                error = Some(e.to_string());
            }
            while let Some(c) = r.checkpoints.last() {
                if c.step_start < r.position() {
                    break;
                }
                let Some(c) = r.checkpoints.pop() else { break };
                self.ws.log.truncate(c.log);
                self.ws.notes.truncate(c.notes);
                self.ws.sockets = c.sockets;
                self.ws.sock_index = c.sock_index;
                self.ws.selected_socket = c.selected_socket;
            }
            if self.ws.selected_row.is_some_and(|s| s >= self.ws.log.len()) {
                self.ws.selected_row = None;
            }
            let at = r.position();
            self.set_status(format!("back to entry {at} of {}", r.len()), Level::Info);
        }
        while r.position() < p {
            let i = r.position();
            let before = (r.replay.starts_step(i) || r.replay.step_start().is_none()).then(|| Checkpoint {
                step_start: i,
                log: self.ws.log.len(),
                notes: self.ws.notes.len(),
                sockets: self.ws.sockets.clone(),
                sock_index: self.ws.sock_index.clone(),
                selected_socket: self.ws.selected_socket,
            });
            match r.replay.step_forward() {
                None => break,
                Some(Err(e)) => {
                    error = Some(e.to_string());
                    r.playing = false;
                    break;
                }
                Some(Ok(())) => {}
            }
            if r.replay.step_start() == Some(i) {
                if let Some(c) = before {
                    r.checkpoints.push(c);
                }
                self.absorb_replayed(&r);
            }
        }
        if let Some(e) = error {
            self.set_status(format!("cannot read the recording: {e}"), Level::Error);
        }
        self.replay = Some(r);
    }

    /// The step just applied joins the log, the sockets and the notifications.
    fn absorb_replayed(&mut self, r: &ReplayState) {
        let Some((line, first)) = r.replay.current_step().first() else { return };
        let (at, n) = (r.position() + 1, r.len());
        match first {
            Entry::Call(c) => {
                let records = r.replay.last_call().to_vec();
                let idx = self.ws.log.len();
                self.absorb_call(&c.call, &records, idx);
                let verdict = crate::session::lab::verdict(&records);
                self.set_status(format!("entry {at} of {n} (line {line}): {}", c.text), Level::Info);
                let body = Body::Call { call: c.call.clone(), records, verdict };
                self.ws.log.push(LogEntry {
                    line_no: idx + 1,
                    text: c.text.clone(),
                    from_key: false,
                    body,
                    gave_up: None,
                });
            }
            Entry::Wait(w) => {
                let records = r.replay.last_wait().to_vec();
                self.absorb_waits(&records);
                let verdict = crate::session::lab::wait_verdict(&records);
                self.set_status(format!("entry {at} of {n} (line {line}): {}", w.text), Level::Info);
                let body = Body::Wait { records, verdict };
                let line_no = self.ws.log.len() + 1;
                self.ws.log.push(LogEntry { line_no, text: w.text.clone(), from_key: false, body, gave_up: None });
            }
            Entry::Marker(m) => {
                self.set_status(format!("marker `{}` (entry {at} of {n})", m.label), Level::Info);
            }
            _ => {}
        }
    }

    /// Play the next step (one `call`, `wait` or `marker` with its entries).
    pub(super) fn replay_tick(&mut self) -> bool {
        let Some(r) = self.replay.as_deref() else { return false };
        if !r.playing {
            return false;
        }
        let len = r.len();
        let mut p = r.position() + 1;
        while p < len && !r.replay.starts_step(p) {
            p += 1;
        }
        self.replay_seek(p);
        if let Some(r) = self.replay.as_deref_mut() {
            if r.position() >= r.len() {
                r.playing = false;
                self.set_status("end of the recording: , steps back, [ jumps to a marker", Level::Info);
            }
        }
        true
    }

    /// The replay keys.
    pub(super) fn replay_action(&mut self, a: Action) -> bool {
        let Some(r) = self.replay.as_deref_mut() else {
            self.set_status("replay keys work in a replay: socklab replay FILE", Level::Info);
            return true;
        };
        let pos = r.position();
        match a {
            Action::PlayPause => {
                if r.position() >= r.len() {
                    r.playing = false;
                    self.set_status("end of the recording: , steps back, [ jumps to a marker", Level::Info);
                    return true;
                }
                r.playing = !r.playing;
                let text = if r.playing {
                    format!("playing at {}x (idle gaps at most {} s)", r.speed(), r.idle_limit.as_secs_f64())
                } else {
                    "paused: . and , step".to_string()
                };
                self.set_status(text, Level::Info);
            }
            Action::StepForward => {
                r.playing = false;
                if pos >= r.len() {
                    self.set_status("end of the recording", Level::Info);
                } else {
                    self.replay_seek(pos + 1);
                }
            }
            Action::StepBack => {
                r.playing = false;
                if pos == 0 {
                    self.set_status("start of the recording", Level::Info);
                } else {
                    self.replay_seek(pos - 1);
                }
            }
            Action::NextMarker => {
                let next = r.markers().iter().position(|m| m.index >= pos);
                match next {
                    Some(k) => {
                        let m = &r.markers()[k];
                        let (to, label) = (m.index + 1, m.label.clone());
                        self.replay_seek(to);
                        self.set_status(format!("marker {} `{label}`", k + 1), Level::Info);
                    }
                    None => self.set_status("no marker after this point", Level::Info),
                }
            }
            Action::PrevMarker => {
                // The marker before the one the position is just past.
                let prev = r.markers().iter().rposition(|m| m.index + 1 < pos);
                match prev {
                    Some(k) => {
                        let m = &r.markers()[k];
                        let (to, label) = (m.index + 1, m.label.clone());
                        self.replay_seek(to);
                        self.set_status(format!("marker {} `{label}`", k + 1), Level::Info);
                    }
                    None => {
                        self.replay_seek(0);
                        self.set_status("start of the recording (no marker before)", Level::Info);
                    }
                }
            }
            Action::Faster | Action::Slower => {
                r.speed =
                    if a == Action::Faster { (r.speed + 1).min(SPEEDS.len() - 1) } else { r.speed.saturating_sub(1) };
                let s = r.speed();
                self.set_status(format!("speed {s}x"), Level::Info);
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Msg;
    use crate::app::keys::Key;

    fn open(src: &'static str) -> App {
        let r = Replay::new(Box::new(std::io::Cursor::new(src.as_bytes())) as ReplaySource).unwrap();
        App::replaying(r, "refused_connect.ndjson".into(), IDLE_LIMIT, AppOptions::default())
    }

    const REFUSED: &str = include_str!("../../recordings/refused_connect.ndjson");

    #[test]
    fn stepping_forward_and_back_and_jumping_to_markers() {
        let mut a = open(REFUSED);
        let r = a.replay().unwrap();
        let (len, markers) = (r.len(), r.markers().to_vec());
        assert!(len > 10 && markers.len() >= 2, "{len} {markers:?}");
        assert_eq!(r.position(), 0);
        // One entry forward: the first step (a call) joins the log.
        a.update(Msg::Input(Key::ch('.')));
        assert_eq!(a.replay().unwrap().position(), 1);
        assert_eq!(a.log().len(), 1);
        assert_eq!(a.sockets().len(), 1, "the socket call created a socket");
        // To the end, one entry at a time; the log has every call and wait.
        while a.replay().unwrap().position() < len {
            a.update(Msg::Input(Key::plain(crate::app::keys::KeyCode::Right)));
        }
        let full_log = a.log().len();
        let states: Vec<_> = (0..4).map(|k| a.lab().hosts()[k].state("f")).collect();
        assert_eq!(a.replay().unwrap().divergences(), 0);
        // Back to the start, entry by entry: the views follow.
        while a.replay().unwrap().position() > 0 {
            a.update(Msg::Input(Key::ch(',')));
        }
        assert!(a.log().is_empty() && a.sockets().is_empty(), "{:?}", a.log().len());
        // Markers: ] goes just past each in turn, [ comes back.
        a.update(Msg::Input(Key::ch(']')));
        assert_eq!(a.replay().unwrap().position(), markers[0].index + 1);
        assert!(a.status().text.contains(&markers[0].label), "{}", a.status().text);
        a.update(Msg::Input(Key::ch(']')));
        assert_eq!(a.replay().unwrap().position(), markers[1].index + 1);
        a.update(Msg::Input(Key::ch('[')));
        assert_eq!(a.replay().unwrap().position(), markers[0].index + 1);
        // Forward again to the end: the same lab and log as before.
        a.replay_seek(len);
        assert_eq!(a.log().len(), full_log);
        let again: Vec<_> = (0..4).map(|k| a.lab().hosts()[k].state("f")).collect();
        assert_eq!(again, states);
        // A replay is read-only.
        a.update(Msg::Line("socket tcp".into()));
        assert_eq!(a.log().len(), full_log);
        // `:N` jumps to an entry, back or forward.
        a.update(Msg::Line("3".into()));
        assert_eq!(a.replay().unwrap().position(), 3);
        a.update(Msg::Line("entry 7".into()));
        assert_eq!(a.replay().unwrap().position(), 7);
    }

    #[test]
    fn playing_is_paced_and_speed_changes() {
        let mut a = open(REFUSED);
        assert_eq!(a.replay_delay(), None, "paused at the start");
        a.update(Msg::Input(Key::ch(' ')));
        assert!(a.replay().unwrap().playing());
        assert!(a.replay_delay().is_some());
        a.update(Msg::Input(Key::ch('+')));
        assert_eq!(a.replay().unwrap().speed(), 2.0);
        for _ in 0..10 {
            a.update(Msg::Input(Key::ch('-')));
        }
        assert_eq!(a.replay().unwrap().speed(), 0.25);
        // Ticks play whole steps until the end, then stop.
        let mut guard = 0;
        while a.replay_delay().is_some() {
            let before = a.replay().unwrap().position();
            a.update(Msg::ReplayTick);
            assert!(a.replay().unwrap().position() > before);
            guard += 1;
            assert!(guard < 1000);
        }
        let r = a.replay().unwrap();
        assert_eq!(r.position(), r.len());
        assert!(!r.playing());
        // No gap is longer than the idle limit at 1x; a recording of the simulated network
        // gives each step a moment on the screen (issue 12 item 8: it used to play in no time).
        let mut a = open(REFUSED);
        assert_eq!(a.net(), NetKind::Sim);
        a.update(Msg::Input(Key::ch(' ')));
        let mut total = Duration::ZERO;
        while let Some(d) = a.replay_delay() {
            assert!(d <= IDLE_LIMIT, "{d:?}");
            assert!(d >= SIM_STEP, "{d:?}");
            total += d;
            a.update(Msg::ReplayTick);
        }
        assert!(total >= SIM_STEP * 3, "{total:?}");
    }

    #[test]
    fn replay_texts_speak_of_the_recording_not_of_keys_that_make_sockets() {
        let mut a = open(REFUSED);
        a.update(Msg::Key(Action::Connect));
        assert!(a.status().text.contains("a replay only shows the recording"), "{}", a.status().text);
        assert!(!a.status().text.contains("press t"), "{}", a.status().text);
    }

    #[test]
    fn a_damaged_file_opens_on_its_valid_prefix_with_a_warning() {
        let cut = &REFUSED[..REFUSED.len() * 2 / 3];
        let src: &'static str = Box::leak(cut.to_string().into_boxed_str());
        let mut a = open(src);
        assert_eq!(a.status().level, Level::Warn);
        assert!(a.status().text.contains("damaged"), "{}", a.status().text);
        assert!(a.replay().unwrap().warning().is_some());
        let len = a.replay().unwrap().len();
        a.replay_seek(len);
        assert_eq!(a.replay().unwrap().position(), len);
    }
}
