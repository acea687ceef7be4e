//! Human moderation: with the `manual` knob on, a new comment waits for a person, who may
//! take minutes or days ("a person is in charge of such a task", as the original course
//! says). Holding its JetStream message unacknowledged all that time would not do: the ack
//! wait would expire and redeliver it, and a restart would lose track of who holds what.
//! So the consumer acks the comment at once and keeps the waiting work in JetStream state
//! instead: the KV bucket `MODERATION_WAITING`, one key per comment id, each value a
//! [`WaitingEntry`] (the `CommentCreated`, and the decision once there is one).
//!
//! A decision is taken exactly once, however many moderation instances and pages there are:
//! 1. **claim** — the entry is updated with the decision *at the revision it was read at*;
//!    KV refuses the update if anyone changed the entry meanwhile, so one decision wins;
//! 2. **publish** — the `CommentModerated`, with the id derived from the comment's event
//!    (so publishing it twice stores it once);
//! 3. **delete** the entry.
//!
//! A crash between the steps leaves a claimed entry behind; [`settle`], which every
//! instance runs every few seconds, publishes and deletes such entries. It also decides by the rule every
//! entry still waiting once the `manual` knob is off again, so switching back to automatic
//! empties the queue.

use crate::knobs::Live;
use anyhow::Context;
use async_nats::jetstream::{self, kv};
use bus::{
    CommentCreated, CommentId, CommentModerated, CommentStatus, Event, EventBody, Publisher,
};
use contract::lab::{WaitingComment, WaitingEntry, WAITING_BUCKET};
use futures::TryStreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Puts the comment `created` on the waiting list (once: a redelivered comment that already
/// waits stays as it is).
pub async fn enqueue(js: &jetstream::Context, created: &Event) -> anyhow::Result<()> {
    let id = comment_id(created).context("only a CommentCreated can wait for a person")?;
    let entry = WaitingEntry {
        created: created.clone(),
        decided: None,
    };
    let bucket = bucket(js).await?;
    match bucket
        .create(id.to_string(), serde_json::to_vec(&entry)?.into())
        .await
    {
        Ok(_) => {
            tracing::info!(comment_id = %id, "waiting for a person's decision");
            Ok(())
        }
        Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Every comment waiting for a person, oldest first.
pub async fn list(js: &jetstream::Context) -> anyhow::Result<Vec<WaitingComment>> {
    let bucket = bucket(js).await?;
    let mut waiting = Vec::new();
    for (entry, _) in entries(&bucket).await? {
        if let EventBody::CommentCreated(c) = &entry.created.body {
            waiting.push(WaitingComment {
                id: c.id,
                post_id: c.post_id,
                content: c.content.clone(),
                since: entry.created.time,
                decided: entry.decided,
            });
        }
    }
    waiting.sort_by_key(|w| w.since);
    Ok(waiting)
}

/// Why a decision was not taken.
#[derive(Debug)]
pub enum Refused {
    /// No comment with this id waits (never did, or was decided and published).
    NotWaiting,
    /// Someone else decided first; this is what they decided.
    AlreadyDecided(CommentStatus),
    /// The broker could not be asked or told.
    Broker(anyhow::Error),
}

/// A person's decision on comment `id`: claimed, published, and the entry deleted.
pub async fn decide(
    publisher: &Publisher,
    id: CommentId,
    status: CommentStatus,
) -> Result<(), Refused> {
    let bucket = bucket(publisher.jetstream())
        .await
        .map_err(Refused::Broker)?;
    let key = id.to_string();
    let found = bucket
        .entry(key.as_str())
        .await
        .map_err(|e| Refused::Broker(e.into()))?;
    let Some(found) = found.filter(|e| e.operation == kv::Operation::Put) else {
        return Err(Refused::NotWaiting);
    };
    let mut entry: WaitingEntry = serde_json::from_slice(&found.value)
        .map_err(|e| Refused::Broker(anyhow::anyhow!("entry {key} is not readable: {e}")))?;
    if let Some(earlier) = entry.decided {
        return Err(Refused::AlreadyDecided(earlier));
    }
    entry.decided = Some(status);
    claim(&bucket, &key, &entry, found.revision).await?;
    publish_and_forget(publisher, &bucket, &key, &entry)
        .await
        .map_err(Refused::Broker)
}

/// Step 1: the decision written at `revision`, or refused because the entry moved on.
async fn claim(
    bucket: &kv::Store,
    key: &str,
    entry: &WaitingEntry,
    revision: u64,
) -> Result<(), Refused> {
    let json = serde_json::to_vec(entry).map_err(|e| Refused::Broker(e.into()))?;
    match bucket.update(key, json.into(), revision).await {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => {
            // Someone got there first: say what they decided, if it can be read.
            let now = bucket.get(key).await.ok().flatten();
            let decided = now
                .and_then(|json| serde_json::from_slice::<WaitingEntry>(&json).ok())
                .and_then(|e| e.decided);
            match decided {
                Some(status) => Err(Refused::AlreadyDecided(status)),
                None => Err(Refused::NotWaiting),
            }
        }
        Err(error) => Err(Refused::Broker(error.into())),
    }
}

/// Steps 2 and 3 for a claimed entry.
async fn publish_and_forget(
    publisher: &Publisher,
    bucket: &kv::Store,
    key: &str,
    entry: &WaitingEntry,
) -> anyhow::Result<()> {
    let (Some(status), EventBody::CommentCreated(c)) = (entry.decided, &entry.created.body) else {
        anyhow::bail!("entry {key} holds no decision to publish");
    };
    let decision = decision(&entry.created, c, status);
    publisher.publish(&decision).await?;
    tracing::info!(comment_id = %c.id, ?status, event_id = %decision.id, "decided by a person");
    bucket.delete(key).await?;
    Ok(())
}

/// The `CommentModerated` for `created`, with the id derived from it.
fn decision(created: &Event, comment: &CommentCreated, status: CommentStatus) -> Event {
    Event::caused_by(
        created,
        EventBody::CommentModerated(CommentModerated {
            id: comment.id,
            post_id: comment.post_id,
            content: comment.content.clone(),
            status,
        }),
    )
}

/// How often each instance looks for waiting work to finish: the waiting list is for people,
/// so a few seconds is soon enough, and each look costs the broker a short-lived consumer.
const SETTLE_EVERY: Duration = Duration::from_secs(3);

/// Every few seconds until `shutdown`: finishes claimed entries (a crash between claim and
/// delete), and — while the `manual` knob is off — decides by the rule what still waits.
pub async fn settle(publisher: Publisher, live: Live, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(SETTLE_EVERY) => {}
        }
        if let Err(error) = settle_once(&publisher, &live).await {
            tracing::debug!(%error, "cannot settle the waiting comments yet");
        }
    }
}

async fn settle_once(publisher: &Publisher, live: &Live) -> anyhow::Result<()> {
    let bucket = bucket(publisher.jetstream()).await?;
    // A bucket that never held anything (human moderation never used) needs no look.
    if bucket.status().await?.values() == 0 {
        return Ok(());
    }
    for (mut entry, revision) in entries(&bucket).await? {
        let Some(id) = comment_id(&entry.created) else {
            continue;
        };
        let key = id.to_string();
        if entry.decided.is_none() {
            let applied = live.borrow().clone();
            if applied.manual() {
                continue;
            }
            let EventBody::CommentCreated(c) = &entry.created.body else {
                continue;
            };
            entry.decided = Some(applied.policy.moderate(&c.content));
            // Another instance may claim it first; then it is theirs to finish.
            if claim(&bucket, &key, &entry, revision).await.is_err() {
                continue;
            }
        }
        publish_and_forget(publisher, &bucket, &key, &entry).await?;
    }
    Ok(())
}

/// Every entry in the bucket, with its revision.
async fn entries(bucket: &kv::Store) -> anyhow::Result<Vec<(WaitingEntry, u64)>> {
    let keys: Vec<String> = bucket.keys().await?.try_collect().await?;
    let mut found = Vec::new();
    for key in keys {
        let Some(entry) = bucket.entry(key.as_str()).await? else {
            continue;
        };
        if entry.operation != kv::Operation::Put {
            continue;
        }
        match serde_json::from_slice::<WaitingEntry>(&entry.value) {
            Ok(waiting) => found.push((waiting, entry.revision)),
            Err(error) => tracing::warn!(%key, %error, "a waiting entry that is not readable"),
        }
    }
    Ok(found)
}

async fn bucket(js: &jetstream::Context) -> anyhow::Result<kv::Store> {
    js.get_key_value(WAITING_BUCKET)
        .await
        .with_context(|| format!("opening the KV bucket {WAITING_BUCKET}"))
}

fn comment_id(event: &Event) -> Option<CommentId> {
    match &event.body {
        EventBody::CommentCreated(c) => Some(c.id),
        _ => None,
    }
}
