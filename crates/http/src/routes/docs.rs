//! `GET /api/docs`: an interactive reference of `/api/openapi.json` (Swagger UI), with every
//! asset embedded in the binary (`crates/http/assets/`), so the page never loads anything
//! from another host.
//!
//! Served only when [`crate::HttpSettings::api_docs_enabled`] is set; otherwise every path
//! under `/api/docs` is the usual JSON 404. These pages get a Content-Security-Policy of
//! their own ([`CONTENT_SECURITY_POLICY`], applied by the edge middleware through
//! [`is_docs_path`]); every other response keeps `default-src 'none'`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

use crate::{ApiError, AppState};

/// Path of the page; its assets live below it.
pub const PATH: &str = "/api/docs";

/// The policy of the documentation page and its assets: scripts, styles and images from this
/// server only (plus the `data:` images Swagger UI's stylesheet inlines), requests to this
/// server only (the "try it" calls), no framing, no forms, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file: its name under [`PATH`], media type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    },
    Asset {
        name: "favicon-32x32.png",
        content_type: "image/png",
        body: include_bytes!("../../assets/swagger-ui/favicon-32x32.png"),
    },
    Asset {
        name: "init.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/api-docs/init.js"),
    },
];

const PAGE: &str = include_str!("../../assets/api-docs/index.html");

/// Assets change only with the binary; a day of caching spares reloads without keeping an
/// old version around for long after a deploy.
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// True when `path` is the documentation page or one of its assets (whose responses get
/// [`CONTENT_SECURITY_POLICY`] when they succeed).
pub fn is_docs_path(path: &str) -> bool {
    path.strip_prefix(PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Registers the page and its assets (under the caller's `/api` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/docs").route(web::get().to(page)))
        .service(web::resource("/docs/{file}").route(web::get().to(asset)));
}

/// `GET /api/docs`: the page (404 when the reference is disabled).
async fn page(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    ensure_enabled(&state)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(PAGE))
}

/// `GET /api/docs/{file}`: one embedded asset, 404 for any other name.
async fn asset(
    state: web::Data<AppState>,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ensure_enabled(&state)?;
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == file.as_str())
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(ASSET_CACHE_CONTROL),
        ))
        .body(asset.body))
}

fn ensure_enabled(state: &AppState) -> Result<(), ApiError> {
    if state.settings.api_docs_enabled {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_and_paths_below_it_are_docs_paths() {
        assert!(is_docs_path("/api/docs"));
        assert!(is_docs_path("/api/docs/init.js"));
        assert!(!is_docs_path("/api/docsx"));
        assert!(!is_docs_path("/api/openapi.json"));
        assert!(!is_docs_path("/ping"));
    }

    #[test]
    fn the_page_loads_only_embedded_assets() {
        for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "init.js"] {
            let url = format!("{PATH}/{asset}");
            assert!(PAGE.contains(&url), "the page does not load {url}");
            assert!(
                ASSETS.iter().any(|a| a.name == asset),
                "{asset} is not embedded"
            );
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
    }
}
