//! OTLP/HTTP with protobuf bodies: one preset per provider decides the URL and headers;
//! gzip where the provider takes it. Keys go into headers and nowhere else: never into
//! messages, logs or errors.

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::{BoxFuture, Cause, Exporter, Outcome, Payload};
use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::presets::{self, Header, Signal, Signals};

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

/// An exporter's HTTP client: its own when it trusts an extra CA (built at once, so a bad
/// file is a configuration error), else the process's shared one for its transport, built
/// on first use: the system's certificates take milliseconds to load, which `run` spends
/// beside the command ([`warm_up`]), not before it starts.
enum Client {
    Own(reqwest::Client),
    Shared(Transport),
}

impl Client {
    fn shared(transport: Transport) -> Client {
        if let Transport::Tls = transport {
            TLS_WANTED.store(true, Relaxed);
        }
        Client::Shared(transport)
    }

    fn get(&self) -> Result<reqwest::Client> {
        match self {
            Client::Own(client) => Ok(client.clone()),
            Client::Shared(transport) => shared_client(*transport),
        }
    }
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

#[derive(Clone, Copy)]
enum Transport {
    Tls,
    /// Plain http:// (a local collector): no system certificates to load, which saves
    /// milliseconds on every short wrapped run.
    PlainHttp,
}

type Shared = OnceLock<std::result::Result<reqwest::Client, String>>;
/// The pooled clients of the process, one per transport.
static TLS: Shared = OnceLock::new();
static PLAIN: Shared = OnceLock::new();
/// An exporter of this process will need the TLS client.
static TLS_WANTED: AtomicBool = AtomicBool::new(false);

/// Whether an exporter needs the TLS client and nobody has built it yet: [`warm_up`]
/// would build it.
pub fn cold() -> bool {
    TLS_WANTED.load(Relaxed) && TLS.get().is_none()
}

/// Builds the shared TLS client when an exporter needs it (loading the system's
/// certificates, milliseconds): for a thread of its own, beside the wrapped command. An
/// exporter that sends first waits for it rather than building a second.
pub fn warm_up() {
    if TLS_WANTED.load(Relaxed) {
        let _ = shared_client(Transport::Tls);
    }
}

/// The pooled client of the process for `transport`, built on first use.
fn shared_client(transport: Transport) -> Result<reqwest::Client> {
    let (cell, build): (&Shared, fn() -> reqwest::ClientBuilder) = match transport {
        Transport::Tls => (&TLS, builder),
        Transport::PlainHttp => (&PLAIN, || builder().tls_certs_only(Vec::new())),
    };
    cell.get_or_init(|| build().build().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::failed(format!("cannot start the HTTP client: {e}")))
}

fn builder() -> reqwest::ClientBuilder {
    // ring, not aws-lc: a fraction of the build time (DESIGN.md, Dependencies).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("automagik-tracing/", env!("CARGO_PKG_VERSION")))
}

/// A client that also trusts the CA in `path` (`OTEL_EXPORTER_OTLP_CERTIFICATE`).
fn client_with_ca(path: &std::path::Path) -> Result<reqwest::Client> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::io("cannot read the CA file", path, e)
            .with_hint("check OTEL_EXPORTER_OTLP_CERTIFICATE")
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        Error::bad_input(format!(
            "`{}` is not a PEM certificate: {e}",
            path.display()
        ))
        .with_hint("OTEL_EXPORTER_OTLP_CERTIFICATE must name a PEM file holding the CA certificate")
    })?;
    let mut builder = builder();
    for cert in certs {
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| Error::failed(format!("cannot start the HTTP client: {e}")))
}

/// The headers a provider's preset sends, keys included.
pub fn headers(provider: &ProviderConfig) -> Result<HeaderMap> {
    let value = |short: &str| provider.value(short).unwrap_or("").trim().to_string();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let specs = presets::preset(provider.name).map_or(&[][..], |p| p.headers);
    for spec in specs {
        let (name, text) = match *spec {
            Header::Key(name, key) => (name, value(key)),
            Header::Bearer(name, key) => (name, format!("Bearer {}", value(key))),
            Header::Basic(name, user, password) => {
                let pair = format!("{}:{}", value(user), value(password));
                let token = base64::engine::general_purpose::STANDARD.encode(pair);
                (name, format!("Basic {token}"))
            }
            Header::Fixed(name, text) => (name, text.to_string()),
            Header::List(key) => {
                pairs.extend(parse_otlp_headers(&value(key))?);
                continue;
            }
        };
        // An optional key left empty sends no header (required ones are never empty
        // here: the provider is not active without them).
        let key_empty = match *spec {
            Header::Key(_, key) | Header::Bearer(_, key) => value(key).is_empty(),
            _ => false,
        };
        if key_empty {
            continue;
        }
        pairs.push((name.to_string(), text));
    }
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::bad_input(format!(
                "`{name}` in the {} headers is not a valid header name",
                provider.name
            ))
        })?;
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::bad_input(format!(
                "the value of header `{name}` for {} holds characters a header cannot carry",
                provider.name
            ))
            .with_hint("check the provider's keys for stray spaces or newlines")
        })?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

/// `OTEL_EXPORTER_OTLP_HEADERS`: `k=v,k2=v2`, values URL-decoded (the OpenTelemetry spec).
pub fn parse_otlp_headers(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| {
            Error::bad_input("OTEL_EXPORTER_OTLP_HEADERS has an entry without `=`")
                .with_hint("write it as key=value,key2=value2")
        })?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s.trim())
                .decode_utf8_lossy()
                .into_owned()
        };
        out.push((decode(key).to_ascii_lowercase(), decode(value)));
    }
    Ok(out)
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

    #[test]
    fn otlp_headers_are_split_and_url_decoded() {
        let headers = parse_otlp_headers("Api-Key=a%20b%3Dc, x-team = t1 ,").unwrap();
        assert_eq!(
            headers,
            vec![
                ("api-key".into(), "a b=c".into()),
                ("x-team".into(), "t1".into())
            ]
        );
        assert!(parse_otlp_headers("novalue").is_err());
    }
}
