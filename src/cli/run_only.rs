//! `run` parsed alone. A wrapped command waits on the wrapper's start-up, and clap's derive
//! builds every subcommand's arguments before it parses any; a command line that starts
//! with `run` is parsed with `run`'s own and the global flags only. Anything but a clean
//! parse (help, the version, a mistake) is left to the whole parser, which says it as
//! always.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use super::{Cli, Command, GlobalArgs, RunArgs};

/// The top level of [`Cli`] with `run` as its only subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "automagik-tracing",
    version,
    propagate_version = true,
    disable_help_subcommand = true
)]
struct RunOnly {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: RunCommand,
}

#[derive(Debug, Subcommand)]
enum RunCommand {
    Run(RunArgs),
}

/// The command line, when it is a `run` that parses cleanly.
pub(super) fn parse(args: &[OsString]) -> Option<Cli> {
    if args.get(1).is_none_or(|first| first != "run") {
        return None;
    }
    let RunOnly {
        global,
        command: RunCommand::Run(run),
    } = RunOnly::try_parse_from(args).ok()?;
    Some(Cli {
        global,
        command: Command::Run(run),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn run_alone_parses_as_the_whole_command_line_does() {
        for args in [
            &["automagik-tracing", "run", "true"][..],
            &[
                "automagik-tracing",
                "run",
                "--wrap",
                "--",
                "sh",
                "-c",
                "exit 3",
            ],
            &[
                "automagik-tracing",
                "run",
                "-v",
                "--name",
                "nightly",
                "--attr",
                "team=search",
                "--flush-timeout",
                "2",
                "python",
                "agent.py",
                "--verbose",
            ],
            &[
                "automagik-tracing",
                "run",
                "--no-receiver",
                "--config-dir",
                "/c",
                "--",
                "true",
            ],
            &[
                "automagik-tracing",
                "run",
                "--agent",
                "gemini",
                "--",
                "x",
                "-p",
                "hi",
            ],
            &["automagik-tracing", "run"],
            // An unknown flag where the command may begin is the command (`--wrap` style).
            &["automagik-tracing", "run", "--no-such-flag", "true"],
        ] {
            let args = os(args);
            let whole = Cli::try_parse_from(&args).expect("the whole parser takes it");
            let alone = parse(&args).expect("run alone takes it");
            assert_eq!(format!("{alone:?}"), format!("{whole:?}"), "{args:?}");
        }
    }

    #[test]
    fn help_the_version_mistakes_and_other_commands_go_to_the_whole_parser() {
        for args in [
            &["automagik-tracing", "run", "--help"][..],
            &["automagik-tracing", "run", "--version"],
            &[
                "automagik-tracing",
                "run",
                "--flush-timeout",
                "soon",
                "true",
            ],
            &["automagik-tracing", "-v", "run", "true"],
            &["automagik-tracing", "status"],
            &["automagik-tracing"],
        ] {
            assert!(parse(&os(args)).is_none(), "{args:?}");
        }
    }
}
