//! OTLP/HTTP with protobuf bodies: one preset per provider decides the URL and headers;
//! gzip where the provider takes it. Keys go into headers and nowhere else: never into
//! messages, logs or errors. Here the exporter and the sending; the HTTP clients (TLS,
//! the shared pool, an extra CA) in `client`, a provider's headers in `headers`.

use std::io::Write as _;
use std::time::Duration;

use reqwest::header::HeaderMap;

use self::client::{Client, Transport, client_with_ca};
use super::{BoxFuture, Cause, Exporter, Outcome, Payload};
use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::presets::{self, Signal, Signals};

mod client;
mod headers;

pub use self::client::{cold, warm_up};
pub use self::headers::{headers, parse_otlp_headers};

/// How long to wait for a connection to a provider.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take in all, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error response body is kept for the message.
const ERROR_BODY_CHARS: usize = 200;

/// An OTLP/HTTP exporter for one provider.
pub struct OtlpHttp {
    name: String,
    url: String,
    /// Where log records and metrics go, for a provider that takes them.
    logs_url: Option<String>,
    metrics_url: Option<String>,
    /// The URL as messages, `status`, `flush` and `test-export` show it (userinfo and
    /// query values masked).
    shown_url: String,
    headers: HeaderMap,
    gzip: bool,
    client: Client,
}

impl OtlpHttp {
    /// Builds the exporter of a configured remote provider.
    pub fn new(provider: &ProviderConfig) -> Result<OtlpHttp> {
        let url = provider.endpoint.clone().ok_or_else(|| {
            Error::bad_input(format!("{} has no endpoint", provider.name))
                .with_hint(provider.note.clone())
        })?;
        let headers = headers(provider)?;
        let gzip = match provider.name {
            "otlp" => provider
                .value("compression")
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip")),
            name => presets::preset(name).is_some_and(|p| p.gzip),
        };
        let client = match provider
            .value("certificate")
            .filter(|_| provider.name == "otlp")
        {
            Some(path) => Client::Own(client_with_ca(std::path::Path::new(path))?),
            None if url.starts_with("http://") => Client::shared(Transport::PlainHttp),
            None => Client::shared(Transport::Tls),
        };
        Ok(OtlpHttp {
            name: provider.name.to_string(),
            shown_url: crate::mask::url::display(&url),
            logs_url: signal_url(provider, &url, Signal::Logs),
            metrics_url: signal_url(provider, &url, Signal::Metrics),
            url,
            headers,
            gzip,
            client,
        })
    }

    /// An exporter to a bare OTLP/HTTP traces URL: no headers, no compression (the
    /// telemetry endpoint).
    pub fn to_url(name: &str, url: &str) -> Result<OtlpHttp> {
        let transport = if url.starts_with("http://") {
            Transport::PlainHttp
        } else {
            Transport::Tls
        };
        Ok(OtlpHttp {
            name: name.to_string(),
            url: url.to_string(),
            logs_url: None,
            metrics_url: None,
            shown_url: crate::mask::url::display(url),
            headers: HeaderMap::new(),
            gzip: false,
            client: Client::shared(transport),
        })
    }

    /// Where a payload of `signal` goes; `None` for a signal it does not take.
    fn url_for(&self, signal: Signal) -> Option<&str> {
        match signal {
            Signal::Traces => Some(&self.url),
            Signal::Logs => self.logs_url.as_deref(),
            Signal::Metrics => self.metrics_url.as_deref(),
        }
    }

    async fn send(&self, payload: &Payload) -> Outcome {
        let Some(url) = self.url_for(payload.signal()) else {
            // The engine sends no such payload (see `signals`); a caller that does is told.
            return Outcome::Permanent {
                cause: Cause::Other,
                message: format!("{} takes no {}", self.name, payload.signal().as_str()),
            };
        };
        let client = match self.client.get() {
            Ok(client) => client,
            Err(err) => {
                return Outcome::Permanent {
                    cause: Cause::Other,
                    message: err.one_line(),
                };
            }
        };
        let mut body = payload.protobuf().clone();
        let mut builder = client
            .post(url)
            .headers(self.headers.clone())
            .header("content-type", "application/x-protobuf");
        if self.gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if encoder.write_all(&body).is_ok()
                && let Ok(compressed) = encoder.finish()
            {
                body = compressed.into();
                builder = builder.header("content-encoding", "gzip");
            }
        }
        match builder.body(body).send().await {
            Ok(response) => classify_response(response).await,
            Err(err) => classify_error(&err),
        }
    }
}

impl Exporter for OtlpHttp {
    fn name(&self) -> &str {
        &self.name
    }

    fn sends_body_only(&self) -> bool {
        true
    }

    fn prepare(&self) {
        self.client.prepare();
    }

    fn endpoint(&self) -> &str {
        &self.shown_url
    }

    fn export<'a>(&'a self, payload: &'a Payload) -> BoxFuture<'a, Outcome> {
        Box::pin(self.send(payload))
    }

