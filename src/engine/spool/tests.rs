//! The spool's parts together: writing, claiming, reading back, the cap.

use std::fs::{self, OpenOptions};
use std::sync::Arc;

use prost::Message as _;

use super::*;
use crate::span::{Resource, Scope, Span};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

fn key() -> DestinationKey {
    DestinationKey::new("otlp", "http://127.0.0.1:4318/v1/traces", "")
}

fn new_writer(dir: PathBuf, max_bytes: u64) -> SpoolWriter {
    SpoolWriter::new(dir, max_bytes, key())
}

fn request(spans: usize) -> Request {
    let resource = Arc::new(Resource::service("spool-test"));
    let scope = Arc::new(Scope::default());
    let spans = (0..spans)
        .map(|i| {
            let mut span = Span::start(format!("s{i}"), None, resource.clone(), scope.clone());
            span.end();
            span
        })
        .collect();
    crate::span::into_request(spans)
}

fn mine(segment: &Segment) -> Claim {
    match Claim::take(segment).unwrap() {
        Taken::Mine(claim) => claim,
        Taken::Busy => panic!("busy"),
        Taken::Gone => panic!("gone"),
    }
}

fn claim_is_gone_once_removed(claim: Claim, segment: &Segment) {
    claim.remove().unwrap();
    assert!(matches!(Claim::take(segment).unwrap(), Taken::Gone));
}

/// A segment of three 2-span records, and its bytes.
fn three_records(dir: &Path) -> (Segment, Vec<u8>) {
    let mut writer = new_writer(dir.to_path_buf(), u64::MAX);
    for _ in 0..3 {
        writer.append(&request(2).into()).unwrap();
    }
    drop(writer);
    let segment = segments(dir).unwrap().remove(0);
    let bytes = fs::read(&segment.path).unwrap();
    (segment, bytes)
}

fn records(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter(|e| matches!(e, Entry::Record { .. }))
        .count()
}

#[test]
fn appended_batches_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    let first = request(3);
    let second = request(5);
    assert_eq!(writer.append(&first.clone().into()).unwrap().spans, 3);
    writer.append(&second.clone().into()).unwrap();
    drop(writer);
    let pending = pending(&dir.path().join("otlp")).unwrap();
    assert_eq!(
        (pending.segments, pending.records, pending.spans),
        (1, 2, 8)
    );
    let segment = &segments(&dir.path().join("otlp")).unwrap()[0];
    let entries = mine(segment).read().unwrap();
    match &entries[..] {
        [
            Entry::Record { request: a, .. },
            Entry::Record { request: b, .. },
        ] => {
            assert_eq!(a, &first);
            assert_eq!(b, &second);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_segment_being_written_cannot_be_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    writer.append(&request(1).into()).unwrap();
    let segment = &segments(&dir.path().join("otlp")).unwrap()[0];
    assert!(matches!(Claim::take(segment).unwrap(), Taken::Busy));
    drop(writer);
    let claim = mine(segment);
    assert!(
        matches!(Claim::take(segment).unwrap(), Taken::Busy),
        "a second claim must fail"
    );
    claim_is_gone_once_removed(claim, segment);
}

#[test]
fn a_flipped_byte_costs_only_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, mut bytes) = three_records(&dir.path().join("otlp"));
    let segment = &segment;
    let record_len = (bytes.len() - 8) / 3;
    bytes[8 + record_len + 30] ^= 0xFF; // inside the second record's payload
    fs::write(&segment.path, &bytes).unwrap();
    let entries = mine(segment).read().unwrap();
    assert_eq!(records(&entries), 2);
    assert!(
        matches!(&entries[1], Entry::Damaged { offset, bytes } if *offset == 8 + record_len as u64 && bytes.len() == record_len)
    );
}

#[test]
fn a_damaged_length_is_skipped_to_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, mut bytes) = three_records(&dir.path().join("otlp"));
    let segment = &segment;
    bytes[8 + 5] ^= 0x40; // the first record's length
    fs::write(&segment.path, &bytes).unwrap();
    let entries = mine(segment).read().unwrap();
    assert!(matches!(entries[0], Entry::Damaged { offset: 8, .. }));
    assert_eq!(records(&entries), 2);
}

