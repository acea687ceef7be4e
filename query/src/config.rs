//! Settings: the usual `HOST`, `PORT` (default 4002) and broker settings, plus
//! `QUERY_INSTANCE`, the name of this instance's durable consumers (default `query`). Two
//! query instances need two names: each keeps its own read model, so each needs its own
//! position in the streams. `QUERY_REDRIVE` lists the delays before each automatic retry
//! of a dead letter (default `10s,60s,5m`; `off` for none), see [`crate::redrive`].

use crate::redrive;
use web::ServiceSettings;

#[derive(Clone, Debug)]
pub struct Settings {
    pub service: ServiceSettings,
    pub instance: String,
    pub redrive: redrive::Policy,
}

impl Settings {
    pub const DEFAULT_PORT: u16 = 4002;

    pub fn from_env() -> Result<Settings, String> {
        let instance = std::env::var("QUERY_INSTANCE").unwrap_or_else(|_| "query".into());
        let valid = !instance.is_empty()
            && instance.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(format!(
                "QUERY_INSTANCE={instance:?} must be letters, digits, '-' or '_' (it names a consumer)"
            ));
        }
        let redrive = match std::env::var("QUERY_REDRIVE") {
            Ok(text) => redrive::Policy::parse(&text).map_err(|e| format!("QUERY_REDRIVE: {e}"))?,
            Err(_) => redrive::Policy::default(),
        };
        Ok(Settings { service: ServiceSettings::from_env("query", Self::DEFAULT_PORT)?, instance, redrive })
    }

    /// Test settings: automatic re-drive is off, so a test sees a dead letter stay put
    /// unless it turns re-drive on (with short delays).
    pub fn for_test(service: ServiceSettings) -> Settings {
        Settings { service, instance: "query".into(), redrive: redrive::Policy::off() }
    }
}
