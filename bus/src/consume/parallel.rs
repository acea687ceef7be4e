//! Ordered parallelism: messages about *different* entities (the last subject token, e.g. a
//! comment id) are handled at the same time, up to the consumer's `concurrency`, while the
//! messages about *one* entity still run one after another, in stream order. Each is acked
//! on its own, once its work is done.
//!
//! The bookkeeping: a map from each busy entity to the messages waiting behind the one in
//! flight. When a message finishes, its entity's next message starts at once; an entity with
//! nothing waiting leaves the map.

use super::worker::{Messages, Worker};
use super::{entity_of, Delivery, Ended, Outcome};
use crate::event::Event;
use async_nats::jetstream::{self, message::AckKind};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use tokio_util::sync::CancellationToken;

impl<H, Fut> Worker<'_, H>
where
    H: Fn(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    /// Pulls messages and dispatches them: at most `concurrency` in flight, one at a time
    /// per entity, the rest of an entity's messages queued behind the one running.
    pub(super) async fn run_in_parallel(
        &self,
        mut messages: Messages<'_>,
        shutdown: &CancellationToken,
    ) -> Ended {
        let limit = self.durable.concurrency;
        let mut in_flight = FuturesUnordered::new();
        // Entities with a message in flight, and their messages waiting behind it.
        let mut busy: HashMap<String, VecDeque<jetstream::Message>> = HashMap::new();
        let mut queued = 0usize;
        let mut stopping = false;
        loop {
            let may_pull = !stopping && in_flight.len() < limit && queued < limit.saturating_mul(4);
            tokio::select! {
                // Finishing work comes first, so a freed entity's next message starts at once.
                biased;
                Some(entity) = in_flight.next(), if !in_flight.is_empty() => {
                    match busy.get_mut(&entity).and_then(VecDeque::pop_front) {
                        Some(next) => {
                            queued -= 1;
                            in_flight.push(self.handle_one(entity, next));
                        }
                        None => {
                            busy.remove(&entity);
                        }
                    }
                }
                // On the stop signal, take nothing new; what is in flight finishes and is
                // acked. Messages still queued are handed back at once (nak, no delay).
                _ = shutdown.cancelled(), if !stopping => {
                    stopping = true;
                    for message in busy.values_mut().flat_map(std::mem::take) {
                        let _ = message.ack_with(AckKind::Nak(None)).await;
                    }
                    queued = 0;
                }
                next = messages.next(), if may_pull => match next {
                    Some(Ok(message)) => {
                        let entity = entity_of(&message.subject).to_owned();
                        if let Some(waiting) = busy.get_mut(&entity) {
                            waiting.push_back(message);
                            queued += 1;
                        } else {
                            busy.insert(entity.clone(), VecDeque::new());
                            in_flight.push(self.handle_one(entity, message));
                        }
                    }
                    Some(Err(error)) => {
                        if self.is_gone(&error).await {
                            while in_flight.next().await.is_some() {}
                            return Ended::StreamClosed;
                        }
                    }
                    None => {
                        while in_flight.next().await.is_some() {}
                        return Ended::StreamClosed;
                    }
                },
            }
            if stopping && in_flight.is_empty() {
                return Ended::Shutdown;
            }
        }
    }
}
