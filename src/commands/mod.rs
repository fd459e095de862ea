//! One file per subcommand; this module only builds the shared context and dispatches.

mod completions;
mod configure;
mod flush;
mod id;
mod man;
mod run;
mod spool_send;
mod status;
mod telemetry_send;
mod test_export;
mod traces;
mod usage;

use crate::cli::{Cli, Command, Invocation};
use crate::config::{LoadOptions, Override, keys};
use crate::error::Result;
use crate::ui::Ui;

/// What every handler gets: how to print, and how to load settings.
pub struct Context {
    pub ui: Ui,
    pub options: LoadOptions,
    /// What a command saw that its usage telemetry is made of (a wrapped run's spans).
    pub derived: usage::Derived,
}

impl Context {
    /// Builds the context from the global flags and this process's environment.
    pub fn from_cli(cli: &Cli) -> Context {
        Context::from_global(&cli.global)
    }

    pub fn from_global(global: &crate::cli::GlobalArgs) -> Context {
        let mut options = LoadOptions::from_process();
        options.env_file = global.env_file.clone();
        for (value, var, flag) in [
            (&global.config_dir, keys::CONFIG_DIR, "--config-dir"),
            (&global.data_dir, keys::DATA_DIR, "--data-dir"),
        ] {
            if let Some(path) = value {
                options.overrides.push(Override {
                    var: var.to_string(),
                    value: path.display().to_string(),
                    flag: flag.to_string(),
                });
            }
        }
        let ui = Ui::new(global.no_color, global.quiet, global.verbose, &options.env);
        Context {
            ui,
            options,
            derived: Default::default(),
        }
    }

    pub fn load(&self) -> Result<crate::config::Config> {
        self.load_with(self.options.clone())
    }

    /// For commands that write `--env-file` and may create it.
    pub fn load_allowing_new_env_file(&self) -> Result<crate::config::Config> {
        let mut options = self.options.clone();
        options.env_file_may_be_new = true;
        self.load_with(options)
    }

    fn load_with(&self, options: LoadOptions) -> Result<crate::config::Config> {
        let config = crate::config::Config::load(options)?;
        if config.paths.env_file_exists {
            self.ui
                .debug(&format!("read {}", config.paths.env_file.display()));
        }
        Ok(config)
    }
}

/// Runs the subcommand; returns the exit code on success.
pub fn dispatch(invocation: Invocation) -> Result<u8> {
    let cli = match invocation {
        Invocation::User(cli) => cli,
        Invocation::TelemetrySender(args) => return telemetry_send::run(&args),
        // Records no usage telemetry: the user did not ask for it.
        Invocation::SpoolSender(sender) => return spool_send::run(&sender),
    };
    let ctx = Context::from_cli(&cli);
    let started = std::time::Instant::now();
    let result = match &cli.command {
        Command::Status(args) => status::run(args, &ctx),
        Command::Configure(args) => configure::run(args, &ctx),
        Command::TestExport(args) => test_export::run(args, &ctx),
        Command::Flush(args) => flush::run(args, &ctx),
        Command::Run(args) => run::run(args, &ctx),
        Command::Traces(args) => traces::run(args, &ctx),
        Command::Id(args) => id::run(args, &ctx),
        Command::Completions(args) => completions::run(args, &ctx),
        Command::Man(args) => man::run(args, &ctx),
    };
    usage::record(&cli.command, &ctx, &result, started.elapsed());
    result
}
