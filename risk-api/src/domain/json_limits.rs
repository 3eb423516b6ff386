//! Limits on an uploaded JSON document, checked by a streaming pass over the
//! bytes before any tree is built from them.
//!
//! A parsed `serde_json::Value` costs several times the text it came from
//! (every value is a 32-byte enum, every object member a key `String` plus
//! index entries), so a 32 MiB body of tiny values could grow to about a
//! gigabyte. This pass walks the document with serde's visitor without
//! allocating anything but borrowed or scratch strings, and stops at the
//! first exceeded limit; only a document within the limits is then parsed.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use shared::error::Problem;

/// Bounds of one document.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// Most values (scalars, arrays, objects, object keys) in the document.
    pub max_values: usize,
    /// Longest string (key or value), in bytes.
    pub max_string: usize,
}

/// The limits of a CBOM upload: a 100,000-asset CBOM of the CycloneDX 1.7
/// shape uses about 20 values per component; certificate and key values
/// (PEM, base64) stay far below 64 KiB.
pub const CBOM: Limits = Limits {
    max_depth: 96,
    max_values: 4_000_000,
    max_string: 64 * 1024,
};

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    Depth,
    Values,
    String,
}

struct Scan<'s> {
    limits: Limits,
    values: &'s Cell<usize>,
    hit: &'s Cell<Option<Hit>>,
    depth: usize,
}

impl Scan<'_> {
    fn child(&self) -> Self {
        Scan {
            limits: self.limits,
            values: self.values,
            hit: self.hit,
            depth: self.depth + 1,
        }
    }

    fn fail<E: serde::de::Error>(&self, hit: Hit) -> E {
        self.hit.set(Some(hit));
        E::custom("limit exceeded")
    }

    fn count<E: serde::de::Error>(&self) -> Result<(), E> {
        let n = self.values.get() + 1;
        self.values.set(n);
        if n > self.limits.max_values {
            return Err(self.fail(Hit::Values));
        }
        Ok(())
    }

    fn string<E: serde::de::Error>(&self, len: usize) -> Result<(), E> {
        self.count()?;
        if len > self.limits.max_string {
            return Err(self.fail(Hit::String));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.count()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.count()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.count()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.count()
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        self.string(s.len())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.count()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.count()?;
        if self.depth >= self.limits.max_depth {
            return Err(self.fail(Hit::Depth));
        }
        while seq.next_element_seed(self.child())?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.count()?;
        if self.depth >= self.limits.max_depth {
            return Err(self.fail(Hit::Depth));
        }
        while map.next_key_seed(self.child())?.is_some() {
            map.next_value_seed(self.child())?;
        }
        Ok(())
    }
}

/// Checks `body` against `limits`. A limit hit is 422 naming the limit and
/// where in the text it was hit; malformed JSON is left to the parser that
/// follows (400 with its position).
pub fn check(body: &[u8], limits: Limits) -> Result<(), Problem> {
    let values = Cell::new(0);
    let hit = Cell::new(None);
    let scan = Scan {
        limits,
        values: &values,
        hit: &hit,
        depth: 0,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    // serde_json's own recursion guard stays on (128 levels) under ours.
    let res = scan.deserialize(&mut de).and_then(|()| de.end());
    match (res, hit.get()) {
        (Ok(()), _) => Ok(()),
        (Err(e), Some(h)) => {
            let at = format!("line {} column {}", e.line(), e.column());
            let msg = match h {
                Hit::Depth => format!(
                    "nested deeper than {} arrays/objects (at {at})",
                    limits.max_depth
                ),
                Hit::Values => format!("more than {} JSON values (at {at})", limits.max_values),
                Hit::String => {
                    format!("a string longer than {} bytes (at {at})", limits.max_string)
                }
            };
            Err(Problem::invalid_field("body", msg))
        }
        // Syntax errors: the full parser reports them with the usual 400.
        (Err(_), None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SMALL: Limits = Limits {
        max_depth: 3,
        max_values: 10,
        max_string: 8,
    };

    #[test]
    fn within_limits_passes() {
        check(br#"{"a": [1, "xyz"], "b": null}"#, SMALL).unwrap();
    }

    #[test]
    fn each_limit_is_named() {
        let deep = check(br"[[[[1]]]]", SMALL).unwrap_err();
        assert!(deep.detail.contains("nested deeper than 3"), "{deep:?}");
        let many = check(br"[1,2,3,4,5,6,7,8,9,10,11]", SMALL).unwrap_err();
        assert!(many.detail.contains("more than 10 JSON values"), "{many:?}");
        let long = check(br#"["abcdefghi"]"#, SMALL).unwrap_err();
        assert!(long.detail.contains("longer than 8 bytes"), "{long:?}");
        // keys are strings too
        let key = check(br#"{"abcdefghi": 1}"#, SMALL).unwrap_err();
        assert!(key.detail.contains("longer than 8 bytes"));
        // escaped strings are measured after unescaping
        check(br#"["\u0041\u0042"]"#, SMALL).unwrap();
    }

    #[test]
    fn syntax_errors_are_left_to_the_parser() {
        check(br#"{"a": "#, SMALL).unwrap();
    }
}
