//! The store's lines: read backwards from the end of a file in large chunks (so the tail
//! of a big file costs only its tail), newest file first; or searched forward for a text;
//! and located by line number only when a warning needs one ([`super::decode`] makes
//! spans of them).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::pool::Job;
use crate::error::{Error, Result};
use crate::span::Span;

/// How much is read at a time, from the end backwards.
const CHUNK: usize = 4 << 20;

/// The lines of one file, last first. Empty lines are skipped.
pub struct ReverseLines {
    file: File,
    path: PathBuf,
    /// The file offset of `buf[0]`.
    pos: u64,
    buf: Vec<u8>,
    /// The end (exclusive) within `buf` of the line to yield next.
    end: usize,
    /// The line yielded last, within `buf`.
    line: Range<usize>,
    /// The buffer the next chunk is read into.
    spare: Vec<u8>,
    /// The file does not end with a newline: its last line may be half written.
    pub unterminated: bool,
}

impl ReverseLines {
    pub fn open(path: &Path) -> io::Result<ReverseLines> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut unterminated = false;
        if len > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            unterminated = last[0] != b'\n';
        }
        Ok(ReverseLines {
            file,
            path: path.to_path_buf(),
            pos: len,
            buf: Vec::new(),
            end: 0,
            line: 0..0,
            spare: Vec::new(),
            unterminated,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves to the next line back and returns its byte offset in the file; [`line`]
    /// is its text.
    ///
    /// [`line`]: ReverseLines::line
    pub fn next_line(&mut self) -> io::Result<Option<u64>> {
        loop {
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[..self.end]) {
                self.line = i + 1..self.end;
                self.end = i;
                if !self.line.is_empty() {
                    return Ok(Some(self.pos + self.line.start as u64));
                }
                continue;
            }
            if self.pos == 0 {
                self.line = 0..std::mem::take(&mut self.end);
                return Ok((!self.line.is_empty()).then_some(0));
            }
            self.read_chunk_before()?;
        }
    }

    /// The line [`next_line`](ReverseLines::next_line) moved to, without its newline.
    pub fn line(&self) -> &[u8] {
        &self.buf[self.line.clone()]
    }

    /// Prepends the chunk before `pos` to what is left of the buffer (read into the spare
    /// buffer, so that neither is allocated or zeroed again).
    fn read_chunk_before(&mut self) -> io::Result<()> {
        let n = CHUNK.min(self.pos as usize);
        let start = self.pos - n as u64;
        self.spare.clear();
        self.file.seek(SeekFrom::Start(start))?;
        (&self.file).take(n as u64).read_to_end(&mut self.spare)?;
        if self.spare.len() != n {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.spare.extend_from_slice(&self.buf[..self.end]);
        std::mem::swap(&mut self.buf, &mut self.spare);
        self.end += n;
        self.pos = start;
        Ok(())
    }
}

/// Calls `visit(offset, line, maybe_partial)` for each line of `path` that holds `needle`,
/// first to last (`maybe_partial`: the file's last line, with no newline after it). Reads
/// the file forward in chunks and searches each chunk whole: only the lines around a hit
/// are looked at.
pub fn lines_holding(
    path: &Path,
    needle: &memchr::memmem::Finder<'_>,
    visit: &mut dyn FnMut(u64, &[u8], bool),
) -> io::Result<()> {
    read_lines_holding(File::open(path)?, needle, visit, &mut |_, _, _| {}).map(drop)
}

/// [`lines_holding`] over an open file, also handing `whole(offset, text, at_end)` each
/// stretch of whole lines as it is read (`at_end`: the last stretch, whose last line may
/// have no newline); returns how many bytes it read.
pub fn read_lines_holding(
    mut file: File,
    needle: &memchr::memmem::Finder<'_>,
    visit: &mut dyn FnMut(u64, &[u8], bool),
    whole: &mut dyn FnMut(u64, &[u8], bool),
) -> io::Result<u64> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    // The file offset of buf[0]; buf starts with the unfinished line of the last chunk.
    let mut base = 0u64;
    loop {
        let carried = buf.len();
        let read = (&mut file).take(CHUNK as u64).read_to_end(&mut buf)?;
        let eof = read == 0;
        let complete = match memchr::memrchr(b'\n', &buf[carried..]) {
            Some(i) => carried + i + 1,
            None if eof => buf.len(),
            None => continue,
        };
        let mut at = 0;
        while let Some(hit) = needle.find(&buf[at..complete]) {
            let hit = at + hit;
            let start = memchr::memrchr(b'\n', &buf[..hit]).map_or(0, |i| i + 1);
            let (end, partial) = match memchr::memchr(b'\n', &buf[hit..complete]) {
                Some(i) => (hit + i, false),
                None => (complete, true),
            };
            visit(base + start as u64, &buf[start..end], partial);
            at = (end + 1).min(complete);
        }
        whole(base, &buf[..complete], eof);
        if eof {
            return Ok(base + complete as u64);
        }
        buf.drain(..complete);
        base += complete as u64;
    }
}

