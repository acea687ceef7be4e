//! Realistic histories, written straight into the streams: what months of use would leave.
//!
//! Each post gets `comments_per_post` comments, and each comment its whole life: created
//! (pending), moderated, and updated to version 1 with the decision — built with the `bus`
//! types and ids exactly as the services build them (derived ids, correlation ids), so the
//! services replay them as their own. Publishing goes through JetStream with the `Nats-Msg-Id`
//! header, many publishes in flight at once, since filling a million events one ack at a time
//! would take longer than the benchmark itself.

use anyhow::Context;
use async_nats::jetstream::{self, consumer, message::PublishMessage, stream};
use bus::{
    CommentCreated, CommentId, CommentModerated, CommentStatus, CommentUpdated, CorrelationId,
    Event, EventBody, PostCreated, PostId, StreamDef,
};
use futures::stream::{FuturesUnordered, StreamExt};
use std::future::IntoFuture;
use std::ops::Range;
use std::time::{Duration, Instant};

/// Publishes allowed in flight before we wait for acks.
const WINDOW: usize = 2048;

/// The events of one post's life, in the order the services would have written them.
pub fn post_history(post_number: usize, comments: usize) -> Vec<Event> {
    let post = PostId::new();
    let mut events = vec![Event::new(
        EventBody::PostCreated(PostCreated {
            id: post,
            title: format!("Post number {post_number}"),
        }),
        CorrelationId::new(),
    )];
    for n in 0..comments {
        // One comment in seven mentions orange and is rejected, as moderation would decide.
        let content = if n % 7 == 3 {
            format!("Comment {n}: I would rather have an orange")
        } else {
            format!("Comment {n}: what a thoughtful post, thank you")
        };
        let status = if content.contains("orange") {
            CommentStatus::Rejected
        } else {
            CommentStatus::Approved
        };
        let id = CommentId::new();
        let created = Event::new(
            EventBody::CommentCreated(CommentCreated {
                id,
                post_id: post,
                content: content.clone(),
                status: CommentStatus::Pending,
            }),
            CorrelationId::new(),
        );
        let moderated = Event::caused_by(
            &created,
            EventBody::CommentModerated(CommentModerated {
                id,
                post_id: post,
                content: content.clone(),
                status,
            }),
        );
        let updated = Event::caused_by(
            &moderated,
            EventBody::CommentUpdated(CommentUpdated {
                id,
                post_id: post,
                content,
                status,
                version: 1,
            }),
        );
        events.extend([created, moderated, updated]);
    }
    events
}

/// Events per post that land in `stream`: a post, its comments created and updated, their
/// decisions.
pub fn events_per_post(stream: StreamDef, comments: usize) -> u64 {
    match stream {
        StreamDef::Posts => 1,
        StreamDef::Comments => 2 * comments as u64,
        StreamDef::Moderation => comments as u64,
    }
}

/// Writes the histories of posts numbered `posts` into the streams (creating them if
/// needed) and returns how many events were stored.
pub async fn fill(
    js: &jetstream::Context,
    posts: Range<usize>,
    comments: usize,
) -> anyhow::Result<u64> {
    bus::streams::ensure(js, &StreamDef::ALL, 1)
        .await
        .context("creating the streams")?;
    let total = posts.len() as u64 * (1 + 3 * comments as u64);
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    // A progress line every quarter of the way (and at most every 250k events).
    let step = (total / 4).clamp(1, 250_000);
    let (mut sent, mut next_report) = (0u64, step);
    for number in posts {
        for event in post_history(number, comments) {
            let message = PublishMessage::build()
                .payload(event.to_json().into())
                .message_id(event.id.to_string());
            let ack = js
                .send_publish(event.body.subject(), message)
                .await
                .context("publishing a history event")?;
            in_flight.push(ack.into_future());
            sent += 1;
            while in_flight.len() >= WINDOW {
                acked(in_flight.next().await)?;
            }
        }
        if sent >= next_report {
            let rate = sent as f64 / started.elapsed().as_secs_f64().max(1e-3);
            println!("    filling the streams: {sent:>9} / {total} events ({rate:.0} events/s)");
            next_report = (sent / step + 1) * step;
        }
    }
    while let Some(ack) = in_flight.next().await {
        acked(Some(ack))?;
    }
    Ok(sent)
}

fn acked<T, E: std::error::Error + Send + Sync + 'static>(
    ack: Option<Result<T, E>>,
) -> anyhow::Result<()> {
    match ack {
        Some(result) => result
            .map(|_| ())
            .context("JetStream did not store a history event"),
        None => Ok(()),
    }
}

/// Creates the durable consumers of moderation and comments positioned after the history,
/// as if both services had handled all of it. Without this, starting them on a filled
/// stream would moderate every old comment again.
pub async fn mark_history_handled(js: &jetstream::Context) -> anyhow::Result<()> {
    let parked = [
        (
            StreamDef::Comments,
            durable(
                "moderation",
                StreamDef::Comments.subjects_of("CommentCreated"),
            ),
        ),
        (StreamDef::Moderation, durable("comments", String::new())),
    ];
    for (stream, config) in parked {
        let config = consumer::pull::Config {
            deliver_policy: consumer::DeliverPolicy::New,
            ..config
        };
        js.get_stream(stream.name())
            .await
            .with_context(|| format!("finding stream {}", stream.name()))?
            .create_consumer(config)
            .await
            .with_context(|| format!("creating a consumer on {}", stream.name()))?;
    }
    Ok(())
}

/// A durable pull consumer with explicit acks, as the services' consumers are. (The services
/// find an existing consumer by name and use it as it is, so only name, filter and
/// starting point matter for the ones created here.)
pub fn durable(name: &str, filter_subject: String) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(name.to_owned()),
        filter_subject,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        ..Default::default()
    }
}

/// A stream configured exactly like `like` (file storage, limits, duplicate window), under
/// another name and subject prefix. The raw baselines publish there, so they pay what a
/// service's publish pays without touching the services' own streams.
pub fn twin_stream(like: StreamDef, name: &str, prefix: &str) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: vec![format!("{prefix}.>")],
        ..bus::streams::config(like, 1)
    }
}

/// A JetStream context with a generous timeout: a 2-core machine under load can take a while
/// to ack, and the benchmark would rather wait than report a broker error.
pub fn context(client: async_nats::Client) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(30))
        .build(client)
}
