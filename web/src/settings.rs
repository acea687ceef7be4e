//! The settings every service reads from its environment: `HOST` and `PORT` for HTTP, and
//! the broker settings `bus` reads (`NATS_URL`, `NATS_REPLICAS`).

use bus::{BusConfig, ServiceName};

#[derive(Clone, Debug)]
pub struct ServiceSettings {
    pub host: String,
    pub port: u16,
    pub bus: BusConfig,
}

impl ServiceSettings {
    /// Reads the environment; `service` names the NATS connection (and user), and its
    /// default port is used when `PORT` is not set.
    pub fn from_env(service: ServiceName) -> Result<ServiceSettings, String> {
        let default_port = service.default_port();
        let port = match std::env::var("PORT") {
            Ok(port) => port
                .parse()
                .map_err(|_| format!("PORT={port:?} is not a port number"))?,
            Err(_) => default_port,
        };
        Ok(ServiceSettings {
            host: std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            port,
            bus: BusConfig::from_env(service.name())?,
        })
    }

    /// Settings for a test: port 0 (any free port) and the given broker.
    pub fn for_test(bus: BusConfig) -> ServiceSettings {
        ServiceSettings {
            host: "127.0.0.1".into(),
            port: 0,
            bus,
        }
    }
}
