//! Parsed types and pure logic: inventories, CycloneDX CBOM import, and the
//! assessment summary arithmetic. No I/O.

pub mod cbom;
pub mod inputs;
pub mod inventory;
pub mod json_limits;
pub mod schema;
pub mod summary;
