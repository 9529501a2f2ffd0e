//! Refuses, before any route runs, a request whose path or query string
//! holds text PostgreSQL cannot store.
//!
//! PostgreSQL's `text` cannot hold the NUL character (U+0000): a query
//! parameter or path segment carrying one would fail inside the database
//! (a 500) the moment it reached a query. A request line cannot carry a raw
//! NUL byte (the HTTP parser refuses it), so it can only arrive
//! percent-encoded, as `%00`. Such a request is a `400 VALIDATION_FAILED`
//! naming each offending query parameter, or the path parameter
//! (`{id}` -> `id`, else `path`). Checking here, once, covers every route,
//! including routes added later; request bodies are checked field by field
//! where they are read ([`crate::extract::Fields`]).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use crate::ApiError;
use crate::error::FieldError;

/// What the refusal says about a field.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// See the module documentation.
pub async fn refuse_unstorable_text(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let errors = unstorable_target(req.request());
    if errors.is_empty() {
        next.call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body)
    } else {
        Ok(req
            .error_response(ApiError::validation(errors))
            .map_into_boxed_body())
    }
}

/// Every path and query parameter of `req` that holds a NUL character.
fn unstorable_target(req: &HttpRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let path = req.path();
    if has_encoded_nul(path) {
        let field = path_field(path, req.match_pattern().as_deref());
        errors.push(nul_error(&field));
    }
    let query = req.query_string();
    if has_encoded_nul(query) {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map(web::Query::into_inner)
            .unwrap_or_default();
        let mut fields: Vec<&str> = Vec::new();
        for (key, value) in &pairs {
            // A parameter whose very name holds the NUL is named `query`.
            let field = if key.contains('\0') {
                "query"
            } else if value.contains('\0') {
                key.as_str()
            } else {
                continue;
            };
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        if fields.is_empty() {
            fields.push("query");
        }
        errors.extend(fields.into_iter().map(nul_error));
    }
    errors
}

/// A NUL byte can only arrive percent-encoded in a request target.
fn has_encoded_nul(raw: &str) -> bool {
    raw.contains("%00")
}

/// The name of the path parameter whose segment carries the NUL, when the
/// path matches a route pattern with a parameter there; else `path`.
fn path_field(path: &str, pattern: Option<&str>) -> String {
    let Some(pattern) = pattern else {
        return "path".to_owned();
    };
    path.split('/')
        .zip(pattern.split('/'))
        .find(|(segment, _)| has_encoded_nul(segment))
        .and_then(|(_, template)| {
            let name = template.strip_prefix('{')?.strip_suffix('}')?;
            Some(name.split(':').next().unwrap_or(name).to_owned())
        })
        .unwrap_or_else(|| "path".to_owned())
}

fn nul_error(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: NUL_MESSAGE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_parameter_is_named_by_its_pattern() {
        assert_eq!(
            path_field("/api/horses/%00", Some("/api/horses/{id}")),
            "id"
        );
        assert_eq!(
            path_field(
                "/api/training/status/1%002",
                Some("/api/training/status/{horseId}")
            ),
            "horseId"
        );
        assert_eq!(path_field("/api/hor%00ses", None), "path");
        assert_eq!(path_field("/api/x%00/{id}", Some("/api/x/{id}")), "path");
    }

    #[test]
    fn only_a_percent_encoded_nul_counts() {
        assert!(has_encoded_nul("name=%00x"));
        assert!(!has_encoded_nul("name=%2500"));
        assert!(!has_encoded_nul("name=0"));
    }
}
