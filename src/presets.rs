//! The provider table of DESIGN.md, one row per provider: the variables that configure
//! it, where its traces go, how its keys travel (headers), the variable of its mask mode,
//! the signals it accepts, and what the hints after a failure name. Everything else that
//! knows about providers (the loader, the OTLP exporter, the hints, `configure`, the
//! command line's value lists, `status`) reads this table: adding a provider is one row.
//!
//! Near a leaf: it imports only `mask::url` (to show a URL without its secrets), so
//! `config` and `export` both use it without a cycle.
//! Provider keys are the providers' own variable names, so an existing `.env` works.

/// One variable of a provider, with the short name `configure --set` and `tracing.toml` use.
#[derive(Debug)]
pub struct KeySpec {
    /// Short name: `--set secret_key=...`, `[providers.langfuse] secret_key = ...`.
    pub short: &'static str,
    /// The provider's own environment variable.
    pub var: &'static str,
    /// Never printed in full, and the file that holds it is written 0600.
    pub secret: bool,
    /// The provider is active only when every required key has a value.
    pub required: bool,
    /// Used when the key is unset (base URLs).
    pub default: Option<&'static str>,
    /// One line for `--help`, the wizard and `.env.example`.
    pub help: &'static str,
}

/// A provider preset: one row of the table.
#[derive(Debug)]
pub struct Preset {
    /// The name users write (`--provider langfuse`, `AUTOMAGIK_OBSERVABILITY_PROVIDERS`).
    pub name: &'static str,
    /// The name people read (`Langfuse`).
    pub title: &'static str,
    /// Its variables, in the order `status`, the wizard and `.env.example` show them.
    pub keys: &'static [KeySpec],
    /// Short name of the key that holds the base URL.
    pub base_key: &'static str,
    /// Path appended to the base URL.
    pub traces_path: &'static str,
    /// Request bodies are gzip-compressed (for `otlp`, `OTEL_EXPORTER_OTLP_COMPRESSION` decides).
    pub gzip: bool,
    /// The headers every request carries, made from the keys.
    pub headers: &'static [Header],
    /// `AUTOMAGIK_MASK_<PROVIDER>`: its mask mode, over `AUTOMAGIK_MASK`.
    pub mask_var: &'static str,
    /// The same in `tracing.toml`.
    pub mask_toml: &'static str,
    /// What it accepts besides traces.
    pub signals: Signals,
    /// What a hint names for "where it sends", when that is more than the base key.
    pub endpoint_hint: Option<&'static str>,
    /// The variable naming a CA file to trust, when the provider has one.
    pub certificate_var: Option<&'static str>,
    /// The base URL variable is the provider's own SDK's too, and may hold what is no
    /// HTTP URL there (`MLFLOW_TRACKING_URI=databricks`, `file:./mlruns`): such a value
    /// leaves this provider off with a warning instead of failing every command.
    pub shared_base: bool,
    /// The attributes this backend reads that the engine adds to each span after masking
    /// (never overwriting one the span has): see `profile`.
    pub profile: Profile,
}

/// Which backend's attribute names a provider's spans get added, derived from what the
/// spans mean (`semantic::read`), so a span of any dialect shows at its best there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Nothing is added: the backend reads the OpenTelemetry GenAI attributes.
    #[default]
    Plain,
    /// Phoenix / Arize: OpenInference (`openinference.span.kind`, `llm.*`, `tool.name`...).
    OpenInference,
    /// Langfuse: `langfuse.observation.type`, session, user, model.
    Langfuse,
    /// LangSmith: `langsmith.span.kind`, session and user metadata.
    LangSmith,
    /// MLflow: its span type.
    MLflow,
}

