//! The checks of exercise 03. Each test is one point `make check EX=03` reports. Each starts
//! a real nats-server, writes a small blog into its streams (post 1 with two comments, post
//! 2 with one), and runs the exercise's pieces on what the streams hold, as the services
//! would. The check plays the rest of the system: where a point needs another piece's work,
//! it does that work itself, so each point says what is wrong with its own piece.
#![cfg(feature = "check")]

use async_nats::jetstream::{self, message::PublishMessage};
use bus::testing::TestNats;
use bus::Publisher;
use contract::views::PostView;
use contract::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, EventId,
    PostCreated, PostId, StreamDef,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::time::Duration;
use workshop_new_event::{
    compensate, delete, show, CommentDeleted, Fact, PostDeleted, ReadModel, COMMENT_DELETED,
    POST_DELETED,
};

/// Where the rest of the system expects the deletion: the contract everyone else reads.
const TYPE: &str = "PostDeleted";

/// A blog on a fresh broker: post 1 ("first") with comments 1 and 2, post 2 with comment 3.
struct Blog {
    nats: TestNats,
    js: jetstream::Context,
    posts: [PostId; 2],
    comments: [CommentId; 3],
}

impl Blog {
    async fn start() -> Blog {
        let nats = TestNats::start();
        let client = bus::connect::connect(&nats.bus_config(bus::auth::ADMIN)).await;
        let publisher = Publisher::new(client.clone());
        let posts = [PostId::new(), PostId::new()];
        let comments = [CommentId::new(), CommentId::new(), CommentId::new()];
        let mut events = vec![];
        for (post, title) in posts.iter().zip(["first", "second"]) {
            let title = title.to_owned();
            events.push(EventBody::PostCreated(PostCreated { id: *post, title }));
        }
        for (comment, post) in comments.iter().zip([posts[0], posts[0], posts[1]]) {
            events.push(EventBody::CommentCreated(CommentCreated {
                id: *comment,
                post_id: post,
                content: format!("a comment on {post}"),
                status: CommentStatus::Pending,
            }));
        }
        for body in events {
            let event = Event::new(body, CorrelationId::new());
            publisher
                .publish(&event)
                .await
                .expect("publishing the history");
        }
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(3))
            .build(client);
        Blog {
            nats,
            js,
            posts,
            comments,
        }
    }

    /// Publishes an event the contract does not know yet, in the CloudEvents envelope the
    /// services write, with its id in `Nats-Msg-Id`. Answers the stream that stored it.
    async fn publish_new(
        js: &jetstream::Context,
        subject: String,
        id: EventId,
        cause: Option<EventId>,
        data: Value,
    ) -> Result<jetstream::publish::PublishAck, String> {
        let type_name = subject.split('.').nth(1).unwrap_or_default().to_owned();
        let envelope = json!({
            "specversion": "1.0", "id": id, "source": format!("/{}", subject.split('.').next().unwrap_or_default()),
            "type": type_name, "time": chrono::Utc::now(), "datacontenttype": "application/json",
            "correlationid": CorrelationId::new(), "causationid": cause, "data": data,
        });
        let message = PublishMessage::build()
            .payload(envelope.to_string().into())
            .message_id(id.to_string());
        let sent = js.send_publish(subject, message).await;
        let ack = sent.map_err(|e| e.to_string())?.into_future().await;
        ack.map_err(|e| e.to_string())
    }

    /// Post 1's deletion, published by the check as posts would: the contract's subject.
    async fn delete_first_post(&self) -> EventId {
        let id = EventId::new();
        let post = self.posts[0];
        let data = json!(PostDeleted { id: post });
        let subject = StreamDef::Posts.subject(TYPE, &post.to_string());
        Blog::publish_new(&self.js, subject, id, None, data)
            .await
            .expect("publishing the deletion");
        id
    }

    /// Post 1's comments' deletions, published by the check as comments would.
    async fn delete_first_posts_comments(&self, cause: EventId) {
        for comment in &self.comments[..2] {
            let id = cause.derive(&format!("CommentDeleted.{comment}"));
            let data = json!(CommentDeleted {
                id: *comment,
                post_id: self.posts[0],
            });
            let subject = COMMENT_DELETED
                .stream
                .subject(COMMENT_DELETED.name, &comment.to_string());
            Blog::publish_new(&self.js, subject, id, Some(cause), data)
                .await
                .expect("publishing a comment's deletion");
        }
    }

    /// Every message `stream` holds, in order, as the facts a reader decodes, with its id.
    async fn read(&self, stream: StreamDef) -> Vec<(EventId, Fact, u64)> {
        let mut handle = self.js.get_stream(stream.name()).await.expect("the stream");
        let state = handle
            .info()
            .await
            .expect("the stream's state")
            .state
            .clone();
        let mut facts = vec![];
        for sequence in state.first_sequence..=state.last_sequence {
            let Ok(message) = handle.direct_get(sequence).await else {
                continue;
            };
            let time = message.time.unix_timestamp_nanos() as u64;
            if let Some((id, fact)) = decode(&message.payload) {
                facts.push((id, fact, time));
            }
        }
        facts
    }

    /// Everything POSTS and COMMENTS hold, in the order JetStream stored it.
    async fn history(&self) -> Vec<Fact> {
        let mut all = self.read(StreamDef::Posts).await;
        all.extend(self.read(StreamDef::Comments).await);
        all.sort_by_key(|(_, _, time)| *time);
        all.into_iter().map(|(_, fact, _)| fact).collect()
    }
}

