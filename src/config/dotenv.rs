//! The `.env` file: reading it with line numbers, and editing it without disturbing it.
//!
//! dotenvy decides what a value means; our own scan, which splits the file into logical
//! lines exactly as dotenvy does (a quoted value may span lines), gives each key its line
//! number and lets the editor replace or append one key while every other byte stays.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A parsed `.env` file: each key's value (first occurrence wins, as in dotenvy) and line.
#[derive(Debug, Clone)]
pub struct DotEnv {
    /// The file that was read.
    pub path: PathBuf,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: String,
    line: usize,
}

impl DotEnv {
    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<DotEnv>> {
        match super::files::read_settings_text(path)? {
            Some(content) => Self::parse(path, &content).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `content` as the text of `path` (the path is only used in messages).
    pub fn parse(path: &Path, content: &str) -> Result<DotEnv> {
        let lines = split_logical_lines(content).map_err(|line| parse_error(path, line, 0))?;
        let mut entries = Vec::new();
        // Index of the logical line after the last one dotenvy parsed: an error is there or later.
        let mut next = 0;
        // dotenvy's loader strips a byte-order mark; its iterator does not.
        let body = content.strip_prefix('\u{feff}').unwrap_or(content);
        for item in dotenvy::from_read_iter(body.as_bytes()) {
            let (key, value) = item.map_err(|err| match err {
                dotenvy::Error::LineParse(text, index) => {
                    // dotenvy quotes either the whole line or only its value part.
                    let text = text.trim_end();
                    let found = lines[next.min(lines.len())..]
                        .iter()
                        .find_map(|l| l.text.find(text).map(|at| (l, at)));
                    match found {
                        Some((l, at)) => {
                            parse_error(path, l.line, l.text[..at].chars().count() + index + 1)
                        }
                        None => parse_error(path, lines.get(next).map_or(0, |l| l.line), 0),
                    }
                }
                other => Error::bad_input(format!("cannot parse `{}`: {other}", path.display())),
            })?;
            let position = lines[next..]
                .iter()
                .position(|l| l.key.as_deref() == Some(key.as_str()))
                .map_or(next, |p| next + p);
            let line = lines.get(position).map_or(0, |l| l.line);
            next = position + 1;
            entries.push(Entry { key, value, line });
        }
        Ok(DotEnv {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The value of `key` and its line, as dotenvy would load it (the first one wins).
    pub fn get(&self, key: &str) -> Option<(&str, usize)> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| (e.value.as_str(), e.line))
    }

    /// Every key with its value, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
    }
}

fn parse_error(path: &Path, line: usize, column: usize) -> Error {
    let place = if column > 0 {
        format!("line {line}, column {column}")
    } else {
        format!("line {line}")
    };
    Error::bad_input(format!("cannot parse `{}` at {place}", path.display())).with_hint(
        "write KEY=VALUE, quote values that hold spaces or `#` (KEY='a b'), and close every quote; the file was left as it is",
    )
}

/// One logical line of the file: its exact text (terminator included) and, if it assigns
/// a variable, the key.
#[derive(Debug, Clone, PartialEq)]
struct LogicalLine {
    text: String,
    /// 1-based number of its first physical line.
    line: usize,
    key: Option<String>,
}

/// States of dotenvy's line joiner (`QuotedLines`), mirrored so that our logical lines are
/// exactly the ones dotenvy parses.
#[derive(Clone, Copy, PartialEq)]
enum State {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    WhiteSpace,
    Comment,
}

fn end_state(mut state: State, chunk: &str) -> State {
    for c in chunk.chars() {
        state = match state {
            State::WhiteSpace => match c {
                '#' => return State::Comment,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => State::WhiteSpace,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::WeakOpen => match c {
                '\\' => State::WeakOpenEscape,
                '"' => State::Complete,
                _ => State::WeakOpen,
            },
            State::WeakOpenEscape => State::WeakOpen,
            State::StrongOpen => match c {
                '\\' => State::StrongOpenEscape,
                '\'' => State::Complete,
                _ => State::StrongOpen,
            },
            State::StrongOpenEscape => State::StrongOpen,
            State::Escape => State::Complete,
            State::Comment => return State::Comment,
        };
    }
    state
}

/// Splits `content` into logical lines; `Err(line)` names the line of an unclosed quote.
fn split_logical_lines(content: &str) -> std::result::Result<Vec<LogicalLine>, usize> {
    let mut out = Vec::new();
    let mut physical = content.split_inclusive('\n');
    let mut number = 0;
    while let Some(first) = physical.next() {
        number += 1;
        let start = number;
        let mut text = first.to_string();
        let mut state = State::Complete;
        let mut chunk_start = 0;
        loop {
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('#')
            {
                break;
            }
            state = end_state(state, &text[chunk_start..]);
            if matches!(state, State::Complete | State::Comment) {
                break;
            }
            match physical.next() {
                Some(next) => {
                    number += 1;
                    chunk_start = text.len();
                    text.push_str(next);
                }
                None => return Err(start),
            }
        }
        let key = assigned_key(&text);
        out.push(LogicalLine {
            text,
            line: start,
            key,
        });
    }
    Ok(out)
}

/// The key a logical line assigns, following dotenvy's key grammar (`export` optional).
fn assigned_key(text: &str) -> Option<String> {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    let (key, rest) = take_key(rest)?;
    let rest = rest.trim_start();
    if key == "export" && !rest.starts_with('=') {
        let (key, rest) = take_key(rest)?;
        return rest.trim_start().starts_with('=').then(|| key.to_string());
    }
    rest.starts_with('=').then(|| key.to_string())
}

fn take_key(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// Writes `value` so that dotenvy reads back exactly `value`.
///
/// Plain when it is made of safe characters, single quotes when it holds nothing that
/// single quotes cannot carry, double quotes with escapes otherwise.
pub fn quote(value: &str) -> String {
    const PLAIN: &str = "_-./:@+,%=~^";
    if value.is_empty() {
        return String::new();
    }
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || PLAIN.contains(c))
    {
        return value.to_string();
    }
    if !value.contains(['\'', '\\', '\n']) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An editable `.env` text: keys are replaced in place or appended, all else untouched.
#[derive(Debug, Clone)]
pub struct DotEnvEditor {
    lines: Vec<LogicalLine>,
}

impl DotEnvEditor {
    /// Parses `content`; a file dotenvy cannot read is refused, so it is never rewritten.
    pub fn parse(path: &Path, content: &str) -> Result<Self> {
        DotEnv::parse(path, content)?;
        let lines = split_logical_lines(content).map_err(|line| parse_error(path, line, 0))?;
        Ok(DotEnvEditor { lines })
    }

    /// Sets `key` to `value`: the first assignment of `key` is rewritten in place (keeping
    /// an `export ` prefix and its line ending), or a line is appended.
    pub fn set(&mut self, key: &str, value: &str) {
        let assignment = format!("{key}={}", quote(value));
        if let Some(line) = self
            .lines
            .iter_mut()
            .find(|l| l.key.as_deref() == Some(key))
        {
            let indent_and_export = &line.text[..line.text.find(key).unwrap_or(0)];
            let comment = trailing_comment(&line.text).unwrap_or("");
            let ending = line_ending(&line.text);
            line.text = format!("{indent_and_export}{assignment}{comment}{ending}");
            return;
        }
        // New lines end like the last line that has an ending.
        let ending = self
            .lines
            .iter()
            .rev()
            .map(|l| line_ending(&l.text))
            .find(|e| !e.is_empty())
            .unwrap_or("\n");
        if let Some(last) = self.lines.last_mut()
            && !last.text.ends_with('\n')
        {
            last.text.push_str(ending);
        }
        let line = self
            .lines
            .last()
            .map_or(1, |l| l.line + l.text.matches('\n').count());
        self.lines.push(LogicalLine {
            text: format!("{assignment}{ending}"),
            line,
            key: Some(key.to_string()),
        });
    }

    /// Removes every assignment of `key`; true when there was one.
    pub fn unset(&mut self, key: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| l.key.as_deref() != Some(key));
        before != self.lines.len()
    }

    /// The text with the value of every key that `is_secret` masked, for previews.
    pub fn render_masked(&self, is_secret: impl Fn(&str) -> bool) -> String {
        self.lines
            .iter()
            .map(|l| match l.key.as_deref() {
                Some(key) if is_secret(key) => {
                    let value =
                        dotenvy::from_read_iter(l.text.trim_start_matches('\u{feff}').as_bytes())
                            .next()
                            .and_then(|r| r.ok())
                            .map(|(_, v)| v)
                            .unwrap_or_default();
                    let prefix = &l.text[..l.text.find(key).unwrap_or(0)];
                    format!(
                        "{prefix}{key}={}{}",
                        super::keys::mask(&value),
                        line_ending(&l.text)
                    )
                }
                _ => l.text.clone(),
            })
            .collect()
    }

    /// The keys assigned in the file, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|l| l.key.as_deref())
    }

    /// The edited text: untouched lines byte for byte, edited ones rewritten.
    pub fn render(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }
}

/// The ` # comment` after a value (with the blanks before it): a `#` after blanks,
/// outside quotes, as dotenvy's value parser reads it.
fn trailing_comment(text: &str) -> Option<&str> {
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut blank_start = None;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && blank_start.is_some() => {
                let start = blank_start.unwrap_or(i);
                return Some(text[start..].trim_end_matches(['\n', '\r']));
            }
            ' ' | '\t' if !single && !double => {
                blank_start.get_or_insert(i);
                continue;
            }
            _ => {}
        }
        blank_start = None;
    }
    None
}

