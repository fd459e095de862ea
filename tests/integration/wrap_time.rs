//! What `run` does around the command costs no more than it must: the settings are read
//! once, and nothing before the command starts waits on what it does not need.
//! (Its speed is measured by `scripts/bench-wrap`, never asserted here.)

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::testenv::{TestEnv, files_below, wait_for};
use crate::wrap::{Sleeper, post};

#[test]
fn a_run_reads_its_settings_once() {
    // Usage telemetry records with the settings the run loaded: the exit code does not
    // wait on reading and resolving every file again.
    let env = TestEnv::new();
    env.write_env_file("AUTOMAGIK_SAMPLE_RATE=1\n");
    let out = env
        .cmd()
        .args(["run", "-v", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let read = format!("read {}", env.env_file().display());
    assert_eq!(stderr.matches(&read).count(), 1, "{stderr}");
    let outbox = env
        .home
        .join(".local/share/automagik/telemetry/events.jsonl");
    assert!(outbox.exists(), "usage telemetry was recorded");
}

/// Lets a wrapper blocked on the certificate pipe go on, and ends it, whatever the test
/// saw.
struct Release<'a> {
    pipe: &'a Path,
    wrapper: Child,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let _ = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(self.pipe);
        let _ = self.wrapper.kill();
        let _ = self.wrapper.wait();
    }
}

#[test]
fn the_command_starts_before_the_certificates_of_an_https_provider_load() {
    // The system's certificates take milliseconds to load: they are loaded beside the
    // command, not before it starts. Here they come through a pipe that only the command
    // opens, so a wrapper loading them first would never start it.
    let env = TestEnv::new();
    let pipe = env.project.join("certificates.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success());
    let started = env.project.join("started");
    let script = format!(
        "echo > {}; exec 3> {}; exec 3>&-; exit 3",
        started.display(),
        pipe.display()
    );
    let wrapper = env
        .std_cmd()
        .env("SSL_CERT_FILE", &pipe)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:9")
        .args(["run", "--", "sh", "-c", &script])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut release = Release {
        pipe: &pipe,
        wrapper,
    };
    wait_for("the command to start", || started.exists());
    let mut status = None;
    wait_for("the wrapper to exit", || {
        status = release.wrapper.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.and_then(|s| s.code()), Some(3));
}

/// The names of a process's threads (as the kernel keeps them: 15 bytes at most).
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect()
}

#[test]
fn a_run_whose_spans_are_all_delivered_starts_no_spool_thread() {
    // The spool's thread starts with the first batch a provider could not take: a run
    // whose spans all reach the local store never starts it, nor waits for it to end.
    use automagik_tracing::span::{Resource, Scope, Span};
    use std::sync::Arc;
    let env = TestEnv::new();
    let wrapped = Sleeper::start(&env, &[]);
    let (resource, scope) = (Arc::new(Resource::service("t")), Arc::new(Scope::default()));
    let spans: Vec<Span> = (0..512)
        .map(|i| {
            let mut span = Span::start(format!("s{i}"), None, resource.clone(), scope.clone());
            span.end();
            span
        })
        .collect();
    let body = prost::Message::encode_to_vec(&automagik_tracing::span::to_request(&spans));
    assert_eq!(
        post(&wrapped.traces(), "application/x-protobuf", None, body),
        200
    );
    // A full batch leaves at once, on the export threads.
    let store = env.home.join(".local/share/automagik/traces");
    wait_for("the batch in the local store", || {
        files_below(&store)
            .iter()
            .any(|f| std::fs::metadata(store.join(f)).is_ok_and(|m| m.len() > 0))
    });
    let threads = thread_names(wrapped.pid());
    assert!(
        threads.iter().any(|t| t == "automagik-expor"),
        "{threads:?}"
    );
    assert!(
        !threads.iter().any(|t| t.starts_with("automagik-spool")),
        "{threads:?}"
    );
}

#[test]
fn the_allocator_reserves_a_small_first_arena() {
    // Set before the first allocation (from `.init_array`): mimalloc's 1 GiB default
    // costs every start of the binary its bitmaps' page faults. MIMALLOC_VERBOSE has
    // mimalloc print its options as it starts.
    let out = TestEnv::new()
        .var("MIMALLOC_VERBOSE", "1")
        .cmd()
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reserve = format!(
        "option 'arena_reserve': {} KiB",
        automagik_tracing::allocator::ARENA_RESERVE_KIB
    );
    assert!(stderr.contains(&reserve), "{stderr}");
    // The user's own setting wins.
    let out = TestEnv::new()
        .var("MIMALLOC_VERBOSE", "1")
        .var("MIMALLOC_ARENA_RESERVE", "256MiB")
        .cmd()
        .arg("--version")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("option 'arena_reserve': 262144 KiB"),
        "{stderr}"
    );
}
