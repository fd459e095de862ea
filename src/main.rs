//! The `automagik-tracing` binary: parse, run, turn the outcome into an exit code. Its
//! entry is C's `main`, not the standard library's (`startup` says why and what it keeps).

#![no_main]

use std::ffi::{c_char, c_int};

/// The engine hands every span from the thread that records it to the threads that
/// encode and free it; mimalloc takes those cross-thread frees in stride where the system
/// allocator locks (about 1.5 times the export throughput, `benches/engine.rs`). No
/// transparent huge pages (`no_thp`): they cost a full queue 16 MiB more memory for no
/// speed. Version 3: v2 never returned freed pages under a busy receiver (`allocator`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs before the standard library's first allocation (see `allocator`).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_MAIN: automagik_tracing::allocator::Constructor =
    automagik_tracing::allocator::reserve_small_arenas;

/// C's `pow`, the one function the binary took from glibc's `libm.so.6` (the async
/// runtime's scheduler statistics and the progress bars call it): defined here, in Rust
/// (the `libm` crate, a port of musl's), that library is not loaded at each start, which
/// cost every process 0.065 ms (a C hello world linked with it and without, 400
/// alternated runs).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// The process's entry, called by the C runtime in place of the standard library's
/// `main`, whose runtime set-up costs every start 0.12 ms (`startup`).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    automagik_tracing::startup::run_as_main(|| {
        automagik_tracing::allocator::set_up();
        run()
    })
}

/// Parses the command line, runs the command, and turns its outcome into an exit code.
fn run() -> c_int {
    match automagik_tracing::run(automagik_tracing::cli::parse()) {
        Ok(code) => code.into(),
        Err(err) if err.is_broken_pipe() => 0,
        Err(err) => {
            automagik_tracing::stderr::raw(&err.report());
            err.exit_code().into()
        }
    }
}
