//! The masking settings: `AUTOMAGIK_MASK`, `AUTOMAGIK_MASK_KEEP`, and each provider's
//! `AUTOMAGIK_MASK_<PROVIDER>`, resolved with their sources.

use super::keys::{MASK, MASK_KEEP, provider_mask_var};
use super::resolver::Resolver;
use super::source::Sourced;
use super::values::{parse_key_list, parse_mask_mode};
use crate::mask::MaskMode;

/// The default mask mode and the keys `content` keeps besides the structural ones.
#[derive(Debug, Clone)]
pub struct MaskSettings {
    /// `AUTOMAGIK_MASK`, `none` by default.
    pub mode: Sourced<MaskMode>,
    /// `AUTOMAGIK_MASK_KEEP`, empty by default.
    pub keep: Sourced<Vec<String>>,
}

/// What an unreadable mode stands for while its error is reported: the strictest one,
/// since a configuration error never widens what leaves the machine.
const UNREADABLE_MODE: MaskMode = MaskMode::Content;

impl MaskSettings {
    /// Resolves `AUTOMAGIK_MASK` (an unreadable one counts as `content`, the strictest) and
    /// `AUTOMAGIK_MASK_KEEP`.
    pub fn resolve(r: &mut Resolver) -> MaskSettings {
        MaskSettings {
            mode: r.or_default(MASK, MaskMode::None, UNREADABLE_MODE, parse_mask_mode),
            keep: r.or_default(MASK_KEEP, Vec::new(), Vec::new(), parse_key_list),
        }
    }

    /// What the provider named `name` receives: its own mode when set, else the default
    /// (with the default's source).
    pub fn for_provider(&self, r: &mut Resolver, name: &str) -> Sourced<MaskMode> {
        match provider_mask_var(name) {
            Some(var) if r.layers.lookup(var).is_some() => {
                r.or_default(var, UNREADABLE_MODE, UNREADABLE_MODE, parse_mask_mode)
            }
            _ => self.mode.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::config::source::Layers;

    #[test]
    fn a_provider_mode_overrides_the_default_and_says_where_from() {
        let mut layers = Layers::default();
        layers.env.insert(MASK.into(), "content".into());
        layers
            .env
            .insert("AUTOMAGIK_MASK_LANGFUSE".into(), "none".into());
        let mut r = Resolver::new(&layers);
        let masks = MaskSettings::resolve(&mut r);
        let langfuse = masks.for_provider(&mut r, "langfuse");
        assert_eq!(langfuse.value, MaskMode::None);
        assert_eq!(
            langfuse.source,
            Source::Env("AUTOMAGIK_MASK_LANGFUSE".into())
        );
        let otlp = masks.for_provider(&mut r, "otlp");
        assert_eq!(
            otlp,
            Sourced::new(MaskMode::Content, Source::Env(MASK.into()))
        );
    }

    #[test]
    fn nothing_set_masks_nothing() {
        let layers = Layers::default();
        let mut r = Resolver::new(&layers);
        let masks = MaskSettings::resolve(&mut r);
        assert_eq!(masks.mode, Sourced::default(MaskMode::None));
        assert!(masks.keep.value.is_empty());
        assert_eq!(masks.for_provider(&mut r, "local").value, MaskMode::None);
    }

    #[test]
    fn an_invalid_provider_mode_is_recorded_naming_its_variable() {
        let mut layers = Layers::default();
        layers
            .env
            .insert("AUTOMAGIK_MASK_LOCAL".into(), "secret".into());
        let mut r = Resolver::new(&layers);
        let masks = MaskSettings::resolve(&mut r);
        let local = masks.for_provider(&mut r, "local");
        assert_eq!(
            local.value,
            MaskMode::Content,
            "an unreadable mode masks the most"
        );
        assert_eq!(r.invalid.len(), 1);
        assert!(
            r.invalid[0].error.contains("AUTOMAGIK_MASK_LOCAL"),
            "{:?}",
            r.invalid
        );
    }
}
