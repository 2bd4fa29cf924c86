//! The JSON REST API under `/api/` and its OpenAPI document.

use axum::Router;
use std::sync::Arc;

use crate::State;

pub fn routes() -> Router<Arc<State>> {
    Router::new()
}
