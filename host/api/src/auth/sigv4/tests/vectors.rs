//! AWS's published vectors. The expected signatures are AWS's, not this
//! implementation's: the SigV4 test suite (`aws-sig-v4-test-suite`, as shipped
//! in awslabs/aws-c-auth's `tests/aws-signing-test-suite/v4`: credentials
//! AKIDEXAMPLE, 2015-08-30 12:36:00Z, us-east-1, service `service`) and the
//! IAM `ListUsers` example and signing-key derivation of the General
//! Reference's SigV4 pages.

use chrono::TimeZone;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_SCOPE: &str = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

fn suite_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
}

/// A request of the test suite, as its `header-signed-request.txt` shows it.
struct Vector {
    name: &'static str,
    method: &'static str,
    /// Path and query as on the request line.
    target: &'static str,
    /// Headers other than Authorization, in the file's order.
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    signed_headers: &'static str,
    signature: &'static str,
}

const HOST: (&str, &str) = ("Host", "example.amazonaws.com");
const DATE: (&str, &str) = ("X-Amz-Date", "20150830T123600Z");

impl Vector {
    fn request(&self) -> Owned {
        Owned::new(self.method, self.target, self.headers, self.body).with_header(
            "Authorization",
            &authorization(SUITE_SCOPE, self.signed_headers, self.signature),
        )
    }
}

fn assert_vectors_verify(vectors: &[Vector]) {
    for v in vectors {
        if let Err(e) = v.request().check(suite_time(), "service", SECRET) {
            panic!("{}: {e}", v.name);
        }
    }
}

