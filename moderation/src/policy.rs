//! The moderation rule, as in the original course: a comment that mentions "orange" (in any
//! letter case) is rejected; anything else is approved.

use bus::CommentStatus;

pub const FORBIDDEN_WORD: &str = "orange";

pub fn moderate(content: &str) -> CommentStatus {
    if content.to_lowercase().contains(FORBIDDEN_WORD) {
        CommentStatus::Rejected
    } else {
        CommentStatus::Approved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orange_in_any_case_is_rejected_and_the_rest_approved() {
        assert_eq!(moderate("I like ORANGE juice"), CommentStatus::Rejected);
        assert_eq!(moderate("orange"), CommentStatus::Rejected);
        assert_eq!(moderate("I like apples"), CommentStatus::Approved);
    }
}