fn line_ending(text: &str) -> &'static str {
    if text.ends_with("\r\n") {
        "\r\n"
    } else if text.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_back(content: &str) -> Vec<(String, String)> {
        dotenvy::from_read_iter(content.as_bytes())
            .map(|r| r.expect("dotenvy reads what we wrote"))
            .collect()
    }

    const SAMPLE: &str = "# Langfuse\nexport LANGFUSE_HOST=\"https://x\"  # eu\n\nA='one'\r\nMULTI=\"line1\nline2\"\nB=2";

    #[test]
    fn untouched_lines_stay_byte_identical() {
        let mut editor = DotEnvEditor::parse(Path::new(".env"), SAMPLE).unwrap();
        editor.set("A", "new value");
        let out = editor.render();
        assert_eq!(
            out,
            "# Langfuse\nexport LANGFUSE_HOST=\"https://x\"  # eu\n\nA='new value'\r\nMULTI=\"line1\nline2\"\nB=2"
        );
    }

    #[test]
    fn export_prefix_is_kept_when_replacing() {
        let mut editor = DotEnvEditor::parse(Path::new(".env"), SAMPLE).unwrap();
        editor.set("LANGFUSE_HOST", "https://us.cloud.langfuse.com");
        assert!(
            editor
                .render()
                .contains("\nexport LANGFUSE_HOST=https://us.cloud.langfuse.com  # eu\n")
        );
    }

    #[test]
    fn a_trailing_comment_survives_replacement() {
        let mut editor = DotEnvEditor::parse(Path::new(".env"), SAMPLE).unwrap();
        editor.set("LANGFUSE_HOST", "https://c");
        assert!(
            editor
                .render()
                .contains("\nexport LANGFUSE_HOST=https://c  # eu\n"),
            "{}",
            editor.render()
        );
        let mut editor = DotEnvEditor::parse(Path::new(".env"), "A='x # not a comment'\n").unwrap();
        editor.set("A", "y");
        assert_eq!(editor.render(), "A=y\n");
    }

    #[test]
    fn appends_after_a_last_line_without_newline() {
        let mut editor = DotEnvEditor::parse(Path::new(".env"), SAMPLE).unwrap();
        editor.set("NEW", "x");
        assert!(editor.render().ends_with("\nB=2\nNEW=x\n"));
    }

    #[test]
    fn unset_removes_the_assignment_only() {
        let mut editor = DotEnvEditor::parse(Path::new(".env"), SAMPLE).unwrap();
        assert!(editor.unset("MULTI"));
        assert!(!editor.render().contains("line2"));
        assert!(editor.render().contains("# Langfuse\n"));
        assert!(!editor.unset("MISSING"));
    }

    #[test]
    fn keys_carry_their_first_line_numbers() {
        let env = DotEnv::parse(Path::new(".env"), SAMPLE).unwrap();
        assert_eq!(env.get("LANGFUSE_HOST"), Some(("https://x", 2)));
        assert_eq!(env.get("A"), Some(("one", 4)));
        assert_eq!(env.get("MULTI"), Some(("line1\nline2", 5)));
        assert_eq!(env.get("B"), Some(("2", 7)));
    }

    #[test]
    fn unparsable_file_names_line_and_column() {
        let err = DotEnv::parse(Path::new("/p/.env"), "A=1\nB=two words\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/p/.env"), "{text}");
        assert!(text.contains("line 2, column"), "{text}");
        let err = DotEnv::parse(Path::new("/p/.env"), "A=1\nB='open\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_read_and_kept() {
        let text = "\u{feff}A=1\nB=2\n";
        let env = DotEnv::parse(Path::new(".env"), text).unwrap();
        assert_eq!(env.get("A"), Some(("1", 1)));
        let mut editor = DotEnvEditor::parse(Path::new(".env"), text).unwrap();
        editor.set("B", "3");
        assert_eq!(editor.render(), "\u{feff}A=1\nB=3\n");
    }

    #[test]
    fn masked_rendering_hides_values_whatever_their_quoting() {
        let text = "A=1\nSECRET_KEY=\"sk-lf-new\\\\sec\\\"ret9999\"\nT=abc\n";
        let editor = DotEnvEditor::parse(Path::new(".env"), text).unwrap();
        let masked = editor.render_masked(|k| k.contains("SECRET") || k == "T");
        assert!(!masked.contains("ret9999"), "{masked}");
        assert!(masked.contains("T=****\n"), "{masked}");
        assert!(masked.starts_with("A=1\n"));
    }

    #[test]
    fn awkward_values_are_quoted() {
        assert_eq!(quote("plain-1.2"), "plain-1.2");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's $5"), "\"it's \\$5\"");
        assert_eq!(quote(""), "");
    }

    proptest! {
        #[test]
        fn dotenvy_reads_back_exactly_what_was_written(
            value in "[ a-zA-Z0-9#'\"=$\\\\\\n\\t!é€😀{}]{0,24}",
            other in "[a-z ]{0,8}",
        ) {
            let start = format!("# keep me\nOTHER='{other}'\n");
            let mut editor = DotEnvEditor::parse(Path::new(".env"), &start).unwrap();
            editor.set("KEY", &value);
            let out = editor.render();
            prop_assert!(out.starts_with(&start));
            let back = read_back(&out);
            prop_assert_eq!(back, vec![("OTHER".to_string(), other.clone()), ("KEY".to_string(), value.clone())]);
            // Replacing in place reads back too.
            let mut editor = DotEnvEditor::parse(Path::new(".env"), &out).unwrap();
            editor.set("KEY", &format!("{value}x"));
            let back = read_back(&editor.render());
            prop_assert_eq!(&back[1].1, &format!("{value}x"));
        }
    }
}
