//! Codex (OpenAI's coding agent, `codex exec …`): its telemetry switched on toward the
//! receiver ([`setup`]), and its spans and logs made a trace worth reading ([`Codex`], in
//! `translate`).
//!
//! Codex reads no `OTEL_*` variable: its exporters are set only in the `[otel]` section of
//! `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`) or by `-c key=value` on its
//! command line. The wrapper adds `-c` overrides for the three signals (OTLP/HTTP,
//! protobuf) where Codex's own arguments begin, so the user's files are never touched —
//! unless the user set an exporter already (on the command line, in `config.toml` or in
//! the profile's `<name>.config.toml`): then the command runs as given, and `-v` says why.

mod genai;
#[cfg(test)]
mod setup_tests;
#[cfg(test)]
mod tests;
mod translate;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::Setup;
pub use translate::Codex;

/// The `[otel]` keys that choose an exporter: one of them set means the user configured
/// Codex's telemetry themselves.
const EXPORTER_KEYS: [&str; 3] = ["exporter", "trace_exporter", "metrics_exporter"];

/// The user's own Codex configuration files, as far as telemetry goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UserConfig {
    /// No file sets an exporter.
    Silent,
    /// This file sets an exporter in its `[otel]` section.
    Exports(PathBuf),
    /// This file could not be read or parsed (Codex will say why): left alone, since what
    /// it asks for cannot be known.
    Unreadable(PathBuf, String),
}

/// The `-c` overrides that send Codex's telemetry to `receiver` (`http://127.0.0.1:PORT`),
/// unless the user configured an exporter: on `args` (Codex's own arguments), or in the
/// config files `env` (the wrapper's environment) points at.
pub fn setup(receiver: &str, env: &HashMap<String, String>, args: &[OsString]) -> Setup {
    let mut setup = Setup::default();
    if let Some(given) = passed_otel(args) {
        setup.notes.push(format!(
            "codex's telemetry is left as configured on its command line (`-c {given}`)"
        ));
        return setup;
    }
    match user_config(env, args) {
        UserConfig::Silent => {
            setup.args = overrides(receiver);
            setup.notes.push(format!(
                "codex's telemetry is switched on toward the receiver ({receiver}) with `-c otel.…` overrides; its config files are untouched"
            ));
        }
        UserConfig::Exports(path) => setup.notes.push(format!(
            "codex's telemetry is left as configured in {} ([otel] sets an exporter)",
            path.display()
        )),
        UserConfig::Unreadable(path, why) => setup.notes.push(format!(
            "codex's telemetry is left alone: {} cannot be read ({why})",
            path.display()
        )),
    }
    setup
}

/// The `-c` overrides that send logs, traces and metrics to `receiver` in OTLP/HTTP with
/// protobuf bodies.
fn overrides(receiver: &str) -> Vec<String> {
    let base = receiver.trim_end_matches('/');
    [
        ("exporter", "logs"),
        ("trace_exporter", "traces"),
        ("metrics_exporter", "metrics"),
    ]
    .into_iter()
    .flat_map(|(key, signal)| {
        [
            "-c".to_string(),
            format!(
                "otel.{key}={{otlp-http={{endpoint=\"{base}/v1/{signal}\",protocol=\"binary\"}}}}"
            ),
        ]
    })
    .collect()
}

fn lossy(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The first `otel…` override among the arguments (`-c otel.x=…`, `--config otel.x=…`,
/// `--config=otel…`, `-cotel…`), if any.
fn passed_otel(args: &[OsString]) -> Option<String> {
    let args = lossy(args);
    let is_otel = |value: &str| {
        let value = value.trim_start();
        value.starts_with("otel.") || value.starts_with("otel=") || value.starts_with("otel ")
    };
    args.iter().enumerate().find_map(|(i, arg)| {
        let value = match arg.as_str() {
            "-c" | "--config" => args.get(i + 1)?.as_str(),
            _ => arg
                .strip_prefix("--config=")
                .or_else(|| arg.strip_prefix("-c"))?,
        };
        is_otel(value).then(|| value.to_string())
    })
}

/// The profile named on the command line (`-p NAME`, `--profile NAME`, `--profile=NAME`).
fn profile(args: &[OsString]) -> Option<String> {
    let args = lossy(args);
    args.iter()
        .enumerate()
        .find_map(|(i, arg)| match arg.as_str() {
            "-p" | "--profile" => args.get(i + 1).cloned(),
            _ => arg.strip_prefix("--profile=").map(str::to_string),
        })
}

/// Reads the user's Codex configuration (`$CODEX_HOME/config.toml`, else
/// `$HOME/.codex/config.toml`, and the profile's `<name>.config.toml` beside it) from the
/// environment the command will run with.
fn user_config(env: &HashMap<String, String>, args: &[OsString]) -> UserConfig {
    let set = |key: &str| env.get(key).filter(|v| !v.trim().is_empty());
    let home = set("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|h| Path::new(h).join(".codex")));
    let Some(home) = home else {
        return UserConfig::Silent;
    };
    let mut files = vec![home.join("config.toml")];
    if let Some(name) = profile(args) {
        files.push(home.join(format!("{name}.config.toml")));
    }
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return UserConfig::Unreadable(path, err.to_string()),
        };
        match sets_exporter(&text) {
            Ok(false) => {}
            Ok(true) => return UserConfig::Exports(path),
            Err(why) => return UserConfig::Unreadable(path, why),
        }
    }
    UserConfig::Silent
}

/// Whether a Codex `config.toml` sets an exporter in its `[otel]` section.
fn sets_exporter(text: &str) -> Result<bool, String> {
    let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        e.message().lines().next().unwrap_or("not TOML").to_string()
    })?;
    let Some(otel) = doc.get("otel").and_then(|item| item.as_table_like()) else {
        return Ok(false);
    };
    Ok(EXPORTER_KEYS.iter().any(|key| otel.contains_key(key)))
}
