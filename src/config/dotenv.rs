//! The `.env` file: reading it with line numbers, and editing it without disturbing it.
//!
//! dotenvy decides what a value means; our own scan, which splits the file into logical
//! lines exactly as dotenvy does (a quoted value may span lines), gives each key its line
//! number and lets the editor replace or append one key while every other byte stays.
//! Here the reading; the scan in `lines`, the editor in `editor`.

use std::path::{Path, PathBuf};

use self::lines::split_logical_lines;
use crate::error::{Error, Result};

mod editor;
mod lines;

pub use self::editor::{DotEnvEditor, quote};

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
