//! The one error type of the tool, and the exit code each kind of error maps to.
//!
//! Errors are built where the failure is understood (the file, variable or URL is named
//! there) and carry an optional hint that tells the user what to do next. `main` prints
//! them once through [`Error::report`]; nothing below it calls `process::exit`.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for an operation that was attempted and failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage mistake or bad input (a flag, a variable, a file we cannot parse).
pub const EXIT_USAGE: u8 = 2;

/// What went wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is wrong: an unknown key, a missing flag, a flag combination.
    #[error("{message}")]
    Usage {
        /// What went wrong, lowercase, naming the flag, variable, file or URL.
        message: String,
        /// What to do about it, shown under the message.
        hint: Option<String>,
    },
    /// A value or file the user wrote cannot be understood.
    #[error("{message}")]
    BadInput {
        /// What went wrong, lowercase, naming the flag, variable, file or URL.
        message: String,
        /// What to do about it, shown under the message.
        hint: Option<String>,
    },
    /// Reading or writing a file or socket failed.
    #[error("{context}")]
    Io {
        /// What was being done, and to which path (`cannot read \`.env\``).
        context: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The operation ran and did not succeed (an export refused, a child not found).
    #[error("{message}")]
    Failed {
        /// What went wrong, lowercase, naming the flag, variable, file or URL.
        message: String,
        /// What to do about it, shown under the message.
        hint: Option<String>,
    },
}

/// The tool's result type: [`Error`] unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A usage mistake (exit 2) with no hint yet.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// A value or file that cannot be understood (exit 2), with no hint yet.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Error::BadInput {
            message: message.into(),
            hint: None,
        }
    }

    /// An operation that ran and failed (exit 1), with no hint yet.
    pub fn failed(message: impl Into<String>) -> Self {
        Error::Failed {
            message: message.into(),
            hint: None,
        }
    }

    /// An I/O error on `path`; `action` is a verb phrase such as "cannot read".
    pub fn io(action: &str, path: &Path, source: io::Error) -> Self {
        Error::Io {
            context: format!("{action} `{}`", path.display()),
            source,
        }
    }

    /// Adds (or replaces) the hint shown under the message.
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Usage { hint, .. }
            | Error::BadInput { hint, .. }
            | Error::Failed { hint, .. } => *hint = Some(text.into()),
            Error::Io { context, source } => {
                // An I/O error has no hint slot of its own: fold it into a Failed error.
                return Error::Failed {
                    message: format!("{context}: {source}"),
                    hint: Some(text.into()),
                };
            }
        }
        self
    }

    /// The hint, if any (I/O errors have none).
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Usage { hint, .. }
            | Error::BadInput { hint, .. }
            | Error::Failed { hint, .. } => hint.as_deref(),
            Error::Io { .. } => None,
        }
    }

    /// The process exit code for this error: 2 for usage and bad input, 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage { .. } | Error::BadInput { .. } => EXIT_USAGE,
            Error::Io { .. } | Error::Failed { .. } => EXIT_FAILED,
        }
    }

    /// True when stdout was closed under us (`automagik-tracing status | head -1`): not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The message and its causes on one line (`cannot write \`x\`: No space left on device`),
    /// for errors reported as a warning rather than returned.
    pub fn one_line(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            let _ = write!(out, ": {err}");
            cause = err.source();
        }
        out
    }

    /// The text `main` prints on stderr: `error: ...`, the cause chain, then the hint.
    pub fn report(&self) -> String {
        let mut out = format!("error: {self}\n");
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            let _ = writeln!(out, "  caused by: {err}");
            cause = err.source();
        }
        if let Some(hint) = self.hint() {
            let _ = writeln!(out, "hint: {hint}");
        }
        // A URL named anywhere in the error (a setting's value, a request's) is shown
        // without its userinfo and query values.
        crate::mask::url::display_in(&out).into_owned()
    }
}

impl From<io::Error> for Error {
    /// Only for writes to stdout/stderr, where there is no path to name.
    fn from(source: io::Error) -> Self {
        Error::Io {
            context: "cannot write output".into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_bad_input_exit_2_failures_exit_1() {
        assert_eq!(Error::usage("x").exit_code(), EXIT_USAGE);
        assert_eq!(Error::bad_input("x").exit_code(), EXIT_USAGE);
        assert_eq!(Error::failed("x").exit_code(), EXIT_FAILED);
        let io = Error::io("cannot read", Path::new("/x"), io::Error::other("boom"));
        assert_eq!(io.exit_code(), EXIT_FAILED);
    }

    #[test]
    fn report_shows_cause_chain_and_hint() {
        let err = Error::io(
            "cannot read",
            Path::new("/etc/x"),
            io::Error::new(io::ErrorKind::NotFound, "no such file"),
        );
        let text = err.report();
        assert!(text.starts_with("error: cannot read `/etc/x`\n"), "{text}");
        assert!(text.contains("caused by: no such file"), "{text}");
        let text = Error::bad_input("bad").with_hint("do this").report();
        assert!(text.ends_with("hint: do this\n"), "{text}");
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let err = Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "pipe"));
        assert!(err.is_broken_pipe());
        assert!(!Error::failed("x").is_broken_pipe());
    }
}
