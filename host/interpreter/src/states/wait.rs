//! Wait: sleep for a number of seconds or until a timestamp, on the clock.

use std::time::Duration;

use serde_json::Value;

use crate::error::{AwsJson, Failure};
use crate::events::Cursor;
use crate::frame::Frame;
use stepyard_asl::definition::{Dynamic, WaitState};

pub(crate) async fn run_jsonpath(
    frame: &Frame<'_>,
    wait: &WaitState,
    input: &Value,
    _cursor: &mut Cursor,
) -> Result<(), Failure> {
    let duration = match wait {
        WaitState::Seconds(Dynamic::Literal(s)) => seconds(*s),
        WaitState::Seconds(Dynamic::Path(p)) => {
            let v = frame.select(p, input).map_err(|_| {
                frame.runtime(format!(
                    "The SecondsPath parameter does not reference an input value: {}",
                    p.as_str()
                ))
            })?;
            match v.as_i64() {
                Some(n) if n < 0 => {
                    return Err(frame.runtime(format!(
                        "The SecondsPath parameter references a negative value: {} == {}",
                        p.as_str(),
                        v
                    )));
                }
                Some(n) => seconds(n),
                None => {
                    return Err(frame.runtime(format!(
                        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                        p.as_str(),
                        v
                    )));
                }
            }
        }
        WaitState::Timestamp(Dynamic::Literal(s)) => until(frame, s),
        WaitState::Timestamp(Dynamic::Path(p)) => {
            let v = frame.select(p, input).map_err(|_| {
                frame.runtime(format!(
                    "The TimestampPath parameter does not reference an input value: {}",
                    p.as_str()
                ))
            })?;
            let text = v.as_str().unwrap_or_default();
            if stepyard_asl::timestamp::parse(text).is_none() {
                let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                return Err(frame.runtime(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {shown}",
                    p.as_str()
                )));
            }
            until(frame, text)
        }
        _ => Duration::ZERO,
    };
    sleep_from_entry(frame, duration).await;
    Ok(())
}

pub(crate) async fn run_jsonata(
    frame: &Frame<'_>,
    wait: &WaitState,
    states: &Value,
    _cursor: &mut Cursor,
) -> Result<(), Failure> {
    let duration = match wait {
        WaitState::Seconds(Dynamic::Literal(s)) => seconds(*s),
        WaitState::Seconds(Dynamic::Jsonata(t)) => {
            let v = frame.jsonata(t, states, "Seconds")?;
            match v.as_i64() {
                Some(n) if n >= 0 => seconds(n),
                _ => {
                    return Err(frame.field_error(
                        "Seconds",
                        format!(
                            "The Seconds field must evaluate to a non-negative integer, but was: {}",
                            AwsJson(&v)
                        ),
                    ));
                }
            }
        }
        WaitState::Timestamp(Dynamic::Literal(s)) => until(frame, s),
        WaitState::Timestamp(Dynamic::Jsonata(t)) => {
            let v = frame.jsonata(t, states, "Timestamp")?;
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            if stepyard_asl::timestamp::parse(&text).is_none() {
                return Err(frame.field_error("Timestamp", format!(
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                )));
            }
            until(frame, &text)
        }
        _ => Duration::ZERO,
    };
    sleep_from_entry(frame, duration).await;
    Ok(())
}

fn seconds(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

/// The time left until `timestamp` on the execution's clock (zero if past).
fn until(frame: &Frame<'_>, timestamp: &str) -> Duration {
    let Some(target) = stepyard_asl::timestamp::parse(timestamp) else {
        return Duration::ZERO;
    };
    let now = frame.exec.clock.now();
    (target.with_timezone(&chrono::Utc) - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
}

/// Sleeps until `duration` after the state was entered: a Wait resumed
/// after a restart keeps its original deadline.
async fn sleep_from_entry(frame: &Frame<'_>, duration: Duration) {
    let clock = frame.exec.clock;
    let elapsed = (clock.now() - frame.entered_at).to_std().unwrap_or_default();
    clock.sleep(duration.saturating_sub(elapsed)).await;
}
