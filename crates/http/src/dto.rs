//! Wire shapes shared by several routes: envelopes, pagination, XP histories.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use equoria_application::paging::{Page, Paged};
use equoria_application::xp::XpEvent;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::error::FieldError;

/// `{"success": true, "data": ...}`
#[derive(Debug, Serialize, ToSchema)]
pub struct Success<T> {
    pub success: bool,
    pub data: T,
}

/// Pagination facts of a list response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub limit: u32,
    pub total: i64,
    pub has_more: bool,
}

/// `{"success": true, "data": [...], "pagination": {...}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub success: bool,
    pub data: Vec<T>,
    pub pagination: Pagination,
}

pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    respond(StatusCode::OK, data)
}

pub fn created<T: Serialize>(data: T) -> HttpResponse {
    respond(StatusCode::CREATED, data)
}

fn respond<T: Serialize>(status: StatusCode, data: T) -> HttpResponse {
    HttpResponse::build(status).json(Success {
        success: true,
        data,
    })
}

/// A paginated list response.
pub fn list<T, U: Serialize>(paged: Paged<T>, f: impl FnMut(T) -> U) -> HttpResponse {
    let has_more = paged.has_more();
    let page = paged.page;
    HttpResponse::Ok().json(ListResponse {
        success: true,
        data: paged.items.into_iter().map(f).collect(),
        pagination: Pagination {
            page: page.number(),
            limit: page.limit(),
            total: paged.total,
            has_more,
        },
    })
}

/// `?page=&limit=` (defaults 1 and 20; limit 1-100).
#[derive(Debug, Clone, Copy, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    #[expect(dead_code)]
    page: Option<u32>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[expect(dead_code)]
    limit: Option<u32>,
}

/// Query parameters as pairs, for handlers that parse their own filters.
pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// Parses `page` and `limit` from the query string.
pub fn page_from(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> Page {
    let mut number = |name: &str, default: u32| -> Option<u32> {
        match pairs.iter().find(|(k, _)| k == name) {
            None => Some(default),
            Some((_, v)) => v.parse().ok().or_else(|| {
                errors.push(FieldError {
                    field: name.to_owned(),
                    message: "must be a whole number".to_owned(),
                });
                None
            }),
        }
    };
    let page = number("page", 1);
    let limit = number("limit", Page::DEFAULT_LIMIT);
    match (page, limit) {
        (Some(p), Some(l)) => Page::new(p, l).unwrap_or_else(|e| {
            let field = match e {
                equoria_application::paging::PageError::Page => "page",
                equoria_application::paging::PageError::Limit => "limit",
            };
            errors.push(FieldError {
                field: field.to_owned(),
                message: e.to_string(),
            });
            Page::FIRST
        }),
        _ => Page::FIRST,
    }
}

/// Extractor: a validated [`Page`], or 400 naming the bad parameter.
#[derive(Debug, Clone, Copy)]
pub struct Paging(pub Page);

impl FromRequest for Paging {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut errors = Vec::new();
        let page = page_from(&query_pairs(req), &mut errors);
        std::future::ready(if errors.is_empty() {
            Ok(Paging(page))
        } else {
            Err(ApiError::validation(errors))
        })
    }
}

/// A resource id from the URL path: a positive whole number, else `None`
/// (callers answer 404, since no resource has such an id).
pub fn path_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// One XP change of a player or of a horse (both XP histories).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct XpEventDto {
    pub id: i64,
    pub amount: i32,
    pub reason: String,
    pub reference: Option<String>,
    pub created_at: String,
}

impl From<XpEvent> for XpEventDto {
    fn from(e: XpEvent) -> Self {
        Self {
            id: e.id,
            amount: e.amount,
            reason: e.reason,
            reference: e.reference,
            created_at: e.created_at.to_rfc3339(),
        }
    }
}
