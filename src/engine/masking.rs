//! The masking step of the fan-out: exporters are grouped by their mask mode and their
//! backend profile, and each batch is masked, profiled (after masking: see `profile`) and
//! converted to a request once per group (and encoded once, by the first exporter that
//! sends it; or, for a group whose exporters send the body alone, encoded span by span
//! without a request, the profile's attributes written straight into each span's
//! message: `wire::encode_spans`). With no masking and no profile there is one group and
//! the batch is converted without a copy.

use std::sync::Arc;

use crate::export::{Budget, Payload, Records};
use crate::mask::{MaskMode, MaskPlan, Masker};
use crate::profile::{ProfilePlan, Profiler};
use crate::span::{Span, into_request};
use crate::wire;

/// Exporters that receive the same masked and profiled request.
struct Group {
    masker: Masker,
    profiler: Profiler,
    /// Indexes into the engine's exporters.
    exporters: Vec<usize>,
}

/// One group's share of a batch.
pub struct Converted<'a> {
    pub payload: Arc<Payload>,
    /// Spans that could not be masked: not in `payload`, counted as `mask_failed`.
    pub failed: u64,
    pub exporters: &'a [usize],
}

pub struct MaskGroups {
    /// Unmasked last, so that group takes the batch without a copy.
    groups: Vec<Group>,
}

