//! Which cargo feature compiles which operation and type (`lower/features.rs`); that each
//! compiles alone is `cargo xtask features` (CI).

use codegen::ir::Api;

fn load(name: &str) -> Api {
    let path = format!("{}/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    codegen::load(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn feature_names(api: &Api) -> Vec<&str> {
    api.features.iter().map(|f| f.name.as_str()).collect()
}

fn op_feature<'a>(api: &'a Api, op: &str) -> &'a str {
    let op = api.operations.iter().find(|o| o.id == op).unwrap();
    &api.features[op.feature.unwrap()].name
}

/// The features compiling a type; `None` when it always compiles.
fn type_features<'a>(api: &'a Api, name: &str) -> Option<Vec<&'a str>> {
    let t = api.types.iter().find(|t| t.name == name).unwrap();
    let features = t.features.as_ref()?;
    Some(
        features
            .iter()
            .map(|&i| api.features[i].name.as_str())
            .collect(),
    )
}

#[test]
fn tags_group_operations_and_types_follow_what_reaches_them() {
    let api = load("tag_groups");
    assert_eq!(
        feature_names(&api),
        ["pets", "admin", "untagged", "schemas"]
    );
    assert_eq!(op_feature(&api, "list_pets"), "pets");
    assert_eq!(op_feature(&api, "purge_pets"), "admin");
    // The first tag decides.
    assert_eq!(op_feature(&api, "replace_pet"), "admin");
    assert_eq!(op_feature(&api, "health"), "untagged");
    // A query parameter's enum, the body's type, and what a webhook payload holds.
    assert_eq!(
        type_features(&api, "Kind"),
        Some(vec!["pets", "admin", "schemas"])
    );
    assert_eq!(
        type_features(&api, "Pet"),
        Some(vec!["pets", "admin", "schemas"])
    );
    assert_eq!(type_features(&api, "Audit"), Some(vec!["admin"]));
    assert_eq!(type_features(&api, "PetAdopted"), Some(vec!["schemas"]));
    // The error envelope (and what it holds) is the client's and server's whatever is on.
    assert_eq!(type_features(&api, "Error"), None);
    assert_eq!(type_features(&api, "ErrorDetail"), None);
    assert!(api.features[0].docs.contains("Pets in the store"));
    assert!(!api.features[0].docs.contains("second line"));
}

#[test]
fn untagged_documents_group_by_resource_after_the_shared_prefix() {
    let api = load("routes");
    assert_eq!(
        feature_names(&api),
        ["orgs", "keys", "files", "reports", "jobs", "odd"]
    );
    assert!(api.features[0].docs.contains("`orgs` resource"));
}

#[test]
fn a_document_of_one_group_gets_no_features() {
    let text = r#"
openapi: 3.0.3
info: {title: One, version: '1'}
paths:
  /v1/things:
    get:
      operationId: list
      responses: {'200': {description: ok}}
  /v1/things/{id}:
    get:
      operationId: get
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
"#;
    let api = codegen::load(text).unwrap();
    assert!(api.features.is_empty());
    assert!(api.operations.iter().all(|op| op.feature.is_none()));
}
