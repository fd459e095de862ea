//! Usage telemetry: anonymous, allowlisted, opt-out, and never in the way.
//!
//! A [`Collector`] takes the plan's calls and filters each event through [`privacy`] (an
//! exact allowlist of keys per [`events::EventType`], values scrubbed and capped); at the
//! end of a command the events go to the [`outbox`], and a detached [`sender`] posts them
//! to the telemetry endpoint as OTLP spans. [`derive`](mod@derive) turns what a wrapped
//! run's receiver sees into events. The anonymous ID and the salt live in [`identity`].

pub mod collector;
pub mod derive;
pub mod events;
pub mod identity;
pub mod notice;
pub mod outbox;
pub mod privacy;
pub mod sender;
pub mod vocabulary;

pub use collector::Collector;
pub use events::{AttrValue, EventType};
pub use sender::send_pending;

#[cfg(test)]
mod proptests;
