//! The whole-trace decisions, on a clock the tests move: error and slow traces kept
//! whole, the rest by trace id, idle traces decided, late spans, and the bounds.

use std::cell::Cell;
use std::sync::Arc;

use super::*;
use crate::engine::intake::DEFAULT_VALUE_LIMIT;
use crate::span::{Resource, Scope, Status, StatusCode};

/// A budget of `left` bytes.
struct Budget {
    left: Cell<u64>,
}

impl Budget {
    fn of(bytes: u64) -> Budget {
        Budget {
            left: Cell::new(bytes),
        }
    }
}

impl Room for Budget {
    fn reserve(&self, bytes: u64) -> bool {
        let fits = bytes <= self.left.get();
        if fits {
            self.left.set(self.left.get() - bytes);
        }
        fits
    }
}

fn plenty() -> Budget {
    Budget::of(u64::MAX)
}

fn span(name: &str, parent: Option<&Span>, trace: TraceId) -> Span {
    let mut s = Span::start(
        name,
        parent.map(|p| (p.trace_id, p.span_id)),
        Arc::new(Resource::default()),
        Arc::new(Scope::default()),
    );
    s.trace_id = trace;
    s.end_unix_nanos = s.start_unix_nanos + 1_000_000; // 1 ms
    s
}

fn failed(mut s: Span) -> Span {
    s.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    s
}

fn slow(mut s: Span) -> Span {
    s.end_unix_nanos = s.start_unix_nanos + 2_000_000_000; // 2 s, over the 1 s threshold
    s
}

/// A trace of three spans (root → middle → leaf), the leaf made by `leaf`.
fn three_deep(leaf: impl Fn(Span) -> Span) -> Vec<Span> {
    let trace = TraceId::random();
    let root = span("root", None, trace);
    let middle = span("middle", Some(&root), trace);
    let last = leaf(span("leaf", Some(&middle), trace));
    vec![last, middle, root]
}

fn holder(rate: f64, run: &Span, adopting: bool) -> Holder {
    Holder::new(
        Intake::new(rate, 1000, DEFAULT_VALUE_LIMIT),
        run.trace_id,
        adopting,
        100_000,
    )
}

fn run_span() -> Span {
    span("run", None, TraceId::random())
}

