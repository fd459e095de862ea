//! Terminal output: colour only on a terminal (never with `NO_COLOR` or `--no-color`),
//! warnings on stderr unless `--quiet`, the width to lay text out in, and the styles the
//! commands share.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use console::Style;

use crate::error::Result;

/// The width laid out for when stdout is not a terminal and `COLUMNS` does not say.
pub const DEFAULT_WIDTH: usize = 100;

/// How to talk to the user, decided once at start.
#[derive(Debug, Clone)]
pub struct Ui {
    /// Colour on stdout: it is a terminal, and neither `NO_COLOR`, `TERM=dumb` nor
    /// `--no-color` says otherwise.
    pub color_stdout: bool,
    /// Colour on stderr, by the same rule.
    pub color_stderr: bool,
    /// `--quiet`: warnings and notes are not printed, errors still are.
    pub quiet: bool,
    /// `-v` count: `debug` lines are printed when above 0.
    pub verbose: u8,
    /// Both stdin and stdout are terminals: prompts are possible.
    pub interactive: bool,
    /// Columns to lay text out in: the terminal's width, else `COLUMNS`, else
    /// [`DEFAULT_WIDTH`].
    pub width: usize,
}

impl Ui {
    /// Decides colour, interactivity and width from the flags, the environment snapshot
    /// `env` and the terminals, and sets `console`'s colour switches to match.
    pub fn new(no_color_flag: bool, quiet: bool, verbose: u8, env: &HashMap<String, String>) -> Ui {
        let no_color = no_color_flag
            || env.get("NO_COLOR").is_some_and(|v| !v.is_empty())
            || env.get("TERM").is_some_and(|t| t == "dumb");
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let ui = Ui {
            color_stdout: !no_color && stdout_tty,
            color_stderr: !no_color && stderr_tty,
            quiet,
            verbose,
            interactive: stdout_tty && std::io::stdin().is_terminal(),
            width: width(stdout_tty, env),
        };
        console::set_colors_enabled(ui.color_stdout);
        console::set_colors_enabled_stderr(ui.color_stderr);
        ui
    }

    /// A plain, quiet-less UI for tests and library callers.
    pub fn plain() -> Ui {
        Ui {
            color_stdout: false,
            color_stderr: false,
            quiet: false,
            verbose: 0,
            interactive: false,
            width: DEFAULT_WIDTH,
        }
    }

    /// Writes `text` to stdout as is.
    pub fn out(&self, text: &str) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }

    /// A warning on stderr; a URL in it is shown without its userinfo and query values.
    pub fn warn(&self, message: &str) {
        let message = crate::mask::url::display_in(message);
        if !self.quiet {
            crate::stderr::line(&format!(
                "{} {message}",
                self.paint_err(Style::new().yellow().bold(), "warning:")
            ));
        }
    }

    /// A note on stderr: what was done, where a file is.
    pub fn note(&self, message: &str) {
        let message = crate::mask::url::display_in(message);
        if !self.quiet {
            crate::stderr::line(&message);
        }
    }

    /// Detail shown with `-v`.
    pub fn debug(&self, message: &str) {
        let message = crate::mask::url::display_in(message);
        if self.verbose > 0 {
            crate::stderr::line(&format!(
                "{} {message}",
                self.paint_err(Style::new().dim(), "debug:")
            ));
        }
    }

    /// A progress bar on stderr when it is a terminal (and not `--quiet`); hidden
    /// otherwise, so pipes and logs get only the final lines.
    pub fn progress(&self, total: u64, unit: &str) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let template = format!("{{msg:10}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
        let style = indicatif::ProgressStyle::with_template(&template)
            .expect("a valid template")
            .progress_chars("=> ");
        indicatif::ProgressBar::new(total).with_style(style)
    }

    /// `text` in bold, when stdout takes colour.
    pub fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// `text` in green (a success), when stdout takes colour.
    pub fn good(&self, text: &str) -> String {
        self.paint(Style::new().green(), text)
    }

    /// `text` in red (a failure), when stdout takes colour.
    pub fn bad(&self, text: &str) -> String {
        self.paint(Style::new().red(), text)
    }

    /// `text` dimmed (a detail), when stdout takes colour.
    pub fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dim(), text)
    }

    /// `text` in `style` when stdout takes colour, else as is.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color_stdout {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }

    fn paint_err(&self, style: Style, text: &str) -> String {
        if self.color_stderr {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
}

fn width(stdout_tty: bool, env: &HashMap<String, String>) -> usize {
    let terminal = stdout_tty
        .then(|| console::Term::stdout().size_checked())
        .flatten()
        .map(|(_, cols)| usize::from(cols));
    terminal
        .or_else(|| env.get("COLUMNS")?.trim().parse().ok())
        .filter(|&w| w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}
