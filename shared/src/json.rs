//! Strict JSON and query extractors.
//!
//! [`AppJson`] rejects, with problem+json:
//! - a wrong or missing `Content-Type` → 415,
//! - malformed JSON, invalid UTF-8, trailing data, nesting deeper than
//!   serde_json's limit → 400,
//! - a missing, mistyped or **unknown** field → 422 naming the field path
//!   (e.g. `targets[0].port`), for every DTO, without per-type attributes.
//!
//! [`AppQuery`] does the same for query strings (unknown parameters → 422).
//!
//! Both refuse U+0000 anywhere (422 naming the field, see
//! [`crate::validation`]): Postgres cannot store it.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{FieldError, Problem};

/// JSON body extractor (and responder) with strict parsing.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
            return Err(Problem::unsupported_media_type(
                "expected Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(AppJson)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Whether a `Content-Type` is `application/json` or `application/*+json`.
pub fn is_json_content_type(v: Option<&axum::http::HeaderValue>) -> bool {
    let Some(ct) = v.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Maps a body-reading failure: over the limit → 413, otherwise 400.
pub fn bytes_rejection(e: BytesRejection) -> Problem {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "request body is larger than the allowed limit",
        )
    } else {
        Problem::bad_request(format!("could not read request body: {}", e.body_text()))
    }
}

/// Parses `bytes` into `T`, reporting unknown fields and field paths.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Postgres refuses U+0000 in text and jsonb: a 422 here, not a 500 later.
    if let Some(field) = crate::validation::json_nul_path(bytes) {
        return Err(Problem::invalid_field(
            field,
            crate::validation::NUL_MESSAGE,
        ));
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        &mut de,
        &mut |path: serde_ignored::Path<'_>| unknown.push(render_ignored_path(&path)),
    ));
    let value = match result {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." { "body".to_owned() } else { path };
                    Problem::invalid_field(field, strip_position(&inner.to_string()))
                }
                // serde_json reports an enum given as a number or a bool as
                // a syntax error ("expected value") although the document is
                // well-formed: name the field like any other wrong value.
                _ if path != "."
                    && inner.to_string().starts_with("expected value")
                    && std::str::from_utf8(bytes).is_ok_and(|text| {
                        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
                    }) =>
                {
                    Problem::invalid_field(path, "has the wrong JSON type for this field")
                }
                _ => Problem::bad_request(format!("malformed JSON: {inner}")),
            });
        }
    };
    if let Err(e) = de.end() {
        return Err(Problem::bad_request(format!("malformed JSON: {e}")));
    }
    if !unknown.is_empty() {
        return Err(Problem::validation(
            unknown
                .into_iter()
                .map(|f| FieldError::new(f, "unknown field"))
                .collect(),
        ));
    }
    Ok(value)
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Renders a serde_ignored path as `a.b[0].c` (same style as
/// serde_path_to_error).
fn render_ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", render_ignored_path(parent)),
        Path::Map { parent, key } => {
            let p = render_ignored_path(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => render_ignored_path(parent),
    }
}

/// Query-string extractor: 422 with field errors, and unknown parameters
/// are refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(AppQuery)
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    if let Some(field) = crate::validation::query_nul_param(query) {
        return Err(Problem::invalid_field(
            field,
            crate::validation::NUL_MESSAGE,
        ));
    }
    let mut unknown: Vec<String> = Vec::new();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        de,
        &mut |path: serde_ignored::Path<'_>| unknown.push(render_ignored_path(&path)),
    ));
    let value = result.map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "query".to_owned()
        } else {
            path
        };
        Problem::invalid_field(field, err.into_inner().to_string())
    })?;
    if !unknown.is_empty() {
        return Err(Problem::validation(
            unknown
                .into_iter()
                .map(|f| FieldError::new(f, "unknown query parameter"))
                .collect(),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Target {
        #[allow(dead_code)]
        host: String,
        #[allow(dead_code)]
        port: u16,
    }

    #[derive(Debug, Deserialize)]
    struct Upstream {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        targets: Vec<Target>,
    }

    #[test]
    fn valid_body_parses() {
        let u: Upstream =
            parse_json(br#"{"name":"a","targets":[{"host":"h","port":80}]}"#).unwrap();
        assert_eq!(u.targets.len(), 1);
    }

    #[test]
    fn unknown_nested_field_is_422_with_path() {
        let p = parse_json::<Upstream>(
            br#"{"name":"a","targets":[{"host":"h","port":80,"wieght":3}],"extra":1}"#,
        )
        .unwrap_err();
        assert_eq!(p.status, 422);
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["targets[0].wieght", "extra"]);
    }

    #[test]
    fn wrong_type_names_the_field() {
        let p = parse_json::<Upstream>(br#"{"name":"a","targets":[{"host":"h","port":70000}]}"#)
            .unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].field, "targets[0].port");
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Off,
    }

    #[derive(Debug, Deserialize)]
    struct WithMode {
        #[allow(dead_code)]
        mode: Option<Mode>,
    }

    #[test]
    fn an_enum_given_a_bool_or_a_number_names_the_field() {
        for body in [
            &br#"{"mode":true}"#[..],
            br#"{"mode":1}"#,
            br#"{"mode":"on"}"#,
        ] {
            let p = parse_json::<WithMode>(body).unwrap_err();
            assert_eq!(p.status, 422, "{p}");
            assert_eq!(p.errors[0].field, "mode");
        }
        assert!(parse_json::<WithMode>(br#"{"mode":"off"}"#).is_ok());
    }

    #[test]
    fn missing_field_is_422() {
        let p = parse_json::<Upstream>(br#"{"targets":[]}"#).unwrap_err();
        assert_eq!(p.status, 422);
        assert!(p.errors[0].message.contains("name"), "{:?}", p.errors);
    }

    #[test]
    fn malformed_hostile_inputs_are_400() {
        for body in [
            &b"{"[..],
            b"not json",
            b"{\"name\":\"a\",\"targets\":[]} trailing",
            b"{\"name\":\"\xff\xfe\",\"targets\":[]}",
        ] {
            let p = parse_json::<Upstream>(body).unwrap_err();
            assert_eq!(p.status, 400, "{body:?} -> {p}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let p = parse_json::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert_eq!(p.status, 400);
    }

    #[derive(Debug, Deserialize)]
    struct Q {
        limit: Option<u32>,
    }

    #[test]
    fn query_errors() {
        assert_eq!(parse_query::<Q>("limit=5").unwrap().limit, Some(5));
        let p = parse_query::<Q>("limit=abc").unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "limit"));
        let p = parse_query::<Q>("limt=5").unwrap_err();
        assert_eq!(p.errors[0].field, "limt");
    }
}
