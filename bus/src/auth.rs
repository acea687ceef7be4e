//! Who connects to nats-server, and with which password.
//!
//! nats-server refuses anonymous connections (`nats/auth.conf`). Each service connects as its
//! own user, named after it, which may publish only its own events and the JetStream API
//! calls it needs; `admin` provisions the streams and retries dead letters; `learner` reads
//! everything for the workshop and changes nothing.
//!
//! A user's password is `$NATS_PASSWORD_<USER>` (e.g. `NATS_PASSWORD_POSTS`), else the lab's
//! documented default `lab-<user>`. nats-server reads the same variables from its
//! environment, so setting one variable before `make run` changes both sides at once. These
//! defaults are for a laptop lab; anything else sets its own.

use std::fmt;

/// The user that provisions the streams and retries dead letters.
pub const ADMIN: &str = "admin";
/// The workshop's read-only user.
pub const LEARNER: &str = "learner";
/// Every user `nats/auth.conf` knows: nats-server needs a password for each to start.
pub const USERS: [&str; 6] = ["posts", "comments", "moderation", "query", ADMIN, LEARNER];

/// A user name and its password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// `user` with its password from the environment, or the lab default.
    pub fn from_env(user: &str) -> Credentials {
        let password =
            std::env::var(password_variable(user)).unwrap_or_else(|_| default_password(user));
        Credentials {
            user: user.to_owned(),
            password,
        }
    }
}

// Hand-written so that logging a `BusConfig` never prints a password.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"…")
            .finish()
    }
}

/// The environment variable holding `user`'s password: `NATS_PASSWORD_POSTS`.
pub fn password_variable(user: &str) -> String {
    format!("NATS_PASSWORD_{}", user.to_ascii_uppercase())
}

/// The lab's documented default password for `user` (scripts/lab.py uses the same rule).
pub fn default_password(user: &str) -> String {
    format!("lab-{user}")
}

/// What nats-server needs in its environment to read `nats/auth.conf`: every user's
/// password, as the clients will present it.
pub fn server_environment() -> Vec<(String, String)> {
    USERS
        .iter()
        .map(|user| {
            (
                password_variable(user),
                Credentials::from_env(user).password,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_has_a_variable_and_a_default_and_debug_hides_the_password() {
        assert_eq!(password_variable("moderation"), "NATS_PASSWORD_MODERATION");
        assert_eq!(default_password("learner"), "lab-learner");
        let credentials = Credentials {
            user: "posts".into(),
            password: "secret".into(),
        };
        assert!(!format!("{credentials:?}").contains("secret"));
    }
}
