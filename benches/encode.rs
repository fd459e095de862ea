//! Encoding throughput: GenAI spans with 10 attributes to OTLP protobuf (prost's own
//! `encode_to_vec` beside `wire::encode`, and `wire::encode_spans`, which the engine
//! uses for OTLP/HTTP: span by span, without the request), and protobuf+gzip.
//! Each figure includes building the request from the spans (a copy of the batch). Prints spans/s and MB/s;
//! asserts nothing. Run with `cargo bench --bench encode`.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set up panics, as a test does

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

#[path = "common.rs"]
mod common;

use automagik_tracing::span::{Resource, Scope, Span, to_request};
use automagik_tracing::wire;
use common::genai_span;
use prost::Message;

const BATCH: usize = 512;
const ROUNDS: usize = 200;

fn main() {
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope {
        name: "bench".into(),
        ..Default::default()
    });
    let spans: Vec<Span> = (0..BATCH)
        .map(|i| genai_span(&resource, &scope, i))
        .collect();

    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..ROUNDS {
        bytes += to_request(&spans).encode_to_vec().len();
    }
    report("prost", start.elapsed().as_secs_f64(), bytes);

    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..ROUNDS {
        bytes += wire::encode(&to_request(&spans)).len();
    }
    report("wire", start.elapsed().as_secs_f64(), bytes);

    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..ROUNDS {
        bytes += wire::encode_spans(spans.clone(), |_, _| {}, |_| {}).len();
    }
    report("span by span", start.elapsed().as_secs_f64(), bytes);

    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..ROUNDS {
        let body = wire::encode(&to_request(&spans));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body).unwrap();
        bytes += body.len();
        let compressed = gz.finish().unwrap();
        std::hint::black_box(compressed);
    }
    report("wire+gzip", start.elapsed().as_secs_f64(), bytes);
}

fn report(what: &str, secs: f64, bytes: usize) {
    let spans = (BATCH * ROUNDS) as f64;
    println!(
        "{what:<14} {:>10.0} spans/s  {:>7.1} MB/s (uncompressed protobuf)  {:.0} bytes/span",
        spans / secs,
        bytes as f64 / secs / 1e6,
        bytes as f64 / spans
    );
}
