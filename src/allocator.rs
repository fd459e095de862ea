//! How the binary's allocator (mimalloc, `src/main.rs`; the engine bench uses it too)
//! gives freed memory back to the system. Spans are allocated on the receiver's threads
//! and freed on the export threads, and a busy receiver frees as fast as it allocates.
//! Measured with `benches/wrap_load.rs` (a child sending 100,000 spans/s for 30 s, a
//! quiet machine, the queue never full): a live heap of about 8 MiB, and a peak RSS of
//! 71 MiB with mimalloc v2 (it postpones returning freed pages each time more are freed,
//! so under steady churn it never does), 44 MiB with v3 and its default 1 s delay, 36–38
//! MiB with 30 ms and 40–41 MiB with the 100 ms set here. With the queue full (a provider
//! slower than the child): 112–117, 89 and 77 MiB. The delay costs throughput: the
//! engine's end-to-end bench on a quiet machine ran 502k spans/s with 1 s, 482k with
//! 100 ms and 450k with 30 ms; an immediate return cost a third more CPU per span. 100 ms
//! keeps the receiver within its 50 MiB and the wrapper within its bound at about 4 % of
//! throughput, where 30 ms cost 10 %.

use std::ffi::{c_int, c_long};

// The functions below are mimalloc's own; this links its library wherever they are used.
extern crate mimalloc as _;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (`mimalloc.h`; the binding crate
/// names only some of the options).
const MI_OPTION_PURGE_DELAY: c_int = 15;
/// Milliseconds mimalloc keeps freed pages before it returns them to the system.
pub const PURGE_DELAY_MS: c_long = 100;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// Has mimalloc return freed pages after [`PURGE_DELAY_MS`], unless
/// `MIMALLOC_PURGE_DELAY` in the environment says otherwise (mimalloc reads it itself).
/// Call it first thing in `main`.
pub fn return_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain setter of an option mimalloc reads at each purge decision; the
        // index is `mi_option_purge_delay` in mimalloc v2 and v3 alike.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

/// How long mimalloc keeps freed pages now, in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: a plain getter; the index is within `mi_option_t`.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_pages_go_back_within_the_delay_set_here() {
        // The tests' environment sets no MIMALLOC_PURGE_DELAY (mimalloc's v3 default is
        // 1,000 ms).
        assert!(std::env::var_os("MIMALLOC_PURGE_DELAY").is_none());
        return_freed_memory_promptly();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
