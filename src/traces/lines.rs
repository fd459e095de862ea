//! The store's lines: read backwards from the end of a file in large chunks (so the tail
//! of a big file costs only its tail), decoded into spans, and located by line number only
//! when a warning needs one.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::span::{Span, into_spans};

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

    /// Prepends the chunk before `pos` to what is left of the buffer.
    fn read_chunk_before(&mut self) -> io::Result<()> {
        let n = CHUNK.min(self.pos as usize);
        let start = self.pos - n as u64;
        let mut chunk = vec![0; n + self.end];
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut chunk[..n])?;
        chunk[n..].copy_from_slice(&self.buf[..self.end]);
        self.buf = chunk;
        self.end += n;
        self.pos = start;
        Ok(())
    }
}

/// The spans of one stored line (an `ExportTraceServiceRequest` in OTLP JSON), and how
/// many spans it held with an invalid id.
pub fn decode(line: &[u8]) -> Result<(Vec<Span>, usize), serde_json::Error> {
    let request: ExportTraceServiceRequest = serde_json::from_slice(line)?;
    Ok(into_spans(request))
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
    fn an_empty_file_has_no_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "").unwrap();
        assert!(all_lines(&path).is_empty());
    }
}
