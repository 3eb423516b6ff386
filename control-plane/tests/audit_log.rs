//! The QSGW schema as migrated at start: the audit log is append-only in the
//! database itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::PgPool;

async fn insert_audit_row(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO qsgw_audit_log (actor, actor_role, action, resource_type, resource_id, after, request_id, client_ip)
         VALUES ('usr_test', 'admin', 'route.create', 'route', 'rt_00000000000000000000000000000001', '{\"path\":\"/x\"}', 'req_1', '127.0.0.1')
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("insert audit row")
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn audit_rows_cannot_be_updated(pool: PgPool) {
    let id = insert_audit_row(&pool).await;
    let err = sqlx::query("UPDATE qsgw_audit_log SET actor = 'someone-else' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect_err("UPDATE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let actor: String = sqlx::query_scalar("SELECT actor FROM qsgw_audit_log WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(actor, "usr_test");
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn audit_rows_cannot_be_deleted_or_truncated(pool: PgPool) {
    let id = insert_audit_row(&pool).await;
    let err = sqlx::query("DELETE FROM qsgw_audit_log WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect_err("DELETE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("TRUNCATE qsgw_audit_log")
        .execute(&pool)
        .await
        .expect_err("TRUNCATE must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM qsgw_audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn schema_has_every_table_of_the_spec(pool: PgPool) {
    for table in [
        "gateways",
        "upstreams",
        "routes",
        "tls_sessions",
        "threat_events",
        "qsgw_audit_log",
        "users",
        "webhook_deliveries",
        "webhook_attempts",
        "idempotency_keys",
        "config_revision",
    ] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("public.{table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(exists, "table {table} exists");
    }
}
