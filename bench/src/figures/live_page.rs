//! The live page with a large blog (issue 14): many browsers follow
//! `GET /posts/events?limit=20`, what the web client follows, while the first page holds a
//! post of 100k comments. Three figures:
//!
//! - how long a browser waits, from connecting, for its first page (`event: page`);
//! - how much memory query spends per connected browser;
//! - how long a new comment on the big post takes from its publish to the `post` event at
//!   every connected browser (and at the first one).
//!
//! The comments are published straight into COMMENTS, as the comments service would: this
//! is query's part of "a new comment shows on an open page", without the browser's render.

use crate::http::{self, EventStream};
use crate::services::Running;
use crate::stats::{micros, Latencies, Percentiles};
use anyhow::{bail, Context};
use async_nats::jetstream;
use bus::{CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId};
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What the web client asks for (`crate::api::PAGE` in the frontend).
pub const LIVE_PAGE: &str = "/posts/events?limit=20";

#[derive(Clone, Debug, Serialize)]
pub struct LivePage {
    pub clients: usize,
    /// Connecting → the first page, per browser (they connect one after another).
    pub first_page: Percentiles,
    /// Query's resident memory per connected browser, in KiB.
    pub kib_per_client: f64,
    pub comments: usize,
    /// A new comment's publish → its `post` event at the last browser to get it.
    pub to_every_client: Percentiles,
    /// … and at the first.
    pub to_first_client: Percentiles,
}

/// How long one comment may take to reach every browser before the figure gives up.
const PATIENCE: Duration = Duration::from_secs(10);

pub async fn measure(
    js: &jetstream::Context,
    query: &Running,
    big_post: PostId,
    clients: usize,
    comments: usize,
) -> anyhow::Result<LivePage> {
    println!("  live page: {clients} browsers follow {LIVE_PAGE}; {comments} new comments on the big post");
    let before = query.memory()?.rss_mib;
    let mut first_pages = Vec::with_capacity(clients);
    let mut streams = Vec::with_capacity(clients);
    for _ in 0..clients {
        let connecting = Instant::now();
        let mut stream = http::Conn::open(query.port)
            .await?
            .events(LIVE_PAGE)
            .await?;
        let first = stream.next().await?;
        if first.name != "page" {
            bail!("{LIVE_PAGE} began with {:?}, not a page", first.name);
        }
        first_pages.push(micros(connecting.elapsed()));
        streams.push(stream);
    }
    let after = query.memory()?.rss_mib;
    let kib_per_client = (after - before).max(0.0) * 1024.0 / clients as f64;

    // Each browser reports the newest comment number it was shown, and when.
    let (shown, mut reports) = mpsc::unbounded_channel();
    let followers: Vec<_> = streams
        .into_iter()
        .map(|stream| tokio::spawn(follow(stream, shown.clone())))
        .collect();
    let (mut every, mut first) = (Vec::new(), Vec::new());
    for number in 0..comments {
        let published = Instant::now();
        publish_comment(js, big_post, number).await?;
        let mut reached = 0;
        let deadline = published + PATIENCE;
        while reached < clients {
            let report = tokio::time::timeout_at(deadline.into(), reports.recv()).await;
            let Ok(Some((seen, at))) = report else {
                bail!("comment {number} reached {reached} of {clients} browsers in {PATIENCE:?}");
            };
            if seen != number {
                continue;
            }
            reached += 1;
            let took = micros(at.saturating_duration_since(published));
            if reached == 1 {
                first.push(took);
            }
            if reached == clients {
                every.push(took);
            }
        }
    }
    for follower in followers {
        follower.abort();
    }
    let result = LivePage {
        clients,
        first_page: Percentiles::of(&Latencies::new(first_pages)),
        kib_per_client,
        comments,
        to_every_client: Percentiles::of(&Latencies::new(every)),
        to_first_client: Percentiles::of(&Latencies::new(first)),
    };
    println!(
        "    first page p99 {:.1} ms · {:.0} KiB per browser · new comment to every browser p50 {:.1} ms, p99 {:.1} ms",
        result.first_page.p99,
        result.kib_per_client,
        result.to_every_client.p50,
        result.to_every_client.p99
    );
    Ok(result)
}

/// Reads one browser's stream: for each `post` event, the newest live comment it shows.
async fn follow(mut stream: EventStream, shown: mpsc::UnboundedSender<(usize, Instant)>) {
    while let Ok(event) = stream.next().await {
        if event.name != "post" {
            continue;
        }
        if let Some(number) = newest_comment_number(&event.data) {
            if shown.send((number, Instant::now())).is_err() {
                return;
            }
        }
    }
}

/// A page shows a post's comments oldest first, so the last `live-N-` in it is the newest.
fn newest_comment_number(data: &str) -> Option<usize> {
    let at = data.rfind("live-")? + "live-".len();
    let digits: String = data[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn publish_comment(
    js: &jetstream::Context,
    post: PostId,
    number: usize,
) -> anyhow::Result<()> {
    let event = Event::new(
        EventBody::CommentCreated(CommentCreated {
            id: CommentId::new(),
            post_id: post,
            content: format!("live-{number}- a new comment on an open page"),
            status: CommentStatus::Pending,
        }),
        CorrelationId::new(),
    );
    js.publish(event.body.subject(), event.to_json().into())
        .await
        .context("publishing a comment")?
        .await
        .context("storing a comment")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_comment_is_the_last_on_the_page() {
        let data = r#"{"comments":[{"content":"live-7- a"},{"content":"live-12- b"}]}"#;
        assert_eq!(newest_comment_number(data), Some(12));
        assert_eq!(newest_comment_number(r#"{"comments":[]}"#), None);
    }
}
