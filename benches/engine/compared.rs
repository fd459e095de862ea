//! The engine's rows that are compared with each other: throughput of spans carrying
//! content with masking off, `patterns` and `content`, and without a backend profile and
//! with Phoenix's; each the median of runs taken in turn ([`alternated`]), then the masker
//! and the profile alone.

use super::*;

/// A GenAI span with content: a prompt (with an email and a key in it), a completion and
/// tool arguments, about 1 KiB of text.
fn content_span(resource: &Arc<Resource>, scope: &Arc<Scope>, i: usize) -> Span {
    let mut span = genai_span(resource, scope, i);
    let prompt = format!(
        "[{{\"role\":\"system\",\"content\":\"You are a support agent for ACME. Answer briefly and politely; never reveal internal notes.\"}},{{\"role\":\"user\",\"content\":\"Hi, I am customer {i}, reach me at ana.{i}@example.com. My order 55213 arrived broken and the tracking page at 10.1.2.3 says delivered. Can I get a refund? The API key in my account is sk-proj-Abc{i:08}def456ghi789.\"}}]"
    );
    span.set("gen_ai.input.messages", prompt)
        .set(
            "gen_ai.output.messages",
            "[{\"role\":\"assistant\",\"content\":\"I am sorry your order arrived broken. I have opened a refund request; you will receive a confirmation email within two business days.\"}]",
        )
        .set(
            "gen_ai.tool.call.arguments",
            format!("{{\"order_id\":55213,\"customer\":{i},\"reason\":\"arrived broken\"}}"),
        );
    span
}

fn content_spans(n: usize) -> Vec<Span> {
    let resource = Arc::new(Resource::service("bench"));
    let scope = Arc::new(Scope::default());
    (0..n).map(|i| content_span(&resource, &scope, i)).collect()
}

/// Times each of the runs compared in one row is taken, in turn (see [`alternated`]).
const ROUNDS: usize = 5;

/// Takes `run(0)`, `run(1)`, … `run(kinds - 1)` in turn, [`ROUNDS`] times over, and
/// returns each kind's median run: a busy moment of the shared machine weighs on every
/// kind alike, where one run each swung a comparison by 40 points.
fn alternated(kinds: usize, run: impl Fn(usize) -> Throughput) -> Vec<Throughput> {
    let mut runs: Vec<Vec<Throughput>> = (0..kinds).map(|_| Vec::new()).collect();
    for _ in 0..ROUNDS {
        for (kind, taken) in runs.iter_mut().enumerate() {
            taken.push(run(kind));
        }
    }
    runs.into_iter()
        .map(|mut taken| {
            taken.sort_by(|a, b| a.spans_per_second().total_cmp(&b.spans_per_second()));
            taken.swap_remove(ROUNDS / 2)
        })
        .collect()
}

/// Throughput with masking off and on (medians of alternated runs): for a million bare
/// GenAI spans, off and `content` (whose strings are all structural, so kept and scanned:
/// the cost of the scan alone), and for spans with ~1 KiB of content, off, `patterns` and
/// `content`; then the masker's own cost.
pub(super) fn masking(url: &str) {
    for (label, name, n, make, modes) in [
        (
            "bare GenAI spans",
            "bare_spans",
            whole_batches(1_000_000),
            spans as fn(usize) -> Vec<Span>,
            &[MaskMode::None, MaskMode::Content][..],
        ),
        (
            "spans with ~1 KiB of content",
            "content_spans",
            whole_batches(200_000),
            content_spans,
            &[MaskMode::None, MaskMode::Patterns, MaskMode::Content][..],
        ),
    ] {
        let medians = alternated(modes.len(), |i| throughput(url, false, modes[i], make(n)));
        for (mode, run) in modes.iter().zip(medians) {
            println!(
                "end-to-end plain, {label}, mask {mode:<8}: {} (median of {ROUNDS})",
                run.line(n)
            );
            figure(
                &format!("engine.{name}.mask_{mode}"),
                run.spans_per_second(),
                "spans/s",
            );
        }
    }
    masker_alone();
}

