//! Rebuild when a migration is added: `sqlx::migrate!` embeds the
//! directory at compile time, and on stable Rust it cannot tell Cargo so.
fn main() {
    println!("cargo:rerun-if-changed=../migrations/qsgw");
}
