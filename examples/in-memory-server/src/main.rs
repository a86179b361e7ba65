//! An in-memory Maniac server: containers, files, evaluators and datasets kept in maps,
//! every other operation answered by the generated mock. The example to copy when
//! implementing the generated `ManiacApi` trait.
//!
//! `cargo run -p in-memory-server -- --port 8081` (the key in `MANIAC_API_KEY`, when set,
//! is the only one accepted).

use bytes::Bytes;
use futures_util::StreamExt;
use maniac_api::models;
use maniac_api::server::mock::Mock;
use maniac_api::server::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

type Ctx = RequestContext<()>;

#[derive(Default)]
struct Store {
    containers: BTreeMap<String, models::CreateContainerRes>,
    files: BTreeMap<String, (models::FileObject, Bytes)>,
    evaluators: BTreeMap<String, models::Evaluator>,
    datasets: BTreeMap<String, models::Dataset>,
}

/// The server: a store behind a lock, and the mock for what it does not keep.
#[derive(Default)]
struct InMemory {
    store: Mutex<Store>,
    next_id: AtomicU64,
    mock: Mock,
}

/// The documented error envelope, for the 404s and 409s this server answers itself.
fn error(code: &str, message: String) -> models::ErrorResponse {
    models::ErrorResponse {
        error: models::ManiacError {
            code: code.to_owned(),
            message,
            details: None,
        },
    }
}

fn not_found(what: &str, id: &str) -> models::ErrorResponse {
    error("not_found", format!("{what} `{id}` not found"))
}

/// One page of a list, as `limit`/`offset` ask.
fn page<T: Clone>(items: impl Iterator<Item = T>, limit: i32, offset: i32) -> Vec<T> {
    items
        .skip(offset.max(0) as usize)
        .take(limit.max(0) as usize)
        .collect()
}

/// Sets the `id` member of a value the generated types hold (a union of evaluator kinds).
fn with_id<T: serde::Serialize + serde::de::DeserializeOwned>(value: T, id: &str) -> Option<T> {
    let mut json = serde_json::to_value(value).ok()?;
    json.as_object_mut()?.insert("id".into(), id.into());
    serde_json::from_value(json).ok()
}

