//! Back-pressure for the loopback receiver: before a request is decoded, whether the
//! engine's queue has room for what it would add. A request that does not fit is refused
//! retryably ([`Refusal::QueueFull`]: 503 with `Retry-After`, gRPC `UNAVAILABLE`), so the
//! child's SDK sends it again later, instead of being taken in and its spans dropped
//! (`dropped_queue_full`) while the child believes them delivered.
//!
//! A request that fits takes its room in the queue's byte budget while it is decoded
//! ([`Held`]; a protobuf trace request in steps, as its spans are counted:
//! [`TraceRoom`]), and its spans enter the queue against that room, each taking its own
//! size out of it (`Recorder::record_held`), what is left given back after: what the receiver
//! holds, decoded or being decoded, counts in the same budget as the queue, so the two
//! together stay within the cap (with the queue at its cap, the decodes in flight once
//! took several MiB beside it), and no other request can take the room of spans on their
//! way into the queue. Two requests decoded at once cannot both take the last room. A span that still finds the queue full (the
//! estimate was low, or the request asked for more than half the queue) is dropped and
//! counted as before (the engine never blocks). Only the receiver takes room;
//! [`Recorder::record`] is unchanged. A run whose whole-trace sampling holds spans in the queue's budget until it
//! ends gives the receiver no queue to check (`session`): a retry could wait in vain.
//!
//! [`Recorder::record`]: crate::engine::Recorder::record

use crate::engine::Recorder;
use crate::span::{Attribute, Span};
use crate::wrap::refusal::Refusal;
use crate::wrap::scan::Counts;

/// What a span costs in the queue besides its encoded bytes: its struct, and the heap
/// blocks of its name and vectors (`engine::intake::approx_size` counts them).
const PER_SPAN: u64 = (std::mem::size_of::<Span>() + 128) as u64;
/// What each counted value (an attribute is two: the key-value and its value) costs
/// besides its bytes: its share of an attribute's slot in a vector grown by doubling from
/// four (as decoding grows it), and the heap blocks of its key and value.
const PER_VALUE: u64 = (std::mem::size_of::<Attribute>() + 48) as u64;
/// A JSON body is decoded into spans of about its own size; twice, to be on the safe side.
const JSON_FACTOR: u64 = 2;

/// The queue bytes a decompressed trace request of `body_len` bytes will take, estimated
/// from what [`scan`](crate::wrap::scan) counted in it (`None` for JSON, which is not
/// counted by span). Errs on the high side: an estimate too low lets spans be dropped.
pub(super) fn trace_estimate(body_len: usize, counts: Option<Counts>) -> u64 {
    let bytes = body_len as u64;
    match counts {
        Some(counts) => bytes + counts.spans * PER_SPAN + counts.values * PER_VALUE,
        None => bytes * JSON_FACTOR,
    }
}

/// Room taken in the queue's byte budget for a request being decoded, given back when
/// dropped (just before its spans or records are handed on).
#[must_use = "the room is given back when this is dropped"]
pub(super) struct Held<'a> {
    queue: Option<&'a Recorder>,
    bytes: u64,
    /// The most it may hold: half the queue ([`make_room`]).
    most: u64,
}

impl Held<'_> {
    /// Holds at least `bytes` (up to half the queue), taking what is missing, or refuses
    /// the request, asking its sender to retry, when the queue has not that much room now.
    pub(super) fn cover(&mut self, bytes: u64) -> std::result::Result<(), Refusal> {
        let Some(queue) = self.queue else {
            return Ok(());
        };
        let bytes = bytes.min(self.most);
        if bytes <= self.bytes {
            return Ok(());
        }
        if !queue.reserve(bytes - self.bytes) {
            return Err(Refusal::QueueFull);
        }
        self.bytes = bytes;
        Ok(())
    }

    /// The bytes held, handed over to whoever records the spans against them (and gives
    /// back what is left): no longer given back here.
    pub(super) fn hand_over(mut self) -> u64 {
        self.queue = None;
        self.bytes
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(queue) = self.queue {
            queue.release(self.bytes);
        }
    }
}

/// Takes `bytes` of the queue's budget for a request being decoded, or refuses it, asking
/// the sender to retry, when the queue has not that much room (or not `spans` slots) now.
/// With no queue (a discarding run), anything fits and nothing is taken.
///
/// A request may ask for at most half the queue: one larger than that waits only until
/// the queue is half empty, since asked to wait for room it can never have, it would be
/// refused until its sender gave up. What of it then does not fit is dropped and counted.
pub(super) fn make_room(
    queue: Option<&Recorder>,
    bytes: u64,
    spans: u64,
) -> std::result::Result<Held<'_>, Refusal> {
    let Some(queue) = queue else {
        return Ok(Held {
            queue: None,
            bytes: 0,
            most: 0,
        });
    };
    let room = queue.room();
    let most = room.max_bytes / 2;
    let bytes = bytes.min(most);
    let spans = spans.min(queue.max_spans() as u64 / 2);
    if (room.spans as u64) < spans || !queue.reserve(bytes) {
        return Err(Refusal::QueueFull);
    }
    Ok(Held {
        queue: Some(queue),
        bytes,
        most,
    })
}

/// The room a protobuf trace request holds while its spans are decoded: taken before
/// decoding for what its envelope says (its bytes, its spans, its resources' and scopes'
/// values), then grown as each span's values are counted, projected over the spans still
/// to come, so a batch of like spans takes its room in two steps, and the decodes in
/// flight stay within the queue's budget as before.
pub(super) struct TraceRoom<'a> {
    held: Held<'a>,
    body_len: usize,
    envelope: Counts,
}

impl<'a> TraceRoom<'a> {
    /// Takes the room a request's envelope asks for ([`make_room`]).
    pub(super) fn take(
        queue: Option<&'a Recorder>,
        body_len: usize,
        envelope: Counts,
    ) -> std::result::Result<Self, Refusal> {
        let bytes = trace_estimate(body_len, Some(envelope));
        let held = make_room(queue, bytes, envelope.spans)?;
        Ok(TraceRoom {
            held,
            body_len,
            envelope,
        })
    }

    /// Covers what `counted` (the envelope's counts and the values of the spans decoded so
    /// far, `decoded` of them) says the request will take, or refuses it as [`make_room`]
    /// does.
    pub(super) fn cover(
        &mut self,
        counted: Counts,
        decoded: u64,
    ) -> std::result::Result<(), Refusal> {
        if trace_estimate(self.body_len, Some(counted)) <= self.held.bytes {
            return Ok(());
        }
        let spans_values = counted.values - self.envelope.values;
        let projected = Counts {
            values: self.envelope.values
                + spans_values.saturating_mul(counted.spans) / decoded.max(1),
            ..counted
        };
        self.held
            .cover(trace_estimate(self.body_len, Some(projected)))
    }

    /// The room held, to be handed over with the spans.
    pub(super) fn into_held(self) -> Held<'a> {
        self.held
    }
}

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
