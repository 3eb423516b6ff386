//! The QRAP schema as migrated at start: the audit log is append-only and
//! hash-chained, and the chain check names a row edited behind its back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::PgPool;

async fn append(pool: &PgPool, actor: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO qrap_audit_log (organization_id, actor, actor_role, action, resource_type, resource_id, details, request_id, client_ip)
         VALUES ('org_00000000000000000000000000000001', $1, 'admin', 'assessment.create', 'assessment',
                 'asmnt_00000000000000000000000000000001', '{\"name\":\"q1\"}', 'req_1', '10.0.0.1')
         RETURNING id",
    )
    .bind(actor)
    .fetch_one(pool)
    .await
    .expect("insert audit row")
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn audit_rows_cannot_be_updated_or_deleted(pool: PgPool) {
    let id = append(&pool, "usr_a").await;
    let err = sqlx::query("UPDATE qrap_audit_log SET actor = 'x' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect_err("UPDATE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("DELETE FROM qrap_audit_log WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect_err("DELETE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("TRUNCATE qrap_audit_log")
        .execute(&pool)
        .await
        .expect_err("TRUNCATE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn chain_links_rows_and_detects_tampering(pool: PgPool) {
    let a = append(&pool, "usr_a").await;
    let b = append(&pool, "usr_b").await;
    let c = append(&pool, "usr_c").await;
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, prev_hash, row_hash FROM qrap_audit_log ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![a, b, c]);
    assert_eq!(rows[0].1, "0".repeat(64), "first row links to genesis");
    assert_eq!(rows[1].1, rows[0].2);
    assert_eq!(rows[2].1, rows[1].2);
    let broken: Vec<(i64, String)> = sqlx::query_as("SELECT id, problem FROM qrap_audit_verify()")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "intact chain: {broken:?}");

    // A superuser bypasses the append-only trigger and edits row b.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE qrap_audit_log DISABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE qrap_audit_log SET actor = 'mallory' WHERE id = $1")
        .bind(b)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE qrap_audit_log ENABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let broken: Vec<(i64, String)> = sqlx::query_as("SELECT id, problem FROM qrap_audit_verify()")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        broken.first().map(|r| r.0),
        Some(b),
        "the edited row is named first: {broken:?}"
    );
}
