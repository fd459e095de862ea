//! Reading every setting without stopping at the first bad one: each value that cannot
//! be parsed is recorded as [`Invalid`] (variable, source, error, hint) and the setting
//! falls back to a value that never widens what leaves the machine.
//!
//! `status` shows them all; every other command fails on the first (see
//! [`crate::config::Settings::resolve`]).

use serde::Serialize;

use super::source::{Layers, Raw, Source, Sourced};
use crate::error::{Error, Result};

/// A setting whose value could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invalid {
    /// The variable whose value could not be read.
    pub var: String,
    /// Where the bad value was set.
    pub source: Source,
    /// The message, naming the variable, where it was set and what is accepted.
    pub error: String,
    /// What to write instead, when there is something to suggest.
    pub hint: Option<String>,
}

impl Invalid {
    fn new(raw: &Raw, err: &Error) -> Invalid {
        Invalid {
            var: raw.var.clone(),
            source: raw.source.clone(),
            error: err.to_string(),
            hint: err.hint().map(str::to_string),
        }
    }

    /// The error the strict loader returns for it (bad input: exit 2).
    pub fn to_error(&self) -> Error {
        let err = Error::bad_input(self.error.clone());
        match &self.hint {
            Some(hint) => err.with_hint(hint.clone()),
            None => err,
        }
    }
}

/// Looks values up across the layers and parses them, collecting what is unreadable.
pub struct Resolver<'a> {
    /// The layers values are looked up in.
    pub layers: &'a Layers,
    /// The values that could not be read so far, in the order they were asked for.
    pub invalid: Vec<Invalid>,
}

impl<'a> Resolver<'a> {
    /// A resolver over `layers` with nothing recorded yet.
    pub fn new(layers: &'a Layers) -> Self {
        Resolver {
            layers,
            invalid: Vec::new(),
        }
    }

    /// The parsed value of `var` with its raw text; `None` when unset or unreadable (and
    /// then recorded).
    pub fn parsed<T>(
        &mut self,
        var: &str,
        parse: impl FnOnce(&Raw) -> Result<T>,
    ) -> Option<(T, Raw)> {
        let raw = self.layers.lookup(var)?;
        self.parse_raw(raw, parse)
    }

    /// Parses a value found by the caller; an unreadable one is recorded.
    pub fn parse_raw<T>(
        &mut self,
        raw: Raw,
        parse: impl FnOnce(&Raw) -> Result<T>,
    ) -> Option<(T, Raw)> {
        match parse(&raw) {
            Ok(value) => Some((value, raw)),
            Err(err) => {
                self.invalid.push(Invalid::new(&raw, &err));
                None
            }
        }
    }

    /// The value of `var` with its source, `default` when unset; when unreadable,
    /// `fallback` with the bad value's source (so `status` points at the line to fix).
    pub fn or_default<T>(
        &mut self,
        var: &str,
        default: T,
        fallback: T,
        parse: impl FnOnce(&Raw) -> Result<T>,
    ) -> Sourced<T> {
        let Some(raw) = self.layers.lookup(var) else {
            return Sourced::default(default);
        };
        let source = raw.source.clone();
        match self.parse_raw(raw, parse) {
            Some((value, raw)) => raw.sourced(value),
            None => Sourced::new(fallback, source),
        }
    }

    /// Whether `var` was recorded as unreadable.
    pub fn is_invalid(&self, var: &str) -> bool {
        self.invalid.iter().any(|i| i.var == var)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::parse_u64;

    #[test]
    fn every_bad_value_is_recorded_and_falls_back() {
        let mut layers = Layers::default();
        layers
            .env
            .insert("AUTOMAGIK_QUEUE_MAX_SPANS".into(), "lots".into());
        layers
            .env
            .insert("AUTOMAGIK_FLUSH_TIMEOUT".into(), "-1".into());
        let mut r = Resolver::new(&layers);
        let spans = r.or_default("AUTOMAGIK_QUEUE_MAX_SPANS", 100, 100, parse_u64);
        let timeout = r.or_default("AUTOMAGIK_FLUSH_TIMEOUT", 5, 5, parse_u64);
        assert_eq!(spans.value, 100);
        assert_eq!(
            spans.source,
            Source::Env("AUTOMAGIK_QUEUE_MAX_SPANS".into())
        );
        assert_eq!(timeout.value, 5);
        let vars: Vec<_> = r.invalid.iter().map(|i| i.var.as_str()).collect();
        assert_eq!(
            vars,
            ["AUTOMAGIK_QUEUE_MAX_SPANS", "AUTOMAGIK_FLUSH_TIMEOUT"]
        );
        assert!(r.invalid[0].error.contains("`lots`"), "{:?}", r.invalid[0]);
        assert_eq!(r.invalid[0].to_error().exit_code(), 2);
    }
}
