//! `traces tail`: follow the store and print each span as it is written, until Ctrl-C
//! (or SIGTERM), which ends it with exit code 0 between two lines, never inside one.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};

use super::text::{SHORT_ID, details, duration, fit};
use crate::cli::TracesTailArgs;
use crate::commands::Context;
use crate::error::{EXIT_OK, Error, Result};
use crate::span::Span;
use crate::traces::{Follower, SpanJson, utc_time_of_day};
use crate::ui::Ui;

/// How often the store is looked at.
const POLL: Duration = Duration::from_millis(200);
/// How often a stop request is looked for while waiting.
const TICK: Duration = Duration::from_millis(20);
const NAME_WIDTH: usize = 32;
const MAX_INLINE_ERROR: usize = 80;

pub fn run(args: &TracesTailArgs, ctx: &Context, dir: &Path) -> Result<u8> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| Error::failed(format!("cannot handle signal {signal}: {e}")))?;
    }
    let mut follower = Follower::at_end(dir)?;
    let waiting = if dir.is_dir() {
        ""
    } else {
        " (it does not exist yet)"
    };
    ctx.ui.note(&format!(
        "following {}{waiting}; Ctrl-C to stop",
        dir.display()
    ));
    let mut warn = super::warn(ctx);
    while !stop.load(Ordering::Relaxed) {
        for span in follower.poll(&mut warn)? {
            let text = if args.json {
                super::json_out::line(&SpanJson::new(&span, None))
            } else {
                line(&span, &ctx.ui)
            };
            ctx.ui.out(&text)?;
        }
        let mut waited = Duration::ZERO;
        while waited < POLL && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            waited += TICK;
        }
    }
    Ok(EXIT_OK)
}

/// `14:03:22.123  4bf92f35  chat gpt-4o-mini  812 ms  gpt-4o-mini  182 in / 41 out`
fn line(span: &Span, ui: &Ui) -> String {
    let d = crate::traces::details(span);
    let mut name = fit(&super::text::one_line(&span.name), NAME_WIDTH);
    if d.error.is_some() {
        name = ui.bad(&name);
    }
    let id = span.trace_id.to_hex();
    let text = details(ui, &d, MAX_INLINE_ERROR);
    let line = format!(
        "{}  {}  {name}  {:>8}  {text}",
        utc_time_of_day(span.start_unix_nanos),
        ui.dim(&id[..SHORT_ID]),
        duration(span.end_unix_nanos.saturating_sub(span.start_unix_nanos)),
    );
    format!("{}\n", line.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Status, StatusCode};

    #[test]
    fn a_line_holds_no_control_character_from_the_span() {
        let hostile = "\x1b]0;pwned\x07\x1b[2J\r\u{9b}x";
        let mut span = Span::start(
            hostile,
            None,
            Arc::new(Resource::service("s")),
            Arc::new(Scope::default()),
        );
        span.set("gen_ai.request.model", hostile)
            .set("gen_ai.tool.name", hostile);
        span.status = Status {
            code: StatusCode::Error,
            message: hostile.into(),
        };
        let text = line(&span, &Ui::plain());
        assert!(text.contains("pwned"), "{text}");
        assert!(!text.contains(['\x1b', '\x07', '\r', '\u{9b}']), "{text:?}");
    }
}
