//! The `automagik-tracing` binary: parse, run, turn the outcome into an exit code.

use std::process::ExitCode;

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

fn main() -> ExitCode {
    automagik_tracing::allocator::set_up();
    match automagik_tracing::run(automagik_tracing::cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            automagik_tracing::stderr::raw(&err.report());
            ExitCode::from(err.exit_code())
        }
    }
}
