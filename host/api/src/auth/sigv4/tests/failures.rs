//! Every way a Step Functions request can fail to authenticate, and that
//! none of them panics.

use chrono::{TimeDelta, TimeZone};
use proptest::prelude::*;

use super::*;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const STATES_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &str = r#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Foo"}"#;

fn states_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn unsigned_states_request(body: &str) -> Owned {
    Owned::new(
        "POST",
        "/",
        &[
            ("Host", "localhost:8083"),
            ("X-Amz-Target", "AWSStepFunctions.StartExecution"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Date", "20261125T100000Z"),
        ],
        body,
    )
}

fn states_request() -> Owned {
    let unsigned = unsigned_states_request(BODY);
    let header = unsigned.sign(KEY, STATES_SECRET, "us-east-1", SERVICE);
    unsigned.with_header("Authorization", &header)
}

fn check_states(request: &Owned, now: DateTime<Utc>) -> Result<(), AuthError> {
    request.check(now, SERVICE, STATES_SECRET)
}

#[test]
fn a_request_signed_like_boto3_verifies_and_unsigned_headers_may_change() {
    check_states(&states_request(), states_time()).unwrap();
    // User-Agent is not signed (the SDKs leave it out); changing it is fine.
    check_states(&states_request().with_header("User-Agent", "Boto3/1.40"), states_time()).unwrap();
}

#[test]
fn wrong_secret_is_an_invalid_signature() {
    let err = states_request()
        .check(states_time(), SERVICE, "not-the-secret")
        .unwrap_err();
    assert_eq!(err, AuthError::SignatureDoesNotMatch);
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.to_string(),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
         Access Key and signing method. Consult the service documentation for details."
    );
}

