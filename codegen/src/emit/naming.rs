//! Names the client and the server share, decided once: the API's trait name and its
//! key variable.

use crate::ir::Api;
use crate::names::type_name;

/// The trait's name: the title's first word + `Api` (`Maniac Inference Gateway API` →
/// `ManiacApi`).
pub fn trait_name(api: &Api) -> String {
    let first = api.title.split_whitespace().next().unwrap_or_default();
    let stem = type_name(first, "Service");
    if stem.ends_with("Api") {
        stem
    } else {
        format!("{stem}Api")
    }
}

/// The environment variable the client reads its key from, which the mock checks.
pub fn api_key_var(api: &Api) -> String {
    let stem = trait_name(api);
    let stem = stem.strip_suffix("Api").unwrap_or(&stem);
    format!("{}_API_KEY", heck::AsShoutySnakeCase(stem))
}
