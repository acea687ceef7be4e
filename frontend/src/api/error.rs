//! The one error every API call returns, and the one place it is put into words.
//!
//! An [`ApiError`] says which [`Call`] failed and how ([`Failure`]): no answer at all, an
//! error status with the service's own `{"error": "..."}` message, or an answer this page
//! cannot read. The HTTP status and the service's message are kept as they came, so a
//! learner can match what the page says to what the service logged.
//!
//! Its `Display` is the sentence the person reads, and it depends on what they were doing:
//! a failed write says the typed text is kept, a failed retry says nothing was retried, a
//! timeline query has not seen yet says so. Keeping all of that here (rather than in each
//! component) is what lets an `ErrorBoundary` show `error.to_string()` and be right.
//!
//! (Past 300 lines because of its tests: every sentence a person can read is pinned there.)

use std::fmt;

/// What the page asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `POST {posts}/posts`
    CreatePost,
    /// `POST {comments}/posts/{id}/comments`
    CreateComment,
    /// `GET {query}/comments/{id}/timeline`
    Timeline,
    /// `POST {query}/deadletters/{id}/retry`
    RetryDeadLetter,
    /// `POST {query}/deadletters/retry-all`
    RetryAll,
    /// `GET {lab}/lab`: the processes and the scenarios
    LabState,
    /// `POST {lab}/lab/processes/{name}/{action}` or `/lab/scenarios/{id}`
    LabAction,
    /// `GET {query}/streams/{name}/messages`: a page of a stream's tape
    Tape,
    /// `GET {query}/posts?limit=` or `/posts/{id}?limit=`: older posts or comments
    Page,
    /// `GET`/`PUT {moderation}/knobs`
    Knobs,
    /// `GET {moderation}/waiting`, `POST {moderation}/waiting/{id}/decision`
    Moderate,
}

impl Call {
    /// The service that answers this call, as the page names it to people.
    pub fn service(self) -> &'static str {
        match self {
            Call::CreatePost => "posts",
            Call::CreateComment => "comments",
            Call::Timeline | Call::Tape | Call::Page | Call::RetryDeadLetter | Call::RetryAll => {
                "query"
            }
            Call::LabState | Call::LabAction => "lab controller",
            Call::Knobs | Call::Moderate => "moderation",
        }
    }
}

/// How a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer at all: the service is down, or the browser refused the answer (a network
    /// failure and a CORS refusal look the same from a page).
    Unreachable,
    /// An error status, and the service's own `{"error": "..."}` if it sent one.
    Refused {
        status: u16,
        message: Option<String>,
    },
    /// A success status with a body that is not what the contract says (or a request the
    /// page could not even build).
    Unreadable,
}

/// A failed call to one of the services. See the module's documentation for the wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub call: Call,
    pub failure: Failure,
}

impl ApiError {
    pub fn new(call: Call, failure: Failure) -> ApiError {
        ApiError { call, failure }
    }

