//! `intake::approx_size` against the heap a span really takes: the queue's byte cap
//! (`AUTOMAGIK_QUEUE_MAX_BYTES`) is only a memory bound if the estimate covers what the
//! allocator is asked for. Counted with an allocator that wraps the system's and counts
//! on the threads that ask it to (this test binary's global allocator; other tests pay
//! one thread-local read per allocation). Other modules' tests count allocations with it
//! too ([`allocations_of`]: the wrapper's receiver allocates nothing per span to read it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::intake::approx_size;
use crate::span::{Resource, Scope, Span, Value, fixtures, into_spans, to_request};

thread_local! {
    /// Bytes allocated minus bytes freed on this thread while counting; `None` otherwise.
    static LIVE: Cell<Option<isize>> = const { Cell::new(None) };
    /// Allocations (and reallocations) on this thread while counting; `None` otherwise.
    static ALLOCS: Cell<Option<u64>> = const { Cell::new(None) };
}

struct Counting;

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        if let Some(bytes) = live.get() {
            live.set(Some(bytes + delta));
        }
    });
}

fn count_allocation() {
    let _ = ALLOCS.try_with(|allocs| {
        if let Some(n) = allocs.get() {
            allocs.set(Some(n + 1));
        }
    });
}

// SAFETY: every call is passed to the system allocator unchanged; counting only reads and
// writes a thread-local cell (const-initialised, so it never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        count_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count(size as isize - layout.size() as isize);
        count_allocation();
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What `make` leaves allocated on this thread, in bytes.
fn heap_of<T>(make: impl FnOnce() -> T) -> (T, usize) {
    LIVE.with(|live| live.set(Some(0)));
    let made = make();
    let bytes = LIVE.with(|live| live.replace(None)).unwrap_or(0);
    (made, bytes.max(0) as usize)
}

/// How many allocations (and reallocations) `run` asks for on this thread.
pub(crate) fn allocations_of<T>(run: impl FnOnce() -> T) -> (T, u64) {
    ALLOCS.with(|allocs| allocs.set(Some(0)));
    let ran = run();
    let allocations = ALLOCS.with(|allocs| allocs.replace(None)).unwrap_or(0);
    (ran, allocations)
}

/// Spans as the receiver makes them (protobuf decoded, then moved into spans), with long
/// values, arrays and events beside the usual attributes.
fn received() -> Vec<u8> {
    let resource = Arc::new(Resource::service("load"));
    let scope = Arc::new(Scope::default());
    let mut spans = fixtures::sample();
    for i in 0..200 {
        let mut span = Span::start(format!("chat #{i}"), None, resource.clone(), scope.clone());
        span.set("gen_ai.request.model", "gpt-4o")
            .set("gen_ai.usage.input_tokens", i as i64)
            .set("gen_ai.prompt", "x".repeat(i * 7))
            .set(
                "tags",
                Value::Array(vec!["a".into(), format!("b{i}").into()]),
            );
        spans.push(span);
    }
    to_request(&spans).encode_to_vec()
}

#[test]
fn the_estimate_covers_the_heap_a_received_span_takes() {
    let body = received();
    let (spans, heap) = heap_of(|| {
        let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("decodes");
        into_spans(request).0
    });
    // The queue holds each span inline (its struct is in the estimate), not in this Vec.
    let vec_buffer = spans.capacity() * std::mem::size_of::<Span>();
    let real = heap - vec_buffer + spans.len() * std::mem::size_of::<Span>();
    let estimated: usize = spans.iter().map(approx_size).sum();
    assert!(
        estimated >= real,
        "estimated {estimated} bytes for {real} allocated: the byte cap would be exceeded"
    );
    assert!(
        estimated <= real * 3 / 2,
        "estimated {estimated} bytes for {real} allocated: the queue would hold far fewer spans than its cap allows"
    );
}
