//! `/console/session`: signing in to the console with an access key of the
//! auth file (`serve --auth`), and out.
//!
//! `GET` says whether the server requires signing in and who is signed in;
//! `POST {"accessKeyId", "secretAccessKey"}` opens a session and sets its
//! cookie; `DELETE` ends it. Like every console request that changes
//! something, `POST` and `DELETE` need the `X-Stepyard-Console` header.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stepyard_api::Api;
use stepyard_api::auth::session::{CONSOLE_HEADER, SESSION_COOKIE, SESSION_LIFETIME, token_from_cookies};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignIn {
    access_key_id: String,
    secret_access_key: String,
}

fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookies)
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"__type": code, "message": message}))).into_response()
}

/// A cross-site page cannot send this header (it would need a CORS
/// preflight this server never grants), so its absence means "not the
/// console".
fn from_console(headers: &HeaderMap) -> bool {
    headers.contains_key(CONSOLE_HEADER)
}

pub(crate) async fn status(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    let user = match (&api.auth, token(&headers)) {
        (Some(auth), Some(token)) => api.sessions.principal(auth, token).map(|p| p.name().to_owned()),
        _ => None,
    };
    Json(json!({"auth": api.auth.is_some(), "user": user})).into_response()
}

pub(crate) async fn sign_in(State(api): State<Arc<Api>>, headers: HeaderMap, Json(form): Json<SignIn>) -> Response {
    if !from_console(&headers) {
        return refuse(StatusCode::FORBIDDEN, "AccessDeniedException", "Not a console request");
    }
    let Some(auth) = &api.auth else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "This server runs without --auth: there is nothing to sign in to",
        );
    };
    match api.sessions.sign_in(auth, &form.access_key_id, &form.secret_access_key) {
        Ok(token) => {
            let name = api
                .sessions
                .principal(auth, &token)
                .map(|p| p.name().to_owned())
                .unwrap_or_default();
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
                SESSION_LIFETIME.as_secs()
            );
            let mut response = Json(json!({"user": name})).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => refuse(StatusCode::UNAUTHORIZED, "UnrecognizedClientException", &e.to_string()),
    }
}

pub(crate) async fn sign_out(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    if !from_console(&headers) {
        return refuse(StatusCode::FORBIDDEN, "AccessDeniedException", "Not a console request");
    }
    if let Some(token) = token(&headers) {
        api.sessions.sign_out(token);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("stepyard_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}
