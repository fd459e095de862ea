//! The wrapped command's arguments as the run span records them, secrets replaced by
//! `[REDACTED]`: the value after a secret flag (`--token x`, `--password=x`), credential
//! headers (`-H "Authorization: Bearer …"`), a URL's userinfo and secret query values,
//! `NAME=VALUE` arguments whose name looks secret, curl's `-u user:pw`, and any key shape
//! the `patterns` scanner knows, wherever it sits in an argument. Only the secret part
//! goes where the rest still says what the command did (`Authorization: Bearer [REDACTED]`).

use crate::mask::patterns::{self, Secret};
use crate::mask::url;

const SECRET_FLAGS: &[&str] = &[
    "--api-key",
    "--apikey",
    "--token",
    "--password",
    "--passwd",
    "--pass",
    "--secret",
    "--key",
    "--auth",
    "--access-token",
    "--client-secret",
    "-p",
];

/// Flags whose value is a header (`Name: value`).
const HEADER_FLAGS: &[&str] = &["--header", "--proxy-header"];

/// Flags whose value is `user:password` (curl, wget): the part after the colon is hidden.
const USER_FLAGS: &[&str] = &["-u", "--user", "--proxy-user"];

/// What a secret in the command's arguments becomes in the run span.
pub const REDACTED: &str = "[REDACTED]";

/// What the argument before this one asks of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    Any,
    /// The value of a secret flag: hidden whole.
    Secret,
    /// The value of a user flag: `user:password`.
    UserPassword,
}

/// `args` (program first) with secret values redacted.
pub fn redact(args: &[String]) -> Vec<String> {
    let mut next = Next::Any;
    args.iter()
        .map(|arg| {
            let this = std::mem::replace(&mut next, Next::Any);
            match this {
                Next::Secret => return REDACTED.to_string(),
                Next::UserPassword => return user_password(arg),
                Next::Any => {}
            }
            let lower = arg.to_ascii_lowercase();
            if is_secret_flag(&lower) {
                next = Next::Secret;
                return arg.clone();
            }
            if USER_FLAGS.contains(&lower.as_str()) {
                next = Next::UserPassword;
                return arg.clone();
            }
            redact_one(arg)
        })
        .collect()
}

/// One argument on its own (not the value of the flag before it).
fn redact_one(arg: &str) -> String {
    if patterns::looks_like_key(arg) {
        return REDACTED.to_string();
    }
    let shaped = if arg.contains("://") {
        url::rewrite_urls(arg, url::without_secrets).into_owned()
    } else if let Some(redacted) = flag_with_value(arg) {
        redacted
    } else if let Some(redacted) = credential_header(arg) {
        redacted
    } else {
        arg.to_string()
    };
    keys_inside(&shaped)
}

/// `--secret-flag=value`, `NAME=VALUE` with a secret-looking name, `--user=u:pw`,
/// `-uuser:pw`, `--header=Name: value` and `-HName: value`; the name and `=` stay.
fn flag_with_value(arg: &str) -> Option<String> {
    if let Some(rest) = arg.strip_prefix("-u")
        && rest.contains(':')
    {
        return Some(format!("-u{}", user_password(rest)));
    }
    if let Some(header) = arg.strip_prefix("-H") {
        return credential_header(header).map(|h| format!("-H{h}"));
    }
    let (name, value) = arg.split_once('=')?;
    let lower = name.to_ascii_lowercase();
    if value.is_empty() {
        return None;
    }
    if USER_FLAGS.contains(&lower.as_str()) {
        return Some(format!("{name}={}", user_password(value)));
    }
    if HEADER_FLAGS.contains(&lower.as_str()) {
        return credential_header(value).map(|h| format!("{name}={h}"));
    }
    let secret = if lower.starts_with('-') {
        is_secret_flag(&lower)
    } else {
        is_env_name(name) && secret_name(&lower)
    };
    secret.then(|| format!("{name}={REDACTED}"))
}

/// `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, `X-Api-Key: x`, as a curl
/// `-H` value or an httpie item: the scheme word stays, the credential goes.
fn credential_header(arg: &str) -> Option<String> {
    let (name, value) = arg.split_once(':')?;
    let header_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let lower = name.to_ascii_lowercase();
    let secret = header_name
        && (secret_name(&lower)
            || ["cookie", "session", "signature"]
                .iter()
                .any(|w| lower.contains(w)));
    if !secret || value.trim().is_empty() {
        return None;
    }
    let value = value.trim_start();
    let scheme = value
        .split_once(' ')
        .map(|(word, _)| word)
        .filter(|word| word.bytes().all(|b| b.is_ascii_alphabetic()));
    Some(match scheme {
        Some(word) => format!("{name}: {word} {REDACTED}"),
        None => format!("{name}: {REDACTED}"),
    })
}

/// `user:password` with the password hidden; a value without a colon stays.
fn user_password(value: &str) -> String {
    match value.split_once(':') {
        Some((user, _)) => format!("{user}:{REDACTED}"),
        None => value.to_string(),
    }
}

