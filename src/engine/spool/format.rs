//! The bytes of a segment. A segment starts with [`MAGIC`] and a format version byte; then
//! records, each `mark (4) | length (u32 LE) | crc32 (u32 LE) | span count (u32 LE) | body`,
//! the CRC covering the length, the span count and the body. The mark says what the body
//! is, so every record reads on its own, whatever happened to the segment's header:
//!
//! - [`DESTINED_MARK`] (format 2): `destination length (u16 LE) | destination | payload`;
//! - [`LOGS_MARK`], [`METRICS_MARK`] (format 3): the same, the payload being log records
//!   or metrics, and the span count their count (log records, metric data points);
//! - [`LEGACY_MARK`] (format 1): the payload alone, destination unknown;
//! - [`DONE_MARK`]: delivered already (a flush marks each record as it is delivered, so
//!   one stopped midway sends again at most the record that was in flight).
//!
//! The payload is one `ExportTraceServiceRequest` in protobuf (an `ExportLogsServiceRequest`
//! or `ExportMetricsServiceRequest` after their marks). After damage, the next record is
//! found by its mark and a valid checksum.

use prost::Message as _;

use super::destination::Destination;
use crate::error::{Error, Result};
use crate::export::Records;
use crate::presets::Signal;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

/// The first bytes of every segment.
pub const MAGIC: &[u8; 7] = b"AMSPOOL";
/// The segment format this build writes (it reads formats 1 and 2 too). Format 3 added
/// records of log records and metrics, which a build that reads only 2 must not take for
/// damage.
pub const FORMAT_VERSION: u8 = 3;
/// The segment header: the magic and the format version.
pub const SEGMENT_HEADER_LEN: u64 = 8;
/// A record of format 1, written before records carried their destination.
pub const LEGACY_MARK: [u8; 4] = [0xA7, b'R', b'E', b'C'];
/// A record that carries its destination.
pub const DESTINED_MARK: [u8; 4] = [0xA7, b'R', b'E', b'D'];
/// A record of log records that carries its destination.
pub const LOGS_MARK: [u8; 4] = [0xA7, b'R', b'E', b'L'];
/// A record of metrics that carries its destination.
pub const METRICS_MARK: [u8; 4] = [0xA7, b'R', b'E', b'M'];
/// A record already delivered (its mark overwritten in place).
pub const DONE_MARK: [u8; 4] = [0xA7, b'A', b'C', b'K'];
/// A record's header: mark, length, CRC32 and span count, four bytes each.
pub const RECORD_HEADER_LEN: usize = 16;
/// Larger declared lengths can only be damage.
const RECORD_MAX_BYTES: u32 = 1 << 30;

/// The segment header.
pub fn segment_header() -> [u8; SEGMENT_HEADER_LEN as usize] {
    let mut header = [0; SEGMENT_HEADER_LEN as usize];
    header[..7].copy_from_slice(MAGIC);
    header[7] = FORMAT_VERSION;
    header
}

/// One record for `destination` holding `payload` (a protobuf request of `signal` holding
/// `spans` spans, or log records, or metric data points).
pub fn encode_record(
    destination: &Destination,
    signal: Signal,
    payload: &[u8],
    spans: u32,
) -> Vec<u8> {
    let dest = destination.encode();
    let body_len = 2 + dest.len() + payload.len();
    let mut record = Vec::with_capacity(RECORD_HEADER_LEN + body_len);
    record.extend_from_slice(match signal {
        Signal::Traces => &DESTINED_MARK,
        Signal::Logs => &LOGS_MARK,
        Signal::Metrics => &METRICS_MARK,
    });
    record.extend_from_slice(&(body_len as u32).to_le_bytes());
    record.extend_from_slice(&[0; 4]);
    record.extend_from_slice(&spans.to_le_bytes());
    record.extend_from_slice(&(dest.len() as u16).to_le_bytes());
    record.extend_from_slice(&dest);
    record.extend_from_slice(payload);
    let crc = record_crc(&record[4..8], &record[12..16], &record[16..]);
    record[8..12].copy_from_slice(&crc.to_le_bytes());
    record
}

fn record_crc(length: &[u8], spans: &[u8], body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(length);
    hasher.update(spans);
    hasher.update(body);
    hasher.finalize()
}