impl MaskGroups {
    /// Groups the exporters, named in engine order, by the mode `plan` and the profile
    /// `profiles` give each.
    pub fn new<'a>(
        plan: &MaskPlan,
        profiles: &ProfilePlan,
        names: impl IntoIterator<Item = &'a str>,
    ) -> MaskGroups {
        let mut groups: Vec<Group> = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            let mode = plan.mode_for(name);
            let profiler = profiles.profiler_for(name);
            match groups
                .iter_mut()
                .find(|g| g.masker.mode() == mode && g.profiler == profiler)
            {
                Some(group) => group.exporters.push(index),
                None => groups.push(Group {
                    masker: plan.masker_for(name),
                    profiler,
                    exporters: vec![index],
                }),
            }
        }
        groups.sort_by_key(|g| g.masker.mode() == MaskMode::None && g.profiler.is_plain());
        MaskGroups { groups }
    }

    /// Each group's exporters, in the order [`convert`](Self::convert) gives its payloads.
    pub fn exporters(&self) -> impl Iterator<Item = &[usize]> {
        self.groups.iter().map(|g| g.exporters.as_slice())
    }

    /// The batch masked and converted once per group, each payload within the next of
    /// `budgets`. Every group but the last works on a copy; the last takes the batch.
    /// A group whose `body_only[i]` is true (its exporters send the body alone) gets its
    /// payload encoded, with no request.
    pub fn convert(
        &self,
        mut spans: Vec<Span>,
        budgets: impl Iterator<Item = Budget>,
        body_only: &[bool],
    ) -> Vec<Converted<'_>> {
        let last = self.groups.len().saturating_sub(1);
        self.groups
            .iter()
            .enumerate()
            .zip(budgets)
            .map(|((i, group), budget)| {
                let mut mine = if i == last {
                    std::mem::take(&mut spans)
                } else {
                    spans.clone()
                };
                let failed = group.masker.mask_batch(&mut mine) as u64;
                let payload = if body_only.get(i).copied().unwrap_or(false) {
                    let count = mine.len();
                    // The profile's attributes go straight into each span's message.
                    let body = wire::encode_spans(
                        mine,
                        |span, added| group.profiler.write_added(span, added),
                        |r| group.profiler.apply_to_resource(r),
                    );
                    Payload::encoded(body.into(), count)
                } else {
                    group.profiler.apply_batch(&mut mine);
                    let mut request = into_request(mine);
                    group.profiler.apply_resource(&mut request);
                    Payload::new(request)
                };
                Converted {
                    payload: Arc::new(payload.within(budget)),
                    failed,
                    exporters: &group.exporters,
                }
            })
            .collect()
    }

    /// Log records or metrics masked once per group that `wanted` (given the group's
    /// exporters) says takes them; groups it does not are skipped, and masking work with
    /// them. Backend profiles are for spans: records get none.
    pub fn convert_records(
        &self,
        mut records: Records,
        budgets: impl Iterator<Item = Budget>,
        wanted: impl Fn(&[usize]) -> bool,
    ) -> Vec<Converted<'_>> {
        let groups: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| wanted(&g.exporters))
            .collect();
        let last = groups.len().saturating_sub(1);
        groups
            .into_iter()
            .enumerate()
            .zip(budgets)
            .map(|((i, group), budget)| {
                let mut mine = if i == last {
                    std::mem::replace(&mut records, Records::Logs(Default::default()))
                } else {
                    records.clone()
                };
                let failed = group.masker.mask_records(&mut mine) as u64;
                Converted {
                    payload: Arc::new(Payload::of_records(mine).within(budget)),
                    failed,
                    exporters: &group.exporters,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Value, from_request};

    fn batch() -> Vec<Span> {
        let mut span = Span::start(
            "chat",
            None,
            Arc::new(Resource::service("t")),
            Arc::new(Scope::default()),
        );
        span.set("gen_ai.input.messages", "hello bob@example.com");
        vec![span]
    }

    fn budgets() -> impl Iterator<Item = Budget> {
        let total = Arc::new(std::sync::atomic::AtomicU64::new(0));
        std::iter::repeat_with(move || Budget::counting(total.clone(), 1))
    }

    fn prompt(converted: &Converted) -> Value {
        from_request(converted.payload.request()).0[0]
            .attribute("gen_ai.input.messages")
            .cloned()
            .unwrap()
    }

    #[test]
    fn one_request_per_mode_with_the_unmasked_one_last() {
        let plan = MaskPlan {
            default: MaskMode::Content,
            providers: vec![
                ("full".into(), MaskMode::None),
                ("redacted".into(), MaskMode::Patterns),
            ],
            keep: Vec::new(),
        };
        let groups = MaskGroups::new(
            &plan,
            &ProfilePlan::default(),
            ["a", "full", "b", "redacted"],
        );
        let converted = groups.convert(batch(), budgets(), &[]);
        assert_eq!(converted.len(), 3);
        assert_eq!(converted[0].exporters, [0, 2]);
        assert_eq!(prompt(&converted[0]), Value::from("[MASKED len=21]"));
        assert_eq!(converted[1].exporters, [3]);
        assert_eq!(prompt(&converted[1]), Value::from("hello [REDACTED:email]"));
        assert_eq!(converted[2].exporters, [1]);
        assert_eq!(prompt(&converted[2]), Value::from("hello bob@example.com"));
    }

    #[test]
    fn records_are_masked_once_per_group_that_takes_them() {
        use crate::export::records::fixtures::logs;
        let plan = MaskPlan {
            default: MaskMode::Content,
            providers: vec![("full".into(), MaskMode::None)],
            keep: Vec::new(),
        };
        let groups = MaskGroups::new(&plan, &ProfilePlan::default(), ["a", "full"]);
        let batch = logs(&["hello"], [1; 16], [2; 8]);
        let converted = groups.convert_records(batch.clone(), budgets(), |e| e != [1]);
        assert_eq!(converted.len(), 1, "the unmasked group takes no logs here");
        assert_eq!(converted[0].exporters, [0]);
        assert_ne!(converted[0].payload.records(), Some(&batch), "masked");
        let both = groups.convert_records(batch.clone(), budgets(), |_| true);
        assert_eq!(both[1].payload.records(), Some(&batch), "unmasked, last");
    }

    #[test]
    fn no_masking_is_one_group_of_every_exporter() {
        let groups = MaskGroups::new(&MaskPlan::default(), &ProfilePlan::default(), ["a", "b"]);
        let converted = groups.convert(batch(), budgets(), &[]);
        assert_eq!(converted.len(), 1);
        assert_eq!(converted[0].exporters, [0, 1]);
        assert_eq!(converted[0].failed, 0);
    }
}
