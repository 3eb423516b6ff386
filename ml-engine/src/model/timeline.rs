//! CRQC timelines as data (`ml-engine/data/crqc_timelines.json`): when a
//! cryptographically relevant quantum computer may exist, as bands fitted
//! to the Global Risk Institute's expert surveys. Each band is a
//! log-logistic arrival time, `P(CRQC by year) = 1 / (1 + ((year − base) /
//! scale)^−shape)`: the shape comes from two published averages (5 and 10
//! years, GRI 2023), each band's scale from its own published 10-year figure
//! (GRI 2024). The fit is done here at load from the cited figures, so the
//! data file holds only what the reports say. Pure; no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The timelines shipped with the engine.
pub const EMBEDDED: &str = include_str!("../../data/crqc_timelines.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Anchor {
    years: f64,
    p: f64,
    source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Shape {
    anchors: Vec<Anchor>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BandFile {
    id: String,
    title: String,
    base_year: f64,
    anchor: Anchor,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: u32,
    version: String,
    description: String,
    sources: BTreeMap<String, String>,
    shape: Shape,
    default_band: String,
    bands: Vec<BandFile>,
}

/// One fitted band.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Band {
    /// Id: `optimistic`, `central`, `pessimistic` (or `custom`).
    pub id: String,
    /// What the band means.
    pub title: String,
    /// Year the survey's "within N years" counts from.
    pub base_year: f64,
    /// Log-logistic scale (years after `base_year` to the median).
    pub scale_years: f64,
    /// Log-logistic shape.
    pub shape: f64,
    /// The published figure the scale was fitted to.
    pub anchor: String,
}

impl Band {
    /// P(a CRQC exists by `year`).
    pub fn p_by(&self, year: f64) -> f64 {
        let t = year - self.base_year;
        if !t.is_finite() || t <= 0.0 {
            return 0.0;
        }
        1.0 / (1.0 + (t / self.scale_years).powf(-self.shape))
    }

    /// The year by which a CRQC exists with probability `p` (0 < p < 1).
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(1e-9, 1.0 - 1e-9);
        self.base_year + self.scale_years * (p / (1.0 - p)).powf(1.0 / self.shape)
    }

    /// The median year.
    pub fn median(&self) -> f64 {
        self.base_year + self.scale_years
    }
}

/// Validated, fitted timelines.
#[derive(Debug, Clone)]
pub struct Timelines {
    /// Data version.
    pub version: String,
    /// What the file says about itself.
    pub description: String,
    /// Citations by key.
    pub sources: BTreeMap<String, String>,
    /// Band used when a request names none.
    pub default_band: String,
    /// Bands in file order.
    pub bands: Vec<Band>,
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn prob_ok(p: f64) -> bool {
    p.is_finite() && p > 0.0 && p < 1.0
}

impl Timelines {
    /// Parses, checks and fits (one-line error for start-up).
    pub fn parse(text: &str) -> Result<Self, String> {
        let f: File = serde_json::from_str(text).map_err(|e| format!("not valid: {e}"))?;
        if f.format != 1 {
            return Err(format!("unsupported format {} (expected 1)", f.format));
        }
        let cited = |a: &Anchor| -> Result<(), String> {
            if !f.sources.contains_key(&a.source) {
                return Err(format!("anchor cites unknown source {:?}", a.source));
            }
            if !(prob_ok(a.p) && a.years.is_finite() && a.years > 0.0) {
                return Err(format!("anchor {} years / p {} out of range", a.years, a.p));
            }
            Ok(())
        };
        let [a, b] = f.shape.anchors.as_slice() else {
            return Err("shape needs exactly two anchors".into());
        };
        cited(a)?;
        cited(b)?;
        if a.years >= b.years || a.p >= b.p {
            return Err("shape anchors must rise: later years, higher probability".into());
        }
        let shape = (logit(b.p) - logit(a.p)) / (b.years.ln() - a.years.ln());
        if !(shape.is_finite() && shape > 0.0) {
            return Err("shape anchors give no increasing curve".into());
        }
        let mut bands = Vec::with_capacity(f.bands.len());
        for band in &f.bands {
            cited(&band.anchor).map_err(|e| format!("band {}: {e}", band.id))?;
            if !(band.base_year.is_finite() && (2000.0..=2100.0).contains(&band.base_year)) {
                return Err(format!("band {}: base_year out of range", band.id));
            }
            if bands.iter().any(|x: &Band| x.id == band.id) {
                return Err(format!("band {} listed twice", band.id));
            }
            let ln_scale = band.anchor.years.ln() - logit(band.anchor.p) / shape;
            bands.push(Band {
                id: band.id.clone(),
                title: band.title.clone(),
                base_year: band.base_year,
                scale_years: ln_scale.exp(),
                shape,
                anchor: format!(
                    "{:.0}% within {} years ({})",
                    band.anchor.p * 100.0,
                    band.anchor.years,
                    band.anchor.source
                ),
            });
        }
        if !bands.iter().any(|b| b.id == f.default_band) {
            return Err(format!("default_band {:?} is not a band", f.default_band));
        }
        // Bands must be ordered: optimistic earliest.
        if bands.windows(2).any(|w| w[0].median() > w[1].median()) {
            return Err("bands must run from earliest to latest median".into());
        }
        Ok(Self {
            version: f.version,
            description: f.description,
            sources: f.sources,
            default_band: f.default_band,
            bands,
        })
    }

    /// A band by id.
    pub fn band(&self, id: &str) -> Option<&Band> {
        self.bands.iter().find(|b| b.id == id)
    }

    /// A band with the shape of the others and the given median year (the
    /// API's `crqc_median_year` override).
    pub fn custom(&self, median_year: f64) -> Option<Band> {
        let like = self.band(&self.default_band)?;
        let base = like.base_year.min(median_year - 1.0);
        Some(Band {
            id: "custom".into(),
            title: format!("custom median {median_year}"),
            base_year: base,
            scale_years: median_year - base,
            shape: like.shape,
            anchor: format!("median {median_year} (request)"),
        })
    }
}
