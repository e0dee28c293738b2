//! The web client's files: Vite's bundles under `assets/`, and the page (`index.html`) for
//! every other path that is not a file, with the headers that protect the page.

use axum::Router;
use axum::http::{HeaderValue, Response, header};
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

/// What the built pages load: their own scripts and stylesheets, the `data:` favicon, and the
/// signaling socket and API ('self' covers ws: and wss: to the page's own host). Nothing
/// inline, no eval, plugins, framing, `<base>` or form posts. Live video and voice are
/// `MediaStream`s given to `srcObject`, which no fetch directive governs; the recordings'
/// player plays through Media Source Extensions, whose `blob:` URLs `media-src` allows. The
/// pages set styles only through `element.style`, which `style-src` allows. See
/// docs/decisions/page-security-headers.md.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src data:; media-src blob:; connect-src 'self'; base-uri 'none'; object-src 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// Vite names the files in `assets/` after their content, so a browser may keep them: a new
/// build brings new names. The page names them and its address carried the invite token: it
/// is never stored.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// The trainers' page: the library at `/recordings`, a recording's player at
/// `/recordings/<id>` (the page reads the id from its path).
const RECORDINGS_PAGE: &str = "recordings.html";

pub fn service(web_dir: &Path) -> Router {
    // Directories are neither listed nor redirected to: ServeDir's redirect to the path with a
    // slash kept the path as it came, so `//assets` answered `Location: //assets/`, which a
    // browser reads as another host. A directory is a path like any other: it gets the page.
    let page = ServeDir::new(web_dir)
        .append_index_html_on_directories(false)
        .fallback(ServeFile::new(web_dir.join("index.html")));
    let page = SetResponseHeader::overriding(
        page,
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    let assets = ServeDir::new(web_dir.join("assets")).append_index_html_on_directories(false);
    // Only what was found: a missing bundle may appear with the next build.
    let assets = SetResponseHeader::overriding(assets, header::CACHE_CONTROL, |r: &Response<_>| {
        r.status()
            .is_success()
            .then(|| HeaderValue::from_static(ASSET_CACHE))
    });
    let recordings = SetResponseHeader::overriding(
        ServeFile::new(web_dir.join(RECORDINGS_PAGE)),
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Router::new()
        .nest_service("/assets", assets)
        .route_service("/recordings", recordings.clone())
        .route_service("/recordings/{id}", recordings)
        .fallback_service(page)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        ))
}