#[test]
fn tampered_body_is_an_invalid_signature() {
    let mut tampered = states_request();
    tampered.body = br#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Bar"}"#.to_vec();
    assert_eq!(
        check_states(&tampered, states_time()),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn tampered_body_under_a_signed_payload_hash_is_refused() {
    let hash = hex(&Sha256::digest(BODY.as_bytes()));
    let unsigned = unsigned_states_request(BODY).with_header("X-Amz-Content-Sha256", &hash);
    let header = unsigned.sign(KEY, STATES_SECRET, "us-east-1", SERVICE);
    let mut tampered = unsigned.with_header("Authorization", &header);
    check_states(&tampered, states_time()).unwrap();
    tampered.body = b"{}".to_vec();
    let err = check_states(&tampered, states_time()).unwrap_err();
    assert_eq!(err, AuthError::PayloadHashMismatch);
    assert_eq!(err.code(), "InvalidSignatureException");
}

#[test]
fn tampered_signed_header_is_an_invalid_signature() {
    let request = states_request()
        .without_header("X-Amz-Target")
        .with_header("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine");
    assert_eq!(
        check_states(&request, states_time()),
        Err(AuthError::SignatureDoesNotMatch)
    );
    // A signed header that is gone cannot match either.
    let request = states_request().without_header("X-Amz-Target");
    assert_eq!(
        check_states(&request, states_time()),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn garbled_signatures_do_not_match() {
    let signed = states_request();
    let header = String::from_utf8(signed.headers.last().unwrap().1.clone()).unwrap();
    let good = header.rsplit_once("Signature=").unwrap().1.to_owned();
    for bad in [
        String::new(),
        "xyz".into(),
        good.to_uppercase(),
        format!("{good}00"),
        good[..63].into(),
    ] {
        let request = unsigned_states_request(BODY).with_header("Authorization", &header.replace(&good, &bad));
        assert_eq!(
            check_states(&request, states_time()),
            Err(AuthError::SignatureDoesNotMatch),
            "{bad}"
        );
    }
}

#[test]
fn date_more_than_five_minutes_old_is_expired() {
    let at_limit = states_time() + MAX_CLOCK_SKEW;
    check_states(&states_request(), at_limit).unwrap();
    let err = check_states(&states_request(), at_limit + TimeDelta::seconds(1)).unwrap_err();
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20261125T100000Z is now earlier than 20261125T100001Z (20261125T100501Z - 5 min.)"
    );
}

#[test]
fn date_more_than_five_minutes_ahead_is_not_yet_current() {
    check_states(&states_request(), states_time() - MAX_CLOCK_SKEW).unwrap();
    let err = check_states(&states_request(), states_time() - TimeDelta::minutes(6)).unwrap_err();
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20261125T100000Z is still later than 20261125T095900Z (20261125T095400Z + 5 min.)"
    );
}

#[test]
fn no_authorization_header_is_a_missing_token() {
    for request in [
        unsigned_states_request(BODY),
        unsigned_states_request(BODY).with_header("Authorization", "  "),
    ] {
        let err = check_states(&request, states_time()).unwrap_err();
        assert_eq!(err, AuthError::MissingAuthenticationToken);
        assert_eq!(err.code(), "MissingAuthenticationTokenException");
        assert_eq!(err.to_string(), "Missing Authentication Token");
    }
}

fn incomplete(request: Owned) -> String {
    match check_states(&request, states_time()) {
        Err(e @ AuthError::IncompleteSignature(_)) => {
            assert_eq!(e.code(), "IncompleteSignatureException");
            assert_eq!(e.status(), 400);
            e.to_string()
        }
        other => panic!("expected IncompleteSignature, got {other:?}"),
    }
}

#[test]
fn missing_parameters_are_listed_with_the_header() {
    // The text SES answered for exactly this header.
    assert_eq!(
        incomplete(unsigned_states_request(BODY).with_header("Authorization", "AWS4-HMAC-SHA256 Credential=ABCDEF")),
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
         parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF"
    );
    // Another scheme, and no date: everything is missing.
    assert_eq!(
        incomplete(
            unsigned_states_request(BODY)
                .without_header("X-Amz-Date")
                .with_header("Authorization", "Bearer eyJ0eXAi")
        ),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
         parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
         existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer eyJ0eXAi"
    );
}

#[test]
fn a_token_without_equal_sign_is_named() {
    let header = "AWS4-HMAC-SHA256 Credential= AKID/20261125/us-east-1/states/aws4_request, \
                  SignedHeaders=host;x-amz-date, Signature=abc";
    assert_eq!(
        incomplete(unsigned_states_request(BODY).with_header("Authorization", header)),
        format!(
            "'AKID/20261125/us-east-1/states/aws4_request' not a valid key=value pair (missing equal-sign) in \
             Authorization header: '{header}'."
        )
    );
}

fn with_authorization(credential: &str, signed_headers: &str) -> Owned {
    let signature = "0".repeat(64);
    unsigned_states_request(BODY).with_header("Authorization", &authorization(credential, signed_headers, &signature))
}

#[test]
fn a_credential_needs_five_elements() {
    assert_eq!(
        incomplete(with_authorization("AKID/20261125/us-east-1/states", "host;x-amz-date")),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got \
         'AKID/20261125/us-east-1/states'"
    );
}

#[test]
fn a_scope_for_another_service_date_or_terminator_is_refused() {
    let scope_error = |credential: &str| {
        let err = check_states(&with_authorization(credential, "host;x-amz-date"), states_time()).unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        err.to_string()
    };
    assert_eq!(
        scope_error("AKID/20261125/us-east-1/dynamodb/aws4_request"),
        "Credential should be scoped to correct service: 'states'. "
    );
    assert_eq!(
        scope_error("AKID/20261125//states/aws4_request"),
        "Credential should be scoped to a valid region, not ''. "
    );
    assert_eq!(
        scope_error("AKID/20261124/us-east-1/states/aws4_request"),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != \
         '20261125', from '20261125T100000Z'."
    );
    assert_eq!(
        scope_error("AKID/20261125/us-east-1/states/aws5_request"),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    );
}

#[test]
fn any_region_is_accepted() {
    let unsigned = unsigned_states_request(BODY);
    let header = unsigned.sign(KEY, STATES_SECRET, "eu-north-1", SERVICE);
    check_states(&unsigned.with_header("Authorization", &header), states_time()).unwrap();
}

#[test]
fn a_garbled_date_is_refused() {
    for date in [
        "2026-11-25T10:00:00Z",
        "20261125T100000",
        "20261325T100000Z",
        "20261125T250000Z",
        "２０２６",
    ] {
        let request = with_authorization("AKID/20261125/us-east-1/states/aws4_request", "host;x-amz-date")
            .without_header("X-Amz-Date")
            .with_header("X-Amz-Date", date);
        assert_eq!(
            incomplete(request),
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            "{date}"
        );
    }
    let only_date = with_authorization("AKID/20261125/us-east-1/states/aws4_request", "host;x-amz-date")
        .without_header("X-Amz-Date")
        .with_header("Date", "Wed, 25 Nov 2026 10:00:00 GMT");
    assert!(incomplete(only_date).contains("X-Amz-Date"));
}

#[test]
fn host_must_be_signed() {
    assert_eq!(
        incomplete(with_authorization(
            "AKID/20261125/us-east-1/states/aws4_request",
            "x-amz-date"
        )),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn two_authorization_headers_are_refused() {
    let request = states_request().with_header("Authorization", "AWS4-HMAC-SHA256 Credential=x");
    incomplete(request);
}

#[test]
fn a_header_that_is_not_utf8_is_refused_without_panicking() {
    let mut request = unsigned_states_request(BODY);
    request
        .headers
        .push(("Authorization".into(), vec![0xff, 0xfe, b' ', 0x80]));
    assert!(incomplete(request).starts_with("Authorization header is not valid UTF-8"));
}

proptest! {
    /// Whatever arrives, checking answers; it never panics. Half the inputs
    /// are shaped closely enough to reach the signature comparison.
    #[test]
    fn checking_never_panics(
        authorization in ".{0,200}",
        key in "[A-Za-z0-9/_ =,-]{0,20}",
        scope in prop_oneof![Just("20261125/us-east-1/states/aws4_request".to_owned()), "[a-z0-9/_ -]{0,40}"],
        signed in prop_oneof![Just("host;x-amz-date;x-amz-target".to_owned()), "[A-Za-z;: -]{0,40}"],
        signature in "[0-9a-fA-F ,]{0,70}",
        date in prop_oneof![Just("20261125T100000Z".to_owned()), "[0-9TZ]{0,20}"],
        path in ".{0,40}",
        query in ".{0,40}",
        raw in proptest::collection::vec(any::<u8>(), 0..40),
        skew in -600i64..600,
    ) {
        let shaped = format!("AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}");
        for header in [authorization.as_bytes(), shaped.as_bytes(), raw.as_slice()] {
            for hash in [None, Some(raw.as_slice())] {
                let mut headers: Vec<(&str, &[u8])> = vec![
                    ("Host", b"localhost"),
                    ("x-amz-date", date.as_bytes()),
                    ("X-Amz-Target", raw.as_slice()),
                    ("authorization", header),
                ];
                headers.extend(hash.map(|h| ("x-amz-content-sha256", h)));
                let request = RequestParts { method: "POST", path: &path, query: &query, headers: &headers, body: &raw };
                let now = states_time() + TimeDelta::seconds(skew);
                if let Ok(parsed) = Authorization::parse(&request, now, SERVICE) {
                    prop_assert!(parsed.verify(&request, STATES_SECRET).is_err());
                }
            }
        }
    }
}