/// One header of a provider's requests. A header whose key is empty is not sent.
#[derive(Debug)]
pub enum Header {
    /// `name: <key>`.
    Key(&'static str, &'static str),
    /// `name: Bearer <key>`.
    Bearer(&'static str, &'static str),
    /// `name: Basic base64(<user key>:<password key>)`.
    Basic(&'static str, &'static str, &'static str),
    /// `name: value`, always.
    Fixed(&'static str, &'static str),
    /// The key holds `k=v,k2=v2` (URL-encoded values), as `OTEL_EXPORTER_OTLP_HEADERS`.
    List(&'static str),
}

/// The OTLP signals a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// Spans (every provider takes them).
    pub traces: bool,
    /// Log records.
    pub logs: bool,
    /// Metrics.
    pub metrics: bool,
}

/// One OTLP signal: what a request carries and where it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records (and events).
    Logs,
    /// Metrics.
    Metrics,
}

impl Signal {
    /// Every signal, traces first.
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

    /// `traces`, `logs` or `metrics`: the last segment of its OTLP/HTTP path, and its name
    /// in `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// The signal's URL from the traces URL of the same receiver: `.../v1/traces` becomes
    /// `.../v1/logs` (the OTLP/HTTP paths differ only there). `None` when the traces URL
    /// does not end that way (an `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` used as is).
    pub fn url_beside(self, traces_url: &str) -> Option<String> {
        let base = traces_url
            .trim_end_matches('/')
            .strip_suffix("/v1/traces")?;
        Some(format!("{base}/v1/{}", self.as_str()))
    }
}

impl Signals {
    /// Whether it accepts `signal`.
    pub fn accepts(self, signal: Signal) -> bool {
        match signal {
            Signal::Traces => self.traces,
            Signal::Logs => self.logs,
            Signal::Metrics => self.metrics,
        }
    }

    /// The signals it accepts, traces first.
    pub fn names(self) -> Vec<&'static str> {
        Signal::ALL
            .into_iter()
            .filter(|s| self.accepts(*s))
            .map(Signal::as_str)
            .collect()
    }
}

/// Traces alone: what an exporter takes unless it says otherwise.
pub const TRACES_ONLY: Signals = Signals {
    traces: true,
    logs: false,
    metrics: false,
};
/// Every signal.
pub const ALL_SIGNALS: Signals = Signals {
    traces: true,
    logs: true,
    metrics: true,
};

const fn key(
    short: &'static str,
    var: &'static str,
    secret: bool,
    required: bool,
    help: &'static str,
) -> KeySpec {
    KeySpec {
        short,
        var,
        secret,
        required,
        default: None,
        help,
    }
}

const fn base(
    short: &'static str,
    var: &'static str,
    default: &'static str,
    help: &'static str,
) -> KeySpec {
    KeySpec {
        short,
        var,
        secret: false,
        required: false,
        default: Some(default),
        help,
    }
}

