//! Integration tests: each runs the real `automagik-tracing` binary in a temp dir with an
//! environment of its own (never the one the tests inherit).

// Helpers of the tests panic on what they cannot set up, as the tests do.
#![allow(clippy::unwrap_used)]

mod agents;
mod agents_codex;
mod assets;
mod configure;
mod configure_layers;
mod engine;
mod flush;
mod goldens;
mod id;
mod interop;
mod masking;
mod private_files;
mod process_start;
#[cfg(feature = "otel-sdk")]
mod rust_sdk;
mod settings;
mod settings_input;
mod sink;
mod spool_destination;
mod spool_faults;
mod status;
mod telemetry;
mod test_export;
mod testenv;
mod traces;
mod traces_index;
mod wizard;
mod wrap;
mod wrap_backpressure;
mod wrap_faults;
mod wrap_sampling;
mod wrap_sdks;
mod wrap_signals;
mod wrap_time;
