//! Loads the settings the way the binary does and prints where traces would go.
//!
//! Run it with `cargo run --example show_settings` in a directory with a `.env`.

use automagik_tracing::{Config, LoadOptions};

fn main() -> Result<(), automagik_tracing::Error> {
    let settings = Config::load(LoadOptions::from_process())?.settings()?;
    println!("observability {}", settings.observability.switch.reason);
    for provider in settings.observability.active() {
        let endpoint = provider.endpoint.as_deref().unwrap_or("-");
        println!("  {:<10} {endpoint}", provider.name);
    }
    println!("telemetry     {}", settings.telemetry.switch.reason);
    Ok(())
}
