//! The `automagik-tracing` binary: parse, run, turn the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match automagik_tracing::run(automagik_tracing::cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprint!("{}", err.report());
            ExitCode::from(err.exit_code())
        }
    }
}
