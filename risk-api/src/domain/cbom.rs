//! CycloneDX 1.6/1.7 CBOM import as a graph.
//!
//! Every cryptographic-asset component is a node, and so is every other
//! component or `dependencies` entry that links to one (a library that
//! `provides` algorithms, the application that depends on it). Edges come
//! from every reference kind of both versions: `relatedCryptographicAssets`
//! (1.7), the deprecated `algorithmRef`, `signatureAlgorithmRef`,
//! `subjectPublicKeyRef`, `securedBy.algorithmRef` and protocol
//! `cryptoRefArray`, cipher-suite `algorithms`, IKEv2 transform references,
//! and `dependencies` (`dependsOn`, `provides`). What the document names
//! without a component (a suite by `name`/`identifiers` only, 1.7
//! `tlsGroups`/`tlsSignatureSchemes`, IKEv2 transforms by name, a dangling
//! reference) becomes a node of its own, keyed by what names it.
//!
//! One finding per cryptographic node, not per reference: the paths of
//! bom-refs by which the node is reached from the graph's roots are its
//! occurrences. Names and parameters are passed on as the document gives
//! them, with the `oid` and `cryptoFunctions`; the ML engine's identity
//! layer resolves them and its policy packs decide legacy use. Structure the
//! engine cannot see (protocol versions, `mode`, `padding`, key state,
//! validity) becomes [`Check`]s applied to the scored result.
//!
//! Bounded: nodes are counted as they are made and references as they are
//! followed, each stopping at [`MAX_ASSETS`] before anything more is built.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use shared::error::{FieldError, Problem};

use super::inputs::{AssetInputs, Defaults};
use super::inventory::{AssetRecord, Declared, MAX_ASSETS};

/// CycloneDX 1.6/1.7 `algorithmProperties.cryptoFunctions` values
/// (bom-1.7.schema.json); others (a lenient import) are not passed on.
pub const CRYPTO_FUNCTIONS: &[&str] = &[
    "generate",
    "keygen",
    "encrypt",
    "decrypt",
    "digest",
    "tag",
    "keyderive",
    "sign",
    "verify",
    "encapsulate",
    "decapsulate",
    "other",
    "unknown",
];

/// Spec versions accepted.
pub const SPEC_VERSIONS: &[&str] = &["1.6", "1.7"];
/// Deepest component nesting followed.
const MAX_DEPTH: usize = 32;
/// Paths kept per finding (all are counted in `occurrences`).
pub const MAX_PATHS: usize = 16;
/// Evidence locations kept per finding.
const MAX_LOCATIONS: usize = 16;
/// Longest path followed from a root.
const MAX_PATH_LEN: usize = 16;

/// A parsed CBOM.
#[derive(Debug, Clone)]
pub struct Cbom {
    /// The document's CycloneDX `specVersion`, one of [`SPEC_VERSIONS`].
    pub spec_version: String,
    /// Assets to score, one per cryptographic node.
    pub assets: Vec<AssetRecord>,
}

/// Something about an asset the ML engine cannot see, found in the CBOM's
/// structure, with the reference it rests on. Applied after scoring: the
/// finding's severity is raised to at least `min_severity` and its policy
/// status to `policy` when given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable code, e.g. `tls-version-disallowed`.
    pub code: &'static str,
    /// What was found and why it matters.
    pub message: String,
    /// The standard it rests on.
    pub reference: &'static str,
    /// Lowest severity the finding may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<&'static str>,
    /// Policy status to raise the finding to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'static str>,
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn clip(s: &str, max: usize) -> String {
    let cleaned: String = s.chars().filter(|c| !c.is_control()).collect();
    match cleaned.char_indices().nth(max) {
        Some((i, _)) => cleaned[..i].to_owned(),
        None => cleaned,
    }
}

/// Maps a CycloneDX `primitive` to our usage.
fn usage_of(primitive: Option<&str>) -> Option<String> {
    let u = match primitive? {
        "signature" => "signature",
        "key-agree" | "kem" | "pke" | "key-agreement" => "key_exchange",
        "ae" | "block-cipher" | "stream-cipher" | "key-wrap" => "encryption",
        "hash" | "xof" => "hash",
        "mac" => "mac",
        "kdf" => "kdf",
        _ => "other",
    };
    Some(u.to_owned())
}

fn too_many(what: &str) -> Problem {
    Problem::invalid_field("components", format!("more than {MAX_ASSETS} {what}"))
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A cryptographic-asset component.
    Component,
    /// A suite, group, scheme or transform named without a component.
    Named {
        asset_type: &'static str,
        algorithm: String,
        parameter: Option<String>,
        usage: &'static str,
    },
    /// A reference to nothing in the document.
    Dangling,
    /// A component or dependency entry without cryptoProperties (a path
    /// element, not a finding).
    Other,
}

#[derive(Debug)]
struct Node<'a> {
    key: String,
    kind: Kind,
    component: Option<&'a Value>,
    /// (label, target node index)
    edges: Vec<(Option<String>, usize)>,
    incoming: bool,
}

/// The graph under construction.
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    index: HashMap<String, usize>,
    by_ref: HashMap<&'a str, &'a Value>,
    refs_followed: usize,
}

impl<'a> Graph<'a> {
    fn node(
        &mut self,
        key: &str,
        make: impl FnOnce() -> (Kind, Option<&'a Value>),
    ) -> Result<usize, Problem> {
        if let Some(&i) = self.index.get(key) {
            return Ok(i);
        }
        if self.nodes.len() >= MAX_ASSETS {
            return Err(too_many("cryptographic assets"));
        }
        let (kind, component) = make();
        let i = self.nodes.len();
        self.nodes.push(Node {
            key: clip(key, 1000),
            kind,
            component,
            edges: Vec::new(),
            incoming: false,
        });
        self.index.insert(key.to_owned(), i);
        Ok(i)
    }

    /// The node a bom-ref names: its component, or a dangling node.
    fn target(&mut self, r: &str) -> Result<usize, Problem> {
        let c = self.by_ref.get(r).copied();
        self.node(r, || match c {
            Some(c) if c.get("cryptoProperties").is_some() => (Kind::Component, Some(c)),
            Some(c) => (Kind::Other, Some(c)),
            None => (Kind::Dangling, None),
        })
    }

    fn edge(&mut self, from: usize, label: Option<String>, to: usize) -> Result<(), Problem> {
        self.refs_followed += 1;
        if self.refs_followed > MAX_ASSETS {
            return Err(too_many("references (bom-ref links) followed"));
        }
        if from != to {
            self.nodes[from].edges.push((label, to));
            self.nodes[to].incoming = true;
        }
        Ok(())
    }

    fn link(&mut self, from: usize, label: Option<&str>, r: &str) -> Result<(), Problem> {
        let to = self.target(r)?;
        self.edge(from, label.map(str::to_owned), to)
    }

    fn named(
        &mut self,
        from: usize,
        label: Option<String>,
        asset_type: &'static str,
        name: &str,
        parameter: Option<String>,
        usage: &'static str,
    ) -> Result<(), Problem> {
        let key = format!("{asset_type}:{}", clip(name, 200));
        let to = self.node(&key, || {
            (
                Kind::Named {
                    asset_type,
                    algorithm: clip(name, 200),
                    parameter,
                    usage,
                },
                None,
            )
        })?;
        self.edge(from, label, to)
    }
}

/// The document's `specVersion`, after checking that it is a CycloneDX BOM
/// of a version we read.
pub fn spec_version(doc: &Value) -> Result<String, Problem> {
    let obj = doc
        .as_object()
        .ok_or_else(|| Problem::invalid_field("body", "a CycloneDX document is a JSON object"))?;
    if obj.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(Problem::invalid_field(
            "bomFormat",
            "must be \"CycloneDX\" (this is not a CycloneDX BOM)",
        ));
    }
    let spec = obj
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !SPEC_VERSIONS.contains(&spec) {
        return Err(Problem::invalid_field(
            "specVersion",
            format!("must be one of {} (got {spec:?})", SPEC_VERSIONS.join(", ")),
        ));
    }
    Ok(spec.to_owned())
}

