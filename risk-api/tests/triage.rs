//! Issue 21 item 5: the finding detail, triage (states, bad input, audit,
//! roles, tenancy, carry-over to the next assessment of the same system,
//! expiry of an accepted risk), the organization trend and the diff of two
//! assessments, on the real ML engine and a real database.
//!
//! Expected figures are written out by hand from the inventories below.
//! Which algorithm is public-key, post-quantum, hash or symmetric, and which
//! one needs action, is taken from the standards, not from the code:
//! RSA and ECDSA are broken by Shor's algorithm (NIST IR 8547 ipd, 2024,
//! section 4.1: deprecated after 2030); ML-KEM-768 (FIPS 203) and
//! ML-DSA-65 (FIPS 204) are the post-quantum replacements; AES-256-GCM
//! (SP 800-38D) and SHA-256 (FIPS 180-4) are symmetric / hash primitives
//! that IR 8547 section 4.2 keeps approved; three-key TDEA encryption is
//! disallowed since 2024 (SP 800-131A Rev. 2, section 2), so it needs
//! action today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ml_engine, App};
use serde_json::{json, Value};
use shared::auth::Role;
use shared::test_util::client;
use sqlx::PgPool;

/// System "Payments", first scan: RSA-2048 VPN key exchange (public key,
/// Shor), ML-DSA-65 code signing (public key, post-quantum), AES-256-GCM
/// disk encryption (symmetric), SHA-256 checksums (hash), 3DES legacy
/// link (symmetric, disallowed).
fn scan_one() -> Value {
    json!([
        {"name": "vpn", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange"},
        {"name": "code signing", "algorithm": "ML-DSA-65", "usage": "signature"},
        {"name": "disk", "algorithm": "AES-256-GCM", "usage": "encryption"},
        {"name": "checksums", "algorithm": "SHA-256", "usage": "hash"},
        {"name": "legacy link", "algorithm": "3DES", "usage": "encryption"}
    ])
}

/// Second scan of the same system: the VPN moved to ML-KEM-768, a partner
/// API signing with ECDSA P-256 appeared; the rest is as before.
fn scan_two() -> Value {
    json!([
        {"name": "vpn", "algorithm": "ML-KEM-768", "usage": "key_exchange"},
        {"name": "code signing", "algorithm": "ML-DSA-65", "usage": "signature"},
        {"name": "disk", "algorithm": "AES-256-GCM", "usage": "encryption"},
        {"name": "checksums", "algorithm": "SHA-256", "usage": "hash"},
        {"name": "legacy link", "algorithm": "3DES", "usage": "encryption"},
        {"name": "partner api", "algorithm": "ECDSA", "parameter": "P-256", "usage": "signature"}
    ])
}

async fn assess(app: &App, token: &str, name: &str, inventory: Value) -> String {
    let (s, v) = app
        .post_json(
            token,
            "/api/v1/assessments",
            &json!({"name": name, "inventory": inventory}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let done = app.wait(token, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    id
}

async fn findings(app: &App, token: &str, id: &str) -> Vec<Value> {
    let (s, page) = app
        .get(token, &format!("/api/v1/assessments/{id}/findings"))
        .await;
    assert_eq!(s, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn named<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|f| f["asset_name"] == name)
        .unwrap_or_else(|| panic!("no finding {name}: {items:?}"))
}

async fn triage(app: &App, token: &str, finding: &str, body: Value) -> (u16, Value) {
    app.post_json(token, &format!("/api/v1/findings/{finding}/triage"), &body)
        .await
}

/// The field names of a 422 problem.
fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const FUTURE: &str = "2099-12-31T00:00:00Z";

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn finding_detail_explains_the_score_and_triage_moves_through_every_state(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &op, &id).await;
    let vpn = named(&items, "vpn");
    assert_eq!(vpn["triage"]["state"], "open", "never triaged: {vpn}");
    assert!(vpn["triage"]["recorded_state"].is_null());
    let fid = vpn["id"].as_str().unwrap();

    let (s, d) = app.get(&op, &format!("/api/v1/findings/{fid}")).await;
    assert_eq!(s, 200, "{d}");
    // What the drawer shows: factors, horizon and Mosca with its bands, the
    // recommendation, the key; no history yet.
    assert!(!d["factors"].as_array().unwrap().is_empty(), "{d}");
    assert_eq!(d["horizon"]["kind"], "confidentiality", "{d}");
    assert!(d["mosca"]["bands"].as_array().unwrap().len() >= 2, "{d}");
    assert!(d["mosca"]["band"].is_string(), "{d}");
    assert!(d["recommendation"].as_str().unwrap().len() > 10, "{d}");
    assert!(d["finding_key"].as_str().unwrap().starts_with("fk_"), "{d}");
    assert_eq!(d["system_key"], "payments");
    assert_eq!(d["history"], json!([]));

    let steps = [
        json!({"state": "in_progress", "reason": "ticket SEC-42"}),
        json!({"state": "accepted_risk", "reason": "vendor appliance, replaced in Q3", "expires_at": FUTURE}),
        json!({"state": "false_positive", "reason": "test fixture only"}),
        json!({"state": "fixed"}),
        json!({"state": "open"}),
    ];
    let mut before = "open".to_owned();
    for (i, body) in steps.iter().enumerate() {
        let (s, v) = triage(&app, &op, fid, body.clone()).await;
        assert_eq!(s, 200, "{body}: {v}");
        let to = body["state"].as_str().unwrap();
        assert_eq!(v["triage"]["state"], to, "{v}");
        assert_eq!(v["triage"]["recorded_state"], to, "{v}");
        assert_eq!(v["triage"]["version"], json!(i + 1), "{v}");
        // The audit row of this change: who, from what to what.
        let (actor_role, details): (Option<String>, Value) = sqlx::query_as(
            "SELECT actor_role, details FROM qrap_audit_log
             WHERE action = 'finding.triage' AND resource_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(fid)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(actor_role.as_deref(), Some("operator"));
        assert_eq!(details["from"], before.as_str(), "{details}");
        assert_eq!(details["to"], to, "{details}");
        assert_eq!(details["reason"], body["reason"], "{details}");
        assert_eq!(details["assessment_id"], id.as_str());
        before = to.to_owned();
    }
    let accepted: Value = sqlx::query_scalar(
        "SELECT details FROM qrap_audit_log WHERE action = 'finding.triage' AND details->>'to' = 'accepted_risk'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(accepted["expires_at"], "2099-12-31T00:00:00+00:00");
    // The history, newest first.
    let (_, d) = app.get(&op, &format!("/api/v1/findings/{fid}")).await;
    let to: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        to,
        [
            "open",
            "fixed",
            "false_positive",
            "accepted_risk",
            "in_progress"
        ]
    );
    // The chain still verifies with the new rows in it.
    let (s, v) = app.get(&app.admin(), "/api/v1/audit/verify").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["intact"], true, "{v}");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn triage_bad_input_is_422_naming_the_field(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &op, &id).await;
    let fid = named(&items, "vpn")["id"].as_str().unwrap().to_owned();
    for (body, field, says) in [
        (json!({"state": "wontfix"}), "state", "must be one of"),
        (
            json!({"state": "accepted_risk", "reason": "budget"}),
            "expires_at",
            "required",
        ),
        (
            json!({"state": "accepted_risk", "expires_at": FUTURE}),
            "reason",
            "required",
        ),
        (
            json!({"state": "accepted_risk", "reason": "   ", "expires_at": FUTURE}),
            "reason",
            "required",
        ),
        (
            json!({"state": "accepted_risk", "reason": "budget", "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
            "future",
        ),
        (
            json!({"state": "accepted_risk", "reason": "budget", "expires_at": "2020-01-01"}),
            "expires_at",
            "future",
        ),
        (
            json!({"state": "accepted_risk", "reason": "budget", "expires_at": "soon"}),
            "expires_at",
            "RFC 3339",
        ),
        (
            json!({"state": "fixed", "expires_at": FUTURE}),
            "expires_at",
            "only an accepted_risk",
        ),
        (
            json!({"state": "in_progress", "reason": "x".repeat(2001)}),
            "reason",
            "2000",
        ),
        (
            json!({"state": "in_progress", "reason": "a\u{0007}b"}),
            "reason",
            "control",
        ),
        (json!({"reason": "no state"}), "state", "required"),
        (json!({"state": 3}), "state", ""),
    ] {
        let (s, v) = triage(&app, &op, &fid, body.clone()).await;
        assert_eq!(s, 422, "{body}: {v}");
        assert!(
            fields(&v).contains(&field.to_owned()),
            "{body} names {field}: {v}"
        );
        assert!(v.to_string().contains(says), "{body} says {says}: {v}");
    }
    // Both missing: both named at once.
    let (s, v) = triage(&app, &op, &fid, json!({"state": "accepted_risk"})).await;
    assert_eq!(s, 422);
    let f = fields(&v);
    assert!(
        f.contains(&"reason".into()) && f.contains(&"expires_at".into()),
        "{v}"
    );
    // Nothing was recorded or audited by the refused requests.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM finding_triage WHERE organization_id = $1",
            &org
        )
        .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM qrap_audit_log WHERE action = 'finding.triage' AND organization_id = $1",
            &org
        )
        .await,
        0
    );
    // An unknown or malformed finding id is 404; a bad list filter is 422.
    let (s, _) = triage(
        &app,
        &op,
        "fnd_0123456789abcdef0123456789abcdef",
        json!({"state": "fixed"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = app.get(&op, "/api/v1/findings/not-an-id").await;
    assert_eq!(s, 404);
    let (s, v) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?triage_state=done"),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&v), ["triage_state"]);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_viewer_reads_triage_but_cannot_change_it(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let viewer = app.token(Role::Viewer, Some(&org));
    let admin = app.token(Role::Admin, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &viewer, &id).await;
    let fid = named(&items, "vpn")["id"].as_str().unwrap().to_owned();
    let (s, v) = app.get(&viewer, &format!("/api/v1/findings/{fid}")).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = triage(&app, &viewer, &fid, json!({"state": "fixed"})).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM finding_triage WHERE organization_id = $1",
            &org
        )
        .await,
        0
    );
    // An organization's admin may, as may an operator.
    let (s, v) = triage(&app, &admin, &fid, json!({"state": "in_progress"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.get(&viewer, &format!("/api/v1/findings/{fid}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["triage"]["state"], "in_progress");
    assert_eq!(v["history"][0]["actor_role"], "admin");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn another_organization_can_neither_read_nor_triage_a_finding(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let a = app.create_org("Alpha").await;
    let b = app.create_org("Beta").await;
    let op_a = app.token(Role::Operator, Some(&a));
    let admin_a = app.token(Role::Admin, Some(&a));
    let op_b = app.token(Role::Operator, Some(&b));
    // Same system name and the same inventory in both organizations: the
    // finding keys are equal, the triage must still not cross.
    let asm_a = assess(&app, &op_a, "Payments", scan_one()).await;
    let asm_b = assess(&app, &op_b, "Payments", scan_one()).await;
    let fa = findings(&app, &op_a, &asm_a).await;
    let fb = findings(&app, &op_b, &asm_b).await;
    let vpn_a = named(&fa, "vpn");
    let vpn_b = named(&fb, "vpn");
    assert_eq!(vpn_a["finding_key"], vpn_b["finding_key"]);
    let fid_b = vpn_b["id"].as_str().unwrap();

    for t in [&op_a, &admin_a] {
        let (s, v) = app.get(t, &format!("/api/v1/findings/{fid_b}")).await;
        assert_eq!(s, 404, "{v}");
        let (s, v) = triage(&app, t, fid_b, json!({"state": "false_positive"})).await;
        assert_eq!(s, 404, "{v}");
        let (s, v) = app
            .get(t, &format!("/api/v1/organizations/{b}/trend"))
            .await;
        assert_eq!(s, 404, "{v}");
        let (s, v) = app
            .get(t, &format!("/api/v1/assessments/{asm_a}/diff?base={asm_b}"))
            .await;
        assert_eq!(s, 404, "{v}");
        let (s, v) = app
            .get(t, &format!("/api/v1/assessments/{asm_b}/diff?base={asm_a}"))
            .await;
        assert_eq!(s, 404, "{v}");
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM finding_triage WHERE organization_id = $1",
            &b
        )
        .await,
        0
    );
    // A's own triage of its equal finding leaves B's open.
    let (s, _) = triage(
        &app,
        &op_a,
        vpn_a["id"].as_str().unwrap(),
        json!({"state": "false_positive"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = app.get(&op_b, &format!("/api/v1/findings/{fid_b}")).await;
    assert_eq!(v["triage"]["state"], "open", "{v}");
    // A platform admin crosses organizations, but two organizations'
    // assessments are not compared.
    let (s, v) = app
        .get(
            &app.admin(),
            &format!("/api/v1/assessments/{asm_a}/diff?base={asm_b}"),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(fields(&v), ["base"]);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn triage_carries_over_to_the_next_assessment_of_the_same_system(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &op, &id).await;
    let vpn = named(&items, "vpn")["id"].as_str().unwrap().to_owned();
    let legacy = named(&items, "legacy link")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disk = named(&items, "disk")["id"].as_str().unwrap().to_owned();
    let (s, _) = triage(
        &app,
        &op,
        &vpn,
        json!({"state": "accepted_risk", "reason": "replaced in Q3", "expires_at": FUTURE}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = triage(&app, &op, &legacy, json!({"state": "in_progress"})).await;
    assert_eq!(s, 200);
    let (s, _) = triage(&app, &op, &disk, json!({"state": "fixed"})).await;
    assert_eq!(s, 200);

    // Re-run: new finding rows, same states.
    let (s, v) = app
        .post_json(&op, &format!("/api/v1/assessments/{id}/rerun"), &json!({}))
        .await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(app.wait(&op, &id).await["status"], "completed");
    let again = findings(&app, &op, &id).await;
    let vpn2 = named(&again, "vpn");
    assert_ne!(
        vpn2["id"].as_str().unwrap(),
        vpn,
        "a re-run writes new rows"
    );
    assert_eq!(vpn2["triage"]["state"], "accepted_risk", "{vpn2}");
    assert_eq!(vpn2["triage"]["reason"], "replaced in Q3");
    assert_eq!(
        named(&again, "legacy link")["triage"]["state"],
        "in_progress"
    );
    // Marked fixed, but the re-run found it again: open, and said so.
    let disk2 = named(&again, "disk");
    assert_eq!(disk2["triage"]["state"], "open", "{disk2}");
    assert_eq!(disk2["triage"]["recorded_state"], "fixed");
    assert_eq!(disk2["triage"]["reopened"], true);

    // A new upload of the same system (name differing only in case and
    // spacing) inherits too; another system does not.
    let next = assess(&app, &op, "  payments ", scan_one()).await;
    let n = findings(&app, &op, &next).await;
    assert_eq!(named(&n, "vpn")["triage"]["state"], "accepted_risk");
    assert_eq!(named(&n, "legacy link")["triage"]["state"], "in_progress");
    let other = assess(&app, &op, "Billing", scan_one()).await;
    let o = findings(&app, &op, &other).await;
    assert_eq!(named(&o, "vpn")["triage"]["state"], "open");
    // The filter sees effective states.
    let (_, page) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{next}/findings?triage_state=accepted_risk"),
        )
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["asset_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vpn"]);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn an_expired_accepted_risk_counts_as_open(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &op, &id).await;
    let fid = named(&items, "vpn")["id"].as_str().unwrap().to_owned();
    let (s, v) = triage(
        &app,
        &op,
        &fid,
        json!({"state": "accepted_risk", "reason": "until the upgrade", "expires_at": FUTURE}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["triage"]["expired"], false);
    // Time passes: the acceptance ended a minute ago.
    sqlx::query("UPDATE finding_triage SET expires_at = now() - interval '1 minute' WHERE organization_id = $1")
        .bind(&org)
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, v) = app.get(&op, &format!("/api/v1/findings/{fid}")).await;
    assert_eq!(v["triage"]["state"], "open", "{v}");
    assert_eq!(v["triage"]["recorded_state"], "accepted_risk");
    assert_eq!(v["triage"]["expired"], true);
    let (_, page) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?triage_state=open"),
        )
        .await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == fid.as_str()));
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn trend_and_diff_figures_match_the_inventories(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let first = assess(&app, &op, "Payments", scan_one()).await;
    let second = assess(&app, &op, "Payments", scan_two()).await;

    // Severity is the ML engine's (calibration.rs: INFO below 15): AES-256,
    // SHA-256 and the ML-* algorithms are INFO, no work item; RSA, ECDSA and
    // 3DES need action.
    // Scan one: asymmetric assets RSA-2048 and ML-DSA-65, of which
    // ML-DSA-65 is post-quantum: 1 of 2 = 50 %. SHA-256 is the one hash
    // asset; AES-256-GCM and 3DES the two symmetric ones, outside the share.
    let (_, s1) = app
        .get(&op, &format!("/api/v1/assessments/{first}/summary"))
        .await;
    assert_eq!(s1["pqc_relevant_assets"], 2, "{s1}");
    assert_eq!(s1["quantum_safe_assets"], 1, "{s1}");
    assert_eq!(s1["pqc_readiness_pct"], 50.0, "{s1}");
    assert_eq!(s1["hash_assets"], 1, "{s1}");
    assert_eq!(s1["symmetric_assets"], 2, "{s1}");
    // Scan two: ML-KEM-768, ML-DSA-65 and ECDSA P-256 are asymmetric, the
    // first two post-quantum: 2 of 3 = 66.67 % (two decimals).
    let (_, s2) = app
        .get(&op, &format!("/api/v1/assessments/{second}/summary"))
        .await;
    assert_eq!(s2["pqc_relevant_assets"], 3, "{s2}");
    assert_eq!(s2["quantum_safe_assets"], 2, "{s2}");
    assert_eq!(s2["pqc_readiness_pct"], 66.67, "{s2}");
    assert_eq!(s2["hash_assets"], 1, "{s2}");
    assert_eq!(s2["symmetric_assets"], 2, "{s2}");

    // Diff: the RSA VPN is gone (fixed), the ECDSA partner API is new,
    // 3DES is still there; the post-quantum and approved symmetric/hash
    // assets need no action (INFO) and are in none of the lists.
    let (s, d) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{second}/diff?base={first}"),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        d["counts"],
        json!({"new": 1, "fixed": 1, "unchanged": 1}),
        "{d}"
    );
    let names = |k: &str| -> Vec<(String, String)> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["asset_name"].as_str().unwrap().to_owned(),
                    e["algorithm"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(names("new")[0].0, "partner api");
    assert!(names("new")[0].1.starts_with("ECDSA"), "{d}");
    assert_eq!(names("fixed")[0].0, "vpn");
    assert!(names("fixed")[0].1.starts_with("RSA"), "{d}");
    assert_eq!(names("unchanged")[0].0, "legacy link");
    assert!(d["fixed"][0]["finding_id"].is_null());
    assert!(d["new"][0]["base_finding_id"].is_null());
    assert_eq!(d["base"]["id"], first.as_str());
    assert_eq!(d["target"]["id"], second.as_str());
    // The other way round: what was fixed is new, and the reverse.
    let (_, r) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{first}/diff?base={second}"),
        )
        .await;
    assert_eq!(r["counts"], json!({"new": 1, "fixed": 1, "unchanged": 1}));
    assert_eq!(r["new"][0]["asset_name"], "vpn");
    assert_eq!(r["fixed"][0]["asset_name"], "partner api");
    // A diff needs its base.
    let (s, v) = app
        .get(&op, &format!("/api/v1/assessments/{second}/diff"))
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&v), ["base"]);

    // Trend: both scans, oldest first. Actionable findings: scan one RSA +
    // 3DES = 2, scan two ECDSA + 3DES = 2. Accepting the 3DES risk (one
    // key, kept for the system) leaves 1 open in each.
    let items = findings(&app, &op, &second).await;
    let legacy = named(&items, "legacy link")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = triage(
        &app,
        &op,
        &legacy,
        json!({"state": "accepted_risk", "reason": "isolated link", "expires_at": FUTURE}),
    )
    .await;
    assert_eq!(s, 200);
    // Another system of the organization is on the org trend, not on the
    // system's.
    assess(
        &app,
        &op,
        "Billing",
        json!([{"name": "db", "algorithm": "RSA", "parameter": "3072", "usage": "key_exchange"}]),
    )
    .await;
    let (s, t) = app
        .get(
            &op,
            &format!("/api/v1/organizations/{org}/trend?system=PAYMENTS"),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    let points = t["points"].as_array().unwrap();
    let got: Vec<(&str, Value, Value, Value, Value, Value, Value)> = points
        .iter()
        .map(|p| {
            (
                p["assessment_id"].as_str().unwrap(),
                p["asymmetric_assets"].clone(),
                p["quantum_safe_assets"].clone(),
                p["quantum_safe_share_pct"].clone(),
                p["hash_assets"].clone(),
                p["findings"].clone(),
                p["open_findings"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                first.as_str(),
                json!(2),
                json!(1),
                json!(50.0),
                json!(1),
                json!(2),
                json!(1)
            ),
            (
                second.as_str(),
                json!(3),
                json!(2),
                json!(66.67),
                json!(1),
                json!(2),
                json!(1)
            ),
        ]
    );
    let (_, all) = app
        .get(&op, &format!("/api/v1/organizations/{org}/trend"))
        .await;
    assert_eq!(all["points"].as_array().unwrap().len(), 3);
    assert_eq!(all["points"][2]["name"], "Billing");
    let (s, v) = app
        .get(&op, &format!("/api/v1/organizations/{org}/trend?limit=0"))
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&v), ["limit"]);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn openapi_documents_the_new_endpoints(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let doc: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/findings/{id}", "get"),
        ("/api/v1/findings/{id}/triage", "post"),
        ("/api/v1/organizations/{id}/trend", "get"),
        ("/api/v1/assessments/{id}/diff", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} {method}");
    }
    // The API docs say that an expired acceptance counts as open again.
    let triage = &doc["paths"]["/api/v1/findings/{id}/triage"]["post"];
    assert!(
        triage["description"]
            .as_str()
            .unwrap_or("")
            .contains("once that time has passed the finding counts as open"),
        "{triage}"
    );
    shared::test_util::assert_openapi_path_params(&doc);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn concurrent_triage_of_one_finding_leaves_a_consistent_history(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let id = assess(&app, &op, "Payments", scan_one()).await;
    let items = findings(&app, &op, &id).await;
    let fid = named(&items, "vpn")["id"].as_str().unwrap().to_owned();
    let states = ["in_progress", "false_positive", "fixed", "open"];
    let calls = (0..12).map(|i| {
        let (app, op, fid) = (&app, &op, &fid);
        async move {
            triage(app, op, fid, json!({"state": states[i % states.len()]}))
                .await
                .0
        }
    });
    let codes = futures::future::join_all(calls).await;
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    // In commit order (the audit id), each change starts where the one
    // before it ended, and the stored state is the last one's.
    let rows: Vec<Value> = sqlx::query_scalar(
        "SELECT details FROM qrap_audit_log WHERE action = 'finding.triage' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["from"], "open");
    for w in rows.windows(2) {
        assert_eq!(w[1]["from"], w[0]["to"], "{rows:?}");
    }
    let (_, v) = app.get(&op, &format!("/api/v1/findings/{fid}")).await;
    assert_eq!(v["triage"]["recorded_state"], rows[11]["to"]);
    assert_eq!(v["triage"]["version"], 12);
}
