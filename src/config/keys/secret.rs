//! Secrets: which variable names hold one, and how one is shown (never in full).

use super::Known;

/// True for variable names that conventionally hold secrets (`OPENAI_API_KEY`, ...), so a
/// `.env` that holds one is written 0600 even when we did not put it there.
pub fn looks_secret(var: &str) -> bool {
    if let Some(known) = Known::by_var(var) {
        return known.secret();
    }
    let upper = var.to_ascii_uppercase();
    ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL"]
        .iter()
        .any(|word| upper.contains(word))
}

/// How a secret is shown: at most its first and last four characters, never all of it.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown = (chars.len() / 4).min(4);
    if shown < 2 {
        return "****".to_string();
    }
    let head: String = chars[..shown].iter().collect();
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{head}…{tail}")
}