/// A stored message as a reader decodes it: a contract event, or one of the new ones.
fn decode(payload: &[u8]) -> Option<(EventId, Fact)> {
    if let Ok(event) = Event::from_json(payload) {
        return Some((event.id, Fact::Known(event)));
    }
    let wire: Value = serde_json::from_slice(payload).ok()?;
    let id = serde_json::from_value(wire["id"].clone()).ok()?;
    let data = wire["data"].clone();
    let fact = match wire["type"].as_str()? {
        TYPE => Fact::PostDeleted(serde_json::from_value(data).ok()?),
        "CommentDeleted" => Fact::CommentDeleted(serde_json::from_value(data).ok()?),
        _ => return None,
    };
    Some((id, fact))
}

/// Folds `facts` into a read model, and a page fed with what query announces.
fn fold(facts: &[Fact]) -> (ReadModel, BTreeMap<PostId, PostView>) {
    let mut model = ReadModel::default();
    let mut page = BTreeMap::new();
    for fact in facts {
        if let Some(changed) = model.apply(fact) {
            show(&mut page, changed, model.post(changed));
        }
    }
    (model, page)
}

fn described(posts: &[PostView]) -> String {
    let each: Vec<String> = posts
        .iter()
        .map(|post| match post.comments.len() {
            1 => format!("{} (1 comment)", post.title),
            n => format!("{} ({n} comments)", post.title),
        })
        .collect();
    each.join(", ")
}

#[tokio::test]
async fn before_any_deletion_the_page_shows_every_post_and_comment() {
    let blog = Blog::start().await;
    let (model, page) = fold(&blog.history().await);
    let shown: Vec<PostView> = page.into_values().collect();
    assert_eq!(
        described(&shown),
        "first (2 comments), second (1 comment)",
        "with nothing deleted, the page should show both posts and their comments"
    );
    assert_eq!(
        shown,
        model.posts(),
        "the page should show what query serves"
    );
}

