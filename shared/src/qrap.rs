//! The QRAP scoring contract between risk-api (the writer) and the ML
//! engine (the reader): `POST /api/v1/score`'s request ([`ScoreRequest`]
//! of [`AssetIn`]s with their vocabularies [`Usage`], [`Exposure`],
//! [`Criticality`], [`Policy`]) and the part of its answer risk-api reads
//! ([`ScoreAnswer`]). The ML engine validates a request into its domain
//! assets (`ml-engine/src/routes/score.rs`, every 422 field path there);
//! risk-api builds one per batch (`risk-api/src/ml.rs`). Absent optional
//! fields are left out on the wire: the engine reads absent and `null`
//! alike (its defaults apply).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How an asset is used (the risk API's `usage` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// Key exchange / key agreement / KEM.
    KeyExchange,
    /// Digital signature.
    Signature,
    /// Data encryption.
    Encryption,
    /// Hashing or extendable-output functions (SHA-2, SHA-3, SHAKE).
    Hash,
    /// Message authentication.
    Mac,
    /// Key derivation.
    Kdf,
    /// A certificate's key or signature.
    Certificate,
    /// A protocol (TLS, SSH, …).
    Protocol,
    /// Anything else.
    Other,
}

impl Usage {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeyExchange => "key_exchange",
            Self::Signature => "signature",
            Self::Encryption => "encryption",
            Self::Hash => "hash",
            Self::Mac => "mac",
            Self::Kdf => "kdf",
            Self::Certificate => "certificate",
            Self::Protocol => "protocol",
            Self::Other => "other",
        }
    }
}

/// Where the asset is reachable from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Reachable from the internet (harvest-now-decrypt-later is easy).
    Internet,
    /// Internal network.
    #[default]
    Internal,
    /// Air-gapped or offline.
    Isolated,
}

/// Business criticality of the system holding the asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// Low: scales the risk score by 0.9.
    Low,
    /// Medium (default): leaves the risk score as it is (× 1.0).
    #[default]
    Medium,
    /// High: scales the risk score by 1.05.
    High,
    /// Critical: scales the risk score by 1.15.
    Critical,
}

/// The policy pack a request is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// NIST (IR 8547 ipd, SP 800-131A Rev. 2 / Rev. 3 ipd, FIPS 186-5/203/204/205, SP 800-208).
    #[default]
    Nist,
    /// NSA CNSA 2.0 with its per-category dates.
    Cnsa2,
}

impl Policy {
    /// Pack id.
    pub fn id(self) -> &'static str {
        match self {
            Self::Nist => "nist",
            Self::Cnsa2 => "cnsa2",
        }
    }
}

/// The wire name of a vocabulary value is not one of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown value `{}`", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// Parses a wire name (`key_exchange`, `internet`, `high`, …) as serde
/// does: the vocabularies are closed.
fn parse_wire<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, UnknownValue> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s))
        .map_err(|_| UnknownValue(s.to_owned()))
}

impl std::str::FromStr for Usage {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_wire(s)
    }
}

impl std::str::FromStr for Exposure {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_wire(s)
    }
}

impl std::str::FromStr for Criticality {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_wire(s)
    }
}

/// One asset to score.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct AssetIn {
    /// Caller's id, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Algorithm name, e.g. `RSA`, `RSA-2048`, `ECDSA`, `ML-KEM-768`.
    pub algorithm: String,
    /// Key size, curve or parameter set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Family when known (CycloneDX `algorithmFamily`, e.g. `RSASSA-PKCS1`, `ML-KEM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Object identifier (CycloneDX `oid`), e.g. `1.2.840.113549.1.1.11`;
    /// used where the name leaves something open. Unknown OIDs are reported,
    /// never an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// CycloneDX `cryptoFunctions` (generate, keygen, encrypt, decrypt,
    /// digest, tag, keyderive, sign, verify, encapsulate, decapsulate,
    /// other, unknown). Only verify/decrypt/decapsulate = legacy use where a
    /// standard allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto_functions: Option<Vec<String>>,
    /// What the asset is used for; absent: implied by the algorithm's
    /// primitive once it is recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Years the data must stay confidential (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_shelf_life_years: Option<f64>,
    /// Years a migration would take (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_time_years: Option<f64>,
    /// When a signature or certificate stops being trusted (certificate
    /// `notValidAfter`, key expiry): `YYYY-MM-DD`, an RFC 3339 time, or a
    /// year. The authenticity horizon is migration + the years left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Or the years a signature made today must stay trusted (key or
    /// firmware lifetime), 0..=100; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_years: Option<f64>,
    /// Exposure (default internal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    /// Criticality (default medium).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
}

/// Request body.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct ScoreRequest {
    /// 1..=10,000 assets.
    pub assets: Vec<AssetIn>,
    /// Override of the "now" year (2000..=2100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of_year: Option<i32>,
    /// Override of the CRQC median year (2020..=2100): the band's shape
    /// with this median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crqc_median_year: Option<f64>,
    /// CRQC timeline band (`optimistic`, `central`, `pessimistic`; default
    /// the engine's, see `GET /api/v1/models`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crqc_timeline: Option<String>,
    /// Confidence for `mosca.latest_start_year` (0.5..=0.99, default 0.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Policy pack `status`, `policy_status` and severity follow (default `nist`);
    /// every pack's verdict is in `policies` either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// CNSA 2.0 system category (see `GET /api/v1/models`): dates of the
    /// `cnsa2` pack's transition; default: no category (NSM-10's 2035).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnsa2_category: Option<String>,
}