impl InMemory {
    fn fresh_id(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{}",
            self.next_id.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A handler that panicked mid-update leaves maps that are still valid.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ManiacApi for InMemory {
    type Claims = ();

    async fn authenticate(&self, credential: Credential<'_>) -> Result<(), Rejection> {
        self.mock.authenticate(credential).await
    }

    // ---- containers, by label

    async fn containers_create(
        &self,
        _ctx: Ctx,
        body: models::CreateContainerReq,
    ) -> ContainersCreateResponse {
        let mut store = self.store();
        if store.containers.contains_key(&body.label) {
            let message = format!("container `{}` already exists", body.label);
            return ContainersCreateResponse::Conflict(error("conflict", message));
        }
        let container = models::CreateContainerRes {
            id: self.fresh_id("container"),
            label: body.label.clone(),
            api: body.api,
            default_system_prompt: body.default_system_prompt,
            default_parameters: body.default_parameters,
            initial_model: Some(body.initial_model),
            ..Default::default()
        };
        store.containers.insert(body.label, container.clone());
        ContainersCreateResponse::Ok(container)
    }

    async fn containers_retrieve(&self, _ctx: Ctx, label: String) -> ContainersRetrieveResponse {
        match self.store().containers.get(&label) {
            Some(container) => ContainersRetrieveResponse::Ok(container.clone()),
            None => ContainersRetrieveResponse::NotFound(not_found("container", &label)),
        }
    }

    async fn containers_update(
        &self,
        _ctx: Ctx,
        label: String,
        body: models::UpdateContainerReq,
    ) -> ContainersUpdateResponse {
        let mut store = self.store();
        let Some(container) = store.containers.get_mut(&label) else {
            return ContainersUpdateResponse::NotFound(not_found("container", &label));
        };
        // Absent: unchanged; null: cleared.
        if let Some(parameters) = body.default_parameters {
            container.default_parameters = parameters;
        }
        if let Some(prompt) = body.default_system_prompt {
            container.default_system_prompt = prompt;
        }
        if let Some(model) = body.default_model {
            container.initial_model = model;
        }
        ContainersUpdateResponse::Ok(container.clone())
    }

    async fn containers_delete(&self, _ctx: Ctx, label: String) -> ContainersDeleteResponse {
        match self.store().containers.remove(&label) {
            Some(_) => ContainersDeleteResponse::Ok(models::DeleteContainerRes {
                label,
                deleted: true,
                ..Default::default()
            }),
            None => ContainersDeleteResponse::NotFound(not_found("container", &label)),
        }
    }

    async fn containers_list(
        &self,
        _ctx: Ctx,
        params: ContainersListParams,
    ) -> ContainersListResponse {
        let store = self.store();
        let data = page(store.containers.values(), params.limit, params.offset)
            .into_iter()
            .filter_map(|c| serde_json::from_value(serde_json::to_value(c).ok()?).ok())
            .map(|mut c: models::Container| {
                c.project_id = "in-memory".into();
                c
            })
            .collect();
        ContainersListResponse::Ok(models::ContainerListResponse {
            data,
            total: store.containers.len() as i64,
            ..Default::default()
        })
    }

    // ---- files: bytes kept in memory, content streamed back

    async fn files_create(&self, _ctx: Ctx, body: FilesCreateForm) -> FilesCreateResponse {
        let filename = body
            .file
            .file_name
            .clone()
            .unwrap_or_else(|| "upload".into());
        let mut chunks = Vec::new();
        let mut file = body.file;
        while let Some(chunk) = file.next().await {
            match chunk {
                Ok(chunk) => chunks.push(chunk),
                // The router answers 413 itself when the upload limit was passed.
                Err(e) => {
                    return FilesCreateResponse::BadRequest(error("bad_request", e.to_string()))
                }
            }
        }
        let bytes = Bytes::from(chunks.concat());
        let object = models::FileObject {
            id: self.fresh_id("file"),
            bytes: bytes.len() as i64,
            created_at: 1_767_225_600,
            filename,
            purpose: body.purpose,
            status: "uploaded".into(),
            ..Default::default()
        };
        self.store()
            .files
            .insert(object.id.clone(), (object.clone(), bytes));
        FilesCreateResponse::Ok(object)
    }

    async fn files_retrieve(&self, _ctx: Ctx, file_id: String) -> FilesRetrieveResponse {
        match self.store().files.get(&file_id) {
            Some((object, _)) => FilesRetrieveResponse::Ok(object.clone()),
            None => FilesRetrieveResponse::NotFound(not_found("file", &file_id)),
        }
    }

    async fn files_content(&self, _ctx: Ctx, file_id: String) -> FilesContentResponse {
        match self.store().files.get(&file_id) {
            Some((_, bytes)) => FilesContentResponse::Ok(Binary::from_bytes(bytes.clone())),
            None => FilesContentResponse::NotFound(not_found("file", &file_id)),
        }
    }

    async fn files_delete(&self, _ctx: Ctx, file_id: String) -> FilesDeleteResponse {
        match self.store().files.remove(&file_id) {
            Some(_) => FilesDeleteResponse::Ok(models::FileDeleteResponse {
                id: file_id,
                deleted: true,
                ..Default::default()
            }),
            None => FilesDeleteResponse::NotFound(not_found("file", &file_id)),
        }
    }

    async fn files_list(&self, _ctx: Ctx, params: FilesListParams) -> FilesListResponse {
        let store = self.store();
        let matching = store
            .files
            .values()
            .map(|(object, _)| object)
            .filter(|o| params.purpose.as_ref().is_none_or(|p| &o.purpose == p));
        let total = matching.clone().count() as i64;
        FilesListResponse::Ok(models::FileListResponse {
            data: page(matching.cloned(), params.limit, params.offset),
            total,
            ..Default::default()
        })
    }

    // ---- evaluators: the documented example, given its own id

    async fn evaluators_create(
        &self,
        ctx: Ctx,
        body: models::CreateEvaluatorReq,
    ) -> EvaluatorsCreateResponse {
        let id = self.fresh_id("evaluator");
        let EvaluatorsCreateResponse::Ok(example) = self.mock.evaluators_create(ctx, body).await
        else {
            return EvaluatorsCreateResponse::not_implemented();
        };
        let Some(evaluator) = with_id(example, &id) else {
            return EvaluatorsCreateResponse::not_implemented();
        };
        self.store().evaluators.insert(id, evaluator.clone());
        EvaluatorsCreateResponse::Ok(evaluator)
    }

    async fn evaluators_retrieve(
        &self,
        _ctx: Ctx,
        evaluator_id: String,
    ) -> EvaluatorsRetrieveResponse {
        match self.store().evaluators.get(&evaluator_id) {
            Some(evaluator) => EvaluatorsRetrieveResponse::Ok(evaluator.clone()),
            None => EvaluatorsRetrieveResponse::NotFound(not_found("evaluator", &evaluator_id)),
        }
    }

    async fn evaluators_update(
        &self,
        _ctx: Ctx,
        evaluator_id: String,
        body: models::UpdateEvaluatorReq,
    ) -> EvaluatorsUpdateResponse {
        let mut store = self.store();
        let Some(evaluator) = store.evaluators.get_mut(&evaluator_id) else {
            return EvaluatorsUpdateResponse::NotFound(not_found("evaluator", &evaluator_id));
        };
        // Fields the update sets, merged onto the stored evaluator (absent: unchanged).
        let changes = serde_json::to_value(&body).unwrap_or_default();
        let mut merged = serde_json::to_value(&*evaluator).unwrap_or_default();
        if let (Some(merged), Some(changes)) = (merged.as_object_mut(), changes.as_object()) {
            for (key, value) in changes {
                if merged.contains_key(key) {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        if let Ok(updated) = serde_json::from_value::<models::Evaluator>(merged) {
            *evaluator = updated;
        }
        EvaluatorsUpdateResponse::Ok(evaluator.clone())
    }

    async fn evaluators_delete(&self, _ctx: Ctx, evaluator_id: String) -> EvaluatorsDeleteResponse {
        match self.store().evaluators.remove(&evaluator_id) {
            Some(_) => EvaluatorsDeleteResponse::Ok(models::DeleteEvaluatorRes {
                id: evaluator_id,
                deleted: true,
                ..Default::default()
            }),
            None => EvaluatorsDeleteResponse::NotFound(not_found("evaluator", &evaluator_id)),
        }
    }

    async fn evaluators_list(
        &self,
        _ctx: Ctx,
        params: EvaluatorsListParams,
    ) -> EvaluatorsListResponse {
        let store = self.store();
        let data = page(
            store.evaluators.values().cloned(),
            params.limit,
            params.offset,
        );
        EvaluatorsListResponse::Ok(models::EvaluatorListResponse {
            data,
            total: store.evaluators.len() as i64,
            ..Default::default()
        })
    }

    // ---- datasets

    async fn datasets_create(
        &self,
        _ctx: Ctx,
        body: models::CreateDatasetReq,
    ) -> DatasetsCreateResponse {
        let id = self.fresh_id("dataset");
        let dataset = models::Dataset {
            id: id.clone(),
            name: body.name,
            description: body.description,
            requested_size: Some(body.size),
            size: Some(0),
            filters: Some(body.filters),
            tags: body.tags,
            metadata: Some(body.metadata),
            ..Default::default()
        };
        self.store().datasets.insert(id.clone(), dataset);
        DatasetsCreateResponse::Ok(models::CreateDatasetRes {
            id,
            message: "dataset created".into(),
        })
    }

    async fn datasets_retrieve(&self, _ctx: Ctx, dataset_id: String) -> DatasetsRetrieveResponse {
        match self.store().datasets.get(&dataset_id) {
            Some(dataset) => DatasetsRetrieveResponse::Ok(dataset.clone()),
            None => DatasetsRetrieveResponse::NotFound(not_found("dataset", &dataset_id)),
        }
    }

    async fn datasets_list(&self, _ctx: Ctx, params: DatasetsListParams) -> DatasetsListResponse {
        let store = self.store();
        DatasetsListResponse::Ok(models::DatasetListResponse {
            data: page(
                store.datasets.values().cloned(),
                params.limit,
                params.offset,
            ),
            total: store.datasets.len() as i64,
            ..Default::default()
        })
    }

    // ---- everything else: the documented examples

    async fn chat_completions_list(
        &self,
        ctx: Ctx,
        params: ChatCompletionsListParams,
    ) -> ChatCompletionsListResponse {
        self.mock.chat_completions_list(ctx, params).await
    }

    async fn chat_completions_create(
        &self,
        ctx: Ctx,
        body: models::ChatReq,
    ) -> ChatCompletionsCreateResponse {
        self.mock.chat_completions_create(ctx, body).await
    }

    async fn chat_completions_register(
        &self,
        ctx: Ctx,
        body: models::RegisterCompletionsReq,
    ) -> ChatCompletionsRegisterResponse {
        self.mock.chat_completions_register(ctx, body).await
    }

    async fn chat_completions_retrieve(
        &self,
        ctx: Ctx,
        completion_id: String,
    ) -> ChatCompletionsRetrieveResponse {
        self.mock
            .chat_completions_retrieve(ctx, completion_id)
            .await
    }

    async fn models_list(&self, ctx: Ctx, params: ModelsListParams) -> ModelsListResponse {
        self.mock.models_list(ctx, params).await
    }

    async fn models_create(
        &self,
        ctx: Ctx,
        body: models::AddModelToContainerReq,
    ) -> ModelsCreateResponse {
        self.mock.models_create(ctx, body).await
    }

    async fn evaluation_runs_list(
        &self,
        ctx: Ctx,
        params: EvaluationRunsListParams,
    ) -> EvaluationRunsListResponse {
        self.mock.evaluation_runs_list(ctx, params).await
    }

    async fn evaluation_runs_create(
        &self,
        ctx: Ctx,
        body: models::CreateEvaluationRunReq,
    ) -> EvaluationRunsCreateResponse {
        self.mock.evaluation_runs_create(ctx, body).await
    }

    async fn evaluation_runs_retrieve(
        &self,
        ctx: Ctx,
        run_id: String,
    ) -> EvaluationRunsRetrieveResponse {
        self.mock.evaluation_runs_retrieve(ctx, run_id).await
    }

    async fn optimization_runs_create(
        &self,
        ctx: Ctx,
        body: models::CreateOptimizationRunReq,
    ) -> OptimizationRunsCreateResponse {
        self.mock.optimization_runs_create(ctx, body).await
    }

    async fn rlm_responses_create(
        &self,
        ctx: Ctx,
        body: models::CreateRlmResponseReq,
    ) -> RlmResponsesCreateResponse {
        self.mock.rlm_responses_create(ctx, body).await
    }

    async fn rlm_responses_retrieve(
        &self,
        ctx: Ctx,
        response_id: String,
    ) -> RlmResponsesRetrieveResponse {
        self.mock.rlm_responses_retrieve(ctx, response_id).await
    }

    async fn traces_list(&self, ctx: Ctx, params: TracesListParams) -> TracesListResponse {
        self.mock.traces_list(ctx, params).await
    }

    async fn traces_retrieve(&self, ctx: Ctx, id: String) -> TracesRetrieveResponse {
        self.mock.traces_retrieve(ctx, id).await
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut port: u16 = 8081;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().ok_or("--port needs a value")?.parse()?,
            other => return Err(format!("unknown argument `{other}` (usage: --port N)").into()),
        }
    }
    let server = InMemory {
        mock: Mock::from_env(),
        ..Default::default()
    };
    if server.mock.api_key.is_none() {
        eprintln!(
            "{} is not set: accepting any non-empty bearer token",
            Mock::API_KEY_VAR
        );
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "in-memory server listening on http://{}",
        listener.local_addr()?
    );
    // Timeouts, a connection cap, and a graceful stop on Ctrl-C or SIGTERM.
    Serve::new().run(listener, router(Arc::new(server))).await?;
    Ok(())
}
