//! The anonymous ID: a random UUID v4 kept in the config dir, never derived from the
//! machine, the user or the host. Only `id` and, later, recording an event create it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::files::write_atomically;
use crate::error::{Error, Result};

/// The file inside the config dir that holds the ID.
pub const ID_FILE_NAME: &str = "anonymous_id";

pub fn id_path(config_dir: &Path) -> PathBuf {
    config_dir.join(ID_FILE_NAME)
}

/// What reading the ID file found.
#[derive(Debug, PartialEq)]
pub enum Stored {
    Missing,
    Valid(String),
    /// The file exists but does not hold a UUID.
    Corrupt,
}

/// Reads the ID without creating anything (for `status`).
pub fn read(config_dir: &Path) -> Stored {
    match fs::read_to_string(id_path(config_dir)) {
        Ok(text) => match uuid::Uuid::parse_str(text.trim()) {
            Ok(id) => Stored::Valid(id.hyphenated().to_string()),
            Err(_) => Stored::Corrupt,
        },
        Err(_) => Stored::Missing,
    }
}

/// The outcome of [`ensure`]: the ID and what happened to the file.
#[derive(Debug, PartialEq)]
pub struct Ensured {
    pub id: String,
    pub created: bool,
    /// The old file was not a UUID and was replaced.
    pub replaced_corrupt: bool,
}

/// Returns the ID, creating it when missing or corrupt. Concurrent first calls agree on
/// one ID: the file is created whole, and only if absent (a hard link of a finished temp
/// file), and whoever loses the race reads the winner's.
pub fn ensure(config_dir: &Path) -> Result<Ensured> {
    match read(config_dir) {
        Stored::Valid(id) => Ok(Ensured {
            id,
            created: false,
            replaced_corrupt: false,
        }),
        Stored::Corrupt => Ok(Ensured {
            id: reset(config_dir)?,
            created: true,
            replaced_corrupt: true,
        }),
        Stored::Missing => {
            let id = new_id();
            fs::create_dir_all(config_dir)
                .map_err(|e| Error::io("cannot create directory", config_dir, e))?;
            let tmp = tempfile::NamedTempFile::new_in(config_dir)
                .map_err(|e| Error::io("cannot create a temporary file in", config_dir, e))?;
            fs::write(tmp.path(), format!("{id}\n"))
                .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
            let path = id_path(config_dir);
            match fs::hard_link(tmp.path(), &path) {
                Ok(()) => Ok(Ensured {
                    id,
                    created: true,
                    replaced_corrupt: false,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read(config_dir) {
                    Stored::Valid(id) => Ok(Ensured {
                        id,
                        created: false,
                        replaced_corrupt: false,
                    }),
                    _ => ensure(config_dir),
                },
                Err(e) => Err(Error::io("cannot create", &path, e)),
            }
        }
    }
}

/// Replaces the ID with a new random one.
pub fn reset(config_dir: &Path) -> Result<String> {
    let id = new_id();
    fs::create_dir_all(config_dir)
        .map_err(|e| Error::io("cannot create directory", config_dir, e))?;
    write_atomically(
        config_dir,
        &id_path(config_dir),
        format!("{id}\n").as_bytes(),
        0o644,
    )?;
    Ok(id)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_stable_then_reset() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), Stored::Missing);
        let first = ensure(dir.path()).unwrap();
        assert!(first.created);
        assert_eq!(
            uuid::Uuid::parse_str(&first.id).unwrap().get_version_num(),
            4
        );
        let again = ensure(dir.path()).unwrap();
        assert_eq!(again.id, first.id);
        assert!(!again.created);
        let new = reset(dir.path()).unwrap();
        assert_ne!(new, first.id);
    }

    #[test]
    fn concurrent_first_calls_agree_on_one_id() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| ensure(dir.path()).unwrap().id))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
        assert_eq!(read(dir.path()), Stored::Valid(ids[0].clone()));
    }

    #[test]
    fn corrupt_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(id_path(dir.path()), "not-a-uuid").unwrap();
        assert_eq!(read(dir.path()), Stored::Corrupt);
        let ensured = ensure(dir.path()).unwrap();
        assert!(ensured.replaced_corrupt);
        assert_eq!(read(dir.path()), Stored::Valid(ensured.id));
    }
}
