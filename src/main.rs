//! The `automagik-tracing` binary: parse, run, turn the outcome into an exit code.

use std::process::ExitCode;

/// The engine hands every span from the thread that records it to the threads that
/// encode and free it; mimalloc takes those cross-thread frees in stride where the
/// system allocator locks (about 1.5 times the export throughput, `benches/engine.rs`).
/// Built without transparent huge pages (`no_thp`): with them, a full queue cost 16 MiB
/// more resident memory for no speed. Version 3, not 2: v2 postpones returning freed
/// pages each time more are freed, so under a busy receiver it never returned them
/// (see `allocator`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs before the standard library's first allocation (see `allocator`).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_MAIN: extern "C" fn() = automagik_tracing::allocator::reserve_small_arenas;

fn main() -> ExitCode {
    automagik_tracing::allocator::return_freed_memory_promptly();
    automagik_tracing::allocator::skip_cleanup_at_exit();
    match automagik_tracing::run(automagik_tracing::cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            automagik_tracing::stderr::raw(&err.report());
            ExitCode::from(err.exit_code())
        }
    }
}
