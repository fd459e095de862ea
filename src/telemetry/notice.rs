//! The one-time notice, printed on stderr before the first event is ever sent: what is
//! sent, how to switch it off, where to read more.

use std::fs::OpenOptions;
use std::path::Path;

use crate::config::files;

/// The marker file in the config dir that says the notice was shown.
pub const MARKER_FILE_NAME: &str = "telemetry_notice_shown";

/// The notice's text: what is sent, what never is, how to switch it off.
pub const NOTICE: &str = "\
automagik-tracing collects anonymous usage telemetry: which commands and features are
used, agent frameworks, counts, durations and error types, with a random ID. Never your
prompts, traces, arguments, file paths or keys, and nothing that identifies you.
  switch it off:   automagik-tracing configure --no-telemetry   (or DO_NOT_TRACK=1)
  see each event:  AUTOMAGIK_TELEMETRY_DEBUG=1 (prints, sends nothing)
  read more:       TELEMETRY.md in the automagik-tracing repository
This notice is shown once.";

/// True the first time it is asked on this install (and remembers that it was).
pub fn first_time(config_dir: &Path) -> bool {
    if files::private_dir(config_dir).is_err() {
        return false;
    }
    let marker = config_dir.join(MARKER_FILE_NAME);
    files::open_private(&marker, OpenOptions::new().write(true).create_new(true)).is_ok()
}