/// Parses a document already known to be JSON (and within
/// [`super::json_limits::CBOM`]).
pub fn parse(doc: &Value) -> Result<Cbom, Problem> {
    let spec = spec_version(doc)?;
    let Some(obj) = doc.as_object() else {
        return Err(Problem::invalid_field(
            "body",
            "a CycloneDX document is a JSON object",
        ));
    };
    let mut flat: Vec<&Value> = Vec::new();
    if let Some(c) = obj.get("components") {
        let list = c
            .as_array()
            .ok_or_else(|| Problem::invalid_field("components", "must be an array"))?;
        collect(list, 0, &mut flat)?;
    }
    let mut g = Graph {
        nodes: Vec::new(),
        index: HashMap::new(),
        by_ref: flat
            .iter()
            .filter_map(|c| s(c, "bom-ref").map(|r| (r, *c)))
            .collect(),
        refs_followed: 0,
    };
    // Nodes in document order; a component without a bom-ref is keyed by
    // its position.
    let mut crypto = Vec::new();
    for (pos, c) in flat.iter().enumerate() {
        if c.get("cryptoProperties").is_none() {
            continue;
        }
        let key = s(c, "bom-ref").map_or_else(|| format!("components[{pos}]"), str::to_owned);
        let i = g.node(&key, || (Kind::Component, Some(*c)))?;
        crypto.push(i);
    }
    for &i in &crypto {
        if let Some(c) = g.nodes[i].component {
            links_of(&mut g, i, c)?;
        }
    }
    if let Some(deps) = obj.get("dependencies").and_then(Value::as_array) {
        for d in deps {
            let Some(from) = s(d, "ref") else { continue };
            // A dependent that is no component (the metadata component,
            // typically) is a path element, not a dangling reference.
            let c = g.by_ref.get(from).copied();
            let from = g.node(from, || match c {
                Some(c) if c.get("cryptoProperties").is_some() => (Kind::Component, Some(c)),
                other => (Kind::Other, other),
            })?;
            for (field, label) in [("dependsOn", None), ("provides", Some("provides"))] {
                for r in d.get(field).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(r) = r.as_str().filter(|r| !r.trim().is_empty()) {
                        g.link(from, label, r)?;
                    }
                }
            }
        }
    }
    let paths = paths(&g)?;
    let hybrids = hybrids(&g);
    let mut assets = Vec::new();
    let combiners: HashSet<usize> = hybrids
        .list
        .iter()
        .filter(|h| h.combiner)
        .map(|h| h.via)
        .collect();
    for (i, node) in g.nodes.iter().enumerate() {
        if matches!(node.kind, Kind::Other)
            || hybrids.half_of.contains_key(&i)
            || combiners.contains(&i)
        {
            continue;
        }
        let mut rec = record(&g, i);
        let (p, n) = &paths[i];
        rec.paths = p.clone();
        rec.occurrences = *n;
        assets.push(rec);
    }
    for h in hybrids.list {
        let mut rec = hybrid_record(&g, &h);
        // A combiner is the hybrid: its own paths. Otherwise the halves'.
        let from: &[usize] = if h.combiner {
            &[h.via]
        } else {
            &[h.classical, h.pq]
        };
        for &n in from {
            let (p, count) = &paths[n];
            for path in p {
                if rec.paths.len() < MAX_PATHS && !rec.paths.contains(path) {
                    rec.paths.push(path.clone());
                }
            }
            rec.occurrences += count;
        }
        assets.push(rec);
    }
    if assets.is_empty() {
        return Err(Problem::validation(vec![FieldError::new(
            "components",
            "no cryptographic assets (components with cryptoProperties) found",
        )]));
    }
    Ok(Cbom {
        spec_version: spec,
        assets,
    })
}

