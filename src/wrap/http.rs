//! OTLP/HTTP on the receiver's port: `POST /v1/traces`, `/v1/logs` and `/v1/metrics` in
//! protobuf or JSON, gzip (one member or several) or not, answered per the OTLP/HTTP spec:
//! 200 with the service's response, 400 malformed, 413 too large, 415 wrong content type,
//! 503 with `Retry-After` when the engine's queue has no room for the request.
//! The body is read under the receiver's bounds (one of [`REQUESTS_AT_ONCE`] permits, the
//! byte limit, [`BODY_READ_TIMEOUT`]) and decoded on a blocking thread by the same
//! [`take_traces`] and [`take_records`] as gRPC's.
//!
//! [`REQUESTS_AT_ONCE`]: super::receiver::REQUESTS_AT_ONCE

use std::io::Read;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use prost::Message;

use crate::presets::Signal;
use crate::wrap::receiver::{BODY_READ_TIMEOUT, Format, Shared, take_records, take_traces};
use crate::wrap::refusal::Refusal;

/// The signal an OTLP/HTTP path asks for. Extra slashes are forgiven: SDKs that join a
/// base URL ending in `/` with a path beginning with one (the Langfuse SDK does) send
/// `//v1/traces`.
fn signal_of_path(path: &str) -> Option<Signal> {
    match path.trim_start_matches('/').trim_end_matches('/') {
        "v1/traces" => Some(Signal::Traces),
        "v1/logs" => Some(Signal::Logs),
        "v1/metrics" => Some(Signal::Metrics),
        _ => None,
    }
}

/// What a request asks for, read from its head.
struct Asked {
    signal: Signal,
    format: Format,
    gzip: bool,
}

fn read_head(req: &Request<Incoming>, body_limit: usize) -> std::result::Result<Asked, Refusal> {
    let signal = signal_of_path(req.uri().path()).ok_or(Refusal::WrongPath)?;
    if req.method() != Method::POST {
        return Err(Refusal::WrongMethod);
    }
    let content_type = header(req, "content-type").to_ascii_lowercase();
    let format = match content_type.split(';').next().unwrap_or("").trim() {
        "application/x-protobuf" | "application/protobuf" => Format::Protobuf,
        "application/json" => Format::Json,
        _ => return Err(Refusal::WrongType),
    };
    if header(req, "content-length")
        .parse::<usize>()
        .is_ok_and(|n| n > body_limit)
    {
        return Err(Refusal::TooLarge);
    }
    Ok(Asked {
        signal,
        format,
        gzip: header(req, "content-encoding").eq_ignore_ascii_case("gzip"),
    })
}

pub(super) async fn receive(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> std::result::Result<Response<Full<Bytes>>, Refusal> {
    let asked = read_head(&req, shared.body_limit)?;
    let Ok(_reading) = shared.reading.acquire().await else {
        return Err(Refusal::Timeout);
    };
    let collect = Limited::new(req.into_body(), shared.body_limit).collect();
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, collect).await {
        Err(_) => return Err(Refusal::Timeout),
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err))
            if err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(Refusal::TooLarge);
        }
        Ok(Err(_)) => return Err(Refusal::Malformed),
    };
    let worker = shared.clone();
    tokio::task::spawn_blocking(move || decode(body, &asked, &worker))
        .await
        .unwrap_or(Err(Refusal::Malformed))
}

/// Decompresses, checks and decodes a body, and hands its spans to the sink. Runs on a
/// blocking thread.
fn decode(
    body: Bytes,
    asked: &Asked,
    shared: &Shared,
) -> std::result::Result<Response<Full<Bytes>>, Refusal> {
    let body = if asked.gzip {
        gunzip(&body, shared.body_limit)?
    } else {
        body
    };
    if asked.signal != Signal::Traces {
        take_records(body, asked.format, asked.signal, shared)?;
        // An empty Export{Logs,Metrics}ServiceResponse: no bytes, or `{}`.
        return Ok(match asked.format {
            Format::Protobuf => reply(asked.format, Bytes::new()),
            Format::Json => reply(asked.format, Bytes::from_static(b"{}")),
        });
    }
    let answer = take_traces(body, asked.format, shared)?;
    let bytes = match asked.format {
        Format::Protobuf => Bytes::from(answer.encode_to_vec()),
        Format::Json => Bytes::from(serde_json::to_vec(&answer).unwrap_or_else(|_| b"{}".to_vec())),
    };
    Ok(reply(asked.format, bytes))
}

/// Decompresses every gzip member (concatenated streams are valid per RFC 1952), up to
/// `limit` bytes.
fn gunzip(body: &[u8], limit: usize) -> std::result::Result<Bytes, Refusal> {
    let mut out = Vec::new();
    let limit = limit as u64;
    match flate2::read::MultiGzDecoder::new(body)
        .take(limit + 1)
        .read_to_end(&mut out)
    {
        Ok(_) if out.len() as u64 > limit => Err(Refusal::TooLarge),
        Ok(_) => Ok(Bytes::from(out)),
        Err(_) => Err(Refusal::Malformed),
    }
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn reply(format: Format, body: Bytes) -> Response<Full<Bytes>> {
    let content_type = match format {
        Format::Protobuf => "application/x-protobuf",
        Format::Json => "application/json",
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .body(Full::new(body))
        .expect("a valid response")
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn a_path_with_extra_slashes_asks_for_the_same_signal() {
        assert_eq!(signal_of_path("/v1/traces"), Some(Signal::Traces));
        assert_eq!(signal_of_path("//v1/traces"), Some(Signal::Traces));
        assert_eq!(signal_of_path("/v1/logs/"), Some(Signal::Logs));
        assert_eq!(signal_of_path("/v1/metrics"), Some(Signal::Metrics));
        assert_eq!(signal_of_path("/v1/trace"), None);
        assert_eq!(signal_of_path("/api/v1/traces"), None);
    }
}
