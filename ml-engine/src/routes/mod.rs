//! HTTP handlers: `POST /api/v1/score` and `GET /api/v1/models`.

pub mod models;
pub mod score;
