//! The recovery lab's System view: every service (up, down, or unknown), every stream with
//! its durable consumers' backlogs, and the dead letters — live from query's
//! `/system/events`.
//!
//! What a learner should be able to watch here: `make kill SERVICE=moderation`, post a
//! few comments, and moderation turns red while `COMMENTS / moderation`'s pending count
//! grows; `make start SERVICE=moderation`, and it turns green and the count drains to zero.

use crate::components::console::LabConsole;
use crate::components::dead_letters::DeadLetterList;
use crate::context::SystemFeed;
use crate::live::Link;
use crate::model::system::{instances_text, ServiceCard, Stream, SystemView, SystemViewRules};
use leptos::prelude::*;

#[component]
pub fn SystemPage() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let looked = Memo::new(move |_| {
        feed.view
            .with(|v| v.as_ref().is_some_and(SystemView::has_looked))
    });
    let waiting_text = move || match feed.link.get() {
        Link::Down => "The system view will appear here when the query service can be reached.",
        _ if feed.view.with(Option::is_some) => "Query is taking its first look at the system…",
        _ => "Loading the system view…",
    };
    view! {
        <section class="system" aria-labelledby="system-heading">
            <h2 id="system-heading" tabindex="-1">"System"</h2>
            <p class="lede">
                "What the system is doing, live: query pings every service and asks JetStream \
                 about every stream once a second. Kill a service (its Kill button below, or " <code>"make kill SERVICE=moderation"</code>
                "), write some comments, and watch the backlog grow; start it again and watch it drain."
            </p>
            <SystemBanner />
            <LabConsole />
            <Show
                when=move || looked.get()
                fallback=move || view! { <p id="system-empty" class="empty">{waiting_text}</p> }
            >
                <div class="system-body" class:stale=move || !feed.is_current()>
                    <Services />
                    <Nodes />
                    <Streams />
                    <DeadLetterList />
                </div>
            </Show>
        </section>
    }
}

/// Says when what is shown is not the system's state now, and why.
#[component]
fn SystemBanner() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let text = move || {
        let link = feed.link.get();
        let broker = feed.view.with(|v| v.as_ref().map(|v| v.broker_connected));
        match (link, broker) {
            (Link::Down, Some(_)) => Some(
                "The query service cannot be reached, so this is the last view it sent and may be \
                 out of date. The page reconnects by itself when query is back.",
            ),
            (Link::Live, Some(false)) => Some(
                "The query service cannot reach the event broker (nats-server), so it cannot tell \
                 which services are up. Is nats-server running?",
            ),
            _ => None,
        }
    };
    view! {
        <Show when=move || text().is_some()>
            <div id="system-banner" class="banner" role="alert">{text}</div>
        </Show>
    }
}