/// Every outgoing reference of a cryptographic component.
fn links_of<'a>(g: &mut Graph<'a>, i: usize, c: &'a Value) -> Result<(), Problem> {
    let Some(cp) = c.get("cryptoProperties") else {
        return Ok(());
    };
    let related = |p: Option<&'a Value>| {
        p.and_then(|p| p.get("relatedCryptographicAssets"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| s(r, "ref").map(|t| (s(r, "type"), t)))
            .collect::<Vec<_>>()
    };
    for key in [
        "algorithmProperties",
        "certificateProperties",
        "relatedCryptoMaterialProperties",
        "protocolProperties",
    ] {
        for (_, r) in related(cp.get(key)) {
            g.link(i, None, r)?;
        }
    }
    // 1.6 spellings (deprecated in 1.7).
    if let Some(p) = cp.get("certificateProperties") {
        for k in ["signatureAlgorithmRef", "subjectPublicKeyRef"] {
            if let Some(r) = s(p, k) {
                g.link(i, None, r)?;
            }
        }
    }
    if let Some(p) = cp.get("relatedCryptoMaterialProperties") {
        if let Some(r) = s(p, "algorithmRef") {
            g.link(i, None, r)?;
        }
        if let Some(r) = p.get("securedBy").and_then(|b| s(b, "algorithmRef")) {
            g.link(i, Some("securedBy"), r)?;
        }
    }
    if let Some(p) = cp.get("protocolProperties") {
        for r in p
            .get("cryptoRefArray")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            g.link(i, None, r)?;
        }
        for suite in p
            .get("cipherSuites")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            suite_links(g, i, suite)?;
        }
        if let Some(ike) = p.get("ikev2TransformTypes").and_then(Value::as_object) {
            for (t, usage) in [
                ("encr", "encryption"),
                ("prf", "kdf"),
                ("integ", "mac"),
                ("ke", "key_exchange"),
                ("auth", "signature"),
            ] {
                let label = format!("ikev2:{t}");
                for item in ike.get(t).and_then(Value::as_array).into_iter().flatten() {
                    match item {
                        Value::String(r) => g.link(i, Some(&label), r)?,
                        Value::Object(_) => {
                            if let Some(r) = s(item, "algorithm") {
                                g.link(i, Some(&label), r)?;
                            } else if let Some(name) = s(item, "name") {
                                let len = item
                                    .get("keyLength")
                                    .and_then(Value::as_u64)
                                    .map(|n| n.to_string());
                                g.named(i, None, "ikev2-transform", name, len, usage)?;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

/// A cipher suite: its algorithm references, or itself by name or
/// identifier; its TLS groups and signature schemes.
fn suite_links(g: &mut Graph<'_>, i: usize, suite: &Value) -> Result<(), Problem> {
    let ids: Vec<&str> = suite
        .get("identifiers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let name = s(suite, "name")
        .map(str::to_owned)
        .or_else(|| (!ids.is_empty()).then(|| ids.join(",")));
    let label = name
        .as_ref()
        .map(|n| format!("cipherSuite:{}", clip(n, 200)));
    let refs: Vec<&str> = suite
        .get("algorithms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for r in &refs {
        g.link(i, label.as_deref(), r)?;
    }
    if refs.is_empty() {
        if let Some(n) = &name {
            g.named(i, None, "cipher-suite", n, None, "protocol")?;
        }
    }
    for (field, asset_type, usage) in [
        ("tlsGroups", "tls-group", "key_exchange"),
        ("tlsSignatureSchemes", "tls-signature-scheme", "signature"),
    ] {
        for v in suite
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            g.named(i, label.clone(), asset_type, v, None, usage)?;
        }
    }
    Ok(())
}

/// For every node, up to [`MAX_PATHS`] paths from a root (a node nothing
/// links to) and the number of paths, each path a list of node keys with
/// edge labels between them. Every path followed counts against
/// [`MAX_ASSETS`]; a node on no path (a cycle) gets itself as its path.
/// Paths kept and paths counted, per node.
type NodePaths = Vec<(Vec<Vec<String>>, u32)>;

fn paths(g: &Graph<'_>) -> Result<NodePaths, Problem> {
    let mut out: NodePaths = vec![(Vec::new(), 0); g.nodes.len()];
    let mut budget = 0_usize;
    let mut stack: Vec<(usize, Vec<String>, Vec<usize>)> = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if !n.incoming {
            stack.push((i, vec![n.key.clone()], vec![i]));
        }
    }
    while let Some((i, path, on)) = stack.pop() {
        budget += 1;
        if budget > MAX_ASSETS {
            return Err(too_many(
                "reference paths (one asset reached in too many ways)",
            ));
        }
        let slot = &mut out[i];
        slot.1 = slot.1.saturating_add(1);
        if slot.0.len() < MAX_PATHS {
            slot.0.push(path.clone());
        }
        if on.len() >= MAX_PATH_LEN {
            continue;
        }
        for (label, to) in &g.nodes[i].edges {
            if on.contains(to) {
                continue;
            }
            let mut p = path.clone();
            if let Some(l) = label {
                p.push(l.clone());
            }
            p.push(g.nodes[*to].key.clone());
            let mut o = on.clone();
            o.push(*to);
            stack.push((*to, p, o));
        }
    }
    for (i, slot) in out.iter_mut().enumerate() {
        if slot.1 == 0 {
            *slot = (vec![vec![g.nodes[i].key.clone()]], 1);
        }
    }
    // Paths in document order of their roots (the stack reversed it).
    for slot in &mut out {
        slot.0.sort();
    }
    Ok(out)
}

fn algorithm_props(c: &Value) -> Option<&Value> {
    c.get("cryptoProperties")
        .and_then(|p| p.get("algorithmProperties"))
}

fn asset_type_of(c: &Value) -> Option<&str> {
    c.get("cryptoProperties").and_then(|p| s(p, "assetType"))
}

/// The first algorithm component a node links to (in edge order), for keys
/// and certificates; certificates look for a signature algorithm.
fn linked_algorithm<'a>(g: &Graph<'a>, i: usize, want_signature: bool) -> Option<usize> {
    g.nodes[i]
        .edges
        .iter()
        .filter(|(label, _)| label.as_deref() != Some("securedBy"))
        .map(|(_, t)| *t)
        .find(|&t| {
            let n = &g.nodes[t];
            match (&n.kind, n.component) {
                (Kind::Component, Some(c)) => {
                    asset_type_of(c) == Some("algorithm")
                        && (!want_signature
                            || algorithm_props(c).and_then(|p| s(p, "primitive")) != Some("pke"))
                }
                (Kind::Dangling, _) => true,
                _ => false,
            }
        })
}

/// The first key a certificate links to.
fn linked_key<'a>(g: &Graph<'a>, i: usize) -> Option<&'a Value> {
    g.nodes[i].edges.iter().find_map(|(_, t)| {
        let c = g.nodes[*t].component?;
        (asset_type_of(c) == Some("related-crypto-material")).then_some(c)
    })
}

/// The finding record of node `i`.
fn record(g: &Graph<'_>, i: usize) -> AssetRecord {
    let node = &g.nodes[i];
    let asset_ref = Some(node.key.clone());
    let c = match (&node.kind, node.component) {
        (
            Kind::Named {
                asset_type,
                algorithm,
                parameter,
                usage,
            },
            _,
        ) => {
            return AssetRecord {
                name: algorithm.clone(),
                asset_ref,
                asset_type: Some((*asset_type).to_owned()),
                algorithm: algorithm.clone(),
                parameter: parameter.clone(),
                usage: Some((*usage).to_owned()),
                ..AssetRecord::default()
            };
        }
        (Kind::Component, Some(c)) => c,
        _ => {
            // Dangling: never assumed safe.
            return AssetRecord {
                name: clip(&format!("unresolved bom-ref {}", node.key), 1000),
                asset_ref,
                asset_type: Some("unresolved".into()),
                algorithm: clip(&format!("unresolved bom-ref {}", node.key), 200),
                checks: vec![Check {
                    code: "unresolved-reference",
                    message: format!(
                        "the document refers to bom-ref {:?}, which no component has",
                        node.key
                    ),
                    reference: "CycloneDX 1.6/1.7 refType: a bom-ref of an element in the same BOM",
                    min_severity: None,
                    policy: None,
                }],
                ..AssetRecord::default()
            };
        }
    };
    let name = s(c, "name").unwrap_or("unnamed");
    let cp = c.get("cryptoProperties");
    let mut rec = match asset_type_of(c) {
        Some("algorithm") => algorithm_record(c, name),
        Some("related-crypto-material") => key_record(g, i, c, name),
        Some("certificate") => certificate_record(g, i, c, name),
        Some("protocol") => protocol_record(c, name),
        other => AssetRecord {
            name: clip(name, 1000),
            asset_type: Some(clip(other.unwrap_or("unknown"), 64)),
            algorithm: clip(name, 200),
            ..AssetRecord::default()
        },
    };
    rec.asset_ref = asset_ref;
    rec.oid = cp.and_then(|p| s(p, "oid")).map(|o| clip(o, 200));
    // Our own export's `quantun:` properties restore what CycloneDX has no
    // field for (a suite, group or hybrid exported as an algorithm).
    for p in c
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match (s(p, "name"), s(p, "value")) {
            (Some("quantun:asset_type"), Some(v)) => rec.asset_type = Some(clip(v, 64)),
            (Some("quantun:usage"), Some(v)) if super::inventory::USAGES.contains(&v) => {
                rec.usage = Some(v.to_owned());
            }
            _ => {}
        }
    }
    // Mosca inputs a component declares (`quantun:data_shelf_life_years`,
    // …); bad values were refused at upload by [`inputs`].
    let (given, _) = AssetInputs::from_properties(c.get("properties"), "");
    rec.data_shelf_life_years = given.data_shelf_life_years;
    rec.migration_time_years = given.migration_time_years;
    rec.validity_years = given.validity_years;
    rec.exposure = given.exposure;
    rec.criticality = given.criticality;
    if given.valid_until.is_some() {
        rec.valid_until = given.valid_until;
    }
    rec.locations = c
        .pointer("/evidence/occurrences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let loc = s(o, "location")?;
            Some(match o.get("line").and_then(Value::as_u64) {
                Some(l) => clip(&format!("{loc}:{l}"), 1000),
                None => clip(loc, 1000),
            })
        })
        .take(MAX_LOCATIONS)
        .collect();
    rec
}

