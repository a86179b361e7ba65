//! `openapiv3::OpenAPI` → [`ir::Api`]. The only module that reads `openapiv3` types.
//!
//! The steps, one file each: [`schema`] (types and naming), [`composition`]
//! (`oneOf`/`anyOf`/`allOf`), [`operations`], [`defaults`], [`cycles`] and [`routes`]
//! (whole-API passes).

use crate::error::{pointer, Error, Result, Warning};
use crate::ir::*;
use crate::names::{self, snake_name, type_name, unreserved_type_name, Scope};
use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema,
    SchemaKind,
};
use serde_json::Value;
// Keyed by JSON pointers, looked up for every inline schema: SipHash was a tenth of
// lowering on large documents.
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;

mod composition;
mod cycles;
mod defaults;
mod features;
mod identical;
mod operations;
pub use operations::event_data_schema;
mod patterns;
mod routes;
mod schema;

use cycles::*;
use defaults::*;
use identical::*;
use operations::*;
use patterns::*;
use routes::*;
use schema::*;

/// A server's URL with each `{variable}` replaced by its `default`. A variable the server
/// does not declare (the document is then invalid) stays as written, with a warning.
fn server_default_url(server: &openapiv3::Server, at: &str, warnings: &mut Vec<Warning>) -> String {
    let mut url = String::with_capacity(server.url.len());
    let mut rest = server.url.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        url.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        match server.variables.as_ref().and_then(|v| v.get(name)) {
            Some(variable) => url.push_str(&variable.default),
            None => {
                warnings.push(Warning {
                    pointer: pointer(at, "url"),
                    message: format!(
                        "server variable `{name}` is not declared in `variables`; left as written"
                    ),
                });
                url.push_str(&rest[open..=close]);
            }
        }
        rest = &rest[close + 1..];
    }
    url.push_str(rest);
    url
}

/// Lowers a parsed document into the IR.
pub fn lower(document: &crate::load::Document) -> Result<Api> {
    let doc = &document.openapi;
    let mut lowerer = Lowerer::new(document);
    lowerer.components()?;
    let mut operations = lowerer.operations()?;
    newtype_self_referencing_aliases(&mut lowerer.types);
    lowerer.resolve_defaults();
    let reads_forms = lowerer.reads_forms(&operations);
    let Lowerer {
        mut types,
        mut warnings,
        ..
    } = lowerer;
    mark_from_server(&mut types, &operations);
    box_cycles(&mut types);
    box_large(&mut types);
    mark_defaults(&mut types);
    drop_uncheckable_patterns(&mut types, &mut operations, &mut warnings);
    alias_identical_inline_types(&mut types, &operations);
    assign_routes(&mut operations, &mut warnings);
    let servers = doc
        .servers
        .iter()
        .enumerate()
        .map(|(index, s)| Server {
            url: s.url.clone(),
            default_url: server_default_url(s, &format!("#/servers/{index}"), &mut warnings),
            description: s.description.clone(),
        })
        .collect();
    let error_type = error_type(&operations);
    let features = features::assign(&mut types, &mut operations, error_type, &doc.tags);
    warnings.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    Ok(Api {
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: doc.info.description.clone(),
        servers,
        security_schemes: security_schemes(doc)?,
        security: doc
            .security
            .as_deref()
            .map(requirements)
            .unwrap_or_default(),
        error_type,
        features,
        types,
        operations,
        reads_forms,
        warnings,
    })
}

/// What lowering one schema yields before it becomes a field, variant or item.
#[derive(Debug, Clone)]
struct Lowered {
    ty: Ty,
    nullable: bool,
    default: Option<Value>,
    docs: Option<String>,
    read_only: bool,
    write_only: bool,
    deprecated: bool,
    constraints: Constraints,
}

impl Lowered {
    fn plain(ty: Ty) -> Self {
        Lowered {
            ty,
            nullable: false,
            default: None,
            docs: None,
            read_only: false,
            write_only: false,
            deprecated: false,
            constraints: Constraints::default(),
        }
    }

