//! Why the loopback receiver refuses a request: the reasons it counts, the answer each
//! gets (per the OTLP/HTTP spec), and the sentence that reports them to the user.

use std::collections::BTreeMap;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

/// Why the receiver refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 413: the body, decompressed or not, or its count of spans and values is too large.
    TooLarge,
    /// 400: not an OTLP request, or a corrupt gzip body.
    Malformed,
    /// 415: neither protobuf nor JSON.
    WrongType,
    /// 404: a path other than `/v1/traces`, `/v1/metrics` or `/v1/logs`.
    WrongPath,
    /// 405: not a POST.
    WrongMethod,
    /// 408: the body did not arrive in time.
    Timeout,
}

impl Refusal {
    /// Every reason, in the order reports list them.
    pub const ALL: [Refusal; 6] = [
        Refusal::TooLarge,
        Refusal::Malformed,
        Refusal::WrongType,
        Refusal::WrongPath,
        Refusal::WrongMethod,
        Refusal::Timeout,
    ];

    /// The name it is counted under in the run's metrics.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too_large",
            Refusal::Malformed => "malformed",
            Refusal::WrongType => "wrong_content_type",
            Refusal::WrongPath => "wrong_path",
            Refusal::WrongMethod => "wrong_method",
            Refusal::Timeout => "timeout",
        }
    }

    fn label(key: &str) -> &str {
        match key {
            "too_large" => "too large",
            "malformed" => "not OTLP",
            "wrong_content_type" => "neither protobuf nor JSON",
            "wrong_path" => "to an unknown path",
            "wrong_method" => "not a POST",
            "timeout" => "too slow to arrive",
            other => other,
        }
    }

    pub(super) fn response(self) -> Response<Full<Bytes>> {
        let (status, message) = match self {
            Refusal::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body, or its count of spans and attributes, is larger than the receiver accepts",
            ),
            Refusal::Malformed => (
                StatusCode::BAD_REQUEST,
                "the body is not an OTLP ExportTraceServiceRequest",
            ),
            Refusal::WrongType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send application/x-protobuf or application/json",
            ),
            Refusal::WrongPath => (
                StatusCode::NOT_FOUND,
                "only /v1/traces, /v1/metrics and /v1/logs are served here",
            ),
            Refusal::WrongMethod => (StatusCode::METHOD_NOT_ALLOWED, "use POST"),
            Refusal::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            ),
        };
        plain(status, message)
    }
}

/// "the command sent 3 requests the receiver refused: 2 too large, 1 not OTLP", or `None`
/// when nothing was refused.
pub fn describe_refused(refused: &BTreeMap<String, u64>) -> Option<String> {
    let total: u64 = refused.values().sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = refused
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(key, n)| format!("{n} {}", Refusal::label(key)))
        .collect();
    let requests = if total == 1 { "request" } else { "requests" };
    Some(format!(
        "the command sent {total} {requests} the receiver refused: {}",
        parts.join(", ")
    ))
}

fn plain(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(message.as_bytes())))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_by_count_and_reason() {
        let mut refused = BTreeMap::new();
        assert_eq!(describe_refused(&refused), None);
        refused.insert(Refusal::TooLarge.key().to_string(), 1);
        assert_eq!(
            describe_refused(&refused).unwrap(),
            "the command sent 1 request the receiver refused: 1 too large"
        );
        refused.insert(Refusal::Malformed.key().to_string(), 2);
        assert_eq!(
            describe_refused(&refused).unwrap(),
            "the command sent 3 requests the receiver refused: 2 not OTLP, 1 too large"
        );
    }
}
