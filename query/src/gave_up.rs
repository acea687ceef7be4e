//! Comments whose moderation gave up: the join of the read model's comments with the dead
//! letters, so a comment stuck "pending" says why under it.
//!
//! The two halves come from different streams (COMMENTS for the comment, DEADLETTERS for
//! the letter) and arrive in any order. So neither is folded into the other: each is its
//! own order-independent state ([`ReadModel`] and [`DeadLetters`]), and the join happens
//! when a view is asked for, here. That keeps the projection a pure fold, and makes the
//! rules easy to state and to test:
//!
//! - a comment shows a problem only while it is `pending`: once a decision has been
//!   applied (after a retry, say), whatever letters remain are history, not a problem;
//! - the problem is the newest letter about the comment, unless that one has been retried:
//!   its copy is then being handled again, and the comment is simply awaiting moderation.

use crate::dead_letters::{DeadLetters, LetterView};
use crate::projection::{CommentView, PagedPost, PostView, ReadModel};
use bus::{CommentId, CommentStatus, PostId};

pub use contract::views::ModerationIssue;

/// The issue a letter makes of its comment: moderation (or applying its decision) gave up.
pub fn issue_of(view: LetterView) -> ModerationIssue {
    ModerationIssue {
        gave_up: true,
        dead_letter: view.letter.id,
        consumer: view.letter.consumer,
        error: view.letter.error,
        redrive: view.redrive,
    }
}

/// Every post, oldest first, each pending comment with its moderation problem if any.
pub fn posts(model: &ReadModel, letters: &DeadLetters) -> Vec<PostView> {
    let mut posts = model.posts();
    for post in &mut posts {
        annotate(post, letters);
    }
    posts
}

/// One post, joined like [`posts`].
pub fn post(model: &ReadModel, letters: &DeadLetters, id: PostId) -> Option<PostView> {
    let mut post = model.post(id)?;
    annotate(&mut post, letters);
    Some(post)
}

/// One post with a page of its comments (see [`ReadModel::paged_post`]), joined like
/// [`posts`].
pub fn paged_post(
    model: &ReadModel,
    letters: &DeadLetters,
    id: PostId,
    limit: usize,
    before: Option<CommentId>,
) -> Option<PagedPost> {
    let mut post = model.paged_post(id, limit, before)?;
    annotate_comments(&mut post.comments, letters);
    Some(post)
}

/// Adds to each pending comment of `post` what its dead letters say.
pub fn annotate(post: &mut PostView, letters: &DeadLetters) {
    annotate_comments(&mut post.comments, letters);
}

