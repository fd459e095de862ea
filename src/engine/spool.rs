//! The spool: what could not be delivered, kept on disk per exporter until `flush` sends it.
//!
//! Layout, under the data dir: `spool/<provider>/<millis>-<pid>-<seq>.seg` segment files and
//! `quarantine/<provider>/` for records that failed their checksum. A segment starts with
//! [`MAGIC`] and a format version byte; then records, each
//! `mark (4) | length (u32 LE) | crc32 (u32 LE) | span count (u32 LE) | payload`, where the
//! payload is one `ExportTraceServiceRequest` in protobuf and the CRC covers the length,
//! the span count and the payload. The mark lets a reader find the next record after a
//! damaged one.
//!
//! Who may touch a segment is decided by an exclusive `flock` on it: the writer holds its
//! open segment's lock for as long as it appends (and creates it under a temporary name,
//! so nobody sees it unlocked), and a flush claims a segment with a non-blocking lock and
//! a check that the path still names the inode it locked. Two flushes, or a flush and a
//! writer, therefore never send the same records.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message as _;

use crate::error::{Error, Result};
use crate::export::Payload;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Request;

/// The first bytes of every segment.
pub const MAGIC: &[u8; 7] = b"AMSPOOL";
/// The segment format this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const SEGMENT_HEADER_LEN: u64 = 8;
/// The start of every record.
const RECORD_MARK: [u8; 4] = [0xA7, b'R', b'E', b'C'];
const RECORD_HEADER_LEN: usize = 16;
/// A writer starts a new segment once its current one holds this much.
pub const SEGMENT_TARGET_BYTES: u64 = 8 * 1024 * 1024;
/// Larger declared lengths can only be damage.
const RECORD_MAX_BYTES: u32 = 1 << 30;
const SEGMENT_SUFFIX: &str = ".seg";

/// `spool/` under the data dir.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("spool")
}

/// One provider's spool directory.
pub fn provider_dir(data_dir: &Path, provider: &str) -> PathBuf {
    root(data_dir).join(provider)
}

/// Where damaged records of a provider are copied for inspection.
pub fn quarantine_dir(data_dir: &Path, provider: &str) -> PathBuf {
    data_dir.join("quarantine").join(provider)
}

