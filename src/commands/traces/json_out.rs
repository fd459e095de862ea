//! The JSON of `traces list`, `show` and `tail --json`, made safe for a terminal as it is
//! written: serde_json escapes the C0 controls in strings, but not DEL, the C1 controls
//! (U+0080 to U+009F, which some terminals obey like ESC) or the bidirectional overrides;
//! these are written as `\uXXXX` escapes, which leaves the JSON meaning the same. `show`
//! of a large trace streams through a buffer instead of building its text first.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::error::Result;

/// The buffer between the serialiser and stdout.
const OUT_BUFFER: usize = 64 * 1024;

/// Writes `value` to stdout as indented JSON and a newline, terminal-safe.
pub fn print_pretty(value: &impl Serialize) -> Result<()> {
    let mut out = BufWriter::with_capacity(OUT_BUFFER, io::stdout().lock());
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, TerminalSafe(PrettyFormatter::new()));
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// `value` as JSON on one line, terminal-safe, with its newline.
pub fn line(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, TerminalSafe(CompactFormatter));
    value
        .serialize(&mut serializer)
        .expect("serialising into memory does not fail");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Whether a terminal may act on `c` although JSON lets it stand unescaped.
fn unsafe_char(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A formatter (compact or pretty) that also escapes what [`unsafe_char`] names; every
/// character of a string (key or value) goes through `write_string_fragment`.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(unsafe_char) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // The layout is the inner formatter's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_and_the_json_means_the_same() {
        let value = serde_json::json!({"k\u{9b}": ["a\u{1b}b\u{7f}", "\u{202e}x\u{9b}é"]});
        let text = line(&value);
        assert_eq!(
            text,
            "{\"k\\u009b\":[\"a\\u001bb\\u007f\",\"\\u202ex\\u009bé\"]}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn the_pretty_layout_is_serde_jsons() {
        let value = serde_json::json!({"a": [1, {"b": []}], "c": {}});
        let mut out = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, TerminalSafe(PrettyFormatter::new()));
        value.serialize(&mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
