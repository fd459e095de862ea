//! Where spans go: the provider presets (and, with the exporters issue, the exporters).

pub mod presets;
