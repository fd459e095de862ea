//! The masking settings: `AUTOMAGIK_MASK`, `AUTOMAGIK_MASK_KEEP`, and each provider's
//! `AUTOMAGIK_MASK_<PROVIDER>`, resolved with their sources.

use super::keys::{MASK, MASK_KEEP, provider_mask_var};
use super::source::{Layers, Sourced};
use super::values::{parse_key_list, parse_mask_mode};
use crate::error::Result;
use crate::mask::MaskMode;

/// The default mask mode and the keys `content` keeps besides the structural ones.
#[derive(Debug, Clone)]
pub struct MaskSettings {
    /// `AUTOMAGIK_MASK`, `none` by default.
    pub mode: Sourced<MaskMode>,
    /// `AUTOMAGIK_MASK_KEEP`, empty by default.
    pub keep: Sourced<Vec<String>>,
}

impl MaskSettings {
    pub fn resolve(layers: &Layers) -> Result<MaskSettings> {
        let mode = match layers.lookup(MASK) {
            Some(raw) => raw.sourced(parse_mask_mode(&raw)?),
            None => Sourced::default(MaskMode::None),
        };
        let keep = match layers.lookup(MASK_KEEP) {
            Some(raw) => raw.sourced(parse_key_list(&raw)?),
            None => Sourced::default(Vec::new()),
        };
        Ok(MaskSettings { mode, keep })
    }

    /// What the provider named `name` receives: its own mode when set, else the default
    /// (with the default's source).
    pub fn for_provider(&self, layers: &Layers, name: &str) -> Result<Sourced<MaskMode>> {
        match provider_mask_var(name).and_then(|var| layers.lookup(var)) {
            Some(raw) => Ok(raw.sourced(parse_mask_mode(&raw)?)),
            None => Ok(self.mode.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    #[test]
    fn a_provider_mode_overrides_the_default_and_says_where_from() {
        let mut layers = Layers::default();
        layers.env.insert(MASK.into(), "content".into());
        layers
            .env
            .insert("AUTOMAGIK_MASK_LANGFUSE".into(), "none".into());
        let masks = MaskSettings::resolve(&layers).unwrap();
        let langfuse = masks.for_provider(&layers, "langfuse").unwrap();
        assert_eq!(langfuse.value, MaskMode::None);
        assert_eq!(
            langfuse.source,
            Source::Env("AUTOMAGIK_MASK_LANGFUSE".into())
        );
        let otlp = masks.for_provider(&layers, "otlp").unwrap();
        assert_eq!(
            otlp,
            Sourced::new(MaskMode::Content, Source::Env(MASK.into()))
        );
    }

    #[test]
    fn nothing_set_masks_nothing() {
        let layers = Layers::default();
        let masks = MaskSettings::resolve(&layers).unwrap();
        assert_eq!(masks.mode, Sourced::default(MaskMode::None));
        assert!(masks.keep.value.is_empty());
        assert_eq!(
            masks.for_provider(&layers, "local").unwrap().value,
            MaskMode::None
        );
    }

    #[test]
    fn an_invalid_provider_mode_is_an_error_naming_its_variable() {
        let mut layers = Layers::default();
        layers
            .env
            .insert("AUTOMAGIK_MASK_LOCAL".into(), "secret".into());
        let masks = MaskSettings::resolve(&layers).unwrap();
        let err = masks.for_provider(&layers, "local").unwrap_err();
        assert!(err.to_string().contains("AUTOMAGIK_MASK_LOCAL"), "{err}");
    }
}
