//! Settings: the usual `HOST`, `PORT` (default 4002) and broker settings, plus
//! `QUERY_INSTANCE`, the name of this instance's durable consumers (default `query`). Two
//! query instances need two names: each keeps its own read model, so each needs its own
//! position in the streams.

use web::ServiceSettings;

#[derive(Clone, Debug)]
pub struct Settings {
    pub service: ServiceSettings,
    pub instance: String,
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
        Ok(Settings { service: ServiceSettings::from_env("query", Self::DEFAULT_PORT)?, instance })
    }

    pub fn for_test(service: ServiceSettings) -> Settings {
        Settings { service, instance: "query".into() }
    }
}
