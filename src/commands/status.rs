//! `status`: every effective setting with its source, and why each layer is on or off.
//!
//! Read-only: it never creates the anonymous ID or any other file. The JSON form is the
//! [`Report`] struct, which tests and scripts read. It never stops at the first bad
//! value: every setting is shown, each unreadable one marked with its error, and the
//! exit code is 2 when there was any. Its parts are built in `providers`, `telemetry`,
//! `tunables` and `pending` (the spool), and rendered as text in `render`.

use serde::Serialize;

use self::pending::spool_report;
use self::tunables::limits;
use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::config::placeholder::Placeholder;
use crate::config::resolver::Invalid;
use crate::config::{Config, Settings, Sourced};
use crate::engine::RunMetrics;
use crate::error::{EXIT_OK, EXIT_USAGE, Error, Result};
use crate::mask::{MaskMode, url};

mod model_calls;
mod pending;
mod providers;
mod render;
mod telemetry;
mod tunables;

pub use self::pending::SpoolReport;
pub use self::providers::ProviderReport;
pub use self::telemetry::TelemetryReport;
pub use self::tunables::{FilesReport, LimitReport};

#[derive(Debug, Serialize)]
pub struct Report {
    pub observability: ObservabilityReport,
    pub telemetry: TelemetryReport,
    pub limits: Vec<LimitReport>,
    pub files: FilesReport,
    /// The figures of the last run that exported anything, from the data dir.
    pub last_run: Option<RunMetrics>,
    /// What waits in the spool for `flush`, per provider (only those with something).
    pub spool: Vec<SpoolReport>,
    /// The CI variable that was detected, if any.
    pub ci: Option<String>,
    pub warnings: Vec<String>,
    /// Settings whose value cannot be read, each with its error; `status` exits 2.
    pub invalid: Vec<Invalid>,
    /// Files and directories the tool cannot use (an unreadable `.env`, a data dir that
    /// is a file), each with its error; `status` exits 2.
    pub problems: Vec<Problem>,
    /// Provider keys set to a placeholder or left empty: they count as unset.
    pub placeholders: Vec<Placeholder>,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    pub error: String,
    pub hint: Option<String>,
}

impl Problem {
    fn new(err: &Error) -> Problem {
        Problem {
            error: err.one_line(),
            hint: err.hint().map(str::to_string),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ObservabilityReport {
    pub enabled: bool,
    pub reason: String,
    pub providers: Vec<ProviderReport>,
    pub sample_rate: Sourced<f64>,
    pub slow_threshold_ms: Sourced<u64>,
    /// `AUTOMAGIK_MASK`: the mode of every provider without its own.
    pub mask: Sourced<MaskMode>,
    pub mask_keep: Sourced<Vec<String>>,
}

pub fn run(args: &StatusArgs, ctx: &Context) -> Result<u8> {
    let (config, unreadable) = Config::load_all(ctx.options.clone())?;
    let settings = config.settings_all();
    let mut report = Report::new(&settings);
    report.problems = unreadable.iter().map(Problem::new).collect();
    report
        .problems
        .extend(data_dir_problem(&settings.paths.data_dir.value));
    if args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        ctx.ui.out(&format!("{text}\n"))?;
    } else {
        ctx.ui.out(&render::render(&report, &ctx.ui))?;
        for warning in &report.warnings {
            ctx.ui.warn(warning);
        }
        for problem in &report.problems {
            ctx.ui.warn(&problem.error);
        }
    }
    // Also on stderr, where scripts and `2>&1 | grep error` look for them.
    for invalid in &report.invalid {
        eprint!("{}", invalid.to_error().report());
    }
    let bad = !report.invalid.is_empty() || !report.problems.is_empty();
    Ok(if bad { EXIT_USAGE } else { EXIT_OK })
}

/// Why the data dir cannot hold the spool, the local store and the run metrics, if so.
/// A missing one is fine: it is created when first needed.
fn data_dir_problem(dir: &std::path::Path) -> Option<Problem> {
    let hint = "set AUTOMAGIK_DATA_DIR (or --data-dir) to a directory of yours";
    let err = match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => Error::io("cannot use the data dir", dir, e),
        Ok(meta) if !meta.is_dir() => Error::bad_input(format!(
            "the data dir `{}` is not a directory",
            dir.display()
        )),
        Ok(_) => match std::fs::read_dir(dir) {
            Ok(_) => return None,
            Err(e) => Error::io("cannot read the data dir", dir, e),
        },
    };
    Some(Problem::new(&err.with_hint(hint)))
}

impl Report {
    pub fn new(settings: &Settings) -> Report {
        let obs = &settings.observability;
        let paths = &settings.paths;
        Report {
            observability: ObservabilityReport {
                enabled: obs.switch.enabled,
                reason: obs.switch.reason.clone(),
                providers: obs.providers.iter().map(ProviderReport::new).collect(),
                sample_rate: obs.sample_rate.clone(),
                slow_threshold_ms: obs.slow_threshold_ms.clone(),
                mask: obs.mask.mode.clone(),
                mask_keep: obs.mask.keep.clone(),
            },
            telemetry: TelemetryReport::new(settings),
            limits: limits(&settings.limits),
            files: FilesReport::new(paths),
            last_run: RunMetrics::load(&paths.data_dir.value),
            spool: spool_report(settings),
            ci: settings.ci.clone(),
            warnings: settings
                .warnings
                .iter()
                .map(|w| url::display_in(w).into_owned())
                .collect(),
            invalid: settings.invalid.clone(),
            problems: Vec::new(),
            placeholders: settings.placeholders.clone(),
        }
    }
}