/// The 1-based number of the line that starts at byte `offset` of `path` (read only to
/// name a line in a warning).
pub fn line_number(path: &Path, offset: u64) -> io::Result<u64> {
    let mut file = File::open(path)?.take(offset);
    let mut buf = vec![0; 1 << 20];
    let mut newlines = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(newlines + 1);
        }
        newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    }
}

/// `path:LINE` for a warning (`path` alone when the line cannot be counted).
pub fn location(path: &Path, offset: u64) -> String {
    match line_number(path, offset) {
        Ok(line) => format!("{}:{line}", path.display()),
        Err(_) => path.display().to_string(),
    }
}

/// Every line of the store, newest file first, each file from its end.
pub struct StoreLines<'a> {
    /// Files not opened yet, oldest first (the next is popped from the end).
    files: &'a [PathBuf],
    current: Option<ReverseLines>,
    /// The first line of `current` is yet to come.
    at_file_end: bool,
}

/// One line, where it is, and whether it may be a half-written last line.
pub struct Line<'a> {
    /// Index of its file in the store's files.
    file: usize,
    offset: u64,
    text: &'a [u8],
    maybe_partial: bool,
}

impl<'a> StoreLines<'a> {
    pub fn new(files: &'a [PathBuf]) -> StoreLines<'a> {
        StoreLines {
            files,
            current: None,
            at_file_end: false,
        }
    }

    pub fn next_line(&mut self) -> Result<Option<Line<'_>>> {
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
                        file: self.files.len(),
                        offset,
                        text: lines.line(),
                        maybe_partial: at_file_end && lines.unterminated,
                    }));
                }
            }
        }
    }

    /// Opens the next older file; false when there is none.
    fn open_next(&mut self) -> Result<bool> {
        while let Some((path, rest)) = self.files.split_last() {
            self.files = rest;
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
    /// The line, to be decoded by the pool.
    pub fn job(&self) -> Job {
        Job {
            file: self.file,
            offset: self.offset,
            text: self.text.to_vec(),
            maybe_partial: self.maybe_partial,
        }
    }
}

/// The spans of a decoded line; a line that could not be decoded is reported with its file
/// and line number, unless it may be a last line still being written.
pub fn report(
    path: &Path,
    offset: u64,
    maybe_partial: bool,
    decoded: std::result::Result<(Vec<Span>, usize), String>,
    warn: &mut dyn FnMut(String),
) -> Option<Vec<Span>> {
    match decoded {
        Ok((spans, invalid)) => {
            if invalid > 0 {
                warn(format!(
                    "skipped {invalid} span(s) with an invalid id at {}",
                    location(path, offset)
                ));
            }
            Some(spans)
        }
        Err(_) if maybe_partial => None,
        Err(e) => {
            warn(format!(
                "skipped a corrupt line at {}: {e}",
                location(path, offset)
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(path: &Path) -> Vec<(u64, String)> {
        let mut lines = ReverseLines::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(offset) = lines.next_line().unwrap() {
            out.push((offset, String::from_utf8(lines.line().to_vec()).unwrap()));
        }
        out
    }

    #[test]
    fn lines_come_last_first_with_their_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "one\n\ntwo\nthree\n").unwrap();
        assert_eq!(
            all_lines(&path),
            vec![(9, "three".into()), (5, "two".into()), (0, "one".into())]
        );
        assert!(!ReverseLines::open(&path).unwrap().unterminated);
        assert_eq!(line_number(&path, 9).unwrap(), 4);
    }

    #[test]
    fn lines_longer_than_a_chunk_come_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let long = "x".repeat(CHUNK * 2 + 17);
        std::fs::write(&path, format!("a\n{long}\nb")).unwrap();
        let lines = all_lines(&path);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], (long.len() as u64 + 3, "b".into()));
        assert_eq!(lines[1].1.len(), long.len());
        assert_eq!(lines[2], (0, "a".into()));
        assert!(ReverseLines::open(&path).unwrap().unterminated);
    }

    #[test]
    fn lines_holding_a_needle_are_found_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let long = "x".repeat(CHUNK - 3);
        std::fs::write(&path, format!("a1\n{long}\nb2 needle\nc\nneedle d")).unwrap();
        let finder = memchr::memmem::Finder::new("needle");
        let mut found = Vec::new();
        lines_holding(&path, &finder, &mut |offset, line, partial| {
            found.push((offset, String::from_utf8(line.to_vec()).unwrap(), partial))
        })
        .unwrap();
        let at = long.len() as u64 + 4;
        assert_eq!(
            found,
            [
                (at, "b2 needle".into(), false),
                (at + 12, "needle d".into(), true)
            ]
        );
    }

    #[test]
    fn an_empty_file_has_no_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "").unwrap();
        assert!(all_lines(&path).is_empty());
    }
}
