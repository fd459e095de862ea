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

use std::ffi::{c_char, c_int, c_long};

// The functions below are mimalloc's own; this links its library wherever they are used.
extern crate mimalloc as _;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (`mimalloc.h`; the binding crate
/// names only some of the options).
const MI_OPTION_PURGE_DELAY: c_int = 15;
/// Milliseconds mimalloc keeps freed pages before it returns them to the system.
pub const PURGE_DELAY_MS: c_long = 100;
/// `mi_option_destroy_on_exit`: above 1, mimalloc's exit handler returns at once.
const MI_OPTION_DESTROY_ON_EXIT: c_int = 22;
/// `mi_option_arena_reserve`, in KiB: the address space mimalloc reserves at a time.
const MI_OPTION_ARENA_RESERVE: c_int = 23;
/// The first arena mimalloc reserves (64 MiB; its default is 1 GiB). Its bitmaps are
/// written when it is reserved, by the process's first allocation: for 1 GiB, about 80 µs
/// of page faults at every start of the binary (a fifth of them for `run --wrap true`'s
/// whole heap). A busy engine needs more: mimalloc reserves further arenas, larger as
/// their count grows.
pub const ARENA_RESERVE_KIB: c_long = 64 * 1024;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// Whether the environment gives mimalloc's numeric option `var` a value. An empty one
/// (`VAR= command`) reads as unset in a shell, but to mimalloc as "on", that is 1: an
/// empty `MIMALLOC_PURGE_DELAY` made it return freed pages after 1 ms, and the engine's
/// end-to-end rows of spans with content ran at half speed.
fn set_in_environment(var: &str) -> bool {
    is_a_number_setting(std::env::var_os(var).as_deref())
}

fn is_a_number_setting(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|value| !value.is_empty())
}

/// Has mimalloc return freed pages after [`PURGE_DELAY_MS`], unless
/// `MIMALLOC_PURGE_DELAY` in the environment says otherwise (mimalloc reads it itself).
/// Call it first thing in `main`.
pub fn return_freed_memory_promptly() {
    if !set_in_environment("MIMALLOC_PURGE_DELAY") {
        // SAFETY: a plain setter of an option mimalloc reads at each purge decision; the
        // index is `mi_option_purge_delay` in mimalloc v2 and v3 alike.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

/// The binary's settings, first thing in `main`: [`return_freed_memory_promptly`] and
/// [`skip_cleanup_at_exit`].
pub fn set_up() {
    return_freed_memory_promptly();
    skip_cleanup_at_exit();
}

/// Has mimalloc leave its memory to the system at exit instead of collecting and purging
/// its heaps first (about 0.1 ms of a `run --wrap true`, after the command's exit), unless
/// `MIMALLOC_DESTROY_ON_EXIT` says otherwise or `MIMALLOC_SHOW_STATS` asks for the
/// statistics mimalloc prints at exit. Call it first thing in `main`.
pub fn skip_cleanup_at_exit() {
    let asked = |var| std::env::var_os(var).is_some();
    if !asked("MIMALLOC_DESTROY_ON_EXIT") && !asked("MIMALLOC_SHOW_STATS") {
        // SAFETY: a plain setter of the option mimalloc's exit handler reads; the index
        // is `mi_option_destroy_on_exit` in mimalloc v2 and v3 alike.
        unsafe { mi_option_set(MI_OPTION_DESTROY_ON_EXIT, 2) }
    }
}

/// What glibc calls in `.init_array` before `main`: the arguments count, the arguments
/// and the environment (all three unused here).
pub type Constructor = extern "C" fn(c_int, *const *const c_char, *const *const c_char);

/// Has mimalloc reserve [`ARENA_RESERVE_KIB`] at a time, unless
/// `MIMALLOC_ARENA_RESERVE` says otherwise. Must run before the process's first
/// allocation (the standard library allocates before `main`): the binary runs it from
/// `.init_array`, as a [`Constructor`].
pub extern "C" fn reserve_small_arenas(
    _argc: c_int,
    _argv: *const *const c_char,
    _env: *const *const c_char,
) {
    if !set_in_environment("MIMALLOC_ARENA_RESERVE") {
        // SAFETY: a plain setter of an option mimalloc reads when it reserves an arena;
        // the index is `mi_option_arena_reserve` in mimalloc v2 and v3 alike.
        unsafe { mi_option_set(MI_OPTION_ARENA_RESERVE, ARENA_RESERVE_KIB) }
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

    #[test]
    fn an_empty_variable_leaves_the_delay_set_here() {
        use std::ffi::OsStr;
        assert!(!is_a_number_setting(Some(OsStr::new(""))));
        assert!(!is_a_number_setting(None));
        assert!(is_a_number_setting(Some(OsStr::new("1000"))));
    }
}
