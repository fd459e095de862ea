//! Where spans go: one [`Exporter`] trait, the OTLP/HTTP exporter with a preset per
//! provider, the local trace store, and an in-memory double for tests.
//!
//! An exporter takes one [`Payload`] (a request and its protobuf body, encoded once for
//! every exporter) and returns a typed [`Outcome`]; it never retries (the engine decides
//! that) and never panics on a bad answer.

pub mod local;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod nesting;
pub mod otlp_http;
mod payload;
pub mod records;

pub use payload::{Budget, Payload};
pub use records::Records;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ProviderConfig, Settings};
use crate::error::Result;
use crate::presets;

/// The future an [`Exporter`] returns: boxed, so the trait stays object-safe, and `Send`,
/// so it runs on the export runtime's threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a delivery failed, as far as the exporter can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The server answered with this HTTP status.
    Http(u16),
    /// No answer within the connect or request timeout.
    Timeout,
    /// Nothing listens there (connection refused or reset).
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The server's certificate is not trusted.
    Tls,
    /// Writing to local storage failed.
    Storage,
    /// Anything else (a malformed answer, a broken connection).
    Other,
}

/// What one export attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted (any 2xx, whatever the body's content type).
    Delivered {
        /// The HTTP status; `None` for exporters that speak no HTTP (the local store).
        status: Option<u16>,
    },
    /// Worth another try later: 429, 5xx, a network error or timeout.
    Retryable {
        /// Why it failed.
        cause: Cause,
        /// The server's `Retry-After` (in seconds), when it sent one: how long to wait
        /// before the next try.
        retry_after: Option<Duration>,
        /// What went wrong, for messages; never holds a key.
        message: String,
    },
    /// Will fail again as it is: 4xx other than 429, an untrusted certificate.
    Permanent {
        /// Why it failed.
        cause: Cause,
        /// What went wrong (with the start of the server's answer), for messages; never
        /// holds a key.
        message: String,
    },
}

impl Outcome {
    /// Whether the batch was accepted.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered { .. })
    }

    /// The HTTP status the server answered with, if any (`None` for network errors and the
    /// local store).
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Delivered { status } => *status,
            Outcome::Retryable {
                cause: Cause::Http(s),
                ..
            }
            | Outcome::Permanent {
                cause: Cause::Http(s),
                ..
            } => Some(*s),
            _ => None,
        }
    }

    /// What went wrong, in the exporter's words; `None` when delivered.
    pub fn message(&self) -> Option<&str> {
        match self {
            Outcome::Delivered { .. } => None,
            Outcome::Retryable { message, .. } | Outcome::Permanent { message, .. } => {
                Some(message)
            }
        }
    }

    /// Why it failed; `None` when delivered.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Outcome::Delivered { .. } => None,
            Outcome::Retryable { cause, .. } | Outcome::Permanent { cause, .. } => Some(*cause),
        }
    }
}

/// A destination for spans.
pub trait Exporter: Send + Sync {
    /// The provider name (`langfuse`, `local`, ...).
    fn name(&self) -> &str;
    /// Where it sends, for messages: a URL or a directory. Never holds a secret.
    fn endpoint(&self) -> &str;
    /// Sends one batch. Must not panic; every failure is an [`Outcome`].
    fn export<'a>(&'a self, payload: &'a Payload) -> BoxFuture<'a, Outcome>;
    /// The signals it takes: the engine hands it no batch of another (and counts them as
    /// not accepted). Spans alone unless it says otherwise.
    fn signals(&self) -> presets::Signals {
        presets::TRACES_ONLY
    }
    /// Whether it reads nothing of a batch of spans but its protobuf body
    /// ([`Payload::protobuf`]): then the engine encodes the body as it converts the batch,
    /// without building its request ([`Payload::encoded`]). No unless it says so.
    fn sends_body_only(&self) -> bool {
        false
    }
    /// Whether it opens sockets (through tokio's IO driver, which the engine then
    /// enables on its own runtime). Yes unless it says otherwise.
    fn uses_sockets(&self) -> bool {
        true
    }
    /// Gets ready to send, on the engine's thread as it starts (beside a wrapped
    /// command): what its first export would otherwise do first, after the command has
    /// exited. Nothing unless it says so.
    fn prepare(&self) {}
}

