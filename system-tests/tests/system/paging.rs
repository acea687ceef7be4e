//! Pages of the read model: `GET /posts?limit=N&after=<post id>` (newest first, each post
//! with its newest comments) and `GET /posts/{id}?limit=N&before=<comment id>`, while
//! `GET /posts` without parameters keeps answering everything, as the course's contract says.

use crate::helpers::{Service, TestSystem};
use serde_json::Value;

/// What each post on a page of posts brings of its comments (query's `NEWEST_COMMENTS`).
const NEWEST_COMMENTS: usize = 20;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["id"].as_str().map(str::to_owned))
        .collect()
}

async fn page(system: &TestSystem, path: &str) -> Value {
    let (status, body) = system.get_json(Service::Query, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_and_comments_page_newest_first_with_stable_cursors() {
    let system = TestSystem::start().await;
    let mut posts = Vec::new();
    for i in 1..=5 {
        posts.push(system.create_post(&format!("post {i}")).await);
    }
    let busy = posts[0].clone();
    let mut comments = Vec::new();
    for i in 1..=25 {
        comments.push(system.create_comment(&busy, &format!("comment {i}")).await);
    }
    let everything = system
        .query_until("every post and comment in query", |all| {
            ids(all).len() == 5 && all[0]["comments"].as_array().map(Vec::len) == Some(25)
        })
        .await;
    // Without parameters: every post, oldest first, every comment.
    assert_eq!(ids(&everything), posts);
    assert_eq!(ids(&everything[0]["comments"]), comments);

    // Pages of two, newest first, each naming the next.
    let first = page(&system, "/posts?limit=2").await;
    assert_eq!(ids(&first["posts"]), [posts[4].clone(), posts[3].clone()]);
    assert_eq!(first["next"], posts[3].as_str());
    // A post written meanwhile does not move the pages after a cursor.
    let newer = system.create_post("written between two pages").await;
    let second = page(&system, &format!("/posts?limit=2&after={}", posts[3])).await;
    assert_eq!(ids(&second["posts"]), [posts[2].clone(), posts[1].clone()]);
    let last = page(&system, &format!("/posts?limit=2&after={}", posts[1])).await;
    assert_eq!(ids(&last["posts"]), [posts[0].clone()]);
    assert_eq!(
        last["next"],
        Value::Null,
        "the last page says there is no next"
    );
    system
        .query_until("the newer post", |all| ids(all).contains(&newer))
        .await;
    let first_again = page(&system, "/posts?limit=2").await;
    assert_eq!(
        ids(&first_again["posts"]),
        [newer.clone(), posts[4].clone()]
    );

    // The busy post brings only its newest comments, oldest first, and says what is left.
    let busy_on_page = &last["posts"][0];
    assert_eq!(
        ids(&busy_on_page["comments"]),
        comments[25 - NEWEST_COMMENTS..]
    );
    assert_eq!(busy_on_page["commentCount"], 25);
    assert_eq!(
        busy_on_page["olderComments"],
        comments[25 - NEWEST_COMMENTS].as_str()
    );
    assert_eq!(first["posts"][0]["commentCount"], 0);
    assert_eq!(first["posts"][0]["olderComments"], Value::Null);

    // A page is kept between requests, but never past a change: a new comment shows,
    // then its moderation.
    let late = system.create_comment(&busy, "a late comment").await;
    let shown_late = |status: &'static str| {
        let (busy, late) = (busy.clone(), late.clone());
        move |page: &Value| {
            let post = &page["posts"][0];
            post["id"] == busy.as_str()
                && post["commentCount"] == 26
                && post["comments"][NEWEST_COMMENTS - 1]["id"] == late.as_str()
                && post["comments"][NEWEST_COMMENTS - 1]["status"] == status
        }
    };
    let last_page = format!("/posts?limit=2&after={}", posts[1]);
    let approved = system
        .get_until(
            Service::Query,
            &last_page,
            "the late comment approved on the page",
            shown_late("approved"),
        )
        .await;
    assert_eq!(
        approved["posts"][0]["comments"].as_array().map(Vec::len),
        Some(NEWEST_COMMENTS)
    );
    comments.push(late);

    // Its comments, ten at a time, back to the first.
    let newest = page(&system, &format!("/posts/{busy}?limit=10")).await;
    assert_eq!(ids(&newest["comments"]), comments[16..]);
    assert_eq!(newest["title"], "post 1");
    let mut shown = ids(&newest["comments"]);
    let mut before = newest["olderComments"].as_str().map(str::to_owned);
    while let Some(cursor) = before {
        let older = page(&system, &format!("/posts/{busy}?limit=10&before={cursor}")).await;
        shown.splice(0..0, ids(&older["comments"]));
        before = older["olderComments"].as_str().map(str::to_owned);
    }
    assert_eq!(
        shown, comments,
        "paging back shows every comment once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_page_request_is_a_clear_400() {
    let system = TestSystem::start().await;
    let post = system.create_post("paged").await;
    system
        .query_until("the post", |all| ids(all).contains(&post))
        .await;
    for (path, says) in [
        ("/posts?limit=0".to_owned(), "limit must be"),
        ("/posts?limit=1000".to_owned(), "limit must be"),
        ("/posts?limit=ten".to_owned(), "limit must be"),
        (
            "/posts?after=nope&limit=2".to_owned(),
            "after must be an id",
        ),
        ("/posts?limit=2&page=3".to_owned(), "unknown parameter"),
        (format!("/posts?after={post}"), "say how many with limit"),
        (
            format!("/posts/{post}?limit=2&after={post}"),
            "unknown parameter",
        ),
        (
            format!("/posts/{post}?limit=2&before=x"),
            "before must be an id",
        ),
    ] {
        let (status, body) = system.get_json(Service::Query, &path).await;
        assert_eq!(status, 400, "GET {path}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(says),
            "GET {path} said {error:?}, not {says:?}"
        );
    }
}
