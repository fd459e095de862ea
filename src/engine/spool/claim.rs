//! Reading a segment back: a flush claims it with a non-blocking `flock` (and checks that
//! the path still names the inode it locked), reads its entries, marks each record done in
//! place as it is delivered, and at the end deletes the segment or rewrites it with what
//! is left. Damaged bytes are copied to the quarantine folder.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::format::{self, DONE_MARK, Entry};
use super::{Segment, quarantine_dir};
use crate::error::{Error, Result};

/// A segment this process holds exclusively until the claim is dropped.
pub struct Claim {
    segment: Segment,
    file: File,
}

/// What trying to claim a segment came to.
pub enum Taken {
    /// Locked by this process: it may read, mark and delete it.
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

    /// The claimed segment's file.
    pub fn path(&self) -> &Path {
        &self.segment.path
    }

    /// The locked file (a writer appends to it; the lock goes with it).
    pub fn into_file(self) -> File {
        self.file
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
        format::read_segment(&bytes, &path)
    }

    /// Marks the record at `offset` delivered, in place (its mark only, which the
    /// checksum does not cover): a flush stopped later does not send it again.
    pub fn mark_done(&mut self, offset: u64) -> Result<()> {
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.write_all(&DONE_MARK))
            .map_err(|e| Error::io("cannot mark a delivered record in", &self.segment.path, e))
    }

    /// Deletes the segment (every record in it was delivered or quarantined).
    pub fn remove(self) -> Result<()> {
        fs::remove_file(&self.segment.path)
            .map_err(|e| Error::io("cannot delete", &self.segment.path, e))
    }

    /// Replaces the segment with only these records (the ones not delivered yet).
    pub fn keep_only(self, records: &[&[u8]]) -> Result<()> {
        let mut bytes = Vec::with_capacity(
            super::SEGMENT_HEADER_LEN as usize + records.iter().map(|r| r.len()).sum::<usize>(),
        );
        bytes.extend_from_slice(&format::segment_header());
        for record in records {
            bytes.extend_from_slice(record);
        }
        let dir = self.segment.path.parent().expect("segments live in a dir");
        crate::config::files::write_atomically(dir, &self.segment.path, &bytes, 0o600)
    }
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
    super::private_dir(&dir).map_err(|e| Error::io("cannot create directory", &dir, e))?;
    let stem = segment
        .file_stem()
        .map_or_else(|| "segment".into(), |s| s.to_string_lossy());
    let path = dir.join(format!("{stem}-at-{offset}.bad"));
    crate::config::files::write_atomically(&dir, &path, bytes, 0o600)?;
    Ok(path)
}