#[component]
fn Services() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let cards = Memo::new(move |_| {
        let link = feed.link.get();
        feed.view.with(|v| {
            v.as_ref()
                .map(|v| v.service_cards(link))
                .unwrap_or_default()
        })
    });
    view! {
        <section aria-labelledby="services-heading">
            <h3 id="services-heading">"Services"</h3>
            <ul class="service-grid">
                // Keyed by everything shown: a card is redrawn only when it changes.
                <For each=move || cards.get() key=|card| card.clone() let:card>
                    <ServiceCardView card />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn ServiceCardView(card: ServiceCard) -> impl IntoView {
    let state = card.health.as_str();
    let instances = card.instances;
    let backlog = card.backlog.as_ref().map(|b| (b.messages, b.text()));
    let waiting = backlog.as_ref().map(|(n, _)| *n);
    view! {
        <li
            class=format!("service-card {state}")
            data-service=card.name.clone()
            data-state=state
            data-instances=instances.map(|n| n.to_string())
            data-backlog=waiting.map(|n| n.to_string())
        >
            <div class="service-head">
                <span class="service-name">{card.name.clone()}</span>
                <span class="service-state">{card.health.label()}</span>
            </div>
            <p class="service-why">{card.why}</p>
            {instances.map(|n| view! { <p class="service-instances">{instances_text(n)}</p> })}
            {backlog.map(|(n, text)| view! {
                <p class="service-backlog" class:waiting={n > 0}>{text}</p>
            })}
        </li>
    }
}

/// The broker's nodes: one for a single nats-server, three for a cluster.
#[component]
fn Nodes() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let nodes = Memo::new(move |_| {
        feed.view
            .with(|v| v.as_ref().map(|v| v.nodes.clone()).unwrap_or_default())
    });
    view! {
        <section aria-labelledby="nodes-heading" hidden=move || nodes.with(Vec::is_empty)>
            <h3 id="nodes-heading">"The broker"</h3>
            <ul class="node-list">
                <For each=move || nodes.get() key=|node| node.clone() let:node>
                    <li class="node" data-node=node.name.clone() data-up=node.up.to_string()>
                        <span class="node-name">{node.name.clone()}</span>
                        <span class="node-state">{if node.up { "Up" } else { "Down" }}</span>
                    </li>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Streams() -> impl IntoView {
    let feed = expect_context::<SystemFeed>();
    let streams = Memo::new(move |_| {
        feed.view
            .with(|v| v.as_ref().map(|v| v.streams.clone()).unwrap_or_default())
    });
    view! {
        <section aria-labelledby="streams-heading">
            <h3 id="streams-heading">"Streams and their consumers"</h3>
            <p class="legend">
                <strong>"Pending"</strong>": in the stream, not yet delivered to the consumer. "
                <strong>"Ack pending"</strong>": delivered, not yet acknowledged (being handled, \
                 or waiting to be retried). "
                <strong>"Redelivered"</strong>": delivered more than once."
            </p>
            <div class="stream-grid">
                <For each=move || streams.get() key=|stream| stream.clone() let:stream>
                    <StreamCard stream />
                </For>
            </div>
        </section>
    }
}

/// `led by nats-1; copies on nats-2 (current), nats-3 (behind)`, for a replicated stream.
fn replicas_text(stream: &Stream) -> Option<String> {
    let cluster = stream.cluster.as_ref().filter(|c| !c.replicas.is_empty())?;
    let leader = cluster.leader.as_deref().unwrap_or("nobody (electing)");
    let copies = cluster
        .replicas
        .iter()
        .map(|r| {
            let state = if !r.seems_up() {
                "down"
            } else if r.current {
                "current"
            } else {
                "behind"
            };
            format!("{} ({state})", r.name)
        })
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!("led by {leader}; copies on {copies}"))
}

#[component]
fn StreamCard(stream: Stream) -> impl IntoView {
    let caption_id = format!("stream-{}", stream.name);
    let labelled_by = caption_id.clone();
    let messages = match stream.messages {
        1 => "1 message".to_owned(),
        n => format!("{n} messages"),
    };
    let has_consumers = !stream.consumers.is_empty();
    let rows = stream
        .consumers
        .iter()
        .map(|c| {
            view! {
                <tr
                    class="consumer"
                    class:waiting={c.pending + c.ack_pending > 0}
                    data-consumer=c.name.clone()
                    data-pending=c.pending.to_string()
                    data-ack-pending=c.ack_pending.to_string()
                    data-redelivered=c.redelivered.to_string()
                >
                    <th scope="row">{c.name.clone()}</th>
                    <td>{c.pending}</td>
                    <td>{c.ack_pending}</td>
                    <td>{c.redelivered}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="stream" data-stream=stream.name.clone() data-messages=stream.messages.to_string()
            aria-labelledby=labelled_by>
            <h4 id=caption_id>
                <span class="stream-name">{stream.name.clone()}</span>
                <span class="stream-messages">{messages}</span>
            </h4>
            {replicas_text(&stream).map(|text| view! { <p class="stream-replicas">{text}</p> })}
            <p class="stream-tape-link">
                <a href=format!("#streams/{}", stream.name)>"See its messages on the tape"</a>
            </p>
            {if has_consumers {
                view! {
                    <div class="table-scroll">
                    <table class="consumers">
                        <thead>
                            <tr>
                                <th scope="col">"Consumer"</th>
                                <th scope="col">"Pending"</th>
                                <th scope="col">"Ack pending"</th>
                                <th scope="col">"Redelivered"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                    </div>
                }
                .into_any()
            } else {
                view! { <p class="no-consumers">"No durable consumers."</p> }.into_any()
            }}
        </article>
    }
}
