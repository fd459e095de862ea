//! The HTTP clients of the OTLP/HTTP exporters: the process's shared one per transport
//! (TLS with the system's certificates, or plain http://), built on first use or warmed
//! up beside a wrapped command, and an exporter's own when it trusts an extra CA.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::{CONNECT_TIMEOUT, REQUEST_TIMEOUT};
use crate::error::{Error, Result};

/// An exporter's HTTP client: its own when it trusts an extra CA (built at once, so a bad
/// file is a configuration error), else the process's shared one for its transport, built
/// on first use: the system's certificates take milliseconds to load, which `run` spends
/// beside the command ([`warm_up`]), not before it starts.
pub(super) enum Client {
    Own(reqwest::Client),
    Shared(Transport),
}

impl Client {
    pub(super) fn shared(transport: Transport) -> Client {
        if let Transport::Tls = transport {
            TLS_WANTED.store(true, Relaxed);
        }
        Client::Shared(transport)
    }

    /// Builds the shared plain-http client now (0.1–0.17 ms), so a wrapped run's only
    /// export, as the command exits, does not. The TLS client is left to
    /// [`warm_up`]'s thread: the system's certificates take milliseconds to load, which
    /// the engine's thread must not wait out.
    pub(super) fn prepare(&self) {
        if let Client::Shared(Transport::PlainHttp) = self {
            let _ = shared_client(Transport::PlainHttp);
        }
    }

    pub(super) fn get(&self) -> Result<reqwest::Client> {
        match self {
            Client::Own(client) => Ok(client.clone()),
            Client::Shared(transport) => shared_client(*transport),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Transport {
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
pub(super) fn client_with_ca(path: &std::path::Path) -> Result<reqwest::Client> {
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
