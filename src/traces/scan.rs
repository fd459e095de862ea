//! The store as a whole, read newest first: the most recent traces, and one trace by id
//! or unique id prefix. A corrupt line is skipped and reported (file and line) through the
//! caller's `warn`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::lines::{ReverseLines, decode, location};
use super::{MAX_WRITE_DELAY_NANOS, Trace};
use crate::error::{Error, Result};
use crate::export::local;
use crate::span::{Span, TraceId};

/// Shortest id prefix `find` takes.
pub const MIN_PREFIX: usize = 4;

/// The local store's files, as found when opened.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// Oldest first (the names are dates).
    files: Vec<PathBuf>,
}

/// What an id prefix names.
#[derive(Debug)]
pub enum Lookup {
    Found(Trace),
    NotFound,
    /// More than one trace: each of them, newest first.
    Ambiguous(Vec<Trace>),
}

impl Store {
    /// The store in `dir`; an absent directory is an empty store (nothing is created).
    pub fn open(dir: &Path) -> Result<Store> {
        let files = local::store_files(dir)?
            .into_iter()
            .map(|(path, _, _)| path)
            .collect();
        Ok(Store {
            dir: dir.to_path_buf(),
            files,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The `limit` traces that started last, newest first, each whole (see the module doc
    /// of `traces` for when a trace counts as whole). Reads from the end of the store and
    /// stops as soon as it has them.
    pub fn recent(&self, limit: usize, warn: &mut dyn FnMut(String)) -> Result<Vec<Trace>> {
        let mut pending: HashMap<TraceId, Trace> = HashMap::new();
        let mut whole: Vec<Trace> = Vec::new();
        let mut lines = StoreLines::new(&self.files);
        while whole.len() < limit {
            let Some(line) = lines.next_line()? else {
                whole.extend(pending.into_values());
                break;
            };
            let Some(spans) = line.decode(warn) else {
                continue;
            };
            let Some(newest_end) = spans.iter().map(|s| s.end_unix_nanos).max() else {
                continue;
            };
            add_all(&mut pending, spans);
            // This line, and every line before it, was written by `written_by`: a trace
            // that started later has no span further back.
            let written_by = newest_end.saturating_add(MAX_WRITE_DELAY_NANOS);
            let done: Vec<TraceId> = pending
                .values()
                .filter(|t| t.start_unix_nanos() > written_by)
                .map(|t| t.trace_id)
                .collect();
            for id in done {
                whole.extend(pending.remove(&id));
            }
        }
        newest_first(&mut whole);
        whole.truncate(limit);
        Ok(whole)
    }

    /// The trace whose id starts with `prefix` (lowercase hex, see [`id_prefix`]). Only
    /// lines holding the prefix as text are decoded (so only those can be reported as
    /// corrupt). A full id stops at the files written before the trace started; a shorter
    /// prefix reads the whole store, to be sure that no other trace shares it.
    pub fn find(&self, prefix: &str, warn: &mut dyn FnMut(String)) -> Result<Lookup> {
        let finder = memchr::memmem::Finder::new(prefix.as_bytes());
        let full = prefix.len() == 32;
        let mut found: HashMap<TraceId, Trace> = HashMap::new();
        let mut lines = StoreLines::new(&self.files);
        while let Some(line) = lines.next_line()? {
            if finder.find(line.text).is_none() {
                continue;
            }
            let Some(spans) = line.decode(warn) else {
                continue;
            };
            let matching = spans
                .into_iter()
                .filter(|s| s.trace_id.to_hex().starts_with(prefix));
            add_all(&mut found, matching);
            if full && let Some(trace) = found.values().next() {
                let earliest = trace
                    .start_unix_nanos()
                    .saturating_sub(MAX_WRITE_DELAY_NANOS);
                lines.stop_before = Some(local::file_name(
                    UNIX_EPOCH + Duration::from_nanos(earliest),
                ));
            }
        }
        let mut traces: Vec<Trace> = found.into_values().collect();
        Ok(match traces.len() {
            0 => Lookup::NotFound,
            1 => Lookup::Found(traces.remove(0)),
            _ => {
                newest_first(&mut traces);
                Lookup::Ambiguous(traces)
            }
        })
    }
}

/// A trace id or id prefix as the user typed it, checked and lowercased.
pub fn id_prefix(text: &str) -> Result<String> {
    let prefix = text.trim().to_ascii_lowercase();
    if prefix.len() < MIN_PREFIX
        || prefix.len() > 32
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(Error::usage(format!(
            "`{text}` is not a trace id: expected {MIN_PREFIX} to 32 hex digits, or `last`"
        ))
        .with_hint("`automagik-tracing traces list` shows the ids of the recent traces"));
    }
    Ok(prefix)
}

fn add_all(traces: &mut HashMap<TraceId, Trace>, spans: impl IntoIterator<Item = Span>) {
    for span in spans {
        traces
            .entry(span.trace_id)
            .or_insert_with(|| Trace::new(span.trace_id))
            .add(span);
    }
}

fn newest_first(traces: &mut [Trace]) {
    traces.sort_by(|a, b| {
        b.start_unix_nanos()
            .cmp(&a.start_unix_nanos())
            .then(a.trace_id.0.cmp(&b.trace_id.0))
    });
}

/// Every line of the store, newest file first, each file from its end.
struct StoreLines<'a> {
    /// Files not opened yet, oldest first (the next is popped from the end).
    files: &'a [PathBuf],
    current: Option<ReverseLines>,
    /// The first line of `current` is yet to come.
    at_file_end: bool,
    /// Open no file whose name sorts before this one.
    stop_before: Option<String>,
}

/// One line, where it is, and whether it may be a half-written last line.
struct Line<'a> {
    path: &'a Path,
    offset: u64,
    text: &'a [u8],
    maybe_partial: bool,
}

impl<'a> StoreLines<'a> {
    fn new(files: &'a [PathBuf]) -> StoreLines<'a> {
        StoreLines {
            files,
            current: None,
            at_file_end: false,
            stop_before: None,
        }
    }

    fn next_line(&mut self) -> Result<Option<Line<'_>>> {
        loop {
            if self.current.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let lines = self.current.as_mut().expect("a file is open");
            let at_file_end = std::mem::take(&mut self.at_file_end);
            match lines.next_line() {
                Err(e) => return Err(Error::io("cannot read", lines.path(), e)),
                Ok(None) => self.current = None,
                Ok(Some(offset)) => {
                    let lines = self.current.as_ref().expect("a file is open");
                    return Ok(Some(Line {
                        path: lines.path(),
                        offset,
                        text: lines.line(),
                        maybe_partial: at_file_end && lines.unterminated,
                    }));
                }
            }
        }
    }

