//! The store as a whole, read newest first: the most recent traces, and one trace by id
//! or unique id prefix. A corrupt line is skipped and reported (file and line) through the
//! caller's `warn`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use memchr::memmem::Finder;

use super::lines::{StoreLines, report};
use super::{MAX_WRITE_DELAY_NANOS, Trace, index, pool};
use crate::error::{Error, Result};
use crate::export::local;
use crate::presets::Signal;
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
    /// Exactly one trace has an id starting with the prefix.
    Found(Trace),
    /// No trace in the store has such an id.
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

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the store has no file at all (a store with files may still hold no trace).
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
        // A few lines at a time are decoded on worker threads, then taken in order.
        let batch = 2 * pool::workers();
        pool::with_decoders(&|_| true, |decoders| -> Result<()> {
            let mut more = true;
            while more && whole.len() < limit {
                for _ in 0..batch {
                    let Some(line) = lines.next_line()? else {
                        more = false;
                        break;
                    };
                    decoders.send(line.job());
                }
                for d in decoders.wait() {
                    if whole.len() >= limit {
                        return Ok(());
                    }
                    let path = &self.files[d.file];
                    if let Some(spans) = report(path, d.offset, d.maybe_partial, d.result, warn) {
                        take_line(spans, &mut pending, &mut whole);
                    }
                }
            }
            if whole.len() < limit {
                whole.extend(pending.into_values());
            }
            Ok(())
        })?;
        newest_first(&mut whole);
        whole.truncate(limit);
        Ok(whole)
    }

    /// The trace whose id starts with `prefix` (lowercase hex, see [`id_prefix`]). Only
    /// lines that may hold such a trace are decoded (so only those can be reported as
    /// corrupt): those holding the prefix as text, or through an index, those holding
    /// such an id. A full id stops at the files written before the trace started; a shorter
    /// prefix looks at every file, to be sure that no other trace shares it: a file no
    /// longer written through its index of ids (made the first time it is read, see
    /// `index`), today's as text.
    pub fn find(&self, prefix: &str, warn: &mut dyn FnMut(String)) -> Result<Lookup> {
        let finder = Finder::new(prefix.as_bytes());
        let full = prefix.len() == 32;
        let keep = |s: &Span| hex_starts_with(&s.trace_id.0, prefix);
        let mut found: HashMap<TraceId, Trace> = HashMap::new();
        let files: Vec<(usize, &PathBuf)> = self.files.iter().enumerate().rev().collect();
        // A few files are searched at once, each on a thread of its own; the lines they
        // find are decoded on worker threads while the next files are searched.
        pool::with_decoders(&keep, |decoders| -> Result<()> {
            for wave in files.chunks(pool::workers()) {
                if full {
                    absorb(&self.files, decoders.wait(), &mut found, warn);
                    if let Some(trace) = found.values().next()
                        && before_trace(wave[0].1, Signal::Traces, trace)
                    {
                        break;
                    }
                }
                for jobs in search(wave, prefix, &finder) {
                    jobs?.into_iter().for_each(|job| decoders.send(job));
                }
            }
            absorb(&self.files, decoders.wait(), &mut found, warn);
            Ok(())
        })?;
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

/// The lines that may hold a trace whose id starts with `prefix` (`needle` finds it as
/// text) in each of `files` (index, path), the files searched in parallel.
fn search(
    files: &[(usize, &PathBuf)],
    prefix: &str,
    needle: &Finder<'_>,
) -> Vec<Result<Vec<pool::Job>>> {
    std::thread::scope(|scope| {
        let searches: Vec<_> = files
            .iter()
            .map(|&(file, path)| {
                scope.spawn(move || {
                    let mut jobs = Vec::new();
                    let mut visit = |offset, text: &[u8], maybe_partial| {
                        jobs.push(pool::Job {
                            file,
                            offset,
                            text: text.to_vec(),
                            maybe_partial,
                        })
                    };
                    match index::lines_holding_id(path, prefix, needle, &mut visit) {
                        Ok(()) => Ok(jobs),
                        // Deleted by the size or age cap since the store was opened.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                        Err(e) => Err(Error::io("cannot read", path, e)),
                    }
                })
            })
            .collect();
        searches
            .into_iter()
            .map(|s| s.join().expect("a search thread does not panic"))
            .collect()
    })
}

/// Adds the spans of decoded lines (lines of `files`), and reports those that could not be
/// decoded.
fn absorb(
    files: &[PathBuf],
    decoded: Vec<pool::Decoded>,
    found: &mut HashMap<TraceId, Trace>,
    warn: &mut dyn FnMut(String),
) {
    for d in decoded {
        let path = &files[d.file];
        if let Some(spans) = report(path, d.offset, d.maybe_partial, d.result, warn) {
            add_all(found, spans);
        }
    }
}

/// Adds a line's spans to the traces they belong to; moves the traces that the line shows
/// to be whole from `pending` to `whole`.
fn take_line(spans: Vec<Span>, pending: &mut HashMap<TraceId, Trace>, whole: &mut Vec<Trace>) {
    let Some(newest_end) = spans.iter().map(|s| s.end_unix_nanos).max() else {
        return;
    };
    add_all(pending, spans);
    // This line, and every line before it, was written by `written_by`: a trace that
    // started later has no span further back.
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

/// Whether `path`, a store file of `signal`, is of a day before `trace` started (so it
/// holds none of it).
pub(super) fn before_trace(path: &Path, signal: Signal, trace: &Trace) -> bool {
    let earliest = trace
        .start_unix_nanos()
        .saturating_sub(MAX_WRITE_DELAY_NANOS);
    let first_day = local::signal_file_name(signal, UNIX_EPOCH + Duration::from_nanos(earliest));
    *path.file_name().unwrap_or_default().to_string_lossy() < *first_day
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

/// Whether the lowercase hex of `id` starts with `prefix` (lowercase hex), without
/// writing the hex out.
fn hex_starts_with(id: &[u8], prefix: &str) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    prefix.len() <= id.len() * 2
        && prefix.bytes().enumerate().all(|(i, digit)| {
            let byte = id[i / 2];
            let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0xf };
            DIGITS[usize::from(nibble)] == digit
        })
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

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