/// An algorithm component (1.6 `curve`, 1.7 `ellipticCurve` and
/// `algorithmFamily` both read), with its `mode`, `padding` and
/// `cryptoFunctions`.
fn algorithm_record(c: &Value, name: &str) -> AssetRecord {
    let props = algorithm_props(c);
    let get = |k: &str| props.and_then(|p| s(p, k));
    let parameter = get("ellipticCurve")
        .or_else(|| get("curve"))
        .or_else(|| get("parameterSetIdentifier"))
        .map(|p| clip(p, 200));
    let int = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_i64);
    let primitive = get("primitive");
    let mut checks = Vec::new();
    if get("mode") == Some("ecb") {
        checks.push(Check {
            code: "ecb-mode",
            message: "ECB mode: identical plaintext blocks give identical ciphertext blocks".into(),
            reference: "NIST SP 800-38A §6.1; NIST SP 800-38A Rev. 1 (draft) proposes disallowing ECB for confidentiality",
            min_severity: Some("HIGH"),
            policy: None,
        });
    }
    if get("padding") == Some("pkcs1v15") && matches!(primitive, Some("pke")) {
        checks.push(Check {
            code: "pkcs1v15-encryption",
            message: "RSA encryption with PKCS#1 v1.5 padding (Bleichenbacher padding oracles); use OAEP".into(),
            reference: "NIST SP 800-131A Rev. 2 §6 (PKCS#1 v1.5 key transport disallowed after 2023); RFC 8017 §7.2",
            min_severity: Some("HIGH"),
            policy: Some("disallowed"),
        });
    }
    // Passed to the ML engine, whose policy packs decide what verify-only
    // or decrypt-only use means for this algorithm (SHA-1 signature
    // verification: legacy use; AES decryption: no different).
    let mut crypto_functions: Vec<String> = Vec::new();
    for f in props
        .and_then(|p| p.get("cryptoFunctions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if CRYPTO_FUNCTIONS.contains(&f) && !crypto_functions.iter().any(|g| g == f) {
            crypto_functions.push(f.to_owned());
        }
    }
    AssetRecord {
        name: clip(name, 1000),
        asset_type: Some("algorithm".into()),
        algorithm: clip(name, 200),
        parameter,
        family: get("algorithmFamily").map(|f| clip(f, 200)),
        usage: usage_of(primitive),
        declared: Declared {
            nist_quantum_level: int("nistQuantumSecurityLevel"),
            classical_level: int("classicalSecurityLevel"),
        },
        checks,
        crypto_functions,
        ..AssetRecord::default()
    }
}

/// Key material: its algorithm from `algorithmRef`, a related algorithm or
/// a `dependsOn`, else its own name; `size` as the parameter; `state` and
/// `expirationDate` as checks.
fn key_record(g: &Graph<'_>, i: usize, c: &Value, name: &str) -> AssetRecord {
    let props = c
        .get("cryptoProperties")
        .and_then(|p| p.get("relatedCryptoMaterialProperties"));
    let get = |k: &str| props.and_then(|p| s(p, k));
    let size = props
        .and_then(|p| p.get("size"))
        .and_then(Value::as_u64)
        .map(|n| n.to_string());
    let material = get("type").unwrap_or("key");
    let asset_type = match material {
        "private-key" | "public-key" | "secret-key" | "key" => "key",
        other => other,
    };
    let mut rec = match linked_algorithm(g, i, false).map(|t| record(g, t)) {
        Some(alg) => AssetRecord {
            algorithm: alg.algorithm,
            parameter: size.or(alg.parameter),
            family: alg.family,
            usage: alg.usage,
            ..AssetRecord::default()
        },
        None => AssetRecord {
            algorithm: clip(name, 200),
            parameter: size,
            ..AssetRecord::default()
        },
    };
    rec.name = clip(name, 1000);
    rec.asset_type = Some(clip(asset_type, 64));
    rec.valid_until = get("expirationDate").map(|d| clip(d, 64));
    if get("state") == Some("compromised") {
        rec.checks.push(Check {
            code: "key-compromised",
            message: "the document marks this key compromised".into(),
            reference: "NIST SP 800-57 Part 1 Rev. 5 §7.3 (compromised state: revoke and replace)",
            min_severity: Some("CRITICAL"),
            policy: Some("disallowed"),
        });
    }
    rec
}

/// A certificate: its signature algorithm (1.6 `signatureAlgorithmRef` or a
/// related algorithm), the size of its subject key, its validity.
fn certificate_record(g: &Graph<'_>, i: usize, c: &Value, name: &str) -> AssetRecord {
    let props = c
        .get("cryptoProperties")
        .and_then(|p| p.get("certificateProperties"));
    let sig = props
        .and_then(|p| s(p, "signatureAlgorithmRef"))
        .and_then(|r| g.index.get(r).copied())
        .or_else(|| linked_algorithm(g, i, true));
    let key_size = linked_key(g, i)
        .and_then(|k| k.pointer("/cryptoProperties/relatedCryptoMaterialProperties/size"))
        .and_then(Value::as_u64)
        .map(|n| n.to_string());
    // The subject key's size first: a signature algorithm's own parameter
    // (`512` for SHA-512 with RSA) is not the key's.
    let mut rec = match sig.map(|t| record(g, t)) {
        Some(alg) => AssetRecord {
            algorithm: alg.algorithm,
            parameter: key_size.or(alg.parameter),
            family: alg.family,
            ..AssetRecord::default()
        },
        None => AssetRecord {
            algorithm: "certificate signature algorithm not given".into(),
            parameter: key_size,
            ..AssetRecord::default()
        },
    };
    rec.name = clip(name, 1000);
    rec.asset_type = Some("certificate".into());
    rec.usage = Some("certificate".into());
    rec.valid_until = props
        .and_then(|p| s(p, "notValidAfter"))
        .map(|d| clip(d, 64));
    rec
}

/// A protocol: `type` and `version`, with the version checks.
fn protocol_record(c: &Value, name: &str) -> AssetRecord {
    let props = c
        .get("cryptoProperties")
        .and_then(|p| p.get("protocolProperties"));
    let ptype = props.and_then(|p| s(p, "type")).unwrap_or("unknown");
    let version = props.and_then(|p| s(p, "version"));
    let algorithm = match version {
        Some(v) => format!("{} {v}", ptype.to_ascii_uppercase()),
        None => ptype.to_ascii_uppercase(),
    };
    AssetRecord {
        name: clip(name, 1000),
        asset_type: Some("protocol".into()),
        algorithm: clip(&algorithm, 200),
        parameter: version.map(|v| clip(v, 200)),
        usage: Some("protocol".into()),
        checks: version_checks(ptype, version),
        ..AssetRecord::default()
    }
}

/// Version-aware protocol checks: TLS 1.0/1.1 and DTLS 1.0 (and SSL) are
/// deprecated by RFC 8996; below TLS/DTLS 1.3 the post-quantum hybrid key
/// exchanges cannot be negotiated.
pub fn version_checks(ptype: &str, version: Option<&str>) -> Vec<Check> {
    let Some(v) = version.map(|v| v.trim().trim_start_matches(['v', 'V'])) else {
        return Vec::new();
    };
    let parse = |v: &str| -> Option<(u32, u32)> {
        let mut it = v.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
        Some((major, minor))
    };
    let Some(ver) = parse(v) else {
        return Vec::new();
    };
    let (disallowed, below_13) = match ptype {
        // TLS 1.x as 1.x; SSL 2.0/3.0 given under type tls as 2.0/3.0.
        "tls" => (
            !((1, 2)..(2, 0)).contains(&ver),
            !((1, 3)..(2, 0)).contains(&ver),
        ),
        // DTLS 1.0 and 1.2; 1.1 never existed.
        "dtls" => (ver < (1, 2), ver < (1, 3)),
        _ => return Vec::new(),
    };
    let name = format!("{} {v}", ptype.to_ascii_uppercase());
    let mut out = Vec::new();
    if disallowed {
        out.push(Check {
            code: "protocol-version-disallowed",
            message: format!("{name} is deprecated and must not be used"),
            reference: "RFC 8996 (deprecates TLS 1.0, TLS 1.1 and DTLS 1.0); RFC 7568 (SSL 3.0); RFC 6176 (SSL 2.0)",
            min_severity: Some("HIGH"),
            policy: Some("disallowed"),
        });
    }
    if below_13 {
        out.push(Check {
            code: "pq-key-exchange-needs-tls13",
            message: format!("{name} cannot negotiate a post-quantum key exchange; it needs TLS 1.3 (or DTLS 1.3)"),
            reference: "draft-ietf-tls-ecdhe-mlkem §2 and draft-ietf-tls-mlkem: the ML-KEM groups are defined for TLS 1.3 only",
            min_severity: Some("MEDIUM"),
            policy: None,
        });
    }
    out
}