    /// Opens the next older file; false when there is none (or none to read).
    fn open_next(&mut self) -> Result<bool> {
        while let Some((path, rest)) = self.files.split_last() {
            self.files = rest;
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if self
                .stop_before
                .as_deref()
                .is_some_and(|stop| *name < *stop)
            {
                self.files = &[];
                return Ok(false);
            }
            match ReverseLines::open(path) {
                Ok(lines) => {
                    self.current = Some(lines);
                    self.at_file_end = true;
                    return Ok(true);
                }
                // Deleted by the size or age cap since the store was opened.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("cannot read", path, e)),
            }
        }
        Ok(false)
    }
}

impl Line<'_> {
    /// The line's spans; `None` for a corrupt line (reported, unless it is a last line
    /// still being written).
    fn decode(&self, warn: &mut dyn FnMut(String)) -> Option<Vec<Span>> {
        match decode(self.text) {
            Ok((spans, invalid)) => {
                if invalid > 0 {
                    warn(format!(
                        "skipped {invalid} span(s) with an invalid id at {}",
                        location(self.path, self.offset)
                    ));
                }
                Some(spans)
            }
            Err(_) if self.maybe_partial => None,
            Err(e) => {
                warn(format!(
                    "skipped a corrupt line at {}: {e}",
                    location(self.path, self.offset)
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, SpanId, to_request};
    use std::sync::Arc;

    const SEC: u64 = 1_000_000_000;
    /// 2026-01-05 00:00:00 UTC
    const DAY: u64 = 1_767_571_200 * SEC;

    fn span(trace: u8, id: u8, parent: Option<u8>, start: u64, end: u64) -> Span {
        let mut s = Span::start(
            format!("s{id}"),
            None,
            Arc::new(Resource::service("t")),
            Arc::new(Scope::default()),
        );
        s.trace_id = TraceId([trace; 16]);
        s.span_id = SpanId([id; 8]);
        s.parent_span_id = parent.map(|p| SpanId([p; 8]));
        (s.start_unix_nanos, s.end_unix_nanos) = (start, end);
        s
    }

    fn write(dir: &Path, name: &str, lines: &[Vec<Span>]) {
        let text: String = lines
            .iter()
            .map(|spans| serde_json::to_string(&to_request(spans)).unwrap() + "\n")
            .collect();
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn ids(traces: &[Trace]) -> Vec<(u8, usize)> {
        traces
            .iter()
            .map(|t| (t.trace_id.0[0], t.spans.len()))
            .collect()
    }

    /// Trace 0xaa starts before midnight and ends after it; 0xbb is the newest.
    fn straddling_store() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "traces-2026-01-04.jsonl",
            &[
                vec![span(0x11, 1, None, DAY - 3600 * SEC, DAY - 3599 * SEC)],
                vec![span(0xaa, 2, Some(1), DAY - 5 * SEC, DAY - 4 * SEC)],
            ],
        );
        write(
            dir.path(),
            "traces-2026-01-05.jsonl",
            &[
                vec![span(0xaa, 1, None, DAY - 6 * SEC, DAY + SEC)],
                vec![span(0xbb, 1, None, DAY + 600 * SEC, DAY + 601 * SEC)],
            ],
        );
        dir
    }

    #[test]
    fn recent_traces_are_whole_across_files_and_newest_first() {
        let dir = straddling_store();
        let store = Store::open(dir.path()).unwrap();
        let mut warn = |w: String| panic!("{w}");
        assert_eq!(ids(&store.recent(1, &mut warn).unwrap()), [(0xbb, 1)]);
        assert_eq!(
            ids(&store.recent(2, &mut warn).unwrap()),
            [(0xbb, 1), (0xaa, 2)]
        );
        assert_eq!(ids(&store.recent(9, &mut warn).unwrap()).len(), 3);
    }

    #[test]
    fn recent_stops_reading_once_it_has_enough() {
        let dir = straddling_store();
        // A corrupt line far back: reading it would warn.
        let old = dir.path().join("traces-2026-01-03.jsonl");
        std::fs::write(&old, "{not json\n").unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut warnings = Vec::new();
        store.recent(2, &mut |w| warnings.push(w)).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        store.recent(3, &mut |w| warnings.push(w)).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("traces-2026-01-03.jsonl:1"),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_prefix_finds_one_trace_or_names_every_candidate() {
        let dir = straddling_store();
        let store = Store::open(dir.path()).unwrap();
        let mut warn = |w: String| panic!("{w}");
        let Lookup::Found(trace) = store.find("aaaa", &mut warn).unwrap() else {
            panic!("not found");
        };
        assert_eq!(trace.spans.len(), 2);
        assert!(matches!(
            store.find("cccc", &mut warn).unwrap(),
            Lookup::NotFound
        ));
        write(
            dir.path(),
            "traces-2026-01-06.jsonl",
            &[vec![span(0xab, 1, None, DAY, DAY + 1)]],
        );
        let store = Store::open(dir.path()).unwrap();
        let Lookup::Ambiguous(both) = store.find("a", &mut warn).unwrap() else {
            panic!("not ambiguous");
        };
        assert_eq!(ids(&both), [(0xab, 1), (0xaa, 2)]);
    }

    #[test]
    fn a_full_id_reads_no_further_back_than_its_trace() {
        let dir = straddling_store();
        // Corrupt, and holding the prefix as text: decoding it would warn.
        let corrupt = format!("{{\"traceId\":\"{}\n", "aa".repeat(16));
        std::fs::write(dir.path().join("traces-2026-01-01.jsonl"), corrupt).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut warnings = Vec::new();
        let full = TraceId([0xaa; 16]).to_hex();
        let found = store.find(&full, &mut |w| warnings.push(w)).unwrap();
        assert!(matches!(found, Lookup::Found(t) if t.spans.len() == 2));
        assert!(warnings.is_empty(), "{warnings:?}");
        store.find("aaaa", &mut |w| warnings.push(w)).unwrap();
        assert_eq!(warnings.len(), 1, "a prefix reads the whole store");
    }

    #[test]
    fn ids_are_checked_and_lowercased() {
        assert_eq!(id_prefix(" ABCD ").unwrap(), "abcd");
        assert!(id_prefix("abc").is_err());
        assert!(id_prefix("abcg").is_err());
        assert!(id_prefix(&"a".repeat(33)).is_err());
    }
}
