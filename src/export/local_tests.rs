//! The local store's tests: UTC day files, whole lines after failed or unfinished writes, the size cap.

use super::*;
use crate::span::{Resource, Scope, Span, to_request};
use std::sync::Arc;

#[test]
fn dates_are_utc_days() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(
        file_name(UNIX_EPOCH + Duration::from_secs(86_400 * 365)),
        "traces-1971-01-01.jsonl"
    );
}

/// The real file on a disk with room for `room` more bytes: a write beyond it falls
/// short, the next fails, as on a full disk.
struct Filling(File, usize);

impl Write for Filling {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.1 == 0 {
            return Err(io::ErrorKind::StorageFull.into());
        }
        let n = self.0.write(&buf[..buf.len().min(self.1).min(7)])?;
        self.1 -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl LineFile for Filling {
    fn size(&self) -> io::Result<u64> {
        self.0.size()
    }

    fn byte_at(&self, offset: u64) -> io::Result<u8> {
        self.0.byte_at(offset)
    }

    fn cut_to(&self, size: u64) -> io::Result<()> {
        self.0.cut_to(size)
    }
}

#[test]
fn a_write_that_fails_midway_leaves_the_file_at_the_line_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.jsonl");
    fs::write(&path, "{\"first\":1}\n").unwrap();
    // The disk fills up 20 bytes into the 100-byte line.
    let file = OpenOptions::new()
        .append(true)
        .read(true)
        .open(&path)
        .unwrap();
    let mut filling = Filling(file, 20);
    let err = append_whole_line(&mut filling, &[b'x'; 100]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert_eq!(fs::read_to_string(&path).unwrap(), "{\"first\":1}\n");

    let mut roomy = Filling(filling.0, usize::MAX);
    append_whole_line(&mut roomy, b"{\"next\":2}\n").unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\"first\":1}\n{\"next\":2}\n"
    );
}

#[test]
fn a_line_left_unfinished_by_an_earlier_writer_is_ended_before_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.jsonl");
    fs::write(&path, "{\"half\":").unwrap();
    let mut file = OpenOptions::new()
        .append(true)
        .read(true)
        .open(&path)
        .unwrap();
    append_whole_line(&mut file, b"{\"next\":2}\n").unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\"half\":\n{\"next\":2}\n"
    );
}

#[test]
fn appends_json_lines_and_keeps_under_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("traces-2000-01-01.jsonl");
    fs::write(&old, vec![b'x'; 4096]).unwrap();
    let store = LocalStore::new(dir.path().to_path_buf(), 2048, 10_000);
    let span = Span::start(
        "s",
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    let path = store
        .append(&to_request(std::slice::from_ref(&span)))
        .unwrap();
    store.append(&to_request(&[span])).unwrap();
    assert!(
        !old.exists(),
        "the oldest file goes first when over the cap"
    );
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().count(), 2);
    let back: ExportTraceServiceRequest =
        serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(back.resource_spans[0].scope_spans[0].spans[0].name, "s");
}

#[test]
fn a_files_index_counts_against_the_size_cap_and_goes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("traces-2000-01-01.jsonl");
    fs::write(&old, vec![b'x'; 1000]).unwrap();
    // Under the cap of 4,096 bytes with today's line, over it with the index beside it.
    fs::write(index_path(&old), vec![0; 3500]).unwrap();
    let store = LocalStore::new(dir.path().to_path_buf(), 4096, 10_000);
    let span = Span::start(
        "s",
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    store.append(&to_request(&[span])).unwrap();
    assert!(!old.exists(), "the data and its index are over the cap");
    assert!(!index_path(&old).exists(), "the index goes with its file");
}
