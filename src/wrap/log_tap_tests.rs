//! The receiver's log tap: a logs request over OTLP/HTTP (protobuf and JSON) and OTLP/gRPC
//! reaches it decoded, and is still answered as before.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message;

use crate::span::Span;
use crate::wrap::agents::log_events;
use crate::wrap::receiver::{DEFAULT_BODY_LIMIT, LogTap, Receiver};

fn logs_request(event: &str) -> ExportLogsServiceRequest {
    let text = |s: &str| AnyValue {
        value: Some(any_value::Value::StringValue(s.into())),
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: 1_800_000_000_000_000_000,
                    body: Some(text(event)),
                    attributes: vec![KeyValue {
                        key: "event.name".into(),
                        value: Some(text(event)),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A receiver whose tap keeps the event names it reads.
fn tapped() -> (Receiver, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let names = seen.clone();
    let tap: LogTap = Arc::new(move |request: &ExportLogsServiceRequest| {
        let events = log_events(request);
        let mut names = names.lock().unwrap();
        names.extend(events.iter().map(|e| e.name().to_string()));
    });
    let receiver = Receiver::bind()
        .unwrap()
        .serve(
            Arc::new(|_: Vec<Span>, _| {}),
            Arc::new(|_, _| {}),
            Some(tap),
            None,
            DEFAULT_BODY_LIMIT,
        )
        .unwrap();
    (receiver, seen)
}

/// POSTs `body` to `/v1/logs` over HTTP/1.1; the status code.
fn post_logs(addr: SocketAddr, content_type: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /v1/logs HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer[9..12].parse().unwrap()
}

/// Calls `LogsService/Export` over h2c; the `grpc-status` (3 is `INVALID_ARGUMENT`).
fn call_grpc_logs(addr: SocketAddr, message: &[u8]) -> String {
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::post(format!(
            "http://{addr}/opentelemetry.proto.collector.logs.v1.LogsService/Export"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(hyper::body::Bytes::from(framed)))
        .unwrap();
        let response = sender.send_request(request).await.unwrap();
        // A refusal comes trailers-only: its status in the headers.
        let early = response.headers().get("grpc-status").cloned();
        let collected = response.into_body().collect().await.unwrap();
        let status = early.or_else(|| collected.trailers()?.get("grpc-status").cloned());
        status.map_or(String::new(), |v| v.to_str().unwrap().to_string())
    })
}

#[test]
fn the_log_tap_reads_logs_over_http_and_grpc() {
    let (receiver, seen) = tapped();
    let protobuf = logs_request("over-protobuf").encode_to_vec();
    assert_eq!(
        post_logs(receiver.addr, "application/x-protobuf", &protobuf),
        200
    );
    let json = serde_json::to_vec(&logs_request("over-json")).unwrap();
    assert_eq!(post_logs(receiver.addr, "application/json", &json), 200);
    let grpc = logs_request("over-grpc").encode_to_vec();
    assert_eq!(call_grpc_logs(receiver.addr, &grpc), "0");
    assert_eq!(
        *seen.lock().unwrap(),
        ["over-protobuf", "over-json", "over-grpc"]
    );
    // A logs body that is not OTLP is refused once something reads it.
    assert_eq!(
        post_logs(receiver.addr, "application/x-protobuf", b"\xff\xff garbage"),
        400
    );
    assert_eq!(call_grpc_logs(receiver.addr, b"\xff\xff garbage"), "3");
}
