//! automagik-tracing: tracing and anonymous usage telemetry for AI agents.
//!
//! The library face: [`config::Settings`] (resolved from flags, environment, `.env`,
//! `tracing.toml` and defaults, each value with its source) and [`run`], the entry point
//! of the `automagik-tracing` binary.

pub mod cli;
mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod mask;
pub mod span;
pub mod sync;
pub mod telemetry;
pub mod traces;
pub mod ui;
pub mod wire;
pub mod wrap;

pub use config::{Config, LoadOptions, Settings};
pub use error::{Error, Result};

/// Runs the command line; returns the exit code for success, or the error to report.
pub fn run(invocation: cli::Invocation) -> Result<u8> {
    commands::dispatch(invocation)
}
