//! Signature Version 4 against AWS's published vectors (`vectors`), then
//! every way a request can fail to authenticate (`failures`).

use chrono::{DateTime, Utc};

use super::*;

mod failures;
mod vectors;

fn authorization(scope: &str, signed_headers: &str, signature: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed_headers}, Signature={signature}")
}

/// Owns what a `RequestParts` borrows.
struct Owned {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Owned {
    fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Owned {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Owned {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Owned {
        self.headers.push((name.into(), value.as_bytes().to_vec()));
        self
    }

    fn without_header(mut self, name: &str) -> Owned {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn check(&self, now: DateTime<Utc>, service: &str, secret: &str) -> Result<(), AuthError> {
        let headers: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let request = RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        Authorization::parse(&request, now, service)?.verify(&request, secret)
    }

    fn sign(&self, key: &str, secret: &str, region: &str, service: &str) -> String {
        let headers: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let request = RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        super::sign(&request, key, secret, region, service).unwrap()
    }
}
