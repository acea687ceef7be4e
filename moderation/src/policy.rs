//! The moderation rule, as in the original course: a comment that mentions "orange" (in any
//! letter case) is rejected; anything else is approved. The words are configurable
//! (`MODERATION_REJECT_WORDS`) for workshops.

use bus::CommentStatus;

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Lower-case words; a comment containing any of them is rejected.
    reject_words: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::from_list("orange")
    }
}

impl Policy {
    /// From a comma-separated list; blanks are ignored.
    pub fn from_list(words: &str) -> Policy {
        let reject_words = words
            .split(',')
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        Policy { reject_words }
    }

    /// From a list of words (the live knobs'); blanks are ignored.
    pub fn from_words(words: &[String]) -> Policy {
        Policy::from_list(&words.join(","))
    }

    /// The words, lower case, in order.
    pub fn words(&self) -> &[String] {
        &self.reject_words
    }

    pub fn moderate(&self, content: &str) -> CommentStatus {
        let content = content.to_lowercase();
        if self
            .reject_words
            .iter()
            .any(|word| content.contains(word.as_str()))
        {
            CommentStatus::Rejected
        } else {
            CommentStatus::Approved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orange_in_any_case_is_rejected_and_the_rest_approved() {
        let policy = Policy::default();
        assert_eq!(
            policy.moderate("I like ORANGE juice"),
            CommentStatus::Rejected
        );
        assert_eq!(policy.moderate("orange"), CommentStatus::Rejected);
        assert_eq!(policy.moderate("I like apples"), CommentStatus::Approved);
    }

    #[test]
    fn the_words_are_configurable() {
        let policy = Policy::from_list(" Kiwi, ,lemon ");
        assert_eq!(policy.moderate("a kiwi"), CommentStatus::Rejected);
        assert_eq!(policy.moderate("LEMONADE"), CommentStatus::Rejected);
        assert_eq!(policy.moderate("an orange"), CommentStatus::Approved);
    }
}
