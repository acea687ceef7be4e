//! Where the services (and the lab controller, if any) are, read at run time from
//! `/config.json` on the page's own origin.
//!
//! The addresses are not compiled in, so one build serves `make run` (the default ports)
//! and a test that runs a second system on random ports beside it: whoever serves the page
//! writes `config.json`. A missing or broken file means the defaults.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Base URL of the posts service (writes posts).
    pub posts: String,
    /// Base URL of the comments service (writes comments).
    pub comments: String,
    /// Base URL of the query service (all reads, and the live event stream).
    pub query: String,
    /// Base URL of the moderation service (its live knobs, the comments waiting for a
    /// person).
    pub moderation: String,
    /// Base URL of the lab controller that `make run` serves (Kill/Stop/Start and the
    /// scenarios); `None` when whoever serves the page runs none.
    pub lab: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            posts: "http://127.0.0.1:4000".into(),
            comments: "http://127.0.0.1:4001".into(),
            query: "http://127.0.0.1:4002".into(),
            moderation: "http://127.0.0.1:4003".into(),
            lab: None,
        }
    }
}

impl Config {
    /// Reads `config.json`'s text; fields it lacks keep their defaults.
    pub fn from_json(text: &str) -> Result<Config, serde_json::Error> {
        let mut config: Config = serde_json::from_str(text)?;
        // "http://host:4000/" + "/posts" would be a different path on some servers.
        let lab = config.lab.as_mut();
        let urls = [
            &mut config.posts,
            &mut config.comments,
            &mut config.query,
            &mut config.moderation,
        ];
        for url in urls.into_iter().chain(lab) {
            let trimmed = url.trim().trim_end_matches('/').to_owned();
            *url = trimmed;
        }
        config.lab = config.lab.filter(|url| !url.is_empty());
        Ok(config)
    }

    /// Fetches `/config.json`, falling back to the defaults (with a console note) when it is
    /// missing or unreadable: the page must still come up.
    pub async fn load() -> Config {
        let answer = gloo_net::http::Request::get("/config.json").send().await;
        let text = match answer {
            Ok(response) if response.ok() => response.text().await.ok(),
            _ => None,
        };
        match text.map(|t| Config::from_json(&t)) {
            Some(Ok(config)) => config,
            Some(Err(err)) => {
                leptos::logging::warn!("config.json is not valid ({err}); using the default ports");
                Config::default()
            }
            None => {
                leptos::logging::log!("no config.json; using the default ports");
                Config::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_file_keeps_the_other_defaults_and_loses_trailing_slashes() {
        let config = Config::from_json(r#"{"query": "http://127.0.0.1:9002/"}"#).expect("valid");
        assert_eq!(config.query, "http://127.0.0.1:9002");
        assert_eq!(config.posts, Config::default().posts);
        assert_eq!(config.lab, None, "no controller unless one is named");
        let with_lab = Config::from_json(r#"{"lab": "http://127.0.0.1:4090/"}"#).expect("valid");
        assert_eq!(with_lab.lab.as_deref(), Some("http://127.0.0.1:4090"));
    }

    #[test]
    fn a_broken_file_is_an_error() {
        assert!(Config::from_json("not json").is_err());
    }
}
