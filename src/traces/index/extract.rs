//! The trace ids a stored line holds, read from its text without decoding it: every
//! `"traceId":"<32 lowercase hex>"` in it. Sound, not exact: each span the decoder would
//! find in a line has its id among them (links add more, which only costs a decode), and
//! a line whose text leaves any doubt (a `traceId` key written any other way, or a `\u`
//! escape that spells one of its letters) is marked for a text search instead, as lines
//! were searched before there was an index.

use memchr::memmem::Finder;

use super::file::{Index, IndexedLine, Stamp};

/// The key whose value is a span's trace id in OTLP JSON.
const KEY: &str = "traceId";
/// What follows the key when the writer (serde_json, compact) wrote it: `":"`, the id, `"`.
const ID_DIGITS: usize = 32;

/// What one occurrence of the key's text is.
#[derive(Debug, PartialEq)]
enum Occurrence {
    /// Not a `traceId` key: part of a longer word, a string value, escaped text.
    Other,
    /// The key with its id, as the writer writes it.
    Id([u8; 16]),
    /// A `traceId` key written some other way (spaces, upper case, another encoding).
    Unsure,
}

/// Builds an [`Index`] from the whole lines of a file, handed over in file order.
pub struct Collector {
    key: Finder<'static>,
    escape: Finder<'static>,
    lines: Vec<IndexedLine>,
    ids: Vec<([u8; 16], u32)>,
    ids_of_line: Vec<[u8; 16]>,
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            key: Finder::new(KEY.as_bytes()),
            escape: Finder::new(br"\u"),
            lines: Vec::new(),
            ids: Vec::new(),
            ids_of_line: Vec::new(),
        }
    }

    /// Takes a stretch of whole lines starting at byte `offset` of the file; `at_end`: the
    /// file's last stretch, whose last line may have no newline (and may be half written).
    pub fn add(&mut self, offset: u64, text: &[u8], at_end: bool) {
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', text) {
            self.add_line(offset + start as u64, &text[start..newline], false);
            start = newline + 1;
        }
        if at_end && start < text.len() {
            self.add_line(offset + start as u64, &text[start..], true);
        }
    }

    /// The index of what was added, for a file as `stamp` describes it.
    pub fn finish(mut self, stamp: Stamp) -> Index {
        self.ids.sort_unstable();
        Index::new(stamp, self.lines, self.ids)
    }

    fn add_line(&mut self, offset: u64, line: &[u8], partial: bool) {
        self.ids_of_line.clear();
        let mut unsure = self.escapes_a_key_letter(line);
        if !unsure {
            for at in self.key.find_iter(line) {
                match occurrence(line, at) {
                    Occurrence::Other => {}
                    Occurrence::Id(id) => self.ids_of_line.push(id),
                    Occurrence::Unsure => {
                        unsure = true;
                        break;
                    }
                }
            }
        }
        if unsure {
            self.ids_of_line.clear();
        } else if self.ids_of_line.is_empty() {
            // No span in it: nothing a lookup could want from it.
            return;
        }
        let number = u32::try_from(self.lines.len()).unwrap_or(u32::MAX);
        self.lines.push(IndexedLine {
            offset,
            len: line.len() as u64,
            partial,
            search: unsure,
        });
        self.ids_of_line.sort_unstable();
        self.ids_of_line.dedup();
        self.ids
            .extend(self.ids_of_line.iter().map(|&id| (id, number)));
    }

    /// Whether a `\u` escape in `line` spells a letter of the key, so that a key may be
    /// `traceId` without the text `traceId` (serde_json itself only escapes controls so).
    fn escapes_a_key_letter(&self, line: &[u8]) -> bool {
        self.escape.find_iter(line).any(|at| {
            let code = line
                .get(at + 2..at + 6)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u32::from_str_radix(hex, 16).ok());
            code.and_then(char::from_u32)
                .is_some_and(|c| c.is_ascii() && KEY.as_bytes().contains(&(c as u8)))
        })
    }
}