fn annotate_comments(comments: &mut [CommentView], letters: &DeadLetters) {
    if !letters.any_about_comments() {
        return;
    }
    for comment in comments
        .iter_mut()
        .filter(|c| c.status == CommentStatus::Pending)
    {
        comment.moderation = letters.about_comment(comment.id).map(issue_of);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Record;
    use crate::redrive::{Policy, RedriveState};
    use bus::deadletters::Note;
    use bus::{
        CommentCreated, CommentId, CommentUpdated, CorrelationId, Event, EventBody, PostCreated,
    };
    use chrono::{DateTime, Utc};
    use contract::views::{Cause, DeadLetter};

    const GAVE_UP_AT: i64 = 1_800_000_000;

    fn event(body: EventBody) -> Event {
        Event::new(body, CorrelationId::new())
    }

    /// A post with one comment, pending.
    fn model_with_a_pending_comment() -> (ReadModel, PostId, CommentId) {
        let (p, c) = (PostId::new(), CommentId::new());
        let mut model = ReadModel::default();
        model.apply(&event(EventBody::PostCreated(PostCreated {
            id: p,
            title: "t".into(),
        })));
        let status = CommentStatus::Pending;
        model.apply(&event(EventBody::CommentCreated(CommentCreated {
            id: c,
            post_id: p,
            content: "hi".into(),
            status,
        })));
        (model, p, c)
    }

    /// JetStream's letter about the message at `sequence` of COMMENTS, and moderation's note.
    fn letter(id: u64, sequence: u64, comment: CommentId) -> [Record; 2] {
        let letter = DeadLetter {
            id,
            cause: Cause::MaxDeliveries,
            stream: "COMMENTS".into(),
            consumer: "moderation".into(),
            stream_sequence: sequence,
            subject: None,
            deliveries: 5,
            error: None,
            time: DateTime::from_timestamp(GAVE_UP_AT, 0).unwrap_or_default(),
            retried: false,
        };
        let note = Note {
            subject: format!("comments.CommentCreated.{comment}"),
            error: format!("boom {id}"),
        };
        let note = Record::Note {
            stream: "COMMENTS".into(),
            consumer: "moderation".into(),
            stream_sequence: sequence,
            note,
        };
        [Record::DeadLetter(letter), note]
    }

    fn retried(id: u64, copy: u64) -> Record {
        Record::Retried {
            dead_letter: id,
            republished_sequence: Some(copy),
        }
    }

    fn issue(model: &ReadModel, letters: &DeadLetters, post: PostId) -> Option<ModerationIssue> {
        post_view(model, letters, post).comments[0]
            .moderation
            .clone()
    }

    fn post_view(model: &ReadModel, letters: &DeadLetters, id: PostId) -> PostView {
        super::post(model, letters, id).unwrap_or_else(|| panic!("post {id} is known"))
    }

    #[test]
    fn a_pending_comment_says_moderation_gave_up_why_and_when_it_is_retried() {
        let (model, p, c) = model_with_a_pending_comment();
        let mut letters = DeadLetters::new(Policy::default());
        assert_eq!(issue(&model, &letters, p), None, "no letter, no field");
        for record in letter(9, 2, c) {
            letters.apply(record);
        }
        let found = issue(&model, &letters, p).expect("the comment shows the letter");
        assert_eq!(
            (found.dead_letter, found.consumer.as_str()),
            (9, "moderation")
        );
        assert_eq!(found.error.as_deref(), Some("boom 9"));
        assert_eq!(
            (
                found.redrive.state,
                found.redrive.retries,
                found.redrive.max_retries
            ),
            (RedriveState::Scheduled, 0, 3)
        );
        let due = DateTime::from_timestamp(GAVE_UP_AT + 10, 0);
        assert_eq!(found.redrive.next_retry_at, due);
        let json = serde_json::to_value(post_view(&model, &letters, p)).expect("json");
        let field = &json["comments"][0]["moderation"];
        assert_eq!(
            (field["gaveUp"].as_bool(), field["deadLetter"].as_u64()),
            (Some(true), Some(9)),
            "{json}"
        );
        assert_eq!(field["nextRetryAt"], "2027-01-15T08:00:10Z");
    }

    #[test]
    fn the_order_of_letter_note_comment_and_post_does_not_matter() {
        let (p, c) = (PostId::new(), CommentId::new());
        let post = event(EventBody::PostCreated(PostCreated {
            id: p,
            title: "t".into(),
        }));
        let status = CommentStatus::Pending;
        let comment = event(EventBody::CommentCreated(CommentCreated {
            id: c,
            post_id: p,
            content: "hi".into(),
            status,
        }));
        // Every order of the two records, each with every order of the two events.
        let mut views = Vec::new();
        for note_first in [false, true] {
            for events in [[&post, &comment], [&comment, &post]] {
                let [dead, note] = letter(9, 2, c);
                let records = if note_first {
                    [note, dead]
                } else {
                    [dead, note]
                };
                let (mut model, mut letters) =
                    (ReadModel::default(), DeadLetters::new(Policy::default()));
                for record in records {
                    letters.apply(record);
                }
                for event in events {
                    model.apply(event);
                }
                views.push(post_view(&model, &letters, p));
            }
        }
        assert!(views[0].comments[0].moderation.is_some());
        assert!(views.iter().all(|v| *v == views[0]), "{views:#?}");
    }

    #[test]
    fn a_decision_clears_it_and_a_retry_hides_it_until_the_copy_fails_again() {
        let (mut model, p, c) = model_with_a_pending_comment();
        let mut letters = DeadLetters::new(Policy::default());
        for record in letter(9, 2, c) {
            letters.apply(record);
        }
        letters.apply(retried(9, 30));
        assert_eq!(
            issue(&model, &letters, p),
            None,
            "retried: awaiting moderation again"
        );

        // The copy (message 30) fails too: a second-generation letter.
        for record in letter(40, 30, c) {
            letters.apply(record);
        }
        let again = issue(&model, &letters, p).expect("the copy's letter");
        assert_eq!((again.dead_letter, again.redrive.retries), (40, 1));
        assert_eq!(
            again.redrive.next_retry_at,
            DateTime::from_timestamp(GAVE_UP_AT + 60, 0)
        );

        let (status, version) = (CommentStatus::Approved, 1);
        let update = CommentUpdated {
            id: c,
            post_id: p,
            content: "hi".into(),
            status,
            version,
        };
        model.apply(&event(EventBody::CommentUpdated(update)));
        assert_eq!(
            issue(&model, &letters, p),
            None,
            "approved: the letters are history"
        );
    }

    #[test]
    fn after_the_bound_it_is_exhausted_and_waits_for_a_person() {
        let (model, p, c) = model_with_a_pending_comment();
        let mut letters = DeadLetters::new(Policy::default());
        // Message 2 fails, its copies 3, 4 and 5 fail too: three retries, the bound.
        for (letter_id, sequence) in [(10, 2), (11, 3), (12, 4), (13, 5)] {
            for record in letter(letter_id, sequence, c) {
                letters.apply(record);
            }
            if sequence < 5 {
                letters.apply(retried(letter_id, sequence + 1));
            }
        }
        let last = issue(&model, &letters, p).expect("the last letter");
        assert_eq!(
            (last.dead_letter, last.redrive.state, last.redrive.retries),
            (13, RedriveState::Exhausted, 3)
        );
        assert_eq!(last.redrive.next_retry_at, None);
        let at = |s| DateTime::<Utc>::from_timestamp(GAVE_UP_AT + s, 0).unwrap_or_default();
        assert!(
            letters.due(at(1_000_000)).is_empty(),
            "nothing more is re-driven"
        );
    }

    #[test]
    fn only_a_letter_whose_time_has_come_is_due_and_only_once_retried() {
        let (_, _, c) = model_with_a_pending_comment();
        let mut letters = DeadLetters::new(Policy::default());
        for record in letter(9, 2, c) {
            letters.apply(record);
        }
        let at = |s| DateTime::<Utc>::from_timestamp(GAVE_UP_AT + s, 0).unwrap_or_default();
        assert!(letters.due(at(9)).is_empty());
        assert_eq!(
            letters.due(at(10)).iter().map(|l| l.id).collect::<Vec<_>>(),
            [9]
        );
        letters.apply(retried(9, 30));
        assert!(letters.due(at(10)).is_empty());
    }
}
