//! The web console: `stepyard serve` answers the browser at `/` with a
//! single page that draws state machines and executions (live), and reads
//! tables, logs and plugins.
//!
//! The page is a client of the same API the AWS SDKs use (`POST /` with
//! `X-Amz-Target`), so everything it shows or changes goes through the
//! same operations and the same permission checks: a user whose policy
//! cannot stop an execution cannot stop it from the console either. Beside
//! the page's files this crate adds only what a browser needs and the API
//! lacks: server push of a running execution's events (`/console/live`,
//! Server-Sent Events), signing in (`/console/session`, with `--auth`), and
//! the metrics in Prometheus's text format (`/metrics`). It also draws the
//! console's graph without a browser, as an SVG file ([`render_svg`]).
//!
//! Must not depend on: the store, the interpreter or the plugin runtime;
//! it reaches them only through the service and the API.

mod assets;
mod live;
mod metrics;
mod session;
mod svg;

pub use svg::{Direction, ExecutionRun, GraphError, render_svg};

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use stepyard_api::Api;

/// The whole application: the console's routes in front of the API.
///
/// `GET /` is the page and `/console/…` its files and endpoints; every
/// other request, `POST /` above all, goes to the API as before.
pub fn router(api: Arc<Api>) -> Router {
    let api_routes = stepyard_api::router(api.clone());
    let console = Router::new()
        .route("/console/live", get(live::follow))
        .route("/metrics", get(metrics::scrape))
        .route(
            "/console/session",
            get(session::status).post(session::sign_in).delete(session::sign_out),
        )
        .with_state(api);
    Router::new()
        .route("/", get(assets::index).post_service(api_routes.clone()))
        .route("/console/{*path}", get(assets::file))
        .merge(console)
        .fallback_service(api_routes)
}