/// Every remote provider, in the order `status` lists them. `local` is not here: it has
/// no keys and is always available.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "langfuse",
        title: "Langfuse",
        keys: &[
            key(
                "public_key",
                "LANGFUSE_PUBLIC_KEY",
                true,
                true,
                "public key (pk-lf-...)",
            ),
            key(
                "secret_key",
                "LANGFUSE_SECRET_KEY",
                true,
                true,
                "secret key (sk-lf-...)",
            ),
            base(
                "host",
                "LANGFUSE_HOST",
                "https://cloud.langfuse.com",
                "base URL; US region: https://us.cloud.langfuse.com",
            ),
        ],
        base_key: "host",
        traces_path: "/api/public/otel/v1/traces",
        gzip: false,
        headers: &[
            Header::Basic("authorization", "public_key", "secret_key"),
            Header::Fixed("x-langfuse-ingestion-version", "4"),
        ],
        mask_var: "AUTOMAGIK_MASK_LANGFUSE",
        mask_toml: "providers.langfuse.mask",
        signals: TRACES_ONLY,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::Langfuse,
    },
    Preset {
        name: "langwatch",
        title: "LangWatch",
        keys: &[
            key("api_key", "LANGWATCH_API_KEY", true, true, "API key"),
            base(
                "endpoint",
                "LANGWATCH_ENDPOINT",
                "https://app.langwatch.ai",
                "base URL",
            ),
        ],
        base_key: "endpoint",
        traces_path: "/api/otel/v1/traces",
        gzip: false,
        headers: &[Header::Bearer("authorization", "api_key")],
        mask_var: "AUTOMAGIK_MASK_LANGWATCH",
        mask_toml: "providers.langwatch.mask",
        signals: TRACES_ONLY,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::Plain,
    },
    Preset {
        name: "langsmith",
        title: "LangSmith",
        keys: &[
            key("api_key", "LANGSMITH_API_KEY", true, true, "API key"),
            key("project", "LANGSMITH_PROJECT", false, false, "project name"),
            base(
                "endpoint",
                "LANGSMITH_ENDPOINT",
                "https://api.smith.langchain.com",
                "base URL",
            ),
        ],
        base_key: "endpoint",
        traces_path: "/otel/v1/traces",
        gzip: false,
        headers: &[
            Header::Key("x-api-key", "api_key"),
            Header::Key("langsmith-project", "project"),
        ],
        mask_var: "AUTOMAGIK_MASK_LANGSMITH",
        mask_toml: "providers.langsmith.mask",
        signals: TRACES_ONLY,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::LangSmith,
    },
    Preset {
        name: "honeycomb",
        title: "Honeycomb",
        keys: &[
            key("api_key", "HONEYCOMB_API_KEY", true, true, "API key"),
            key(
                "dataset",
                "HONEYCOMB_DATASET",
                false,
                false,
                "dataset (classic environments only)",
            ),
            base(
                "endpoint",
                "HONEYCOMB_API_ENDPOINT",
                "https://api.honeycomb.io",
                "base URL; EU: https://api.eu1.honeycomb.io",
            ),
        ],
        base_key: "endpoint",
        traces_path: "/v1/traces",
        gzip: true,
        headers: &[
            Header::Key("x-honeycomb-team", "api_key"),
            Header::Key("x-honeycomb-dataset", "dataset"),
        ],
        mask_var: "AUTOMAGIK_MASK_HONEYCOMB",
        mask_toml: "providers.honeycomb.mask",
        signals: ALL_SIGNALS,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::Plain,
    },
    Preset {
        name: "logfire",
        title: "Logfire",
        keys: &[
            key("token", "LOGFIRE_TOKEN", true, true, "write token"),
            base(
                "base_url",
                "LOGFIRE_BASE_URL",
                "https://logfire-us.pydantic.dev",
                "base URL; EU: https://logfire-eu.pydantic.dev",
            ),
        ],
        base_key: "base_url",
        traces_path: "/v1/traces",
        gzip: true,
        headers: &[Header::Key("authorization", "token")],
        mask_var: "AUTOMAGIK_MASK_LOGFIRE",
        mask_toml: "providers.logfire.mask",
        signals: ALL_SIGNALS,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::Plain,
    },
    Preset {
        name: "otlp",
        title: "OTLP endpoint",
        keys: &[
            key(
                "endpoint",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                false,
                false,
                "base URL of an OTLP/HTTP receiver; /v1/traces is appended",
            ),
            key(
                "traces_endpoint",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                false,
                false,
                "full traces URL, used as is",
            ),
            key(
                "logs_endpoint",
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                false,
                false,
                "full logs URL, used as is",
            ),
            key(
                "metrics_endpoint",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                false,
                false,
                "full metrics URL, used as is",
            ),
            key(
                "headers",
                "OTEL_EXPORTER_OTLP_HEADERS",
                true,
                false,
                "k=v,k2=v2 (URL-encoded values)",
            ),
            key(
                "certificate",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                false,
                false,
                "CA file to trust besides the system's",
            ),
            key(
                "compression",
                "OTEL_EXPORTER_OTLP_COMPRESSION",
                false,
                false,
                "gzip or none",
            ),
        ],
        base_key: "endpoint",
        traces_path: "/v1/traces",
        gzip: false,
        headers: &[Header::List("headers")],
        mask_var: "AUTOMAGIK_MASK_OTLP",
        mask_toml: "providers.otlp.mask",
        signals: ALL_SIGNALS,
        endpoint_hint: Some("OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)"),
        certificate_var: Some("OTEL_EXPORTER_OTLP_CERTIFICATE"),
        shared_base: false,
        profile: Profile::Plain,
    },
    Preset {
        name: "phoenix",
        title: "Arize Phoenix",
        keys: &[
            key(
                "collector_endpoint",
                "PHOENIX_COLLECTOR_ENDPOINT",
                false,
                false,
                "base URL of your Phoenix, e.g. http://localhost:6006",
            ),
            key(
                "api_key",
                "PHOENIX_API_KEY",
                true,
                false,
                "API key (Phoenix Cloud, or a Phoenix with authentication on)",
            ),
            key(
                "project_name",
                "PHOENIX_PROJECT_NAME",
                false,
                false,
                "project the traces go to (Phoenix's `default` when unset)",
            ),
        ],
        base_key: "collector_endpoint",
        traces_path: "/v1/traces",
        gzip: true,
        headers: &[Header::Bearer("authorization", "api_key")],
        mask_var: "AUTOMAGIK_MASK_PHOENIX",
        mask_toml: "providers.phoenix.mask",
        signals: TRACES_ONLY,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: false,
        profile: Profile::OpenInference,
    },
    Preset {
        name: "mlflow",
        title: "MLflow",
        keys: &[
            key(
                "tracking_uri",
                "MLFLOW_TRACKING_URI",
                false,
                true,
                "base URL of your MLflow server, e.g. http://localhost:5000",
            ),
            key(
                "experiment_id",
                "MLFLOW_EXPERIMENT_ID",
                false,
                true,
                "experiment the traces go to (0 is the default experiment)",
            ),
            key(
                "tracking_token",
                "MLFLOW_TRACKING_TOKEN",
                true,
                false,
                "token, when the server asks for one",
            ),
        ],
        base_key: "tracking_uri",
        traces_path: "/v1/traces",
        gzip: false,
        headers: &[
            Header::Key("x-mlflow-experiment-id", "experiment_id"),
            Header::Bearer("authorization", "tracking_token"),
        ],
        mask_var: "AUTOMAGIK_MASK_MLFLOW",
        mask_toml: "providers.mlflow.mask",
        signals: TRACES_ONLY,
        endpoint_hint: None,
        certificate_var: None,
        shared_base: true,
        profile: Profile::MLflow,
    },
];

