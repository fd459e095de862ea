//! What a spool holds, from the record headers (checksums are not verified here): records,
//! spans, bytes and the oldest segment's age, in all and per destination. Reads only.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

use super::destination::Destination;
use super::format::{
    DONE_MARK, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, carries_destination, is_mark, signal_of,
};
use super::segments;
use crate::error::Result;
use crate::presets::Signal;

/// What a spool holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    /// Segment files.
    pub segments: u64,
    /// Records not delivered yet.
    pub records: u64,
    /// The spans those records hold.
    pub spans: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// When the oldest segment was created, in milliseconds since the Unix epoch.
    pub oldest_ms: Option<u64>,
}

impl Pending {
    /// Nothing left to deliver.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    fn add(&mut self, other: Pending) {
        self.segments += other.segments;
        self.records += other.records;
        self.spans += other.spans;
        self.bytes += other.bytes;
        self.oldest_ms = match (self.oldest_ms, other.oldest_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What waits for one destination (`None`: records written before records carried one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DestinationPending {
    /// Where those records were spooled for.
    pub destination: Option<Destination>,
    /// What waits for it.
    #[serde(flatten)]
    pub pending: Pending,
}

/// One segment, walked.
#[derive(Debug, Default)]
pub struct Scan {
    /// Everything the segment holds.
    pub total: Pending,
    /// The same, per destination.
    pub by_destination: BTreeMap<Option<Destination>, Pending>,
    /// Where the last whole record ends.
    pub clean_end: u64,
}

/// What one provider's spool holds. Reads record headers only and never writes.
pub fn pending(dir: &Path) -> Result<Pending> {
    let mut total = Pending::default();
    for found in scan_all(dir)? {
        total.add(found.total);
    }
    Ok(total)
}

/// [`pending`] per destination, oldest records' destination first.
pub fn pending_by_destination(dir: &Path) -> Result<Vec<DestinationPending>> {
    let mut all: BTreeMap<Option<Destination>, Pending> = BTreeMap::new();
    for found in scan_all(dir)? {
        for (destination, pending) in found.by_destination {
            all.entry(destination).or_default().add(pending);
        }
    }
    let mut rows: Vec<DestinationPending> = all
        .into_iter()
        .map(|(destination, pending)| DestinationPending {
            destination,
            pending,
        })
        .collect();
    rows.sort_by_key(|r| r.pending.oldest_ms);
    Ok(rows)
}

fn scan_all(dir: &Path) -> Result<Vec<Scan>> {
    let mut scans = Vec::new();
    for segment in segments(dir)? {
        // A segment deleted meanwhile by a flush is simply no longer pending.
        if let Ok(mut found) = scan(&segment.path) {
            found.total.oldest_ms = Some(segment.created_ms);
            for pending in found.by_destination.values_mut() {
                pending.oldest_ms = Some(segment.created_ms);
            }
            scans.push(found);
        }
    }
    Ok(scans)
}

/// One segment's records and spans (none when it cannot be read).
pub fn pending_in(segment: &Path) -> Pending {
    scan(segment).map(|s| s.total).unwrap_or_default()
}

/// Counts a segment's records and spans by walking the record headers; records already
/// delivered are not counted.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut found = Scan {
        total: Pending {
            segments: 1,
            bytes: size,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut at = SEGMENT_HEADER_LEN.min(size);
    let mut header = [0u8; RECORD_HEADER_LEN];
    while at + RECORD_HEADER_LEN as u64 <= size {
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut header)?;
        let length = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as u64;
        let end = at + RECORD_HEADER_LEN as u64 + length;
        if !is_mark(&header) || end > size {
            // Damage: `flush` will sort it out; count what was readable so far.
            found.total.records += 1;
            found.clean_end = at;
            return Ok(found);
        }
        at = end;
        if header.starts_with(&DONE_MARK) {
            continue;
        }
        // Records of log records or metrics count as records, not as spans.
        let spans = match signal_of(&header) {
            Some(Signal::Traces) => u64::from(u32::from_le_bytes(
                header[12..16].try_into().expect("4 bytes"),
            )),
            _ => 0,
        };
        let destination = if carries_destination(&header) {
            read_destination(&mut file, length)?
        } else {
            None
        };
        found.total.records += 1;
        found.total.spans += spans;
        let mine = found.by_destination.entry(destination).or_default();
        mine.segments = 1;
        mine.records += 1;
        mine.spans += spans;
        mine.bytes += RECORD_HEADER_LEN as u64 + length;
    }
    if at < size {
        // A few stray bytes at the end: a record cut short.
        found.total.records += 1;
    }
    found.clean_end = at.min(size);
    Ok(found)
}

/// The destination block of the record whose body starts where `file` is.
fn read_destination(file: &mut File, body_len: u64) -> std::io::Result<Option<Destination>> {
    let mut len = [0u8; 2];
    file.read_exact(&mut len)?;
    let len = u64::from(u16::from_le_bytes(len));
    if len + 2 > body_len {
        return Ok(None);
    }
    let mut bytes = vec![0u8; len as usize];
    file.read_exact(&mut bytes)?;
    Ok(Destination::decode(&bytes))
}
