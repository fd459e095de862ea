//! The spool: what could not be delivered, kept on disk per exporter until `flush` sends it.
//!
//! Layout, under the data dir: `spool/<provider>/<millis>-<pid>-<seq>.seg` segment files,
//! `spool/destination_salt` (see [`destination`]) and `quarantine/<provider>/` for records
//! that failed their checksum. The parts, as vector's disk buffer splits them:
//! [`format`](mod@format) (the bytes of a segment and its records), [`writer`] (appending, the cap),
//! [`claim`] (reading back, marking delivered, quarantine), [`pending`](mod@pending) (counting what
//! waits, per destination) and [`destination`] (who each record is for).
//!
//! Who may touch a segment is decided by an exclusive `flock` on it: the writer holds its
//! open segment's lock for as long as it appends (and creates it under a temporary name,
//! so nobody sees it unlocked), and a flush claims a segment with a non-blocking lock and
//! a check that the path still names the inode it locked. Two flushes, or a flush and a
//! writer, therefore never send the same records.

pub mod claim;
pub mod destination;
pub mod format;
pub mod pending;
pub mod writer;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

pub use claim::{Claim, Taken, quarantine};
pub use destination::{Destination, DestinationKey};
pub use format::{Entry, FORMAT_VERSION, MAGIC, SEGMENT_HEADER_LEN};
pub use pending::{DestinationPending, Pending, pending, pending_by_destination, pending_in};
pub use writer::{Appended, SpoolWriter};

use pending::scan;

/// A writer starts a new segment once its current one holds this much.
pub const SEGMENT_TARGET_BYTES: u64 = 8 * 1024 * 1024;
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

/// The destination of `key` as records store it, with the salt of the spool under
/// `data_dir` (created on first use).
pub fn destination_of(data_dir: &Path, key: &DestinationKey) -> Result<Destination> {
    key.resolve(&root(data_dir))
}

/// Creates `dir` (and its parents) readable by this user only: the one helper every
/// writer of the tool uses.
use crate::config::files::private_dir;

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

/// A segment file as listed.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The segment file.
    pub path: PathBuf,
    /// Its size in bytes, as listed.
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

/// Deletes the segments that hold no record (empty, or a header alone) and that nobody
/// holds (a writer's fresh segment is locked); returns how many went.
pub fn remove_empty(dir: &Path) -> usize {
    let mut removed = 0;
    for segment in segments(dir).unwrap_or_default() {
        if segment.size > SEGMENT_HEADER_LEN {
            continue;
        }
        if let Ok(Taken::Mine(claim)) = Claim::take(&segment)
            && claim.remove().is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests;