/// A classical key agreement and an ML-KEM linked from one node (a
/// library that provides both, a `combiner`): one hybrid key exchange.
#[derive(Debug)]
struct Hybrid {
    via: usize,
    /// `via` is an algorithm with primitive `combiner`: the hybrid itself.
    combiner: bool,
    classical: usize,
    pq: usize,
}

struct Hybrids {
    list: Vec<Hybrid>,
    half_of: HashMap<usize, usize>,
}

fn kem_size(c: &Value) -> Option<u32> {
    let name = s(c, "name")?
        .to_ascii_uppercase()
        .replace(['-', '_', ' '], "");
    let pset = algorithm_props(c)
        .and_then(|p| s(p, "parameterSetIdentifier"))
        .unwrap_or("")
        .to_ascii_uppercase()
        .replace(['-', '_', ' '], "");
    let family = algorithm_props(c)
        .and_then(|p| s(p, "algorithmFamily"))
        .unwrap_or("")
        .to_ascii_uppercase();
    let text = format!("{name} {pset}");
    if !(text.contains("MLKEM") || text.contains("KYBER") || family == "ML-KEM") {
        return None;
    }
    ["512", "768", "1024"]
        .into_iter()
        .find(|n| text.contains(n))
        .and_then(|n| n.parse().ok())
}

/// A hybrid key-exchange group named as one algorithm: ML-KEM (or Kyber)
/// joined with a classical curve in its name, as draft-ietf-tls-ecdhe-mlkem
/// §3 names its TLS NamedGroups (X25519MLKEM768 0x11EC, SecP256r1MLKEM768
/// 0x11EB, SecP384r1MLKEM1024 0x11ED) and as the earlier X25519Kyber768Draft00.
fn named_hybrid(c: &Value) -> bool {
    let name = s(c, "name")
        .unwrap_or("")
        .to_ascii_uppercase()
        .replace(['-', '_', ' '], "");
    (name.contains("MLKEM") || name.contains("KYBER"))
        && [
            "X25519",
            "X448",
            "SECP256R1",
            "SECP384R1",
            "SECP521R1",
            "P256",
            "P384",
            "P521",
        ]
        .iter()
        .any(|curve| name.contains(curve))
}

/// The curve of a classical key agreement, as the IETF hybrid names spell it.
fn classical_curve(c: &Value) -> Option<&'static str> {
    let p = algorithm_props(c)?;
    if s(p, "primitive") != Some("key-agree") {
        return None;
    }
    let text = format!(
        "{} {} {}",
        s(c, "name").unwrap_or(""),
        s(p, "ellipticCurve")
            .or_else(|| s(p, "curve"))
            .unwrap_or(""),
        s(p, "parameterSetIdentifier").unwrap_or("")
    )
    .to_ascii_uppercase();
    if text.contains("25519") {
        Some("X25519")
    } else if text.contains("P-256") || text.contains("SECP256R1") || text.contains("PRIME256V1") {
        Some("P-256")
    } else if text.contains("P-384") || text.contains("SECP384R1") {
        Some("P-384")
    } else if text.contains("448") {
        Some("X448")
    } else {
        Some("ECDH")
    }
}

fn hybrids(g: &Graph<'_>) -> Hybrids {
    let mut list = Vec::new();
    let mut half_of = HashMap::new();
    let mut used = HashSet::new();
    for (via, n) in g.nodes.iter().enumerate() {
        let targets = |f: &dyn Fn(&Value) -> bool| -> Vec<usize> {
            n.edges
                .iter()
                .map(|(_, t)| *t)
                .filter(|t| !used.contains(t))
                .filter(|t| g.nodes[*t].component.is_some_and(f))
                .collect()
        };
        // A named hybrid group (X25519MLKEM768) is a whole hybrid already,
        // not the ML-KEM half of one: a TLS suite listing it beside X25519
        // lists two alternative groups (RFC 8446 §4.2.7), not a pair.
        let pq = targets(&|c| kem_size(c).is_some() && !named_hybrid(c));
        // A component that reads as both (a hybrid already, such as
        // X25519MLKEM768) is no classical half.
        let classical = targets(&|c| classical_curve(c).is_some() && kem_size(c).is_none());
        if let ([pq], [classical]) = (pq.as_slice(), classical.as_slice()) {
            used.insert(*pq);
            used.insert(*classical);
            half_of.insert(*pq, list.len());
            half_of.insert(*classical, list.len());
            let combiner = n
                .component
                .and_then(algorithm_props)
                .and_then(|p| s(p, "primitive"))
                == Some("combiner");
            list.push(Hybrid {
                via,
                combiner,
                classical: *classical,
                pq: *pq,
            });
        }
    }
    Hybrids { list, half_of }
}

/// The hybrid's record: the IETF name when the pair is one of
/// draft-ietf-tls-ecdhe-mlkem's (X25519MLKEM768, SecP256r1MLKEM768,
/// SecP384r1MLKEM1024); any other pair is scored as its ML-KEM half, since a
/// hybrid is as quantum-safe as its post-quantum part (the classical name is
/// kept in the finding's name and `parameter`).
fn hybrid_record(g: &Graph<'_>, h: &Hybrid) -> AssetRecord {
    let (Some(cc), Some(pc)) = (g.nodes[h.classical].component, g.nodes[h.pq].component) else {
        return AssetRecord::default();
    };
    let curve = classical_curve(cc);
    let size = kem_size(pc);
    let known = match (curve, size) {
        (Some("X25519"), Some(768)) => Some("X25519MLKEM768"),
        (Some("P-256"), Some(768)) => Some("SecP256r1MLKEM768"),
        (Some("P-384"), Some(1024)) => Some("SecP384r1MLKEM1024"),
        _ => None,
    };
    let cn = s(cc, "name").unwrap_or("classical");
    let pn = s(pc, "name").unwrap_or("ML-KEM");
    let (algorithm, parameter) = match known {
        Some(k) => (k.to_owned(), None),
        None => (pn.to_owned(), Some(format!("hybrid with {cn}"))),
    };
    let (name, asset_ref) = match (h.combiner, g.nodes[h.via].component) {
        (true, Some(c)) => (
            s(c, "name").unwrap_or("hybrid").to_owned(),
            g.nodes[h.via].key.clone(),
        ),
        _ => (
            format!("hybrid key exchange {cn} + {pn}"),
            format!("hybrid:{}+{}", g.nodes[h.classical].key, g.nodes[h.pq].key),
        ),
    };
    AssetRecord {
        name: clip(&name, 1000),
        asset_ref: Some(clip(&asset_ref, 1000)),
        asset_type: Some("hybrid".into()),
        algorithm: clip(&algorithm, 200),
        family: Some("hybrid".into()),
        usage: Some("key_exchange".into()),
        parameter: parameter.map(|p| clip(&p, 200)),
        ..AssetRecord::default()
    }
}

