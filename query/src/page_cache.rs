//! Each post's JSON as a page of posts shows it, written once per change of the post rather
//! than once per request: the first page is what every visitor asks for, and with a post of
//! 100k comments on it, copying and serializing its newest comments each time is most of
//! the work.
//!
//! The rule that keeps it true: whoever changes a post (or the dead letters joined into it)
//! forgets its JSON *after* the change ([`crate::live::Changes`] does, for every change);
//! whoever writes a post's JSON keeps it only while still holding the read locks it read the
//! post under, so no change can fall between the reading and the keeping.

use crate::dead_letters::DeadLetters;
use crate::gave_up;
use crate::pages::NEWEST_COMMENTS;
use crate::projection::ReadModel;
use bus::PostId;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// How many posts' JSON is kept. Past that the cache starts over: the posts asked for
/// most (the first pages) are back in it at once, and a reader paging through a large
/// blog cannot make it grow without bound.
const KEPT: usize = 2_000;

#[derive(Clone, Default)]
pub struct PageCache(Arc<Mutex<HashMap<PostId, Arc<str>>>>);

impl PageCache {
    /// Forgets `post`'s JSON: it has changed.
    pub fn forget(&self, post: PostId) {
        self.0.lock().remove(&post);
    }

    /// Whether nothing is kept (then there is nothing to forget either).
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }

    /// `post`'s JSON, written by `write` unless it is kept. Call it while holding the read
    /// locks `write` reads under (see the module's rule).
    pub fn get_or_write(
        &self,
        post: PostId,
        write: impl FnOnce() -> Option<String>,
    ) -> Option<Arc<str>> {
        if let Some(json) = self.0.lock().get(&post) {
            return Some(json.clone());
        }
        // Written outside the cache's own lock: other readers need not wait for it.
        let json: Arc<str> = write()?.into();
        let mut kept = self.0.lock();
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(post, json.clone());
        Some(json)
    }
}

/// The JSON of one page of posts (see [`crate::pages`]): the newest `limit` posts older
/// than `after`, each with its newest comments, each post's JSON from `cache`. Called with
/// the model and the letters read-locked (the module's rule).
pub fn posts_page(
    model: &ReadModel,
    letters: &DeadLetters,
    cache: &PageCache,
    limit: usize,
    after: Option<PostId>,
) -> String {
    let (ids, next) = model.page_ids(limit, after);
    let mut json = String::from(r#"{"posts":["#);
    let posts = ids
        .into_iter()
        .filter_map(|id| post(model, letters, cache, id));
    for (n, post) in posts.enumerate() {
        if n > 0 {
            json.push(',');
        }
        json.push_str(&post);
    }
    json.push_str(r#"],"next":"#);
    match next {
        Some(next) => json.push_str(&format!(r#""{next}""#)),
        None => json.push_str("null"),
    }
    json.push('}');
    json
}

/// Post `id` as a page of posts shows it (its newest comments), from `cache`. Called with
/// the model and the letters read-locked (the module's rule).
pub fn post(
    model: &ReadModel,
    letters: &DeadLetters,
    cache: &PageCache,
    id: PostId,
) -> Option<Arc<str>> {
    cache.get_or_write(id, || {
        let post = gave_up::paged_post(model, letters, id, NEWEST_COMMENTS, None)?;
        serde_json::to_string(&post).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_is_written_once_until_it_is_forgotten() {
        let cache = PageCache::default();
        let post = PostId::new();
        let mut writes = 0;
        for _ in 0..3 {
            let json = cache.get_or_write(post, || {
                writes += 1;
                Some(format!("v{writes}"))
            });
            assert_eq!(json.as_deref(), Some("v1"));
        }
        cache.forget(post);
        let json = cache.get_or_write(post, || Some("v2".into()));
        assert_eq!(json.as_deref(), Some("v2"));
        assert!(cache.get_or_write(PostId::new(), || None).is_none());
    }

    #[test]
    fn it_never_keeps_more_than_its_bound() {
        let cache = PageCache::default();
        for _ in 0..KEPT + 10 {
            cache.get_or_write(PostId::new(), || Some("{}".into()));
        }
        assert!(cache.0.lock().len() <= KEPT);
    }
}
