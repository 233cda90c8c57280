//! AWS Signature Version 4, checked on the server side: the `Authorization`
//! header the AWS SDKs (boto3, the AWS CLI) put on JSON-protocol requests.
//!
//! Checking happens in two steps so that nothing secret is touched before the
//! request is known to be well formed: `Authorization::parse` reads the
//! header, the credential scope and the date (no secret needed), the caller
//! looks the access key up, then `Authorization::verify` rebuilds the
//! canonical request and compares signatures in constant time.
//!
//! The canonical form follows AWS's documentation and its published test
//! suite (the vectors in `sigv4/tests/vectors.rs`): the path as it came on the wire,
//! dot segments and repeated slashes removed, every byte outside the
//! unreserved set percent-encoded (SDKs encode the path once more for
//! services other than S3, so the server encodes what it received); query
//! parameters decoded, re-encoded and sorted; header names lower-cased,
//! values trimmed with inner whitespace runs collapsed, repeated headers
//! joined with commas.
//!
//! Error texts, as AWS's JSON services return them (`__type` and `message`):
//! confirmed from responses quoted in public bug reports are
//! "The security token included in the request is invalid." (400),
//! "The request signature we calculated does not match…" (400),
//! "Signature expired: … is now earlier than … (… - 5 min.)",
//! "Signature not yet current: … is still later than … (… + 5 min.)",
//! the `IncompleteSignatureException` texts ("Authorization header requires
//! 'Credential' parameter. …", "'…' not a valid key=value pair (missing
//! equal-sign) in Authorization header: '…'.", "Credential must have exactly
//! 5 slash-delimited elements, …"), "Credential should be scoped to correct
//! service: '…'. ", "Credential should be scoped to a valid region, not '…'. ",
//! "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
//! and "X-Amz-Date must be in the ISO8601 Long Format …". Not confirmed (and
//! marked where they are made): "Missing Authentication Token" with status 400
//! for Step Functions, the terminator and scope-date texts, which error type
//! the Host and X-Amz-Date texts come with, and the `x-amz-content-sha256`
//! text, which is S3's.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

mod canonical;

use canonical::hex_value;
pub(crate) use canonical::request as canonical_request;

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm accepted.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name a Step Functions client puts in its credential scope.
pub const SERVICE: &str = "states";
/// The last element of every credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// How far the request's `X-Amz-Date` may be from the server's clock, either way.
pub(crate) const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// The parts of an HTTP request that a signature covers, as they came on the wire.
///
/// With `http`/axum: `path` is `uri.path()`, `query` is `uri.query().unwrap_or("")`,
/// and the headers are `headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))`
/// collected into a `Vec`. Over HTTP/2 the host is the `:authority`
/// pseudo-header, which `http` keeps in the URI: add it as a `host` header.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The HTTP method as sent (`POST`), taken into the canonical request verbatim.
    pub method: &'a str,
    /// The raw path, percent-encoded as sent.
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: &'a str,
    /// Header names in any case, in the order received; repeated names allowed.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body as received; its SHA-256 is part of the canonical request.
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// Every value of header `name` (case-insensitive), in order.
    fn header_values(&self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.header_values(name).next()
    }
}

/// Why a request is not authenticated. Each maps to the error type and text
/// AWS's JSON services answer with ([`AuthError::code`], `Display`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header at all. (Text and status not confirmed for
    /// Step Functions; API Gateway says this, DynamoDB "Request is missing
    /// Authentication Token".)
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// The `Authorization` header (or the date) cannot be read.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The access key id is not in the auth file.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// Well formed, but signed with another secret or over other content.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
         Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureDoesNotMatch,
    /// `X-Amz-Date` is more than five minutes in the past.
    #[error(
        "Signature expired: {} is now earlier than {} ({} - 5 min.)",
        amz_date(.signed_at),
        amz_date(.earliest),
        amz_date(.now)
    )]
    SignatureExpired {
        /// The request's `X-Amz-Date`.
        signed_at: DateTime<Utc>,
        /// The earliest date accepted: `now` less five minutes.
        earliest: DateTime<Utc>,
        /// The server's clock when it checked.
        now: DateTime<Utc>,
    },
    /// `X-Amz-Date` is more than five minutes in the future.
    #[error(
        "Signature not yet current: {} is still later than {} ({} + 5 min.)",
        amz_date(.signed_at),
        amz_date(.latest),
        amz_date(.now)
    )]
    SignatureNotYetCurrent {
        /// The request's `X-Amz-Date`.
        signed_at: DateTime<Utc>,
        /// The latest date accepted: `now` plus five minutes.
        latest: DateTime<Utc>,
        /// The server's clock when it checked.
        now: DateTime<Utc>,
    },
    /// The credential scope names another service, region, date or terminator.
    #[error("{0}")]
    InvalidScope(String),
    /// `x-amz-content-sha256` is not the hash of the body that came (S3's text).
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    PayloadHashMismatch,
}

