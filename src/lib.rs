//! automagik-tracing: tracing and anonymous usage telemetry for AI agents.
//!
//! The library face: [`config::Settings`] (resolved from flags, environment, `.env`,
//! `tracing.toml` and defaults, each value with its source), [`engine::Engine`] (record
//! spans; it batches, masks, exports, spools) and [`span::Span`].
//!
//! Cargo features: `cli` (default) adds the command line (`cli`, `ui` and `run`, the
//! entry point of the `automagik-tracing` binary) and what only it needs: clap, the
//! wizard, progress bars, colours and mimalloc. A library user who records spans builds
//! with `default-features = false`. `testing` adds the in-memory exporter double
//! (`export::memory`). `otel-sdk` adds `otel_sdk::EngineExporter`, the OpenTelemetry
//! Rust SDK's `SpanExporter` on top of the engine, for agents instrumented with
//! `opentelemetry` or `tracing` + `tracing-opentelemetry`.

#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod allocator;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod mask;
#[cfg(feature = "otel-sdk")]
pub mod otel_sdk;
pub mod presets;
pub mod profile;
pub mod semantic;
pub mod span;
#[cfg(feature = "cli")]
pub mod startup;
pub mod stderr;
pub mod sync;
pub mod telemetry;
pub mod traces;
#[cfg(feature = "cli")]
pub mod ui;
/// Public only for the encode benchmark; not part of the library's API.
#[doc(hidden)]
pub mod wire;
pub mod wrap;

pub use config::{Config, LoadOptions, Settings};
pub use error::{Error, Result};

/// Runs the command line; returns the exit code for success, or the error to report.
#[cfg(feature = "cli")]
pub fn run(invocation: cli::Invocation) -> Result<u8> {
    commands::dispatch(invocation)
}
