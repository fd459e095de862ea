//! Each dialect's attributes, as its library writes them, read into one meaning: here the
//! span builder the tests share, a file per dialect family and per reading in `tests/`.

use std::sync::Arc;

use super::*;
use crate::span::{Resource, Scope, Value};

mod genai;
mod instrumentations;
mod pricing;
mod reading;
mod sdks;

fn span(name: &str, attributes: &[(&str, Value)]) -> Span {
    let mut span = Span::start(
        name,
        None,
        Arc::new(Resource::service("t")),
        Arc::new(Scope::default()),
    );
    for (key, value) in attributes {
        span.set(key.to_string(), value.clone());
    }
    span
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn i(n: i64) -> Value {
    Value::Int(n)
}
