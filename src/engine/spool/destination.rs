//! Where a spooled record was meant to go. Keys live in a project's `.env` but the spool
//! is per user, so each record carries its destination: the provider, the endpoint, and
//! a salted hash of what the exporter sends to authenticate (its headers), never the
//! credential itself. `flush` sends a record only where it was meant to go.
//!
//! The salt is random, per install, kept in the spool root (0600) beside the providers'
//! directories; it is not the telemetry salt, which `id --reset` replaces.

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::ProviderConfig;
use crate::error::Result;

/// The salt file in the spool root.
pub const SALT_FILE_NAME: &str = "destination_salt";
/// The last characters of a key shown to tell destinations apart, when the key is long
/// enough that they say little about it.
const KEY_HINT_CHARS: usize = 4;
const KEY_HINT_MIN_LEN: usize = 12;

/// A destination before hashing: held in memory only, never written or printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DestinationKey {
    provider: String,
    endpoint: String,
    /// The exporter's headers, one `name: value` a line, sorted.
    credential: String,
    key_hint: String,
}

impl fmt::Debug for DestinationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestinationKey")
            .field("provider", &self.provider)
            .field("endpoint", &display_url(&self.endpoint))
            .finish_non_exhaustive()
    }
}

impl DestinationKey {
    /// A destination with this credential text (anything that tells two accounts apart).
    pub fn new(provider: &str, endpoint: &str, credential: &str) -> DestinationKey {
        DestinationKey {
            provider: provider.to_string(),
            endpoint: endpoint.to_string(),
            credential: credential.to_string(),
            key_hint: key_hint(credential),
        }
    }

    /// The destination of a configured provider: its endpoint and the headers its
    /// exporter sends (keys, project, dataset).
    pub fn of(provider: &ProviderConfig) -> DestinationKey {
        let endpoint = provider.endpoint.clone().unwrap_or_default();
        let mut lines: Vec<String> = crate::export::otlp_http::headers(provider)
            .map(|headers| {
                headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
                    .collect()
            })
            .unwrap_or_default();
        lines.sort();
        let mut key = DestinationKey::new(provider.name, &endpoint, &lines.join("\n"));
        // The first secret key set (Langfuse's public key) is what a user recognises.
        let first_secret = crate::presets::preset(provider.name)
            .into_iter()
            .flat_map(|p| p.keys.iter())
            .filter(|k| k.secret)
            .find_map(|k| provider.value(k.short));
        key.key_hint = first_secret.map(key_hint).unwrap_or_default();
        key
    }

    /// The provider's name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The endpoint it sends to, as records show it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The destination as stored: hashed with the install's salt in `spool_root`
    /// (created, 0600, on first use).
    pub fn resolve(&self, spool_root: &Path) -> Result<Destination> {
        super::private_dir(spool_root).map_err(|e| {
            crate::Error::io("cannot create directory", spool_root, e)
                .with_hint("set AUTOMAGIK_DATA_DIR to a writable directory")
        })?;
        let salt = crate::telemetry::identity::salt_in(spool_root, SALT_FILE_NAME)?;
        Ok(self.with_salt(&salt))
    }

    /// [`resolve`](Self::resolve) without creating anything (for `status`): `None` when
    /// there is no salt yet, and so no record bound to any destination.
    pub fn resolve_existing(&self, spool_root: &Path) -> Option<Destination> {
        let text = std::fs::read_to_string(spool_root.join(SALT_FILE_NAME)).ok()?;
        let salt = text.trim().as_bytes();
        (salt.len() >= 64).then(|| self.with_salt(salt))
    }

    /// The destination as records carry it, fingerprinted with `salt`.
    pub fn with_salt(&self, salt: &[u8]) -> Destination {
        let mut hasher = Sha256::new();
        for part in [
            salt,
            self.provider.as_bytes(),
            self.endpoint.as_bytes(),
            self.credential.as_bytes(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let digest = hasher.finalize();
        Destination {
            fingerprint: digest[..16].iter().map(|b| format!("{b:02x}")).collect(),
            provider: self.provider.clone(),
            endpoint: display_url(&self.endpoint),
            key_hint: self.key_hint.clone(),
        }
    }
}

/// A destination as a record carries it: enough to match and to tell the user, nothing
/// that would let anyone send there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Destination {
    /// 32 hex digits of `sha256(salt, provider, endpoint, credential)`.
    pub fingerprint: String,
    /// The provider's name (`langfuse`, `otlp`...).
    pub provider: String,
    /// The endpoint without userinfo or query.
    pub endpoint: String,
    /// The last four characters of the key (empty when there is none, or it is short).
    pub key_hint: String,
}

impl Destination {
    /// `https://cloud.langfuse.com/... (key …abcd)`, for messages.
    pub fn describe(&self) -> String {
        if self.key_hint.is_empty() {
            self.endpoint.clone()
        } else {
            format!("{} (key …{})", self.endpoint, self.key_hint)
        }
    }

    /// The bytes stored in a record.
    pub fn encode(&self) -> Vec<u8> {
        [
            &self.fingerprint,
            &self.provider,
            &self.endpoint,
            &self.key_hint,
        ]
        .map(|s| s.replace('\n', " "))
        .join("\n")
        .into_bytes()
    }

    /// A destination from a record's bytes; `None` when they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Destination> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut parts = text.split('\n');
        let destination = Destination {
            fingerprint: parts.next()?.to_string(),
            provider: parts.next()?.to_string(),
            endpoint: parts.next()?.to_string(),
            key_hint: parts.next()?.to_string(),
        };
        (parts.next().is_none() && destination.fingerprint.len() == 32).then_some(destination)
    }
}

fn key_hint(credential: &str) -> String {
    let chars: Vec<char> = credential.trim().chars().collect();
    if chars.len() < KEY_HINT_MIN_LEN {
        return String::new();
    }
    chars[chars.len() - KEY_HINT_CHARS..].iter().collect()
}

/// A URL without `user:password@` and without its query: what may be shown and stored.
fn display_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_tells_credentials_apart_and_holds_none() {
        let salt = [7u8; 64];
        let a = DestinationKey::new("langfuse", "https://h/x", "authorization: Basic AAAA1111")
            .with_salt(&salt);
        let b = DestinationKey::new("langfuse", "https://h/x", "authorization: Basic BBBB2222")
            .with_salt(&salt);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(
            a,
            DestinationKey::new("langfuse", "https://h/x", "authorization: Basic AAAA1111")
                .with_salt(&salt)
        );
        let other_salt = DestinationKey::new("langfuse", "https://h/x", "x").with_salt(&[8; 64]);
        assert_ne!(other_salt.fingerprint, a.fingerprint);
        let stored = String::from_utf8(a.encode()).unwrap();
        assert!(!stored.contains("AAAA"), "{stored}");
        assert_eq!(Destination::decode(a.encode().as_slice()), Some(a.clone()));
        assert_eq!(a.key_hint, "1111");
    }

    #[test]
    fn shown_urls_carry_no_userinfo_or_query() {
        assert_eq!(
            display_url("https://u:pw@h:4318/v1/traces?token=sk-1"),
            "https://h:4318/v1/traces"
        );
        assert_eq!(display_url("/data/store"), "/data/store");
        assert!(
            !format!("{:?}", DestinationKey::new("otlp", "http://h", "secret!")).contains("secret")
        );
    }
}
