# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_automagik_tracing_global_optspecs
    string join \n env-file= config-dir= data-dir= no-color q/quiet v/verbose h/help V/version
end

function __fish_automagik_tracing_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_automagik_tracing_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_automagik_tracing_using_subcommand
    set -l cmd (__fish_automagik_tracing_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "status" -d 'Show what is on, where traces go, and where each setting came from'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "configure" -d 'Change settings: flags for scripts, a wizard on a terminal'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "test-export" -d 'Send a small test trace to each active provider and report what happened'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "flush" -d 'Deliver what the spool holds: spans that could not be sent when they were recorded'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "run" -d 'Trace a command: a root span for its run, its own OpenTelemetry spans carried through'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "traces" -d 'Look at the local trace store: recent traces, one trace as a tree, spans as they arrive'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "id" -d 'Show the anonymous telemetry ID, creating it on first use'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c automagik-tracing -n "__fish_automagik_tracing_needs_command" -f -a "man" -d 'Print a man page, or write all of them'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -l json -d 'Print one JSON object instead of text'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand status" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l provider -d 'The provider whose keys --set and --unset name, or whose mode --mask sets' -r -f -a "langfuse\t''
langwatch\t''
langsmith\t''
honeycomb\t''
logfire\t''
otlp\t''
phoenix\t''
mlflow\t''
local\t''"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l mask -d 'What of the spans\' content leaves the machine: none, patterns or content' -r -f -a "none\t''
patterns\t''
content\t''"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l set -d 'Set a key (repeatable): a provider\'s short key with --provider, else a setting' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l unset -d 'Remove a key (repeatable), named as for --set' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l scope -d 'Where to write: user (tracing.toml) or project (.env)' -r -f -a "user\t'tracing.toml in the config dir, for every project of this user'
project\t'`.env` in the working directory (or --env-file), for this project'"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l telemetry -d 'Turn anonymous usage telemetry on'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l no-telemetry -d 'Turn anonymous usage telemetry off'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l observability -d 'Turn traces to your providers on'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l no-observability -d 'Turn traces to your providers off'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l dry-run -d 'Print the change as a diff and write nothing'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand configure" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l provider -d 'Test only this provider (even if AUTOMAGIK_OBSERVABILITY_PROVIDERS leaves it out)' -r -f -a "langfuse\t''
langwatch\t''
langsmith\t''
honeycomb\t''
logfire\t''
otlp\t''
phoenix\t''
mlflow\t''
local\t''"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l timeout -d 'Seconds to wait for each provider' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l json -d 'Print one JSON object instead of the table'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand test-export" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l provider -d 'Flush only this provider\'s spool' -r -f -a "langfuse\t''
langwatch\t''
langsmith\t''
honeycomb\t''
logfire\t''
otlp\t''
phoenix\t''
mlflow\t''
local\t''"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l timeout -d 'Give up after this many seconds in all; what is left stays in the spool' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l json -d 'Print one JSON object instead of text'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l to-current -d 'Send every record to the current destination, whatever it was spooled for'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand flush" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l name -d 'Name of the run span (default: the program\'s name)' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l attr -d 'Add an attribute to the run span (repeatable)' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l service-name -d 'service.name of the run span (default: the program\'s name)' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l session -d 'Session id on every span of the run (and to the command as W3C BAGGAGE)' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l user -d 'User id on every span of the run (and to the command as W3C BAGGAGE)' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l agent -d 'The coding agent the command runs, when its name does not say (`none`: trace it as any command)' -r -f -a "claude\t''
gemini\t''
codex\t''
none\t''"
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l flush-timeout -d 'Seconds to deliver spans after the command exits; the rest is spooled [env: AUTOMAGIK_FLUSH_TIMEOUT] [default: 5]' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l wrap -d 'Accepted for scripts written for earlier versions; `run` wraps the command either way'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l no-receiver -d 'Do not start the loopback receiver or point the command at it'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l no-adopt -d 'Keep the command\'s own root spans in their own traces'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand run" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -f -a "list" -d 'The recent traces, newest first: start, id, root span, duration, spans, errors, tokens'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -f -a "show" -d 'One trace as a tree: each span with its duration, a timing bar and its GenAI details'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and not __fish_seen_subcommand_from list show tail" -f -a "tail" -d 'Follow the store and print spans as they are written, until Ctrl-C'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -s n -l limit -d 'How many traces to show' -r
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON object (`{"traces": [...]}`) instead of the table'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -l json -d 'Print the trace as JSON (a summary and its spans in tree order)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -l json -d 'Print one JSON object a line for each span'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand traces; and __fish_seen_subcommand_from tail" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -l reset -d 'Replace the ID with a new random one (events not yet sent under the old one are dropped)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand id" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -l out-dir -d 'Write the script into this directory instead of printing it' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand completions" -s V -l version -d 'Print version'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -l out-dir -d 'Write every page (one per subcommand) into this directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -l env-file -d 'Read variables from this file instead of `.env` in the working directory' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -l config-dir -d 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -l data-dir -d 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]' -r -F
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -l no-color -d 'Never colour the output (NO_COLOR=1 does the same)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -s q -l quiet -d 'Print errors only, no warnings or notes'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automagik-tracing -n "__fish_automagik_tracing_using_subcommand man" -s V -l version -d 'Print version'