impl AuthError {
    /// The AWS error type (`__type` in a JSON-protocol error body).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::SignatureDoesNotMatch
            | AuthError::SignatureExpired { .. }
            | AuthError::SignatureNotYetCurrent { .. }
            | AuthError::InvalidScope(_)
            | AuthError::PayloadHashMismatch => "InvalidSignatureException",
        }
    }

    /// The HTTP status. AWS's JSON services (Step Functions among them) answer
    /// 400 to every authentication failure; the 403 of the common-errors page
    /// is the query protocol's (`InvalidClientTokenId`, `MissingAuthenticationToken`).
    pub fn status(&self) -> u16 {
        400
    }
}

/// A read and checked `Authorization` header: everything except the signature
/// itself, which needs the secret ([`Authorization::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization<'r> {
    access_key_id: &'r str,
    /// The scope's four elements: date, region, service, terminator.
    scope: [&'r str; 4],
    amz_date: &'r str,
    /// Lower-cased, in the order the client listed them.
    signed_headers: Vec<String>,
    signature: &'r str,
}

impl<'r> Authorization<'r> {
    /// Reads the `Authorization` and `X-Amz-Date` headers of `request` and
    /// checks what needs no secret: the header's shape, the credential scope
    /// (`service` must match; any region is accepted, a local endpoint serves
    /// them all) and the date against `now`.
    pub(crate) fn parse(request: &RequestParts<'r>, now: DateTime<Utc>, service: &str) -> Result<Self, AuthError> {
        let header = authorization_header(request)?;
        let (credential, signed_headers, signature) = required_params(header, request)?;
        let elements: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, scope_service, terminator] = elements[..] else {
            return Err(AuthError::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
                 got '{credential}'"
            )));
        };
        let amz_date = match request.header("x-amz-date") {
            Some(value) => std::str::from_utf8(value).unwrap_or("").trim(),
            // Stepyard's own text: AWS also accepts a `Date` header, which the
            // SDKs never send instead of X-Amz-Date.
            None => {
                return Err(AuthError::IncompleteSignature(
                    "Stepyard checks signatures against the X-Amz-Date header; this request has only a Date header."
                        .into(),
                ));
            }
        };
        // Confirmed text; that it comes as IncompleteSignatureException is not.
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            AuthError::IncompleteSignature(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into(),
            )
        })?;
        check_skew(signed_at, now)?;
        let scope = [date, region, scope_service, terminator];
        check_scope(scope, amz_date, service)?;
        let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_ascii_lowercase).collect();
        if !signed_headers.iter().any(|h| h == "host" || h == ":authority") {
            // Confirmed text; that it comes as IncompleteSignatureException is not.
            return Err(AuthError::IncompleteSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
            ));
        }
        Ok(Authorization {
            access_key_id,
            scope,
            amz_date,
            signed_headers,
            signature,
        })
    }

    /// The access key id the request names (not yet known to exist).
    pub(crate) fn access_key_id(&self) -> &'r str {
        self.access_key_id
    }

    /// Checks the signature of `request` (the one this was parsed from)
    /// against `secret_access_key`, comparing in constant time.
    pub(crate) fn verify(&self, request: &RequestParts<'_>, secret_access_key: &str) -> Result<(), AuthError> {
        let body_hash = hex(&Sha256::digest(request.body));
        let payload_hash = match request.header("x-amz-content-sha256") {
            None => body_hash,
            Some(value) => {
                // A signed hash of another body would let the body be swapped.
                let value = std::str::from_utf8(value).map(str::trim).unwrap_or("");
                if !value.eq_ignore_ascii_case(&body_hash) {
                    return Err(AuthError::PayloadHashMismatch);
                }
                value.to_owned()
            }
        };
        let canonical =
            canonical_request(request, &self.signed_headers, &payload_hash).ok_or(AuthError::SignatureDoesNotMatch)?;
        let to_sign = string_to_sign(self.amz_date, &self.scope.join("/"), &canonical);
        let [date, region, service, _] = self.scope;
        let claimed = decode_signature(self.signature).ok_or(AuthError::SignatureDoesNotMatch)?;
        let mac = hmac(
            &signing_key(secret_access_key, date, region, service),
            to_sign.as_bytes(),
        );
        mac.verify_slice(&claimed).map_err(|_| AuthError::SignatureDoesNotMatch)
    }
}

/// The one `Authorization` header, as text.
fn authorization_header<'r>(request: &RequestParts<'r>) -> Result<&'r str, AuthError> {
    let mut values = request.header_values("authorization");
    let raw = values.next().ok_or(AuthError::MissingAuthenticationToken)?;
    if values.next().is_some() {
        // Stepyard's own text: which of two signatures would AWS check?
        return Err(AuthError::IncompleteSignature(
            "The request has more than one Authorization header.".into(),
        ));
    }
    let header = std::str::from_utf8(raw).map_err(|_| {
        AuthError::IncompleteSignature(format!(
            "Authorization header is not valid UTF-8: '{}'.",
            String::from_utf8_lossy(raw)
        ))
    })?;
    match header.trim() {
        "" => Err(AuthError::MissingAuthenticationToken),
        header => Ok(header),
    }
}

