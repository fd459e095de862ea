//! The store scan's tests: newest traces first, lookups by id and prefix across day files.

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
fn hex_prefixes_match_without_writing_the_id_out() {
    let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    assert!(hex_starts_with(&id.0, "4bf9"));
    assert!(hex_starts_with(&id.0, "4bf92f3577b34da6a3ce929d0e0e4736"));
    assert!(!hex_starts_with(&id.0, "4bf8"));
    assert!(!hex_starts_with(&id.0, "4bf92f3577b34da6a3ce929d0e0e47360"));
}

#[test]
fn ids_are_checked_and_lowercased() {
    assert_eq!(id_prefix(" ABCD ").unwrap(), "abcd");
    assert!(id_prefix("abc").is_err());
    assert!(id_prefix("abcg").is_err());
    assert!(id_prefix(&"a".repeat(33)).is_err());
}