/// The document's scoring defaults (`metadata.properties` in the
/// `quantun:` namespace) and every bad `quantun:` input in it, metadata and
/// components (nested ones too), named by JSON pointer.
pub fn inputs(doc: &Value) -> (Defaults, Vec<FieldError>) {
    fn walk(list: &Value, at: &str, depth: usize, errors: &mut Vec<FieldError>) {
        if depth > MAX_DEPTH || errors.len() >= MAX_INPUT_ERRORS {
            return;
        }
        for (i, c) in list.as_array().into_iter().flatten().enumerate() {
            let here = format!("{at}/{i}");
            let (_, e) =
                AssetInputs::from_properties(c.get("properties"), &format!("{here}/properties"));
            errors.extend(e);
            if let Some(inner) = c.get("components") {
                walk(inner, &format!("{here}/components"), depth + 1, errors);
            }
        }
    }
    let (d, mut errors) =
        Defaults::from_properties(doc.pointer("/metadata/properties"), "/metadata/properties");
    if let Some(c) = doc.get("components") {
        walk(c, "/components", 0, &mut errors);
    }
    errors.truncate(MAX_INPUT_ERRORS);
    (d, errors)
}

/// Bad `quantun:` inputs reported per upload.
const MAX_INPUT_ERRORS: usize = 100;

