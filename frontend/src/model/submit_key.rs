//! One `Idempotency-Key` per submit, reused when the user retries that submit.
//!
//! A write whose answer never came (the network dropped, the service said "the outcome is
//! unknown") may or may not have been stored. If "try again" sent a fresh key, the service
//! could not tell the retry from a new post, and the post could appear twice. With the same
//! key, the service recognises the retry and answers with the first result. So: a new key
//! for a new submit; the same key while the same text is submitted again after a failure;
//! a new one once it succeeded or the text changed (that is a different submit).

/// The key of the submit that has not succeeded yet, if any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubmitKeys {
    unsettled: Option<(String, String)>,
}

impl SubmitKeys {
    /// The key for submitting `text`: the unsettled submit's key if it was this same text,
    /// else a new one from `fresh`.
    pub fn key_for(&mut self, text: &str, fresh: impl FnOnce() -> String) -> String {
        match &self.unsettled {
            Some((sent, key)) if sent == text => key.clone(),
            _ => {
                let key = fresh();
                self.unsettled = Some((text.to_owned(), key.clone()));
                key
            }
        }
    }

    /// The submit of `text` succeeded: the next submit, even of the same text, is new.
    pub fn succeeded(&mut self, text: &str) {
        if self
            .unsettled
            .as_ref()
            .is_some_and(|(sent, _)| sent == text)
        {
            self.unsettled = None;
        }
    }
}

/// A random (version 4) uuid in its usual text form, from 16 random bytes.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // the RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys "k1", "k2", … in order.
    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("k{n}")
        }
    }

    #[test]
    fn a_retry_of_the_same_text_reuses_the_key_until_it_succeeds() {
        let (mut keys, mut fresh) = (SubmitKeys::default(), counter());
        assert_eq!(keys.key_for("hello", &mut fresh), "k1");
        // It failed (no answer): the user presses submit again.
        assert_eq!(keys.key_for("hello", &mut fresh), "k1");
        keys.succeeded("hello");
        // The same text again, after success, is a new post.
        assert_eq!(keys.key_for("hello", &mut fresh), "k2");
    }

    #[test]
    fn changed_text_is_a_new_submit() {
        let (mut keys, mut fresh) = (SubmitKeys::default(), counter());
        assert_eq!(keys.key_for("helo", &mut fresh), "k1");
        assert_eq!(keys.key_for("hello", &mut fresh), "k2");
        // A late success of an older text does not settle the current one.
        keys.succeeded("helo");
        assert_eq!(keys.key_for("hello", &mut fresh), "k2");
    }

    #[test]
    fn a_uuid_v4_has_its_version_and_variant() {
        let key = uuid_v4([0xff; 16]);
        assert_eq!(key, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
