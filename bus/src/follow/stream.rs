//! The stream under a reading: where a reading ends ([`Until`]), opening an ordered
//! consumer on it ([`open`]), and asking where it ends now ([`look_at`]).

use crate::progress::Progress;
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::{self, consumer, consumer::pull::OrderedConfig};
use tracing::info;

/// Where a reading of a stream ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Until {
    /// It does not: it follows the stream live until shutdown.
    Shutdown,
    /// Right after the message at this stream sequence (or the last one before it, if the
    /// messages up to it were deleted meanwhile).
    Sequence(u64),
}

impl Until {
    /// The last sequence to read of a stream that ends at `last`.
    pub(super) fn cap(self, last: u64) -> u64 {
        match self {
            Until::Shutdown => last,
            Until::Sequence(end) => end.min(last),
        }
    }
}

/// Opens an ordered consumer on `stream` starting at `start` — or says `None` if it would
/// have nothing to read before `until`. Marks a live reading caught up at once if there is
/// nothing to replay.
pub(super) async fn open(
    js: &jetstream::Context,
    stream: &str,
    reader: &str,
    start: u64,
    until: Until,
    progress: &Progress,
) -> Result<Option<consumer::pull::Ordered>, async_nats::Error> {
    // `get_stream` already fetched the stream's info: no second request for it.
    let handle = js.get_stream(stream).await?;
    let last = handle.cached_info().state.last_sequence;
    if last + 1 < start {
        // Our state holds events the stream no longer has: it was deleted (or purged) and
        // created again. Reading on would silently skip its new events until the sequence
        // caught up; only a rebuild from the new stream is right.
        return Err(format!(
            "{stream} ends at sequence {last} but this service has applied up to {}: the \
             stream was deleted and created again; restart the service to rebuild its state",
            start - 1
        )
        .into());
    }
    if last < start {
        match until {
            Until::Sequence(_) => return Ok(None),
            Until::Shutdown if !progress.is_caught_up() => {
                progress.mark_caught_up();
                info!(stream, "nothing to replay; caught up");
            }
            Until::Shutdown => {}
        }
    }
    let consumer = handle
        .create_consumer(OrderedConfig {
            // A readable name for `make status`, with a random part so that two instances
            // (or a restarted one, while the server still holds the old consumer) never
            // share one; the client adds `_1`, `_2`… when it recreates it.
            name: Some(format!("{reader}-replay-{}", random_suffix())),
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: start,
            },
            // The client's pulls then expire after 3 s, not 30, with a heartbeat every
            // 1.5 s: a pull lost with the node that held it (or lost while the server was
            // busy) is noticed as missed heartbeats and the consumer made again within
            // seconds. With the defaults a reading stayed deaf for 30 s — a replay that
            // took 39 s instead of 8 in the benchmark. (The same as durable consumers,
            // see `consume::open::PULL_EXPIRES`.)
            max_expires: crate::consume::open::PULL_EXPIRES,
            ..Default::default()
        })
        .await?;
    Ok(Some(consumer.messages().await?))
}

/// What the server says of a stream.
pub(super) enum Look {
    /// It does not exist.
    Gone,
    /// Its last message is at this sequence.
    EndsAt(u64),
    /// It cannot answer now.
    Unknown,
}

/// Asks the server about `stream` now.
pub(super) async fn look_at(js: &jetstream::Context, stream: &str) -> Look {
    match js.get_stream(stream).await {
        Ok(handle) => Look::EndsAt(handle.cached_info().state.last_sequence),
        Err(error) => match error.kind() {
            GetStreamErrorKind::JetStream(e)
                if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
            {
                Look::Gone
            }
            _ => Look::Unknown,
        },
    }
}

/// Eight random hex digits.
fn random_suffix() -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(8);
    id
}

/// A delivered message's place: its stream sequence, and how many messages follow it.
///
/// The client's `Message::info` reads the same from the reply subject, but also turns the
/// timestamp into a date and checks every token; the ordered consumer has done that once
/// already for each message, and doing it again took about 4 % of a replay. The subject,
/// as JetStream writes it (ADR-15), after `$JS.ACK.`:
/// `<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or, in
/// the newer form, the same after `<domain>.<account hash>.` with more tokens after it.
pub(super) fn place(reply: &str) -> Option<(u64, u64)> {
    let tokens = reply.strip_prefix("$JS.ACK.")?;
    let count = tokens.split('.').count();
    let first = match count {
        7 => 0,
        9.. => 2,
        _ => return None,
    };
    let mut numbers = tokens.split('.').skip(first + 3);
    let stream_sequence = numbers.next()?.parse().ok()?;
    let pending = numbers.nth(2)?.parse().ok()?;
    Some((stream_sequence, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_read_from_either_form_of_reply_subject() {
        assert_eq!(
            place("$JS.ACK.COMMENTS.reader.1.42.7.1764841200000000000.958"),
            Some((42, 958))
        );
        assert_eq!(
            place("$JS.ACK.hub.ACCHASH.COMMENTS.reader.1.42.7.1764841200000000000.0.token"),
            Some((42, 0))
        );
        assert_eq!(place("$JS.ACK.COMMENTS.reader.1.x.7.1.0"), None);
        assert_eq!(place("_INBOX.abc"), None);
        assert_eq!(place("$JS.ACK.too.short"), None);
    }
}