#[tokio::test]
async fn the_deletion_is_stored_in_posts_as_post_deleted() {
    let blog = Blog::start().await;
    let post = blog.posts[0];
    assert!(
        !POST_DELETED.name.is_empty(),
        "POST_DELETED has no name yet (PIECE 1): name the fact in the past tense, as the \
         contract's types are (contract/src/events/types.rs)"
    );
    assert_eq!(
        POST_DELETED.name, TYPE,
        "the rest of the system will look for the type {TYPE:?}; POST_DELETED says {:?}",
        POST_DELETED.name
    );
    // Published as posts itself: the broker lets a service publish only on its own stream.
    let client = bus::connect::connect(&blog.nats.bus_config("posts")).await;
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(client);
    let subject = POST_DELETED
        .stream
        .subject(POST_DELETED.name, &post.to_string());
    let data = json!(PostDeleted { id: post });
    let stored = Blog::publish_new(&js, subject.clone(), EventId::new(), None, data).await;
    let stored = stored.unwrap_or_else(|error| {
        panic!(
            "posts, who decides that a post is deleted, could not store it on {subject}: \
             {error}. Which stream belongs to the owner of this fact? (nats/auth.conf lets \
             each service publish only on its own stream's subjects: anything else is \
             dropped, and no ack comes)"
        )
    });
    assert_eq!(
        stored.stream,
        StreamDef::Posts.name(),
        "stored in the wrong stream"
    );
    let facts = blog.read(StreamDef::Posts).await;
    assert!(
        facts
            .iter()
            .any(|(_, fact, _)| *fact == Fact::PostDeleted(PostDeleted { id: post })),
        "POSTS does not hold a PostDeleted for the post after publishing it on {subject}"
    );
}

#[tokio::test]
async fn only_a_post_that_exists_can_be_deleted_and_only_once() {
    let blog = Blog::start().await;
    let [first, _] = blog.posts;
    let history: Vec<Fact> = blog
        .read(StreamDef::Posts)
        .await
        .into_iter()
        .map(|f| f.1)
        .collect();
    assert_eq!(
        delete(&history, first),
        Some(PostDeleted { id: first }),
        "POSTS holds post 1's PostCreated, and deleting it decided nothing: `delete` should \
         return its PostDeleted (PIECE 2)"
    );
    assert_eq!(
        delete(&history, PostId::new()),
        None,
        "a post that was never created was deleted: posts should refuse (404), and publish \
         nothing"
    );
    blog.delete_first_post().await;
    let history: Vec<Fact> = blog
        .read(StreamDef::Posts)
        .await
        .into_iter()
        .map(|f| f.1)
        .collect();
    assert_eq!(
        delete(&history, first),
        None,
        "POSTS already holds post 1's PostDeleted, and deleting it again decided another one: \
         a post is deleted once, so a retried or repeated delete publishes nothing new"
    );
}

#[tokio::test]
async fn each_comment_of_the_deleted_post_is_deleted_once() {
    let blog = Blog::start().await;
    let cause = blog.delete_first_post().await;
    // Comments' consumer receives the deletion from POSTS, and knows the post's comments
    // from COMMENTS. The deletion is delivered twice, as after a crash before the ack.
    let posts = blog.read(StreamDef::Posts).await;
    let Some((cause, Fact::PostDeleted(deleted), _)) = posts.into_iter().find(|f| f.0 == cause)
    else {
        panic!("the check could not read back the deletion it published");
    };
    let of_post: Vec<CommentId> = blog.comments[..2].to_vec();
    let client = bus::connect::connect(&blog.nats.bus_config("comments")).await;
    let js = jetstream::new(client);
    let deliveries = [
        compensate(cause, &deleted, &of_post),
        compensate(cause, &deleted, &of_post),
    ];
    for effects in &deliveries {
        for (id, effect) in effects {
            let subject = COMMENT_DELETED
                .stream
                .subject(COMMENT_DELETED.name, &effect.id.to_string());
            Blog::publish_new(&js, subject, *id, Some(cause), json!(effect))
                .await
                .expect("comments publishing a CommentDeleted");
        }
    }
    let stored: Vec<CommentDeleted> = blog
        .read(StreamDef::Comments)
        .await
        .into_iter()
        .filter_map(|(_, fact, _)| match fact {
            Fact::CommentDeleted(deleted) => Some(deleted),
            _ => None,
        })
        .collect();
    let n = stored.len();
    let ids = |effects: &[(EventId, CommentDeleted)]| -> Vec<EventId> {
        effects.iter().map(|(id, _)| *id).collect()
    };
    let mut distinct = ids(&deliveries[0]);
    distinct.sort();
    distinct.dedup();
    assert!(
        !deliveries[0].is_empty(),
        "post 1 was deleted and it has 2 comments, but comments published no CommentDeleted: \
         `compensate` should return one for each of the post's comments (PIECE 3)"
    );
    assert!(
        distinct.len() == deliveries[0].len(),
        "the CommentDeleted of one deletion share an event id, so JetStream kept {n} of them \
         as if the others were duplicates. One cause, several effects: each id must also \
         depend on which comment it is about (PIECE 3)"
    );
    assert!(
        ids(&deliveries[0]) == ids(&deliveries[1]),
        "the deletion was delivered twice and COMMENTS holds {n} CommentDeleted for 2 \
         comments: each delivery made new event ids. Derive them from the cause, so a \
         redelivery publishes the same ids again (exercise 04) (PIECE 3)"
    );
    let mut expected: Vec<CommentDeleted> = of_post
        .iter()
        .map(|id| CommentDeleted {
            id: *id,
            post_id: deleted.id,
        })
        .collect();
    let mut stored = stored;
    expected.sort_by_key(|d| d.id);
    stored.sort_by_key(|d| d.id);
    assert_eq!(
        stored, expected,
        "the CommentDeleted stored should name each of post 1's comments, and post 1"
    );
}

