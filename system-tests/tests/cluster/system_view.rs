//! The System view sees the cluster: three nodes, each stream's leader and replicas, and a
//! node shown down once it is killed (and up again once it is back).

use crate::helpers::{eventually, ClusterSystem, Kind};
use serde_json::Value;

/// The nodes `/system` lists, by name, and whether each is up.
fn nodes(system: &Value) -> Vec<(String, bool)> {
    system["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            let name = n["name"].as_str().unwrap_or_default().to_owned();
            (name, n["up"].as_bool().unwrap_or(false))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_view_shows_three_nodes_and_one_down_after_a_kill() {
    let mut system = ClusterSystem::start();
    let query = system.start_instance(Kind::Query("query")).await;
    let all_up = |v: &Value| {
        let nodes = nodes(v);
        nodes.len() == 3 && nodes.iter().all(|(_, up)| *up)
    };
    eventually("three nodes up in /system", || async {
        all_up(&system.get(query, "/system").await.1)
    })
    .await;
    let (_, view) = system.get(query, "/system").await;
    for stream in view["streams"].as_array().into_iter().flatten() {
        assert!(
            stream["cluster"]["leader"].is_string(),
            "every stream has a leader: {stream}"
        );
        assert_eq!(
            stream["cluster"]["replicas"].as_array().map(Vec::len),
            Some(2),
            "three copies of {stream}"
        );
    }

    // Kill a node other than the one query is connected to... any will do: query
    // reconnects to another by itself.
    let victim = system.cluster.name(2).to_owned();
    system.cluster.kill_node(2);
    eventually("the killed node shown down", || async {
        let (_, view) = system.get(query, "/system").await;
        let nodes = nodes(&view);
        nodes.len() == 3 && nodes.iter().any(|(name, up)| *name == victim && !up)
    })
    .await;

    system.cluster.start_node(2);
    eventually("the node shown up again", || async {
        all_up(&system.get(query, "/system").await.1)
    })
    .await;
}
