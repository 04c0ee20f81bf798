//! The command prompt: the line being typed, its cursor, completion candidates and history.
//! Pure editing; the app decides what a submitted line does.

use super::keys::{Key, KeyCode};
use super::lang::{Names, completions};

/// One editing step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptEdit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Tab: complete the word before the cursor (cycle on repeat).
    Complete,
    /// Shift-Tab: cycle the candidates backwards.
    CompleteBack,
    HistoryPrev,
    HistoryNext,
    /// Ctrl-U: clear the line.
    ClearLine,
    /// Ctrl-W: delete the word before the cursor.
    DeleteWord,
    /// Esc: leave the prompt (the line is kept in the draft).
    Cancel,
}

impl PromptEdit {
    /// The prompt's own keys, readline-style. They are fixed (not in the key map) because they
    /// edit text; Ctrl-C still quits from the prompt (checked before this).
    pub fn for_key(key: &Key) -> Option<PromptEdit> {
        Some(match (key.code, key.ctrl) {
            (KeyCode::Esc, _) => PromptEdit::Cancel,
            (KeyCode::Tab, _) => PromptEdit::Complete,
            (KeyCode::BackTab, _) => PromptEdit::CompleteBack,
            (KeyCode::Up, _) | (KeyCode::Char('p'), true) => PromptEdit::HistoryPrev,
            (KeyCode::Down, _) | (KeyCode::Char('n'), true) => PromptEdit::HistoryNext,
            (KeyCode::Left, _) | (KeyCode::Char('b'), true) => PromptEdit::Left,
            (KeyCode::Right, _) | (KeyCode::Char('f'), true) => PromptEdit::Right,
            (KeyCode::Home, _) | (KeyCode::Char('a'), true) => PromptEdit::Home,
            (KeyCode::End, _) | (KeyCode::Char('e'), true) => PromptEdit::End,
            (KeyCode::Backspace, _) | (KeyCode::Char('h'), true) => PromptEdit::Backspace,
            (KeyCode::Delete, _) | (KeyCode::Char('d'), true) => PromptEdit::Delete,
            (KeyCode::Char('u'), true) => PromptEdit::ClearLine,
            (KeyCode::Char('w'), true) => PromptEdit::DeleteWord,
            (KeyCode::Char(c), false) if !key.alt => PromptEdit::Insert(c),
            _ => return None,
        })
    }
}

/// The prompt's state.
#[derive(Clone, Debug, Default)]
pub struct Prompt {
    pub open: bool,
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    /// Candidates shown after an ambiguous Tab.
    pub candidates: Vec<String>,
    /// The candidate inserted by cycling Tabs.
    pub chosen: Option<usize>,
    history: Vec<String>,
    hist_pos: Option<usize>,
    draft: String,
}

fn byte_at(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map(|(i, _)| i).unwrap_or(s.len())
}

impl Prompt {
    /// Open with an empty line.
    pub fn open(&mut self) {
        self.open = true;
        self.text.clear();
        self.cursor = 0;
        self.hist_pos = None;
        self.clear_candidates();
    }

    /// Close; the text is dropped.
    pub fn close(&mut self) {
        self.open = false;
        self.clear_candidates();
    }

