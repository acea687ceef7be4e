//! The checks of exercise 06. Each test is one point `make check EX=06` reports.
#![cfg(feature = "check")]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use workshop_ordered_parallelism::{dispatch, Message};

/// What ran, as the handler saw it (a std Mutex: never held across an await).
#[derive(Default)]
struct Seen {
    running: HashSet<String>,
    running_now: usize,
    most_at_once: usize,
    same_key_at_once: usize,
    finished: Vec<Message>,
}

/// Twenty messages about four keys, bunched the way a real stream bunches them (one comment
/// can have several messages in a row); the earlier a message, the longer it takes, so a
/// dispatcher that lets one key's messages overlap finishes them out of order.
fn messages() -> Vec<Message> {
    let keys = ["a", "a", "b", "a", "c", "a", "d", "b"];
    (0..20u64)
        .map(|sequence| Message {
            key: keys[sequence as usize % keys.len()].into(),
            sequence,
        })
        .collect()
}

async fn run(messages: Vec<Message>, limit: usize) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    dispatch(messages, limit, |message: Message| {
        let seen = seen.clone();
        async move {
            {
                let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                if !s.running.insert(message.key.clone()) {
                    s.same_key_at_once += 1;
                }
                s.running_now += 1;
                s.most_at_once = s.most_at_once.max(s.running_now);
            }
            tokio::time::sleep(Duration::from_millis(45 - 2 * message.sequence)).await;
            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
            s.running.remove(&message.key);
            s.running_now -= 1;
            s.finished.push(message);
        }
    })
    .await;
    Arc::try_unwrap(seen)
        .ok()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_default()
}

#[tokio::test]
async fn every_message_is_handled_once() {
    let seen = run(messages(), 3).await;
    let mut sequences: Vec<u64> = seen.finished.iter().map(|m| m.sequence).collect();
    sequences.sort();
    assert_eq!(sequences, (0..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn different_keys_run_at_the_same_time() {
    let seen = run(messages(), 3).await;
    assert!(
        seen.most_at_once >= 2,
        "never more than {} message at once: that is serial, not parallel",
        seen.most_at_once
    );
}

#[tokio::test]
async fn never_more_than_the_limit_at_once() {
    let seen = run(messages(), 3).await;
    assert!(
        seen.most_at_once <= 3,
        "{} at once, limit 3",
        seen.most_at_once
    );
}

#[tokio::test]
async fn messages_of_one_key_never_run_at_the_same_time() {
    let seen = run(messages(), 3).await;
    assert_eq!(
        seen.same_key_at_once, 0,
        "two messages about the same key ran at the same moment {} times",
        seen.same_key_at_once
    );
}

#[tokio::test]
async fn messages_of_one_key_finish_in_the_order_given() {
    let seen = run(messages(), 3).await;
    let mut by_key: HashMap<String, Vec<u64>> = HashMap::new();
    for message in &seen.finished {
        by_key
            .entry(message.key.clone())
            .or_default()
            .push(message.sequence);
    }
    for (key, sequences) in by_key {
        let mut sorted = sequences.clone();
        sorted.sort();
        assert_eq!(sequences, sorted, "key {key} finished out of order");
    }
}
