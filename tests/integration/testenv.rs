//! `TestEnv`: a temp HOME, project dir, and a controlled environment for the binary.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_automagik-tracing");

pub struct TestEnv {
    _root: tempfile::TempDir,
    pub home: PathBuf,
    /// The working directory of the binary, where `.env` is looked for.
    pub project: PathBuf,
    vars: Vec<(String, String)>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let root = tempfile::tempdir().expect("temp dir");
        let home = root.path().join("home");
        let project = root.path().join("project");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&project).unwrap();
        TestEnv {
            _root: root,
            home,
            project,
            // Telemetry is on as for any user, but goes nowhere: port 9 refuses at once
            // (no test binds a privileged port). `telemetry_to` points it at a sink.
            vars: vec![(
                "AUTOMAGIK_TELEMETRY_ENDPOINT".into(),
                "http://127.0.0.1:9/v1/traces".into(),
            )],
        }
    }

    /// Sets a variable for every command this env builds (replacing an earlier value).
    pub fn var(mut self, key: &str, value: &str) -> TestEnv {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    /// Leaves a variable out (one `new` sets by default).
    pub fn without(mut self, key: &str) -> TestEnv {
        self.vars.retain(|(k, _)| k != key);
        self
    }

    /// Sends usage telemetry to this OTLP traces URL.
    pub fn telemetry_to(self, url: &str) -> TestEnv {
        self.var("AUTOMAGIK_TELEMETRY_ENDPOINT", url)
    }

    /// The default config dir under the temp HOME.
    pub fn config_dir(&self) -> PathBuf {
        self.home.join(".config/automagik")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir().join("tracing.toml")
    }

    pub fn env_file(&self) -> PathBuf {
        self.project.join(".env")
    }

    pub fn write_env_file(&self, text: &str) {
        fs::write(self.env_file(), text).unwrap();
    }

    pub fn write_toml(&self, text: &str) {
        fs::create_dir_all(self.config_dir()).unwrap();
        fs::write(self.config_file(), text).unwrap();
    }

    /// The binary with a clean environment: HOME, PATH and the variables given.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The same, as a `std::process::Command` (for spawning and signalling).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(&self.project);
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// `status --json`, parsed, with extra variables.
    pub fn status_json(&self, extra: &[(&str, &str)]) -> Value {
        let mut cmd = self.cmd();
        cmd.args(["status", "--json"]);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "status failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("status --json prints JSON")
    }
}

/// Every file below `dir`, relative, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls until `done`, failing after 20 s (a hang, not a timing target).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
