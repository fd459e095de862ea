
use builtin;
use str;

set edit:completion:arg-completer[automagik-tracing] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'automagik-tracing'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'automagik-tracing'= {
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Show what is on, where traces go, and where each setting came from'
            cand configure 'Change settings: flags for scripts, a wizard on a terminal'
            cand test-export 'Send a small test trace to each active provider and report what happened'
            cand flush 'Deliver what the spool holds: spans that could not be sent when they were recorded'
            cand run 'Trace a command: a root span for its run, its own OpenTelemetry spans carried through'
            cand id 'Show the anonymous telemetry ID, creating it on first use'
            cand completions 'Print a shell completion script'
            cand man 'Print a man page, or write all of them'
        }
        &'automagik-tracing;status'= {
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --json 'Print one JSON object instead of text'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;configure'= {
            cand --provider 'The provider whose keys --set and --unset name, or whose mode --mask sets'
            cand --mask 'What of the spans'' content leaves the machine: none, patterns or content'
            cand --set 'Set a key (repeatable): a provider''s short key with --provider, else a setting'
            cand --unset 'Remove a key (repeatable), named as for --set'
            cand --scope 'Where to write: user (tracing.toml) or project (.env)'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --telemetry 'Turn anonymous usage telemetry on'
            cand --no-telemetry 'Turn anonymous usage telemetry off'
            cand --observability 'Turn traces to your providers on'
            cand --no-observability 'Turn traces to your providers off'
            cand --dry-run 'Print the change as a diff and write nothing'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;test-export'= {
            cand --provider 'Test only this provider (even if AUTOMAGIK_OBSERVABILITY_PROVIDERS leaves it out)'
            cand --timeout 'Seconds to wait for each provider'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --json 'Print one JSON object instead of the table'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;flush'= {
            cand --provider 'Flush only this provider''s spool'
            cand --timeout 'Give up after this many seconds in all; what is left stays in the spool'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --json 'Print one JSON object instead of text'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;run'= {
            cand --name 'Name of the run span (default: the program''s name)'
            cand --attr 'Add an attribute to the run span (repeatable)'
            cand --service-name 'service.name of the run span (default: the program''s name)'
            cand --flush-timeout 'Seconds to deliver spans after the command exits; the rest is spooled [env: AUTOMAGIK_FLUSH_TIMEOUT] [default: 5]'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --wrap 'Wrap the command that follows (required)'
            cand --no-receiver 'Do not start the loopback receiver or point the command at it'
            cand --no-adopt 'Keep the command''s own root spans in their own traces'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;id'= {
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --reset 'Replace the ID with a new random one (events not yet sent under the old one are dropped)'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;completions'= {
            cand --out-dir 'Write the script into this directory instead of printing it'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'automagik-tracing;man'= {
            cand --out-dir 'Write every page (one per subcommand) into this directory'
            cand --env-file 'Read variables from this file instead of `.env` in the working directory'
            cand --config-dir 'Directory of tracing.toml and the anonymous ID [env: AUTOMAGIK_CONFIG_DIR]'
            cand --data-dir 'Directory of the spool, the local trace store and run metrics [env: AUTOMAGIK_DATA_DIR]'
            cand --no-color 'Never colour the output (NO_COLOR=1 does the same)'
            cand -q 'Print errors only, no warnings or notes'
            cand --quiet 'Print errors only, no warnings or notes'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