fn collect<'a>(list: &'a [Value], depth: usize, out: &mut Vec<&'a Value>) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(Problem::invalid_field(
            "components",
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    for c in list {
        if !c.is_object() {
            return Err(Problem::invalid_field(
                "components",
                "every component must be an object",
            ));
        }
        out.push(c);
        if let Some(inner) = c.get("components").and_then(Value::as_array) {
            collect(inner, depth + 1, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fixture(path: &str) -> Cbom {
        let text = std::fs::read(shared::test_util::testdata().join(path)).unwrap();
        parse(&serde_json::from_slice(&text).unwrap()).unwrap()
    }

    fn by_ref<'a>(c: &'a Cbom, r: &str) -> &'a AssetRecord {
        c.assets
            .iter()
            .find(|a| a.asset_ref.as_deref() == Some(r))
            .unwrap_or_else(|| panic!("no asset {r} in {:#?}", c.assets))
    }

    fn set(paths: &[Vec<String>]) -> std::collections::BTreeSet<Vec<String>> {
        paths.iter().cloned().collect()
    }

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `testdata/cbom/cyclonedx-protocol.json` read by hand: the TLS 1.2
    /// protocol lists the google.com certificate (cryptoRefArray) and one
    /// suite naming X25519, AES-256-GCM, SHA-384 and
    /// `crypto/algorithm/rsa-2048@1.2.840.113549.1.1.1`, a bom-ref no
    /// component has (the RSA algorithm's is `…1.1.11`); the certificate
    /// names its signature algorithm and its key, the key its algorithm and
    /// (securedBy) AES-256-GCM.
    #[test]
    fn protocol_fixture_graph() {
        let c = fixture("cbom/cyclonedx-protocol.json");
        let proto = "crypto/protocol/tls@1.2";
        let cert = "crypto/certificate/google.com@sha256:1e15e0fbd3ce95bde5945633ae96add551341b11e5bae7bba12e98ad84a5beb4";
        let suite = "cipherSuite:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
        let key = "crypto/key/rsa-2048@1.2.840.113549.1.1.1";
        let sig = "crypto/algorithm/sha-512-rsa@1.2.840.113549.1.1.13";
        let rsa = "crypto/algorithm/rsa-2048@1.2.840.113549.1.1.11";
        let aes = "crypto/algorithm/aes-256-gcm@2.16.840.1.101.3.4.1.46";
        let x25519 = "crypto/algorithm/ecdh-curve25519@1.3.132.1.12";
        let sha384 = "crypto/algorithm/sha-384@2.16.840.1.101.3.4.2.9";
        let dangling = "crypto/algorithm/rsa-2048@1.2.840.113549.1.1.1";
        assert_eq!(c.assets.len(), 9, "{:#?}", c.assets);

        let a = by_ref(&c, proto);
        assert_eq!(
            (a.asset_type.as_deref(), a.algorithm.as_str()),
            (Some("protocol"), "TLS 1.2")
        );
        assert_eq!(codes(&a.checks), ["pq-key-exchange-needs-tls13"]);
        assert_eq!(set(&a.paths), set(&[p(&[proto])]));

        let a = by_ref(&c, cert);
        assert_eq!(a.asset_type.as_deref(), Some("certificate"));
        assert_eq!(a.algorithm, "RSA-PKCS1-1.5-SHA512");
        assert_eq!(
            a.parameter.as_deref(),
            Some("2048"),
            "the subject key's size"
        );
        assert_eq!(a.valid_until.as_deref(), Some("2017-11-22T07:59:59Z"));
        assert_eq!(set(&a.paths), set(&[p(&[proto, cert])]));

        let a = by_ref(&c, key);
        assert_eq!(a.asset_type.as_deref(), Some("key"));
        assert_eq!(a.algorithm, "RSA-PKCS1-1.5-SHA256-2048");
        assert_eq!(a.parameter.as_deref(), Some("2048"));
        assert_eq!(set(&a.paths), set(&[p(&[proto, cert, key])]));

        assert_eq!(set(&by_ref(&c, sig).paths), set(&[p(&[proto, cert, sig])]));
        assert_eq!(
            set(&by_ref(&c, rsa).paths),
            set(&[p(&[proto, cert, key, rsa])])
        );
        let a = by_ref(&c, aes);
        assert_eq!(a.occurrences, 2, "one asset, two uses");
        assert_eq!(
            set(&a.paths),
            set(&[
                p(&[proto, suite, aes]),
                p(&[proto, cert, key, "securedBy", aes])
            ])
        );
        assert_eq!(
            set(&by_ref(&c, x25519).paths),
            set(&[p(&[proto, suite, x25519])])
        );
        assert_eq!(
            set(&by_ref(&c, sha384).paths),
            set(&[p(&[proto, suite, sha384])])
        );
        let a = by_ref(&c, dangling);
        assert_eq!(a.asset_type.as_deref(), Some("unresolved"));
        assert_eq!(codes(&a.checks), ["unresolved-reference"]);
        assert_eq!(set(&a.paths), set(&[p(&[proto, suite, dangling])]));
    }

    /// `testdata/cbom/cyclonedx-pq-migration.json`: the library provides
    /// ML-KEM-768 and ECDH-P-256 (and the signatures ML-DSA-65 and
    /// ECDSA-P-256): the key exchange is one hybrid, SecP256r1MLKEM768 in
    /// draft-ietf-tls-ecdhe-mlkem's naming; the signatures stay apart.
    #[test]
    fn pq_migration_hybrid_is_one_asset() {
        let c = fixture("cbom/cyclonedx-pq-migration.json");
        let hybrids: Vec<_> = c
            .assets
            .iter()
            .filter(|a| a.asset_type.as_deref() == Some("hybrid"))
            .collect();
        assert_eq!(hybrids.len(), 1, "{:#?}", c.assets);
        assert_eq!(hybrids[0].algorithm, "SecP256r1MLKEM768");
        assert_eq!(hybrids[0].usage.as_deref(), Some("key_exchange"));
        let algs: Vec<&str> = c.assets.iter().map(|a| a.algorithm.as_str()).collect();
        assert!(
            !algs.contains(&"ML-KEM-768") && !algs.contains(&"ECDH-P-256"),
            "{algs:?}"
        );
        assert!(algs.contains(&"ML-DSA-65") && algs.contains(&"ECDSA-P-256-SHA-256"));
        assert_eq!(
            set(&by_ref(&c, "algorithm:ml-dsa-65").paths),
            set(&[p(&[
                "application:pqc-migration-example@1.0.0",
                "library:python-oqs-binding",
                "provides",
                "algorithm:ml-dsa-65"
            ])])
        );
    }

    /// Keycloak's and Kafka's CBOMs (CBOMkit) give keys without
    /// `algorithmRef`: all 33 and 4 related-crypto-material components
    /// are imported.
    #[test]
    fn keys_without_algorithm_ref_are_imported() {
        for (file, keys) in [("cbom/keycloak-cbom.json", 33), ("cbom/kafka-cbom.json", 4)] {
            let c = fixture(file);
            let n = c
                .assets
                .iter()
                .filter(|a| a.asset_type.as_deref() == Some("key"))
                .count();
            assert_eq!(n, keys, "{file}");
        }
    }

    /// CycloneDX 1.7 `relatedCryptographicAssets`, read by hand from
    /// `testdata/cyclonedx/valid-cryptography-certificate-1.7.json`: the
    /// google.com certificate relates to its public key ceb37320… (size
    /// 2048, expirationDate 2017-11-22T07:59:59Z), which relates to the
    /// RSA-2048 OAEP algorithm a154af0a…; the certificate's algorithm
    /// reference `6b00f384…569RR` matches no bom-ref (SHA512withRSA's is
    /// `…569`), so its signature algorithm is unresolved, never assumed.
    #[test]
    fn related_cryptographic_assets_1_7() {
        let c = fixture("cyclonedx/valid-cryptography-certificate-1.7.json");
        let cert = "c9c7ac91-2115-45e8-ae13-7d0e1dec74be";
        let key = "ceb37320-8239-40e8-ab77-8798dbd98773";
        let rsa = "a154af0a-0dca-4ed5-b611-2405a3a6ae47";
        let typo = "6b00f384-6c39-420f-91eb-94de0f7be569RR";
        let a = by_ref(&c, cert);
        assert_eq!(a.asset_type.as_deref(), Some("certificate"));
        assert_eq!(
            a.parameter.as_deref(),
            Some("2048"),
            "the subject key's size"
        );
        assert_eq!(a.valid_until.as_deref(), Some("2017-11-22T07:59:59Z"));
        assert!(a.algorithm.contains(typo), "{a:?}");
        assert_eq!(by_ref(&c, typo).asset_type.as_deref(), Some("unresolved"));
        let a = by_ref(&c, key);
        assert_eq!(a.asset_type.as_deref(), Some("key"));
        assert_eq!(
            (a.algorithm.as_str(), a.parameter.as_deref()),
            ("RSA-2048", Some("2048"))
        );
        assert_eq!(a.family.as_deref(), Some("RSAES-OAEP"));
        assert_eq!(a.valid_until.as_deref(), Some("2017-11-22T07:59:59Z"));
        assert_eq!(set(&a.paths), set(&[p(&[cert, key])]));
        let a = by_ref(&c, rsa);
        assert_eq!(a.crypto_functions, ["encrypt", "decrypt"]);
        assert_eq!(set(&a.paths), set(&[p(&[cert, key, rsa])]));
        // valid-cryptography-certificate-advanced-1.7.json: each certificate
        // relates to its signature algorithm and its public key (sizes 4096
        // and 256); the CA key's state is compromised.
        let c = fixture("cyclonedx/valid-cryptography-certificate-advanced-1.7.json");
        for (cert, alg, size, until) in [
            (
                "840ADC47-55CD-44C6-A306-B37A9149B066",
                "RSA-SHA256",
                "4096",
                "2025-12-31T23:59:59Z",
            ),
            (
                "4497B977-4D07-4245-9457-C2CF37FF399A",
                "ECDSA-P256",
                "256",
                "2025-01-01T23:59:59Z",
            ),
        ] {
            let a = by_ref(&c, cert);
            assert_eq!(
                (
                    a.algorithm.as_str(),
                    a.parameter.as_deref(),
                    a.valid_until.as_deref()
                ),
                (alg, Some(size), Some(until)),
                "{cert}"
            );
        }
        let a = by_ref(&c, "ACCAF8BC-5F73-4869-A3FE-1C64E8D96408");
        assert_eq!(
            (a.algorithm.as_str(), a.parameter.as_deref()),
            ("RSA-SHA256", Some("4096"))
        );
        assert_eq!(codes(&a.checks), ["key-compromised"]);
        let a = by_ref(&c, "F1F3D902-0A1B-4C0C-9F6A-F36E041B0B7D");
        assert_eq!(a.valid_until.as_deref(), Some("2025-01-01T23:59:59Z"));
        let c = fixture("cyclonedx/valid-cryptography-certificate-1.7.json");
        // Nothing links to SHA512withRSA: a root of its own, with its OID.
        let a = by_ref(&c, "6b00f384-6c39-420f-91eb-94de0f7be569");
        assert_eq!(a.oid.as_deref(), Some("1.2.840.113549.1.1.13"));
        assert_eq!(
            set(&a.paths),
            set(&[p(&["6b00f384-6c39-420f-91eb-94de0f7be569"])])
        );
    }

    /// 1.7 `tlsGroups`/`tlsSignatureSchemes` and IKEv2 transforms, read by
    /// hand from `testdata/cyclonedx/valid-cryptography-full-1.7.json`
    /// (asset-3: TLS 1.3, suite TLS_AES_128_GCM_SHA256 with six groups and
    /// eight signature schemes; IKEv2 encr/prf/integ/ke/auth by algorithm
    /// reference) and its 1.6 counterpart (IKEv2 transforms as bare
    /// references, `cryptoRefArray` naming asset-4).
    #[test]
    fn tls_groups_schemes_and_ikev2() {
        let c = fixture("cyclonedx/valid-cryptography-full-1.7.json");
        let names = |t: &str| -> std::collections::BTreeSet<&str> {
            c.assets
                .iter()
                .filter(|a| a.asset_type.as_deref() == Some(t))
                .map(|a| a.algorithm.as_str())
                .collect()
        };
        assert_eq!(
            names("tls-group"),
            [
                "x25519",
                "secp256r1",
                "secp384r1",
                "secp521r1",
                "ffdhe2048",
                "ffdhe3072"
            ]
            .into_iter()
            .collect()
        );
        assert!(c
            .assets
            .iter()
            .filter(|a| a.asset_type.as_deref() == Some("tls-group"))
            .all(|a| a.usage.as_deref() == Some("key_exchange")
                && a.paths[0][..2] == p(&["asset-3", "cipherSuite:TLS_AES_128_GCM_SHA256"])));
        assert_eq!(names("tls-signature-scheme").len(), 8);
        assert!(names("tls-signature-scheme").contains("rsa_pss_rsae_sha256"));
        assert!(by_ref(&c, "asset-3").checks.is_empty(), "TLS 1.3");
        for (r, label) in [
            ("aes-128-gcm-ref", "ikev2:encr"),
            ("diffie-hellman-group14-sha256-ref", "ikev2:ke"),
            ("ecdsa_secp256r1_sha256", "ikev2:auth"),
        ] {
            assert!(
                by_ref(&c, r).paths.contains(&p(&["asset-3", label, r])),
                "{r}: {:?}",
                by_ref(&c, r).paths
            );
        }
        // A suite given only by name or only by its IANA code point is a
        // finding of its own (schema: cipherSuites[].name / identifiers).
        let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.7", "components": [
            {"type": "cryptographic-asset", "bom-ref": "tls", "name": "tls", "cryptoProperties": {"assetType": "protocol",
              "protocolProperties": {"type": "tls", "version": "1.2", "cipherSuites": [
                {"name": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, {"identifiers": ["0xC0", "0x2F"]}]}}}]});
        let suites: Vec<(String, Vec<Vec<String>>)> = parse(&doc)
            .unwrap()
            .assets
            .into_iter()
            .filter(|a| a.asset_type.as_deref() == Some("cipher-suite"))
            .map(|a| (a.algorithm, a.paths))
            .collect();
        assert_eq!(suites.len(), 2, "{suites:?}");
        assert!(suites
            .iter()
            .any(|(a, _)| a == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(suites.iter().any(|(a, _)| a.contains("0xC0")), "{suites:?}");
        assert!(suites.iter().all(|(_, p)| p[0][0] == "tls"));
        let c = fixture("cyclonedx/valid-cryptography-full-1.6.json");
        for (r, label) in [
            ("bom-ref-to-encr", "ikev2:encr"),
            ("bom-ref-to-prf", "ikev2:prf"),
            ("bom-ref-to-integ", "ikev2:integ"),
            ("bom-ref-to-ke", "ikev2:ke"),
            ("bom-ref-to-auth", "ikev2:auth"),
        ] {
            assert_eq!(set(&by_ref(&c, r).paths), set(&[p(&["asset-3", label, r])]));
        }
        assert!(by_ref(&c, "asset-4")
            .paths
            .contains(&p(&["asset-3", "asset-4"])));
    }

    /// `testdata/cbom/cyclonedx-algorithm.json`: the `combiner`
    /// draft-ietf-tls-hybrid-design-13 dependsOn ML-KEM-1024 and
    /// ECDH-secp521r1: one hybrid asset, the combiner itself.
    #[test]
    fn combiner_is_the_hybrid() {
        let c = fixture("cbom/cyclonedx-algorithm.json");
        let h = by_ref(&c, "draftietftlshybriddesign13");
        assert_eq!(h.asset_type.as_deref(), Some("hybrid"));
        assert_eq!(h.algorithm, "ML-KEM-1024");
        assert_eq!(h.parameter.as_deref(), Some("hybrid with ECDH-secp521r1"));
        assert!(c
            .assets
            .iter()
            .all(|a| a.asset_ref.as_deref() != Some("mlkem1024")
                && a.asset_ref.as_deref() != Some("ecdhsecp521r1")));
        assert_eq!(c.assets.len(), 3, "{:#?}", c.assets);
    }

    /// A TLS suite negotiated with X25519MLKEM768 on some connections and
    /// X25519 on others (the QSGW runtime CBOM) lists both groups: two
    /// alternative NamedGroups (RFC 8446 §4.2.7; X25519MLKEM768 is one
    /// group, 0x11EC, in draft-ietf-tls-ecdhe-mlkem §3), so two findings,
    /// the classical X25519 not hidden inside a made-up pair, each keeping
    /// its evidence locations.
    #[test]
    fn a_named_hybrid_group_beside_a_classical_one_is_no_pair() {
        let group = |name: &str, primitive: &str, at: &str| {
            serde_json::json!({"type": "cryptographic-asset", "name": name,
                "bom-ref": format!("kx-{name}"),
                "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": primitive}},
                "evidence": {"occurrences": [{"location": at}]}})
        };
        let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.7", "components": [
            {"type": "cryptographic-asset", "name": "TLSv1.3", "bom-ref": "tls13",
             "cryptoProperties": {"assetType": "protocol", "protocolProperties": {"type": "tls", "version": "1.3",
                "cipherSuites": [{"name": "TLS_AES_128_GCM_SHA256", "algorithms": ["kx-X25519MLKEM768", "kx-X25519"]}]}}},
            group("X25519MLKEM768", "kem", "qsgw route rt_a (shop/pay)"),
            group("X25519", "key-agree", "qsgw route rt_b (shop/legacy)"),
        ]});
        let c = parse(&doc).unwrap();
        assert!(
            c.assets
                .iter()
                .all(|a| a.asset_type.as_deref() != Some("hybrid")),
            "{:#?}",
            c.assets
        );
        assert_eq!(
            by_ref(&c, "kx-X25519").locations,
            ["qsgw route rt_b (shop/legacy)"]
        );
        assert_eq!(
            by_ref(&c, "kx-X25519MLKEM768").locations,
            ["qsgw route rt_a (shop/pay)"]
        );
    }

    /// Amplification: one suite naming one algorithm 200,001 times stops at
    /// the reference limit.
    #[test]
    fn reference_fan_out_is_bounded() {
        let refs = vec![Value::from("alg"); MAX_ASSETS + 1];
        let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
            {"type": "cryptographic-asset", "bom-ref": "alg", "name": "AES-128-GCM", "cryptoProperties": {"assetType": "algorithm"}},
            {"type": "cryptographic-asset", "bom-ref": "tls", "name": "TLS", "cryptoProperties": {"assetType": "protocol",
              "protocolProperties": {"type": "tls", "version": "1.3", "cipherSuites": [{"name": "S", "algorithms": refs}]}}}]});
        let e = parse(&doc).unwrap_err();
        assert!(e.detail.contains("more than 100000 references"), "{e:?}");
    }

    /// ECB (SP 800-38A §6.1), PKCS#1 v1.5 encryption (SP 800-131A Rev. 2)
    /// from an algorithm's properties; its `cryptoFunctions` (the
    /// bom-1.7.schema.json enum) passed on for the engine, without values
    /// outside the enum or repeats.
    #[test]
    fn mode_padding_and_functions() {
        let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.7", "components": [
            {"type": "cryptographic-asset", "bom-ref": "ecb", "name": "AES-128-ECB", "cryptoProperties": {"assetType": "algorithm",
              "algorithmProperties": {"primitive": "block-cipher", "mode": "ecb", "cryptoFunctions": ["encrypt", "decrypt"]}}},
            {"type": "cryptographic-asset", "bom-ref": "v15", "name": "RSA-2048", "cryptoProperties": {"assetType": "algorithm",
              "algorithmProperties": {"primitive": "pke", "padding": "pkcs1v15", "cryptoFunctions": ["encrypt", "decrypt"]}}},
            {"type": "cryptographic-asset", "bom-ref": "ver", "name": "SHA256withRSA", "cryptoProperties": {"assetType": "algorithm",
              "algorithmProperties": {"primitive": "signature", "padding": "pkcs1v15", "cryptoFunctions": ["verify", "verify", "wiggle"]}}}]});
        let c = parse(&doc).unwrap();
        assert_eq!(codes(&by_ref(&c, "ecb").checks), ["ecb-mode"]);
        assert_eq!(codes(&by_ref(&c, "v15").checks), ["pkcs1v15-encryption"]);
        assert!(
            by_ref(&c, "ver").checks.is_empty(),
            "signature padding is not flagged"
        );
        assert_eq!(by_ref(&c, "ver").crypto_functions, ["verify"]);
        assert_eq!(by_ref(&c, "v15").crypto_functions, ["encrypt", "decrypt"]);
    }

    fn codes(c: &[Check]) -> Vec<&str> {
        c.iter().map(|c| c.code).collect()
    }

    /// RFC 8996 §1: TLS 1.0, TLS 1.1 and DTLS 1.0 are deprecated; the
    /// ML-KEM groups exist for (D)TLS 1.3 only.
    #[test]
    fn protocol_versions() {
        let both = ["protocol-version-disallowed", "pq-key-exchange-needs-tls13"];
        assert_eq!(codes(&version_checks("tls", Some("1.0"))), both);
        assert_eq!(codes(&version_checks("tls", Some("1.1"))), both);
        assert_eq!(codes(&version_checks("tls", Some("3.0"))), both, "SSL 3.0");
        assert_eq!(
            codes(&version_checks("tls", Some("1.2"))),
            ["pq-key-exchange-needs-tls13"]
        );
        assert!(version_checks("tls", Some("1.3")).is_empty());
        assert_eq!(codes(&version_checks("dtls", Some("1.0"))), both);
        assert!(version_checks("dtls", Some("1.3")).is_empty());
        assert!(version_checks("ssh", Some("2.0")).is_empty());
        assert!(version_checks("tls", None).is_empty());
    }
}
