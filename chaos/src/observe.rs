//! Reading the system's state from outside: each service's HTTP views, the streams
//! themselves, and whether any consumer still has work. This is the only module that talks to
//! the system after the run; [`crate::checker`] then judges what it found.

use crate::checker::{CommentEntry, Holds, PostEntry, StreamFacts, View};
use anyhow::Context;
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use bus::event::{Event, EventBody};
use bus::streams::StreamDef;
use futures::StreamExt;
use serde::Deserialize;
use std::time::Duration;

/// Connects to NATS to read the streams, with `config` (the system's: as `admin`, since the
/// checker reads every stream and every consumer, and every node of a cluster).
pub async fn connect(config: &bus::BusConfig) -> anyhow::Result<jetstream::Context> {
    let client = tokio::time::timeout(Duration::from_secs(30), bus::connect::connect(config))
        .await
        .with_context(|| format!("connecting to nats-server at {:?}", config.servers))?;
    Ok(jetstream::new(client))
}

#[derive(Deserialize)]
struct QueryPost {
    id: String,
    title: String,
    comments: Vec<QueryComment>,
}

#[derive(Deserialize)]
struct QueryComment {
    id: String,
    content: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceComment {
    id: String,
    post_id: String,
    content: String,
    status: String,
}

async fn get<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<T> {
    let response = http
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "GET {url} answered {status}");
    response
        .json()
        .await
        .with_context(|| format!("reading the answer of GET {url}"))
}

/// A query instance's read model.
pub async fn query_view(http: &reqwest::Client, name: &str, base: &str) -> anyhow::Result<View> {
    let posts: Vec<QueryPost> = get(http, &format!("{base}/posts")).await?;
    let mut view = View {
        name: name.to_owned(),
        holds: Holds::Both,
        is_read_model: true,
        ..View::default()
    };
    for post in posts {
        for c in post.comments {
            view.comments.push(CommentEntry {
                id: c.id,
                post_id: post.id.clone(),
                content: c.content,
                status: c.status,
            });
        }
        view.posts.push(PostEntry {
            id: post.id,
            title: post.title,
        });
    }
    Ok(view)
}

/// A posts instance's posts.
pub async fn posts_view(http: &reqwest::Client, name: &str, base: &str) -> anyhow::Result<View> {
    let posts: Vec<PostEntry> = get::<Vec<ServicePost>>(http, &format!("{base}/posts"))
        .await?
        .into_iter()
        .map(|p| PostEntry {
            id: p.id,
            title: p.title,
        })
        .collect();
    Ok(View {
        name: name.to_owned(),
        holds: Holds::Posts,
        posts,
        ..View::default()
    })
}

#[derive(Deserialize)]
struct ServicePost {
    id: String,
    title: String,
}

/// A comments instance's comments, asked post by post for every post in `post_ids`.
pub async fn comments_view(
    http: &reqwest::Client,
    name: &str,
    base: &str,
    post_ids: &[String],
) -> anyhow::Result<View> {
    let mut comments = Vec::new();
    for post in post_ids {
        let answer: Vec<ServiceComment> =
            get(http, &format!("{base}/posts/{post}/comments")).await?;
        comments.extend(answer.into_iter().map(|c| CommentEntry {
            id: c.id,
            post_id: c.post_id,
            content: c.content,
            status: c.status,
        }));
    }
    Ok(View {
        name: name.to_owned(),
        holds: Holds::Comments,
        comments,
        ..View::default()
    })
}

/// Everything in POSTS, COMMENTS and MODERATION, read with an ordered consumer from the
/// first message to the last.
pub async fn streams(js: &jetstream::Context) -> anyhow::Result<StreamFacts> {
    let mut facts = StreamFacts::default();
    for stream in StreamDef::ALL {
        for event in read_stream(js, stream.name()).await? {
            match event.body {
                EventBody::PostCreated(p) => facts.posts_created.push(PostEntry {
                    id: p.id.to_string(),
                    title: p.title,
                }),
                EventBody::CommentCreated(c) => facts.comments_created.push(CommentEntry {
                    id: c.id.to_string(),
                    post_id: c.post_id.to_string(),
                    content: c.content,
                    status: "pending".into(),
                }),
                EventBody::CommentModerated(m) => facts
                    .moderated
                    .push((m.id.to_string(), status_name(&m.status))),
                EventBody::CommentUpdated(u) => {
                    facts
                        .updated
                        .push((u.id.to_string(), status_name(&u.status), u.version))
                }
            }
        }
    }
    Ok(facts)
}

fn status_name(status: &bus::event::CommentStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn read_stream(js: &jetstream::Context, name: &str) -> anyhow::Result<Vec<Event>> {
    let mut stream = js
        .get_stream(name)
        .await
        .with_context(|| format!("finding stream {name}"))?;
    let last = stream
        .info()
        .await
        .with_context(|| format!("asking about stream {name}"))?
        .state
        .last_sequence;
    let mut events = Vec::new();
    if last == 0 {
        return Ok(events);
    }
    let consumer = stream
        .create_consumer(OrderedConfig::default())
        .await
        .with_context(|| format!("reading stream {name}"))?;
    let mut messages = consumer
        .messages()
        .await
        .with_context(|| format!("reading stream {name}"))?;
    let read = async {
        while let Some(message) = messages.next().await {
            let message = message.with_context(|| format!("reading stream {name}"))?;
            let sequence = message
                .info()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .stream_sequence;
            // Anything that is not one of our events is reported by the checker as missing
            // data, not here as an error.
            if let Ok(event) = Event::from_json(&message.payload) {
                events.push(event);
            }
            if sequence >= last {
                break;
            }
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(120), read)
        .await
        .with_context(|| format!("reading stream {name} took over two minutes"))??;
    Ok(events)
}
