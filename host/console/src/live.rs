//! `GET /console/live?executionArn=ARN&after=ID`: a running execution's
//! history events after `ID`, pushed as they are recorded (Server-Sent
//! Events), then its description when it ends.
//!
//! Each event is sent as `event: history` with the event (GetExecutionHistory's
//! shape) as data; the last message is `event: end` with DescribeExecution's
//! answer. For an execution that is not running here the stream holds what
//! the history has after `ID`, then `end`. Allowed to whoever may call
//! GetExecutionHistory on the execution, and recorded in the audit trail
//! as that call.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, Method, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use stepyard_api::audit::CallSeen;
use stepyard_api::{Api, HttpRequest, error_response_with_id};
use stepyard_service::{LiveUpdate, Service, ServiceError};
use tokio::sync::mpsc;

#[derive(Deserialize)]
pub(crate) struct FollowQuery {
    #[serde(rename = "executionArn")]
    execution_arn: String,
    /// The id of the last event the page has (0: none).
    #[serde(default)]
    after: u64,
}

/// Messages queued per follower before the sender waits for the browser.
const QUEUE: usize = 256;

pub(crate) async fn follow(
    State(api): State<Arc<Api>>,
    Query(query): Query<FollowQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    let http = HttpRequest {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &[],
    };
    let action = "states:GetExecutionHistory";
    let (identity, allowed) = api.authorize_as(&http, action, &query.execution_arn);
    let service = api.service.clone();
    // Refuse an unknown execution now, with the API's error, rather than
    // as an empty stream.
    let outcome = match allowed {
        Ok(()) => describe(&service, &query.execution_arn).await.map(|_| json!({})),
        Err(e) => Err(e),
    };
    let seen = CallSeen {
        operation: "GetExecutionHistory".to_owned(),
        own: false,
        request: Some(json!({"executionArn": query.execution_arn})),
        action: action.to_owned(),
        resource: query.execution_arn.clone(),
        identity: Some(identity),
    };
    let request_id = stepyard_service::new_request_id();
    if let Some(written) = api.record_call(&seen, &headers, &extensions, outcome.as_ref(), &request_id)
        && let Err(e) = written.await
    {
        return error_response_with_id(&e, &request_id);
    }
    if let Err(e) = outcome {
        return error_response_with_id(&e, &request_id);
    }
    let (tx, rx) = mpsc::channel::<Event>(QUEUE);
    tokio::spawn(pump(service, query.execution_arn, query.after, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok::<_, Infallible>(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Feeds one follower until the execution ends or the browser goes away
/// (a send fails).
async fn pump(service: Arc<Service>, arn: String, mut last: u64, tx: mpsc::Sender<Event>) {
    // Subscribe before reading the history, so nothing recorded in between
    // is missed; events already read are skipped by id.
    let mut live = service.follow_execution(&arn);
    if send_history_after(&service, &arn, &mut last, &tx).await.is_err() {
        return;
    }
    if let Some(live) = live.as_mut() {
        loop {
            match live.next().await {
                LiveUpdate::Event(event) => {
                    let id = event.get("id").and_then(Value::as_u64).unwrap_or(0);
                    if id > last {
                        last = id;
                        if tx.send(history_event(&event)).await.is_err() {
                            return;
                        }
                    }
                }
                LiveUpdate::Missed => {
                    if send_history_after(&service, &arn, &mut last, &tx).await.is_err() {
                        return;
                    }
                }
                LiveUpdate::Ended => {
                    // The last events may have been stored after the last
                    // one was pushed: read them from the store.
                    if send_history_after(&service, &arn, &mut last, &tx).await.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
    let end = describe(&service, &arn)
        .await
        .unwrap_or_else(|e| json!({"error": e.code, "message": e.message}));
    let _ = tx.send(Event::default().event("end").data(end.to_string())).await;
}

/// Sends the stored events after `last`, moving `last` on. `Err` when the
/// browser has gone.
async fn send_history_after(
    service: &Arc<Service>,
    arn: &str,
    last: &mut u64,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    loop {
        let mut request = json!({"executionArn": arn, "maxResults": 1000});
        if *last > 0 {
            request["nextToken"] = last.to_string().into();
        }
        let Ok(page) = service.call("GetExecutionHistory", request).await else {
            return Ok(());
        };
        for event in page["events"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let id = event.get("id").and_then(Value::as_u64).unwrap_or(0);
            if id > *last {
                *last = id;
                tx.send(history_event(event)).await.map_err(|_| ())?;
            }
        }
        if page.get("nextToken").is_none() {
            return Ok(());
        }
    }
}

fn history_event(event: &Value) -> Event {
    let mut out = Event::default().event("history").data(event.to_string());
    if let Some(id) = event.get("id").and_then(Value::as_u64) {
        out = out.id(id.to_string());
    }
    out
}

async fn describe(service: &Arc<Service>, arn: &str) -> Result<Value, ServiceError> {
    service.call("DescribeExecution", json!({"executionArn": arn})).await
}
