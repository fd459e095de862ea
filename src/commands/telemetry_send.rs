//! `telemetry-send` (hidden): the detached background sender other commands start. Posts
//! the outbox's events within its deadline and exits; prints nothing (nobody reads it).

use std::time::Duration;

use crate::cli::TelemetrySendArgs;
use crate::error::{EXIT_FAILED, EXIT_OK, Result};
use crate::telemetry::sender::send_outbox;

pub fn run(args: &TelemetrySendArgs) -> Result<u8> {
    let deadline = Duration::from_millis(args.deadline_ms);
    Ok(
        match send_outbox(&args.outbox_dir, &args.endpoint, deadline) {
            Ok(sent) if sent.kept == 0 => EXIT_OK,
            _ => EXIT_FAILED,
        },
    )
}
