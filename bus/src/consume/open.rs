//! Getting the durable consumer from the server: created if missing (first start, or
//! deleted under us), updated if its settings changed, and then pulled from.

use super::Durable;
use crate::progress::Progress;
use async_nats::jetstream::context::{ConsumerInfoError, ConsumerInfoErrorKind};
use async_nats::jetstream::{self, consumer::pull};
use std::time::Duration;
use tracing::info;

/// How long one pull waits on the server for messages before the client asks again.
///
/// Short, because a pull can be lost without an answer: sent while the consumer has no
/// leader (being elected, or its node just died) it gets "no responders", or it dies with
/// the node that held it. The client then counts it as still waiting, and asks again only
/// when it would have expired (plus 5 s): with the client's default 30 s, a consumer stayed
/// deaf for 35 s — a comment that never got moderated in the browser test, under load. At
/// 3 s it is 8 s at worst, for one small request per consumer every 3 s when idle. (Opening
/// the stream again at once would be quicker, but it drops the messages the client has
/// buffered: they would come again only after their ack wait.)
pub(crate) const PULL_EXPIRES: Duration = Duration::from_secs(3);
/// Idle heartbeats within each pull; missing two makes the worker ask whether the consumer
/// still exists (see `Worker::is_gone`).
const PULL_HEARTBEAT: Duration = Duration::from_secs(1);

/// Whether the settings we choose differ from those the server holds for the consumer.
fn differs(held: &jetstream::consumer::Config, wanted: &pull::Config) -> bool {
    // (0 means "the server's default", which the server then reports as a number.)
    let differ = |held: i64, wanted: i64| wanted != 0 && held != wanted;
    held.ack_wait != wanted.ack_wait
        || differ(held.max_ack_pending, wanted.max_ack_pending)
        || differ(held.max_deliver, wanted.max_deliver)
        || held.priority_policy != wanted.priority_policy
        || held.priority_groups != wanted.priority_groups
        || held.priority_timeout != wanted.priority_timeout
}

/// Whether `error` is the server saying "no such consumer".
pub(super) fn is_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<ConsumerInfoError>()
        .is_some_and(|e| e.kind() == ConsumerInfoErrorKind::NotFound)
}

/// Gets or creates the durable consumer and starts pulling. Marks the backlog as worked off
/// at once if the consumer has nothing pending.
pub(super) async fn open(
    js: &jetstream::Context,
    durable: &Durable,
    progress: Option<&Progress>,
) -> Result<pull::Stream, async_nats::Error> {
    let handle = js.get_stream(durable.stream).await?;
    let name = durable.name();
    let consumer: jetstream::consumer::PullConsumer = match handle.get_consumer(&name).await {
        // Made by an older version, or with another ack wait: bring it to today's settings
        // (its position in the stream is kept).
        Ok(consumer) if differs(&consumer.cached_info().config, &durable.config) => {
            info!(consumer = %name, "updating the durable consumer's settings");
            let held = &consumer.cached_info().config;
            let config = pull::Config {
                // Where a consumer starts is fixed when it is created (the server refuses
                // to change it), and it no longer matters: the consumer has its position.
                deliver_policy: held.deliver_policy,
                ..durable.config.clone()
            };
            handle.update_consumer(config).await?
        }
        Ok(consumer) => consumer,
        Err(error) if is_not_found(&*error) => {
            let created = handle.create_consumer(durable.config.clone()).await?;
            info!(consumer = %name, stream = durable.stream,
                "created the durable consumer (it did not exist)");
            created
        }
        Err(error) => return Err(error),
    };
    // The get-or-create answer carries the consumer's info: no second request for it.
    if consumer.cached_info().num_pending == 0 {
        if let Some(progress) = progress {
            progress.mark_caught_up();
        }
    }
    let Some(group) = &durable.pinned_group else {
        return Ok(consumer
            .stream()
            .expires(PULL_EXPIRES)
            .heartbeat(PULL_HEARTBEAT)
            .messages()
            .await?);
    };
    // A pinned client keeps its pin only while it keeps pulling: each pull must end (and
    // the next begin) well within the takeover time.
    let expires = (durable.config.priority_timeout / 3).max(Duration::from_millis(300));
    Ok(consumer
        .stream()
        .group(group.clone())
        .expires(expires)
        .heartbeat(expires / 3)
        .messages()
        .await?)
}