/// The providers that have a spool directory, by name.
pub fn providers(data_dir: &Path) -> Result<Vec<String>> {
    let dir = root(data_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read", &dir, e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

/// Appends batches to one provider's spool. Creates nothing until the first batch.
pub struct SpoolWriter {
    dir: PathBuf,
    max_bytes: u64,
    segment_target: u64,
    open: Option<OpenSegment>,
}

struct OpenSegment {
    file: File,
    size: u64,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Spans in the batch just written (now safe on disk).
    pub spans: u64,
    /// Spans in the oldest segments deleted to stay under the size cap.
    pub evicted_spans: u64,
}

impl SpoolWriter {
    pub fn new(dir: PathBuf, max_bytes: u64) -> SpoolWriter {
        SpoolWriter {
            dir,
            max_bytes,
            // A writer cannot evict the segment it holds: keep that well under the cap.
            segment_target: SEGMENT_TARGET_BYTES.min(max_bytes / 4).max(1),
            open: None,
        }
    }

    /// Starts new segments once the current one holds `bytes` (default
    /// [`SEGMENT_TARGET_BYTES`]).
    pub fn with_segment_target(mut self, bytes: u64) -> SpoolWriter {
        self.segment_target = bytes;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the request as one record and syncs it to disk before returning; on a
    /// failure nothing half-written stays behind. Then deletes the oldest segments while
    /// the spool is over its cap.
    pub fn append(&mut self, payload: &Payload) -> Result<Appended> {
        self.append_all(&[payload])
    }

    /// [`append`](Self::append) for several requests with one sync for all (a group
    /// commit): none counts as spooled before all are on disk.
    pub fn append_all(&mut self, payloads: &[&Payload]) -> Result<Appended> {
        let mut appended = Appended {
            spans: 0,
            evicted_spans: 0,
        };
        for payload in payloads {
            let spans = payload.span_count() as u64;
            let record = encode_record(payload.protobuf(), spans as u32);
            let open = self.segment_for(record.len() as u64)?;
            if let Err(e) = open.file.write_all(&record) {
                return Err(self.undo_partial(e));
            }
            open.size += record.len() as u64;
            appended.spans += spans;
        }
        if let Some(open) = self.open.as_mut()
            && let Err(e) = open.file.sync_data()
        {
            return Err(self.undo_partial(e));
        }
        appended.evicted_spans = self.enforce_cap();
        Ok(appended)
    }

    /// The segment to write a record of `len` bytes to: the open one while it has room,
    /// else the newest one on disk that has room, else a new one. (Rotating syncs the one
    /// left behind, so a group commit never leaves a record unsynced.)
    fn segment_for(&mut self, len: u64) -> Result<&mut OpenSegment> {
        let full = self.open.as_ref().is_some_and(|open| {
            open.size > SEGMENT_HEADER_LEN && open.size + len > self.segment_target
        });
        if full && let Some(old) = self.open.take() {
            old.file
                .sync_data()
                .map_err(|e| Error::io("cannot sync a spool segment in", &self.dir, e))?;
        }
        if self.open.is_none() {
            let segment = match self.adopt_newest() {
                Some(open) => open,
                None => self.create_segment()?,
            };
            self.open = Some(segment);
        }
        Ok(self.open.as_mut().expect("just opened"))
    }

    /// After a failed write: cuts what this batch wrote off the segment (its size is
    /// only counted after a record is whole) and starts a fresh segment next time.
    fn undo_partial(&mut self, e: std::io::Error) -> Error {
        if let Some(open) = self.open.take() {
            let _ = open.file.set_len(open.size);
        }
        Error::io("cannot write the spool segment in", &self.dir, e)
            .with_hint("free some disk space, or set AUTOMAGIK_DATA_DIR to a writable directory")
    }

    /// The newest segment, when it has room and nobody holds it: appending there costs one
    /// sync where a new segment costs two (the file and its directory), which is most of
    /// what a short run that spools pays.
    fn adopt_newest(&self) -> Option<OpenSegment> {
        let newest = segments(&self.dir).ok()?.pop()?;
        if newest.size >= self.segment_target {
            return None;
        }
        let Ok(Taken::Mine(mut claim)) = Claim::take(&newest) else {
            return None;
        };
        // Only a segment whose records run cleanly to its end: appending after a torn
        // record (a writer killed mid-write) would hide what follows from the counts.
        if scan(&newest.path).ok()?.clean_end != claim.file.metadata().ok()?.len() {
            return None;
        }
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        claim.file.read_exact(&mut header).ok()?;
        if &header[..7] != MAGIC || header[7] != FORMAT_VERSION {
            return None;
        }
        let size = claim.file.seek(SeekFrom::End(0)).ok()?;
        Some(OpenSegment {
            file: claim.file,
            size,
        })
    }

    /// A new segment, locked before it gets its visible name.
    fn create_segment(&self) -> Result<OpenSegment> {
        crate::config::files::private_dir(&self.dir).map_err(|e| {
            Error::io("cannot create directory", &self.dir, e)
                .with_hint("set AUTOMAGIK_DATA_DIR to a writable directory")
        })?;
        let name = segment_name();
        let temp = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(&name);
        let create = || -> std::io::Result<File> {
            let mut options = OpenOptions::new();
            options.create_new(true).read(true).write(true);
            // Segments hold prompts and completions: this user's only.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temp)?;
            file.lock()?;
            file.write_all(MAGIC)?;
            file.write_all(&[FORMAT_VERSION])?;
            fs::rename(&temp, &path)?;
            File::open(&self.dir)?.sync_all()?;
            Ok(file)
        };
        match create() {
            Ok(file) => Ok(OpenSegment {
                file,
                size: SEGMENT_HEADER_LEN,
            }),
            Err(e) => {
                let _ = fs::remove_file(&temp);
                Err(
                    Error::io("cannot create a spool segment in", &self.dir, e).with_hint(
                        "free some disk space, or set AUTOMAGIK_DATA_DIR to a writable directory",
                    ),
                )
            }
        }
    }

    /// Deletes the oldest segments nobody holds until the spool fits its cap; returns the
    /// spans they held.
    fn enforce_cap(&mut self) -> u64 {
        let Ok(segments) = segments(&self.dir) else {
            return 0;
        };
        let mut total: u64 = segments.iter().map(|s| s.size).sum();
        let mut evicted = 0;
        for segment in &segments {
            if total <= self.max_bytes {
                break;
            }
            // Our own open segment is locked by us, so claiming it fails and it stays.
            if let Ok(Taken::Mine(claim)) = Claim::take(segment) {
                evicted += scan(&segment.path).map_or(0, |p| p.spans);
                if claim.remove().is_ok() {
                    total -= segment.size;
                }
            }
        }
        evicted
    }
}

/// `<millis>-<pid>-<seq>.seg`: sorts by creation time, unique across processes.
fn segment_name() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{millis:013}-{}-{:04}{SEGMENT_SUFFIX}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Relaxed)
    )
}

