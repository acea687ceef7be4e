//! Settings: the usual `HOST`, `PORT` (default 4002) and broker settings, plus:
//!
//! - `QUERY_INSTANCE`, the name of this instance's durable consumers. Each query instance
//!   keeps its own read model, so each needs its own position in the streams: two instances
//!   sharing consumers would each get half the events. Unset, the name follows the port —
//!   `query` on the standard port 4002, `query-<port>` on any other — so a second instance
//!   started with nothing but another `PORT` gets its own consumers.
//! - `QUERY_MAX_LIVE_CLIENTS`, how many live (SSE) connections this instance serves at once
//!   (default 512); one more gets a 503.
//! - `QUERY_REDRIVE`, the delays before each automatic retry of a dead letter (default
//!   `10s,60s,5m`; `off` for none), see [`crate::redrive`].

use crate::redrive;
use bus::ServiceName;
use web::ServiceSettings;

#[derive(Clone, Debug)]
pub struct Settings {
    pub service: ServiceSettings,
    /// The consumers' name if given; else it follows the port (see [`Settings::instance_name`]).
    pub instance: Option<String>,
    pub max_live_clients: usize,
    pub redrive: redrive::Policy,
}

impl Settings {
    pub const DEFAULT_MAX_LIVE_CLIENTS: usize = 512;

    pub fn from_env() -> Result<Settings, String> {
        let instance = match std::env::var("QUERY_INSTANCE") {
            Ok(name) if !name.is_empty() => Some(valid_name(name)?),
            _ => None,
        };
        let max_live_clients = match std::env::var("QUERY_MAX_LIVE_CLIENTS") {
            Ok(raw) => raw
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    format!("QUERY_MAX_LIVE_CLIENTS must be a number from 1 to 100000, not {raw:?}")
                })?,
            Err(_) => Self::DEFAULT_MAX_LIVE_CLIENTS,
        };
        let redrive = match std::env::var("QUERY_REDRIVE") {
            Ok(text) => redrive::Policy::parse(&text).map_err(|e| format!("QUERY_REDRIVE: {e}"))?,
            Err(_) => redrive::Policy::default(),
        };
        Ok(Settings {
            service: ServiceSettings::from_env(bus::ServiceName::Query)?,
            instance,
            max_live_clients,
            redrive,
        })
    }

    /// Test settings: automatic re-drive is off, so a test sees a dead letter stay put
    /// unless it turns re-drive on (with short delays).
    pub fn for_test(service: ServiceSettings) -> Settings {
        Settings {
            service,
            instance: None,
            max_live_clients: Self::DEFAULT_MAX_LIVE_CLIENTS,
            redrive: redrive::Policy::off(),
        }
    }

    /// The name of this instance's consumers, once its port is known.
    pub fn instance_name(&self, port: u16) -> String {
        match &self.instance {
            Some(name) => name.clone(),
            None if port == ServiceName::Query.default_port() => "query".to_owned(),
            None => format!("query-{port}"),
        }
    }
}

/// A consumer name: letters, digits, `-` and `_` (JetStream refuses dots, spaces and
/// wildcards there).
fn valid_name(name: String) -> Result<String, String> {
    let valid = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "QUERY_INSTANCE={name:?} must be up to 64 letters, digits, '-' or '_' (it names a consumer)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(instance: Option<&str>) -> Settings {
        let bus = bus::BusConfig::single("nats://127.0.0.1:4222", "query");
        Settings {
            instance: instance.map(str::to_owned),
            ..Settings::for_test(ServiceSettings::for_test(bus))
        }
    }

    #[test]
    fn an_unnamed_instance_is_named_after_its_port() {
        assert_eq!(settings(None).instance_name(4002), "query");
        assert_eq!(settings(None).instance_name(4012), "query-4012");
        assert_eq!(settings(Some("mine")).instance_name(4012), "mine");
    }

    #[test]
    fn a_name_must_fit_a_consumer_name() {
        assert!(valid_name("query-2_b".into()).is_ok());
        assert!(valid_name("a.b".into()).is_err());
        assert!(valid_name("a b".into()).is_err());
        assert!(valid_name("x".repeat(65)).is_err());
    }
}
