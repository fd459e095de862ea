//! Following the store as it grows (`traces tail`): each poll reads what was appended to
//! the file being followed, moves on to newer files as they appear (the daily file rolls
//! over at midnight UTC), and copes with a file deleted by the caps or truncated.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::decode::decode;
use super::lines::{location, report};
use crate::error::{Error, Result};
use crate::export::local;
use crate::span::Span;

/// Where the store is being read.
#[derive(Debug)]
pub struct Follower {
    dir: PathBuf,
    /// The file followed and the offset read up to; `None` until a file exists.
    current: Option<(PathBuf, u64)>,
    /// What follows the last newline read: a line still being written.
    partial: Vec<u8>,
}

impl Follower {
    /// Starts at the end of the store: only lines completed from now on are reported. A
    /// half-written last line counts as new.
    pub fn at_end(dir: &Path) -> Result<Follower> {
        let current = match local::store_files(dir)?.pop() {
            Some((path, len, _)) => {
                let start = last_line_start(&path, len)?;
                Some((path, start))
            }
            None => None,
        };
        Ok(Follower {
            dir: dir.to_path_buf(),
            current,
            partial: Vec::new(),
        })
    }

    /// The spans of the lines completed since the last poll, in the order written.
    pub fn poll(&mut self, warn: &mut dyn FnMut(String)) -> Result<Vec<Span>> {
        let files: Vec<PathBuf> = local::store_files(&self.dir)?
            .into_iter()
            .map(|(path, _, _)| path)
            .collect();
        let mut spans = Vec::new();
        loop {
            let Some((path, _)) = &self.current else {
                // Nothing existed when we started: every file is new.
                match files.first() {
                    Some(first) => self.current = Some((first.clone(), 0)),
                    None => return Ok(spans),
                }
                continue;
            };
            let path = path.clone();
            self.read_new_lines(&path, &mut spans, warn)?;
            match files.iter().find(|f| f.file_name() > path.file_name()) {
                Some(newer) => {
                    if !self.partial.is_empty() {
                        let start =
                            self.current.as_ref().map_or(0, |c| c.1) - self.partial.len() as u64;
                        warn(format!(
                            "skipped an unfinished last line at {}",
                            location(&path, start)
                        ));
                        self.partial.clear();
                    }
                    self.current = Some((newer.clone(), 0));
                }
                None => return Ok(spans),
            }
        }
    }

    fn read_new_lines(
        &mut self,
        path: &Path,
        spans: &mut Vec<Span>,
        warn: &mut dyn FnMut(String),
    ) -> Result<()> {
        let Some((_, offset)) = self.current.as_mut() else {
            return Ok(());
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            // Deleted by the caps: a newer file is where spans go now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("cannot read", path, e)),
        };
        let len = file
            .metadata()
            .map_err(|e| Error::io("cannot read", path, e))?
            .len();
        if len < *offset {
            // Truncated or replaced: read it again from its start.
            *offset = 0;
            self.partial.clear();
        }
        if len == *offset {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.partial);
        let base = *offset - buf.len() as u64;
        file.seek(SeekFrom::Start(*offset))
            .and_then(|_| file.take(len - *offset).read_to_end(&mut buf))
            .map_err(|e| Error::io("cannot read", path, e))?;
        *offset = base + buf.len() as u64;
        let complete = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf[..complete]) {
            let line = &buf[start..end];
            let line_offset = base + start as u64;
            start = end + 1;
            if line.is_empty() {
                continue;
            }
            let decoded = decode(line).map_err(|e| e.to_string());
            spans.extend(report(path, line_offset, false, decoded, warn).unwrap_or_default());
        }
        self.partial = buf[complete..].to_vec();
        Ok(())
    }
}

/// The offset just after the last newline of the first `len` bytes of `path`.
fn last_line_start(path: &Path, len: u64) -> Result<u64> {
    const TAIL: u64 = 1 << 20;
    let mut file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(TAIL);
        let mut buf = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| Error::io("cannot read", path, e))?;
        if let Some(i) = memchr::memrchr(b'\n', &buf) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, to_request};
    use std::io::Write as _;
    use std::sync::Arc;

    fn line(name: &str) -> String {
        let span = Span::start(
            name,
            None,
            Arc::new(Resource::service("t")),
            Arc::new(Scope::default()),
        );
        format!("{}\n", serde_json::to_string(&to_request(&[span])).unwrap())
    }

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn names(follower: &mut Follower, warnings: &mut Vec<String>) -> Vec<String> {
        let mut warn = |w: String| warnings.push(w);
        let spans = follower.poll(&mut warn).unwrap();
        spans.into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn follows_appends_half_lines_and_the_next_days_file() {
        let dir = tempfile::tempdir().unwrap();
        let day1 = dir.path().join("traces-2026-01-01.jsonl");
        append(&day1, &line("old"));
        let mut follower = Follower::at_end(dir.path()).unwrap();
        let mut warnings = Vec::new();
        assert!(names(&mut follower, &mut warnings).is_empty());
        let text = line("a");
        let (head, tail) = text.split_at(10);
        append(&day1, head);
        assert!(names(&mut follower, &mut warnings).is_empty());
        append(&day1, tail);
        append(&day1, "not json\n");
        assert_eq!(names(&mut follower, &mut warnings), ["a"]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("traces-2026-01-01.jsonl:3"),
            "{warnings:?}"
        );
        let day2 = dir.path().join("traces-2026-01-02.jsonl");
        append(&day1, &line("b"));
        append(&day2, &line("c"));
        assert_eq!(names(&mut follower, &mut warnings), ["b", "c"]);
    }

    #[test]
    fn a_store_that_did_not_exist_is_read_from_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("traces");
        let mut follower = Follower::at_end(&store).unwrap();
        let mut warnings = Vec::new();
        assert!(names(&mut follower, &mut warnings).is_empty());
        std::fs::create_dir(&store).unwrap();
        append(&store.join("traces-2026-01-01.jsonl"), &line("first"));
        assert_eq!(names(&mut follower, &mut warnings), ["first"]);
        assert!(warnings.is_empty());
    }
}
