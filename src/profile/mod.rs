//! Per-backend profiles: after masking, each exporter's spans get the attributes its
//! backend reads (Phoenix's OpenInference kinds and token counts, Langfuse's observation
//! type, LangSmith's run type, MLflow's span type...), derived from what the spans mean
//! ([`semantic::read`]), so an agent instrumented in any dialect shows well everywhere.
//!
//! A profile only adds: it never removes an attribute and never overwrites one the span
//! already has. It reads the span as masking left it, so it cannot bring back what was
//! masked, and a masked placeholder (`[MASKED len=N]`) is never copied to another key:
//! under `content`, an id is carried over only where masking kept it (the structural
//! `gen_ai.conversation.id`, say), never from `session.id` or `user.id`, which it masks.
//! Which profile a provider gets is a column of its row in `presets`.

mod backends;
#[cfg(test)]
mod tests;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::config::ProviderConfig;
use crate::presets::{self, Profile};
use crate::semantic;
use crate::span::{AddedAttrs, Attribute, Span};

/// The resource attribute naming the Phoenix project a span belongs to.
pub const PHOENIX_PROJECT_ATTRIBUTE: &str = "openinference.project.name";

/// The most attributes one profile adds to a span (OpenInference's).
const MOST_ADDED: usize = 10;

/// One exporter's profile and the resource attributes it adds (Phoenix's project).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profiler {
    /// The attributes it adds to spans.
    pub profile: Profile,
    /// Added to each resource that lacks them: (key, value).
    pub resource: Vec<(String, String)>,
}

impl Profiler {
    /// The profile of a configured provider: its row's, with the settings it reads.
    pub fn for_provider(provider: &ProviderConfig) -> Profiler {
        let profile = presets::preset(provider.name).map_or(Profile::Plain, |p| p.profile);
        let mut resource = Vec::new();
        if profile == Profile::OpenInference
            && let Some(project) = provider.value("project_name").filter(|v| !v.is_empty())
        {
            resource.push((PHOENIX_PROJECT_ATTRIBUTE.to_string(), project.to_string()));
        }
        Profiler { profile, resource }
    }

    /// Whether it adds nothing at all.
    pub fn is_plain(&self) -> bool {
        self.profile == Profile::Plain && self.resource.is_empty()
    }

    /// Adds the profile's attributes to every span of a (masked) batch.
    pub fn apply_batch(&self, spans: &mut [Span]) {
        if self.profile == Profile::Plain {
            return;
        }
        let mut added = Vec::with_capacity(MOST_ADDED);
        for span in spans {
            self.apply_with(span, &mut added);
        }
    }

    /// Adds the profile's attributes to one span, keeping every attribute it has.
    pub fn apply(&self, span: &mut Span) {
        self.apply_with(span, &mut Vec::new());
    }

    /// [`apply`](Self::apply), collecting what it adds in `added` (empty; left empty),
    /// which a batch keeps from span to span.
    fn apply_with(&self, span: &mut Span, added: &mut Vec<Attribute>) {
        self.write_added(span, added);
        span.attributes.reserve_exact(added.len());
        span.attributes.append(added);
    }

    /// Writes the attributes the profile adds to `span` into `out`: the attributes after
    /// the span's own in the message it is encoded from (`wire::encode_spans`, where the
    /// span itself never holds them), or a vector. Worked out on the span as it is: the
    /// meaning borrows its texts.
    pub fn write_added(&self, span: &Span, out: &mut dyn AddTo) {
        if self.profile == Profile::Plain {
            return;
        }
        let meaning = semantic::read_ref(span);
        let mut adder = Adder::new(&span.attributes, out, span.parent_span_id.is_none());
        match self.profile {
            Profile::Plain => {}
            Profile::OpenInference => backends::openinference(&meaning, &mut adder),
            Profile::Langfuse => backends::langfuse(&meaning, &mut adder),
            Profile::LangSmith => backends::langsmith(&meaning, &mut adder),
            Profile::MLflow => backends::mlflow(&meaning, &mut adder),
        }
    }

    /// Adds the resource attributes to every resource of `request` that lacks them.
    pub fn apply_resource(&self, request: &mut ExportTraceServiceRequest) {
        if self.resource.is_empty() {
            return;
        }
        for resource_spans in &mut request.resource_spans {
            self.apply_to_resource(resource_spans.resource.get_or_insert_with(Default::default));
        }
    }