/// What a segment holds, in file order.
#[derive(Debug)]
pub enum Entry {
    /// A whole record, its checksum right.
    Record {
        /// Where the record starts in the segment (to mark it delivered).
        offset: u64,
        /// How many spans it holds (from its header); for log records or metrics, how
        /// many of those.
        spans: u64,
        /// `None` for a record written before records carried one.
        destination: Option<Destination>,
        /// The spans, decoded (empty in a record of log records or metrics).
        request: Request,
        /// The log records or metrics, decoded, for a record of those.
        records: Option<Records>,
        /// The record's bytes as stored, to write back what was not delivered.
        raw: Vec<u8>,
    },
    /// A record delivered already.
    Done,
    /// Bytes that are not a valid record (bad checksum, cut short, not decodable).
    Damaged {
        /// Where the damaged bytes start in the segment.
        offset: u64,
        /// The bytes, for the quarantine folder.
        bytes: Vec<u8>,
    },
}

/// A whole segment's entries. A damaged header costs only its own bytes: the records are
/// found by their marks. A segment of a newer format is an error (it is left alone).
pub fn read_segment(bytes: &[u8], path: &std::path::Path) -> Result<Vec<Entry>> {
    let header = SEGMENT_HEADER_LEN as usize;
    if bytes.len() >= header && &bytes[..7] == MAGIC {
        let version = bytes[7];
        if (1..=FORMAT_VERSION).contains(&version) {
            return Ok(parse_records(bytes, header));
        }
        // A newer format has records this build cannot read; a flipped version byte in
        // front of records that all read cleanly is only damage.
        let entries = parse_records(bytes, header);
        let clean =
            !entries.is_empty() && entries.iter().all(|e| !matches!(e, Entry::Damaged { .. }));
        if version > FORMAT_VERSION && !clean {
            return Err(Error::failed(format!(
                "`{}` is spool format {version}, this build reads formats 1 to {FORMAT_VERSION}",
                path.display()
            ))
            .with_hint("flush it with the version of automagik-tracing that wrote it"));
        }
    }
    Ok(parse_records(bytes, 0))
}

/// Splits bytes into records and damaged stretches, from `start`.
pub fn parse_records(bytes: &[u8], start: usize) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut at = start;
    while at < bytes.len() {
        if let Some((entry, next)) = record_at(bytes, at) {
            entries.push(entry);
            at = next;
            continue;
        }
        let resume = (at + 1..bytes.len())
            .find(|&i| is_mark(&bytes[i..]) && record_at(bytes, i).is_some())
            .unwrap_or(bytes.len());
        entries.push(Entry::Damaged {
            offset: at as u64,
            bytes: bytes[at..resume].to_vec(),
        });
        at = resume;
    }
    entries
}

/// Whether `bytes` start with a record mark (of any kind): where a reader resynchronises.
pub fn is_mark(bytes: &[u8]) -> bool {
    [
        LEGACY_MARK,
        DESTINED_MARK,
        LOGS_MARK,
        METRICS_MARK,
        DONE_MARK,
    ]
    .iter()
    .any(|m| bytes.starts_with(m))
}

/// The signal of a record that starts with `header`; `None` for a delivered record or
/// no record at all. (Records before format 3 are traces.)
pub fn signal_of(header: &[u8]) -> Option<Signal> {
    if header.starts_with(&LEGACY_MARK) || header.starts_with(&DESTINED_MARK) {
        Some(Signal::Traces)
    } else if header.starts_with(&LOGS_MARK) {
        Some(Signal::Logs)
    } else if header.starts_with(&METRICS_MARK) {
        Some(Signal::Metrics)
    } else {
        None
    }
}

/// Whether the record that starts with `header` carries its destination.
pub fn carries_destination(header: &[u8]) -> bool {
    !header.starts_with(&LEGACY_MARK) && signal_of(header).is_some()
}

/// The valid record at `at`, and where the next one starts.
fn record_at(bytes: &[u8], at: usize) -> Option<(Entry, usize)> {
    let header = bytes.get(at..at + RECORD_HEADER_LEN)?;
    if !is_mark(header) {
        return None;
    }
    let length = u32::from_le_bytes(header[4..8].try_into().ok()?);
    if length > RECORD_MAX_BYTES {
        return None;
    }
    let end = at + RECORD_HEADER_LEN + length as usize;
    let body = bytes.get(at + RECORD_HEADER_LEN..end)?;
    let crc = u32::from_le_bytes(header[8..12].try_into().ok()?);
    if record_crc(&header[4..8], &header[12..16], body) != crc {
        return None;
    }
    if header.starts_with(&DONE_MARK) {
        return Some((Entry::Done, end));
    }
    let (destination, payload) = if carries_destination(header) {
        let (destination, payload) = split_destination(body)?;
        (Some(destination), payload)
    } else {
        (None, body)
    };
    let (request, records) = match signal_of(header)? {
        Signal::Traces => (Request::decode(payload).ok()?, None),
        signal => (Request::default(), Some(Records::decode(signal, payload)?)),
    };
    let spans = u64::from(u32::from_le_bytes(header[12..16].try_into().ok()?));
    Some((
        Entry::Record {
            offset: at as u64,
            spans,
            destination,
            request,
            records,
            raw: bytes[at..end].to_vec(),
        },
        end,
    ))
}

