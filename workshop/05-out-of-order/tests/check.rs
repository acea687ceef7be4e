//! The checks of exercise 05. Each test is one point `make check EX=05` reports.
#![cfg(feature = "check")]

use contract::{
    CommentCreated, CommentId, CommentStatus, CommentUpdated, CorrelationId, Event, EventBody,
    PostId,
};
use workshop_out_of_order::Board;

/// A comment's whole history: created, then approved (version 1), then rejected (version 2).
fn history() -> (CommentId, Vec<Event>) {
    let (id, post_id) = (CommentId::new(), PostId::new());
    let event = |body| Event::new(body, CorrelationId::new());
    let update = |status, version| {
        event(EventBody::CommentUpdated(CommentUpdated {
            id,
            post_id,
            content: "hello".into(),
            status,
            version,
        }))
    };
    let created = event(EventBody::CommentCreated(CommentCreated {
        id,
        post_id,
        content: "hello".into(),
        status: CommentStatus::Pending,
    }));
    let events = vec![
        created,
        update(CommentStatus::Approved, 1),
        update(CommentStatus::Rejected, 2),
    ];
    (id, events)
}

fn board_after(events: &[&Event]) -> Board {
    let mut board = Board::default();
    for event in events {
        board.apply(event);
    }
    board
}

fn status_after(events: &[&Event], id: CommentId) -> Option<CommentStatus> {
    board_after(events).get(id).map(|shown| shown.status)
}

#[test]
fn in_order_the_last_update_wins() {
    let (id, e) = history();
    assert_eq!(
        status_after(&[&e[0], &e[1], &e[2]], id),
        Some(CommentStatus::Rejected)
    );
}

#[test]
fn an_update_that_arrives_before_its_comment_is_not_lost() {
    let (id, e) = history();
    assert_eq!(
        status_after(&[&e[2], &e[0]], id),
        Some(CommentStatus::Rejected),
        "the update came first (a redelivery, a replay in parts), then the creation: the comment must end \
         rejected, not pending"
    );
}

#[test]
fn an_older_update_never_overwrites_a_newer_one() {
    let (id, e) = history();
    assert_eq!(
        status_after(&[&e[0], &e[2], &e[1]], id),
        Some(CommentStatus::Rejected),
        "version 1 (approved) arrived after version 2 (rejected): it must not win"
    );
}

#[test]
fn a_creation_delivered_again_does_not_undo_an_update() {
    let (id, e) = history();
    assert_eq!(
        status_after(&[&e[0], &e[1], &e[0]], id),
        Some(CommentStatus::Approved),
        "CommentCreated came again (at-least-once delivery) after the approval"
    );
}

#[test]
fn every_order_of_the_history_gives_the_same_board() {
    let (_, e) = history();
    let expected = board_after(&[&e[0], &e[1], &e[2]]);
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let events: Vec<&Event> = order.iter().map(|&i| &e[i]).collect();
        assert_eq!(board_after(&events), expected, "order {order:?}");
    }
}
