//! Cursor pagination: `?limit=` (default 50, max 500) and `?cursor=`,
//! answered as `{ "items": [...], "next_cursor": "..." | null }`.
//!
//! A cursor is opaque to clients: base64url of a small JSON value chosen by
//! the handler (typically the sort key of the last row, e.g.
//! `[created_at, id]`). A tampered or foreign cursor is a 422 on `cursor`;
//! it can never reach SQL as text because handlers decode it into typed keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Problem;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 500;
/// Longest accepted cursor text.
pub const MAX_CURSOR_LEN: usize = 1024;

/// Query parameters of every list endpoint.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The validated page size.
    pub fn limit(&self) -> Result<u32, Problem> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(Problem::invalid_field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The decoded cursor, if any.
    pub fn cursor<C: DeserializeOwned>(&self) -> Result<Option<C>, Problem> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()
    }
}

/// Encodes a cursor value.
pub fn encode_cursor<C: Serialize>(value: &C) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor, or 422 on `cursor`.
pub fn decode_cursor<C: DeserializeOwned>(text: &str) -> Result<C, Problem> {
    let bad = || Problem::invalid_field("cursor", "is not a cursor returned by this endpoint");
    if text.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// One page of results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page with the number of rows its filter matches over every page,
/// counted up to a cap (one row past it says "more than"), so a page never
/// costs a full count of a table that keeps growing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CountedPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Rows matching the filter (all pages), at most the cap.
    pub total: i64,
    /// More than `total` rows match (`total` stopped at the cap).
    pub total_capped: bool,
}

impl<T> Page<T> {
    /// This page with `counted` matching rows (counted up to `cap + 1`).
    pub fn with_total(self, counted: i64, cap: i64) -> CountedPage<T> {
        CountedPage {
            items: self.items,
            next_cursor: self.next_cursor,
            total: counted.min(cap),
            total_capped: counted > cap,
        }
    }

    /// Builds a page from rows fetched with `LIMIT limit + 1`: the extra row,
    /// if present, proves there is a next page and is dropped.
    pub fn from_overfetch<C, F>(mut rows: Vec<T>, limit: u32, cursor_of: F) -> Self
    where
        C: Serialize,
        F: Fn(&T) -> C,
    {
        let limit = limit as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if has_more {
            rows.last().map(|last| encode_cursor(&cursor_of(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds() {
        let p = |limit| PageParams {
            limit,
            cursor: None,
        };
        assert_eq!(p(None).limit().unwrap(), 50);
        assert_eq!(p(Some(500)).limit().unwrap(), 500);
        assert_eq!(p(Some(501)).limit().unwrap_err().errors[0].field, "limit");
        assert!(p(Some(0)).limit().is_err());
    }

    #[test]
    fn cursor_round_trip_and_tampering() {
        let c = encode_cursor(&("2026-01-01T00:00:00Z", "rt_1"));
        let params = PageParams {
            limit: None,
            cursor: Some(c),
        };
        let back: Option<(String, String)> = params.cursor().unwrap();
        assert_eq!(back.unwrap().1, "rt_1");
        for bad in ["!!!", "e30", "' OR 1=1 --", &"A".repeat(2000)] {
            let params = PageParams {
                limit: None,
                cursor: Some(bad.to_owned()),
            };
            let err = params.cursor::<(String, String)>().unwrap_err();
            assert_eq!((err.status, err.errors[0].field.as_str()), (422, "cursor"));
        }
    }

    #[test]
    fn overfetch_sets_next_cursor_only_when_more() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            decode_cursor::<i32>(page.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
        let page = Page::from_overfetch(vec![1, 2], 2, |n| *n);
        assert!(page.next_cursor.is_none());
    }
}
