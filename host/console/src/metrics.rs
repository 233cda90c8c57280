//! `GET /metrics`: every figure of [`stepyard_metrics::Metrics`] in the
//! OpenMetrics text format, for Prometheus (or `curl`).
//!
//! Without `--auth` it answers loopback-addressed requests, like the API;
//! with `--auth` the caller must be allowed `cloudwatch:GetMetricData`
//! (a signed request or a console session), as reading CloudWatch's
//! metrics needs.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use stepyard_api::{Api, HttpRequest, error_response};

/// OpenMetrics' content type (Prometheus asks for it and reads it).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub(crate) async fn scrape(State(api): State<Arc<Api>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let http = HttpRequest {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &[],
    };
    if let Err(e) = api.authorize(&http, "cloudwatch:GetMetricData", "*") {
        return error_response(&e);
    }
    let Some(metrics) = &api.metrics else {
        return (StatusCode::NOT_FOUND, "metrics are off on this server").into_response();
    };
    let mut response = metrics.encode().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
