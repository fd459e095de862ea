//! Integration tests: each runs the real `automagik-tracing` binary in a temp dir with an
//! environment of its own (never the one the tests inherit).

mod assets;
mod configure;
mod configure_layers;
mod engine;
mod flush;
mod id;
mod interop;
mod masking;
mod private_files;
#[cfg(feature = "otel-sdk")]
mod rust_sdk;
mod settings;
mod settings_input;
mod sink;
mod status;
mod telemetry;
mod test_export;
mod testenv;
mod traces;
mod wizard;
mod wrap;
mod wrap_faults;
mod wrap_sdks;
