//! Content masking: what of a span's content may leave the machine, per provider.
//!
//! [`MaskMode::Patterns`] redacts emails, keys, card numbers, SSNs and IP addresses in
//! every string; [`MaskMode::Content`] keeps strings only under structural keys (an
//! allowlist, so content under names nobody has seen yet is masked too) and replaces every
//! other string with `[MASKED len=N]`, N being its length in bytes. The engine runs a
//! [`Masker`] once per mask mode in use, after sampling and before encoding; see MASKING.md.

pub mod patterns;
mod records;
pub mod url;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;

use self::patterns::{redact_bytes_in_place, redact_in_place};
use crate::span::{Attribute, Span, Value};

/// What a provider receives of the spans' content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum MaskMode {
    /// Everything, as recorded.
    #[default]
    None,
    /// Everything, with secrets and personal data found by pattern redacted.
    Patterns,
    /// Structure only: string values under structural keys (with patterns applied).
    Content,
}

impl MaskMode {
    /// The words a mode setting accepts, for errors and help.
    pub const WORDS: &'static str = "none, patterns, content";

    /// The word for the mode, as settings write it (`none`, `patterns`, `content`).
    pub fn as_str(self) -> &'static str {
        match self {
            MaskMode::None => "none",
            MaskMode::Patterns => "patterns",
            MaskMode::Content => "content",
        }
    }

    /// What a provider with this mode receives, in words (`status` shows it).
    pub fn receives(self) -> &'static str {
        match self {
            MaskMode::None => "full content",
            MaskMode::Patterns => "content, with secrets and personal data redacted",
            MaskMode::Content => "structure only, content masked",
        }
    }

    /// A mode from its name, in any case.
    pub fn parse(text: &str) -> Option<MaskMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(MaskMode::None),
            "patterns" => Some(MaskMode::Patterns),
            "content" => Some(MaskMode::Content),
            _ => None,
        }
    }
}

impl fmt::Display for MaskMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MaskMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Defines [`STRUCTURAL_KEYS`] and `is_structural_key`, the test of a key against it as a
/// `match` (a jump on the key's length and a comparison or two, where a search of the
/// list compared the key with each entry in turn: it runs for every attribute of every
/// span `content` masks).
macro_rules! structural_keys {
    ($(#[$doc:meta])* $($key:literal),+ $(,)?) => {
        $(#[$doc])*
        pub const STRUCTURAL_KEYS: &[&str] = &[$($key),+];

        /// Whether `key` is one of [`STRUCTURAL_KEYS`].
        fn is_structural_key(key: &str) -> bool {
            matches!(key, $($key)|+)
        }
    };
}

structural_keys! {
    /// Keys whose string values `content` keeps: they name things, they do not carry
    /// content. The GenAI conventions, the kind and model keys of OpenInference,
    /// OpenLLMetry and Langfuse (so backends still classify spans), and the HTTP keys that
    /// are structure (method, status, route, scheme, server): never bodies, headers or
    /// queries.
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.type",
    "gen_ai.conversation.id",
    "gen_ai.response.id",
    "gen_ai.response.finish_reasons",
    "openinference.span.kind",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "tool.name",
    "traceloop.span.kind",
    "langfuse.observation.type",
    "langfuse.observation.model.name",
    "error.type",
    "exception.type",
    "process.executable.name",
    "http.request.method",
    "http.method",
    "http.response.status_code",
    "http.status_code",
    "http.route",
    "http.scheme",
    "url.scheme",
    "server.address",
    "server.port",
}

/// Keys holding a URL: `content` keeps its structure (scheme, host, port, path) and drops
/// its userinfo, query and fragment.
pub const URL_KEYS: &[&str] = &["url.full", "http.url"];

/// Key prefixes whose string values `content` keeps.
pub const STRUCTURAL_PREFIXES: &[&str] = &["service.", "telemetry."];

/// Nesting (arrays in maps in arrays...) deeper than this cannot be masked: the span is
/// not sent. Far beyond what any instrumentation writes, and it bounds the recursion.
pub const MAX_DEPTH: usize = 32;

/// The text that replaces a masked string or bytes value of `len` bytes.
pub fn masked(len: usize) -> String {
    // Not `format!`: it took ten times the instructions, once for every string `content`
    // masks.
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(len);
    let mut text = String::with_capacity("[MASKED len=]".len() + digits.len());
    text.push_str("[MASKED len=");
    text.push_str(digits);
    text.push(']');
    text
}

/// Masks `text` in place, once: a string that already is a mask's output is left as it is,
/// so masking again (a spooled record masked at flush, a nested wrapper) keeps the
/// original length.
fn mask_once(text: &mut String) {
    let already = text
        .strip_prefix("[MASKED len=")
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !already {
        *text = masked(text.len());
    }
}

/// Why a span could not be masked (it is then not sent, and counted as `mask_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskError {
    /// A value nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The masker itself failed (a bug); failing closed, the span is not sent.
    Panicked,
}

/// Masks spans for one mode.
#[derive(Debug, Clone)]
pub struct Masker {
    mode: MaskMode,
    /// `AUTOMAGIK_MASK_KEEP`: exact keys, or prefixes written `prefix.*`.
    keep: Vec<String>,
}

impl Masker {
    /// A masker for `mode`; `keep` holds `AUTOMAGIK_MASK_KEEP`'s keys (exact, or
    /// `prefix.*`), which only `content` reads.
    pub fn new(mode: MaskMode, keep: &[String]) -> Masker {
        Masker {
            mode,
            keep: keep.to_vec(),
        }
    }

    /// The mode it masks for.
    pub fn mode(&self) -> MaskMode {
        self.mode
    }

    /// Whether `content` keeps the string values of `key`.
    pub fn keeps(&self, key: &str) -> bool {
        is_structural_key(key)
            || STRUCTURAL_PREFIXES.iter().any(|p| key.starts_with(p))
            || self.keep.iter().any(|k| match k.strip_suffix('*') {
                Some(prefix) => key.starts_with(prefix),
                None => k == key,
            })
    }

    /// What this mode does to the string values of `key`.
    fn treatment(&self, key: &str) -> Treatment {
        if self.mode == MaskMode::Patterns || self.keeps(key) {
            Treatment::Keep
        } else if URL_KEYS.contains(&key) {
            Treatment::UrlStructure
        } else {
            Treatment::Mask
        }
    }

    /// Masks every span of `spans` in place and removes those that cannot be masked;
    /// returns how many were removed.
    pub fn mask_batch(&self, spans: &mut Vec<Span>) -> usize {
        if self.mode == MaskMode::None {
            return 0;
        }
        let before = spans.len();
        spans.retain_mut(|span| self.mask(span).is_ok());
        before - spans.len()
    }

    /// Masks one span in place. On an error the span is partly masked and must not be
    /// sent. A panic inside the masker is caught and reported as an error.
    pub fn mask(&self, span: &mut Span) -> Result<(), MaskError> {
        if self.mode == MaskMode::None {
            return Ok(());
        }
        catch_unwind(AssertUnwindSafe(|| self.mask_span(span))).unwrap_or(Err(MaskError::Panicked))
    }

    fn mask_span(&self, span: &mut Span) -> Result<(), MaskError> {
        redact_in_place(&mut span.name);
        self.mask_attrs(&mut span.attributes)?;
        for event in &mut span.events {
            redact_in_place(&mut event.name);
            self.mask_attrs(&mut event.attributes)?;
        }
        for link in &mut span.links {
            self.mask_attrs(&mut link.attributes)?;
        }
        let message = &mut span.status.message;
        match self.mode {
            MaskMode::Content if !message.is_empty() => mask_once(message),
            _ => {
                redact_in_place(message);
            }
        }
        Ok(())
    }

    fn mask_attrs(&self, attrs: &mut [Attribute]) -> Result<(), MaskError> {
        for attr in attrs {
            // Numbers and booleans carry no text: their key is not looked up (a third of
            // a GenAI span's attributes are token counts and settings).
            if !matches!(
                attr.value,
                Value::Bool(_) | Value::Int(_) | Value::Double(_)
            ) {
                mask_value(&mut attr.value, self.treatment(&attr.key), 0)?;
            }
        }
        Ok(())
    }
}

/// What happens to the strings under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treatment {
    /// Kept, with patterns applied.
    Keep,
    /// A URL: only its structure is kept (see [`url::structure`]), with patterns applied.
    UrlStructure,
    /// Replaced by `[MASKED len=N]`.
    Mask,
}

