//! Usage telemetry: anonymous, allowlisted, opt-out. For now, the anonymous identity.

pub mod identity;
