//! How the `automagik-tracing` binary is linked. It starts at every `run --wrap`, so what
//! loading it costs is paid by every wrapped command (issue #20: `run --wrap true` within
//! 2 ms of `true`).
//!
//! On Linux it is linked at a fixed address instead of as a position-independent
//! executable. A PIE's loader applies about 15,000 relocations at each start (every
//! pointer in a vtable, a panic location, a table of `&str` such as regex's Unicode
//! tables), writing 77 pages of `.data.rel.ro` and reading 350 KiB of relocation records:
//! about 80 page faults and a tenth of the loader's time, 0.3–0.4 ms of a `run --wrap true`
//! on a 2-core VM (`scripts/bench-wrap`, the two builds alternated). Linked at a fixed
//! address there are none. The cost: the binary's own code and data are not placed at a
//! random address (the stack, the heap and the shared libraries still are), as for Go
//! programs on Linux. The code is still compiled position-independent, so the engine's
//! throughput does not change; only the link step differs.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
