//! Finding the lines of a trace without reading the whole store: an index of the trace
//! ids in each store file that is no longer written (a day before the current one),
//! written beside it (`traces-YYYY-MM-DD.jsonl.idx`, see [`local::index_path`]) the first
//! time a lookup reads that file, and used by the next lookups to read only the lines
//! that hold the id. Retention deletes it with its file.
//!
//! A cache, never trusted over the data: it names the size, modification time and inode
//! of the file it was made from, and is ignored (and made again) when the file has
//! changed since, when it is damaged (CRC), or when a line it names is not where it says.
//! The file being written today is searched as text, as every file was before.

mod extract;
mod file;

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use memchr::memmem::Finder;

use super::MAX_WRITE_DELAY_NANOS;
use super::lines::read_lines_holding;
use crate::config::files;
use crate::export::local;
use extract::Collector;
use file::{Index, IndexedLine, Stamp};

/// Calls `visit(offset, line, maybe_partial)` for each line of the store file `path` that
/// may hold a span of a trace whose id starts with `prefix` (lowercase hex; `needle`
/// finds it as text), first to last: through the file's index when it has a valid one,
/// else by searching the file as text (and then indexing it, when it is no longer written).
pub fn lines_holding_id(
    path: &Path,
    prefix: &str,
    needle: &Finder<'_>,
    visit: &mut dyn FnMut(u64, &[u8], bool),
) -> io::Result<()> {
    let file = File::open(path)?;
    let stamp = Stamp::of(&file.metadata()?);
    let index_path = local::index_path(path);
    if let Some(index) = Index::load(&index_path, stamp)
        && let Some(lines) = read_lines(&file, &index, prefix, needle)
    {
        for (line, text) in lines {
            visit(line.offset, &text, line.partial);
        }
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    // A cache: a store this user cannot write to is read as text each time, and what
    // an index would hold is not collected for nothing.
    if !finished(path, SystemTime::now()) || !files::writable(dir) {
        return read_lines_holding(file, needle, visit, &mut |_, _, _| {}).map(drop);
    }
    let mut collector = Collector::new();
    let read = read_lines_holding(file, needle, visit, &mut |offset, text, at_end| {
        collector.add(offset, text, at_end)
    })?;
    // Written only when what was read is the file as it still is.
    let unchanged = fs::metadata(path).is_ok_and(|meta| Stamp::of(&meta) == stamp);
    // An empty file costs a lookup nothing: no index for it.
    if unchanged && read == stamp.len() && read > 0 {
        let index = collector.finish(stamp);
        // A cache: one that cannot be written now is made at a later lookup.
        let _ = files::write_atomically_unsynced(
            dir,
            &index_path,
            &index.encode(),
            files::PRIVATE_FILE,
        );
    }
    Ok(())
}

/// Whether no line will be appended to `path` any more: a file of a day before the one of
/// the latest write that may still come (see [`MAX_WRITE_DELAY_NANOS`]).
fn finished(path: &Path, now: SystemTime) -> bool {
    let writing = now - Duration::from_nanos(MAX_WRITE_DELAY_NANOS);
    let current = local::file_name(writing);
    path.file_name()
        .is_some_and(|name| *name.to_string_lossy() < *current)
}

/// The lines the index names for `prefix`, read from the file, with their place; those to
/// search are kept only when they hold `needle`. `None` when a line is not where the
/// index says (the index is then not used).
fn read_lines(
    file: &File,
    index: &Index,
    prefix: &str,
    needle: &Finder<'_>,
) -> Option<Vec<(IndexedLine, Vec<u8>)>> {
    let mut found = Vec::new();
    for number in index.lines_for(prefix) {
        let line = index.lines()[number];
        let text = read_line(file, &line, index.stamp().len())?;
        if !line.search || needle.find(&text).is_some() {
            found.push((line, text));
        }
    }
    Some(found)
}

/// The text of `line`, checked to be a whole line of the file: a newline (or the file's
/// start) before it, a newline (or, for a partial line, the file's end) after it.
fn read_line(file: &File, line: &IndexedLine, file_len: u64) -> Option<Vec<u8>> {
    let before = u64::from(line.offset > 0);
    let after = u64::from(!line.partial);
    let start = line.offset - before;
    let len = usize::try_from(before + line.len + after).ok()?;
    let mut text = vec![0u8; len];
    file.read_exact_at(&mut text, start).ok()?;
    let starts = before == 0 || text[0] == b'\n';
    let ends = if line.partial {
        line.offset + line.len == file_len
    } else {
        text[len - 1] == b'\n'
    };
    if !starts || !ends {
        return None;
    }
    text.truncate(len - after as usize);
    text.drain(..before as usize);
    Some(text)
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