/// The name of the always-available local store provider.
pub const LOCAL: &str = "local";
/// The local store's mask mode variable.
pub const LOCAL_MASK_VAR: &str = "AUTOMAGIK_MASK_LOCAL";
/// The local store's mask mode in `tracing.toml`.
pub const LOCAL_MASK_TOML: &str = "providers.local.mask";
/// The local store keeps every signal.
pub const LOCAL_SIGNALS: Signals = ALL_SIGNALS;

/// Every provider name, `local` included, for messages and completions.
pub fn provider_names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).chain([LOCAL]).collect()
}

/// Each provider's mask variable, `local` included: (provider, variable, `tracing.toml` key).
pub fn mask_vars() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    PRESETS
        .iter()
        .map(|p| (p.name, p.mask_var, p.mask_toml))
        .chain([(LOCAL, LOCAL_MASK_VAR, LOCAL_MASK_TOML)])
}

/// The signals a provider accepts (`local` keeps all of them).
pub fn signals(name: &str) -> Option<Signals> {
    match name {
        LOCAL => Some(LOCAL_SIGNALS),
        _ => preset(name).map(|p| p.signals),
    }
}

/// The row of a remote provider by name; `None` for `local` and unknown names.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

impl Preset {
    /// The key with this short name (`secret_key`, `host`...).
    pub fn key(&self, short: &str) -> Option<&'static KeySpec> {
        self.keys.iter().find(|k| k.short == short)
    }

    /// The key that must be present for an endpoint to exist: the first required one, or
    /// for `otlp` the endpoint itself.
    pub fn primary_key(&self) -> &'static KeySpec {
        self.keys
            .iter()
            .find(|k| k.required)
            .unwrap_or(&self.keys[0])
    }
}

/// A base URL, reduced to its origin when it carries an ingestion path.
#[derive(Debug, PartialEq)]
pub struct BaseUrl {
    /// The base URL, without a trailing slash.
    pub url: String,
    /// Set when the value was reduced: the base URL the user should write instead.
    pub reduced_from: Option<String>,
}

