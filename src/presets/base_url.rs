//! Base URLs as users write them: checked, and reduced to their origin when they carry an
//! ingestion path (the preset appends its own).

/// A base URL, reduced to its origin when it carries an ingestion path.
#[derive(Debug, PartialEq)]
pub struct BaseUrl {
    /// The base URL, without a trailing slash.
    pub url: String,
    /// Set when the value was reduced: the base URL the user should write instead.
    pub reduced_from: Option<String>,
}

/// Checks a base URL and drops a trailing `/v1/traces` path (with whatever precedes it),
/// since the preset appends its own path. `Err` says what is wrong with the value.
pub fn normalize_base_url(value: &str) -> Result<BaseUrl, String> {
    let value = value.trim();
    // What an error may show of the value: a token in its query or userinfo never.
    let shown = crate::mask::url::display(value);
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(format!(
            "`{shown}` is not a URL (expected http:// or https://)"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        // Never echo it: the part before `@` is a password.
        return Err("the URL carries credentials (user:password@): put them in OTEL_EXPORTER_OTLP_HEADERS or the provider's key variables instead".into());
    }
    if scheme != "http" && scheme != "https" {
        return Err(format!("`{shown}` must start with http:// or https://"));
    }
    if authority.is_empty() {
        return Err(format!("`{shown}` has no host"));
    }
    if value.contains(char::is_whitespace) || value.contains(['?', '#']) {
        return Err(format!(
            "`{shown}` must be a base URL without spaces, a query (?) or a fragment (#)"
        ));
    }
    let path = path.trim_end_matches('/');
    if path.ends_with("/v1/traces") {
        return Ok(BaseUrl {
            url: format!("{scheme}://{authority}"),
            reduced_from: Some(value.to_string()),
        });
    }
    Ok(BaseUrl {
        url: format!("{scheme}://{authority}{path}"),
        reduced_from: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingestion_path_is_reduced_to_origin() {
        let base = normalize_base_url("https://app.langwatch.ai/api/v1/traces").unwrap();
        assert_eq!(base.url, "https://app.langwatch.ai");
        assert!(base.reduced_from.is_some());
    }

    #[test]
    fn base_path_prefix_and_trailing_slash() {
        let base = normalize_base_url("https://lf.example.com/langfuse/").unwrap();
        assert_eq!(base.url, "https://lf.example.com/langfuse");
        assert_eq!(base.reduced_from, None);
    }

    #[test]
    fn non_urls_are_refused() {
        assert!(normalize_base_url("cloud.langfuse.com").is_err());
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url("https:///x").is_err());
        assert!(normalize_base_url("https://host?x=1").is_err());
        assert!(normalize_base_url("https://a b/x").is_err());
        assert_eq!(
            normalize_base_url("HTTPS://host").unwrap().url,
            "https://host"
        );
        let err = normalize_base_url("https://user:hunter2@host").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err = normalize_base_url("https://h/?token=sk-hunter2#x").unwrap_err();
        assert!(
            err.contains("`https://h/?token=[REDACTED]#[REDACTED]`"),
            "{err}"
        );
    }
}