/// The exporter for a provider of the settings.
pub fn build(settings: &Settings, provider: &ProviderConfig) -> Result<Arc<dyn Exporter>> {
    if provider.name == presets::LOCAL {
        return Ok(Arc::new(local::LocalStore::new(
            settings.paths.store_dir(),
            settings.limits.store_max_bytes.value,
            settings.limits.store_max_age_days.value,
        )));
    }
    Ok(Arc::new(otlp_http::OtlpHttp::new(provider)?))
}

/// The hint for a request the provider understood and refused (400, 422): its own
/// reason, which names what is wrong far better than a guess at a variable.
fn rejected(provider: &ProviderConfig, outcome: &Outcome) -> String {
    let reason = outcome
        .message()
        .and_then(|m| m.split_once(": ").map(|(_, reason)| reason.trim()))
        .filter(|r| !r.is_empty());
    let mlflow = reason.is_some_and(|r| r.to_ascii_lowercase().contains("x-mlflow-experiment-id"));
    if mlflow {
        if provider.name == "mlflow" {
            return "MLflow needs the experiment to log into: set MLFLOW_EXPERIMENT_ID (sent as the x-mlflow-experiment-id header)".to_string();
        }
        let where_to = if provider.name == "otlp" {
            "OTEL_EXPORTER_OTLP_HEADERS"
        } else {
            "OTEL_EXPORTER_OTLP_HEADERS of the `otlp` provider"
        };
        return format!(
            "MLflow needs the experiment to log into: add x-mlflow-experiment-id=ID to {where_to}"
        );
    }
    match reason {
        Some(reason) => format!("the provider refused the spans, saying: {reason}"),
        None => "the provider refused the spans without saying why".to_string(),
    }
}

/// What to check after a failure, naming the provider's variables.
pub fn hint(provider: &ProviderConfig, outcome: &Outcome) -> Option<String> {
    let preset = presets::preset(provider.name);
    let otlp = provider.name == "otlp";
    let vars = |pred: &dyn Fn(&presets::KeySpec) -> bool| -> String {
        preset
            .map(|p| {
                p.keys
                    .iter()
                    .filter(|k| pred(k))
                    .map(|k| k.var)
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .unwrap_or_default()
    };
    let url_var = preset
        .map(|p| match p.endpoint_hint {
            Some(hint) => hint.to_string(),
            None => p
                .key(p.base_key)
                .map_or_else(String::new, |k| k.var.to_string()),
        })
        .unwrap_or_default();
    let certificate_var = preset.and_then(|p| p.certificate_var);
    let hint = match outcome.cause()? {
        Cause::Http(401 | 403) => format!(
            "the {} refused the credentials: check {}",
            if otlp { "endpoint" } else { "provider" },
            vars(&|k| k.secret)
        ),
        Cause::Http(404) => format!("nothing receives traces at that URL: check {url_var}"),
        Cause::Http(413) => "the batch was too large for the provider".to_string(),
        Cause::Http(429) => "the provider is rate-limiting: try again later".to_string(),
        Cause::Http(s) if s >= 500 => "the provider had an error: try again later".to_string(),
        Cause::Http(400 | 422) => rejected(provider, outcome),
        Cause::Http(_) => format!("the provider rejected the request: check {url_var}"),
        Cause::Timeout => {
            format!("no answer in time: check {url_var} and the network, or raise --timeout")
        }
        Cause::Refused => format!("nothing listens at that address: check {url_var}"),
        Cause::Dns => format!("the host name does not resolve: check {url_var}"),
        Cause::Tls => match certificate_var {
            Some(var) => format!(
                "the server's certificate is not trusted: set {var} to the CA file that signed it"
            ),
            None => format!(
                "the server's certificate is not trusted: check {url_var} (a hosted provider's certificate should be; a proxy or a self-hosted one may need the `otlp` provider with OTEL_EXPORTER_OTLP_CERTIFICATE)"
            ),
        },
        Cause::Storage => "check that the data dir is writable (AUTOMAGIK_DATA_DIR)".to_string(),
        Cause::Other => format!("check {url_var}"),
    };
    Some(hint)
}
