//! The web client's files: Vite's bundles under `assets/`, and the page (`index.html`) for
//! every other path that is not a file.

use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(web_dir: &Path) -> Router {
    // Directories are neither listed nor redirected to: ServeDir's redirect to the path with a
    // slash kept the path as it came, so `//assets` answered `Location: //assets/`, which a
    // browser reads as another host. A directory is a path like any other: it gets the page.
    let page = ServeDir::new(web_dir)
        .append_index_html_on_directories(false)
        .fallback(ServeFile::new(web_dir.join("index.html")));
    let assets = ServeDir::new(web_dir.join("assets")).append_index_html_on_directories(false);
    Router::new()
        .nest_service("/assets", assets)
        .fallback_service(page)
}
