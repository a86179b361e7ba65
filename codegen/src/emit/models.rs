//! The `models` module: one Rust type per named schema.

use super::validate::{resolved, strip_options, validate_impl, Checked};
use super::{ast, doc_attr_list, doc_attrs, parse_items, ty_syn};
use crate::ir::*;
use crate::names::ident;
use crate::Result;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::Item;

/// `src/models.rs`'s items whole, for the stage benchmark (the pipeline in `lib.rs` emits
/// them in runs, on every core).
pub fn models(api: &Api) -> Result<Vec<Item>> {
    let checked = Checked::new(api);
    type_defs(api, &checked, 0..api.types.len())
}

/// The items of the types in `range`, each followed by its `Validate` impl (types are
/// independent items: the module can be emitted and formatted in parts).
pub fn type_defs(api: &Api, checked: &Checked, range: std::ops::Range<usize>) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for i in range {
        let start = items.len();
        type_def(api, &api.types[i], &mut items)?;
        items.extend(validate_impl(api, checked, TypeId(i))?);
        let cfg = super::features_cfg(api, api.types[i].features.as_deref());
        if cfg.is_some() {
            let typed = items.split_off(start);
            items.extend(typed.into_iter().map(|item| super::with_cfg(item, &cfg)));
        }
    }
    Ok(items)
}

fn type_docs_text(t: &TypeDef) -> String {
    let origin = format!("Schema `{}`.", t.pointer);
    match &t.docs {
        Some(docs) => format!("{docs}\n\n{origin}"),
        None => origin,
    }
}

