//! The anonymous ID: a random UUID v4 kept in the config dir, never derived from the
//! machine, the user or the host. Only `id` and recording an event create it. Beside it,
//! the install's random salt for hashed values, which is never sent.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::config::files::{PRIVATE_FILE, open_private, private_dir, write_atomically};
use crate::error::{Error, Result};

/// The file inside the config dir that holds the ID.
pub const ID_FILE_NAME: &str = "anonymous_id";

/// The ID file in `config_dir`.
pub fn id_path(config_dir: &Path) -> PathBuf {
    config_dir.join(ID_FILE_NAME)
}

/// What reading the ID file found.
#[derive(Debug, PartialEq)]
pub enum Stored {
    /// No ID file (or it cannot be read).
    Missing,
    /// The ID, in hyphenated lowercase form.
    Valid(String),
    /// The file exists but does not hold a UUID.
    Corrupt,
}

/// Reads the ID without creating anything (for `status`).
pub fn read(config_dir: &Path) -> Stored {
    stored(fs::read_to_string(id_path(config_dir)))
}

/// Reads the ID as [`read`] does, through the one open that also makes a file an earlier
/// version wrote 0644 this user's only (every command that records reads it).
fn read_tightened(config_dir: &Path) -> Stored {
    let mut text = String::new();
    let read = open_private(&id_path(config_dir), fs::OpenOptions::new().read(true))
        .and_then(|mut file| file.read_to_string(&mut text));
    stored(read.map(|_| text))
}

fn stored(text: std::io::Result<String>) -> Stored {
    match text {
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
    /// The anonymous ID, in hyphenated lowercase form.
    pub id: String,
    /// The file was written by this call (it was missing or corrupt).
    pub created: bool,
    /// The old file was not a UUID and was replaced.
    pub replaced_corrupt: bool,
}

/// Returns the ID, creating it when missing or corrupt. Concurrent first calls agree on
/// one ID: the file is created whole, and only if absent (a hard link of a finished temp
/// file), and whoever loses the race reads the winner's.
pub fn ensure(config_dir: &Path) -> Result<Ensured> {
    match read_tightened(config_dir) {
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
            if create_if_absent(config_dir, &id_path(config_dir), &format!("{id}\n"))? {
                return Ok(Ensured {
                    id,
                    created: true,
                    replaced_corrupt: false,
                });
            }
            match read(config_dir) {
                Stored::Valid(id) => Ok(Ensured {
                    id,
                    created: false,
                    replaced_corrupt: false,
                }),
                _ => ensure(config_dir),
            }
        }
    }
}

/// The file of the install's salt.
pub const SALT_FILE_NAME: &str = "telemetry_salt";

/// The install's random salt (32 random bytes as hex), created on first use, readable by
/// this user only. Never sent: it is what makes hashed values unreadable. A damaged salt
/// file is replaced.
pub fn salt(config_dir: &Path) -> Result<Vec<u8>> {
    salt_in(config_dir, SALT_FILE_NAME)
}

/// A random salt kept in `dir/file_name` as [`salt`] keeps the telemetry one (the spool
/// keeps its own, so `id --reset` does not orphan what waits there).
pub fn salt_in(dir: &Path, file_name: &str) -> Result<Vec<u8>> {
    let path = dir.join(file_name);
    let read = || {
        fs::read_to_string(&path)
            .ok()
            .map(|t| t.trim().as_bytes().to_vec())
            .filter(|s| s.len() >= 64)
    };
    if let Some(salt) = read() {
        return Ok(salt);
    }
    let fresh = format!("{}\n", new_salt());
    if !create_if_absent(dir, &path, &fresh)? && read().is_none() {
        write_atomically(dir, &path, fresh.as_bytes(), PRIVATE_FILE)?;
    }
    read().ok_or_else(|| Error::failed(format!("`{}` does not hold a salt", path.display())))
}

/// 32 bytes from the operating system's random source (two UUID v4s' worth), as hex.
fn new_salt() -> String {
    let ids = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    ids.iter()
        .flat_map(|u| u.as_bytes().iter())
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates `path` holding `text`, whole, only if it does not exist (a hard link of a
/// finished temp file): concurrent first calls agree on one content. Returns whether this
/// call created it.
fn create_if_absent(dir: &Path, path: &Path, text: &str) -> Result<bool> {
    private_dir(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    fs::write(tmp.path(), text).map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(PRIVATE_FILE))
            .map_err(|e| Error::io("cannot set the mode of", tmp.path(), e))?;
    }
    match fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("cannot create", path, e)),
    }
}

/// Replaces the ID with a new random one, and the salt with it: hashes made with the old
/// salt would otherwise tie the new ID to the old one.
pub fn reset(config_dir: &Path) -> Result<String> {
    let id = new_id();
    private_dir(config_dir).map_err(|e| Error::io("cannot create directory", config_dir, e))?;
    let id_text = format!("{id}\n");
    write_atomically(
        config_dir,
        &id_path(config_dir),
        id_text.as_bytes(),
        PRIVATE_FILE,
    )?;
    let salt_path = config_dir.join(SALT_FILE_NAME);
    let salt_text = format!("{}\n", new_salt());
    write_atomically(config_dir, &salt_path, salt_text.as_bytes(), PRIVATE_FILE)?;
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
    fn the_salt_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = salt(dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(salt(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SALT_FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_reset_makes_a_new_salt_and_a_damaged_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = salt(dir.path()).unwrap();
        reset(dir.path()).unwrap();
        let second = salt(dir.path()).unwrap();
        assert_ne!(
            first, second,
            "hashes after a reset cannot be tied to the old ID"
        );
        fs::write(dir.path().join(SALT_FILE_NAME), "short\n").unwrap();
        let third = salt(dir.path()).unwrap();
        assert_eq!(third.len(), 64);
        assert_ne!(third, second);
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