/// `Credential`, `SignedHeaders` and `Signature`, or AWS's list of what is
/// missing (a date header included).
fn required_params<'h>(header: &'h str, request: &RequestParts<'_>) -> Result<(&'h str, &'h str, &'h str), AuthError> {
    let params = header_params(header)?;
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", params.credential),
        ("Signature", params.signature),
        ("SignedHeaders", params.signed_headers),
    ] {
        if value.is_none() {
            let _ = write!(missing, "Authorization header requires '{name}' parameter. ");
        }
    }
    if request.header("x-amz-date").is_none() && request.header("date").is_none() {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    match (params.credential, params.signed_headers, params.signature) {
        (Some(credential), Some(signed_headers), Some(signature)) if missing.is_empty() => {
            Ok((credential, signed_headers, signature))
        }
        _ => Err(AuthError::IncompleteSignature(format!(
            "{missing}Authorization={header}"
        ))),
    }
}

/// The three parameters of an `AWS4-HMAC-SHA256` header, where present.
#[derive(Default)]
struct HeaderParams<'h> {
    credential: Option<&'h str>,
    signed_headers: Option<&'h str>,
    signature: Option<&'h str>,
}

/// Splits `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` into
/// its parameters. Like AWS, any separator of commas and whitespace will do
/// (so `Credential= AKID/…` is a `Credential=` with nothing, then a token
/// without `=`), and a header of another scheme simply has no parameters.
fn header_params(header: &str) -> Result<HeaderParams<'_>, AuthError> {
    let mut params = HeaderParams::default();
    let Some(rest) = header.strip_prefix(ALGORITHM).filter(|r| r.starts_with([' ', '\t'])) else {
        return Ok(params);
    };
    for token in rest.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        let Some((key, value)) = token.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut params.credential,
            "SignedHeaders" => &mut params.signed_headers,
            "Signature" => &mut params.signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    Ok(params)
}

/// The scope must name `service`, a region, the request's day and `aws4_request`.
fn check_scope(
    [date, region, service, terminator]: [&str; 4],
    amz_date: &str,
    expected: &str,
) -> Result<(), AuthError> {
    if terminator != TERMINATOR {
        // Not confirmed.
        return Err(AuthError::InvalidScope(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        )));
    }
    if service != expected {
        return Err(AuthError::InvalidScope(format!(
            "Credential should be scoped to correct service: '{expected}'. "
        )));
    }
    if region.is_empty() {
        return Err(AuthError::InvalidScope(format!(
            "Credential should be scoped to a valid region, not '{region}'. "
        )));
    }
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if date != day {
        // Not confirmed.
        return Err(AuthError::InvalidScope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{date}' != '{day}', from '{amz_date}'."
        )));
    }
    Ok(())
}

/// `yyyyMMdd'T'HHmmss'Z'`, strictly.
fn parse_amz_date(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(4..6)?, num(6..8)?)?;
    let time = date.and_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?)?;
    Some(time.and_utc())
}

fn amz_date(time: &DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

fn check_skew(signed_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), AuthError> {
    if let Some(earliest) = now.checked_sub_signed(MAX_CLOCK_SKEW)
        && signed_at < earliest
    {
        return Err(AuthError::SignatureExpired {
            signed_at,
            earliest,
            now,
        });
    }
    if let Some(latest) = now.checked_add_signed(MAX_CLOCK_SKEW)
        && signed_at > latest
    {
        return Err(AuthError::SignatureNotYetCurrent { signed_at, latest, now });
    }
    Ok(())
}

/// 64 lower-case hex digits, as the SDKs write a signature; anything else
/// cannot match.
fn decode_signature(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 || !bytes.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(out)
}

pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub(crate) fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes()).finalize();
    let k_region = hmac(&k_date.into_bytes(), region.as_bytes()).finalize();
    let k_service = hmac(&k_region.into_bytes(), service.as_bytes()).finalize();
    hmac(&k_service.into_bytes(), TERMINATOR.as_bytes())
        .finalize()
        .into_bytes()
        .into()
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Signs `request` as an SDK would and returns the `Authorization` header
/// value: every header of the request is signed (an `authorization` header
/// already there is skipped); `x-amz-date` (and `host`) must be among them.
/// For tests and tools that talk to `stepyard serve`; the server never signs.
pub fn sign(
    request: &RequestParts<'_>,
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    service: &str,
) -> Result<String, AuthError> {
    let amz_date = request
        .header("x-amz-date")
        .and_then(|v| std::str::from_utf8(v).ok())
        .ok_or_else(|| AuthError::IncompleteSignature("sign: the request has no X-Amz-Date header".into()))?;
    let mut names: Vec<String> = request
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "authorization")
        .collect();
    names.sort();
    names.dedup();
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(v) => String::from_utf8_lossy(v).trim().to_owned(),
        None => hex(&Sha256::digest(request.body)),
    };
    let canonical = canonical_request(request, &names, &payload_hash).unwrap_or_default();
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{date}/{region}/{service}/{TERMINATOR}");
    let to_sign = string_to_sign(amz_date, &scope, &canonical);
    let key = signing_key(secret_access_key, date, region, service);
    let signature = hex(&hmac(&key, to_sign.as_bytes()).finalize().into_bytes());
    Ok(format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    ))
}

#[cfg(test)]
mod tests;