/// `#[derive(Debug, Clone, PartialEq, [Default,] serde::Serialize, serde::Deserialize)]`,
/// for newtypes (structs write their own impls: see [`ObjectImpl`]).
fn serde_derive(default: bool) -> syn::Attribute {
    let default = default.then(|| quote!(Default,));
    ast::list_attr(
        "derive",
        quote!(Debug, Clone, PartialEq, #default serde::Serialize, serde::Deserialize),
    )
}

/// Appends the type's items, built as syntax trees but for the rarer, irregular ones
/// (integer enums, discriminated unions' `Deserialize`), built through tokens.
fn type_def(api: &Api, t: &TypeDef, items: &mut Vec<Item>) -> Result<()> {
    let docs = || doc_attr_list(Some(&type_docs_text(t)));
    match &t.kind {
        TypeKind::Struct(s) => return struct_def(api, t, docs(), s, items),
        TypeKind::StringEnum(e) => items.extend(string_enum(&t.name, docs(), e)),
        TypeKind::Union(u) => items.extend(union_def(api, &t.name, docs(), u)?),
        TypeKind::Alias(ty) => items.push(Item::Type(syn::ItemType {
            attrs: docs(),
            vis: ast::public(),
            type_token: Default::default(),
            ident: ast::ident(&t.name),
            generics: Default::default(),
            eq_token: Default::default(),
            ty: Box::new(ty_syn(api, ty)),
            semi_token: Default::default(),
        })),
        TypeKind::Newtype(ty) => {
            let mut attrs = docs();
            attrs.push(serde_derive(t.has_default));
            attrs.push(ast::list_attr("serde", quote!(transparent)));
            let field = syn::Field {
                attrs: Vec::new(),
                vis: ast::public(),
                mutability: syn::FieldMutability::None,
                ident: None,
                colon_token: None,
                ty: ty_syn(api, ty),
            };
            items.push(Item::Struct(syn::ItemStruct {
                attrs,
                vis: ast::public(),
                struct_token: Default::default(),
                ident: ast::ident(&t.name),
                generics: Default::default(),
                fields: syn::Fields::Unnamed(syn::FieldsUnnamed {
                    paren_token: Default::default(),
                    unnamed: [field].into_iter().collect(),
                }),
                semi_token: Some(Default::default()),
            }));
        }
        TypeKind::IntEnum(e) => {
            let name = format_ident!("{}", t.name);
            let docs = doc_attrs(Some(&type_docs_text(t)));
            items.extend(parse_items(int_enum(&name, docs, e))?);
        }
    }
    Ok(())
}

fn default_expr(api: &Api, value: &DefaultValue) -> TokenStream {
    match value {
        DefaultValue::String(s) => quote!(String::from(#s)),
        DefaultValue::Bool(b) => quote!(#b),
        DefaultValue::Int(i) => {
            let lit = Literal::i64_unsuffixed(*i);
            quote!(#lit)
        }
        DefaultValue::Float(f) => {
            let lit = Literal::f64_unsuffixed(*f);
            quote!(#lit)
        }
        DefaultValue::Variant(id, variant) => {
            let ty = format_ident!("{}", api.ty(*id).name);
            let variant = format_ident!("{}", variant);
            quote!(#ty::#variant)
        }
        DefaultValue::EmptyList => quote!(Vec::new()),
        DefaultValue::EmptyMap => quote!(Default::default()),
        DefaultValue::Some(inner) => {
            let inner = default_expr(api, inner);
            quote!(Some(#inner))
        }
    }
}

fn struct_def(
    api: &Api,
    t: &TypeDef,
    mut attrs: Vec<syn::Attribute>,
    s: &Struct,
    items: &mut Vec<Item>,
) -> Result<()> {
    let name = format_ident!("{}", t.name);
    let mut default_fns = Vec::new();
    let mut default_inits = Vec::new();
    let mut object = ObjectImpl {
        into_default: t.has_default,
        ..ObjectImpl::default()
    };
    let mut fields: Vec<syn::Field> = s
        .fields
        .iter()
        .map(|f| {
            let field = ident(&f.name);
            let ty = ty_syn(api, &f.ty);
            let mut doc_text = f.docs.clone();
            if f.deprecated {
                doc_text = Some(match doc_text {
                    Some(d) => format!("{d}\n\nDeprecated."),
                    None => "Deprecated.".to_owned(),
                });
            }
            let (read, absent) = match &f.presence {
                Presence::Required | Presence::RequiredNullable => {
                    default_inits.push(quote!(#field: Default::default()));
                    let absent = if reads_missing_as_none(api, &f.ty) {
                        Absent::Null
                    } else if api.reads_forms && empty_when_left_out_of_forms(api, &f.ty) {
                        Absent::RequiredOrEmpty
                    } else {
                        Absent::Required
                    };
                    (Read::Field, absent)
                }
                Presence::Optional => {
                    default_inits.push(quote!(#field: None));
                    // Unless `null` is a value of it (a schema without type takes it too), a
                    // server refuses it.
                    let (core, _) = strip_options(&f.ty);
                    let read = if !f.nullable && !matches!(resolved(api, core), Ty::Any) {
                        Read::Optional
                    } else {
                        Read::Field
                    };
                    (read, Absent::Flattened)
                }
                Presence::DoubleOption => {
                    default_inits.push(quote!(#field: None));
                    (Read::Nullable, Absent::Flattened)
                }
                Presence::Defaulted(value) => {
                    let fn_name = format_ident!("default_{}", f.name);
                    let expr = default_expr(api, value);
                    default_fns.push(quote! {
                        fn #fn_name() -> #ty {
                            #expr
                        }
                    });
                    default_inits.push(quote!(#field: Self::#fn_name()));
                    (Read::Field, Absent::Defaulted(fn_name.to_string()))
                }
            };
            object.member(f, read, absent, holds_number(api, &f.ty));
            ast::named_field(doc_attr_list(doc_text.as_deref()), field, ty)
        })
        .collect();
    if let Some((field, ty)) = &s.additional {
        object.additional(field);
        let field = ident(field);
        default_inits.push(quote!(#field: Default::default()));
        let attrs = vec![ast::doc_attr(
            " Properties beyond the declared ones (`additionalProperties`).",
        )];
        fields.push(ast::named_field(attrs, field, ty_syn(api, ty)));
    }
    // `additionalProperties: false` holds where only clients write the type; a type a
    // server sends ignores what it does not know, so that a newer server's members do
    // not break an older client.
    object.closed = s.closed && !t.from_server;
    let derive_default = t.has_default && default_fns.is_empty();
    let default = derive_default.then(|| quote!(Default,));
    // `Debug`, `Serialize` and `Deserialize` are written out below, through the runtime:
    // their derives cost most of a large crate's build.
    attrs.push(ast::list_attr("derive", quote!(Clone, PartialEq, #default)));
    items.push(Item::Struct(syn::ItemStruct {
        attrs,
        vis: ast::public(),
        struct_token: Default::default(),
        ident: name.clone(),
        generics: Default::default(),
        fields: syn::Fields::Named(syn::FieldsNamed {
            brace_token: Default::default(),
            named: fields.into_iter().collect(),
        }),
        semi_token: None,
    }));
    object.impls(&t.name, items);
    if default_fns.is_empty() {
        return Ok(());
    }
    let default_impl = t.has_default.then(|| {
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self { #(#default_inits,)* }
                }
            }
        }
    });
    items.extend(parse_items(quote! {
        impl #name {
            #(#default_fns)*
        }
        #default_impl
    })?);
    Ok(())
}

/// Whether a value of the type reads a member left out as `None` (serde's `Option`).
fn reads_missing_as_none(api: &Api, ty: &Ty) -> bool {
    match resolved(api, ty) {
        Ty::Option(_) => true,
        Ty::Box(inner) => reads_missing_as_none(api, inner),
        _ => false,
    }
}

/// Whether a form sends the empty value of `ty` by leaving it out: an array, a map, or an
/// object whose members are all optional (with a `Default`, its empty value).
fn empty_when_left_out_of_forms(api: &Api, ty: &Ty) -> bool {
    match resolved(api, ty) {
        Ty::List(_) | Ty::Map(_) | Ty::JsonObject => true,
        Ty::Box(inner) => empty_when_left_out_of_forms(api, inner),
        Ty::Named(id) => {
            let t = api.ty(*id);
            matches!(&t.kind, TypeKind::Struct(s) if t.has_default
                && s.fields.iter().all(|f| f.presence == Presence::Optional))
        }
        _ => false,
    }
}

/// How a member's value is read (by the runtime's `object::Slot` its place is wrapped in).
#[derive(Clone, Copy)]
enum Read {
    /// As its type reads it (`Value`, `Required`, `Given`).
    Field,
    /// Optional, not nullable: `null` refused while a server reads (`Optional`).
    Optional,
    /// Optional and nullable: `null` kept apart from absent (`Nullable`).
    Nullable,
}

/// What a member left out is read as.
enum Absent {
    /// `missing field`.
    Required,
    /// `missing field`, but in a form, which sends its empty value by leaving it out: that
    /// value (see `empty_when_left_out_of_forms`).
    RequiredOrEmpty,
    /// `None`, for a required member of an `Option` type (nullable), as serde's derive has
    /// it: its slot flattened, but written when `None` too.
    Null,
    /// `None`: its slot (`Option<Option<T>>`) flattened. Written only when `Some`.
    Flattened,
    /// Its default, from this associated function.
    Defaulted(String),
}

/// A struct's `codegen_runtime::object::Object` impl, built member by member. `read`: one
/// entry each in the table the runtime's `Members::read_into` fills, the member's place:
/// its field of `Self::default()` where the struct has a `Default`, else a local slot
/// (its name with `_` after, so that none clashes with `map`), then a field of the struct
/// expression; `write`: one call.
#[derive(Default)]
struct ObjectImpl {
    /// `read` fills `Self::default()`: the struct has a `Default`.
    into_default: bool,
    /// `("name", &mut codegen_runtime::object::Optional(&mut value.field))`, per member.
    places: Vec<syn::Expr>,
    /// Without a `Default`: a slot per member, ...
    slots: Vec<syn::Stmt>,
    /// ... `let Some(slot) = slot else { return Err(map.missing(name)) };` per required
    /// one (`read_into` has refused the value without it: this only unwraps), ...
    requires: Vec<syn::Stmt>,
    /// ... and the fields of the struct expression.
    values: Vec<syn::FieldValue>,
    wires: Vec<syn::Expr>,
    writes: Vec<syn::Stmt>,
    /// The map's field that keeps the members the type does not declare.
    additional: Option<String>,
    /// Members the type does not declare are refused.
    closed: bool,
}

/// `receiver.name(args)`: `map`'s methods are the runtime's `object::Members`', `out`'s
/// its `object::Write`'s.
fn call(receiver: &str, name: &str, args: impl IntoIterator<Item = syn::Expr>) -> syn::Expr {
    ast::method(local(receiver), name, args)
}

fn local(name: &str) -> syn::Expr {
    ast::path_expr(&[name])
}

fn slot_name(field: &str) -> String {
    format!("{field}_")
}

/// `&self.field`.
fn self_field(field: &str) -> syn::Expr {
    ast::reference(ast::field(local("self"), syn::Member::Named(ident(field))))
}

impl ObjectImpl {
    fn member(&mut self, f: &Field, read: Read, absent: Absent, number: bool) {
        let wire = || ast::str_lit(&f.wire);
        let skipped_when_none = matches!(absent, Absent::Flattened);
        let place = match (read, &absent) {
            // A slot of `Option<T>` where there is no default to fill.
            (Read::Field, Absent::Required) if !self.into_default => "Given",
            (Read::Field, Absent::Required) => "Required",
            (Read::Field, Absent::RequiredOrEmpty) if !self.into_default => "GivenOrEmpty",
            (Read::Field, Absent::RequiredOrEmpty) => "RequiredOrEmpty",
            (Read::Field, _) => "Value",
            (Read::Optional, _) => "Optional",
            (Read::Nullable, _) => "Nullable",
        };
        let target = self.target(&f.name);
        self.places.push(ast::tuple_expr([
            wire(),
            ast::mut_reference(ast::call(
                ast::path_expr(&["codegen_runtime", "object", place]),
                [ast::mut_reference(target)],
            )),
        ]));
        if !self.into_default {
            self.slot(f, absent);
        }
        self.wires.push(wire());
        let write = match (skipped_when_none, number) {
            (false, false) => "member",
            (true, false) => "optional",
            (false, true) => "number",
            (true, true) => "optional_number",
        };
        self.writes
            .push(ast::semi(call("out", write, [wire(), self_field(&f.name)])));
    }

    /// Where `read` puts the member named `field` in Rust: `value.field`, or its slot.
    fn target(&self, field: &str) -> syn::Expr {
        if self.into_default {
            ast::field(local("value"), syn::Member::Named(ident(field)))
        } else {
            local(&slot_name(field))
        }
    }

    /// A struct without a `Default`: the member's slot, holding what its field does when
    /// the member is left out, and its field of the struct expression.
    fn slot(&mut self, f: &Field, absent: Absent) {
        let slot = slot_name(&f.name);
        let slot_ident = ident(&slot);
        let init = match absent {
            Absent::Defaulted(function) => ast::call(ast::path_expr(&["Self", &function]), []),
            Absent::Required | Absent::RequiredOrEmpty => {
                let wire = ast::str_lit(&f.wire);
                self.requires.push(syn::parse_quote! {
                    let Some(#slot_ident) = #slot_ident else {
                        return Err(map.missing(#wire));
                    };
                });
                ast::path_expr(&["None"])
            }
            Absent::Null | Absent::Flattened => ast::path_expr(&["None"]),
        };
        self.slots.push(ast::let_mut_stmt(&slot, init));
        self.values
            .push(ast::field_value(ident(&f.name), local(&slot)));
    }

    /// The map of the members the type does not declare. Its numbers are written as they
    /// are: serde's `flatten`, which wrote it before, took no `serialize_with`.
    fn additional(&mut self, field: &str) {
        self.additional = Some(field.to_owned());
        if !self.into_default {
            let slot = slot_name(field);
            let init = ast::call(ast::path_expr(&["Default", "default"]), []);
            self.slots.push(ast::let_mut_stmt(&slot, init));
            self.values
                .push(ast::field_value(ident(field), local(&slot)));
        }
        self.writes
            .push(ast::semi(call("out", "additional", [self_field(field)])));
    }

    /// `read`: the places filled by the runtime (the other members passed over, refused
    /// or kept, as the type says), then the struct.
    fn read(&mut self) -> Vec<syn::Stmt> {
        let rest = |variant: &str, args: Vec<syn::Expr>| {
            ast::call(
                ast::path_expr(&["codegen_runtime", "object", "Rest", variant]),
                args,
            )
        };
        let rest = match &self.additional {
            Some(field) => rest("Keep", vec![ast::mut_reference(self.target(field))]),
            None if self.closed => rest(
                "Refuse",
                vec![ast::reference(ast::array(std::mem::take(&mut self.wires)))],
            ),
            None => ast::path_expr(&["codegen_runtime", "object", "Rest", "Skip"]),
        };
        let default = ast::call(ast::path_expr(&["Self", "default"]), []);
        let ok = |value| ast::block_stmt(ast::call(ast::path_expr(&["Ok"]), [value]));
        let nothing_read = self.places.is_empty() && self.additional.is_none();
        let places = ast::mut_reference(ast::array(std::mem::take(&mut self.places)));
        let read = ast::semi(ast::try_expr(call("map", "read_into", [places, rest])));
        if !self.into_default {
            let mut stmts = std::mem::take(&mut self.slots);
            stmts.push(read);
            stmts.append(&mut self.requires);
            let values = std::mem::take(&mut self.values);
            stmts.push(ok(ast::struct_expr(&["Self"], values)));
            return stmts;
        }
        if nothing_read {
            return vec![read, ok(default)];
        }
        vec![
            ast::let_mut_stmt("value", default),
            read,
            ok(local("value")),
        ]
    }

    /// The struct's `Object`, `Serialize` and `Deserialize` impls.
    fn impls(mut self, name: &str, items: &mut Vec<Item>) {
        let mut read = self.read();
        let mut write = self.writes;
        let additional = self.additional.is_some();
        OBJECT_IMPLS.with(|impls| {
            let self_ty = || Box::new(ast::path_ty(ast::path(&[name])));
            let mut object = impls.object.clone();
            object.self_ty = self_ty();
            for item in &mut object.items {
                match item {
                    syn::ImplItem::Const(constant) => constant.expr = ast::str_lit(name),
                    syn::ImplItem::Fn(f) if f.sig.ident == "read" => {
                        f.block.stmts = std::mem::take(&mut read);
                    }
                    syn::ImplItem::Fn(f) => {
                        if write.is_empty() {
                            unused_out(f);
                        }
                        f.block.stmts = std::mem::take(&mut write);
                    }
                    _ => {}
                }
            }
            if additional {
                object.items.insert(1, impls.additional.clone());
            }
            let mut serialize = impls.serialize.clone();
            serialize.self_ty = self_ty();
            let mut deserialize = impls.deserialize.clone();
            deserialize.self_ty = self_ty();
            let mut debug = impls.debug.clone();
            debug.self_ty = self_ty();
            items.extend([object, serialize, deserialize, debug].map(Item::Impl));
        });
    }
}

/// `_out` for `write`'s `out`, in a struct with no members to write.
fn unused_out(write: &mut syn::ImplItemFn) {
    for input in &mut write.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            if let syn::Pat::Ident(binding) = &mut *typed.pat {
                binding.ident = ast::ident("_out");
            }
        }
    }
}

/// The impls of every struct's reading and writing, copied and filled in for each.
struct ObjectImpls {
    object: syn::ItemImpl,
    /// `Object::ADDITIONAL`, for a struct that keeps other members.
    additional: syn::ImplItem,
    serialize: syn::ItemImpl,
    deserialize: syn::ItemImpl,
    debug: syn::ItemImpl,
}

thread_local! {
    static OBJECT_IMPLS: ObjectImpls = ObjectImpls {
        object: syn::parse_quote! {
            impl codegen_runtime::object::Object for Type {
                const NAME: &'static str = "";
                fn read<'de, A: serde::de::MapAccess<'de>>(
                    mut map: codegen_runtime::object::Members<A>,
                ) -> Result<Self, A::Error> {}
                fn write<W: codegen_runtime::object::Write>(&self, out: &mut W) {}
            }
        },
        additional: syn::parse_quote! {
            const ADDITIONAL: bool = true;
        },
        serialize: syn::parse_quote! {
            impl serde::Serialize for Type {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    codegen_runtime::object::serialize(self, serializer)
                }
            }
        },
        deserialize: syn::parse_quote! {
            impl<'de> serde::Deserialize<'de> for Type {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    codegen_runtime::object::deserialize(deserializer)
                }
            }
        },
        debug: syn::parse_quote! {
            impl std::fmt::Debug for Type {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    codegen_runtime::object::debug(self, f)
                }
            }
        },
    };
}

/// The impls of string enums, copied and filled in for each (syntax trees cannot be shared
/// between threads).
struct StringEnumImpls {
    as_str: syn::ItemImpl,
    open_as_str: syn::ItemImpl,
    display: syn::ItemImpl,
    serialize: syn::ItemImpl,
    deserialize: syn::ItemImpl,
}

thread_local! {
    static STRING_ENUM_IMPLS: StringEnumImpls = StringEnumImpls {
        as_str: syn::parse_quote! {
            impl Type {
                /// The value as it appears on the wire.
                pub fn as_str(&self) -> &'static str {
                    match self {}
                }
            }
        },
        open_as_str: syn::parse_quote! {
            impl Type {
                /// The value as it appears on the wire.
                pub fn as_str(&self) -> &str {
                    match self {}
                }
            }
        },
        display: syn::parse_quote! {
            impl std::fmt::Display for Type {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        },
        serialize: syn::parse_quote! {
            impl serde::Serialize for Type {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }
        },
        deserialize: syn::parse_quote! {
            impl<'de> serde::Deserialize<'de> for Type {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let value = <String as serde::Deserialize>::deserialize(deserializer)?;
                    Ok(match value.as_str() {})
                }
            }
        },
    };
}

/// A copy of `template` for the type `name`, its final `match` given `arms`.
fn filled(template: &syn::ItemImpl, name: &str, arms: Vec<syn::Arm>) -> Item {
    let mut item = template.clone();
    item.self_ty = Box::new(ast::path_ty(ast::path(&[name])));
    if let Some(found) = ast::final_match(&mut item) {
        found.arms = arms;
    }
    Item::Impl(item)
}

fn string_enum(name: &str, attrs: Vec<syn::Attribute>, e: &StringEnum) -> Vec<Item> {
    let value_lit = |v: &EnumVariant| ast::str_lit(&v.value);
    let mut variants: Vec<syn::Variant> = e
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            // Values are document text too: cleaned like any doc (bidi controls break the build).
            let mut attrs =
                doc_attr_list(Some(&format!("`{}`", serde_json::Value::from(&*v.value))));
            if e.default == Some(i) {
                attrs.push(ast::path_attr("default"));
            }
            variant(attrs, &v.name, syn::Fields::Unit)
        })
        .collect();
    let mut as_str_arms: Vec<syn::Arm> = e
        .variants
        .iter()
        .map(|v| ast::arm(ast::path_pat(&["Self", &v.name]), value_lit(v)))
        .collect();
    let default = e.default.map(|_| quote!(Default,));
    let with_derive = |mut attrs: Vec<syn::Attribute>, derive| {
        attrs.push(ast::list_attr("derive", derive));
        attrs
    };
    // Read as a string and matched: serde's derive would add a variant-identifier enum
    // and visitors per enum, a large part of a big document's compile time.
    let mut from_str_arms: Vec<syn::Arm> = e
        .variants
        .iter()
        .map(|v| ast::arm(ast::str_pat(&v.value), ast::path_expr(&["Self", &v.name])))
        .collect();
    STRING_ENUM_IMPLS.with(|impls| match &e.other {
        None => {
            let values = e.variants.iter().map(|v| v.value.as_str());
            from_str_arms.push(syn::parse_quote! {
                _ => return Err(serde::de::Error::unknown_variant(&value, &[#(#values),*])),
            });
            let derive = quote!(Debug, Clone, Copy, PartialEq, Eq, Hash, #default);
            vec![
                enum_item(name, with_derive(attrs, derive), variants),
                filled(&impls.as_str, name, as_str_arms),
                filled(&impls.display, name, Vec::new()),
                filled(&impls.serialize, name, Vec::new()),
                filled(&impls.deserialize, name, from_str_arms),
            ]
        }
        Some(other) => {
            variants.push(variant(
                vec![ast::doc_attr(
                    " A value this version of the API description does not know.",
                )],
                other,
                ast::tuple_fields(ast::path_ty(ast::path(&["String"]))),
            ));
            let value = || ast::path_expr(&["value"]);
            as_str_arms.push(ast::arm(
                ast::tuple_struct_pat(&["Self", other], [ast::ident_pat("value")]),
                value(),
            ));
            from_str_arms.push(ast::arm(
                ast::wild_pat(),
                ast::call(ast::path_expr(&["Self", other]), [value()]),
            ));
            let derive = quote!(Debug, Clone, PartialEq, Eq, Hash, #default);
            vec![
                enum_item(name, with_derive(attrs, derive), variants),
                filled(&impls.open_as_str, name, as_str_arms),
                filled(&impls.display, name, Vec::new()),
                filled(&impls.serialize, name, Vec::new()),
                filled(&impls.deserialize, name, from_str_arms),
            ]
        }
    })
}

/// Whether serializing `ty` writes an `f64` of its own (not one inside a named struct or
/// union, which writes its numbers itself): such union variants go through
/// `validate::whole_numbers`, such struct members through the runtime's `Write::number`. A map of
/// other members' numbers (`additionalProperties: {type: number}`) is written as it is, as
/// serde's `flatten` (which takes no `serialize_with`) wrote it.
fn holds_number(api: &Api, ty: &Ty) -> bool {
    fn through_aliases(api: &Api, ty: &Ty, aliases_left: usize) -> bool {
        match ty {
            Ty::F64 => true,
            Ty::List(inner) | Ty::Map(inner) | Ty::Option(inner) | Ty::Box(inner) => {
                through_aliases(api, inner, aliases_left)
            }
            // Self-referencing aliases are newtypes; the count bounds any chain regardless.
            Ty::Named(id) => match &api.ty(*id).kind {
                TypeKind::Alias(inner) if aliases_left > 0 => {
                    through_aliases(api, inner, aliases_left - 1)
                }
                _ => false,
            },
            _ => false,
        }
    }
    through_aliases(api, ty, api.types.len())
}

fn variant(attrs: Vec<syn::Attribute>, name: &str, fields: syn::Fields) -> syn::Variant {
    syn::Variant {
        attrs,
        ident: ast::ident(name),
        fields,
        discriminant: None,
    }
}

/// `pub enum name { variants }`, after `attrs`.
fn enum_item(name: &str, attrs: Vec<syn::Attribute>, variants: Vec<syn::Variant>) -> Item {
    Item::Enum(syn::ItemEnum {
        attrs,
        vis: ast::public(),
        enum_token: Default::default(),
        ident: ast::ident(name),
        generics: Default::default(),
        brace_token: Default::default(),
        variants: variants.into_iter().collect(),
    })
}

fn int_enum(name: &proc_macro2::Ident, docs: TokenStream, e: &IntEnum) -> TokenStream {
    let idents: Vec<_> = e
        .variants
        .iter()
        .map(|(n, _)| format_ident!("{}", n))
        .collect();
    let values: Vec<Literal> = e
        .variants
        .iter()
        .map(|(_, v)| Literal::i64_unsuffixed(*v))
        .collect();
    let derive_default = e.default.map(|_| quote!(Default,));
    let variants = idents
        .iter()
        .zip(&e.variants)
        .enumerate()
        .map(|(i, (ident, (_, v)))| {
            let default = (e.default == Some(i)).then(|| quote!(#[default]));
            let doc = format!(" `{v}`");
            quote!(#[doc = #doc] #default #ident)
        });
    let expected = format!(
        "one of {}",
        e.variants
            .iter()
            .map(|(_, v)| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (other_variant, other_value, unknown) = match &e.other {
        Some(other) => {
            let other = format_ident!("{}", other);
            (
                Some(quote! {
                    /// A value this version of the API description does not know.
                    #other(i64),
                }),
                Some(quote!(Self::#other(value) => *value,)),
                quote!(Ok(Self::#other(value))),
            )
        }
        None => (
            None,
            None,
            quote!(Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Signed(value),
                &#expected
            ))),
        ),
    };
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, #derive_default)]
        pub enum #name {
            #(#variants,)*
            #other_variant
        }
        impl #name {
            /// The value as it appears on the wire.
            pub fn value(&self) -> i64 {
                match self {
                    #(Self::#idents => #values,)*
                    #other_value
                }
            }
        }
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <i64 as serde::Deserialize>::deserialize(deserializer)?;
                match value {
                    #(#values => Ok(Self::#idents),)*
                    _ => #unknown,
                }
            }
        }
    }
}

fn union_def(
    api: &Api,
    name: &str,
    mut attrs: Vec<syn::Attribute>,
    u: &Union,
) -> Result<Vec<Item>> {
    let mut variants: Vec<syn::Variant> = u
        .variants
        .iter()
        .map(|v| {
            let doc = match (&u.discriminator, v.tags.as_slice()) {
                (Some(property), tags) if !tags.is_empty() => {
                    let tags: Vec<String> = tags.iter().map(|t| format!("`{t}`")).collect();
                    format!("`{property}` = {}", tags.join(" or "))
                }
                _ => format!("A `{}`.", api_ty_label(api, &v.ty)),
            };
            variant(
                doc_attr_list(Some(&doc)),
                &v.name,
                ast::tuple_fields(ty_syn(api, &v.ty)),
            )
        })
        .collect();
    attrs.push(ast::list_attr(
        "allow",
        quote!(clippy::large_enum_variant, clippy::enum_variant_names),
    ));
    // Written out, not serde's `untagged` derives: for a large document they cost the
    // compiler as much as every other impl of the unions together.
    attrs.push(ast::list_attr("derive", quote!(Debug, Clone, PartialEq)));
    let name_ident = format_ident!("{}", name);
    let write_arms = u.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.name);
        if holds_number(api, &v.ty) {
            // Whole `number`s as integers (`12`, not `12.0`): see the runtime's doc.
            quote!(Self::#ident(value) => super::validate::whole_numbers(value, serializer),)
        } else {
            quote!(Self::#ident(value) => serde::Serialize::serialize(value, serializer),)
        }
    });
    let other_arm = u
        .other
        .as_ref()
        .filter(|_| u.discriminator.is_some())
        .map(|other| {
            let other = format_ident!("{}", other);
            quote!(Self::#other(value) => serde::Serialize::serialize(value, serializer),)
        });
    let serialize = quote! {
        impl serde::Serialize for #name_ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#write_arms)*
                    #other_arm
                }
            }
        }
    };
    let Some(property) = &u.discriminator else {
        let branches = u.variants.iter().map(|v| {
            let ident = format_ident!("{}", v.name);
            quote! {
                if let Some(branch) = value.branch() {
                    return Ok(Self::#ident(branch));
                }
            }
        });
        let mut items = vec![enum_item(name, attrs, variants)];
        items.extend(parse_items(quote! {
            #serialize
            impl<'de> serde::Deserialize<'de> for #name_ident {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let mut value = codegen_runtime::object::Buffered::read(deserializer)?;
                    // Each reading goes to every branch before the next one, so that a
                    // branch taking the value as sent wins over one taking it only as
                    // read again (`""` for a string branch over `{}` for an object's).
                    loop {
                        #(#branches)*
                        if !value.retry() {
                            return Err(value.none_of(#name));
                        }
                    }
                }
            }
        })?);
        return Ok(items);
    };
    let all_tags: Vec<&str> = u
        .variants
        .iter()
        .flat_map(|v| v.tags.iter().map(String::as_str))
        .collect();
    let arms = u.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.name);
        let tags = &v.tags;
        quote! {
            #(#tags)|* => value.tagged().map(Self::#ident),
        }
    });
    let unknown = match &u.other {
        Some(other) => {
            let doc = doc_attr_list(Some(&format!(
                "An object whose `{property}` this version of the API description does not know."
            )));
            let value = ast::path_ty(ast::path(&["serde_json", "Value"]));
            variants.push(variant(doc, other, ast::tuple_fields(value)));
            let other = format_ident!("{}", other);
            quote!(_ => value.into_json().map(Self::#other),)
        }
        None => quote!(tag => Err(serde::de::Error::unknown_variant(tag, &[#(#all_tags),*])),),
    };
    let mut items = vec![enum_item(name, attrs, variants)];
    items.extend(parse_items(quote! {
        #serialize
        impl<'de> serde::Deserialize<'de> for #name_ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = codegen_runtime::object::Buffered::read(deserializer)?;
                match value.tag(#property)? {
                    #(#arms)*
                    #unknown
                }
            }
        }
    })?);
    Ok(items)
}

/// A short human label for a type, for variant docs.
fn api_ty_label(api: &Api, ty: &Ty) -> String {
    match ty {
        Ty::Named(id) => api.ty(*id).name.clone(),
        Ty::List(inner) => format!("list of {}", api_ty_label(api, inner)),
        Ty::Map(inner) => format!("map of {}", api_ty_label(api, inner)),
        Ty::Option(inner) => format!("nullable {}", api_ty_label(api, inner)),
        Ty::Box(inner) => api_ty_label(api, inner),
        Ty::String => "string".into(),
        Ty::Bool => "boolean".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Uuid => "UUID".into(),
        Ty::Bytes => "byte string".into(),
        Ty::Any => "JSON value".into(),
        Ty::JsonObject => "JSON object".into(),
    }
}