    /// Adds the resource attributes that `resource` lacks (of a request being encoded
    /// span by span: `wire::encode_spans`).
    pub fn apply_to_resource(&self, resource: &mut Resource) {
        for (key, value) in &self.resource {
            if !resource.attributes.iter().any(|a| &a.key == key) {
                resource.attributes.push(KeyValue {
                    key: key.clone(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(value.clone())),
                    }),
                    ..Default::default()
                });
            }
        }
    }
}

/// Which profile each exporter gets, by exporter name (none: plain).
#[derive(Debug, Clone, Default)]
pub struct ProfilePlan {
    /// (exporter name, its profiler); an exporter not listed gets none.
    pub providers: Vec<(String, Profiler)>,
}

impl ProfilePlan {
    /// Every provider's profile, from its row and its settings.
    pub fn from_providers<'a>(providers: impl IntoIterator<Item = &'a ProviderConfig>) -> Self {
        ProfilePlan {
            providers: providers
                .into_iter()
                .map(|p| (p.name.to_string(), Profiler::for_provider(p)))
                .collect(),
        }
    }

    /// The profile of the exporter named `name` (plain when the plan has none).
    pub fn profiler_for(&self, name: &str) -> Profiler {
        self.providers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }
}

/// Where a profile's attributes for one span go: the message the span is encoded from
/// ([`AddedAttrs`]), or a vector the span's attributes are then extended with.
pub trait AddTo {
    /// Whether `key` was added already.
    fn has(&self, key: &str) -> bool;
    /// Adds `key` = the string `text`.
    fn text(&mut self, key: &'static str, text: &str);
    /// Adds `key` = the integer `value`.
    fn int(&mut self, key: &'static str, value: i64);
}

impl AddTo for Vec<Attribute> {
    fn has(&self, key: &str) -> bool {
        self.iter().any(|a| a.key == key)
    }

    fn text(&mut self, key: &'static str, text: &str) {
        self.push(Attribute::new(key, text));
    }

    fn int(&mut self, key: &'static str, value: i64) {
        self.push(Attribute::new(key, value));
    }
}

impl AddTo for AddedAttrs<'_> {
    fn has(&self, key: &str) -> bool {
        AddedAttrs::has(self, key)
    }

    fn text(&mut self, key: &'static str, text: &str) {
        AddedAttrs::text(self, key, text);
    }

    fn int(&mut self, key: &'static str, value: i64) {
        AddedAttrs::int(self, key, value);
    }
}

/// Collects the attributes a profile adds to one span, leaving out those it has.
pub(crate) struct Adder<'a> {
    /// The span's attributes.
    existing: &'a [Attribute],
    /// Where what is added goes, in order.
    added: &'a mut dyn AddTo,
    /// Bit `n` is set when the span has, or is to be given, a name `n` bytes long (bit
    /// 63: 63 or more). Most names a profile adds are of a length no name of the span
    /// has: those are added without comparing names.
    lengths: u64,
    /// The span has no parent: the run span or a trace's root.
    pub root: bool,
}

/// The bit of [`Adder::lengths`] for a name `len` bytes long.
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

impl<'a> Adder<'a> {
    fn new(existing: &'a [Attribute], added: &'a mut dyn AddTo, root: bool) -> Self {
        let lengths = existing
            .iter()
            .fold(0, |bits, a| bits | length_bit(a.key.len()));
        Adder {
            existing,
            added,
            lengths,
            root,
        }
    }

    /// Whether `key` may be added: the span has no attribute of that name, nor was one
    /// added; it is then counted as the span's.
    fn may_add(&mut self, key: &'static str) -> bool {
        let bit = length_bit(key.len());
        if self.lengths & bit != 0
            && (self.existing.iter().any(|a| a.key == key) || self.added.has(key))
        {
            return false;
        }
        self.lengths |= bit;
        true
    }

    /// Adds `key` = `value` (a name of the profile's own) unless the span already has `key`.
    pub fn add(&mut self, key: &'static str, value: &'static str) {
        if self.may_add(key) {
            self.added.text(key, value);
        }
    }

    /// Adds a text the span carried, unless it is a masked placeholder: the profile copies
    /// identifiers and names, never what masking hid.
    pub fn add_text(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value.filter(|v| !is_masked(v))
            && self.may_add(key)
        {
            self.added.text(key, value);
        }
    }

    /// Adds a count, when known (saturated to OTLP's i64).
    pub fn add_count(&mut self, key: &'static str, value: Option<u64>) {
        if let Some(value) = value
            && self.may_add(key)
        {
            self.added
                .int(key, i64::try_from(value).unwrap_or(i64::MAX));
        }
    }
}

/// Whether a text is what `content` masking left in place of a value.
fn is_masked(text: &str) -> bool {
    text.starts_with("[MASKED len=")
}