    fn signals(&self) -> Signals {
        Signals {
            traces: true,
            logs: self.logs_url.is_some(),
            metrics: self.metrics_url.is_some(),
        }
    }
}

/// Where a provider that takes `signal` receives it: for `otlp`, its per-signal variable
/// (`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, used as is), else its base URL with the signal's
/// path, as for traces; for the others, the traces URL with `/v1/logs` (or `/v1/metrics`)
/// in place of `/v1/traces`. `None` when the provider does not take the signal, or when
/// nothing says where (only an `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` of another shape).
pub fn signal_url(provider: &ProviderConfig, traces_url: &str, signal: Signal) -> Option<String> {
    if !presets::signals(provider.name).is_some_and(|s| s.accepts(signal)) {
        return None;
    }
    if provider.name == "otlp" {
        let own = provider
            .value(&format!("{}_endpoint", signal.as_str()))
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(url) = own {
            return Some(url.to_string());
        }
        let base = provider
            .value("endpoint")
            .and_then(|v| presets::normalize_base_url(v).ok());
        if let Some(base) = base {
            return Some(format!(
                "{}/v1/{}",
                base.url.trim_end_matches('/'),
                signal.as_str()
            ));
        }
    }
    signal.url_beside(traces_url)
}

async fn classify_response(response: reqwest::Response) -> Outcome {
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Outcome::Delivered {
            status: Some(status),
        };
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.text().await.unwrap_or_default();
    // The provider's reason, on one line, secrets it echoes (a key, an email) masked.
    let excerpt: String = body
        .chars()
        .take(ERROR_BODY_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let excerpt = crate::mask::patterns::redact(&excerpt).unwrap_or(excerpt);
    let message = format!(
        "HTTP {status}{}",
        if excerpt.is_empty() {
            String::new()
        } else {
            format!(": {}", excerpt.trim())
        }
    );
    if status == 429 || status >= 500 {
        Outcome::Retryable {
            cause: Cause::Http(status),
            retry_after,
            message,
        }
    } else {
        Outcome::Permanent {
            cause: Cause::Http(status),
            message,
        }
    }
}

fn classify_error(err: &reqwest::Error) -> Outcome {
    let chain = error_chain(err);
    let lower = chain.to_ascii_lowercase();
    let cause = if err.is_timeout() || lower.contains("timed out") {
        Cause::Timeout
    } else if lower.contains("certificate")
        || lower.contains("unknownissuer")
        || lower.contains("invalid peer")
    {
        Cause::Tls
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service")
    {
        Cause::Dns
    } else if lower.contains("refused") || lower.contains("reset") {
        Cause::Refused
    } else {
        Cause::Other
    };
    let message = match cause {
        Cause::Timeout => "timed out".to_string(),
        Cause::Tls => format!("the certificate is not trusted ({chain})"),
        _ => chain,
    };
    if cause == Cause::Tls {
        Outcome::Permanent { cause, message }
    } else {
        Outcome::Retryable {
            cause,
            retry_after: None,
            message,
        }
    }
}

/// The error and its causes in one line. Our URLs carry no secrets (keys go in headers).
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    // reqwest names the request's URL in its errors.
    crate::mask::url::display_in(&parts.join(": ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exporter of provider `name` under an environment of `vars` alone.
    fn exporter(name: &str, vars: &[(&str, &str)]) -> OtlpHttp {
        let dir = tempfile::tempdir().unwrap();
        let mut env: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("HOME".into(), dir.path().display().to_string());
        let options = crate::config::LoadOptions {
            env,
            cwd: dir.path().to_path_buf(),
            env_file: None,
            env_file_may_be_new: false,
            overrides: Vec::new(),
        };
        let settings = crate::Config::load(options).unwrap().settings().unwrap();
        let provider = settings
            .observability
            .providers
            .iter()
            .find(|p| p.name == name);
        OtlpHttp::new(provider.unwrap()).unwrap()
    }

    #[test]
    fn logs_and_metrics_go_beside_traces_or_where_their_own_variable_says() {
        let otlp = exporter(
            "otlp",
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
                (
                    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                    "http://logs:9000/ingest",
                ),
            ],
        );
        assert_eq!(
            otlp.url_for(Signal::Traces),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(otlp.url_for(Signal::Logs), Some("http://logs:9000/ingest"));
        assert_eq!(
            otlp.url_for(Signal::Metrics),
            Some("http://collector:4318/v1/metrics")
        );
        let honeycomb = exporter(
            "honeycomb",
            &[("HONEYCOMB_API_KEY", "hcaik_0123456789abcdef")],
        );
        assert_eq!(
            honeycomb.url_for(Signal::Logs),
            Some("https://api.honeycomb.io/v1/logs")
        );
        let langfuse = exporter(
            "langfuse",
            &[
                ("LANGFUSE_PUBLIC_KEY", "pk-lf-0123456789"),
                ("LANGFUSE_SECRET_KEY", "sk-lf-0123456789"),
            ],
        );
        assert_eq!(langfuse.url_for(Signal::Logs), None);
        assert!(!langfuse.signals().logs && !langfuse.signals().metrics);
    }
}
