//! Editing a `.env` text: a key replaced in place (its `export `, trailing comment and line
//! ending kept) or appended, every other byte untouched; values quoted so dotenvy reads
//! them back exactly.

use std::path::Path;

use super::lines::{LogicalLine, split_logical_lines};
use super::{DotEnv, parse_error};
use crate::error::Result;

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
                        crate::config::keys::mask(&value),
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
