//! The wrapped command's arguments as the run span records them: values that look secret
//! are replaced by `[REDACTED]`.

use crate::mask::patterns::looks_like_key;

const SECRET_FLAGS: &[&str] = &[
    "--api-key",
    "--apikey",
    "--token",
    "--password",
    "--passwd",
    "--secret",
    "--key",
    "--auth",
    "--access-token",
    "--client-secret",
    "-p",
];

pub const REDACTED: &str = "[REDACTED]";

/// `args` (program first) with secret values redacted: the value after a secret flag,
/// `--flag=value` forms of them, and any value that looks like a key.
pub fn redact(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            out.push(REDACTED.to_string());
            hide_next = false;
            continue;
        }
        let lower = arg.to_ascii_lowercase();
        if let Some((flag, _)) = lower.split_once('=')
            && is_secret_flag(flag)
        {
            let name = &arg[..flag.len()];
            out.push(format!("{name}={REDACTED}"));
            continue;
        }
        if is_secret_flag(&lower) {
            hide_next = true;
            out.push(arg.clone());
            continue;
        }
        out.push(if looks_like_key(arg) {
            REDACTED.to_string()
        } else {
            arg.clone()
        });
    }
    out
}

fn is_secret_flag(flag: &str) -> bool {
    SECRET_FLAGS.contains(&flag)
        || (flag.starts_with("--")
            && ["key", "token", "secret", "password"]
                .iter()
                .any(|w| flag.ends_with(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn secret_values_are_redacted() {
        let args = s(&[
            "python",
            "agent.py",
            "--api-key",
            "abc",
            "--token=xyz",
            "--verbose",
            "sk-proj-1234567890abcdef",
            "--model",
            "gpt-4o",
            "--openai-api-key",
            "k",
        ]);
        assert_eq!(
            redact(&args),
            s(&[
                "python",
                "agent.py",
                "--api-key",
                REDACTED,
                "--token=[REDACTED]",
                "--verbose",
                REDACTED,
                "--model",
                "gpt-4o",
                "--openai-api-key",
                REDACTED,
            ])
        );
    }

    #[test]
    fn ordinary_values_stay() {
        for v in [
            "agent.py",
            "--verbose",
            "/home/u/data.csv",
            "hello world",
            "12345",
        ] {
            assert!(!looks_like_key(v), "{v}");
        }
        assert!(looks_like_key("0123456789abcdef0123456789abcdef"));
        assert!(looks_like_key("AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI1234"));
    }
}
