//! Moderation's only route: `GET /health` (see [`crate::state`] for what it says).

use crate::state::AppState;
use axum::Router;

pub fn router(state: AppState) -> Router {
    web::service::app(state, Router::new(), Router::new())
}
