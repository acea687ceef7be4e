//! Settling a message: what its handler's [`Outcome`] tells the server.
//!
//! - `Done`: ack.
//! - `Retry`: nak with the policy's delay for this attempt; on the last allowed attempt,
//!   also leave a dead-letter note, since JetStream gives up after it.
//! - `Reject`: terminate with the reason, and leave a note.
//!
//! A lost ack is only logged: the message comes again, and the idempotent handler
//! recognises it.

use super::worker::{EventIds, Worker};
use super::{Delivery, Outcome};
use crate::deadletters::{note_subject, Note};
use async_nats::jetstream::{self, message::AckKind};
use tracing::warn;

impl<H> Worker<'_, H> {
    pub(super) async fn settle(
        &self,
        message: &jetstream::Message,
        outcome: &Outcome,
        delivery: Delivery,
        ids: Option<EventIds>,
    ) {
        let consumer = self.name;
        let sequence = delivery.stream_sequence;
        // Absent for a message that is not a valid event (it has no ids to name).
        let event_id = ids.map(|ids| ids.event_id.to_string());
        let correlation_id = ids.map(|ids| ids.correlation_id.to_string());
        let settled = match outcome {
            Outcome::Done => message.ack().await,
            Outcome::Retry { reason } => {
                let last = delivery.attempt >= self.durable.retry.max_deliver;
                let delay = self.durable.retry.delay_after(delivery.attempt);
                warn!(consumer, sequence, event_id, correlation_id, attempt = delivery.attempt,
                    subject = %message.subject, %reason,
                    "{}", if last { "failed for the last time: JetStream gives up (dead letter)" }
                          else { "failed; will retry" });
                if last {
                    self.leave_note(message, sequence, reason).await;
                }
                message.ack_with(AckKind::Nak(Some(delay))).await
            }
            Outcome::Reject { reason } => {
                warn!(consumer, sequence, event_id, correlation_id, subject = %message.subject,
                    %reason,
                    "rejected; terminating the message (dead letter)");
                self.leave_note(message, sequence, reason).await;
                terminate(message, reason).await
            }
        };
        if let Err(error) = settled {
            warn!(consumer, sequence, event_id, correlation_id, %error, "ack failed");
        }
    }

    /// Records, beside JetStream's advisory, which subject we gave up on and why.
    async fn leave_note(&self, message: &jetstream::Message, sequence: u64, error: &str) {
        let note = Note {
            subject: message.subject.to_string(),
            error: error.to_owned(),
        };
        let subject = note_subject(self.durable.stream, self.name, sequence);
        let payload = serde_json::to_vec(&note).unwrap_or_default();
        if let Err(error) = message.context.publish(subject, payload.into()).await {
            warn!(%error, "could not leave a dead-letter note");
        }
    }
}

/// Terminates a message with a reason, which the server puts into its *terminated*
/// advisory (async-nats' `AckKind::Term` carries none).
async fn terminate(message: &jetstream::Message, reason: &str) -> Result<(), async_nats::Error> {
    let Some(reply) = message.reply.clone() else {
        return Err("not a JetStream message".into());
    };
    let body = format!("+TERM {}", reason.replace(['\r', '\n'], " "));
    message.context.client().publish(reply, body.into()).await?;
    Ok(())
}