/// The part of `POST /api/v1/score`'s answer a caller needs besides the
/// per-asset results (`R`: the caller's reader of one result; the engine's
/// full answer is `ml-engine`'s `ScoreResponse`). Unknown fields are
/// ignored, so the engine can add to its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreAnswer<R> {
    /// One result per asset, in request order.
    pub results: Vec<R>,
    /// CRQC timeline data version the engine used.
    #[serde(default)]
    pub crqc_timelines_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(algorithm: &str) -> AssetIn {
        AssetIn {
            id: None,
            algorithm: algorithm.into(),
            parameter: None,
            family: None,
            oid: None,
            crypto_functions: None,
            usage: None,
            data_shelf_life_years: None,
            migration_time_years: None,
            valid_until: None,
            validity_years: None,
            exposure: None,
            criticality: None,
        }
    }

    #[test]
    fn what_risk_api_sent_before_the_shared_type_still_reads() {
        // Copied from risk-api's hand-built `json!` body: every asset field
        // present, `null` when unknown.
        let literal = r#"{"crqc_timeline":"central","cnsa2_category":null,"assets":[
            {"algorithm":"RSA","parameter":"2048","family":null,"usage":"key_exchange",
             "data_shelf_life_years":10.0,"migration_time_years":5.0,"exposure":"internet",
             "criticality":"high","validity_years":null,"oid":"1.2.840.113549.1.1.1",
             "crypto_functions":["decrypt"],"valid_until":"2027-06-30"},
            {"algorithm":"ML-KEM-768","parameter":null,"family":null,"usage":null,
             "data_shelf_life_years":null,"migration_time_years":null,"exposure":null,
             "criticality":null,"validity_years":2.0,"oid":null,"crypto_functions":null,
             "valid_until":null}]}"#;
        let req: ScoreRequest = serde_json::from_str(literal).unwrap();
        let mut rsa = asset("RSA");
        rsa.parameter = Some("2048".into());
        rsa.usage = Some(Usage::KeyExchange);
        rsa.data_shelf_life_years = Some(10.0);
        rsa.migration_time_years = Some(5.0);
        rsa.exposure = Some(Exposure::Internet);
        rsa.criticality = Some(Criticality::High);
        rsa.oid = Some("1.2.840.113549.1.1.1".into());
        rsa.crypto_functions = Some(vec!["decrypt".into()]);
        rsa.valid_until = Some("2027-06-30".into());
        let mut kem = asset("ML-KEM-768");
        kem.validity_years = Some(2.0);
        let expected = ScoreRequest {
            assets: vec![rsa, kem],
            as_of_year: None,
            crqc_median_year: None,
            crqc_timeline: Some("central".into()),
            confidence: None,
            policy: None,
            cnsa2_category: None,
        };
        assert_eq!(req, expected);
        // Written back without the absent fields; read back the same.
        let json = serde_json::to_string(&req).unwrap();
        assert!(!json.contains("null"), "{json}");
        assert_eq!(
            serde_json::from_str::<ScoreRequest>(&json).unwrap(),
            expected
        );
    }

    #[test]
    fn every_option_round_trips() {
        let mut a = asset("ECDSA");
        a.id = Some("a1".into());
        a.family = Some("ECDSA".into());
        a.usage = Some(Usage::Certificate);
        a.exposure = Some(Exposure::Isolated);
        a.criticality = Some(Criticality::Critical);
        let req = ScoreRequest {
            assets: vec![a],
            as_of_year: Some(2030),
            crqc_median_year: Some(2035.5),
            crqc_timeline: Some("pessimistic".into()),
            confidence: Some(0.95),
            policy: Some(Policy::Cnsa2),
            cnsa2_category: Some("web_browsers_servers_cloud".into()),
        };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["policy"], "cnsa2");
        assert_eq!(json["assets"][0]["usage"], "certificate");
        assert_eq!(serde_json::from_value::<ScoreRequest>(json).unwrap(), req);
    }

    #[test]
    fn wire_names_parse_and_unknown_ones_do_not() {
        for u in [Usage::KeyExchange, Usage::Hash, Usage::Other] {
            assert_eq!(u.as_str().parse::<Usage>(), Ok(u));
        }
        assert_eq!("internet".parse::<Exposure>(), Ok(Exposure::Internet));
        assert_eq!("low".parse::<Criticality>(), Ok(Criticality::Low));
        assert!("Internet".parse::<Exposure>().is_err());
        assert_eq!(
            "banana".parse::<Usage>(),
            Err(UnknownValue("banana".into()))
        );
        assert_eq!(Policy::Cnsa2.id(), "cnsa2");
    }

    #[test]
    fn the_answer_envelope_ignores_what_it_does_not_read() {
        let answer: ScoreAnswer<serde_json::Value> = serde_json::from_str(
            r#"{"knowledge_base_version":"2026.1","model_version":"m","policy_versions":{},
                "crqc_timelines_version":"2025-12","options":{},"results":[{"algorithm":"RSA"}]}"#,
        )
        .unwrap();
        assert_eq!(answer.crqc_timelines_version.as_deref(), Some("2025-12"));
        assert_eq!(answer.results.len(), 1);
        let back: ScoreAnswer<serde_json::Value> =
            serde_json::from_str(&serde_json::to_string(&answer).unwrap()).unwrap();
        assert_eq!(back, answer);
    }
}
