//! The page and its files, compiled into the binary.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
pub(crate) struct Assets;

/// What a browser may do with the page: scripts and styles from this server
/// only (no inline script, so text that slipped into the page as markup
/// still could not run), no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// `GET /`: the console's page.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /console/PATH`: one of the page's files.
pub(crate) async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

/// Set to a folder holding the console's files (normally `host/console/assets`),
/// the page is read from there at each request instead of from the binary,
/// so a console developer edits and reloads without rebuilding.
const ASSETS_DIR_VARIABLE: &str = "STEPYARD_CONSOLE_DIR";

fn serve(path: &str, request: &HeaderMap) -> Response {
    let mut response = match std::env::var_os(ASSETS_DIR_VARIABLE) {
        Some(dir) => match read_from(std::path::Path::new(&dir), path) {
            Some(data) => (StatusCode::OK, data).into_response(),
            None => return not_found(),
        },
        None => match Assets::get(path) {
            Some(file) => embedded(file, request),
            None => return not_found(),
        },
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such file in the console").into_response()
}

/// An embedded file, or 304 when the browser already has this version.
fn embedded(file: rust_embed::EmbeddedFile, request: &HeaderMap) -> Response {
    // The hash names the content: a browser that has it revalidates with
    // one header and gets 304, and sees a new version after an upgrade.
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut response = if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, file.data.into_owned()).into_response()
    };
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A console file read from `dir` (see [`ASSETS_DIR_VARIABLE`]): only plain
/// names below it, never `..` or an absolute path.
fn read_from(dir: &std::path::Path, path: &str) -> Option<Vec<u8>> {
    let relative = std::path::Path::new(path);
    let plain = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return None;
    }
    std::fs::read(dir.join(relative)).ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") | Some("md") | None => "text/plain; charset=utf-8",
        Some(_) => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_modules_are_embedded_with_their_types() {
        for path in [
            "index.html",
            "js/app.js",
            "css/console.css",
            "vendor/dagre/dagre.esm.js",
        ] {
            assert!(Assets::get(path).is_some(), "{path} is not embedded");
        }
        assert_eq!(content_type("js/app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    }

    #[test]
    fn a_console_folder_gives_plain_names_below_it_only() {
        let dir = std::env::temp_dir().join(format!("sy-console-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("js")).unwrap();
        std::fs::write(dir.join("js/app.js"), "edited").unwrap();
        assert_eq!(read_from(&dir, "js/app.js").as_deref(), Some(&b"edited"[..]));
        assert_eq!(read_from(&dir, "../etc/passwd"), None);
        assert_eq!(read_from(&dir, "/etc/passwd"), None);
        assert_eq!(read_from(&dir, "js/../js/app.js"), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_known_etag_is_answered_with_not_modified() {
        let first = serve("index.html", &HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers().get(header::ETAG).unwrap().clone();
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(serve("index.html", &again).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve("nope.js", &HeaderMap::new()).status(), StatusCode::NOT_FOUND);
    }
}
