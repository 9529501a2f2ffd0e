//! Request bodies and validation.
//!
//! [`Body<T>`] reads a JSON object (415 if not JSON, 413 past the limit,
//! 400 if malformed) and lets `T` pull its fields through [`Fields`], which
//! records *every* missing field, wrong type and unknown field instead of
//! stopping at the first. The [`validate!`](crate::validate) macro then
//! parses the raw values into domain types, again collecting every failure,
//! each reported with the domain error's client message. Messages say what
//! was expected and never echo the submitted value. A field
//! holding the NUL character (which PostgreSQL cannot store) is refused
//! whatever its expected type.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use equoria_domain::ClientMessage;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::{ApiError, AppState};

/// A request DTO built from a JSON object field by field.
pub trait FromBody: Sized {
    /// Reads every field through `fields`; errors are collected there.
    fn from_body(fields: &mut Fields) -> Self;
}

/// Reader over a JSON object that collects every problem. `Debug` shows the
/// names of the fields not read yet, never their values (a password, a
/// token).
pub struct Fields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fields")
            .field("unread", &self.object.keys().collect::<Vec<_>>())
            .field("errors", &self.errors)
            .finish()
    }
}

impl Fields {
    pub fn new(object: Map<String, Value>) -> Self {
        Self {
            object,
            errors: Vec::new(),
        }
    }

    /// A field that must be present and of type `T`. On error the default
    /// value is returned and the error recorded (the request is refused at
    /// [`Fields::finish`], so the default is never used).
    pub fn required<T: DeserializeOwned + Default>(&mut self, name: &str) -> T {
        match self.object.remove(name) {
            None | Some(Value::Null) => {
                self.push(name, "is required");
                T::default()
            }
            Some(value) => self.convert(name, value).unwrap_or_default(),
        }
    }

    /// A field that may be absent or null.
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        match self.object.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.convert(name, value),
        }
    }

    fn convert<T: DeserializeOwned>(&mut self, name: &str, value: Value) -> Option<T> {
        if holds_nul(&value) {
            self.push(name, crate::middleware::storable::NUL_MESSAGE);
            return None;
        }
        let kind = json_kind(&value);
        match serde_json::from_value(value) {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    name,
                    &format!(
                        "has the wrong type ({kind}); expected {}",
                        expected_type::<T>()
                    ),
                );
                None
            }
        }
    }

    fn push(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        });
    }

    /// Fails with every recorded problem, unknown fields included.
    pub fn finish(mut self) -> Result<(), ApiError> {
        let mut unknown: Vec<_> = self.object.keys().cloned().collect();
        unknown.sort();
        for name in unknown {
            self.push(&name, "is not a known field");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Whether a string anywhere in `value` (object keys included) holds the NUL
/// character, which PostgreSQL's `text` cannot store: such a field is
/// refused here, whatever the route does with it next.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A readable name for the expected JSON type of `T`.
fn expected_type<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    let inner = name.rsplit("::").next().unwrap_or(name);
    match inner.trim_end_matches('>') {
        "String" | "str" => "a string",
        "bool" => "a boolean",
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        _ => "a value of another type",
    }
}

/// A field message of the HTTP layer itself (for inputs no domain type parses, such as ids):
/// what was expected, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected(pub &'static str);

impl ClientMessage for Expected {
    fn client_message(&self) -> String {
        self.0.to_owned()
    }
}

/// A positive id from a request body. Anything else is malformed input (400 on the field),
/// whatever the route: only a well-formed id can name a resource that does not exist (404).
pub fn positive_id(raw: i64) -> Result<i64, Expected> {
    if raw > 0 {
        Ok(raw)
    } else {
        Err(Expected("must be a positive whole number"))
    }
}

/// A positive id given as text (a query parameter), refused as [`positive_id`] refuses one.
pub fn positive_id_text(raw: &str) -> Result<i64, Expected> {
    positive_id(raw.parse().unwrap_or(0))
}

/// Records the outcome of one parse step for [`validate!`](crate::validate); the field's
/// message is the error's [`ClientMessage`], which never quotes the value.
pub fn check<T, E: ClientMessage>(
    errors: &mut Vec<FieldError>,
    field: &str,
    result: Result<T, E>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            errors.push(FieldError {
                field: field.to_owned(),
                message: err.client_message(),
            });
            None
        }
    }
}

/// Parses several raw values into domain types, binding each to a name, and
/// returns `400 VALIDATION_FAILED` listing every failure at once:
///
/// ```ignore
/// validate! {
///     email = Email::parse(&body.email) => "email",
///     name = HorseName::parse(&body.name) => "name",
/// }
/// // `email` and `name` are the parsed values from here on.
/// ```
#[macro_export]
macro_rules! validate {
    ($($name:ident = $parse:expr => $field:expr),+ $(,)?) => {
        let mut validation_errors = ::std::vec::Vec::new();
        $( let $name = $crate::extract::check(&mut validation_errors, $field, $parse); )+
        if !validation_errors.is_empty() {
            return Err($crate::ApiError::validation(validation_errors));
        }
        $( let Some($name) = $name else {
            return Err($crate::ApiError::internal("validation bookkeeping lost a value"));
        }; )+
    };
}

/// A JSON request body read into `T` (see the module docs).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: FromBody + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(crate::settings::DEFAULT_MAX_BODY_BYTES, |s| {
                s.settings.max_body_bytes
            });
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type());
            }
            let mut bytes = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::from_status(actix_web::http::StatusCode::BAD_REQUEST)
                        .with_cause(e.to_string())
                })?;
                if bytes.len() + chunk.len() > limit {
                    return Err(ApiError::payload_too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            let object = match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(object)) => object,
                Ok(_) => {
                    return Err(ApiError::validation(vec![FieldError {
                        field: "body".to_owned(),
                        message: "must be a JSON object".to_owned(),
                    }]));
                }
                Err(_) => {
                    return Err(ApiError::validation(vec![FieldError {
                        field: "body".to_owned(),
                        message: "is not valid JSON".to_owned(),
                    }]));
                }
            };
            let mut fields = Fields::new(object);
            let value = T::from_body(&mut fields);
            fields.finish()?;
            Ok(Body(value))
        })
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Fields {
        match value {
            Value::Object(map) => Fields::new(map),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn every_missing_wrong_and_unknown_field_is_reported_without_echoing_values() {
        let mut f = fields(json!({"age": "seven", "secret": "hunter2", "extra": 1}));
        let _: String = f.required("name");
        let _: u32 = f.required("age");
        let _: Option<String> = f.optional("secret");
        let err = f.finish().unwrap_err();
        let body = serde_json::to_string(&err.envelope("r")).unwrap();
        assert!(body.contains("\"field\":\"name\""), "{body}");
        assert!(body.contains("\"field\":\"age\""), "{body}");
        assert!(body.contains("\"field\":\"extra\""), "{body}");
        assert!(
            !body.contains("seven") && !body.contains("hunter2"),
            "{body}"
        );
    }

    #[test]
    fn a_complete_object_reads_cleanly() {
        let mut f = fields(json!({"name": "Comet", "age": 4}));
        let name: String = f.required("name");
        let age: Option<u32> = f.optional("age");
        assert!(f.finish().is_ok());
        assert_eq!((name.as_str(), age), ("Comet", Some(4)));
    }
}
