//! Reading query's JSON answers: the figures tests assert on.

use serde_json::Value;
use std::collections::HashMap;

/// The statuses of every comment in a query answer, by comment id.
pub fn statuses(posts: &Value) -> HashMap<String, String> {
    comments(posts)
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Every comment id in a query answer, duplicates included.
pub fn comment_ids(posts: &Value) -> Vec<String> {
    comments(posts)
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every comment of every post in a query `/posts` answer.
fn comments(posts: &Value) -> impl Iterator<Item = Value> + '_ {
    posts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["comments"].as_array().cloned().unwrap_or_default())
}

/// A consumer's figures in a `/system` answer.
pub fn consumer<'a>(system: &'a Value, stream: &str, name: &str) -> Option<&'a Value> {
    system["streams"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == stream)?["consumers"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)
}

/// Whether `/system` reports `service` up.
pub fn is_up(system: &Value, service: &str) -> bool {
    system["services"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["name"] == service && s["up"] == true)
}
