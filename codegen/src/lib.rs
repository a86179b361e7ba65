//! OpenAPI document → Rust crate: typed models (and, built on the same IR, a client and
//! axum server traits).
//!
//! The pipeline: [`load::parse`] (text → `openapiv3`), [`lower::lower`] (→ [`ir::Api`]),
//! the emitters in [`emit`] (→ `syn` trees, a few rare items through `quote!` tokens),
//! [`print`] (→ text; every piece of the crate on every core).

pub mod build;
mod cores;
pub mod emit;
pub mod error;
pub mod ir;
pub mod load;
pub mod lower;
pub mod names;

pub use error::{Error, Result, Warning};

use std::path::PathBuf;

/// How the emitted crate is named and labelled.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cargo package name, e.g. `maniac-api`.
    pub crate_name: String,
    /// Where the document came from, for the `@generated` header, e.g. `spec/maniac.yaml`.
    pub source: String,
    /// Adds an empty `[workspace]` so the crate builds outside any enclosing workspace.
    pub standalone: bool,
    /// Where the crate finds the runtime crate.
    pub runtime: Runtime,
    /// A cargo feature per group of operations (see `lower/features.rs`). `false` for code
    /// compiled as a module of another crate, whose features are not the document's.
    pub feature_groups: bool,
}

/// Where a generated crate finds `codegen-runtime`, the part that is the same for every API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A path dependency: relative to the generated crate's directory, or absolute.
    Path(String),
    /// A copy of the runtime crate written into the output as `runtime/`, for a crate that
    /// must build on its own.
    Vendored,
}

/// The runtime crate's files (`codegen/runtime/`), for [`Runtime::Vendored`].
pub const RUNTIME_FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../runtime/Cargo.toml")),
    ("src/lib.rs", include_str!("../runtime/src/lib.rs")),
    ("src/form.rs", include_str!("../runtime/src/form.rs")),
    ("src/media.rs", include_str!("../runtime/src/media.rs")),
    ("src/object.rs", include_str!("../runtime/src/object.rs")),
    (
        "src/security.rs",
        include_str!("../runtime/src/security.rs"),
    ),
    ("src/status.rs", include_str!("../runtime/src/status.rs")),
    (
        "src/validate.rs",
        include_str!("../runtime/src/validate.rs"),
    ),
    (
        "src/client/mod.rs",
        include_str!("../runtime/src/client/mod.rs"),
    ),
    (
        "src/client/config.rs",
        include_str!("../runtime/src/client/config.rs"),
    ),
    (
        "src/client/form.rs",
        include_str!("../runtime/src/client/form.rs"),
    ),
    (
        "src/client/errors.rs",
        include_str!("../runtime/src/client/errors.rs"),
    ),
    (
        "src/client/request.rs",
        include_str!("../runtime/src/client/request.rs"),
    ),
    (
        "src/client/response.rs",
        include_str!("../runtime/src/client/response.rs"),
    ),
    (
        "src/client/transport.rs",
        include_str!("../runtime/src/client/transport.rs"),
    ),
    (
        "src/client/upload.rs",
        include_str!("../runtime/src/client/upload.rs"),
    ),
    (
        "src/client/tests.rs",
        include_str!("../runtime/src/client/tests.rs"),
    ),
    (
        "src/server/mod.rs",
        include_str!("../runtime/src/server/mod.rs"),
    ),
    (
        "src/server/body.rs",
        include_str!("../runtime/src/server/body.rs"),
    ),
    (
        "src/server/handle.rs",
        include_str!("../runtime/src/server/handle.rs"),
    ),
    (
        "src/server/json.rs",
        include_str!("../runtime/src/server/json.rs"),
    ),
    (
        "src/server/form.rs",
        include_str!("../runtime/src/server/form.rs"),
    ),
    (
        "src/server/mock.rs",
        include_str!("../runtime/src/server/mock.rs"),
    ),
    (
        "src/server/params.rs",
        include_str!("../runtime/src/server/params.rs"),
    ),
    (
        "src/server/security.rs",
        include_str!("../runtime/src/server/security.rs"),
    ),
    (
        "src/server/serve.rs",
        include_str!("../runtime/src/server/serve.rs"),
    ),
    (
        "src/server/tests.rs",
        include_str!("../runtime/src/server/tests.rs"),
    ),
];

/// One emitted file, its path relative to the crate root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// The emitted crate and the fallbacks the generator took.
#[derive(Debug, Clone)]
pub struct Generated {
    pub files: Vec<GeneratedFile>,
    pub warnings: Vec<Warning>,
}