/// What the key's text at byte `at` of `line` is.
fn occurrence(line: &[u8], at: usize) -> Occurrence {
    let end = at + KEY.len();
    let quoted = at > 0 && line[at - 1] == b'"' && line.get(end) == Some(&b'"');
    if !quoted {
        return Occurrence::Other;
    }
    // A quoted string followed by a colon is a key; followed by anything else, a value.
    let after = &line[end + 1..];
    let colon = after
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .is_some_and(|i| after[i] == b':');
    if !colon {
        return Occurrence::Other;
    }
    match after {
        [b':', b'"', rest @ ..] if rest.get(ID_DIGITS) == Some(&b'"') => {
            lowercase_hex_id(&rest[..ID_DIGITS]).map_or(Occurrence::Unsure, Occurrence::Id)
        }
        _ => Occurrence::Unsure,
    }
}

/// The id written as 32 lowercase hex digits (as the writer writes ids, and as the lookup
/// searched them before there was an index).
fn lowercase_hex_id(hex: &[u8]) -> Option<[u8; 16]> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut id = [0u8; 16];
    for (byte, pair) in id.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn id() -> [u8; 16] {
        crate::span::TraceId::from_hex(ID).unwrap().0
    }

    fn read(line: &str) -> Occurrence {
        let at = line.find(KEY).unwrap();
        occurrence(line.as_bytes(), at)
    }

    #[test]
    fn the_key_as_the_writer_writes_it_gives_the_id() {
        assert_eq!(
            read(&format!(r#"{{"traceId":"{ID}","x":1}}"#)),
            Occurrence::Id(id())
        );
    }

    #[test]
    fn text_that_only_mentions_the_key_is_no_id() {
        for line in [
            format!(r#"{{"v":"the traceId is {ID}"}}"#),
            format!(r#"{{"v":"{{\"traceId\":\"{ID}\"}}"}}"#),
            r#"{"key":"traceId","value":{"stringValue":"x"}}"#.to_string(),
            r#"{"parenttraceId":"x"}"#.to_string(),
        ] {
            assert_eq!(read(&line), Occurrence::Other, "{line}");
        }
    }

    #[test]
    fn the_key_written_any_other_way_is_unsure() {
        for line in [
            format!(r#"{{"traceId" : "{ID}"}}"#),
            format!(r#"{{"traceId":"{}"}}"#, ID.to_uppercase()),
            format!(r#"{{"traceId":"\u0034{}"}}"#, &ID[1..]),
            r#"{"traceId":"S/kvNXezTaajzpKdDg5HNg=="}"#.to_string(),
            r#"{"traceId":""}"#.to_string(),
            format!(r#"{{"traceId":"{ID}"#),
        ] {
            assert_eq!(read(&line), Occurrence::Unsure, "{line}");
        }
    }

    fn index_of(text: &str) -> Index {
        let mut collector = Collector::new();
        collector.add(0, text.as_bytes(), true);
        collector.finish(Stamp::default())
    }

    #[test]
    fn lines_are_indexed_by_their_ids_or_marked_for_a_search() {
        let other = "c0ffee00000000000000000000000001";
        let text = format!(
            "{{\"traceId\":\"{ID}\"}}{{\"traceId\":\"{ID}\"}}\n\
             {{\"resourceSpans\":[]}}\n\
             \n\
             {{\"traceId\":\"{other}\",\"name\":\"a \\u0074\"}}\n\
             {{\"traceId\":\"{other}\",\"name\":\"\\u001b[1m\"}}\n\
             {{\"traceId\":\"{ID}\""
        );
        let index = index_of(&text);
        let lines: Vec<(u64, bool, bool)> = index
            .lines()
            .iter()
            .map(|l| (l.offset, l.partial, l.search))
            .collect();
        let starts: Vec<u64> = text
            .split_inclusive('\n')
            .scan(0, |at, l| {
                let start = *at;
                *at += l.len() as u64;
                Some(start)
            })
            .collect();
        assert_eq!(
            lines,
            [
                (starts[0], false, false),
                (starts[3], false, true),
                (starts[4], false, false),
                (starts[5], true, false),
            ]
        );
        assert_eq!(index.lines_for(&ID[..6]), [0, 1, 3]);
        assert_eq!(index.lines_for(other), [1, 2]);
        assert_eq!(index.lines_for("ffff"), [1]);
    }
}