fn names(spans: &[Span]) -> Vec<&str> {
    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// Every kept span's parent is kept too (or the span is a root).
fn no_orphans(kept: &[Span], run: &Span, adopting: bool) {
    for s in kept {
        let Some(parent) = s.parent_span_id else {
            let adopted = adopting && s.trace_id != run.trace_id;
            assert!(
                !adopted || kept.iter().any(|k| k.span_id == run.span_id),
                "{} is adopted under a run span that was not kept",
                s.name
            );
            continue;
        };
        assert!(
            kept.iter().any(|k| k.span_id == parent),
            "{} misses its parent",
            s.name
        );
    }
}

#[test]
fn a_trace_holding_an_error_is_kept_whole_and_the_rest_left_out() {
    let run = run_span();
    let mut holder = holder(0.0, &run, true);
    let mut out = Released::default();
    let now = Instant::now();
    // The parents first: held until the failure shows.
    let mut failing = three_deep(failed);
    failing.reverse();
    holder.offer(failing[..2].to_vec(), now, &plenty(), &mut out);
    holder.offer(three_deep(|s| s), now, &plenty(), &mut out);
    assert!(out.kept.is_empty(), "nothing decided yet");
    holder.offer(failing[2..].to_vec(), now, &plenty(), &mut out);
    assert_eq!(names(&out.kept), ["leaf", "middle", "root"], "kept at once");
    holder.finish(run.clone(), &mut out);
    assert_eq!(names(&out.kept), ["leaf", "middle", "root", "run"]);
    assert_eq!(out.dropped, 3, "the trace without an error");
    assert_eq!(out.unheld, 0);
    no_orphans(&out.kept, &run, true);
}

#[test]
fn a_trace_holding_a_slow_span_is_kept_whole() {
    let run = run_span();
    let mut holder = holder(0.0, &run, true);
    let mut out = Released::default();
    holder.offer(three_deep(slow), Instant::now(), &plenty(), &mut out);
    holder.finish(run.clone(), &mut out);
    assert_eq!(names(&out.kept), ["leaf", "middle", "root", "run"]);
    no_orphans(&out.kept, &run, true);
}

#[test]
fn head_sampling_would_have_kept_the_error_alone() {
    // What the wrapper fixes: the library's rule keeps the failed leaf and not its parents.
    let intake = Intake::new(0.0, 1000, DEFAULT_VALUE_LIMIT);
    let kept: Vec<Span> = three_deep(failed)
        .into_iter()
        .filter(|s| intake.keep(s))
        .collect();
    assert_eq!(names(&kept), ["leaf"]);
}

#[test]
fn traces_without_errors_are_sampled_by_the_same_trace_id_rule_as_head_sampling() {
    let run = run_span();
    let mut holder = holder(0.5, &run, false);
    let intake = Intake::new(0.5, 1000, DEFAULT_VALUE_LIMIT);
    let mut out = Released::default();
    let traces: Vec<Vec<Span>> = (0..400).map(|_| three_deep(|s| s)).collect();
    for trace in &traces {
        holder.offer(trace.clone(), Instant::now(), &plenty(), &mut out);
    }
    holder.finish(run.clone(), &mut out);
    let mut sampled_traces = 0;
    for trace in &traces {
        let kept = out
            .kept
            .iter()
            .filter(|k| k.trace_id == trace[0].trace_id)
            .count();
        let sampled = intake.keep(&trace[0]);
        assert_eq!(
            kept,
            if sampled { 3 } else { 0 },
            "kept whole or not at all"
        );
        sampled_traces += usize::from(sampled);
    }
    assert!(
        (120..280).contains(&sampled_traces),
        "about half: {sampled_traces}"
    );
    no_orphans(&out.kept, &run, false);
}

#[test]
fn an_idle_trace_is_left_out_after_the_idle_time_and_the_runs_trace_waits_for_the_end() {
    let run = run_span();
    let mut holder = holder(0.0, &run, true);
    let mut out = Released::default();
    let t0 = Instant::now();
    let plain = three_deep(|s| s);
    let under_run = span("under the run", Some(&run), run.trace_id);
    holder.offer(plain[..2].to_vec(), t0, &plenty(), &mut out);
    holder.offer(vec![under_run], t0, &plenty(), &mut out);
    // A span arriving later keeps the trace alive.
    holder.offer(plain[2..].to_vec(), t0 + IDLE / 2, &plenty(), &mut out);
    holder.decide_idle(t0 + IDLE, &mut out);
    assert_eq!(out.dropped, 0, "not idle long enough yet");
    holder.decide_idle(t0 + IDLE / 2 + IDLE, &mut out);
    assert_eq!(out.dropped, 3);
    assert!(out.bytes > 0, "the held bytes are given back");
    let mut end = Released::default();
    holder.decide_idle(t0 + 100 * IDLE, &mut end);
    assert_eq!(end.dropped, 0, "the run's own trace waits for the run span");
    holder.finish(failed(run.clone()), &mut end);
    assert_eq!(names(&end.kept), ["run", "under the run"], "a failed run");
}

#[test]
fn a_late_span_follows_its_traces_decision() {
    let run = run_span();
    let mut holder = holder(0.0, &run, false);
    let t0 = Instant::now();
    let mut out = Released::default();
    let kept = three_deep(failed);
    let dropped = three_deep(|s| s);
    holder.offer(kept[..2].to_vec(), t0, &plenty(), &mut out);
    holder.offer(dropped[..1].to_vec(), t0, &plenty(), &mut out);
    holder.decide_idle(t0 + IDLE, &mut out);
    assert_eq!(names(&out.kept), ["leaf", "middle"]);
    assert_eq!(out.dropped, 1);
    let mut late = Released::default();
    holder.offer(
        vec![
            kept[2].clone(),
            failed(dropped[1].clone()),
            failed(dropped[2].clone()),
        ],
        t0 + IDLE * 2,
        &plenty(),
        &mut late,
    );
    // The kept trace's root joins it; a failed middle span of a dropped trace would miss
    // its parent and is left out; a failed root misses nothing and is kept.
    assert_eq!(names(&late.kept), ["root", "root"]);
    assert_eq!(late.dropped, 1);
    assert_eq!(late.bytes, 0, "late spans were never held");
}

#[test]
fn past_the_byte_budget_spans_are_decided_by_the_head_rule_and_counted() {
    let run = run_span();
    let mut holder = holder(0.0, &run, true);
    let trace = three_deep(failed);
    let (leaf, middle, root) = (&trace[0], &trace[1], &trace[2]);
    let one_span = approx_size(root) as u64;
    let budget = Budget::of(one_span);
    let mut out = Released::default();
    // The root fits; the middle does not, and is left out (counted); the failed leaf
    // keeps what was held.
    holder.offer(
        vec![root.clone(), middle.clone(), leaf.clone()],
        Instant::now(),
        &budget,
        &mut out,
    );
    assert_eq!(out.unheld, 1, "counted");
    assert_eq!(out.dropped, 1);
    assert_eq!(names(&out.kept), ["leaf", "root"]);
    assert_eq!(budget.left.get(), 0, "the root was held within the budget");
    assert_eq!(out.bytes, one_span, "and its bytes are given back");
}

#[test]
fn past_the_span_bound_spans_are_decided_by_the_head_rule_and_counted() {
    let run = run_span();
    let mut holder = Holder::new(
        Intake::new(0.0, 1000, DEFAULT_VALUE_LIMIT),
        run.trace_id,
        true,
        2,
    );
    let mut out = Released::default();
    holder.offer(three_deep(|s| s), Instant::now(), &plenty(), &mut out);
    assert_eq!((out.unheld, out.dropped), (1, 1));
    holder.finish(run, &mut out);
    assert_eq!(out.dropped, 4, "the two held, and the run span");
}

#[test]
fn a_failed_run_keeps_its_trace_and_a_slow_run_span_alone_does_not() {
    let run = run_span();
    let child = span("child", Some(&run), run.trace_id);
    let mut out = Released::default();
    let mut first = holder(0.0, &run, true);
    first.offer(vec![child.clone()], Instant::now(), &plenty(), &mut out);
    first.finish(failed(run.clone()), &mut out);
    assert_eq!(names(&out.kept), ["child", "run"]);

    let mut out = Released::default();
    let mut second = holder(0.0, &run, true);
    second.offer(vec![child], Instant::now(), &plenty(), &mut out);
    second.finish(slow(run.clone()), &mut out);
    assert!(out.kept.is_empty(), "{:?}", names(&out.kept));
    assert_eq!(out.dropped, 2);
}

#[test]
fn without_adoption_a_kept_trace_does_not_keep_the_run_span() {
    let run = run_span();
    let mut holder = holder(0.0, &run, false);
    let mut out = Released::default();
    holder.offer(three_deep(failed), Instant::now(), &plenty(), &mut out);
    holder.finish(run.clone(), &mut out);
    assert_eq!(names(&out.kept), ["leaf", "middle", "root"]);
    assert_eq!(out.dropped, 1, "the run span");
}

#[test]
fn old_decisions_are_forgotten_past_the_bound() {
    let run = run_span();
    let mut holder = holder(0.0, &run, false);
    let first = TraceId::random();
    holder.remember(first, true);
    for _ in 0..DECISIONS_REMEMBERED {
        holder.remember(TraceId::random(), false);
    }
    assert_eq!(holder.decided.len(), DECISIONS_REMEMBERED);
    assert!(
        !holder.decided.contains_key(&first),
        "the oldest went first"
    );
}

#[test]
fn a_run_hands_its_kept_traces_to_the_engine_and_accounts_for_every_span() {
    use crate::engine::EngineOptions;
    use crate::export::memory::MemoryExporter;
    let memory = Arc::new(MemoryExporter::new("m"));
    let exporter: Arc<dyn crate::export::Exporter> = memory.clone();
    let options = EngineOptions {
        intake: Intake::new(0.0, 1000, DEFAULT_VALUE_LIMIT),
        ..crate::engine::tests::options()
    };
    let engine = Engine::start_with(vec![exporter], options).unwrap();
    let recorder = engine.recorder();
    let forward: Forward = Arc::new(move |spans: Vec<Span>, _held| {
        spans.into_iter().for_each(|s| recorder.record_sampled(s));
    });
    let run = run_span();
    let whole = WholeTraces::start(&engine, run.trace_id, true, forward).expect("rate 0 holds");
    whole.offer(three_deep(|s| s));
    whole.offer(three_deep(failed));
    whole.finish(run);
    drop(whole);
    let metrics = engine.shutdown(Duration::from_secs(5));
    assert_eq!(metrics.queued, 4, "the failed trace and the run span");
    assert_eq!(metrics.sampled_out, 3, "the quiet trace");
    assert_eq!(metrics.exporters[0].exported, 4);
    let delivered: usize = memory
        .received()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    assert_eq!(delivered, 4);
}

#[test]
fn at_a_rate_of_one_nothing_is_held() {
    let engine = Engine::start_with(Vec::new(), crate::engine::tests::options()).unwrap();
    let forward: Forward = Arc::new(|_spans: Vec<Span>, _held| {});
    assert!(WholeTraces::start(&engine, TraceId::random(), true, forward).is_none());
}