fn encode_record(payload: &[u8], spans: u32) -> Vec<u8> {
    let mut record = Vec::with_capacity(RECORD_HEADER_LEN + payload.len());
    record.extend_from_slice(&RECORD_MARK);
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&[0; 4]);
    record.extend_from_slice(&spans.to_le_bytes());
    record.extend_from_slice(payload);
    let crc = record_crc(&record[4..8], &record[12..16], &record[16..]);
    record[8..12].copy_from_slice(&crc.to_le_bytes());
    record
}

fn record_crc(length: &[u8], spans: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(length);
    hasher.update(spans);
    hasher.update(payload);
    hasher.finalize()
}

/// A segment file as listed.
#[derive(Debug, Clone)]
pub struct Segment {
    pub path: PathBuf,
    pub size: u64,
    /// When it was created (from its name), in milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// A provider's segments, oldest first. A missing directory has none.
pub fn segments(dir: &Path) -> Result<Vec<Segment>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read", dir, e)),
    };
    let mut found: Vec<Segment> = entries
        .filter_map(|e| e.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let stem = name.strip_suffix(SEGMENT_SUFFIX)?;
            let created_ms = stem.split('-').next()?.parse().ok()?;
            Some(Segment {
                path: entry.path(),
                size: entry.metadata().ok()?.len(),
                created_ms,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    Ok(found)
}

/// What a spool holds, from the record headers (checksums are not verified here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    pub segments: u64,
    pub records: u64,
    pub spans: u64,
    pub bytes: u64,
    /// When the oldest segment was created, in milliseconds since the Unix epoch.
    pub oldest_ms: Option<u64>,
    /// Where the last whole record of a scanned segment ends.
    #[serde(skip)]
    clean_end: u64,
}

impl Pending {
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

/// What one provider's spool holds. Reads record headers only and never writes.
pub fn pending(dir: &Path) -> Result<Pending> {
    let mut total = Pending::default();
    for segment in segments(dir)? {
        // A segment deleted meanwhile by a flush is simply no longer pending.
        if let Ok(mut found) = scan(&segment.path) {
            found.oldest_ms = Some(segment.created_ms);
            total.add(found);
        }
    }
    Ok(total)
}

/// One segment's records and spans (none when it cannot be read).
pub fn pending_in(segment: &Path) -> Pending {
    scan(segment).unwrap_or_default()
}

/// Counts a segment's records and spans by walking the record headers.
fn scan(path: &Path) -> std::io::Result<Pending> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut found = Pending {
        segments: 1,
        bytes: size,
        ..Default::default()
    };
    let mut at = SEGMENT_HEADER_LEN;
    let mut header = [0u8; RECORD_HEADER_LEN];
    while at + RECORD_HEADER_LEN as u64 <= size {
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut header)?;
        let length = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as u64;
        if header[..4] != RECORD_MARK || at + RECORD_HEADER_LEN as u64 + length > size {
            // Damage: `flush` will sort it out; count what was readable so far.
            found.records += 1;
            found.clean_end = at;
            return Ok(found);
        }
        found.records += 1;
        found.spans += u64::from(u32::from_le_bytes(
            header[12..16].try_into().expect("4 bytes"),
        ));
        at += RECORD_HEADER_LEN as u64 + length;
    }
    if at < size {
        // A few stray bytes at the end: a record cut short.
        found.records += 1;
    }
    found.clean_end = at.min(size);
    Ok(found)
}

/// What a claimed segment holds, in file order.
#[derive(Debug)]
pub enum Entry {
    Record {
        spans: u64,
        request: Request,
        /// The record's bytes as stored, to write back what was not delivered.
        raw: Vec<u8>,
    },
    /// Bytes that are not a valid record (bad checksum, cut short, not decodable).
    Damaged { offset: u64, bytes: Vec<u8> },
}

/// A segment this process holds exclusively until the claim is dropped.
pub struct Claim {
    segment: Segment,
    file: File,
}

/// What trying to claim a segment came to.
pub enum Taken {
    Mine(Claim),
    /// Another process holds it: a writer still appending, or another flush.
    Busy,
    /// It is gone (another flush delivered it) or was replaced since it was listed.
    Gone,
}