#[test]
fn aws_suite_vanilla_requests_verify() {
    assert_vectors_verify(&[
        Vector {
            name: "get-vanilla",
            method: "GET",
            target: "/",
            headers: &[HOST, DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "post-vanilla",
            method: "POST",
            target: "/",
            headers: &[HOST, DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        },
        Vector {
            name: "post-vanilla-query",
            method: "POST",
            target: "/?Param1=value1",
            headers: &[HOST, DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        },
    ]);
}

#[test]
fn aws_suite_paths_are_normalised_then_encoded() {
    let plain = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let v = |name, target, signature| Vector {
        name,
        method: "GET",
        target,
        headers: &[HOST, DATE],
        body: "",
        signed_headers: "host;x-amz-date",
        signature,
    };
    assert_vectors_verify(&[
        v("get-relative-relative-normalized", "/example1/example2/../..", plain),
        v("get-slash-dot-slash-normalized", "/./", plain),
        v(
            "get-slashes-normalized",
            "//example//",
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        ),
        v(
            "get-space-normalized",
            "/example space/",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        ),
        v(
            "get-utf8",
            "/ሴ",
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        ),
        v(
            "get-unreserved",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        ),
    ]);
}

#[test]
fn aws_suite_query_parameters_are_sorted_and_encoded() {
    let v = |name, target, signature| Vector {
        name,
        method: "GET",
        target,
        headers: &[HOST, DATE],
        body: "",
        signed_headers: "host;x-amz-date",
        signature,
    };
    assert_vectors_verify(&[
        v(
            "get-vanilla-query-order-key-case",
            "/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        v(
            "get-vanilla-query-order-encoded",
            "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
        ),
        v(
            "get-vanilla-utf8-query",
            "/?ሴ=bar",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        ),
        v(
            "get-vanilla-query-unreserved",
            "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=\
             -._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        ),
    ]);
}

#[test]
fn aws_suite_header_values_are_trimmed_folded_and_joined() {
    let v = |name, method, headers, signature| Vector {
        name,
        method,
        target: "/",
        headers,
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        signature,
    };
    assert_vectors_verify(&[
        v(
            "get-header-key-duplicate",
            "GET",
            &[
                HOST,
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
                DATE,
            ],
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        ),
        v(
            "get-header-value-order",
            "GET",
            &[
                HOST,
                ("My-Header1", "value4"),
                ("My-Header1", "value1"),
                ("My-Header1", "value3"),
                ("My-Header1", "value2"),
                DATE,
            ],
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        ),
        v(
            "get-header-value-multiline",
            "GET",
            &[HOST, ("My-Header1", "value1\n  value2\n     value3"), DATE],
            "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
        ),
        v(
            "post-header-key-sort",
            "POST",
            &[HOST, ("My-Header1", "value1"), DATE],
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        ),
        v(
            "post-header-value-case",
            "POST",
            &[HOST, ("My-Header1", "VALUE1"), DATE],
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        ),
    ]);
    assert_vectors_verify(&[Vector {
        name: "get-header-value-trim",
        method: "GET",
        target: "/",
        headers: &[HOST, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\""), DATE],
        body: "",
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    }]);
}

#[test]
fn aws_suite_signed_payload_hash_header_is_honoured() {
    const HASH: (&str, &str) = (
        "x-amz-content-sha256",
        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    );
    let signed = "content-length;content-type;host;x-amz-content-sha256;x-amz-date";
    assert_vectors_verify(&[
        Vector {
            name: "post-x-www-form-urlencoded",
            method: "POST",
            target: "/",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                HOST,
                ("Content-Length", "13"),
                DATE,
                HASH,
            ],
            body: "Param1=value1",
            signed_headers: signed,
            signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
        },
        Vector {
            name: "post-x-www-form-urlencoded-parameters",
            method: "POST",
            target: "/",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                HOST,
                ("Content-Length", "13"),
                DATE,
                HASH,
            ],
            body: "Param1=value1",
            signed_headers: signed,
            signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
        },
    ]);
}

#[test]
fn aws_suite_security_token_is_just_another_signed_header() {
    const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRq\
                         TflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75\
                         YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX\
                         9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    assert_vectors_verify(&[
        Vector {
            name: "post-sts-header-before",
            method: "POST",
            target: "/",
            headers: &[HOST, ("X-Amz-Security-Token", TOKEN), DATE],
            body: "",
            signed_headers: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
        },
        Vector {
            name: "get-vanilla-with-session-token",
            method: "GET",
            target: "/",
            headers: &[
                HOST,
                DATE,
                (
                    "X-Amz-Security-Token",
                    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                ),
            ],
            body: "",
            signed_headers: "host;x-amz-date;x-amz-security-token",
            signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        },
    ]);
}

#[test]
fn canonical_requests_match_the_suite_text() {
    let canonical = |target: &str, headers: &[(&str, &str)], body: &str, signed: &str| {
        let o = Owned::new("POST", target, headers, body);
        let headers: Vec<(&str, &[u8])> = o.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let request = RequestParts {
            method: &o.method,
            path: &o.path,
            query: &o.query,
            headers: &headers,
            body: &o.body,
        };
        let names: Vec<String> = signed.split(';').map(String::from).collect();
        canonical_request(&request, &names, &hex(&Sha256::digest(body.as_bytes()))).unwrap()
    };
    // post-x-www-form-urlencoded/header-canonical-request.txt
    assert_eq!(
        canonical(
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                HOST,
                ("Content-Length", "13"),
                DATE,
                (
                    "x-amz-content-sha256",
                    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
                ),
            ],
            "Param1=value1",
            "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        ),
        "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n\
         x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n\
         x-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n\
         9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
    );
    // get-vanilla-query-order-encoded and get-header-value-trim (with POST).
    assert_eq!(
        canonical(
            "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            &[HOST, ("My-Header2", " \"a   b   c\""), DATE],
            "",
            "host;my-header2;x-amz-date",
        ),
        "POST\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\n\
         my-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header2;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn signing_key_derivation_matches_the_documented_examples() {
    // "Examples of how to derive a signing key for Signature Version 4".
    assert_eq!(
        hex(&signing_key(SECRET, "20120215", "us-east-1", "iam")),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
    // "Calculate the signature": the ListUsers example's key.
    assert_eq!(
        hex(&signing_key(SECRET, "20150830", "us-east-1", "iam")),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
}

fn iam_list_users() -> Owned {
    Owned::new(
        "GET",
        "/?Action=ListUsers&Version=2010-05-08",
        &[
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Host", "iam.amazonaws.com"),
            DATE,
        ],
        "",
    )
}

#[test]
fn iam_list_users_example_verifies_and_hashes_as_documented() {
    let signed = iam_list_users().with_header(
        "Authorization",
        &authorization(
            "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
            "content-type;host;x-amz-date",
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        ),
    );
    signed.check(suite_time(), "iam", SECRET).unwrap();

    let o = iam_list_users();
    let headers: Vec<(&str, &[u8])> = o.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    let request = RequestParts {
        method: &o.method,
        path: &o.path,
        query: &o.query,
        headers: &headers,
        body: &o.body,
    };
    let names = ["content-type", "host", "x-amz-date"].map(String::from);
    let canonical = canonical_request(&request, &names, &hex(&Sha256::digest(b""))).unwrap();
    assert_eq!(
        hex(&Sha256::digest(canonical.as_bytes())),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
}

#[test]
fn sign_produces_the_documented_authorization_headers() {
    let get = Owned::new("GET", "/", &[HOST, DATE], "");
    assert_eq!(
        get.sign("AKIDEXAMPLE", SECRET, "us-east-1", "service"),
        authorization(
            SUITE_SCOPE,
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    );
    assert_eq!(
        iam_list_users().sign("AKIDEXAMPLE", SECRET, "us-east-1", "iam"),
        authorization(
            "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
            "content-type;host;x-amz-date",
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
    );
}