    /// Lines entered so far, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Remember a line (from the prompt or a key) for Up/Down.
    pub fn remember(&mut self, line: &str) {
        let line = line.trim();
        if !line.is_empty() && self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_string());
        }
        self.hist_pos = None;
    }

    fn clear_candidates(&mut self) {
        self.candidates.clear();
        self.chosen = None;
    }

    fn set_text(&mut self, t: String) {
        self.cursor = t.chars().count();
        self.text = t;
    }

    /// Byte range of the word before the cursor.
    fn partial(&self) -> (usize, usize) {
        let end = byte_at(&self.text, self.cursor);
        let start = self.text[..end].rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        (start, end)
    }

    fn replace_partial(&mut self, with: &str, space: bool) {
        let (start, end) = self.partial();
        let mut t = String::with_capacity(self.text.len() + with.len() + 1);
        t.push_str(&self.text[..start]);
        t.push_str(with);
        if space && !self.text[end..].starts_with(' ') {
            t.push(' ');
        }
        let cursor = t.chars().count();
        t.push_str(&self.text[end..]);
        self.text = t;
        self.cursor = cursor;
    }

    /// Apply one edit. Returns a message for the status line when there is something to say
    /// (no completion, ...).
    pub fn edit(&mut self, e: PromptEdit, names: &Names) -> Option<String> {
        let cycling = matches!(e, PromptEdit::Complete | PromptEdit::CompleteBack);
        if !cycling {
            self.clear_candidates();
        }
        match e {
            PromptEdit::Insert(c) => {
                let at = byte_at(&self.text, self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            PromptEdit::Backspace => {
                if self.cursor > 0 {
                    let at = byte_at(&self.text, self.cursor - 1);
                    self.text.remove(at);
                    self.cursor -= 1;
                }
            }
            PromptEdit::Delete => {
                if self.cursor < self.text.chars().count() {
                    let at = byte_at(&self.text, self.cursor);
                    self.text.remove(at);
                }
            }
            PromptEdit::Left => self.cursor = self.cursor.saturating_sub(1),
            PromptEdit::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            PromptEdit::Home => self.cursor = 0,
            PromptEdit::End => self.cursor = self.text.chars().count(),
            PromptEdit::ClearLine => self.set_text(String::new()),
            PromptEdit::DeleteWord => {
                let end = byte_at(&self.text, self.cursor);
                let trimmed = self.text[..end].trim_end();
                let start = trimmed.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
                self.text.replace_range(start..end, "");
                self.cursor = self.text[..start].chars().count();
            }
            PromptEdit::HistoryPrev => {
                if self.history.is_empty() {
                    return Some("no history yet".into());
                }
                let pos = match self.hist_pos {
                    None => {
                        self.draft = self.text.clone();
                        self.history.len() - 1
                    }
                    Some(p) => p.saturating_sub(1),
                };
                self.hist_pos = Some(pos);
                self.set_text(self.history[pos].clone());
            }
            PromptEdit::HistoryNext => match self.hist_pos {
                None => {}
                Some(p) if p + 1 < self.history.len() => {
                    self.hist_pos = Some(p + 1);
                    self.set_text(self.history[p + 1].clone());
                }
                Some(_) => {
                    self.hist_pos = None;
                    let d = std::mem::take(&mut self.draft);
                    self.set_text(d);
                }
            },
            PromptEdit::Cancel => self.close(),
            PromptEdit::Complete | PromptEdit::CompleteBack => return self.complete(e == PromptEdit::Complete, names),
        }
        None
    }

    fn complete(&mut self, forward: bool, names: &Names) -> Option<String> {
        if let Some(i) = self.chosen {
            let n = self.candidates.len();
            let next = if forward { (i + 1) % n } else { (i + n - 1) % n };
            self.chosen = Some(next);
            let c = self.candidates[next].clone();
            self.replace_partial(&c, false);
            return None;
        }
        let end = byte_at(&self.text, self.cursor);
        let cands = completions(&self.text[..end], names);
        let (start, _) = self.partial();
        let partial = self.text[start..end].to_string();
        match cands.len() {
            0 => Some(format!("nothing completes `{partial}`")),
            1 => {
                self.replace_partial(&cands[0], true);
                self.clear_candidates();
                None
            }
            _ => {
                let lcp = longest_common_prefix(&cands);
                if lcp.chars().count() > partial.chars().count() {
                    self.replace_partial(&lcp, false);
                    self.candidates = cands;
                } else {
                    self.candidates = cands;
                    let first = if forward { 0 } else { self.candidates.len() - 1 };
                    self.chosen = Some(first);
                    let c = self.candidates[first].clone();
                    self.replace_partial(&c, false);
                }
                None
            }
        }
    }
}

fn longest_common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else { return String::new() };
    let mut n = first.len();
    for w in &words[1..] {
        n = first.bytes().zip(w.bytes()).take(n).take_while(|(a, b)| a == b).count();
    }
    while !first.is_char_boundary(n) {
        n -= 1;
    }
    first[..n].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(p: &mut Prompt, s: &str, names: &Names) {
        for c in s.chars() {
            p.edit(PromptEdit::Insert(c), names);
        }
    }

    #[test]
    fn editing_and_history() {
        let names = Names::default();
        let mut p = Prompt::default();
        p.open();
        typed(&mut p, "wait 100", &names);
        p.edit(PromptEdit::Left, &names);
        p.edit(PromptEdit::Backspace, &names);
        assert_eq!(p.text, "wait 10");
        assert_eq!(p.cursor, 6);
        p.edit(PromptEdit::DeleteWord, &names);
        assert_eq!(p.text, "wait 0");
        p.remember("wait 1000");
        p.remember("socket tcp");
        p.edit(PromptEdit::ClearLine, &names);
        typed(&mut p, "dra", &names);
        p.edit(PromptEdit::HistoryPrev, &names);
        assert_eq!(p.text, "socket tcp");
        p.edit(PromptEdit::HistoryPrev, &names);
        assert_eq!(p.text, "wait 1000");
        p.edit(PromptEdit::HistoryNext, &names);
        p.edit(PromptEdit::HistoryNext, &names);
        assert_eq!(p.text, "dra");
    }

    #[test]
    fn completion_single_common_prefix_and_cycle() {
        let mut names = Names::default();
        names.insert("s");
        let mut p = Prompt::default();
        p.open();
        typed(&mut p, "closes", &names);
        p.edit(PromptEdit::Complete, &names);
        assert_eq!(p.text, "closesocket ");
        p.edit(PromptEdit::ClearLine, &names);
        typed(&mut p, "connect s @", &names);
        p.edit(PromptEdit::Complete, &names);
        assert!(p.candidates.len() > 1, "{:?}", p.candidates);
        assert_eq!(p.text, format!("connect s {}", p.candidates[0]), "no common prefix to add: cycling starts");
        p.edit(PromptEdit::Complete, &names);
        assert_eq!(p.text, format!("connect s {}", p.candidates[1]));
    }
}
