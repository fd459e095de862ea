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
//!
//! The unwinder (what carries a panic up to the `catch_unwind` that keeps the wrapped
//! command's exit code) is linked into the binary, as `gcc -static-libgcc` does, instead
//! of loading `libgcc_s.so.1` at each start: loading it cost every process 0.10 ms here
//! (a C hello world 0.65 → 0.75 ms with it, 400 alternated runs; `run --wrap true` and
//! `--version` 0.10–0.11 ms each), half of it its constructor asking the CPU for its
//! features, which traps to the hypervisor on a VM. The standard library asks for
//! `-lgcc_s`; a `libgcc_s.a` that is gcc's static unwinder (`libgcc_eh.a`), in a directory
//! searched first, is what the linker then takes. Only for a native build (the host's
//! compiler finds the target's `libgcc_eh.a`); `AUTOMAGIK_TRACING_SHARED_LIBGCC=1` keeps
//! the shared library.

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
    println!("cargo:rerun-if-env-changed=AUTOMAGIK_TRACING_SHARED_LIBGCC");
    let native = var("HOST") == var("TARGET");
    if fixed && native && var("AUTOMAGIK_TRACING_SHARED_LIBGCC") != "1" {
        link_the_unwinder_statically(&var("OUT_DIR"));
    }
}

/// Puts gcc's static unwinder where the linker looks first for `-lgcc_s`. Should the C
/// compiler not say where it is, the shared library is linked as before.
fn link_the_unwinder_statically(out_dir: &str) {
    let Ok(found) = std::process::Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let static_unwinder = std::path::PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    // Asked for a file it does not have, gcc prints the bare name back.
    if !static_unwinder.is_absolute() {
        return;
    }
    let dir = std::path::Path::new(out_dir).join("static-unwinder");
    let copied = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::copy(&static_unwinder, dir.join("libgcc_s.a")));
    if copied.is_ok() {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
}
