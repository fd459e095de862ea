//! The headers a provider's preset sends (its keys, marked sensitive), and
//! `OTEL_EXPORTER_OTLP_HEADERS` parsed as the OpenTelemetry spec says.

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::presets::{self, Header};

/// The headers a provider's preset sends, keys included.
pub fn headers(provider: &ProviderConfig) -> Result<HeaderMap> {
    let value = |short: &str| provider.value(short).unwrap_or("").trim().to_string();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let specs = presets::preset(provider.name).map_or(&[][..], |p| p.headers);
    for spec in specs {
        let (name, text) = match *spec {
            Header::Key(name, key) => (name, value(key)),
            Header::Bearer(name, key) => (name, format!("Bearer {}", value(key))),
            Header::Basic(name, user, password) => {
                let pair = format!("{}:{}", value(user), value(password));
                let token = base64::engine::general_purpose::STANDARD.encode(pair);
                (name, format!("Basic {token}"))
            }
            Header::Fixed(name, text) => (name, text.to_string()),
            Header::List(key) => {
                pairs.extend(parse_otlp_headers(&value(key))?);
                continue;
            }
        };
        // An optional key left empty sends no header (required ones are never empty
        // here: the provider is not active without them).
        let key_empty = match *spec {
            Header::Key(_, key) | Header::Bearer(_, key) => value(key).is_empty(),
            _ => false,
        };
        if key_empty {
            continue;
        }
        pairs.push((name.to_string(), text));
    }
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::bad_input(format!(
                "`{name}` in the {} headers is not a valid header name",
                provider.name
            ))
        })?;
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::bad_input(format!(
                "the value of header `{name}` for {} holds characters a header cannot carry",
                provider.name
            ))
            .with_hint("check the provider's keys for stray spaces or newlines")
        })?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

/// `OTEL_EXPORTER_OTLP_HEADERS`: `k=v,k2=v2`, values URL-decoded (the OpenTelemetry spec).
pub fn parse_otlp_headers(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| {
            Error::bad_input("OTEL_EXPORTER_OTLP_HEADERS has an entry without `=`")
                .with_hint("write it as key=value,key2=value2")
        })?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s.trim())
                .decode_utf8_lossy()
                .into_owned()
        };
        out.push((decode(key).to_ascii_lowercase(), decode(value)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_headers_are_split_and_url_decoded() {
        let headers = parse_otlp_headers("Api-Key=a%20b%3Dc, x-team = t1 ,").unwrap();
        assert_eq!(
            headers,
            vec![
                ("api-key".into(), "a b=c".into()),
                ("x-team".into(), "t1".into())
            ]
        );
        assert!(parse_otlp_headers("novalue").is_err());
    }
}
