//! Where a setting came from: the five layers of DESIGN.md and the lookup across them.
//!
//! Every value is looked up by its environment-variable name. Flags arrive as overrides
//! keyed by that name, `tracing.toml` keys are mapped to it by [`crate::config::keys`],
//! so one lookup serves every layer and every value remembers its [`Source`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dotenv::DotEnv;
use super::toml_file::TomlSettings;

/// The layer a value was read from, highest precedence first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag, e.g. `--data-dir`.
    Flag(String),
    /// The process environment, by variable name.
    Env(String),
    /// A line of the `.env` file.
    DotEnv {
        /// The `.env` file read.
        path: PathBuf,
        /// The line the key is assigned on, from 1.
        line: usize,
    },
    /// A line of `tracing.toml`.
    Toml {
        /// The `tracing.toml` read.
        path: PathBuf,
        /// The line of the key, from 1.
        line: usize,
    },
    /// Built in.
    Default,
}

impl Source {
    fn file_line(path: &Path, line: usize) -> String {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!("{name}:{line}")
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::DotEnv { path, line } | Source::Toml { path, line } => {
                f.write_str(&Source::file_line(path, *line))
            }
            Source::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A resolved value and the layer it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    /// The parsed value.
    pub value: T,
    /// The layer it came from.
    pub source: Source,
}

impl<T> Sourced<T> {
    /// A value from `source`.
    pub fn new(value: T, source: Source) -> Self {
        Sourced { value, source }
    }

    /// A built-in default (`Source::Default`).
    pub fn default(value: T) -> Self {
        Sourced {
            value,
            source: Source::Default,
        }
    }
}

/// A raw string value found in some layer, before it is parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    /// The environment-variable name the value stands for.
    pub var: String,
    /// The text as written, untrimmed.
    pub value: String,
    /// The layer and, for files, the line it was found on.
    pub source: Source,
}

impl Raw {
    /// How to name this value in an error: `AUTOMAGIK_SAMPLE_RATE (.env:3)`.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Flag(flag) => format!("`{}` (flag {flag})", self.var),
            Source::Env(var) => format!("`{var}`"),
            Source::Default => format!("`{}` (default)", self.var),
            other => format!("`{}` ({other})", self.var),
        }
    }

    /// `value` (parsed from this raw text) with this raw text's source.
    pub fn sourced<T>(&self, value: T) -> Sourced<T> {
        Sourced::new(value, self.source.clone())
    }
}

/// A value given on the command line, standing for an environment variable.
#[derive(Debug, Clone)]
pub struct Override {
    /// The environment variable the flag stands for.
    pub var: String,
    /// The flag's value.
    pub value: String,
    /// The flag as the user wrote it (`--data-dir`), for messages and `status`.
    pub flag: String,
}

/// The layers, read once, searched by [`Layers::lookup`].
#[derive(Debug, Default)]
pub struct Layers {
    /// Command-line flags, highest precedence.
    pub overrides: Vec<Override>,
    /// The process environment, read once.
    pub env: HashMap<String, String>,
    /// The `.env` file, when one was found.
    pub dotenv: Option<DotEnv>,
    /// `tracing.toml`, when it exists.
    pub toml: Option<TomlSettings>,
}

impl Layers {
    /// The highest-precedence value of `var`, if any layer has one.
    ///
    /// An empty value counts as unset, as most tools read `FOO=` in a `.env` file.
    pub fn lookup(&self, var: &str) -> Option<Raw> {
        self.candidates(var)
            .into_iter()
            .find(|raw| matches!(raw.source, Source::Flag(_)) || !raw.value.is_empty())
    }

    /// Every value of `var`, highest precedence first, empty ones included (each layer's
    /// own winner: the last flag, the first `.env` assignment).
    pub fn candidates(&self, var: &str) -> Vec<Raw> {
        let raw = |value: &str, source: Source| Raw {
            var: var.to_string(),
            value: value.to_string(),
            source,
        };
        let mut found = Vec::new();
        if let Some(o) = self.overrides.iter().rev().find(|o| o.var == var) {
            found.push(raw(&o.value, Source::Flag(o.flag.clone())));
        }
        if let Some(value) = self.env.get(var) {
            found.push(raw(value, Source::Env(var.to_string())));
        }
        if let Some(dotenv) = &self.dotenv
            && let Some((value, line)) = dotenv.get(var)
        {
            let path = dotenv.path.clone();
            found.push(raw(value, Source::DotEnv { path, line }));
        }
        if let Some(toml) = &self.toml
            && let Some((value, line)) = toml.get(var)
        {
            let path = toml.path.clone();
            found.push(raw(value, Source::Toml { path, line }));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_env() {
        let mut layers = Layers::default();
        layers.env.insert("X".into(), "env".into());
        layers.overrides.push(Override {
            var: "X".into(),
            value: "flag".into(),
            flag: "--x".into(),
        });
        let raw = layers.lookup("X").unwrap();
        assert_eq!(raw.value, "flag");
        assert_eq!(raw.source.to_string(), "flag --x");
    }

    #[test]
    fn empty_env_value_counts_as_unset() {
        let mut layers = Layers::default();
        layers.env.insert("X".into(), String::new());
        assert_eq!(layers.lookup("X"), None);
    }

    #[test]
    fn file_sources_print_as_name_and_line() {
        let source = Source::Toml {
            path: "/home/u/.config/automagik/tracing.toml".into(),
            line: 3,
        };
        assert_eq!(source.to_string(), "tracing.toml:3");
    }
}