/// Key shapes anywhere in `text` (`x-sk-proj-…`, `--cfg=ghp_…`), replaced.
fn keys_inside(text: &str) -> String {
    let found: Vec<_> = patterns::find(text.as_bytes())
        .into_iter()
        .filter(|&(_, _, kind)| kind == Secret::Key)
        .collect();
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, _) in found {
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn is_secret_flag(flag: &str) -> bool {
    SECRET_FLAGS.contains(&flag)
        || (flag.starts_with("--")
            && ["key", "token", "secret", "password", "passwd"]
                .iter()
                .any(|w| flag.ends_with(w)))
}

/// A name (lower case) that says its value is a secret: `*key*`, `*token*`, `*secret*`,
/// `*password*`, `*pass`, `*credential*`, `*auth*`.
fn secret_name(lower: &str) -> bool {
    [
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| lower.contains(w))
        || lower.ends_with("pass")
}

/// An environment-variable-like name (`OPENAI_API_KEY`, `db.password`).
fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// Each row: the arguments as given, and as the run span records them.
    const TABLE: &[(&[&str], &[&str])] = &[
        (&["--api-key", "abc"], &["--api-key", REDACTED]),
        (&["--token=xyz"], &["--token=[REDACTED]"]),
        (&["--openai-api-key", "k"], &["--openai-api-key", REDACTED]),
        (&["sk-proj-1234567890abcdef"], &[REDACTED]),
        (
            &["--model", "gpt-4o", "--verbose"],
            &["--model", "gpt-4o", "--verbose"],
        ),
        // --pass, --passwd, --password in every form.
        (&["--password", "hunter2"], &["--password", REDACTED]),
        (&["--password=hunter2"], &["--password=[REDACTED]"]),
        (&["--passwd", "hunter2"], &["--passwd", REDACTED]),
        (&["--passwd=hunter2"], &["--passwd=[REDACTED]"]),
        (&["--pass", "hunter2"], &["--pass", REDACTED]),
        (&["--pass=hunter2"], &["--pass=[REDACTED]"]),
        // Credential headers, as -H and --header values and in --header=... form.
        (
            &["-H", "Authorization: Bearer abc.def"],
            &["-H", "Authorization: Bearer [REDACTED]"],
        ),
        (
            &["--header", "authorization: Basic dXNlcjpwdw=="],
            &["--header", "authorization: Basic [REDACTED]"],
        ),
        (
            &["--header=X-Api-Key: k1"],
            &["--header=X-Api-Key: [REDACTED]"],
        ),
        (&["Authorization:token123"], &["Authorization: [REDACTED]"]),
        (
            &["-HAuthorization: Bearer abc"],
            &["-HAuthorization: Bearer [REDACTED]"],
        ),
        (
            &["-H", "Content-Type: application/json"],
            &["-H", "Content-Type: application/json"],
        ),
        // A URL's userinfo and secret query values; the rest of the URL stays.
        (
            &["https://user:password@host/path?token=t0k&page=2"],
            &["https://[REDACTED]@host/path?token=[REDACTED]&page=2"],
        ),
        (
            &["https://h/x?api_key=1&key=2&sig=3&password=4&q=ok"],
            &[
                "https://h/x?api_key=[REDACTED]&key=[REDACTED]&sig=[REDACTED]&password=[REDACTED]&q=ok",
            ],
        ),
        (&["https://example.com/docs"], &["https://example.com/docs"]),
        (
            &["--url=https://alice:hunter2@h/x"],
            &["--url=https://[REDACTED]@h/x"],
        ),
        // NAME=VALUE with a secret-looking name.
        (&["OPENAI_API_KEY=abc"], &["OPENAI_API_KEY=[REDACTED]"]),
        (&["GITHUB_TOKEN=abc"], &["GITHUB_TOKEN=[REDACTED]"]),
        (&["CLIENT_SECRET=abc"], &["CLIENT_SECRET=[REDACTED]"]),
        (&["DB_PASSWORD=abc"], &["DB_PASSWORD=[REDACTED]"]),
        (&["PGPASS=abc"], &["PGPASS=[REDACTED]"]),
        (
            &["GOOGLE_CREDENTIALS=abc"],
            &["GOOGLE_CREDENTIALS=[REDACTED]"],
        ),
        (&["BASIC_AUTH=abc"], &["BASIC_AUTH=[REDACTED]"]),
        (
            &["MODE=fast", "--max-tokens=100"],
            &["MODE=fast", "--max-tokens=100"],
        ),
        // curl's -u user:pw in every form.
        (&["-u", "alice:s3cret"], &["-u", "alice:[REDACTED]"]),
        (&["--user", "alice:s3cret"], &["--user", "alice:[REDACTED]"]),
        (&["--user=alice:s3cret"], &["--user=alice:[REDACTED]"]),
        (&["-ualice:s3cret"], &["-ualice:[REDACTED]"]),
        (&["python", "-u", "agent.py"], &["python", "-u", "agent.py"]),
        // A key shape inside an argument.
        (
            &["--config=x,ghp_abcdefghijklmnop1234,y"],
            &["--config=x,[REDACTED],y"],
        ),
        (
            &["prompt with sk-proj-1234567890abcdef inside"],
            &["prompt with [REDACTED] inside"],
        ),
        (
            &["agent.py", "hello world", "/home/u/data.csv", "12345"],
            &["agent.py", "hello world", "/home/u/data.csv", "12345"],
        ),
    ];

    #[test]
    fn every_secret_form_is_redacted_and_the_rest_kept() {
        for (given, expected) in TABLE {
            assert_eq!(redact(&s(given)), s(expected), "{given:?}");
        }
    }

    #[test]
    fn no_secret_of_the_table_survives() {
        for (given, expected) in TABLE {
            let out = redact(&s(given)).join(" ");
            for secret in [
                "abc",
                "hunter2",
                "s3cret",
                "t0k",
                "dXNlcjpwdw",
                "1234567890abcdef",
            ] {
                let leaked = out.contains(secret) && !expected.join(" ").contains(secret);
                assert!(!leaked, "{given:?} -> {out}");
            }
        }
    }
}