/// Checks a base URL and drops a trailing `/v1/traces` path (with whatever precedes it),
/// since the preset appends its own path. `Err` says what is wrong with the value.
pub fn normalize_base_url(value: &str) -> Result<BaseUrl, String> {
    let value = value.trim();
    // What an error may show of the value: a token in its query or userinfo never.
    let shown = crate::mask::url::display(value);
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(format!(
            "`{shown}` is not a URL (expected http:// or https://)"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        // Never echo it: the part before `@` is a password.
        return Err("the URL carries credentials (user:password@): put them in OTEL_EXPORTER_OTLP_HEADERS or the provider's key variables instead".into());
    }
    if scheme != "http" && scheme != "https" {
        return Err(format!("`{shown}` must start with http:// or https://"));
    }
    if authority.is_empty() {
        return Err(format!("`{shown}` has no host"));
    }
    if value.contains(char::is_whitespace) || value.contains(['?', '#']) {
        return Err(format!(
            "`{shown}` must be a base URL without spaces, a query (?) or a fragment (#)"
        ));
    }
    let path = path.trim_end_matches('/');
    if path.ends_with("/v1/traces") {
        return Ok(BaseUrl {
            url: format!("{scheme}://{authority}"),
            reduced_from: Some(value.to_string()),
        });
    }
    Ok(BaseUrl {
        url: format!("{scheme}://{authority}{path}"),
        reduced_from: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingestion_path_is_reduced_to_origin() {
        let base = normalize_base_url("https://app.langwatch.ai/api/v1/traces").unwrap();
        assert_eq!(base.url, "https://app.langwatch.ai");
        assert!(base.reduced_from.is_some());
    }

    #[test]
    fn base_path_prefix_and_trailing_slash() {
        let base = normalize_base_url("https://lf.example.com/langfuse/").unwrap();
        assert_eq!(base.url, "https://lf.example.com/langfuse");
        assert_eq!(base.reduced_from, None);
    }

    #[test]
    fn non_urls_are_refused() {
        assert!(normalize_base_url("cloud.langfuse.com").is_err());
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url("https:///x").is_err());
        assert!(normalize_base_url("https://host?x=1").is_err());
        assert!(normalize_base_url("https://a b/x").is_err());
        assert_eq!(
            normalize_base_url("HTTPS://host").unwrap().url,
            "https://host"
        );
        let err = normalize_base_url("https://user:hunter2@host").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err = normalize_base_url("https://h/?token=sk-hunter2#x").unwrap_err();
        assert!(
            err.contains("`https://h/?token=[REDACTED]#[REDACTED]`"),
            "{err}"
        );
    }

    #[test]
    fn every_preset_has_its_base_key_and_a_primary_key() {
        for preset in PRESETS {
            assert!(preset.key(preset.base_key).is_some(), "{}", preset.name);
            let _ = preset.primary_key();
        }
        assert_eq!(
            preset("langfuse").unwrap().primary_key().var,
            "LANGFUSE_PUBLIC_KEY"
        );
    }

    #[test]
    fn every_row_is_consistent() {
        for preset in PRESETS {
            let name = preset.name;
            for header in preset.headers {
                let keys: &[&str] = match header {
                    Header::Key(_, k) | Header::Bearer(_, k) | Header::List(k) => &[*k][..],
                    Header::Basic(_, user, password) => &[*user, *password][..],
                    Header::Fixed(..) => &[],
                };
                for key in keys {
                    assert!(preset.key(key).is_some(), "{name}: header key {key}");
                }
            }
            assert_eq!(
                preset.mask_var,
                format!("AUTOMAGIK_MASK_{}", name.to_ascii_uppercase()),
            );
            assert_eq!(preset.mask_toml, format!("providers.{name}.mask"));
            assert!(preset.signals.traces, "{name}");
            let secret_keys = preset.keys.iter().filter(|k| k.secret).count();
            assert!(
                secret_keys > 0,
                "{name}: a hint after 401 names its secret keys"
            );
        }
        let names = provider_names();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
    }
}
