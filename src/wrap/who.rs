//! The session and user a run belongs to (`run --session`, `--user`, or
//! `AUTOMAGIK_SESSION_ID` / `AUTOMAGIK_USER_ID`): set on every span of the run that
//! carries none of its own, and passed to the child as W3C `BAGGAGE`.

use crate::semantic::MeaningRef;
use crate::span::Span;

/// Whether a span lacks the run's session or user ([`Who::missing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Missing {
    /// The run has a session and the span names none.
    pub(super) session: bool,
    /// The run has a user and the span names none.
    pub(super) user: bool,
}

/// The session and user a run belongs to (`--session`, `--user`).
#[derive(Debug, Clone, Default)]
pub struct Who {
    /// `session.id`.
    pub session: Option<String>,
    /// `user.id`.
    pub user: Option<String>,
}

impl Who {
    /// Sets `session.id` and `user.id` on spans that carry no session (or user) of their
    /// own, in any dialect: a span's own ids are kept.
    pub(super) fn mark(&self, spans: &mut [Span]) {
        if self.session.is_none() && self.user.is_none() {
            return;
        }
        let meanings: Vec<MeaningRef<'_>> = spans.iter().map(crate::semantic::read_ref).collect();
        let missing = self.missing(&meanings);
        self.mark_missing(spans, &missing);
    }

    /// What [`Who::mark`] sets on spans already read (`meanings[i]` is what `spans[i]`
    /// means: the wrapper reads each span once for everything that asks): for each span,
    /// whether it lacks a session and a user of its own. Empty when the run has neither.
    /// Apart from [`Who::mark_missing`], as the meanings borrow the spans it changes.
    pub(super) fn missing(&self, meanings: &[MeaningRef<'_>]) -> Vec<Missing> {
        if self.session.is_none() && self.user.is_none() {
            return Vec::new();
        }
        let missing = |meaning: &MeaningRef<'_>| Missing {
            session: self.session.is_some() && meaning.session.is_none(),
            user: self.user.is_some() && meaning.user.is_none(),
        };
        meanings.iter().map(missing).collect()
    }

    /// Sets the run's session and user on the spans [`Who::missing`] found without them.
    pub(super) fn mark_missing(&self, spans: &mut [Span], missing: &[Missing]) {
        for (span, missing) in spans.iter_mut().zip(missing) {
            if let (Some(session), true) = (&self.session, missing.session) {
                span.set("session.id", session.as_str());
            }
            if let (Some(user), true) = (&self.user, missing.user) {
                span.set("user.id", user.as_str());
            }
        }
    }

    /// `inherited` with the run's ids added as W3C baggage members (an id the inherited
    /// baggage already names is kept), or `None` when there is nothing to pass.
    pub(super) fn baggage(&self, inherited: Option<&str>) -> Option<String> {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        // W3C baggage values: everything but the unreserved characters is encoded.
        const VALUE: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let mut members: Vec<String> = inherited
            .map(|b| b.split(',').map(str::trim).filter(|m| !m.is_empty()))
            .into_iter()
            .flatten()
            .map(str::to_string)
            .collect();
        for (key, value) in [("session.id", &self.session), ("user.id", &self.user)] {
            let named = members
                .iter()
                .any(|m| m.split('=').next().is_some_and(|k| k.trim() == key));
            if let (Some(value), false) = (value, named) {
                members.push(format!("{key}={}", utf8_percent_encode(value, VALUE)));
            }
        }
        (!members.is_empty()).then(|| members.join(","))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::span::{Resource, Scope, Value};
    use std::sync::Arc;

    /// A span of these string attributes (the receiver's tests share it).
    pub(crate) fn span_with(attrs: &[(&str, &str)]) -> Span {
        let mut span = Span::start(
            "s",
            None,
            Arc::new(Resource::service("t")),
            Arc::new(Scope::default()),
        );
        for (k, v) in attrs {
            span.set(k.to_string(), *v);
        }
        span
    }

    #[test]
    fn spans_get_the_runs_ids_unless_they_carry_their_own() {
        let who = Who {
            session: Some("s-1".into()),
            user: Some("u-7".into()),
        };
        let mut spans = vec![
            span_with(&[]),
            span_with(&[("langfuse.session.id", "theirs")]),
        ];
        who.mark(&mut spans);
        assert_eq!(spans[0].attribute("session.id"), Some(&Value::from("s-1")));
        assert_eq!(spans[0].attribute("user.id"), Some(&Value::from("u-7")));
        assert_eq!(
            spans[1].attribute("session.id"),
            None,
            "its own session is kept"
        );
        assert_eq!(spans[1].attribute("user.id"), Some(&Value::from("u-7")));
    }

    #[test]
    fn baggage_carries_the_ids_beside_what_was_inherited() {
        let who = Who {
            session: Some("chat 42".into()),
            user: None,
        };
        assert_eq!(
            who.baggage(Some("team=search, user.id=bob")).as_deref(),
            Some("team=search,user.id=bob,session.id=chat%2042")
        );
        assert_eq!(Who::default().baggage(None), None);
        assert_eq!(Who::default().baggage(Some("a=1")).as_deref(), Some("a=1"));
    }
}
