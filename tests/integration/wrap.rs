//! `run --wrap`: exit codes, signals, trace context, the receiver, and the Python SDK as a
//! wrapped child whose spans reach the provider in the run's trace; a file per behaviour
//! in `wrap/`, and here the helpers the other tests of wrapped runs share.

use automagik_tracing::span::{Span, from_request};

use crate::sink::Sink;

mod child;
mod python_child;
mod receiver;
mod run_span;
mod slow_provider;

pub use self::python_child::run_python_example;
pub use self::receiver::{Sleeper, a_small_request, post};

/// The spans of every request the sink accepted.
pub fn delivered(sink: &Sink) -> Vec<Span> {
    sink.requests()
        .iter()
        .filter(|r| r.status < 300 && r.path.ends_with("/v1/traces"))
        .flat_map(|r| from_request(&r.decode()).0)
        .collect()
}
