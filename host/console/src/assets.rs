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

/// Where the page's files are linked from: `/console/v/VERSION/`, VERSION
/// naming the embedded files' content. A browser keeps them for a year and
/// asks for none of them again (the page has about thirty modules, and even
/// a 304 each cost a visit about 40 ms); a new build has a new VERSION, so
/// the page it serves links new URLs.
const VERSIONED: &str = "/console/v/";

/// `GET /`: the console's page, its links to files versioned.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    if std::env::var_os(ASSETS_DIR_VARIABLE).is_some() {
        return serve("index.html", &headers, Caching::Revalidate);
    }
    let mut response = (StatusCode::OK, versioned_index()).into_response();
    with_headers(&mut response, "index.html", Caching::Revalidate);
    response
}

/// `GET /console/PATH`: one of the page's files; `v/VERSION/PATH` is the
/// same file, kept by the browser when VERSION is this build's.
pub(crate) async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match path.strip_prefix("v/").and_then(|rest| rest.split_once('/')) {
        // A page from an older build asks with its version: the current
        // file, but not to be kept under that name.
        Some((version, file)) if version == assets_version() && std::env::var_os(ASSETS_DIR_VARIABLE).is_none() => {
            serve(file, &headers, Caching::Immutable)
        }
        Some((_, file)) => serve(file, &headers, Caching::Revalidate),
        None => serve(&path, &headers, Caching::Revalidate),
    }
}

/// How long a browser may keep a file.
#[derive(Clone, Copy)]
enum Caching {
    /// Ask each time (with the ETag: a 304 when unchanged).
    Revalidate,
    /// Keep it: its URL names its content.
    Immutable,
}

/// The embedded files' version: a hash of every file's hash.
fn assets_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        let mut all = Sha256::new();
        for name in names {
            if let Some(file) = Assets::get(&name) {
                all.update(name.as_bytes());
                all.update(file.metadata.sha256_hash());
            }
        }
        all.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    })
}

/// The embedded page with every `/console/` file link versioned (the
/// endpoints it also names, `/console/session` and `/console/live`, are
/// not files and keep their paths).
fn versioned_index() -> &'static str {
    static INDEX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let page =
            Assets::get("index.html").map_or_else(String::new, |f| String::from_utf8_lossy(&f.data).into_owned());
        let prefix = format!("{VERSIONED}{}/", assets_version());
        ["css/", "js/", "vendor/"].iter().fold(page, |page, dir| {
            page.replace(&format!("\"/console/{dir}"), &format!("\"{prefix}{dir}"))
        })
    })
}

/// Set to a folder holding the console's files (normally `host/console/assets`),
/// the page is read from there at each request instead of from the binary,
/// so a console developer edits and reloads without rebuilding.
const ASSETS_DIR_VARIABLE: &str = "STEPYARD_CONSOLE_DIR";

fn serve(path: &str, request: &HeaderMap, caching: Caching) -> Response {
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
    with_headers(&mut response, path, caching);
    response
}

/// The headers every console file gets: its type, how long to keep it, and
/// what the page may do.
fn with_headers(response: &mut Response, path: &str, caching: Caching) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match caching {
            Caching::Revalidate => "no-cache",
            Caching::Immutable => "public, max-age=31536000, immutable",
        }),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
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
        let first = serve("index.html", &HeaderMap::new(), Caching::Revalidate);
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers().get(header::ETAG).unwrap().clone();
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            serve("index.html", &again, Caching::Revalidate).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            serve("nope.js", &HeaderMap::new(), Caching::Revalidate).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn the_page_links_its_files_under_this_builds_version_and_those_are_kept() {
        let page = versioned_index();
        let prefix = format!("/console/v/{}/", assets_version());
        assert!(page.contains(&format!("src=\"{prefix}js/app.js\"")), "{page}");
        assert!(page.contains(&format!("href=\"{prefix}css/console.css\"")));
        assert!(!page.contains("\"/console/js/"), "every module link is versioned");
        assert!(page.contains("\"/console/session\""), "an endpoint keeps its path");
        let cache = |r: &Response| r.headers()[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        let kept = file(Path(format!("v/{}/js/app.js", assets_version())), HeaderMap::new()).await;
        assert_eq!(kept.status(), StatusCode::OK);
        assert_eq!(cache(&kept), "public, max-age=31536000, immutable");
        // A page of an older build gets today's file, not to be kept.
        let old = file(Path("v/0000000000000000/js/app.js".to_owned()), HeaderMap::new()).await;
        assert_eq!((old.status(), cache(&old)), (StatusCode::OK, "no-cache".to_owned()));
        let plain = file(Path("js/app.js".to_owned()), HeaderMap::new()).await;
        assert_eq!(cache(&plain), "no-cache");
        assert_eq!(index(HeaderMap::new()).await.status(), StatusCode::OK);
    }
}
