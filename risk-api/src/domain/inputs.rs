//! Scoring inputs where users have them (issue 19 item 5): the Mosca inputs
//! per asset and an assessment's defaults for them, plus the CRQC timeline
//! band and CNSA 2.0 category the run asks the ML engine for.
//!
//! Precedence, most specific first: the asset's own value (inventory field
//! or CBOM component `quantun:` property), the upload's defaults (JSON body
//! `defaults`, or a CBOM upload's query parameters), the CBOM's
//! `metadata.properties`, and last the ML engine's own defaults (x = 5,
//! y = 5, internal, medium, the central band).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::error::FieldError;
use utoipa::ToSchema;

/// `exposure` values (how capturable the traffic is).
pub const EXPOSURES: &[&str] = &["internet", "internal", "isolated"];
/// `criticality` values.
pub const CRITICALITIES: &[&str] = &["low", "medium", "high", "critical"];
/// Largest number of years any input may state (a century is already far
/// past every published CRQC estimate; 10^9 years is a typo).
pub const MAX_YEARS: f64 = 100.0;

/// The namespace of CycloneDX `properties` QRAP reads and writes
/// (CycloneDX property names are free-form; a prefix keeps ours apart).
pub const NS: &str = "quantun:";

/// An assessment's scoring defaults. Every field is optional; an asset's
/// own value wins over these.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Mosca's x: years the protected data must stay confidential (0..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_shelf_life_years: Option<f64>,
    /// Mosca's y: years a migration would take (0..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_time_years: Option<f64>,
    /// Years a signature made today must stay trusted, for assets without a
    /// `valid_until` (0..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_years: Option<f64>,
    /// internet, internal or isolated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<String>,
    /// low, medium, high or critical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<String>,
    /// CRQC timeline band (`GET /api/v1/scoring-options`: optimistic,
    /// central, pessimistic); default the ML engine's (central).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crqc_timeline: Option<String>,
    /// CNSA 2.0 system category (`GET /api/v1/scoring-options`); default
    /// none (NSM-10's 2035).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnsa2_category: Option<String>,
}

/// Checks a number of years, naming `field`.
pub fn check_years(field: &str, v: Option<f64>, errors: &mut Vec<FieldError>) {
    if v.is_some_and(|v| !v.is_finite() || !(0.0..=MAX_YEARS).contains(&v)) {
        errors.push(FieldError::new(field, "must be a number of years, 0..=100"));
    }
}

/// Checks a value against its allowed list, naming `field`.
pub fn check_one_of(field: &str, v: Option<&str>, allowed: &[&str], errors: &mut Vec<FieldError>) {
    if v.is_some_and(|v| !allowed.contains(&v)) {
        errors.push(FieldError::new(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ));
    }
}

/// An identifier the ML engine lists (band, category): 1..64 of
/// `[a-z0-9_-]`; whether it exists is asked of the engine.
fn check_id(field: &str, v: Option<&str>, errors: &mut Vec<FieldError>) {
    if v.is_some_and(|v| {
        v.is_empty()
            || v.len() > 64
            || !v
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    }) {
        errors.push(FieldError::new(
            field,
            "must be 1..64 characters of a-z, 0-9, _ and - (see GET /api/v1/scoring-options)",
        ));
    }
}

impl Defaults {
    /// Every bad field, named `{prefix}{field}` (`defaults.exposure`, or
    /// `exposure` for query parameters).
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let f = |n: &str| format!("{prefix}{n}");
        check_years(
            &f("data_shelf_life_years"),
            self.data_shelf_life_years,
            &mut errors,
        );
        check_years(
            &f("migration_time_years"),
            self.migration_time_years,
            &mut errors,
        );
        check_years(&f("validity_years"), self.validity_years, &mut errors);
        check_one_of(
            &f("exposure"),
            self.exposure.as_deref(),
            EXPOSURES,
            &mut errors,
        );
        check_one_of(
            &f("criticality"),
            self.criticality.as_deref(),
            CRITICALITIES,
            &mut errors,
        );
        check_id(
            &f("crqc_timeline"),
            self.crqc_timeline.as_deref(),
            &mut errors,
        );
        check_id(
            &f("cnsa2_category"),
            self.cnsa2_category.as_deref(),
            &mut errors,
        );
        errors
    }

    /// These defaults, with `fallback`'s where these have none.
    #[must_use]
    pub fn or(self, fallback: Self) -> Self {
        Self {
            data_shelf_life_years: self
                .data_shelf_life_years
                .or(fallback.data_shelf_life_years),
            migration_time_years: self.migration_time_years.or(fallback.migration_time_years),
            validity_years: self.validity_years.or(fallback.validity_years),
            exposure: self.exposure.or(fallback.exposure),
            criticality: self.criticality.or(fallback.criticality),
            crqc_timeline: self.crqc_timeline.or(fallback.crqc_timeline),
            cnsa2_category: self.cnsa2_category.or(fallback.cnsa2_category),
        }
    }

    /// Reads `quantun:` properties (a CBOM's `metadata.properties`), naming
    /// a bad one by its JSON pointer under `pointer`. Other names are
    /// ignored (CycloneDX properties are open to every tool).
    pub fn from_properties(props: Option<&Value>, pointer: &str) -> (Self, Vec<FieldError>) {
        let mut d = Self::default();
        let mut errors = Vec::new();
        for (i, name, value) in quantun_properties(props) {
            let at = format!("{pointer}/{i}/value");
            match name {
                "data_shelf_life_years" => d.data_shelf_life_years = years(&at, value, &mut errors),
                "migration_time_years" => d.migration_time_years = years(&at, value, &mut errors),
                "validity_years" => d.validity_years = years(&at, value, &mut errors),
                "exposure" => d.exposure = Some(value.to_owned()),
                "criticality" => d.criticality = Some(value.to_owned()),
                "crqc_timeline" => d.crqc_timeline = Some(value.to_owned()),
                "cnsa2_category" => d.cnsa2_category = Some(value.to_owned()),
                _ => {}
            }
        }
        // Enumerations and ids named by the property that carried them.
        let mut named = Vec::new();
        for e in d.validate("") {
            let at = quantun_properties(props)
                .find(|(_, n, _)| *n == e.field)
                .map_or_else(
                    || pointer.to_owned(),
                    |(i, _, _)| format!("{pointer}/{i}/value"),
                );
            if !errors.iter().any(|x: &FieldError| x.field == at) {
                named.push(FieldError::new(
                    at,
                    format!("{NS}{}: {}", e.field, e.message),
                ));
            }
        }
        errors.extend(named);
        (d, errors)
    }
}

