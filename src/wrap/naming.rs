//! What the run span is called and which service it belongs to: `python agent.py` is the
//! run of `agent.py`, not of `python`; `uv run eval.py` and `npx tsx app.ts` likewise. The
//! service follows the OpenTelemetry variables the command's own SDK reads
//! (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`), so the run and the agent's spans
//! land under one service.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use percent_encoding::percent_decode_str;

/// Programs that run what follows them: the run is named after that.
const RUNNERS: &[(&str, usize)] = &[
    // (program, how many words after it name the runner itself: `uv run`, `npx`)
    ("uv", 1),
    ("poetry", 1),
    ("pipenv", 1),
    ("pdm", 1),
    ("hatch", 1),
    ("npx", 0),
    ("bunx", 0),
    ("pnpx", 0),
    ("tsx", 0),
    ("ts-node", 0),
    ("env", 0),
];

/// Interpreters: the run is named after the script (or `-m module`) they are given.
const INTERPRETERS: &[&str] = &[
    "python", "node", "deno", "bun", "ruby", "perl", "php", "bash", "sh", "zsh", "Rscript",
];

/// The name of the run span for `command` (program and arguments).
pub fn run_name(command: &[OsString]) -> String {
    let words: Vec<String> = command
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    name_of(&words).unwrap_or_else(|| words.first().map_or_else(String::new, |p| base(p)))
}

fn name_of(words: &[String]) -> Option<String> {
    let program = base(words.first()?);
    if let Some(&(_, skip)) = RUNNERS.iter().find(|(r, _)| *r == program) {
        // `uv run x.py`, `poetry run python x.py`, `npx tsx app.ts`, `env A=1 python x.py`.
        let rest: Vec<String> = words[1..]
            .iter()
            .skip(skip)
            .skip_while(|w| w.starts_with('-') || w.contains('='))
            .cloned()
            .collect();
        return name_of(&rest).or(Some(program));
    }
    if is_interpreter(&program) {
        let mut args = words[1..].iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-m" => return args.next().cloned(),
                "-c" | "-e" | "--eval" => return Some(program),
                a if a.starts_with('-') => continue,
                script => return Some(base(script)),
            }
        }
        return Some(program);
    }
    Some(program)
}

fn is_interpreter(program: &str) -> bool {
    INTERPRETERS.iter().any(|i| {
        program == *i
            || program
                .strip_prefix(i)
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    })
}

fn base(word: &str) -> String {
    Path::new(word)
        .file_name()
        .map_or_else(|| word.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The resource attributes the command's SDK would use (`OTEL_RESOURCE_ATTRIBUTES`, with
/// `OTEL_SERVICE_NAME` over its `service.name`), for the run span's resource too.
pub fn resource_from_env(env: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut attributes: Vec<(String, String)> = env
        .get("OTEL_RESOURCE_ATTRIBUTES")
        .map(|list| {
            list.split(',')
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    let value = percent_decode_str(value.trim()).decode_utf8().ok()?;
                    let key = key.trim();
                    (!key.is_empty()).then(|| (key.to_string(), value.into_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(service) = env
        .get("OTEL_SERVICE_NAME")
        .filter(|s| !s.trim().is_empty())
    {
        attributes.retain(|(k, _)| k != "service.name");
        attributes.push(("service.name".into(), service.trim().to_string()));
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(command: &str) -> String {
        let words: Vec<OsString> = command.split(' ').map(OsString::from).collect();
        run_name(&words)
    }

    #[test]
    fn runs_are_named_after_the_script_not_the_interpreter() {
        for (command, expected) in [
            ("python agent.py --verbose", "agent.py"),
            ("/usr/bin/python3.12 -u src/agent.py", "agent.py"),
            ("python -m my_agent.main --fast", "my_agent.main"),
            ("python -c print(1)", "python"),
            ("node dist/app.js", "app.js"),
            ("uv run eval.py", "eval.py"),
            ("uv run python eval.py", "eval.py"),
            ("poetry run python -m agent", "agent"),
            ("npx tsx app.ts", "app.ts"),
            ("env FOO=1 python x.py", "x.py"),
            ("bash ./run.sh", "run.sh"),
            ("./eval.sh", "eval.sh"),
            ("claude -p hi", "claude"),
            ("python", "python"),
        ] {
            assert_eq!(name(command), expected, "{command}");
        }
    }

    #[test]
    fn the_service_follows_the_sdk_variables() {
        let env = HashMap::from([
            (
                "OTEL_RESOURCE_ATTRIBUTES".to_string(),
                "service.name=from-attrs,deployment.environment=staging,team=a%20b".to_string(),
            ),
            ("OTEL_SERVICE_NAME".to_string(), "support-agent".to_string()),
        ]);
        let attributes = resource_from_env(&env);
        assert!(attributes.contains(&("service.name".into(), "support-agent".into())));
        assert!(attributes.contains(&("deployment.environment".into(), "staging".into())));
        assert!(attributes.contains(&("team".into(), "a b".into())));
        assert_eq!(
            attributes
                .iter()
                .filter(|(k, _)| k == "service.name")
                .count(),
            1
        );
        assert!(resource_from_env(&HashMap::new()).is_empty());
    }
}