/// A format-2 body's destination and payload.
pub fn split_destination(body: &[u8]) -> Option<(Destination, &[u8])> {
    let len = u16::from_le_bytes(body.get(..2)?.try_into().ok()?) as usize;
    let destination = Destination::decode(body.get(2..2 + len)?)?;
    Some((destination, &body[2 + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::spool::DestinationKey;

    fn record(payload: &[u8]) -> Vec<u8> {
        let destination = DestinationKey::new("otlp", "http://h", "").with_salt(&[1; 64]);
        encode_record(&destination, Signal::Traces, payload, 1)
    }

    fn segment(records: usize) -> Vec<u8> {
        let request = Request::default().encode_to_vec();
        let mut bytes = segment_header().to_vec();
        for _ in 0..records {
            bytes.extend(record(&request));
        }
        bytes
    }

    fn count(entries: &[Entry]) -> (usize, usize) {
        let records = entries
            .iter()
            .filter(|e| matches!(e, Entry::Record { .. }))
            .count();
        (records, entries.len() - records)
    }

    #[test]
    fn a_flipped_byte_in_the_header_costs_only_the_header() {
        for at in 0..SEGMENT_HEADER_LEN as usize {
            let mut bytes = segment(3);
            bytes[at] ^= 0x5A;
            let entries = read_segment(&bytes, "s".as_ref()).unwrap();
            let damaged: usize = entries
                .iter()
                .map(|e| match e {
                    Entry::Damaged { bytes, .. } => bytes.len(),
                    _ => 0,
                })
                .sum();
            assert_eq!(count(&entries).0, 3, "byte {at}: every record kept");
            assert!(
                damaged <= SEGMENT_HEADER_LEN as usize,
                "byte {at}: {damaged}"
            );
        }
    }

    #[test]
    fn format_one_records_read_with_no_destination() {
        let payload = Request::default().encode_to_vec();
        let mut bytes = MAGIC.to_vec();
        bytes.push(1);
        bytes.extend_from_slice(&LEGACY_MARK);
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        let crc = record_crc(
            &(payload.len() as u32).to_le_bytes(),
            &5u32.to_le_bytes(),
            &payload,
        );
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes.extend_from_slice(&5u32.to_le_bytes());
        bytes.extend_from_slice(&payload);
        let entries = read_segment(&bytes, "s".as_ref()).unwrap();
        assert!(matches!(
            entries[..],
            [Entry::Record {
                spans: 5,
                destination: None,
                ..
            }]
        ));
    }

    #[test]
    fn a_record_of_logs_reads_back_as_logs() {
        use crate::export::records::fixtures::logs;
        let destination = DestinationKey::new("otlp", "http://h", "").with_salt(&[1; 64]);
        let batch = logs(&["a", "b"], [1; 16], [2; 8]);
        let mut bytes = segment(1);
        bytes.extend(encode_record(
            &destination,
            Signal::Logs,
            &batch.encode(),
            2,
        ));
        let entries = read_segment(&bytes, "s".as_ref()).unwrap();
        assert!(matches!(entries[0], Entry::Record { records: None, .. }));
        let Entry::Record { spans, records, .. } = &entries[1] else {
            panic!("{entries:?}");
        };
        assert_eq!((*spans, records.as_ref()), (2, Some(&batch)));
    }

    #[test]
    fn a_done_record_is_skipped_and_the_next_read() {
        let mut bytes = segment(2);
        let first = SEGMENT_HEADER_LEN as usize;
        bytes[first..first + 4].copy_from_slice(&DONE_MARK);
        let entries = read_segment(&bytes, "s".as_ref()).unwrap();
        assert!(matches!(entries[..], [Entry::Done, Entry::Record { .. }]));
    }
}