#[tokio::test]
async fn the_read_model_forgets_the_deleted_post_and_its_comments() {
    let blog = Blog::start().await;
    let cause = blog.delete_first_post().await;
    blog.delete_first_posts_comments(cause).await;
    let (model, _) = fold(&blog.history().await);
    assert_eq!(
        described(&model.posts()),
        "second (1 comment)",
        "after post 1's PostDeleted (and its comments' CommentDeleted), query should serve \
         post 2 alone: `ReadModel::apply` should make a deleted post leave (PIECE 4)"
    );
}

#[tokio::test]
async fn a_late_comment_or_a_redelivered_post_does_not_bring_it_back() {
    let blog = Blog::start().await;
    let cause = blog.delete_first_post().await;
    blog.delete_first_posts_comments(cause).await;
    let mut history = blog.history().await;
    // Delivered again after the deletion: post 1's creation (at-least-once delivery), and
    // a comment of it, which comes from the other stream and can arrive late.
    let (first, comment) = (blog.posts[0], blog.comments[0]);
    let again: Vec<Fact> = history
        .iter()
        .filter(|fact| match fact {
            Fact::Known(event) => match &event.body {
                EventBody::PostCreated(post) => post.id == first,
                EventBody::CommentCreated(created) => created.id == comment,
                _ => false,
            },
            _ => false,
        })
        .cloned()
        .collect();
    history.extend(again);
    let (model, _) = fold(&history);
    assert_eq!(
        described(&model.posts()),
        "second (1 comment)",
        "post 1 was deleted, then its PostCreated came again (a redelivery) and one of its \
         comments arrived late: the read model shows it again. A deletion must be \
         remembered, so nothing older can bring the post back (PIECE 4)"
    );
}

#[tokio::test]
async fn the_page_drops_the_deleted_post() {
    let blog = Blog::start().await;
    let cause = blog.delete_first_post().await;
    blog.delete_first_posts_comments(cause).await;
    // Query's consumer: apply each fact, and announce the post it changed to the page.
    let mut model = ReadModel::default();
    let mut page = BTreeMap::new();
    let mut announced = false;
    for fact in blog.history().await {
        let changed = model.apply(&fact);
        if let Some(changed) = changed {
            show(&mut page, changed, model.post(changed));
        }
        announced |= matches!(fact, Fact::PostDeleted(_)) && changed.is_some();
    }
    assert!(
        model.post(blog.posts[0]).is_none(),
        "the read model still shows post 1 after its deletion, so query would announce no \
         change for the page to show: PIECE 4 first"
    );
    assert!(
        announced,
        "the read model forgot post 1, but `apply` returned None for its PostDeleted, so \
         query never told the page: return the post whose view changed (PIECE 4)"
    );
    let shown: Vec<PostView> = page.into_values().collect();
    assert_eq!(
        described(&shown),
        "second (1 comment)",
        "query announced post 1 with no view (it is gone), and the page kept showing the \
         last view it had: `show` should drop it (PIECE 5)"
    );
}
