//! The index against the text search it replaces: the same spans for every prefix, and a
//! stale, damaged or misplaced index never trusted.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::span::{Resource, Scope, Span, SpanId, TraceId, to_request};
use crate::traces::decode::decode;

/// A day long finished: its file is indexed.
pub const OLD: &str = "traces-2026-01-05.jsonl";

pub fn span(trace: &str, id: u8) -> Span {
    let mut s = Span::start(
        format!("s{id}"),
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    s.trace_id = TraceId::from_hex(trace).unwrap();
    s.span_id = SpanId([id; 8]);
    s
}

pub fn line(spans: &[Span]) -> String {
    serde_json::to_string(&to_request(spans)).unwrap() + "\n"
}

const A: &str = "abcd1111000000000000000000000001";
const B: &str = "abcd2222000000000000000000000002";
const C: &str = "0123456789abcdef0123456789abcdef";

/// A store file with a line of each kind: one trace, two, one that mentions another's id
/// in an attribute, one with a control character escaped, one written by hand with
/// spaces (searched as text), a corrupt one, and a last line with no newline.
fn store_file(dir: &Path) -> PathBuf {
    let mut mention = span(C, 4);
    mention.set("note", format!("see {{\"traceId\":\"{A}\"}}"));
    let mut escaped = span(B, 5);
    escaped.set("out", "\u{1b}[1mbold");
    let by_hand = format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"traceId\" : \"{B}\",\"spanId\":\"0606060606060606\",\"name\":\"s6\"}}]}}]}}]}}\n"
    );
    let text = [
        line(&[span(A, 1)]),
        line(&[span(B, 2), span(C, 3)]),
        line(&[mention]),
        line(&[escaped]),
        by_hand,
        format!("{{\"traceId\":\"{A}\",\n"),
        line(&[span(A, 7)]).trim_end().to_string(),
    ]
    .concat();
    let path = dir.join(OLD);
    fs::write(&path, text).unwrap();
    path
}

/// The spans `lookup` finds for `prefix` (line offset, span id), and its warnings.
fn spans_found(
    prefix: &str,
    lookup: impl FnOnce(&Finder<'_>, &mut dyn FnMut(u64, &[u8], bool)) -> io::Result<()>,
) -> (Vec<(u64, u8)>, usize) {
    let needle = Finder::new(prefix.as_bytes());
    let (mut found, mut corrupt) = (Vec::new(), 0);
    lookup(&needle, &mut |offset, text, partial| match decode(text) {
        Ok((spans, _)) => found.extend(
            spans
                .iter()
                .filter(|s| s.trace_id.to_hex().starts_with(prefix))
                .map(|s| (offset, s.span_id.0[0])),
        ),
        Err(_) if partial => {}
        Err(_) => corrupt += 1,
    })
    .unwrap();
    (found, corrupt)
}

pub fn by_index(path: &Path, prefix: &str) -> (Vec<(u64, u8)>, usize) {
    spans_found(prefix, |needle, visit| {
        lines_holding_id(path, prefix, needle, visit)
    })
}

pub fn by_text(path: &Path, prefix: &str) -> (Vec<(u64, u8)>, usize) {
    spans_found(prefix, |needle, visit| {
        crate::traces::lines::lines_holding(path, needle, visit)
    })
}

fn stamp(path: &Path) -> Stamp {
    Stamp::of(&fs::metadata(path).unwrap())
}

fn valid_index(path: &Path) -> Option<Index> {
    Index::load(&local::index_path(path), stamp(path))
}

#[test]
fn the_index_finds_the_spans_the_text_search_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let prefixes = ["abcd", "abcd1", "abcd2", A, B, C, "0123", "ffff"];
    let expected: Vec<_> = prefixes.iter().map(|p| by_text(&path, p)).collect();
    assert_eq!(expected[0].0.len(), 5, "{:?}", expected[0]);
    // The first lookup searches the text and writes the index; the next ones use it.
    assert_eq!(by_index(&path, prefixes[0]), expected[0]);
    let index = valid_index(&path).expect("an index was written");
    assert!(
        index.lines().iter().any(|l| l.search),
        "the hand-written line"
    );
    for (prefix, expected) in prefixes.iter().zip(&expected) {
        assert_eq!(by_index(&path, prefix).0, expected.0, "{prefix}");
    }
}

#[test]
fn an_index_is_private_and_removed_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    by_index(&path, "abcd");
    let index = local::index_path(&path);
    let mode = fs::metadata(&index).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let store = local::LocalStore::new(dir.path().to_path_buf(), 1, 10_000);
    store.append(&to_request(&[span(A, 9)])).unwrap();
    assert!(!path.exists(), "over the size cap");
    assert!(!index.exists(), "the index goes with its file");
}

#[test]
fn an_index_made_before_the_file_grew_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    fs::write(&path, line(&[span(A, 1)])).unwrap();
    assert_eq!(by_index(&path, "abcd").0.len(), 1);
    assert!(valid_index(&path).is_some());
    // A late write to a finished day (a clock set back, a stalled writer).
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut file, line(&[span(B, 2)]).as_bytes()).unwrap();
    drop(file);
    assert_eq!(by_index(&path, "abcd").0.len(), 2, "the new line is found");
    assert_eq!(by_index(&path, B).0.len(), 1);
    assert!(
        valid_index(&path).is_some(),
        "made again for the file as it is"
    );
}

#[test]
fn an_index_of_a_replaced_file_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    by_index(&path, "abcd");
    let old_index = fs::read(local::index_path(&path)).unwrap();
    // The same name and size, another file: restored from a copy, say.
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace(A, &A.replace("abcd", "abce"));
    let new = dir.path().join("new");
    fs::write(&new, &text).unwrap();
    fs::rename(&new, &path).unwrap();
    fs::write(local::index_path(&path), &old_index).unwrap();
    assert_eq!(by_index(&path, "abce"), by_text(&path, "abce"));
    assert_eq!(by_index(&path, "abce").0.len(), 2);
}

#[test]
fn a_damaged_index_is_ignored_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    by_index(&path, "abcd");
    let index = local::index_path(&path);
    let mut bytes = fs::read(&index).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&index, &bytes).unwrap();
    assert!(valid_index(&path).is_none());
    assert_eq!(by_index(&path, "abcd"), by_text(&path, "abcd"));
    assert!(valid_index(&path).is_some());
}

#[test]
fn a_line_not_where_the_index_says_is_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let stamp = stamp(&path);
    // An index that names a line in the middle of another (the file is as it says).
    let wrong = IndexedLine {
        offset: 3,
        len: 5,
        partial: false,
        search: false,
    };
    let id = TraceId::from_hex(A).unwrap().0;
    let index = Index::new(stamp, vec![wrong], vec![(id, 0)]);
    fs::write(local::index_path(&path), index.encode()).unwrap();
    assert_eq!(by_index(&path, "abcd"), by_text(&path, "abcd"));
}

#[test]
fn the_file_still_written_is_searched_and_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let today = dir.path().join(local::file_name(SystemTime::now()));
    fs::write(&today, line(&[span(A, 1)])).unwrap();
    assert_eq!(by_index(&today, "abcd").0.len(), 1);
    assert!(!local::index_path(&today).exists());
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    assert!(!finished(&today, now));
    assert!(finished(&today, now + day + Duration::from_secs(61)));
}