/// The per-asset inputs a CBOM component may carry, as properties named
/// `quantun:…`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetInputs {
    /// `quantun:data_shelf_life_years`.
    pub data_shelf_life_years: Option<f64>,
    /// `quantun:migration_time_years`.
    pub migration_time_years: Option<f64>,
    /// `quantun:validity_years`.
    pub validity_years: Option<f64>,
    /// `quantun:exposure`.
    pub exposure: Option<String>,
    /// `quantun:criticality`.
    pub criticality: Option<String>,
    /// `quantun:valid_until` (`YYYY-MM-DD` or RFC 3339).
    pub valid_until: Option<String>,
}

impl AssetInputs {
    /// Reads a component's `properties` (at JSON pointer `pointer`),
    /// naming every bad `quantun:` value by its pointer.
    pub fn from_properties(props: Option<&Value>, pointer: &str) -> (Self, Vec<FieldError>) {
        let mut a = Self::default();
        let mut errors = Vec::new();
        for (i, name, value) in quantun_properties(props) {
            let at = format!("{pointer}/{i}/value");
            match name {
                "data_shelf_life_years" => a.data_shelf_life_years = years(&at, value, &mut errors),
                "migration_time_years" => a.migration_time_years = years(&at, value, &mut errors),
                "validity_years" => a.validity_years = years(&at, value, &mut errors),
                "exposure" => {
                    check_one_of(&at, Some(value), EXPOSURES, &mut errors);
                    a.exposure = Some(value.to_owned());
                }
                "criticality" => {
                    check_one_of(&at, Some(value), CRITICALITIES, &mut errors);
                    a.criticality = Some(value.to_owned());
                }
                "valid_until" => {
                    if value.len() > 64 || !crate::ml::is_date(value) {
                        errors.push(FieldError::new(
                            at,
                            "quantun:valid_until must be YYYY-MM-DD or an RFC 3339 time",
                        ));
                    } else {
                        a.valid_until = Some(value.to_owned());
                    }
                }
                _ => {}
            }
        }
        (a, errors)
    }
}

/// `(index, name without the prefix, value)` of each `quantun:` property
/// with a string value.
fn quantun_properties(props: Option<&Value>) -> impl Iterator<Item = (usize, &str, &str)> {
    props
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| {
            let name = p.get("name")?.as_str()?.strip_prefix(NS)?;
            Some((i, name, p.get("value")?.as_str()?))
        })
}

/// A property's number of years (CycloneDX property values are strings).
fn years(at: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=MAX_YEARS).contains(&v) => Some(v),
        _ => {
            errors.push(FieldError::new(
                at,
                format!("must be a number of years, 0..=100 (got {value:?})"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn years_outside_0_to_100_nan_and_infinity_are_named() {
        for bad in [-1.0, 1e9, f64::NAN, f64::INFINITY] {
            let d = Defaults {
                migration_time_years: Some(bad),
                ..Defaults::default()
            };
            let e = d.validate("defaults.");
            assert_eq!(e.len(), 1, "{bad}");
            assert_eq!(e[0].field, "defaults.migration_time_years");
        }
        assert!(Defaults {
            data_shelf_life_years: Some(0.0),
            migration_time_years: Some(100.0),
            ..Defaults::default()
        }
        .validate("")
        .is_empty());
    }

    #[test]
    fn metadata_properties_are_read_and_bad_ones_named_by_pointer() {
        let props = json!([
            {"name": "other:thing", "value": "x"},
            {"name": "quantun:data_shelf_life_years", "value": "12"},
            {"name": "quantun:exposure", "value": "moon"},
            {"name": "quantun:migration_time_years", "value": "1e9"}
        ]);
        let (d, e) = Defaults::from_properties(Some(&props), "/metadata/properties");
        assert_eq!(d.data_shelf_life_years, Some(12.0));
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "/metadata/properties/3/value",
                "/metadata/properties/2/value"
            ]
        );
    }

    #[test]
    fn the_upload_s_defaults_win_over_the_document_s() {
        let d = Defaults {
            exposure: Some("internal".into()),
            criticality: Some("high".into()),
            ..Defaults::default()
        }
        .or(Defaults {
            exposure: Some("internet".into()),
            crqc_timeline: Some("pessimistic".into()),
            ..Defaults::default()
        });
        assert_eq!(d.exposure.as_deref(), Some("internal"));
        assert_eq!(d.crqc_timeline.as_deref(), Some("pessimistic"));
    }
}
