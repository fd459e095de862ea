//! Appending to one provider's spool: records synced before they count as spooled, a new
//! segment once the open one is full, the oldest segments dropped (and counted) over the
//! cap. Every record carries the destination the writer was made for.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::claim::{Claim, Taken};
use super::destination::{Destination, DestinationKey};
use super::format::{self, FORMAT_VERSION, MAGIC, SEGMENT_HEADER_LEN};
use super::{SEGMENT_TARGET_BYTES, private_dir, scan, segment_name, segments};
use crate::error::{Error, Result};
use crate::export::Payload;

const DISK_HINT: &str = "free some disk space, or set AUTOMAGIK_DATA_DIR to a writable directory";

/// Appends batches to one provider's spool. Creates nothing until the first batch.
pub struct SpoolWriter {
    dir: PathBuf,
    max_bytes: u64,
    segment_target: u64,
    open: Option<OpenSegment>,
    key: DestinationKey,
    /// The key hashed with the install's salt, on the first append.
    destination: Option<Destination>,
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
    /// A writer to `dir` (`spool/<provider>`, see [`super::provider_dir`]) whose records
    /// are bound to `destination`.
    pub fn new(dir: PathBuf, max_bytes: u64, destination: DestinationKey) -> SpoolWriter {
        SpoolWriter {
            dir,
            max_bytes,
            // A writer cannot evict the segment it holds: keep that well under the cap.
            segment_target: SEGMENT_TARGET_BYTES.min(max_bytes / 4).max(1),
            open: None,
            key: destination,
            destination: None,
        }
    }

    /// Starts new segments once the current one holds `bytes` (default
    /// [`SEGMENT_TARGET_BYTES`]).
    pub fn with_segment_target(mut self, bytes: u64) -> SpoolWriter {
        self.segment_target = bytes;
        self
    }

    /// The provider's spool directory it writes to.
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
        let destination = self.destination()?;
        let mut appended = Appended {
            spans: 0,
            evicted_spans: 0,
        };
        for payload in payloads {
            let spans = payload.span_count() as u64;
            let count = payload.count() as u32;
            let record =
                format::encode_record(&destination, payload.signal(), payload.protobuf(), count);
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

    fn destination(&mut self) -> Result<Destination> {
        if let Some(destination) = &self.destination {
            return Ok(destination.clone());
        }
        let root = self.dir.parent().unwrap_or(&self.dir);
        let destination = self.key.resolve(root)?;
        self.destination = Some(destination.clone());
        Ok(destination)
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

    /// Lets go of the open segment (and its lock), so a flush can take it while this
    /// writer has nothing to write; the next append adopts it again if nobody has.
    pub fn release(&mut self) {
        self.open = None;
    }

    /// After a failed write: cuts what this batch wrote off the segment (its size is
    /// only counted after a record is whole) and starts a fresh segment next time.
    fn undo_partial(&mut self, e: std::io::Error) -> Error {
        if let Some(open) = self.open.take() {
            let _ = open.file.set_len(open.size);
        }
        Error::io("cannot write the spool segment in", &self.dir, e).with_hint(DISK_HINT)
    }

    /// The newest segment, when it has room and nobody holds it: appending there costs one
    /// sync where a new segment costs two (the file and its directory), which is most of
    /// what a short run that spools pays.
    fn adopt_newest(&self) -> Option<OpenSegment> {
        let newest = segments(&self.dir).ok()?.pop()?;
        if newest.size >= self.segment_target {
            return None;
        }
        let Ok(Taken::Mine(claim)) = Claim::take(&newest) else {
            return None;
        };
        let mut file = claim.into_file();
        // Only a segment whose records run cleanly to its end: appending after a torn
        // record (a writer killed mid-write) would hide what follows from the counts.
        if scan(&newest.path).ok()?.clean_end != file.metadata().ok()?.len() {
            return None;
        }
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        file.read_exact(&mut header).ok()?;
        if &header[..7] != MAGIC || header[7] != FORMAT_VERSION {
            return None;
        }
        let size = file.seek(SeekFrom::End(0)).ok()?;
        Some(OpenSegment { file, size })
    }

    /// A new segment, locked before it gets its visible name.
    fn create_segment(&self) -> Result<OpenSegment> {
        private_dir(&self.dir).map_err(|e| {
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
            file.write_all(&format::segment_header())?;
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
                Err(Error::io("cannot create a spool segment in", &self.dir, e)
                    .with_hint(DISK_HINT))
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
                evicted += scan(&segment.path).map_or(0, |p| p.total.spans);
                if claim.remove().is_ok() {
                    total -= segment.size;
                }
            }
        }
        evicted
    }
}