impl Claim {
    /// Locks the segment without waiting. An error is a segment that exists and cannot be
    /// opened (its permissions, say).
    pub fn take(segment: &Segment) -> Result<Taken> {
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .open(&segment.path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Taken::Gone),
            Err(e) => {
                return Err(Error::io("cannot open", &segment.path, e).with_hint(
                    "it may belong to another user: flush as that user, or fix its owner",
                ));
            }
        };
        if file.try_lock().is_err() {
            return Ok(Taken::Busy);
        }
        // A flush that deleted or rewrote it between our open and our lock leaves us
        // holding a file that is no longer this path.
        if !crate::config::files::same_file(&file, &segment.path) {
            return Ok(Taken::Gone);
        }
        Ok(Taken::Mine(Claim {
            segment: segment.clone(),
            file,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.segment.path
    }

    /// Every record and every damaged stretch, in order. A segment of a newer format
    /// version is an error (it is left alone).
    pub fn read(&mut self) -> Result<Vec<Entry>> {
        let path = self.segment.path.clone();
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_to_end(&mut bytes))
            .map_err(|e| Error::io("cannot read", &path, e))?;
        if bytes.len() < SEGMENT_HEADER_LEN as usize || &bytes[..7] != MAGIC {
            return Ok(vec![Entry::Damaged { offset: 0, bytes }]);
        }
        if bytes[7] != FORMAT_VERSION {
            return Err(Error::failed(format!(
                "`{}` is spool format {}, this build reads format {FORMAT_VERSION}",
                path.display(),
                bytes[7]
            ))
            .with_hint("flush it with the version of automagik-tracing that wrote it"));
        }
        Ok(parse_records(&bytes, SEGMENT_HEADER_LEN as usize))
    }

    /// Deletes the segment (every record in it was delivered or quarantined).
    pub fn remove(self) -> Result<()> {
        fs::remove_file(&self.segment.path)
            .map_err(|e| Error::io("cannot delete", &self.segment.path, e))
    }

    /// Replaces the segment with only these records (the ones not delivered yet), so a
    /// later flush does not send the delivered ones again.
    pub fn keep_only(self, records: &[&[u8]]) -> Result<()> {
        let mut bytes = Vec::with_capacity(
            SEGMENT_HEADER_LEN as usize + records.iter().map(|r| r.len()).sum::<usize>(),
        );
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_VERSION);
        for record in records {
            bytes.extend_from_slice(record);
        }
        let dir = self.segment.path.parent().expect("segments live in a dir");
        crate::config::files::write_atomically(dir, &self.segment.path, &bytes, 0o600)
    }
}

/// Splits a segment body into records and damaged stretches. After damage, the next
/// record is found by its mark and a valid checksum.
fn parse_records(bytes: &[u8], start: usize) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut at = start;
    while at < bytes.len() {
        if let Some((entry, next)) = record_at(bytes, at) {
            entries.push(entry);
            at = next;
            continue;
        }
        let resume = (at + 1..bytes.len())
            .find(|&i| bytes[i..].starts_with(&RECORD_MARK) && record_at(bytes, i).is_some())
            .unwrap_or(bytes.len());
        entries.push(Entry::Damaged {
            offset: at as u64,
            bytes: bytes[at..resume].to_vec(),
        });
        at = resume;
    }
    entries
}

/// The valid record at `at`, and where the next one starts.
fn record_at(bytes: &[u8], at: usize) -> Option<(Entry, usize)> {
    let header = bytes.get(at..at + RECORD_HEADER_LEN)?;
    if header[..4] != RECORD_MARK {
        return None;
    }
    let length = u32::from_le_bytes(header[4..8].try_into().ok()?);
    if length > RECORD_MAX_BYTES {
        return None;
    }
    let end = at + RECORD_HEADER_LEN + length as usize;
    let payload = bytes.get(at + RECORD_HEADER_LEN..end)?;
    let crc = u32::from_le_bytes(header[8..12].try_into().ok()?);
    if record_crc(&header[4..8], &header[12..16], payload) != crc {
        return None;
    }
    let request = Request::decode(payload).ok()?;
    let spans = u64::from(u32::from_le_bytes(header[12..16].try_into().ok()?));
    Some((
        Entry::Record {
            spans,
            request,
            raw: bytes[at..end].to_vec(),
        },
        end,
    ))
}

