//! Assessments end to end against the real ML engine started in the test:
//! JSON inventories, the public CBOM fixtures, rejections, faults (ML 500
//! or hanging → failed, nothing half-written), re-run, reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixtures, inventory, ml_engine, App, FaultProxy, FAIL_500, FORWARD, HANG};
use serde_json::{json, Value};
use shared::auth::Role;
use shared::test_util::client;
use sqlx::PgPool;

const CDX: &str = "application/vnd.cyclonedx+json";

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn inventory_flow_scores_sorts_summarises_and_reports(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "Q3 inventory", "inventory": inventory()}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().unwrap();
    let done = app.wait(&op, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["asset_count"], 6);
    assert_eq!(done["attempts"], 1);

    // Findings in priority order: the worst first, ML-KEM last-ish.
    let (s, page) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings"))
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    let prios: Vec<i64> = items
        .iter()
        .map(|f| f["priority"].as_i64().unwrap())
        .collect();
    assert_eq!(prios, [1, 2, 3, 4, 5, 6]);
    assert_eq!(items[0]["algorithm"], "3DES");
    let kem = items
        .iter()
        .find(|f| f["algorithm"] == "ML-KEM-768")
        .unwrap();
    assert_eq!(kem["quantum_threat"], "none");
    let unknown = items.iter().find(|f| f["asset_name"] == "mystery").unwrap();
    assert_eq!(unknown["quantum_threat"], "unknown");
    assert_ne!(unknown["severity"], "INFO");
    let rsa = items.iter().find(|f| f["algorithm"] == "RSA-2048").unwrap();
    assert!(rsa["recommendation"]
        .as_str()
        .unwrap()
        .contains("X25519MLKEM768"));
    assert_eq!(rsa["nist_deprecated_year"], 2030);

    // Filters and sorts.
    let (_, shor) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?threat=shor"),
        )
        .await;
    assert_eq!(shor["items"].as_array().unwrap().len(), 2);
    let (_, dis) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?policy_status=disallowed"),
        )
        .await;
    assert_eq!(dis["items"][0]["algorithm"], "3DES");
    let (_, alg) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?algorithm=aes-256-gcm"),
        )
        .await;
    assert_eq!(alg["items"].as_array().unwrap().len(), 1);
    let (_, paged) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?limit=4&sort=-risk_score"),
        )
        .await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 4);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?limit=4&sort=-risk_score&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    for q in [
        "severity=BAD",
        "threat=x",
        "sort=evil",
        "limit=0",
        "limit=100000",
        "cursor=%%%",
        "bogus=1",
    ] {
        let (s, v) = app
            .get(&op, &format!("/api/v1/assessments/{id}/findings?{q}"))
            .await;
        assert!(s == 422 || s == 400, "{q}: {s} {v}");
    }
    let (s, v) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?algorithm=x'%20OR%20'1'='1"),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 0);

    // Summary.
    let (_, sum) = app
        .get(&op, &format!("/api/v1/assessments/{id}/summary"))
        .await;
    assert_eq!(
        sum["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>(),
        6
    );
    assert_eq!(sum["earliest_deadline_year"], 2030);
    let ready = sum["pqc_readiness_pct"].as_f64().unwrap();
    assert!((ready - 33.33).abs() < 0.01, "{ready}"); // ML-KEM-768 and AES-256-GCM of 6
    assert!(sum["overall_risk_score"].as_f64().unwrap() > 50.0);

    // Reports.
    let r = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=csv")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 7);
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("priority,severity,risk_score"));
    let r = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=html")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Q3 inventory") && html.contains("3DES"));
    let (s, rep) = app
        .get(&op, &format!("/api/v1/assessments/{id}/report"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(rep["findings"].as_array().unwrap().len(), 6);
    let (s, _) = app
        .get(&op, &format!("/api/v1/assessments/{id}/report?format=pdf"))
        .await;
    assert_eq!(s, 422);

    // List and sort.
    let (_, list) = app
        .get(&op, "/api/v1/assessments?status=completed&sort=-risk_score")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Audit: create, start, complete, org create; chain intact.
    let (_, v) = app.get(&app.admin(), "/api/v1/audit/verify").await;
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["rows"].as_i64().unwrap() >= 4);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn public_cbom_fixtures_are_imported(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Fixtures").await;
    let op = app.token(Role::Operator, Some(&org));
    let dir = fixtures();
    let mut seen = std::collections::BTreeMap::new();
    for file in [
        "cyclonedx-algorithm.json",
        "cyclonedx-key.json",
        "cyclonedx-certificate.json",
        "cyclonedx-protocol.json",
        "cyclonedx-pq-migration.json",
        "kafka-cbom.json",
        "keycloak-cbom.json",
    ] {
        let body = std::fs::read(dir.join(file)).unwrap();
        let (s, v) = app
            .post_raw(&op, &format!("/api/v1/assessments?name={file}"), CDX, body)
            .await;
        assert_eq!(s, 202, "{file}: {v}");
        let done = app.wait(&op, v["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{file}: {done}");
        assert!(done["asset_count"].as_i64().unwrap() > 0, "{file}");
        let (_, f) = app
            .get(
                &op,
                &format!(
                    "/api/v1/assessments/{}/findings?limit=500",
                    done["id"].as_str().unwrap()
                ),
            )
            .await;
        seen.insert(file, (done, f["items"].as_array().unwrap().clone()));
    }
    // 1.7 spellings (algorithmFamily) in the algorithm example; its
    // combiner (draft-ietf-tls-hybrid-design-13 over ML-KEM-1024 and
    // ECDH-secp521r1) is one hybrid finding, quantum-safe through its ML-KEM
    // half (FIPS 203).
    let (done, items) = &seen["cyclonedx-algorithm.json"];
    assert_eq!(done["source_spec_version"], "1.7");
    let hybrid: Vec<&Value> = items
        .iter()
        .filter(|f| f["asset_type"] == "hybrid")
        .collect();
    assert_eq!(hybrid.len(), 1, "{items:?}");
    assert_eq!(hybrid[0]["asset_ref"], "draftietftlshybriddesign13");
    assert_eq!(hybrid[0]["quantum_threat"], "none", "{:?}", hybrid[0]);
    assert!(items.iter().any(|f| f["algorithm"] == "AES-128-GCM"));
    // The PQ migration example: ML-KEM-768 and ECDH-P-256 from one library
    // are one hybrid, SecP256r1MLKEM768 (draft-ietf-tls-ecdhe-mlkem), safe.
    let (_, items) = &seen["cyclonedx-pq-migration.json"];
    let hybrid: Vec<&Value> = items
        .iter()
        .filter(|f| f["asset_type"] == "hybrid")
        .collect();
    assert_eq!(hybrid.len(), 1, "{items:?}");
    assert_eq!(hybrid[0]["algorithm"], "SecP256r1MLKEM768");
    assert_eq!(hybrid[0]["quantum_threat"], "none");
    assert_eq!(hybrid[0]["occurrences"], 2, "one path to each half");
    // Key material followed to its algorithm via algorithmRef.
    let (_, items) = &seen["cyclonedx-key.json"];
    assert!(
        items
            .iter()
            .any(|f| f["asset_type"] == "key" && f["algorithm"] == "RSA-2048"),
        "{items:?}"
    );
    // One finding per certificate, with its validity; its key is a finding
    // of its own, reached through the certificate.
    let (_, items) = &seen["cyclonedx-certificate.json"];
    let certs: Vec<&Value> = items
        .iter()
        .filter(|f| f["asset_type"] == "certificate")
        .collect();
    assert_eq!(certs.len(), 1, "{items:?}");
    assert_eq!(certs[0]["usage"], "certificate");
    let cert_ref = certs[0]["asset_ref"].as_str().unwrap();
    assert!(items.iter().any(|f| f["asset_type"] == "key"
        && f["paths"].as_array().unwrap().iter().any(|p| p
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == cert_ref))));
    // TLS 1.2: one protocol finding, flagged (PQ key exchange needs TLS 1.3),
    // its suite's algorithms findings of their own with the path through it.
    let (_, items) = &seen["cyclonedx-protocol.json"];
    let protos: Vec<&Value> = items
        .iter()
        .filter(|f| f["asset_type"] == "protocol")
        .collect();
    assert_eq!(protos.len(), 1, "{items:?}");
    assert_eq!(
        protos[0]["checks"][0]["code"],
        "pq-key-exchange-needs-tls13"
    );
    assert_ne!(protos[0]["severity"], "INFO");
    assert_ne!(protos[0]["severity"], "LOW");
    assert!(items.iter().any(|f| f["algorithm"] == "X25519"
        && f["paths"][0][1] == "cipherSuite:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    // The CSV report carries the occurrences and paths.
    let id = seen["cyclonedx-protocol.json"].0["id"].as_str().unwrap();
    let csv = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=csv")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let aes = csv
        .lines()
        .find(|l| l.contains("crypto/algorithm/aes-256-gcm@"))
        .unwrap();
    assert!(
        aes.contains(",2,") && aes.contains("securedBy > crypto/algorithm/aes-256-gcm@"),
        "{aes}"
    );
    assert_eq!(csv.lines().count(), items.len() + 1, "one line per finding");
    // So does the HTML report: AES-256-GCM is reached by two paths (the
    // suite and the key's securedBy), one finding "2 ×" with both.
    let page = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=html")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = page
        .lines()
        .find(|l| l.contains("<tr>") && l.contains("securedBy &gt; crypto/algorithm/aes-256-gcm@"))
        .unwrap_or_else(|| panic!("no AES row with its paths: {page}"));
    assert!(row.contains("<td>2 × "), "{row}");
    // Keycloak and Kafka: keys without algorithmRef are imported.
    for file in ["keycloak-cbom.json", "kafka-cbom.json"] {
        let (_, items) = &seen[file];
        assert!(items.iter().any(|f| f["asset_type"] == "key"), "{file}");
    }
    // A sparse, real-world document: nothing is assumed safe without evidence.
    let (_, items) = &seen["keycloak-cbom.json"];
    assert!(items.len() > 10);
    assert!(items
        .iter()
        .all(|f| f["quantum_threat"] != "unknown" || f["severity"] != "INFO"));
    // Recomputed quantum levels: somewhere the documents' claims differ from ours.
    let disagreements: usize = seen
        .values()
        .map(|(_, items)| {
            items
                .iter()
                .filter(|f| !f["document_disagreement"].is_null())
                .count()
        })
        .sum();
    assert!(disagreements > 0);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn bad_uploads_are_clear_4xx(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Bad").await;
    let op = app.token(Role::Operator, Some(&org));
    let path = "/api/v1/assessments";
    // malformed JSON
    let (s, v) = app
        .post_raw(&op, path, CDX, b"{\"bomFormat\": \"CycloneDX\",".to_vec())
        .await;
    assert_eq!(s, 400, "{v}");
    // JSON that is not a CBOM
    let (s, v) = app
        .post_raw(&op, path, CDX, br#"{"hello": "world"}"#.to_vec())
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "bomFormat");
    let (s, _) = app.post_raw(&op, path, CDX, b"[1,2,3]".to_vec()).await;
    assert_eq!(s, 422);
    let (s, v) = app
        .post_raw(
            &op,
            path,
            CDX,
            br#"{"bomFormat":"CycloneDX","specVersion":"1.2","components":[]}"#.to_vec(),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "specVersion");
    let (s, v) = app.post_raw(&op, path, CDX, br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x"}]}"#.to_vec()).await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "components");
    let (s, _) = app
        .post_raw(
            &op,
            path,
            CDX,
            br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":"nope"}"#.to_vec(),
        )
        .await;
    assert_eq!(s, 422);
    // a 20 MB CBOM is over the limit configured here (8 MiB) → 413
    let big = {
        let mut doc =
            String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
        let comp = r#"{"type":"cryptographic-asset","name":"RSA-2048","cryptoProperties":{"assetType":"algorithm"}},"#;
        while doc.len() < 20 * 1024 * 1024 {
            doc.push_str(comp);
        }
        doc.pop();
        doc.push_str("]}");
        doc.into_bytes()
    };
    let app_small = App::start_with(app.pool.clone(), &ml, |c| {
        c.cbom_max_body_size = 8 * 1024 * 1024
    })
    .await;
    let (s, v) = app_small.post_raw(&op, path, CDX, big).await;
    assert_eq!(s, 413, "{v}");
    // wrong content type
    let (s, _) = app.post_raw(&op, path, "text/plain", b"RSA".to_vec()).await;
    assert_eq!(s, 415);
    // inventories: field errors, unknown fields, hostile text
    let (s, v) = app
        .post_json(&op, path, &json!({"name": "x", "inventory": []}))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .post_json(&op, path, &json!({"name": "x", "inventory": [{"name": "a", "algorithm": "RSA", "usage": "telepathy"}]}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "inventory[0].usage");
    let (s, v) = app
        .post_json(
            &op,
            path,
            &json!({"name": "x", "inventory": [{"name": "a", "algorithm": "RSA", "colour": 1}]}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "inventory[0].colour");
    let (s, _) = app
        .post_json(
            &op,
            path,
            &json!({"name": "x\u{0007}", "inventory": [{"name": "a", "algorithm": "RSA"}]}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = app
        .post_json(
            &op,
            path,
            &json!({"name": "x", "inventory": [{"name": "a", "algorithm": "A".repeat(500)}]}),
        )
        .await;
    assert_eq!(s, 422);
    // a JSON inventory is held to QRAP_MAX_BODY_SIZE (1 MiB), not the CBOM limit
    let many: Vec<Value> = (0..40_000)
        .map(|i| json!({"name": format!("asset {i}"), "algorithm": "RSA-2048"}))
        .collect();
    let (s, _) = app
        .post_json(&op, path, &json!({"name": "big", "inventory": many}))
        .await;
    assert_eq!(s, 413);
    // viewers cannot create
    let viewer = app.token(Role::Viewer, Some(&org));
    let (s, _) = app
        .post_json(
            &viewer,
            path,
            &json!({"name": "x", "inventory": inventory()}),
        )
        .await;
    assert_eq!(s, 403);
    // nothing was stored by any of this
    assert_eq!(
        app.count(
            "SELECT count(*) FROM assessments WHERE organization_id = $1",
            &org
        )
        .await,
        0
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn ml_failure_then_hang_fail_cleanly_and_rerun_completes(pool: PgPool) {
    let ml = ml_engine().await;
    let proxy = FaultProxy::start(&ml, FAIL_500).await;
    let app = App::start_with(pool, &proxy.url(), |c| {
        c.ml_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let org = app.create_org("Faults").await;
    let op = app.token(Role::Operator, Some(&org));
    let (_, v) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "x", "inventory": inventory()}),
        )
        .await;
    let id = v["id"].as_str().unwrap().to_owned();
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["failure_reason"].as_str().unwrap().contains("500"),
        "{done}"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM findings WHERE assessment_id = $1",
            &id
        )
        .await,
        0
    );
    assert!(done["overall_risk_score"].is_null());

    // Re-run while the engine hangs: failed again with a timeout reason.
    proxy.set(HANG);
    let (s, v) = app
        .post_json(&op, &format!("/api/v1/assessments/{id}/rerun"), &json!({}))
        .await;
    assert_eq!(s, 202, "{v}");
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["failure_reason"].as_str().unwrap().contains("in time"),
        "{done}"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM findings WHERE assessment_id = $1",
            &id
        )
        .await,
        0
    );

    // Engine back: re-run completes.
    proxy.set(FORWARD);
    let (s, _) = app
        .post_json(&op, &format!("/api/v1/assessments/{id}/rerun"), &json!({}))
        .await;
    assert_eq!(s, 202);
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 3);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM findings WHERE assessment_id = $1",
            &id
        )
        .await,
        6
    );
    // Re-running a completed one replaces, never duplicates, its findings.
    let (s, _) = app
        .post_json(&op, &format!("/api/v1/assessments/{id}/rerun"), &json!({}))
        .await;
    assert_eq!(s, 202);
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM findings WHERE assessment_id = $1",
            &id
        )
        .await,
        6
    );

    // ML engine not even listening.
    let dead = App::start_with(app.pool.clone(), "http://127.0.0.1:9", |_| {}).await;
    let (_, v) = dead
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "y", "inventory": inventory()}),
        )
        .await;
    let done = dead.wait(&op, v["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["failure_reason"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{done}"
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn reports_neutralise_hostile_asset_names(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Hostile").await;
    let op = app.token(Role::Operator, Some(&org));
    let inv = json!([
        {"name": "<script>alert(1)</script>", "algorithm": "RSA-2048"},
        {"name": "=HYPERLINK(\"http://evil\")", "algorithm": "<img src=x onerror=alert(1)>"}
    ]);
    let (s, v) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "<b>x</b>", "inventory": inv}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait(&op, &id).await["status"], "completed");
    let html = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=html")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img") && !html.contains("<b>x"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"));
    let csv = client()
        .get(app.url(&format!("/api/v1/assessments/{id}/report?format=csv")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
}

/// CycloneDX 1.7: `cryptoProperties.assetType` is one of algorithm,
/// certificate, protocol, related-crypto-material (bom-1.7.schema.json), and
/// a protocol's `cipherSuites` is an array.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn schema_invalid_cboms_are_refused_or_pruned(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Schema").await;
    let op = app.token(Role::Operator, Some(&org));
    let text = std::fs::read(
        shared::test_util::testdata().join("cyclonedx/valid-cryptography-full-1.7.json"),
    )
    .unwrap();
    let mut doc: Value = serde_json::from_slice(&text).unwrap();
    let valid_count = doc["components"].as_array().unwrap().len();
    doc["components"][1]["cryptoProperties"]["assetType"] = json!("spaceship");
    doc["components"][2]["cryptoProperties"]["protocolProperties"]["cipherSuites"] =
        json!("all of them");
    let body = serde_json::to_vec(&doc).unwrap();

    let (s, v) = app
        .post_raw(&op, "/api/v1/assessments", CDX, body.clone())
        .await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"/components/1/cryptoProperties/assetType"),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"/components/2/cryptoProperties/protocolProperties/cipherSuites"),
        "{fields:?}"
    );

    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments?strict=false&name=lenient",
            CDX,
            body,
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let skipped = v["import_skipped"].as_array().unwrap();
    assert!(skipped
        .iter()
        .any(|i| i["pointer"] == "/components/1/cryptoProperties/assetType"));
    let done = app.wait(&op, v["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, f) = app
        .get(
            &op,
            &format!(
                "/api/v1/assessments/{}/findings?limit=500",
                done["id"].as_str().unwrap()
            ),
        )
        .await;
    let refs: Vec<&str> = f["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["asset_ref"].as_str())
        .collect();
    assert!(
        !refs.contains(&"asset-2") && !refs.contains(&"asset-3"),
        "{refs:?}"
    );
    assert!(
        refs.contains(&"asset-1"),
        "the valid components are imported: {refs:?}"
    );
    assert!(valid_count > 3);
}

/// `cryptoFunctions` and `oid` reach the ML engine. Expected statuses from
/// NIST SP 800-131A Rev. 2 §9 Table 8 (hash functions): SHA-1 for digital
/// signature generation is disallowed, for digital signature verification
/// legacy use (§1.2: processing already-protected data); the risk API's
/// four-value `policy_status` shows legacy use as `deprecated` (the ML
/// engine's `PolicyStatus` projection), its factor names `legacy_use`.
/// The OID 1.2.840.113549.1.1.11 is sha256WithRSAEncryption, .5
/// sha1WithRSAEncryption (RFC 8017 Appendix A.2.4 and C): an algorithm
/// named only by its OID is an RSA signature, acceptable with SHA-256 and
/// disallowed with SHA-1 when it signs (the hash comes from the OID); the
/// same component without an OID is not recognised.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn crypto_functions_and_oid_reach_the_engine(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Functions").await;
    let op = app.token(Role::Operator, Some(&org));
    let alg = |r: &str, name: &str, oid: &str, functions: Value| {
        json!({"type": "cryptographic-asset", "bom-ref": r, "name": name,
            "cryptoProperties": {"assetType": "algorithm", "oid": oid,
                "algorithmProperties": {"primitive": "signature", "parameterSetIdentifier": "2048",
                    "cryptoFunctions": functions}}})
    };
    // sha1WithRSAEncryption: 1.2.840.113549.1.1.5 (RFC 8017 Appendix C).
    let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.7", "version": 1,
    "components": [
        alg("sha1-verify", "sha1WithRSAEncryption", "1.2.840.113549.1.1.5", json!(["verify"])),
        alg("sha1-sign", "sha1WithRSAEncryption", "1.2.840.113549.1.1.5", json!(["sign"])),
        alg("sha1-both", "sha1WithRSAEncryption", "1.2.840.113549.1.1.5", json!(["sign", "verify"])),
        alg("by-oid", "unnamed", "1.2.840.113549.1.1.11", json!(["sign"])),
        alg("by-oid-sha1", "unnamed", "1.2.840.113549.1.1.5", json!(["sign"])),
        alg("no-oid", "unnamed", "", json!(["sign"])),
    ]});
    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments",
            CDX,
            serde_json::to_vec(&doc).unwrap(),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, f) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings?limit=10"))
        .await;
    let items = f["items"].as_array().unwrap();
    let by_ref = |r: &str| {
        items
            .iter()
            .find(|i| i["asset_ref"] == r)
            .unwrap_or_else(|| panic!("no finding for {r}: {f}"))
    };
    let names_status = |i: &Value, status: &str| {
        i["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["detail"].as_str().unwrap_or("").contains(status))
    };

    let verify = by_ref("sha1-verify");
    assert_eq!(verify["policy_verdict"], "legacy_use", "{verify}");
    assert_eq!(verify["policy_status"], "deprecated", "{verify}");
    assert_eq!(verify["crypto_functions"], json!(["verify"]), "{verify}");
    assert!(names_status(verify, "legacy_use"), "{verify}");
    for r in ["sha1-sign", "sha1-both"] {
        let sign = by_ref(r);
        assert_eq!(sign["policy_verdict"], "disallowed", "{sign}");
        assert_eq!(sign["policy_status"], "disallowed", "{sign}");
        assert!(!names_status(sign, "legacy_use"), "{sign}");
    }

    let by_oid = by_ref("by-oid");
    assert_eq!(by_oid["algorithm"], "RSA-2048", "{by_oid}");
    assert_eq!(by_oid["quantum_threat"], "shor", "{by_oid}");
    assert_eq!(by_oid["oid"], "1.2.840.113549.1.1.11");
    assert_eq!(by_oid["policy_status"], "acceptable", "{by_oid}");
    let sha1 = by_ref("by-oid-sha1");
    assert_eq!(sha1["algorithm"], "RSA-2048", "{sha1}");
    assert_eq!(sha1["policy_status"], "disallowed", "{sha1}");
    let none = by_ref("no-oid");
    assert_eq!(none["policy_status"], "unknown", "{none}");
    assert_eq!(none["quantum_threat"], "unknown", "{none}");

    // The reports and the web app's data say legacy use, not only "deprecated".
    let report = |format: &'static str| {
        let (url, op) = (
            app.url(&format!("/api/v1/assessments/{id}/report?format={format}")),
            op.clone(),
        );
        async move {
            client()
                .get(url)
                .bearer_auth(&op)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let csv = report("csv").await;
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let col = rows
        .headers()
        .unwrap()
        .iter()
        .position(|c| c == "policy_verdict")
        .unwrap();
    let line = rows
        .records()
        .map(Result::unwrap)
        .find(|r| r.iter().any(|c| c == "sha1-verify"))
        .unwrap();
    assert_eq!(line.get(col), Some("legacy_use"), "{line:?}");
    let page = report("html").await;
    assert!(page.contains("<td>legacy use</td>"), "{page}");

    // CBOM out → in: the export keeps the functions, so the verify-only
    // SHA-1 signature is legacy use again.
    let (s, out) = app
        .get(&op, &format!("/api/v1/assessments/{id}/cbom"))
        .await;
    assert_eq!(s, 200, "{out}");
    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments",
            CDX,
            serde_json::to_vec(&out).unwrap(),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let again = v["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait(&op, &again).await["status"], "completed");
    let (_, f2) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{again}/findings?limit=10"),
        )
        .await;
    let verdicts = |f: &Value| {
        f["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["asset_ref"].to_string(), i["policy_verdict"].to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(verdicts(&f2), verdicts(&f), "round trip");
}
