//! URLs with their secrets taken out: for display (every URL the tool prints has its
//! userinfo and query values masked), for `content` masking (structure only: scheme, host,
//! port and path), and for the wrapped command's arguments (userinfo and the values of
//! secret-looking query parameters). One small parser serves the three, so a URL is cut
//! into the same parts wherever it is shown or sent.

use std::borrow::Cow;

/// What replaces a secret part of a URL.
pub const HIDDEN: &str = "[REDACTED]";

/// A URL cut into its parts (`scheme://[userinfo@]host[:port][/path][?query][#fragment]`);
/// each part is a slice of the original text.
#[derive(Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The scheme, without `://`.
    pub scheme: &'a str,
    /// What stands before the last `@` of the authority (`user:password`), if any.
    pub userinfo: Option<&'a str>,
    /// Host and port.
    pub host: &'a str,
    /// The path, from its leading `/`; empty when none.
    pub path: &'a str,
    /// What follows `?`, without it; `None` when there is no `?`.
    pub query: Option<&'a str>,
    /// What follows `#`, without it; `None` when there is no `#`.
    pub fragment: Option<&'a str>,
}

/// The parts of `text` when it is a URL with a scheme (`http://...`, `postgres://...`);
/// `None` otherwise.
pub fn parse(text: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return None;
    }
    Some(parse_rest(scheme, rest))
}

/// What follows `scheme://`, cut into its parts.
fn parse_rest<'a>(scheme: &'a str, rest: &'a str) -> Parts<'a> {
    let (rest, fragment) = match rest.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    // The last `@` ends the userinfo: a password may hold an `@` of its own.
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    Parts {
        scheme,
        userinfo,
        host,
        path,
        query,
        fragment,
    }
}

impl Parts<'_> {
    /// Reassembles the URL, the userinfo replaced when present, each query value passed
    /// through `value(name, value)`, and a fragment replaced when present.
    fn rebuild(&self, hide_userinfo: bool, value: impl Fn(&str, &str) -> bool) -> String {
        let mut out = String::with_capacity(self.host.len() + self.path.len() + 32);
        if !self.scheme.is_empty() {
            out.push_str(self.scheme);
            out.push_str("://");
        }
        if let Some(userinfo) = self.userinfo {
            out.push_str(if hide_userinfo { HIDDEN } else { userinfo });
            out.push('@');
        }
        out.push_str(self.host);
        out.push_str(self.path);
        if let Some(query) = self.query {
            out.push('?');
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((name, v)) if value(name, v) => {
                        out.push_str(name);
                        out.push('=');
                        out.push_str(HIDDEN);
                    }
                    _ => out.push_str(pair),
                }
            }
        }
        if let Some(fragment) = self.fragment {
            out.push('#');
            out.push_str(if fragment.is_empty() { "" } else { HIDDEN });
        }
        out
    }
}

/// `url` as the tool prints it: userinfo, every query value and the fragment masked
/// (`https://[REDACTED]@host/path?token=[REDACTED]`). A value meant as a URL but written
/// without its scheme (`host/x?token=...`) is masked alike.
pub fn display(url: &str) -> String {
    let parts = parse(url).unwrap_or_else(|| parse_rest("", url));
    parts.rebuild(true, |_, v| !v.is_empty())
}

/// Every URL inside `text` (an error message, a warning) masked as [`display`] masks it.
pub fn display_in(text: &str) -> Cow<'_, str> {
    rewrite_urls(text, |url| Some(display(url)))
}

