//! Why the loopback receiver refuses a request: the reasons it counts, the answer each
//! gets (per the OTLP/HTTP spec), and the sentence that reports them to the user. One
//! reason is not a loss: a request the engine's queue had no room for is asked to come
//! again ([`Refusal::QueueFull`]), and the sender's SDK retries it.

use std::collections::BTreeMap;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

use crate::wrap::scan;

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
    /// 503 with `Retry-After` (gRPC `UNAVAILABLE`): the engine's queue had no room for the
    /// request; the sender retries it, so nothing is lost unless it gives up.
    QueueFull,
}

/// The seconds a sender is asked to wait before it retries a request the queue had no
/// room for (the `Retry-After` of the 503): a batch leaves the queue within a second.
pub const RETRY_AFTER_SECS: u64 = 1;

/// How a request the scan refused before decoding it is answered.
impl From<scan::Refused> for Refusal {
    fn from(refused: scan::Refused) -> Refusal {
        match refused {
            scan::Refused::TooMany => Refusal::TooLarge,
            scan::Refused::Malformed => Refusal::Malformed,
        }
    }
}

impl Refusal {
    /// Every reason, in the order reports list them.
    pub const ALL: [Refusal; 7] = [
        Refusal::TooLarge,
        Refusal::Malformed,
        Refusal::WrongType,
        Refusal::WrongPath,
        Refusal::WrongMethod,
        Refusal::Timeout,
        Refusal::QueueFull,
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
            Refusal::QueueFull => "queue_full",
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
            "queue_full" => "asked to retry as the queue was full",
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
            Refusal::QueueFull => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the queue to the providers is full: send this request again later",
            ),
        };
        let mut response = plain(status, message);
        if self == Refusal::QueueFull {
            response
                .headers_mut()
                .insert("retry-after", RETRY_AFTER_SECS.into());
        }
        response
    }
}

/// What the receiver refused, told in one line, or `None` when it refused nothing: "the
/// command sent 3 requests the receiver refused: 2 too large, 1 not OTLP", then, apart
/// (their spans were not lost), the requests it asked to send again later.
pub fn describe_refused(refused: &BTreeMap<String, u64>) -> Option<String> {
    let retried = refused.get(Refusal::QueueFull.key()).copied().unwrap_or(0);
    let lost: Vec<(&String, u64)> = refused
        .iter()
        .filter(|(key, n)| **n > 0 && key.as_str() != Refusal::QueueFull.key())
        .map(|(key, n)| (key, *n))
        .collect();
    let total: u64 = lost.iter().map(|(_, n)| n).sum();
    let mut told = Vec::new();
    if total > 0 {
        let parts: Vec<String> = lost
            .iter()
            .map(|(key, n)| format!("{n} {}", Refusal::label(key)))
            .collect();
        told.push(format!(
            "the command sent {total} {} the receiver refused: {}",
            requests(total),
            parts.join(", ")
        ));
    }
    if retried > 0 {
        told.push(format!(
            "the receiver asked the command to send {retried} {} again later, as the queue to the providers was full: its OpenTelemetry SDK retries them, so none is lost unless it gave up (a faster provider or a larger AUTOMAGIK_QUEUE_MAX_BYTES avoids the wait)",
            requests(retried)
        ));
    }
    (!told.is_empty()).then(|| told.join("; "))
}

fn requests(n: u64) -> &'static str {
    if n == 1 { "request" } else { "requests" }
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

    #[test]
    fn requests_asked_to_retry_are_told_apart_as_not_lost() {
        let mut refused = BTreeMap::new();
        refused.insert(Refusal::QueueFull.key().to_string(), 4);
        let told = describe_refused(&refused).unwrap();
        assert!(
            told.starts_with("the receiver asked the command to send 4 requests again later"),
            "{told}"
        );
        assert!(told.contains("none is lost unless it gave up"), "{told}");
        assert!(!told.contains("refused:"), "{told}");
        refused.insert(Refusal::TooLarge.key().to_string(), 1);
        let told = describe_refused(&refused).unwrap();
        assert!(
            told.starts_with("the command sent 1 request the receiver refused: 1 too large; the receiver asked the command to send 4 requests again later"),
            "{told}"
        );
    }

    #[test]
    fn a_full_queue_is_answered_503_with_retry_after() {
        let response = Refusal::QueueFull.response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
    }
}
