//! Paging the read model: what `?limit=`, `?after=` and `?before=` ask for.
//!
//! `GET /posts` and `GET /posts/{id}` without parameters answer everything, as the course's
//! contract says. With `limit` they answer one page, so that a blog of 100,000 posts — or a
//! post of 100,000 comments — opens as fast as one of ten:
//!
//! - `GET /posts?limit=N&after=<post id>`: the newest posts first, each with its newest
//!   [`NEWEST_COMMENTS`] comments; `next` continues to older posts.
//! - `GET /posts/{id}?limit=N&before=<comment id>`: one post with its newest N comments, or
//!   the N just before a comment; `olderComments` continues.
//!
//! Cursors are ids, which are time-ordered: a page asked for again later starts at the same
//! place, whatever was written meanwhile.

use std::str::FromStr;
use web::ApiError;

/// How many posts (or comments) one page may hold.
pub const MAX_LIMIT: usize = 200;

/// How many of its newest comments each post on a page of posts brings.
pub const NEWEST_COMMENTS: usize = 20;

/// A page asked for: how many, and after (or before) which id.
#[derive(Debug, PartialEq)]
pub struct PageRequest<Id> {
    pub limit: usize,
    pub cursor: Option<Id>,
}

/// Reads `limit` and the cursor parameter `cursor_name` (`after` or `before`). `None` when
/// the query string is empty: the caller answers everything then.
pub fn parse<Id: FromStr>(
    query: Option<&str>,
    cursor_name: &str,
) -> Result<Option<PageRequest<Id>>, ApiError> {
    let query = query.unwrap_or("");
    if query.is_empty() {
        return Ok(None);
    }
    let (mut limit, mut cursor) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "limit" {
            let n = value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n));
            limit = Some(n.ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, not {value:?}"
                ))
            })?);
        } else if key == cursor_name {
            let id = value.parse::<Id>().map_err(|_| {
                ApiError::bad_request(format!("{cursor_name} must be an id, not {value:?}"))
            })?;
            cursor = Some(id);
        } else {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {key:?}: a page takes limit and {cursor_name}"
            )));
        }
    }
    let limit = limit.ok_or_else(|| {
        ApiError::bad_request(format!("say how many with limit (1 to {MAX_LIMIT})"))
    })?;
    Ok(Some(PageRequest { limit, cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::PostId;

    fn refused(query: &str) -> Option<String> {
        parse::<PostId>(Some(query), "after")
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn no_parameters_ask_for_everything_and_limit_asks_for_a_page() {
        assert_eq!(parse::<PostId>(None, "after").ok(), Some(None));
        assert_eq!(parse::<PostId>(Some(""), "after").ok(), Some(None));
        let id = PostId::new();
        let page = parse::<PostId>(Some(&format!("limit=5&after={id}")), "after");
        assert_eq!(
            page.ok().flatten(),
            Some(PageRequest {
                limit: 5,
                cursor: Some(id)
            })
        );
    }

    #[test]
    fn a_bad_page_request_says_what_is_wrong() {
        assert!(refused("limit=0").is_some_and(|m| m.contains("1 to 200")));
        assert!(refused("limit=201").is_some_and(|m| m.contains("1 to 200")));
        assert!(refused("limit=x").is_some_and(|m| m.contains("\"x\"")));
        assert!(refused("after=nope&limit=3").is_some_and(|m| m.contains("after must be an id")));
        assert!(
            refused("before=01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01&limit=3")
                .is_some_and(|m| m.contains("unknown parameter \"before\""))
        );
        assert!(refused("after=01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01")
            .is_some_and(|m| m.contains("limit")));
    }
}
