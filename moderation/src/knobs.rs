//! Moderation's knobs, live: they sit in the NATS KV bucket `MODERATION_KNOBS` (one key,
//! `knobs`, a JSON [`ModerationKnobs`]), and every instance watches that key. A change —
//! from the web page through `PUT /knobs`, or from the `nats` CLI — reaches every instance
//! within a moment, with no restart. The environment variables are only the start-up
//! defaults, used while nobody has set the key (or after it is deleted).
//!
//! A KV bucket is a stream underneath (`KV_MODERATION_KNOBS`, one subject per key): a put
//! is a publish, a watch is an ordered consumer that first delivers the key's last value and
//! then every new one. That is the lesson: configuration is just more events.

use crate::config::Knobs;
use crate::policy::Policy;
use async_nats::jetstream::{self, kv};
use contract::lab::{KnobsView, ModerationKnobs, KNOBS_BUCKET, KNOBS_KEY};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The knobs in force, ready to use: what the handler of each comment reads.
#[derive(Clone, Debug)]
pub struct Applied {
    pub view: KnobsView,
    pub policy: Policy,
    pub knobs: Knobs,
}

impl Applied {
    /// `wire` made ready to use; `fresh_ids` (a test-only fault) is not a live knob and
    /// comes from the start-up settings.
    pub fn new(wire: ModerationKnobs, revision: Option<u64>, fresh_ids: bool) -> Applied {
        Applied {
            policy: Policy::from_words(&wire.reject_words),
            knobs: Knobs {
                delay: Duration::from_millis(wire.delay_ms),
                fail_rate: wire.fail_rate,
                fail_first: i64::from(wire.fail_first),
                fresh_ids,
            },
            view: KnobsView {
                knobs: wire,
                revision,
            },
        }
    }

    pub fn concurrency(&self) -> usize {
        self.view.knobs.concurrency.max(1) as usize
    }

    pub fn manual(&self) -> bool {
        self.view.knobs.manual
    }
}

/// Every part of the service that reads the knobs holds one of these.
pub type Live = watch::Receiver<Arc<Applied>>;

/// Starts with `defaults` in force; [`follow`] keeps the sender up to date.
pub fn channel(defaults: Applied) -> (watch::Sender<Arc<Applied>>, Live) {
    watch::channel(Arc::new(defaults))
}

/// Follows the `knobs` key until `shutdown`: each new value that is valid is put in force;
/// an invalid one is logged and ignored (the last good knobs stay); a deleted key brings
/// back `defaults`. A lost connection or a missing bucket is retried every second.
pub async fn follow(
    js: jetstream::Context,
    defaults: ModerationKnobs,
    fresh_ids: bool,
    sender: watch::Sender<Arc<Applied>>,
    shutdown: CancellationToken,
) {
    let mut complained = false;
    while !shutdown.is_cancelled() {
        let watching = async {
            let store = js.get_key_value(KNOBS_BUCKET).await?;
            let watch = store.watch_with_history(KNOBS_KEY).await?;
            Ok::<_, anyhow::Error>(watch)
        };
        let mut watch = match watching.await {
            Ok(watch) => {
                complained = false;
                watch
            }
            Err(error) => {
                if !std::mem::replace(&mut complained, true) {
                    tracing::warn!(%error, bucket = KNOBS_BUCKET,
                        "cannot watch the knobs; the last ones stay in force, retrying");
                }
                pause(&shutdown).await;
                continue;
            }
        };
        loop {
            let entry = tokio::select! {
                _ = shutdown.cancelled() => return,
                entry = watch.next() => entry,
            };
            let Some(Ok(entry)) = entry else {
                // The watch ended or broke (the broker went away): open it again.
                break;
            };
            if let Some(applied) = read(&entry, &defaults, fresh_ids) {
                tracing::info!(knobs = ?applied.view.knobs, revision = entry.revision,
                    "knobs changed");
                sender.send_replace(Arc::new(applied));
            }
        }
        pause(&shutdown).await;
    }
}

/// What one entry of the bucket puts in force, if anything.
fn read(entry: &kv::Entry, defaults: &ModerationKnobs, fresh_ids: bool) -> Option<Applied> {
    match entry.operation {
        kv::Operation::Delete | kv::Operation::Purge => {
            Some(Applied::new(defaults.clone(), None, fresh_ids))
        }
        kv::Operation::Put => match parse(&entry.value) {
            Ok(knobs) => Some(Applied::new(knobs, Some(entry.revision), fresh_ids)),
            Err(problem) => {
                tracing::warn!(revision = entry.revision, %problem,
                    "ignoring knobs that are not valid; the last ones stay in force");
                None
            }
        },
    }
}

/// Knobs from JSON, checked.
pub fn parse(json: &[u8]) -> Result<ModerationKnobs, String> {
    let knobs: ModerationKnobs =
        serde_json::from_slice(json).map_err(|error| format!("not knobs: {error}"))?;
    match knobs.problem() {
        Some(problem) => Err(problem),
        None => Ok(knobs),
    }
}

/// Stores `knobs` in the bucket, for every instance to pick up; returns the revision.
pub async fn store(js: &jetstream::Context, knobs: &ModerationKnobs) -> anyhow::Result<u64> {
    let bucket = js.get_key_value(KNOBS_BUCKET).await?;
    let json = serde_json::to_vec(knobs)?;
    Ok(bucket.put(KNOBS_KEY, json.into()).await?)
}

/// Deletes the knobs from the bucket: every instance goes back to its start-up defaults.
pub async fn reset(js: &jetstream::Context) -> anyhow::Result<()> {
    let bucket = js.get_key_value(KNOBS_BUCKET).await?;
    bucket.delete(KNOBS_KEY).await?;
    Ok(())
}

async fn pause(shutdown: &CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_are_checked_and_a_missing_field_keeps_its_default() {
        let knobs = parse(br#"{"delayMs": 2000}"#).expect("valid knobs");
        assert_eq!(knobs.delay_ms, 2000);
        assert_eq!(knobs.reject_words, ["orange"]);
        for bad in [
            r#"{"failRate": 1.5}"#,
            r#"{"concurrency": 0}"#,
            r#"{"delayMs": 99999999}"#,
            r#"{"rejectWords": ["two words"]}"#,
            r#"{"sharks": true}"#,
            "not json",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn applied_knobs_carry_the_policy_and_the_delay() {
        let wire = ModerationKnobs {
            reject_words: vec!["Kiwi".into()],
            delay_ms: 250,
            ..ModerationKnobs::default()
        };
        let applied = Applied::new(wire, Some(3), false);
        assert_eq!(
            applied.policy.moderate("a kiwi"),
            bus::CommentStatus::Rejected
        );
        assert_eq!(
            applied.policy.moderate("an orange"),
            bus::CommentStatus::Approved
        );
        assert_eq!(applied.knobs.delay, Duration::from_millis(250));
        assert_eq!(applied.view.revision, Some(3));
    }
}
