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

/// Returns the ID, creating it when missing or corrupt.
pub fn ensure(config_dir: &Path) -> Result<Ensured> {
    let replaced_corrupt = match read(config_dir) {
        Stored::Valid(id) => {
            return Ok(Ensured {
                id,
                created: false,
                replaced_corrupt: false,
            });
        }
        Stored::Missing => false,
        Stored::Corrupt => true,
    };
    let id = write_new(config_dir)?;
    Ok(Ensured {
        id,
        created: true,
        replaced_corrupt,
    })
}

/// Replaces the ID with a new random one.
pub fn reset(config_dir: &Path) -> Result<String> {
    write_new(config_dir)
}

fn write_new(config_dir: &Path) -> Result<String> {
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
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
    fn corrupt_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(id_path(dir.path()), "not-a-uuid").unwrap();
        assert_eq!(read(dir.path()), Stored::Corrupt);
        let ensured = ensure(dir.path()).unwrap();
        assert!(ensured.replaced_corrupt);
        assert_eq!(read(dir.path()), Stored::Valid(ensured.id));
    }
}
