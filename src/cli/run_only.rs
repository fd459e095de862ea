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
    if let Some(plain) = plain(&args[2..]) {
        return Some(plain);
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

/// The variables `run`'s flags take a default from (clap's `env`): when one is set, the
/// command line is clap's to read. A test holds this to what clap's types say.
const ENV_DEFAULTS: [&str; 2] = ["AUTOMAGIK_SESSION_ID", "AUTOMAGIK_USER_ID"];

/// The flags [`plain`] reads itself: switches, each given once at most.
const SWITCHES: [&str; 3] = ["--wrap", "--no-receiver", "--no-adopt"];

/// `run [--wrap] [--no-receiver] [--no-adopt] [--] CMD...`, the form scripts and the
/// benchmarks use, read without clap: building `run`'s arguments (their help included)
/// costs clap a fifth of a millisecond before the command can start. Anything else (a
/// flag with a value, a global flag, a dash where the command would begin, a switch
/// twice, no command, or a variable `run` reads a default from) is clap's to parse.
fn plain(after_run: &[OsString]) -> Option<Cli> {
    if ENV_DEFAULTS
        .iter()
        .any(|var| std::env::var_os(var).is_some())
    {
        return None;
    }
    let mut given = [false; SWITCHES.len()];
    let mut rest = after_run;
    while let Some((first, tail)) = rest.split_first() {
        let Some(at) = SWITCHES.iter().position(|s| first == *s) else {
            break;
        };
        if std::mem::replace(&mut given[at], true) {
            return None;
        }
        rest = tail;
    }
    let command = match rest.split_first() {
        Some((dashes, command)) if dashes == "--" => command,
        Some((program, _)) if !program.to_string_lossy().starts_with('-') => rest,
        _ => return None,
    };
    if command.is_empty() {
        return None;
    }
    let [wrap, no_receiver, no_adopt] = given;
    Some(Cli {
        global: GlobalArgs {
            env_file: None,
            config_dir: None,
            data_dir: None,
            no_color: false,
            quiet: false,
            verbose: 0,
        },
        command: Command::Run(RunArgs {
            wrap,
            name: None,
            attrs: Vec::new(),
            service_name: None,
            no_receiver,
            no_adopt,
            session: None,
            user: None,
            agent: None,
            flush_timeout: None,
            command: command.to_vec(),
        }),
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
    fn the_plain_form_reads_as_clap_reads_it() {
        // The tests' environment sets neither AUTOMAGIK_SESSION_ID nor AUTOMAGIK_USER_ID.
        for args in [
            &["automagik-tracing", "run", "true"][..],
            &["automagik-tracing", "run", "--wrap", "--", "true"],
            &[
                "automagik-tracing",
                "run",
                "--wrap",
                "--no-receiver",
                "--",
                "true",
            ],
            &[
                "automagik-tracing",
                "run",
                "--no-adopt",
                "--wrap",
                "python",
                "a.py",
                "-v",
            ],
            &["automagik-tracing", "run", "--", "-dash", "--wrap"],
            &["automagik-tracing", "run", "sh", "-c", "exit 3", "--", "x"],
        ] {
            let args = os(args);
            let whole = Cli::try_parse_from(&args).expect("the whole parser takes it");
            let plain = plain(&args[2..]).expect("the plain form");
            assert_eq!(format!("{plain:?}"), format!("{whole:?}"), "{args:?}");
        }
    }

    #[test]
    fn the_plain_form_knows_every_variable_run_takes_a_default_from() {
        use clap::CommandFactory;
        let whole = RunOnly::command();
        let run = whole.find_subcommand("run").expect("run");
        let mut read: Vec<String> = whole
            .get_arguments()
            .chain(run.get_arguments())
            .filter_map(|arg| arg.get_env())
            .map(|var| var.to_string_lossy().into_owned())
            .collect();
        read.sort();
        assert_eq!(read, ENV_DEFAULTS);
    }

    #[test]
    fn anything_but_the_plain_form_is_left_to_clap() {
        for args in [
            &["automagik-tracing", "run"][..],
            &["automagik-tracing", "run", "--wrap"],
            &["automagik-tracing", "run", "--wrap", "--"],
            &["automagik-tracing", "run", "--wrap", "--wrap", "true"],
            &["automagik-tracing", "run", "-v", "true"],
            &["automagik-tracing", "run", "--name", "n", "true"],
            &["automagik-tracing", "run", "--flush-timeout=2", "true"],
            &["automagik-tracing", "run", "--no-such-flag", "true"],
            &["automagik-tracing", "run", "--help"],
        ] {
            assert!(plain(&os(args)[2..]).is_none(), "{args:?}");
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
