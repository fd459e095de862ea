//! Sending one record's request during a flush: a 413 answered by splitting (as the
//! workers do), a `Retry-After` waited out when it fits in the time left.

use std::time::Instant;

use super::{RETRY_AFTER_ATTEMPTS, Request};
use crate::engine::oversize::{Oversize, after_413};
use crate::export::{BoxFuture, Cause, Exporter, Outcome, Payload};

/// Delivers the request, splitting on a 413; returns the spans dropped as too large, or
/// the outcome that stopped it.
pub(super) fn deliver(
    exporter: &dyn Exporter,
    deadline: Instant,
    request: Request,
    shrunk: bool,
) -> BoxFuture<'_, Result<u64, Outcome>> {
    Box::pin(async move {
        let payload = Payload::new(request);
        let outcome = export_waiting_as_told(exporter, &payload, deadline).await;
        match outcome {
            Outcome::Delivered { .. } => Ok(0),
            Outcome::Permanent {
                cause: Cause::Http(413),
                ..
            } => match after_413(payload.request(), shrunk) {
                Oversize::Halves(left, right) => {
                    let dropped = deliver(exporter, deadline, left, shrunk).await?;
                    Ok(dropped + deliver(exporter, deadline, right, shrunk).await?)
                }
                Oversize::Shrunk(smaller) => deliver(exporter, deadline, smaller, true).await,
                Oversize::Drop => Ok(1),
            },
            other => Err(other),
        }
    })
}

/// One export, sent again (a few times at most) after the `Retry-After` a provider asks
/// for when that wait fits in the time left.
pub(super) async fn export_waiting_as_told(
    exporter: &dyn Exporter,
    payload: &Payload,
    deadline: Instant,
) -> Outcome {
    let mut retries = 0;
    loop {
        let attempt = exporter.export(payload);
        let outcome = tokio::time::timeout_at(deadline.into(), attempt)
            .await
            .unwrap_or_else(|_| Outcome::Retryable {
                cause: Cause::Timeout,
                retry_after: None,
                message: "the flush timeout ran out".into(),
            });
        let Outcome::Retryable {
            retry_after: Some(wait),
            ..
        } = &outcome
        else {
            return outcome;
        };
        if retries >= RETRY_AFTER_ATTEMPTS || Instant::now() + *wait >= deadline {
            return outcome;
        }
        retries += 1;
        tokio::time::sleep(*wait).await;
    }
}
