//! The canonical request: the text both sides hash and sign, built from the
//! request as AWS's documentation and test suite describe.

use std::fmt::Write as _;

use super::RequestParts;

/// The canonical request, or `None` when a signed header is not in the request.
pub(crate) fn request(request: &RequestParts<'_>, signed_headers: &[String], payload_hash: &str) -> Option<String> {
    let mut out = String::with_capacity(256);
    out.push_str(request.method);
    out.push('\n');
    uri(request.path, &mut out);
    out.push('\n');
    query(request.query, &mut out);
    out.push('\n');
    for name in signed_headers {
        let mut values = request.header_values(name).peekable();
        values.peek()?;
        out.push_str(name);
        out.push(':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(',');
            }
            header_value(value, &mut out);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Some(out)
}

/// The path with dot segments and empty segments removed (as the SDKs
/// normalise before signing), a trailing slash kept, each segment encoded.
fn uri(path: &str, out: &mut String) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        uri_encode(segment.as_bytes(), out);
    }
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
}

/// Parameters decoded, re-encoded strictly and sorted by name, then value.
fn query(query: &str, out: &mut String) {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let mut k = String::new();
            let mut v = String::new();
            uri_encode(&percent_decode(key), &mut k);
            uri_encode(&percent_decode(value), &mut v);
            (k, v)
        })
        .collect();
    pairs.sort();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// Trimmed, each run of whitespace (line folds included) made one space.
fn header_value(value: &[u8], out: &mut String) {
    let text = String::from_utf8_lossy(value);
    let mut words = text.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty());
    if let Some(first) = words.next() {
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
}

/// RFC 3986 encoding: everything but `A-Za-z0-9-._~` as `%XX` (upper case).
fn uri_encode(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// `%XX` decoded; anything else (a stray `%` included) kept as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

pub(super) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