    /// The type with nullability folded in (for items, parameters, aliases).
    fn nullable_ty(&self) -> Ty {
        if self.nullable {
            self.ty.clone().option()
        } else {
            self.ty.clone()
        }
    }
}

struct PendingDefault {
    owner: TypeId,
    field: usize,
    value: Value,
    nullable: bool,
    pointer: String,
}

struct Lowerer<'a> {
    doc: &'a OpenAPI,
    /// Schemas named by `$ref`s to pointers other than `#/components/schemas/<name>`.
    pointer_schemas: &'a HashMap<String, Result<ReferenceOr<Schema>, String>>,
    /// The named type each such pointer became (registered before it is lowered, so a
    /// pointer that reaches itself finds its own type: recursion, boxed like any other).
    pointer_types: FxHashMap<String, TypeId>,
    types: Vec<TypeDef>,
    components: IndexMap<String, TypeId>,
    type_names: Scope,
    warnings: Vec<Warning>,
    pending_defaults: Vec<PendingDefault>,
    /// One location, one type: an inline schema reached twice (through `allOf` merges,
    /// shared parameters or responses) is lowered once.
    lowered_at: FxHashMap<String, Lowered>,
    /// Named inline types by location, registered before their contents are lowered.
    inline_types: FxHashMap<String, TypeId>,
    /// Inline locations being lowered (to find one that reaches itself).
    inline_in_progress: FxHashSet<String>,
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

fn docs_of(title: Option<&String>, description: Option<&String>) -> Option<String> {
    let parts: Vec<&str> = [title, description]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    match parts.as_slice() {
        [] => None,
        [title, description] if title == description => Some(title.to_string()),
        _ => Some(parts.join("\n\n")),
    }
}

/// The schema's default, with an explicit `null` kept (see [`crate::load::DEFAULT_NULL`]).
fn default_of(data: &openapiv3::SchemaData) -> Option<Value> {
    match &data.default {
        Some(value) => Some(value.clone()),
        None if data.extensions.contains_key(crate::load::DEFAULT_NULL) => Some(Value::Null),
        None => None,
    }
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A type name for the schema at a pointer: its last two tokens that are names, not
/// structure (`#/components/schemas/Item/properties/parent` → `ItemParent`).
fn pointer_hint(reference: &str) -> String {
    const STRUCTURE: &[&str] = &[
        "components",
        "schemas",
        "properties",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "additionalProperties",
        "paths",
        "content",
        "schema",
        "itemSchema",
        "responses",
        "requestBody",
        "parameters",
        "headers",
        "definitions",
        "$defs",
        "requestBodies",
    ];
    let tokens = crate::load::pointer_tokens(reference).unwrap_or_default();
    let names: Vec<&String> = tokens
        .iter()
        .filter(|t| !STRUCTURE.contains(&t.as_str()) && t.parse::<usize>().is_err())
        .collect();
    let tail = &names[names.len().saturating_sub(2)..];
    tail.iter().map(|t| type_name(t, "")).collect()
}

impl<'a> Lowerer<'a> {
    fn new(document: &'a crate::load::Document) -> Self {
        Lowerer {
            doc: &document.openapi,
            pointer_schemas: &document.pointer_schemas,
            pointer_types: Default::default(),
            types: Vec::new(),
            components: IndexMap::new(),
            type_names: Scope::default(),
            warnings: document.warnings.clone(),
            pending_defaults: Vec::new(),
            lowered_at: Default::default(),
            inline_types: Default::default(),
            inline_in_progress: Default::default(),
        }
    }

    fn warn(&mut self, at: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            pointer: at.to_owned(),
            message: message.into(),
        });
    }

    /// Reserves a type slot and a unique name; the kind is filled in by the caller.
    fn new_type(&mut self, hint: &str, at: &str, docs: Option<String>) -> TypeId {
        let name = self
            .type_names
            .claim(&unreserved_type_name(hint, "Unnamed"));
        self.types.push(TypeDef {
            name,
            pointer: at.to_owned(),
            docs,
            kind: TypeKind::Alias(Ty::Any),
            from_server: false,
            examples: Vec::new(),
            has_default: false,
            features: None,
        });
        TypeId(self.types.len() - 1)
    }
}
