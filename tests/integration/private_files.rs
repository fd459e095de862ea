//! Everything the tool writes under the data and config dirs (local store, outbox, id,
//! salt, `tracing.toml`, run metrics, locks) and the `.env` that `configure` writes is
//! 0600 in 0700 directories; what an earlier version left wider is tightened.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::testenv::{TestEnv, files_below, mode};

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Every directory below `root` (itself included) and every file, with its mode, when
/// the mode is not the private one.
fn not_private(root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        if mode(&dir) != 0o700 {
            wrong.push(format!("{} {:o}", dir.display(), mode(&dir)));
        }
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            // A temp file the detached telemetry sender just renamed away is not a finding.
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            let file_mode = meta.permissions().mode() & 0o777;
            if meta.is_dir() {
                dirs.push(path);
            } else if file_mode != 0o600 {
                wrong.push(format!("{} {file_mode:o}", path.display()));
            }
        }
    }
    wrong
}

#[test]
fn a_run_configure_and_id_leave_only_private_files() {
    let env = TestEnv::new();
    let data = env.home.join(".local/share/automagik");
    env.cmd()
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .success();
    // As an earlier version left them: the store readable by everyone.
    let store = data.join("traces");
    let stored = files_below(&store);
    assert_eq!(stored.len(), 1, "{stored:?}");
    chmod(&store.join(&stored[0]), 0o644);
    chmod(&store, 0o755);
    env.cmd()
        .args(["run", "--wrap", "--", "true"])
        .assert()
        .success();
    env.cmd()
        .args(["configure", "--mask", "content"])
        .assert()
        .success();
    env.cmd()
        .args(["configure", "--scope", "project", "--no-observability"])
        .assert()
        .success();
    env.cmd().arg("id").assert().success();
    assert!(
        data.join("telemetry/events.jsonl").exists(),
        "telemetry was recorded"
    );
    assert!(env.config_file().exists());
    assert_eq!(not_private(&data), Vec::<String>::new());
    assert_eq!(not_private(&env.config_dir()), Vec::<String>::new());
    assert_eq!(mode(&env.env_file()), 0o600);
}
