//! What the wrapped command's environment gets so that whichever OpenTelemetry SDK it runs
//! sends to the receiver: the standard `OTEL_EXPORTER_OTLP_*` variables, in the protocol
//! the user chose when the receiver speaks it, and the variables of SDKs that read their
//! own (Phoenix, OpenLLMetry); or, with no receiver, the switches that turn them off.

use std::collections::HashMap;
use std::net::SocketAddr;

/// Set in the child's environment to the receiver's endpoint: a wrapper that finds it is
/// nested in another, and sends only there (the outer one masks, samples and exports).
pub const RECEIVER_MARKER: &str = "AUTOMAGIK_TRACING_RECEIVER";

/// The OTLP protocol the child's SDK is told to use. The receiver speaks all three on one
/// port, so the user's choice is kept; anything else becomes `http/protobuf`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    #[default]
    /// OTLP/HTTP with protobuf bodies: what the wrapper asks for by default.
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies.
    HttpJson,
    /// OTLP/gRPC (on the same port: the receiver speaks both).
    Grpc,
}

impl Protocol {
    /// The protocol the user chose for traces (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, then
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`), when it is one the receiver speaks.
    pub fn chosen(env: &HashMap<String, String>) -> Protocol {
        [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ]
        .iter()
        .find_map(|var| env.get(*var).filter(|v| !v.trim().is_empty()))
        .map_or(Protocol::HttpProtobuf, |v| {
            match v.trim().to_ascii_lowercase().as_str() {
                "grpc" => Protocol::Grpc,
                "http/json" => Protocol::HttpJson,
                _ => Protocol::HttpProtobuf,
            }
        })
    }

    /// The value of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
            Protocol::Grpc => "grpc",
        }
    }
}

/// Points the child's SDKs at the receiver on `addr` (every signal, when discarding, so no
/// signal-specific endpoint it inherited carries content past it).
///
/// The SDK-specific variables are set even when the user set them: they are also this
/// tool's own provider variables (`PHOENIX_COLLECTOR_ENDPOINT`), and what the child sends
/// must pass through the receiver, where masking applies, on its way there.
pub fn point_child_at(
    addr: SocketAddr,
    protocol: Protocol,
    every_signal: bool,
    env: &mut Vec<(String, String)>,
) {
    let endpoint = format!("http://{addr}");
    let mut set = |k: &str, v: String| env.push((k.to_string(), v));
    // A gRPC exporter takes a signal's endpoint as is, with no path to add.
    let signal_endpoint = |signal: &str| match protocol {
        Protocol::Grpc => endpoint.clone(),
        _ => format!("{endpoint}/v1/{signal}"),
    };
    set("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone());
    set(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        signal_endpoint("traces"),
    );
    set("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.as_str().into());
    set(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        protocol.as_str().into(),
    );
    // The receiver is plaintext: a gRPC exporter told otherwise would try TLS and fail.
    set("OTEL_EXPORTER_OTLP_INSECURE", "true".into());
    set("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "true".into());
    if every_signal {
        for signal in ["logs", "metrics"] {
            let upper = signal.to_ascii_uppercase();
            set(
                &format!("OTEL_EXPORTER_OTLP_{upper}_ENDPOINT"),
                signal_endpoint(signal),
            );
            set(
                &format!("OTEL_EXPORTER_OTLP_{upper}_PROTOCOL"),
                protocol.as_str().into(),
            );
        }
    }
    // Phoenix (`phoenix.otel.register`): without a protocol it speaks gRPC to the
    // endpoint's host on PHOENIX_GRPC_PORT (4317 by default), HTTP with `/v1/traces`.
    set("PHOENIX_COLLECTOR_ENDPOINT", endpoint.clone());
    set("PHOENIX_GRPC_PORT", addr.port().to_string());
    // OpenLLMetry (`Traceloop.init`) ignores OTEL_EXPORTER_OTLP_*; with a base URL of its
    // own it needs no API key, and appends `/v1/traces`.
    set("TRACELOOP_BASE_URL", endpoint.clone());
    set(RECEIVER_MARKER, endpoint);
}

/// Switches the child's SDKs off, the fallback when no receiver runs.
pub fn seal(env: &mut Vec<(String, String)>) {
    for (k, v) in [
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("TRACELOOP_TRACING_ENABLED", "false"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_users_protocol_is_kept_when_the_receiver_speaks_it() {
        let chosen = |pairs: &[(&str, &str)]| Protocol::chosen(&env_of(pairs));
        assert_eq!(chosen(&[]), Protocol::HttpProtobuf);
        assert_eq!(
            chosen(&[("OTEL_EXPORTER_OTLP_PROTOCOL", " GRPC ")]),
            Protocol::Grpc
        );
        assert_eq!(
            chosen(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]),
            Protocol::HttpJson
        );
        assert_eq!(
            chosen(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")]),
            Protocol::HttpProtobuf
        );
        // The traces variable decides over the general one.
        assert_eq!(
            chosen(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ]),
            Protocol::Grpc
        );
    }

    #[test]
    fn every_sdk_is_pointed_at_the_receiver() {
        let addr: SocketAddr = "127.0.0.1:4999".parse().unwrap();
        let mut env = Vec::new();
        point_child_at(addr, Protocol::Grpc, true, &mut env);
        let get = |k: &str| {
            env.iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("OTEL_EXPORTER_OTLP_PROTOCOL"), Some("grpc"));
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            Some("http://127.0.0.1:4999")
        );
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
            Some("http://127.0.0.1:4999")
        );
        assert_eq!(
            get("PHOENIX_COLLECTOR_ENDPOINT"),
            Some("http://127.0.0.1:4999")
        );
        assert_eq!(get("PHOENIX_GRPC_PORT"), Some("4999"));
        assert_eq!(get("TRACELOOP_BASE_URL"), Some("http://127.0.0.1:4999"));
        let mut env = Vec::new();
        point_child_at(addr, Protocol::HttpProtobuf, false, &mut env);
        assert!(env.contains(&(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT".into(),
            "http://127.0.0.1:4999/v1/traces".into()
        )));
    }
}