/// `text` with each URL in it replaced by what `rewrite` makes of it (`None`: kept).
pub fn rewrite_urls(text: &str, rewrite: impl Fn(&str) -> Option<String>) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = text[at..].find("://") {
        let sep = at + found;
        let start = text[at..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(at, |i| at + i + 1);
        // A scheme starts with a letter: `--url=https://` gives `https`.
        let start = start
            + text[start..sep]
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(sep - start);
        let end = text[sep..]
            .find(|c: char| c.is_whitespace() || "\"'`<>()[]{}|\\^,".contains(c))
            .map_or(text.len(), |i| sep + i);
        // A URL at the end of a sentence: its closing punctuation is not part of it.
        let end = (sep + 3).max(
            end - text[sep + 3..end]
                .chars()
                .rev()
                .take_while(|c| ".;:!".contains(*c))
                .count(),
        );
        out.push_str(&text[at..start]);
        let url = &text[start..end];
        match rewrite(url) {
            Some(rewritten) => out.push_str(&rewritten),
            None => out.push_str(url),
        }
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// `url` reduced to its structure for `content` masking: scheme, host, port and path,
/// without userinfo, query or fragment (a relative or scheme-less URL alike).
pub fn structure(url: &str) -> String {
    match parse(url) {
        Some(parts) => format!("{}://{}{}", parts.scheme, parts.host, parts.path),
        None => {
            let parts = parse_rest("", url);
            format!("{}{}", parts.host, parts.path)
        }
    }
}

/// `url` with its userinfo and the values of secret-looking query parameters masked;
/// `None` when there was nothing to mask (or it is not a URL).
pub fn without_secrets(url: &str) -> Option<String> {
    let parts = parse(url)?;
    let secret_param = |name: &str, v: &str| !v.is_empty() && secret_param(name);
    let has_secret = parts.userinfo.is_some()
        || parts.query.is_some_and(|q| {
            q.split('&')
                .filter_map(|p| p.split_once('='))
                .any(|(n, v)| secret_param(n, v))
        });
    has_secret.then(|| parts.rebuild(true, secret_param))
}

/// Query parameter names that carry credentials: `token`, `api_key`, `key`, `sig`,
/// `password`, `access_token`, `X-Amz-Signature`, `client_secret`, ...
pub fn secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words = [
        "token",
        "key",
        "sig",
        "secret",
        "password",
        "passwd",
        "pwd",
        "auth",
        "credential",
        "session",
        "code",
    ];
    lower == "pass" || words.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_masks_userinfo_query_values_and_fragment() {
        assert_eq!(
            display("https://user:pw@h.example.com:8443/a/b?token=sk-123&x=&page=2#frag"),
            "https://[REDACTED]@h.example.com:8443/a/b?token=[REDACTED]&x=&page=[REDACTED]#[REDACTED]"
        );
        assert_eq!(
            display("https://h/?token=sk-1"),
            "https://h/?token=[REDACTED]"
        );
        assert_eq!(display("http://127.0.0.1:4318"), "http://127.0.0.1:4318");
        assert_eq!(display("not a url"), "not a url");
        assert_eq!(
            display("u:pw@host/x?api_key=k"),
            "[REDACTED]@host/x?api_key=[REDACTED]"
        );
    }

    #[test]
    fn a_password_holding_an_at_sign_is_masked_whole() {
        assert_eq!(
            display("https://u:p@ss@host/x"),
            "https://[REDACTED]@host/x"
        );
    }

    #[test]
    fn urls_inside_a_message_are_masked_and_the_rest_stays() {
        let message = "error sending request for url (https://h/v1/traces?token=sk-abc): \
                       `LANGFUSE_HOST` is https://u:pw@h/x.";
        assert_eq!(
            display_in(message),
            "error sending request for url (https://h/v1/traces?token=[REDACTED]): \
             `LANGFUSE_HOST` is https://[REDACTED]@h/x."
        );
        assert!(matches!(display_in("no url here"), Cow::Borrowed(_)));
    }

    #[test]
    fn structure_keeps_scheme_host_port_and_path() {
        assert_eq!(
            structure("https://bob:pw@api.example.com:443/v1/chat?api_key=k#x"),
            "https://api.example.com:443/v1/chat"
        );
        assert_eq!(structure("/relative?q=1#x"), "/relative");
        assert_eq!(structure("bob:pw@host/x?q=1"), "host/x");
    }

    #[test]
    fn only_secret_parameters_and_userinfo_are_masked_in_arguments() {
        assert_eq!(
            without_secrets("https://u:p@host/path?token=abc&page=2&api_key=k&sig=s"),
            Some(
                "https://[REDACTED]@host/path?token=[REDACTED]&page=2&api_key=[REDACTED]\
                 &sig=[REDACTED]"
                    .into()
            )
        );
        assert_eq!(without_secrets("https://host/path?page=2"), None);
        assert_eq!(without_secrets("plain"), None);
    }
}
