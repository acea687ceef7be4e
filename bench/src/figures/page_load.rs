//! Page load in a real browser with a large blog (issue 14): headless Chromium opens the
//! web client against the reads figure's query (10k posts, the newest with 100k comments),
//! and the client's own mark says when the first page of posts was on screen. The browser
//! part is `frontend/tools/page_load.py`; without Chromium or a built web client the figure
//! says so instead of failing the benchmark.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize)]
pub enum PageLoad {
    Measured {
        /// Navigation start → first page of posts on screen, each load, in ms.
        cold_ms: Vec<f64>,
        warm_ms: Vec<f64>,
        /// What was on screen: posts, and comments on the first (the big) post.
        posts: usize,
        comments: usize,
    },
    Skipped {
        why: String,
    },
}

/// What the script prints.
#[derive(Deserialize)]
struct Printed {
    #[serde(default)]
    skipped: Option<String>,
    #[serde(default)]
    cold: Vec<f64>,
    #[serde(default)]
    warm: Vec<f64>,
    #[serde(default)]
    posts: usize,
    #[serde(default)]
    comments: usize,
}

/// Loads the page `loads` times cold and as many warm, served on `frontend_port` (which the
/// query on `query_port` must allow as an origin).
pub async fn measure(
    query_port: u16,
    frontend_port: u16,
    loads: usize,
) -> anyhow::Result<PageLoad> {
    println!("  page load: headless Chromium, {loads} cold and {loads} warm loads");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/tools/page_load.py");
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(format!("http://127.0.0.1:{query_port}"))
        .arg(frontend_port.to_string())
        .arg(loads.to_string())
        .output()
        .await
        .with_context(|| format!("running {}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(last) = stdout.lines().last().filter(|_| output.status.success()) else {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let printed: Printed = serde_json::from_str(last)
        .with_context(|| format!("{} printed {last:?}", script.display()))?;
    let result = match printed.skipped {
        Some(why) => PageLoad::Skipped { why },
        None => PageLoad::Measured {
            cold_ms: printed.cold,
            warm_ms: printed.warm,
            posts: printed.posts,
            comments: printed.comments,
        },
    };
    match &result {
        PageLoad::Measured {
            cold_ms, warm_ms, ..
        } => println!("    cold {cold_ms:?} ms · warm {warm_ms:?} ms"),
        PageLoad::Skipped { why } => println!("    not measured: {why}"),
    }
    Ok(result)
}
