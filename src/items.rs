//! The list envelope every list answer uses: `{"items": [...]}` (a leaf shared by features).

use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Every list comes as `{"items": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct Items<T: ToSchema> {
    pub items: Vec<T>,
}

impl<T: ToSchema> Items<T> {
    pub fn new(items: Vec<T>) -> Json<Self> {
        Json(Items { items })
    }
}
