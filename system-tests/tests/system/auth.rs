//! Least privilege on the broker, proven against the real nats-server with the repository's
//! own `nats/auth.conf`: every assertion here is a denial (or a permission) that the server
//! itself reports, not something the client decided.
//!
//! (Longer than 300 lines on purpose: one user per test, each a list of what it may and may
//! not do, read best side by side with `nats/auth.conf`.)
//!
//! A denied publish or JetStream API request is dropped by the server, which tells the
//! client with `-ERR 'Permissions Violation for Publish to "<subject>"'`; the client's
//! request then times out. Each test watches for that error, names the subject, and checks
//! that the stream is unchanged.

use crate::helpers::{eventually, DEADLINE};
use async_nats::jetstream::{self, consumer::pull::OrderedConfig, stream};
use async_nats::{ConnectErrorKind, ConnectOptions, Event};
use bus::auth::{self, Credentials};
use bus::testing::TestNats;
use bus::StreamDef;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a client waits for an answer the server will never send (and, as this is the
/// context's one timeout, for the answers it does send on a busy machine).
const DENIED_WAIT: Duration = Duration::from_secs(2);

/// A connection as one user, with the server's refusals as they arrive.
struct Session {
    js: jetstream::Context,
    refusals: mpsc::UnboundedReceiver<String>,
}

impl Session {
    async fn open(nats: &TestNats, user: &str) -> Session {
        let Credentials { user, password } = Credentials::from_env(user);
        let (sender, refusals) = mpsc::unbounded_channel();
        let client = ConnectOptions::with_user_and_password(user.clone(), password)
            .event_callback(move |event| {
                let sender = sender.clone();
                async move {
                    if let Event::ServerError(error) = event {
                        let _ = sender.send(error.to_string());
                    }
                }
            })
            .connect(nats.url())
            .await
            .unwrap_or_else(|e| panic!("{user} connects: {e}"));
        let js = jetstream::ContextBuilder::new()
            .timeout(DENIED_WAIT)
            .build(client);
        Session { js, refusals }
    }

    /// Waits for the server's permissions violation naming `subject`.
    async fn refused(&mut self, subject: &str) {
        let wanted = format!("\"{subject}\"").to_lowercase();
        let found = tokio::time::timeout(DEADLINE, async {
            while let Some(error) = self.refusals.recv().await {
                let error = error.to_lowercase();
                if error.contains("permissions violation") && error.contains(&wanted) {
                    return;
                }
            }
        })
        .await;
        assert!(
            found.is_ok(),
            "the server never reported a permissions violation for {subject}"
        );
    }

    /// Publishes through JetStream and expects the server to refuse it.
    async fn publish_is_refused(&mut self, subject: &str) {
        let acked = async {
            self.js
                .publish(subject.to_owned(), "{}".into())
                .await?
                .await
        };
        assert!(
            acked.await.is_err(),
            "publishing to {subject} was acknowledged"
        );
        self.refused(subject).await;
    }
}

/// How many messages `stream` holds, as admin sees it.
async fn messages(nats: &TestNats, stream: &str) -> u64 {
    let js = Session::open(nats, auth::ADMIN).await.js;
    let mut handle = js.get_stream(stream).await.expect("the stream exists");
    handle.info().await.expect("stream info").state.messages
}

/// Every stream still exists, as admin sees it.
async fn all_streams_exist(nats: &TestNats) {
    let js = Session::open(nats, auth::ADMIN).await.js;
    for name in StreamDef::ALL
        .iter()
        .map(|s| s.name())
        .chain([bus::deadletters::STREAM])
    {
        assert!(js.get_stream(name).await.is_ok(), "{name} is gone");
    }
}

#[tokio::test]
async fn anonymous_connections_and_wrong_passwords_are_refused() {
    let nats = TestNats::start();
    let anonymous = async_nats::connect(nats.url()).await;
    let error = anonymous.expect_err("an anonymous connection is refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );

    let wrong = ConnectOptions::with_user_and_password("posts".into(), "not-the-password".into())
        .connect(nats.url())
        .await;
    let error = wrong.expect_err("a wrong password is refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}

#[tokio::test]
async fn posts_publishes_its_own_events_only_and_cannot_delete_or_purge_a_stream() {
    let nats = TestNats::start();
    let mut posts = Session::open(&nats, "posts").await;
    // Its own events are accepted, so the refusals below are about permission, not a
    // broken connection.
    let own = posts
        .js
        .publish("posts.PostCreated.x", "{}".into())
        .await
        .expect("sent");
    own.await.expect("posts may publish its own events");

    posts.publish_is_refused("comments.CommentCreated.x").await;
    posts
        .publish_is_refused("moderation.CommentModerated.x")
        .await;
    posts
        .publish_is_refused("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.POSTS.x")
        .await;
    assert_eq!(messages(&nats, "COMMENTS").await, 0);
    assert_eq!(messages(&nats, "MODERATION").await, 0);

    assert!(
        posts.js.delete_stream("POSTS").await.is_err(),
        "posts deleted POSTS"
    );
    posts.refused("$JS.API.STREAM.DELETE.POSTS").await;
    let handle = posts
        .js
        .get_stream("POSTS")
        .await
        .expect("posts may look at POSTS");
    assert!(handle.purge().await.is_err(), "posts purged POSTS");
    posts.refused("$JS.API.STREAM.PURGE.POSTS").await;
    assert!(
        posts
            .js
            .create_stream(stream::Config {
                name: "MINE".into(),
                subjects: vec!["mine.>".into()],
                ..Default::default()
            })
            .await
            .is_err(),
        "posts created a stream"
    );
    posts.refused("$JS.API.STREAM.CREATE.MINE").await;
    assert_eq!(messages(&nats, "POSTS").await, 1);
    all_streams_exist(&nats).await;
}

#[tokio::test]
async fn query_publishes_no_event_and_records_no_retry() {
    let nats = TestNats::start();
    let mut query = Session::open(&nats, "query").await;
    query.publish_is_refused("posts.PostCreated.x").await;
    query.publish_is_refused("comments.CommentUpdated.x").await;
    // A retry record, too, goes through the admin connection, never query's own.
    query
        .publish_is_refused(&bus::deadletters::retried_subject(1))
        .await;
    assert_eq!(messages(&nats, "POSTS").await, 0);
    assert_eq!(messages(&nats, "DEADLETTERS").await, 0);
}

#[tokio::test]
async fn the_learner_reads_every_stream_and_consumer_but_changes_nothing() {
    let nats = TestNats::start();
    let admin = Session::open(&nats, auth::ADMIN).await.js;
    for (subject, body) in [
        ("posts.PostCreated.p1", "{\"hello\":1}"),
        ("comments.CommentCreated.c1", "{}"),
    ] {
        admin
            .publish(subject, body.into())
            .await
            .expect("sent")
            .await
            .expect("stored");
    }
    let comments = admin.get_stream("COMMENTS").await.expect("COMMENTS");
    comments
        .create_consumer(jetstream::consumer::pull::Config {
            durable_name: Some("moderation".into()),
            ..Default::default()
        })
        .await
        .expect("a durable consumer to look at");

    let mut learner = Session::open(&nats, auth::LEARNER).await;
    // Reads: stream and consumer state, and the messages themselves.
    let mut posts = learner
        .js
        .get_stream("POSTS")
        .await
        .expect("the learner sees POSTS");
    assert_eq!(posts.info().await.expect("stream info").state.messages, 1);
    let mut names = learner.js.stream_names();
    let mut seen = Vec::new();
    while let Some(name) = names.next().await {
        seen.push(name.expect("a stream name"));
    }
    assert!(seen.contains(&"MODERATION".to_owned()), "{seen:?}");
    let comments = learner.js.get_stream("COMMENTS").await.expect("COMMENTS");
    let consumer = comments
        .get_consumer::<jetstream::consumer::pull::Config>("moderation")
        .await
        .expect("the learner sees moderation's consumer");
    assert_eq!(consumer.cached_info().num_pending, 1);
    let last = posts
        .direct_get_last_for_subject("posts.PostCreated.p1")
        .await
        .expect("direct get");
    assert_eq!(&last.payload[..], b"{\"hello\":1}");
    let reader = posts
        .create_consumer(OrderedConfig::default())
        .await
        .expect("an ordered consumer");
    let mut messages = reader.messages().await.expect("messages");
    let first = tokio::time::timeout(DEADLINE, messages.next())
        .await
        .expect("a message in time");
    assert_eq!(
        first
            .expect("a message")
            .expect("no error")
            .subject
            .as_str(),
        "posts.PostCreated.p1"
    );

    // Writes: every one refused by the server.
    learner.publish_is_refused("posts.PostCreated.x").await;
    assert!(
        learner.js.delete_stream("POSTS").await.is_err(),
        "the learner deleted POSTS"
    );
    learner.refused("$JS.API.STREAM.DELETE.POSTS").await;
    assert!(posts.purge().await.is_err(), "the learner purged POSTS");
    learner.refused("$JS.API.STREAM.PURGE.POSTS").await;
    // Nor may it take work off a service's durable consumer.
    let mut stolen = consumer
        .batch()
        .max_messages(1)
        .expires(DENIED_WAIT)
        .messages()
        .await
        .expect("a request");
    let got = tokio::time::timeout(DENIED_WAIT * 2, stolen.next()).await;
    assert!(
        !matches!(got, Ok(Some(Ok(_)))),
        "the learner pulled moderation's work"
    );
    learner
        .refused("$JS.API.CONSUMER.MSG.NEXT.COMMENTS.moderation")
        .await;
    let mut moderation = admin
        .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
            "moderation",
            "COMMENTS",
        )
        .await
        .expect("moderation's consumer");
    let info = moderation.info().await.expect("consumer info");
    assert_eq!(
        (info.num_pending, info.num_ack_pending),
        (1, 0),
        "its work is untouched"
    );

    let mut again = admin
        .get_stream("POSTS")
        .await
        .expect("POSTS is still there");
    assert_eq!(again.info().await.expect("info").state.messages, 1);
}

#[tokio::test]
async fn only_admin_provisions_and_services_wait_for_it() {
    let nats = TestNats::start_unprovisioned();
    let mut posts = Session::open(&nats, "posts").await;
    assert!(
        posts
            .js
            .create_stream(bus::streams::config(StreamDef::Posts, 1))
            .await
            .is_err(),
        "posts created POSTS"
    );
    posts.refused("$JS.API.STREAM.CREATE.POSTS").await;

    // A service started before provisioning waits for its streams rather than failing…
    let config = nats.bus_config("posts");
    let waiting = tokio::spawn(async move {
        bus::connect::connect_and_wait_for(&config, &[StreamDef::Posts]).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "posts went on without its stream");

    // …and goes on once admin has provisioned them.
    nats.provision();
    eventually("posts to see its streams", || async {
        waiting.is_finished()
    })
    .await;
    all_streams_exist(&nats).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_stream_is_provisioned_only_for_partitioned_moderation() {
    use bus::partitions::MODERATION_WORK;
    use bus::provision::{connect_and_provision, WorkStreams};
    let nats = TestNats::start_unprovisioned();
    let admin = nats.bus_config(auth::ADMIN);
    let js = Session::open(&nats, auth::ADMIN).await.js;
    let exists = |name: &'static str| {
        let js = js.clone();
        async move { js.get_stream(name).await.is_ok() }
    };

    // As `make run` provisions (moderation shared): every stream but the work stream.
    connect_and_provision(&admin, DEADLINE, WorkStreams::None)
        .await
        .expect("provisioned");
    all_streams_exist(&nats).await;
    assert!(
        !exists(MODERATION_WORK.name).await,
        "the work stream was created for shared moderation"
    );

    // `MODERATION_MODE=partitioned`: the work stream too; asked again without it, it stays
    // (a partitioned moderation may be reading it).
    connect_and_provision(&admin, DEADLINE, WorkStreams::Partitioned)
        .await
        .expect("provisioned");
    assert!(exists(MODERATION_WORK.name).await, "no work stream");
    connect_and_provision(&admin, DEADLINE, WorkStreams::None)
        .await
        .expect("provisioned");
    assert!(
        exists(MODERATION_WORK.name).await,
        "the work stream was removed"
    );
}