/// Masks a value: kept strings get patterns, others become `[MASKED len=N]`. What is in
/// an array or a map is kept or masked as the key that holds it is.
fn mask_value(value: &mut Value, treatment: Treatment, depth: usize) -> Result<(), MaskError> {
    if depth > MAX_DEPTH {
        return Err(MaskError::TooDeep);
    }
    match value {
        Value::Str(s) => match treatment {
            Treatment::Keep => {
                redact_in_place(s);
            }
            Treatment::UrlStructure => {
                *s = url::structure(s);
                redact_in_place(s);
            }
            Treatment::Mask => mask_once(s),
        },
        Value::Bytes(b) if treatment == Treatment::Keep => {
            redact_bytes_in_place(b);
        }
        Value::Bytes(b) => *value = Value::Str(masked(b.len())),
        Value::Bool(_) | Value::Int(_) | Value::Double(_) => {}
        Value::Array(items) => {
            for item in items {
                mask_value(item, treatment, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                mask_value(&mut entry.value, treatment, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Which mode each exporter gets: the default, overridden per provider by name, and the
/// keys `content` keeps besides the structural ones. [`MaskPlan::default`] masks nothing.
#[derive(Debug, Clone, Default)]
pub struct MaskPlan {
    /// `AUTOMAGIK_MASK`.
    pub default: MaskMode,
    /// `AUTOMAGIK_MASK_<PROVIDER>`, by provider (exporter) name.
    pub providers: Vec<(String, MaskMode)>,
    /// `AUTOMAGIK_MASK_KEEP`.
    pub keep: Vec<String>,
}

impl MaskPlan {
    /// Every exporter gets `mode`.
    pub fn all(mode: MaskMode) -> MaskPlan {
        MaskPlan {
            default: mode,
            ..Default::default()
        }
    }

    /// The mode of the exporter with this name.
    pub fn mode_for(&self, exporter: &str) -> MaskMode {
        self.providers
            .iter()
            .find(|(name, _)| name == exporter)
            .map_or(self.default, |(_, mode)| *mode)
    }

    /// The masker for the exporter with this name.
    pub fn masker_for(&self, exporter: &str) -> Masker {
        Masker::new(self.mode_for(exporter), &self.keep)
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