impl Generated {
    /// Writes the files under `out`, creating folders as needed.
    pub fn write(&self, out: &std::path::Path) -> std::result::Result<(), String> {
        for file in &self.files {
            let path = out.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// Parses and lowers a document (YAML or JSON, OpenAPI 3.0 or 3.1).
pub fn load(text: &str) -> Result<ir::Api> {
    let doc = load::parse(text)?;
    let api = lower::lower(&doc);
    cores::drop_aside(doc);
    api
}

/// The header line every generated file starts with.
pub fn header(source: &str) -> String {
    format!("@generated by xtask from {source}. Do not edit.")
}

/// A file of the runtime crate, copied as is under the `@generated` header.
fn vendored(text: &str, source: &str, runtime_file: &str) -> String {
    let comment = if runtime_file.ends_with(".toml") {
        "#"
    } else {
        "//"
    };
    format!(
        "{comment} {} (Copied from codegen/runtime/{runtime_file}.)\n{text}",
        header(source)
    )
}

/// Formats tokens as a Rust file with the `@generated` header.
pub fn format_rust(tokens: proc_macro2::TokenStream, source: &str) -> Result<String> {
    Ok(format!("// {}\n{}", header(source), unparse(tokens)?))
}

fn items_file(items: Vec<syn::Item>) -> syn::File {
    syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    }
}

fn unparse(tokens: proc_macro2::TokenStream) -> Result<String> {
    Ok(print(&emit::parse_file(tokens)?))
}

/// Prints a syntax tree this thread emitted (its doc lines in their markers' place).
pub fn print(file: &syn::File) -> String {
    let mut text = emit::doc_markers::fill(prettyplease::unparse(file));
    // Doc text built from the document's strings (a title, an operation id) without
    // `emit::clean_doc`: string literals are printed escaped, so what remains raw is in
    // comments, where rustc rejects these characters.
    if emit::holds_rejected(&text) {
        text.retain(|c| !emit::rejected_in_comment(c));
    }
    text
}

/// Types emitted and formatted at once by one thread.
const BATCH: usize = 16;

/// Operations whose server items (or handlers) are emitted and formatted at once by one
/// thread: each run also works out what all operations share (the security requirements).
const OPERATIONS_BATCH: usize = 32;

/// One piece of the crate's Rust code, emitted and formatted on its own: items print the
/// same alone as in one file, so a file's pieces joined in order are the file formatted at
/// once.
enum Piece {
    Client,
    /// `src/server.rs` after its `use` lines, which are formatted last: they import what
    /// the other server pieces mention.
    ServerHead,
    /// A run of operations' items in `src/server.rs`.
    ServerOperations(std::ops::Range<usize>),
    /// The router and what it needs, after the operations' items.
    ServerTail,
    /// A run of operations' handlers, after the tail.
    ServerHandlers(std::ops::Range<usize>),
    Mock,
    /// A run of `src/models.rs`'s types.
    Models(std::ops::Range<usize>),
    /// A run of operations' `{Op}Params` in `src/params.rs`.
    Params(std::ops::Range<usize>),
}

impl Piece {
    /// The piece's text, and what in it `src/server.rs`'s `use` lines import.
    fn text(
        &self,
        api: &ir::Api,
        checked: &emit::validate::Checked,
    ) -> Result<(String, emit::server::Mentions)> {
        emit::doc_markers::scoped(|| self.emit_and_print(api, checked))
    }

    fn emit_and_print(
        &self,
        api: &ir::Api,
        checked: &emit::validate::Checked,
    ) -> Result<(String, emit::server::Mentions)> {
        use emit::server;
        let mut mentions = server::Mentions::default();
        let text = match self {
            Piece::Client => print(&emit::client::client_rs(api)?),
            Piece::ServerHead => print(&items_file(server::server_head(api, &mut mentions)?)),
            Piece::ServerOperations(range) => print(&items_file(server::server_operations(
                api,
                range.clone(),
                &mut mentions,
            )?)),
            Piece::ServerTail => print(&items_file(server::server_tail(api)?)),
            Piece::ServerHandlers(range) => {
                print(&items_file(server::server_handlers(api, range.clone())?))
            }
            Piece::Mock => unparse(server::mock(api))?,
            Piece::Models(range) => print(&items_file(emit::models::type_defs(
                api,
                checked,
                range.clone(),
            )?)),
            Piece::Params(range) => print(&items_file(
                api.operations[range.clone()]
                    .iter()
                    .filter_map(|op| emit::params::params_struct(api, op))
                    .flatten()
                    .collect(),
            )),
        };
        Ok((text, mentions))
    }
}

/// Formats every piece, on every core: formatting is most of the time on large
/// documents. The big per-API files come first.
fn format_pieces(api: &ir::Api, pieces: &[Piece]) -> Result<Vec<(String, emit::server::Mentions)>> {
    let checked = emit::validate::Checked::new(api);
    cores::map_jobs(pieces.len(), |i| pieces[i].text(api, &checked))
        .into_iter()
        .map(|text| text.unwrap_or_else(|panicked| Err(Error::internal("#", panicked))))
        .collect()
}

/// Generates the whole crate for a document.
pub fn generate(text: &str, options: &Options) -> Result<Generated> {
    let api = load(text)?;
    let generated = generate_from_api(&api, options);
    cores::drop_aside(api);
    generated
}

pub fn generate_from_api(api: &ir::Api, options: &Options) -> Result<Generated> {
    let ungrouped;
    let api = if options.feature_groups || api.features.is_empty() {
        api
    } else {
        ungrouped = ir::Api {
            features: Vec::new(),
            ..api.clone()
        };
        &ungrouped
    };
    let source = &options.source;
    let runs = |len: usize, batch: usize| {
        (0..len)
            .step_by(batch)
            .map(move |start| start..(start + batch).min(len))
    };
    let operations = api.operations.len();
    // The big pieces first; each file's pieces in its order.
    let mut pieces = vec![Piece::Client, Piece::ServerHead, Piece::Mock];
    pieces.extend(runs(operations, OPERATIONS_BATCH).map(Piece::ServerOperations));
    pieces.push(Piece::ServerTail);
    pieces.extend(runs(operations, OPERATIONS_BATCH).map(Piece::ServerHandlers));
    pieces.extend(runs(api.types.len(), BATCH).map(Piece::Models));
    pieces.extend(runs(operations, OPERATIONS_BATCH).map(Piece::Params));
    let texts = format_pieces(api, &pieces)?;
    let head = format!("// {}\n", header(source));
    let (mut client, mut server, mut mock, mut models, mut params) = (
        head.clone(),
        String::new(),
        head.clone(),
        head.clone(),
        head.clone(),
    );
    let mut mentions = emit::server::Mentions::default();
    for (piece, (text, mentioned)) in pieces.iter().zip(texts) {
        mentions.merge(&mentioned);
        match piece {
            Piece::Client => client.push_str(&text),
            Piece::Mock => mock.push_str(&text),
            Piece::Models(_) => models.push_str(&text),
            Piece::Params(_) => params.push_str(&text),
            Piece::ServerHead
            | Piece::ServerOperations(_)
            | Piece::ServerTail
            | Piece::ServerHandlers(_) => server.push_str(&text),
        }
    }
    let uses = print(&items_file(emit::server::server_uses(api, &mentions)?));
    let server = format!("{head}{uses}{server}");
    let mut files = vec![
        GeneratedFile {
            path: "Cargo.toml".into(),
            contents: emit::krate::cargo_toml(
                api,
                &options.crate_name,
                &header(source),
                options.standalone,
                &options.runtime,
            ),
        },
        GeneratedFile {
            path: "src/lib.rs".into(),
            contents: emit::doc_markers::scoped(|| {
                format_rust(emit::krate::lib_rs(api, &options.crate_name), source)
            })?,
        },
        GeneratedFile {
            path: "src/models.rs".into(),
            contents: models,
        },
    ];
    if emit::params::any_params(api) {
        files.push(GeneratedFile {
            path: "src/params.rs".into(),
            contents: params,
        });
    }
    files.extend([
        GeneratedFile {
            path: "src/client.rs".into(),
            contents: client,
        },
        GeneratedFile {
            path: "src/server.rs".into(),
            contents: server,
        },
        GeneratedFile {
            path: "src/server/mock.rs".into(),
            contents: mock,
        },
        GeneratedFile {
            path: "examples/mock.rs".into(),
            contents: emit::doc_markers::scoped(|| {
                format_rust(emit::server::mock_example(api, &options.crate_name), source)
            })?,
        },
    ]);
    if options.runtime == Runtime::Vendored {
        files.extend(RUNTIME_FILES.iter().map(|(path, text)| GeneratedFile {
            path: std::path::Path::new("runtime").join(path),
            contents: vendored(text, source, path),
        }));
    }
    Ok(Generated {
        files,
        warnings: api.warnings.clone(),
    })
}

#[cfg(test)]
mod tests {
    /// A vendored runtime is the whole runtime crate: a file added to it must be listed.
    #[test]
    fn runtime_files_are_the_whole_runtime_crate() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "target") {
                        walk(&path, root, out);
                    }
                } else {
                    let relative = path.strip_prefix(root).unwrap();
                    out.push(relative.display().to_string());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime");
        let mut on_disk = Vec::new();
        walk(&root, &root, &mut on_disk);
        on_disk.sort();
        let mut listed: Vec<String> = super::RUNTIME_FILES
            .iter()
            .map(|(path, _)| path.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }

    /// The byte scan finds exactly the characters the formatter must drop: each alone and
    /// amid other text, and no other character.
    #[test]
    fn byte_scan_finds_exactly_the_rejected_characters() {
        let wrong: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|&c| {
                let rejected = super::emit::rejected_in_comment(c);
                super::emit::holds_rejected(&c.to_string()) != rejected
                    || super::emit::holds_rejected(&format!("a—{c}é")) != rejected
                    // After whole runs of plain text, and inside one.
                    || super::emit::holds_rejected(&format!("0123456789\nabcde{c}")) != rejected
                    || super::emit::holds_rejected(&format!("0123\n{c}0123456789abcdefghij"))
                        != rejected
            })
            .collect();
        assert!(wrong.is_empty(), "wrong: {wrong:?}");
        assert!(!super::emit::holds_rejected(
            "plain text,\n\tno controls, ünïcödé — “quoted”"
        ));
    }
}