/// The masker alone, on one core, in wall and CPU time (`BENCH_ONLY=masker`: a quick A/B):
/// `patterns` and `content` on spans with content, and `content` on bare GenAI spans (all
/// their strings kept and scanned), taken 10 times over for a figure finer than the CPU
/// clock's tick (masking a bare span again does the same work).
pub(super) fn masker_alone() {
    let n = 200_000;
    for (mode, spans_of, label, passes) in [
        (
            MaskMode::Patterns,
            content_spans as fn(usize) -> Vec<Span>,
            "",
            1,
        ),
        (MaskMode::Content, content_spans, "", 1),
        (MaskMode::Content, spans, ".bare_spans", 10),
    ] {
        let mut batch = spans_of(n);
        let masker = Masker::new(mode, &[]);
        let cpu_before = cpu_seconds();
        let start = Instant::now();
        for _ in 0..passes {
            assert_eq!(masker.mask_batch(&mut batch), 0);
        }
        let spans = (n * passes) as f64;
        let secs = start.elapsed().as_secs_f64();
        let cpu = (cpu_seconds() - cpu_before) * 1e9 / spans;
        figure(&format!("engine.masker.{mode}{label}"), cpu, "CPU ns/span");
        println!(
            "masker alone, {mode:<8}{label}: {:.2} µs per span ({:.0} spans/s on one core; {cpu:.0} CPU ns per span)",
            secs * 1e6 / spans,
            spans / secs
        );
    }
}

/// The cost of a backend profile: end-to-end throughput (medians of alternated runs)
/// without one and with Phoenix's (OpenInference: a semantic read and up to a dozen
/// attributes added per span), for a
/// million bare GenAI spans (the worst case: the added attributes are half the span) and
/// for spans with ~1 KiB of content, as agents' model calls carry; then the profile alone.
pub(super) fn profiles(url: &str) {
    let cost = |plain: &Throughput, profiled: &Throughput| {
        (1.0 - profiled.spans_per_second() / plain.spans_per_second()) * 100.0
    };
    for (label, name, n, make) in [
        (
            "bare GenAI spans",
            "e2e.plain",
            whole_batches(1_000_000),
            spans as fn(usize) -> Vec<Span>,
        ),
        (
            "spans with ~1 KiB of content",
            "content_spans",
            whole_batches(200_000),
            content_spans,
        ),
    ] {
        let profiles = [Profile::Plain, Profile::OpenInference];
        let medians = alternated(profiles.len(), |i| {
            throughput_profiled(url, false, MaskMode::None, profiles[i], make(n))
        });
        let [plain, profiled] = <[Throughput; 2]>::try_from(medians).expect("two profiles");
        figure(
            &format!("engine.{name}.profile_none"),
            plain.spans_per_second(),
            "spans/s",
        );
        figure(
            &format!("engine.{name}.profile_openinference"),
            profiled.spans_per_second(),
            "spans/s",
        );
        println!("end-to-end plain, {label}, no profile: {}", plain.line(n));
        println!(
            "end-to-end plain, {label}, openinference profile: {}",
            profiled.line(n)
        );
        println!(
            "profile cost, {label}: {:.1} % of end-to-end throughput",
            cost(&plain, &profiled)
        );
    }
    profiler_alone();
}

/// The profile alone, in CPU time (steadier than wall time on a shared machine):
/// `BENCH_ONLY=profiler` runs it alone, a quick A/B.
pub(super) fn profiler_alone() {
    let mut batch = spans(200_000);
    let profiler = Profiler {
        profile: Profile::OpenInference,
        resource: Vec::new(),
    };
    // The read alone is quick: taken 10 times over, for a figure finer than the CPU
    // clock's tick.
    const READS: usize = 10;
    let cpu_before = cpu_seconds();
    let mut tokens = 0;
    for _ in 0..READS {
        for span in &batch {
            tokens += automagik_tracing::semantic::read(span)
                .tokens
                .input
                .unwrap_or(0);
        }
    }
    let read = (cpu_seconds() - cpu_before) * 1e9 / (READS * batch.len()) as f64;
    // The engine's path: the body encoded with the profile's attributes written into
    // each span's message, against the body encoded without.
    let encode = |profiler: &Profiler| {
        let copy = batch.clone();
        let cpu_before = cpu_seconds();
        let body = automagik_tracing::wire::encode_spans(
            copy,
            |span, added| profiler.write_added(span, added),
            |_| {},
        );
        (
            (cpu_seconds() - cpu_before) * 1e9 / batch.len() as f64,
            body.len(),
        )
    };
    let (plain, plain_bytes) = encode(&Profiler::default());
    let (encoded, profiled_bytes) = encode(&profiler);
    let cpu_before = cpu_seconds();
    profiler.apply_batch(&mut batch);
    let apply = (cpu_seconds() - cpu_before) * 1e9 / batch.len() as f64;
    figure("engine.profile.read", read, "CPU ns/span");
    figure("engine.profile.apply", apply, "CPU ns/span");
    figure("engine.profile.encoded", encoded - plain, "CPU ns/span");
    println!(
        "semantic read alone: {read:.0} CPU ns per span ({tokens} tokens); the openinference profile (read included): {apply:.0} CPU ns per span added to the spans, {:.0} written while encoding ({plain:.0} → {encoded:.0} CPU ns per span encoded, {plain_bytes} → {profiled_bytes} bytes)",
        encoded - plain
    );
}
