//! The services a test can start in-process, and how one is built.
//!
//! The names (and NATS users) come from `bus::ServiceName`, their one home; the harness
//! crate's launcher of service *binaries* (used by chaos and bench) reads the same names.

use bus::ServiceName;
use std::future::Future;
use std::pin::Pin;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Posts,
    Comments,
    Moderation,
    /// A second moderation instance, sharing the first one's consumer and knobs.
    ModerationTwin,
    Query,
    /// A second query instance with its own consumers (to compare read models).
    QueryTwin,
    /// A query instance started as a user would start one more: no name given, so its
    /// consumers are named after its port.
    QueryUnnamed(u8),
}

impl Service {
    /// The four services of a whole system.
    pub const ALL: [Service; 4] = [
        Service::Posts,
        Service::Comments,
        Service::Moderation,
        Service::Query,
    ];

    /// Which of the four services this is (every query instance is a query).
    pub fn name(self) -> ServiceName {
        match self {
            Service::Posts => ServiceName::Posts,
            Service::Comments => ServiceName::Comments,
            Service::Moderation | Service::ModerationTwin => ServiceName::Moderation,
            Service::Query | Service::QueryTwin | Service::QueryUnnamed(_) => ServiceName::Query,
        }
    }

    /// The NATS user it connects as (`nats/auth.conf`): the service's name.
    pub fn user(self) -> &'static str {
        self.name().name()
    }

    /// The instance name query's durable consumers are named after (`None`: its port).
    fn query_instance(self) -> Option<String> {
        match self {
            Service::QueryTwin => Some("query-twin".into()),
            Service::QueryUnnamed(_) => None,
            _ => Some("query".into()),
        }
    }
}

/// A built service: its port, its NATS connection, and how to run it.
pub type Built = (u16, async_nats::Client, RunFn);

/// A built service's run function: serve until the token is cancelled.
pub type RunFn = Box<
    dyn FnOnce(CancellationToken) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>
        + Send,
>;

/// The settings of a test system that only some services read.
#[derive(Clone, Debug)]
pub struct Knobs {
    pub moderation: moderation::config::Knobs,
    pub query_live_clients: usize,
    pub query_redrive: query::redrive::Policy,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            moderation: Default::default(),
            query_live_clients: query::Settings::DEFAULT_MAX_LIVE_CLIENTS,
            query_redrive: query::redrive::Policy::off(),
        }
    }
}

/// Turns `service`'s built `Application` (or its build error, which fails the test) into
/// a [`Built`]. Every service's `Application` has the
/// same `port`, `nats_client` and `run_until_stopped`, but no trait says so (the services
/// share no crate for it), so a macro rather than a generic function.
macro_rules! built {
    ($service:expr, $build:expr) => {{
        let app = $build.unwrap_or_else(|error| panic!("{:?} does not build: {error:#}", $service));
        let (port, client) = (app.port(), app.nats_client());
        let run: RunFn = Box::new(|stop| Box::pin(app.run_until_stopped(stop)));
        (port, client, run)
    }};
}

/// Builds `service` with its share of `knobs`.
pub async fn build_service(service: Service, settings: ServiceSettings, knobs: Knobs) -> Built {
    match service {
        Service::Posts => built!(service, posts::Application::build(settings).await),
        Service::Comments => built!(service, comments::Application::build(settings).await),
        Service::Moderation | Service::ModerationTwin => {
            let mut settings = moderation::Settings::for_test(settings);
            settings.knobs = knobs.moderation;
            built!(service, moderation::Application::build(settings).await)
        }
        Service::Query | Service::QueryTwin | Service::QueryUnnamed(_) => {
            let mut settings = query::Settings::for_test(settings);
            settings.max_live_clients = knobs.query_live_clients;
            settings.redrive = knobs.query_redrive;
            settings.instance = service.query_instance();
            built!(service, query::Application::build(settings).await)
        }
    }
}
