//! Settings with provenance: the five layers (flags, environment, `.env`, `tracing.toml`,
//! defaults), the paths they point to, and the editors `configure` uses to change them.
//!
//! [`Config::load`] reads the files once; [`Config::settings`] resolves and validates.
//! Commands that only need paths (`id`, `configure`) do not pay for, or fail on, the rest.

pub mod dotenv;
pub mod files;
pub mod keys;
pub mod masking;
pub mod placeholder;
mod providers;
pub mod resolver;
mod settings;
pub mod source;
pub mod toml_file;
pub mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use settings::{
    CI_VARS, DEFAULT_TELEMETRY_ENDPOINT, Limits, Observability, ProviderConfig, ProviderKey,
    Settings, Switch, Telemetry,
};
pub use source::{Layers, Override, Raw, Source, Sourced};

use crate::error::{Error, Result};

/// The name of the user settings file inside the config dir.
pub const CONFIG_FILE_NAME: &str = "tracing.toml";

/// What the caller (the CLI, a test, a library user) tells the loader.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A snapshot of the process environment, read once.
    pub env: HashMap<String, String>,
    /// The working directory, where `.env` is looked for.
    pub cwd: PathBuf,
    /// `--env-file`: must exist when given, unless `env_file_may_be_new`.
    pub env_file: Option<PathBuf>,
    /// `configure` writes `--env-file` and may create it.
    pub env_file_may_be_new: bool,
    /// Values given as flags, keyed by the variable they stand for.
    pub overrides: Vec<Override>,
}

impl LoadOptions {
    /// Options from this process: its environment and working directory.
    pub fn from_process() -> Self {
        LoadOptions {
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            ..Default::default()
        }
    }
}

/// Where the tool reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The `.env` that was read (or that `configure --scope project` writes).
    pub env_file: PathBuf,
    /// Whether `env_file` exists.
    pub env_file_exists: bool,
    /// Where `tracing.toml` and the anonymous id live, and which layer chose it.
    pub config_dir: Sourced<PathBuf>,
    /// Where the spool, the local trace store, run metrics and the telemetry outbox live,
    /// and which layer chose it.
    pub data_dir: Sourced<PathBuf>,
}

impl Paths {
    /// The user settings file, `tracing.toml` in the config dir (it may not exist).
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.value.join(CONFIG_FILE_NAME)
    }

    /// The local trace store.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.value.join("traces")
    }
}

/// The layers as read from disk, plus the paths they resolve to.
#[derive(Debug)]
pub struct Config {
    /// The values of every layer, as read.
    pub layers: Layers,
    /// The files and directories the layers point to.
    pub paths: Paths,
}

impl Config {
    /// Reads `.env` and `tracing.toml` and resolves the paths. Fails on a file that cannot
    /// be read or parsed, naming it.
    pub fn load(options: LoadOptions) -> Result<Config> {
        let (config, mut unreadable) = Config::load_all(options)?;
        match unreadable.is_empty() {
            true => Ok(config),
            false => Err(unreadable.swap_remove(0)),
        }
    }

    /// Like [`Config::load`], but a settings file that cannot be read or parsed is left
    /// out and returned with the config, so `status` can show everything else. Fails only
    /// on a missing `--env-file` or when no directory can be found.
    pub fn load_all(options: LoadOptions) -> Result<(Config, Vec<Error>)> {
        let env_file = match &options.env_file {
            Some(path) => {
                let path = options.cwd.join(path);
                if !path.exists() && !options.env_file_may_be_new {
                    return Err(Error::usage(format!(
                        "env file `{}` does not exist",
                        path.display()
                    ))
                    .with_hint("check the path given to --env-file"));
                }
                path
            }
            None => options.cwd.join(".env"),
        };
        let mut unreadable = Vec::new();
        let mut layers = Layers {
            overrides: options.overrides,
            env: options.env,
            dotenv: kept(dotenv::DotEnv::read(&env_file), &mut unreadable),
            toml: None,
        };
        let dirs = directories::ProjectDirs::from("ai", "namastex", "automagik");
        let config_dir = dir_setting(
            &layers,
            &options.cwd,
            keys::CONFIG_DIR,
            dirs.as_ref().map(|d| d.config_dir()),
        )?;
        let toml_path = config_dir.value.join(CONFIG_FILE_NAME);
        layers.toml = kept(toml_file::TomlSettings::read(&toml_path), &mut unreadable);
        let data_dir = dir_setting(
            &layers,
            &options.cwd,
            keys::DATA_DIR,
            dirs.as_ref().map(|d| d.data_dir()),
        )?;
        let paths = Paths {
            env_file_exists: layers.dotenv.is_some(),
            env_file,
            config_dir,
            data_dir,
        };
        Ok((Config { layers, paths }, unreadable))
    }

    /// Resolves and validates every setting.
    pub fn settings(&self) -> Result<Settings> {
        Settings::resolve(&self.layers, self.paths.clone())
    }

    /// Resolves every setting without stopping at a bad one (see [`Settings::invalid`]).
    pub fn settings_all(&self) -> Settings {
        Settings::resolve_all(&self.layers, self.paths.clone())
    }
}

/// A file's content, or `None` with its error kept for the caller.
fn kept<T>(read: Result<Option<T>>, unreadable: &mut Vec<Error>) -> Option<T> {
    read.unwrap_or_else(|err| {
        unreadable.push(err);
        None
    })
}

fn dir_setting(
    layers: &Layers,
    cwd: &Path,
    var: &str,
    default: Option<&Path>,
) -> Result<Sourced<PathBuf>> {
    if let Some(raw) = layers.lookup(var) {
        return Ok(raw.sourced(cwd.join(&raw.value)));
    }
    default
        .map(|d| Sourced::default(d.to_path_buf()))
        .ok_or_else(|| {
            Error::bad_input("cannot find a home directory for the tool's files")
                .with_hint(format!("set HOME, or set {var} to a directory"))
        })
}
