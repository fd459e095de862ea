//! How the `automagik-tracing` binary is linked. It starts at every `run --wrap`, so what
//! loading it costs is paid by every wrapped command (issue #20: `run --wrap true` within
//! 2 ms of `true`).
//!
//! On Linux with glibc it is linked at a fixed address instead of as a position-independent
//! executable. A PIE's loader applies about 15,000 relocations at each start (every
//! pointer in a vtable, a panic location, a table of `&str` such as regex's Unicode
//! tables), writing 77 pages of `.data.rel.ro` and reading 350 KiB of relocation records:
//! about 80 page faults, about 0.2 ms of a `run --wrap true` on a 2-core VM
//! (`scripts/bench-wrap` and 300 interleaved runs, the two builds alternated). Linked at
//! a fixed address there are none. The cost: the binary's own code and data are not
//! placed at a random address (the stack, the heap and the shared libraries still are),
//! as for Go programs on Linux. The code is the same position-independent code, only
//! linked differently; the receiver bench, six alternated pairs, gave 387k spans/s to the
//! PIE's 400k, within that bench's spread here (README, Performance).
//!
//! A packager whose policy asks for PIE builds with `AUTOMAGIK_TRACING_PIE=1`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AUTOMAGIK_TRACING_PIE");
    // glibc targets only, where this was measured: musl's default is a static PIE, which
    // has no loader to save.
    let var = |name| std::env::var(name).unwrap_or_default();
    let fixed = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if fixed && var("AUTOMAGIK_TRACING_PIE") != "1" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