/// Copies damaged bytes to the provider's quarantine folder; returns the copy's path.
pub fn quarantine(
    data_dir: &Path,
    provider: &str,
    segment: &Path,
    offset: u64,
    bytes: &[u8],
) -> Result<PathBuf> {
    let dir = quarantine_dir(data_dir, provider);
    crate::config::files::private_dir(&dir)
        .map_err(|e| Error::io("cannot create directory", &dir, e))?;
    let stem = segment
        .file_stem()
        .map_or_else(|| "segment".into(), |s| s.to_string_lossy());
    let path = dir.join(format!("{stem}-at-{offset}.bad"));
    crate::config::files::write_atomically(&dir, &path, bytes, 0o600)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Span};
    use std::sync::Arc;

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
        let mut writer = SpoolWriter::new(dir.to_path_buf(), u64::MAX);
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
        let mut writer = SpoolWriter::new(dir.path().join("otlp"), u64::MAX);
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
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        writer.append(&request(1).into()).unwrap();
        let segment = &segments(dir.path()).unwrap()[0];
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
        let (segment, mut bytes) = three_records(dir.path());
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
        let (segment, mut bytes) = three_records(dir.path());
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
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        writer.append(&request(2).into()).unwrap();
        writer.append(&request(2).into()).unwrap();
        drop(writer);
        let segment = &segments(dir.path()).unwrap()[0];
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
        let record = encode_record(&big.encode_to_vec(), 200).len() as u64;
        // Room for about three records; one record a segment.
        let mut evicted = 0;
        for _ in 0..5 {
            let mut writer = SpoolWriter::new(dir.path().to_path_buf(), 3 * (record + 8))
                .with_segment_target(record);
            evicted += writer.append(&big.clone().into()).unwrap().evicted_spans;
        }
        assert_eq!(evicted, 400, "the two oldest segments went, counted");
        let pending = pending(dir.path()).unwrap();
        assert!(pending.bytes <= 3 * (record + 8), "{pending:?}");
        assert_eq!(pending.spans, 600);
    }

    #[test]
    fn a_later_writer_appends_to_the_newest_segment_when_it_has_room() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..3 {
            let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
            writer.append(&request(2).into()).unwrap();
        }
        assert_eq!(segments(dir.path()).unwrap().len(), 1);
        assert_eq!(pending(dir.path()).unwrap().records, 3);
        // A full newest segment is left alone.
        let mut writer =
            SpoolWriter::new(dir.path().to_path_buf(), u64::MAX).with_segment_target(10);
        writer.append(&request(2).into()).unwrap();
        assert_eq!(segments(dir.path()).unwrap().len(), 2);
    }

    #[test]
    fn a_torn_segment_is_not_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        writer.append(&request(2).into()).unwrap();
        drop(writer);
        let segment = &segments(dir.path()).unwrap()[0];
        // A writer killed mid-record leaves a cut-off tail.
        OpenOptions::new()
            .write(true)
            .open(&segment.path)
            .unwrap()
            .set_len(segment.size - 5)
            .unwrap();
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        writer.append(&request(3).into()).unwrap();
        drop(writer);
        assert_eq!(segments(dir.path()).unwrap().len(), 2, "a new segment");
        assert_eq!(
            pending(dir.path()).unwrap().spans,
            3,
            "the torn record counts no spans"
        );
    }

    #[test]
    fn a_group_commit_writes_every_request() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        let (a, b) = (request(2), request(5));
        assert_eq!(
            writer
                .append_all(&[&a.clone().into(), &b.clone().into()])
                .unwrap()
                .spans,
            7
        );
        drop(writer);
        assert_eq!(pending(dir.path()).unwrap().records, 2);
    }

    #[cfg(unix)]
    #[test]
    fn segments_are_this_users_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool/otlp");
        SpoolWriter::new(spool.clone(), u64::MAX)
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
        let mut writer = SpoolWriter::new(dir.path().to_path_buf(), u64::MAX);
        writer.append(&request(1).into()).unwrap();
        writer.append(&request(4).into()).unwrap();
        drop(writer);
        let segment = &segments(dir.path()).unwrap()[0];
        let mut claim = mine(segment);
        let entries = claim.read().unwrap();
        let Entry::Record { raw, .. } = &entries[1] else {
            panic!("a record")
        };
        claim.keep_only(&[raw]).unwrap();
        assert_eq!(pending(dir.path()).unwrap().spans, 4);
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
}
