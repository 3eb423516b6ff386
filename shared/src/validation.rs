//! Text that reaches Postgres: the one validator every service uses.
//!
//! PostgreSQL refuses the NUL character in `text` and in `jsonb` ("invalid
//! byte sequence for encoding UTF8: 0x00", "unsupported Unicode escape
//! sequence"), so a NUL that got past the handlers used to surface as a 500.
//! [`crate::json::parse_json`] and [`crate::json::parse_query`] call
//! [`json_nul_path`] and [`query_nul_param`] on every body and query, so a
//! NUL anywhere is a 422 naming the field before any handler runs. Handlers
//! use [`single_line`] / [`multi_line`] for the C0 controls that make no
//! sense in names and descriptions.

use serde_json::Value;

use crate::error::FieldError;

/// Whether `c` is a C0 control (U+0000..U+001F) or DEL.
fn is_c0(c: char) -> bool {
    (c as u32) < 0x20 || c == '\u{7f}'
}

/// A one-line text field (names, e-mails, labels): no C0 control at all.
pub fn single_line(field: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().any(is_c0) {
        return Err(FieldError::new(
            field,
            "must not contain control characters (U+0000..U+001F, U+007F)",
        ));
    }
    Ok(())
}

/// A free-text field (descriptions): tab, line feed and carriage return are
/// allowed, every other C0 control (NUL first of all) is not.
pub fn multi_line(field: &str, value: &str) -> Result<(), FieldError> {
    if value
        .chars()
        .any(|c| is_c0(c) && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters other than tab and line breaks",
        ));
    }
    Ok(())
}

/// The message of a NUL field error.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// The path (`a.b[0].c`, or `body`) of the first string or object key in a
/// JSON document that contains U+0000, if any.
///
/// Cheap for the common case: a document whose bytes do not contain the
/// escape `\u0000` is not parsed again (raw NUL bytes are invalid JSON
/// and the parser refuses them).
pub fn json_nul_path(bytes: &[u8]) -> Option<String> {
    const ESC: &[u8] = b"\\u0000";
    if !bytes.windows(ESC.len()).any(|w| w == ESC) {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let mut path = String::new();
    if find_nul(&value, &mut path) {
        Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path
        })
    } else {
        None
    }
}

fn find_nul(v: &Value, path: &mut String) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let hit = find_nul(item, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        Value::Object(map) => map.iter().any(|(k, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&k.replace('\0', "\\u0000"));
            let hit = k.contains('\0') || find_nul(item, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        _ => false,
    }
}

/// The name of the first query parameter whose name or value decodes to a
/// string containing U+0000 (`%00`), if any.
pub fn query_nul_param(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\\u0000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_found_with_its_path() {
        assert_eq!(
            json_nul_path(br#"{"a":{"b":["x","y\u0000"]}}"#).as_deref(),
            Some("a.b[1]")
        );
        assert_eq!(
            json_nul_path(br#"{"email":"a\u0000@b"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(json_nul_path(br#""\u0000""#).as_deref(), Some("body"));
        // An escaped backslash followed by "u0000" is six printable characters.
        assert_eq!(json_nul_path(br#"{"a":"\\u0000"}"#), None);
        assert_eq!(json_nul_path(br#"{"a":"plain"}"#), None);
    }

    #[test]
    fn query_nul_names_the_parameter() {
        assert_eq!(
            query_nul_param("name=ok&description=a%00b").as_deref(),
            Some("description")
        );
        assert_eq!(query_nul_param("name=a%2500b"), None);
    }

    #[test]
    fn line_rules() {
        assert!(single_line("n", "Alpha Ω").is_ok());
        assert!(single_line("n", "a\nb").is_err());
        assert!(single_line("n", "a\u{7f}").is_err());
        assert!(multi_line("d", "line 1\r\n\tline 2").is_ok());
        assert_eq!(multi_line("d", "a\0b").unwrap_err().field, "d");
        assert!(multi_line("d", "bell\u{7}").is_err());
    }
}