#[test]
fn a_cut_off_tail_is_damage_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    writer.append(&request(2).into()).unwrap();
    writer.append(&request(2).into()).unwrap();
    drop(writer);
    let segment = &segments(&dir.path().join("otlp")).unwrap()[0];
    let file = OpenOptions::new().write(true).open(&segment.path).unwrap();
    file.set_len(segment.size - 10).unwrap();
    let entries = mine(segment).read().unwrap();
    assert_eq!(records(&entries), 1);
    assert!(matches!(entries.last(), Some(Entry::Damaged { .. })));
}

#[test]
fn the_oldest_segments_go_when_over_the_cap_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let big = request(200);
    let destination = key().with_salt(&[0; 64]);
    let record = format::encode_record(
        &destination,
        crate::presets::Signal::Traces,
        &big.encode_to_vec(),
        200,
    )
    .len() as u64;
    // Room for about three records; one record a segment.
    let mut evicted = 0;
    for _ in 0..5 {
        let mut writer =
            new_writer(dir.path().join("otlp"), 3 * (record + 8)).with_segment_target(record);
        evicted += writer.append(&big.clone().into()).unwrap().evicted_spans;
    }
    assert_eq!(evicted, 400, "the two oldest segments went, counted");
    let pending = pending(&dir.path().join("otlp")).unwrap();
    assert!(pending.bytes <= 3 * (record + 8), "{pending:?}");
    assert_eq!(pending.spans, 600);
}

#[test]
fn a_later_writer_appends_to_the_newest_segment_when_it_has_room() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
        writer.append(&request(2).into()).unwrap();
    }
    assert_eq!(segments(&dir.path().join("otlp")).unwrap().len(), 1);
    assert_eq!(pending(&dir.path().join("otlp")).unwrap().records, 3);
    // A full newest segment is left alone.
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX).with_segment_target(10);
    writer.append(&request(2).into()).unwrap();
    assert_eq!(segments(&dir.path().join("otlp")).unwrap().len(), 2);
}

#[test]
fn a_torn_segment_is_not_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    writer.append(&request(2).into()).unwrap();
    drop(writer);
    let segment = &segments(&dir.path().join("otlp")).unwrap()[0];
    // A writer killed mid-record leaves a cut-off tail.
    OpenOptions::new()
        .write(true)
        .open(&segment.path)
        .unwrap()
        .set_len(segment.size - 5)
        .unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    writer.append(&request(3).into()).unwrap();
    drop(writer);
    assert_eq!(
        segments(&dir.path().join("otlp")).unwrap().len(),
        2,
        "a new segment"
    );
    assert_eq!(
        pending(&dir.path().join("otlp")).unwrap().spans,
        3,
        "the torn record counts no spans"
    );
}

#[test]
fn a_group_commit_writes_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    let (a, b) = (request(2), request(5));
    assert_eq!(
        writer
            .append_all(&[&a.clone().into(), &b.clone().into()])
            .unwrap()
            .spans,
        7
    );
    drop(writer);
    assert_eq!(pending(&dir.path().join("otlp")).unwrap().records, 2);
}

#[cfg(unix)]
#[test]
fn segments_are_this_users_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool/otlp");
    new_writer(spool.clone(), u64::MAX)
        .append(&request(1).into())
        .unwrap();
    let segment = &segments(&spool).unwrap()[0];
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&segment.path), 0o600);
    assert_eq!(mode(&spool), 0o700);
}

#[test]
fn keep_only_rewrites_the_segment_with_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = new_writer(dir.path().join("otlp"), u64::MAX);
    writer.append(&request(1).into()).unwrap();
    writer.append(&request(4).into()).unwrap();
    drop(writer);
    let segment = &segments(&dir.path().join("otlp")).unwrap()[0];
    let mut claim = mine(segment);
    let entries = claim.read().unwrap();
    let Entry::Record { raw, .. } = &entries[1] else {
        panic!("a record")
    };
    claim.keep_only(&[raw]).unwrap();
    assert_eq!(pending(&dir.path().join("otlp")).unwrap().spans, 4);
}

#[test]
fn a_newer_format_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0000000000001-1-0000.seg");
    fs::write(&path, b"AMSPOOL\x09rest").unwrap();
    let segment = &segments(dir.path()).unwrap()[0];
    let err = mine(segment).read().unwrap_err();
    assert!(err.to_string().contains("spool format 9"), "{err}");
    assert!(path.exists());
}