    /// The HTTP status of an error answer (none when there was no readable answer).
    pub fn status(&self) -> Option<u16> {
        match self.failure {
            Failure::Refused { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Whether the same request may well work in a moment: the service was down, busy, or
    /// answered in a garbled or message-less way. A refusal with a reason (a 4xx that says
    /// "title must not be empty") would only be repeated.
    pub fn is_worth_retrying(&self) -> bool {
        match &self.failure {
            Failure::Unreachable | Failure::Unreadable => true,
            Failure::Refused { message: None, .. } => true,
            Failure::Refused { status, .. } => *status >= 500,
        }
    }

    /// What happened, in the same words whatever was asked.
    fn plain(&self) -> String {
        let service = self.call.service();
        match &self.failure {
            Failure::Unreachable => {
                format!("Could not reach the {service} service; it may be down.")
            }
            Failure::Refused {
                status: 503,
                message,
            } => {
                let why = message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                format!("The {service} service is unavailable right now{why}.")
            }
            Failure::Refused {
                status,
                message: Some(m),
            } if *status < 500 => {
                format!("The {service} service did not accept this: {}", sentence(m))
            }
            Failure::Refused {
                status,
                message: Some(m),
            } => format!(
                "The {service} service answered with an error ({status}): {}",
                sentence(m)
            ),
            Failure::Refused {
                status,
                message: None,
            } => format!("The {service} service answered with an error ({status})."),
            Failure::Unreadable => {
                format!("The {service} service answered in a way this page does not understand.")
            }
        }
    }

    /// A write that did not happen: the text stays in the box, and says so when trying
    /// again can help.
    fn write_text(&self) -> String {
        if self.is_worth_retrying() {
            format!("{} Your text is kept: try again in a moment.", self.plain())
        } else {
            self.plain()
        }
    }

    /// A timeline that could not be shown. Query answers 404 for a comment it has not read
    /// yet (it is a moment behind the write), which is no error to the reader.
    fn timeline_text(&self) -> String {
        match self.status() {
            Some(404) => "Query has not recorded this comment yet.".to_owned(),
            _ => self.plain(),
        }
    }

    /// A dead letter (or all of them) not put back: query's reasons (the letter unknown,
    /// the original message gone, the broker down) are said in its own words.
    fn retry_text(&self) -> String {
        const NOT: &str = "Not retried:";
        match &self.failure {
            Failure::Unreachable => format!(
                "{NOT} could not reach the query service; it may be down. Try again in a moment."
            ),
            Failure::Refused { status: 404, .. } => {
                format!("{NOT} query knows no dead letter with this id.")
            }
            Failure::Refused {
                status: 410,
                message,
            } => format!(
                "{NOT} {}",
                sentence(
                    message
                        .as_deref()
                        .unwrap_or("the original message is gone from its stream")
                )
            ),
            Failure::Refused {
                status: 503,
                message,
            } => format!(
                "{NOT} {} Try again in a moment.",
                sentence(
                    message
                        .as_deref()
                        .unwrap_or("the event broker is unavailable")
                )
            ),
            _ => format!("{NOT} {}", self.plain()),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.call {
            Call::CreatePost | Call::CreateComment => self.write_text(),
            Call::Timeline => self.timeline_text(),
            Call::RetryDeadLetter | Call::RetryAll => self.retry_text(),
            Call::Tape
            | Call::Page
            | Call::LabState
            | Call::LabAction
            | Call::Knobs
            | Call::Moderate => self.plain(),
        };
        f.write_str(&text)
    }
}

/// So that Leptos' `ErrorBoundary` can hold it (it wants a `std::error::Error`).
impl std::error::Error for ApiError {}

/// The services' messages are lowercase fragments ("title must not be empty"); on the page
/// they are sentences.
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.extend(chars);
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(call: Call, status: u16, message: &str) -> ApiError {
        ApiError::new(
            call,
            Failure::Refused {
                status,
                message: Some(message.into()),
            },
        )
    }

    #[test]
    fn a_down_service_is_named_and_the_text_is_said_to_be_kept() {
        let text = ApiError::new(Call::CreatePost, Failure::Unreachable).to_string();
        assert_eq!(
            text,
            "Could not reach the posts service; it may be down. Your text is kept: try again in a moment."
        );
    }

    #[test]
    fn a_503_on_a_write_says_unavailable_with_the_reason() {
        let err = refused(Call::CreateComment, 503, "the broker is unavailable");
        assert_eq!(
            err.to_string(),
            "The comments service is unavailable right now (the broker is unavailable). Your text is kept: try again in a moment."
        );
    }

    #[test]
    fn a_refused_write_shows_the_services_message_as_a_sentence() {
        let err = refused(Call::CreatePost, 422, "title must not be empty");
        assert_eq!(
            err.to_string(),
            "The posts service did not accept this: Title must not be empty."
        );
        assert!(!err.is_worth_retrying());
        let bare = ApiError::new(
            Call::CreatePost,
            Failure::Refused {
                status: 500,
                message: None,
            },
        );
        assert!(bare.to_string().contains("(500)"));
        assert!(bare.is_worth_retrying());
    }

    #[test]
    fn a_timeline_query_has_not_seen_yet_says_so() {
        let missing = refused(Call::Timeline, 404, "there is no comment with id \"c1\"");
        assert_eq!(missing.status(), Some(404));
        assert_eq!(
            missing.to_string(),
            "Query has not recorded this comment yet."
        );
        assert_eq!(
            ApiError::new(Call::Timeline, Failure::Unreachable).to_string(),
            "Could not reach the query service; it may be down."
        );
        assert_eq!(
            refused(Call::Timeline, 500, "boom").to_string(),
            "The query service answered with an error (500): Boom."
        );
    }

    #[test]
    fn a_failed_retry_says_nothing_was_retried_and_why() {
        let retry = Call::RetryDeadLetter;
        assert_eq!(
            refused(retry, 410, "the original message is no longer in COMMENTS").to_string(),
            "Not retried: The original message is no longer in COMMENTS."
        );
        assert_eq!(
            refused(retry, 503, "the event broker is unavailable (not connected to nats-server)").to_string(),
            "Not retried: The event broker is unavailable (not connected to nats-server). Try again in a moment."
        );
        assert_eq!(
            refused(retry, 404, "there is no dead letter \"7\"").to_string(),
            "Not retried: query knows no dead letter with this id."
        );
        assert!(ApiError::new(Call::RetryAll, Failure::Unreachable)
            .to_string()
            .starts_with("Not retried: could not reach"));
        assert_eq!(
            ApiError::new(
                retry,
                Failure::Refused {
                    status: 500,
                    message: None
                }
            )
            .to_string(),
            "Not retried: The query service answered with an error (500)."
        );
    }

    #[test]
    fn messages_become_sentences() {
        assert_eq!(
            sentence("  title must not be empty "),
            "Title must not be empty."
        );
        assert_eq!(sentence("Done."), "Done.");
    }
}
