//! The service traits and the handler every operation runs through.

use super::*;

/// What the router needs of an implementation besides its operations. The generated code
/// implements it for a wrapper around any implementation of the API's trait (a trait of
/// this crate cannot be implemented for every type of another), so the plumbing below is
/// written once for all operations instead of once per operation.
pub trait Service: Send + Sync + 'static {
    /// The implementation of the API's trait.
    type Api: Send + Sync + 'static;
    /// What authentication yields, handed to handlers in `ctx.claims`.
    type Claims: Send + Sync + 'static;
    /// The API's error body.
    type Envelope: ErrorEnvelope;

    /// The implementation the operations are called on.
    fn api(&self) -> &Self::Api;

    /// The auth hook: the claims for a credential, or a rejection.
    fn check_credential(
        &self,
        credential: Credential<'_>,
    ) -> impl std::future::Future<Output = Result<Self::Claims, Rejection>> + Send;

    /// The body size limits (413 beyond them).
    fn body_limits(&self) -> Limits;
}

/// An operation's parameters (path, query, header, cookie), parsed and checked.
pub trait Params: Sized {
    /// Whether any is in the path: only then are the path parameters read.
    const IN_PATH: bool;
    /// Whether the operation has none: then the query string is not even parsed.
    const NONE: bool = false;
    /// The operation's own names of its path parameters, in the path's order, where its
    /// route names them otherwise (a path differing only in parameter names came first:
    /// the router takes one route for both). Empty: the route's names are its own.
    const PATH_NAMES: &'static [&'static str] = &[];

    /// Parses and checks the parameters: 422 naming the first one that is missing, of the
    /// wrong type or out of its schema's bounds.
    fn extract(raw: &RawParams<'_>) -> Result<Self, Rejection>;
}

/// An operation without parameters.
impl Params for () {
    const IN_PATH: bool = false;
    const NONE: bool = true;

    fn extract(_: &RawParams<'_>) -> Result<Self, Rejection> {
        Ok(())
    }
}

/// How an operation reads its request body: the reader is a value naming the body's kind
/// (and media type), `Body` what the handler gets. Reading is in two steps: `read` (async:
/// the bytes, the stream or the form), then `parse` (not async, so a large body is built
/// where it is used instead of being moved out of one more future).
pub trait ReadBody: Send {
    /// What `read` yields.
    type Raw: Send;
    type Body: Send;

    /// The raw body, and the flag a streamed body sets when it overflows while the handler
    /// reads it.
    fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self::Raw, Option<Overflow>), Rejection>> + Send;

    /// The body the handler gets.
    fn parse(raw: Self::Raw) -> Result<Self::Body, Rejection>;

    /// `read`, then `parse`.
    fn read_parsed(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self::Body, Option<Overflow>), Rejection>> + Send
    where
        Self: Sized,
    {
        async move {
            let (raw, overflow) = self.read(parts, body, limits).await?;
            Ok((Self::parse(raw)?, overflow))
        }
    }
}

/// An operation without a request body: whatever is sent is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBody;

impl ReadBody for NoBody {
    type Raw = ();
    type Body = ();

    async fn read(
        self,
        _: &Parts,
        _: Body,
        _: Limits,
    ) -> Result<((), Option<Overflow>), Rejection> {
        Ok(((), None))
    }

    fn parse(_: ()) -> Result<(), Rejection> {
        Ok(())
    }
}

/// A body reader that is only a type: `new()` (usable in constants) and `Default`.
macro_rules! body_reader {
    ($(#[$doc:meta])* $name:ident<$param:ident>) => {
        $(#[$doc])*
        pub struct $name<$param>(std::marker::PhantomData<fn() -> $param>);

        impl<$param> $name<$param> {
            pub const fn new() -> Self {
                $name(std::marker::PhantomData)
            }
        }

        impl<$param> Default for $name<$param> {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

/// A reader of a body read whole (up to the body limit) and parsed as `T` by a format:
/// `$accepts` says whether the request's media type is one, `$parse` reads and checks it.
macro_rules! whole_body_reader {
    ($(#[$doc:meta])* $name:ident, $media_type:expr, $accepts:expr, $parse:path) => {
        body_reader!($(#[$doc])* $name<T>);

        impl<T: DeserializeOwned + Validate + Send> ReadBody for $name<T> {
            type Raw = Bytes;
            type Body = T;

            async fn read(
                self,
                parts: &Parts,
                body: Body,
                limits: Limits,
            ) -> Result<(Bytes, Option<Overflow>), Rejection> {
                let accepts: fn(&str) -> bool = $accepts;
                if !content_type(parts).is_some_and(accepts) {
                    return Err(Rejection::wrong_body(parts, $media_type));
                }
                Ok((read_body(body, limits.body).await?, None))
            }

            fn parse(raw: Bytes) -> Result<T, Rejection> {
                $parse(&raw)
            }
        }
    };
}

whole_body_reader!(
    /// A JSON body of type `T`: 415 for another media type, 413 beyond the body limit,
    /// then [`parse_json`].
    JsonBody,
    "application/json",
    is_json,
    parse_json
);

whole_body_reader!(
    /// An `application/x-www-form-urlencoded` body of type `T`, nested objects and arrays
    /// in brackets (`items[0][price]=p`): 415 for another media type, 413 beyond the body
    /// limit, then [`parse_url_encoded`].
    UrlEncodedBody,
    URL_ENCODED,
    |given| essence(given).eq_ignore_ascii_case(URL_ENCODED),
    parse_url_encoded
);

/// An `application/x-www-form-urlencoded` body of type `T` whose document gives an
/// `encoding` for some of its properties: read as [`UrlEncodedBody`] is, those properties
/// laid out as their entries say ([`parse_url_encoded_with`]).
pub struct EncodedFormBody<T> {
    encoding: &'static [FormEncoding],
    ty: std::marker::PhantomData<fn() -> T>,
}

impl<T> EncodedFormBody<T> {
    pub const fn new(encoding: &'static [FormEncoding]) -> Self {
        EncodedFormBody {
            encoding,
            ty: std::marker::PhantomData,
        }
    }
}

impl<T: DeserializeOwned + Validate + Send> ReadBody for EncodedFormBody<T> {
    type Raw = (Bytes, &'static [FormEncoding]);
    type Body = T;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Self::Raw, Option<Overflow>), Rejection> {
        let (raw, overflow) = UrlEncodedBody::<T>::new().read(parts, body, limits).await?;
        Ok(((raw, self.encoding), overflow))
    }

    fn parse((raw, encoding): Self::Raw) -> Result<T, Rejection> {
        parse_url_encoded_with(&raw, encoding)
    }
}

/// 415 unless the request's media type is `expected` (`None`: any, for a wildcard).
fn expect_media_type(parts: &Parts, expected: Option<&str>) -> Result<(), Rejection> {
    match expected {
        Some(expected) if !media_type_is(parts, expected) => {
            Err(Rejection::wrong_body(parts, expected))
        }
        _ => Ok(()),
    }
}

/// A text body (also `application/x-www-form-urlencoded`), read whole: 415 for another
/// media type, 413 beyond the body limit, 400 when not UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct TextBody(pub Option<&'static str>);

impl ReadBody for TextBody {
    type Raw = Bytes;
    type Body = String;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Bytes, Option<Overflow>), Rejection> {
        expect_media_type(parts, self.0)?;
        Ok((read_body(body, limits.body).await?, None))
    }

    fn parse(raw: Bytes) -> Result<String, Rejection> {
        String::from_utf8(raw.into())
            .map_err(|_| Rejection::malformed("the body is not valid UTF-8 text"))
    }
}

/// A binary body, streamed to the handler as a [`BodyStream`].
#[derive(Debug, Clone, Copy)]
pub struct StreamBody(pub Option<&'static str>);

impl ReadBody for StreamBody {
    type Raw = BodyStream;
    type Body = BodyStream;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(BodyStream, Option<Overflow>), Rejection> {
        expect_media_type(parts, self.0)?;
        let (stream, overflow) = BodyStream::new(body, limits.upload)?;
        Ok((stream, Some(overflow)))
    }

    fn parse(raw: BodyStream) -> Result<BodyStream, Rejection> {
        Ok(raw)
    }
}

/// A `multipart/form-data` form, read part by part (the generated form structs).
pub trait FromMultipart: Sized + Send {
    /// Reads the form: 422 naming a missing or malformed part, 413 beyond the limits.
    fn from_multipart(
        multipart: Multipart,
        text_limit: usize,
    ) -> impl std::future::Future<Output = Result<Self, Rejection>> + Send;
}

/// An upload a handler answers without reading (the mock does): [`Discard::discard`] reads
/// the rest of it first. Answering mid-upload makes the server close the connection with
/// the client still sending, which the client sees as a reset, not as the answer.
pub trait Discard: Sized + Send {
    /// Reads and drops what is left, stopping at the first error.
    fn discard(self) -> impl std::future::Future<Output = ()> + Send;
}

/// Reads a stream of chunks to its end (or first error), keeping nothing.
async fn drain<S: Stream<Item = Result<Bytes, BodyError>> + Send + Unpin>(mut stream: S) {
    while let Some(Ok(_)) = stream.next().await {}
}

/// A form's files are received whole before the handler runs: nothing is left to read.
impl Discard for FilePart {
    async fn discard(self) {}
}

impl Discard for BodyStream {
    async fn discard(self) {
        drain(self).await
    }
}

impl<T: Discard> Discard for Option<T> {
    async fn discard(self) {
        if let Some(inner) = self {
            inner.discard().await;
        }
    }
}

impl<T: Discard> Discard for Vec<T> {
    async fn discard(self) {
        for item in self {
            item.discard().await;
        }
    }
}

body_reader!(
    /// A multipart body read into the form `F`.
    FormBody<F>
);

impl<F: FromMultipart> ReadBody for FormBody<F> {
    type Raw = F;
    type Body = F;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(F, Option<Overflow>), Rejection> {
        let (multipart, overflow) = Multipart::new(parts, body, limits)?;
        let form = F::from_multipart(multipart, limits.body).await?;
        Ok((form, Some(overflow)))
    }

    fn parse(raw: F) -> Result<F, Rejection> {
        Ok(raw)
    }
}

/// A body the document does not require: `None` when the request has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalBody<R>(pub R);

impl<R: ReadBody> ReadBody for OptionalBody<R> {
    type Raw = Option<R::Raw>;
    type Body = Option<R::Body>;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(Option<R::Raw>, Option<Overflow>), Rejection> {
        if !has_body(parts) {
            return Ok((None, None));
        }
        let (raw, overflow) = self.0.read(parts, body, limits).await?;
        Ok((Some(raw), overflow))
    }

    fn parse(raw: Option<R::Raw>) -> Result<Option<R::Body>, Rejection> {
        raw.map(R::parse).transpose()
    }
}

/// A body of several media types, read by the generated enum naming them.
pub trait FromBody: Sized + Send {
    /// The body by its media type: 415 for one the operation does not take.
    fn from_body(
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<(Self, Option<Overflow>), Rejection>> + Send;
}

body_reader!(
    /// A body of several media types, read into `T`.
    ByMediaType<T>
);

impl<T: FromBody> ReadBody for ByMediaType<T> {
    type Raw = T;
    type Body = T;

    async fn read(
        self,
        parts: &Parts,
        body: Body,
        limits: Limits,
    ) -> Result<(T, Option<Overflow>), Rejection> {
        T::from_body(parts, body, limits).await
    }

    fn parse(raw: T) -> Result<T, Rejection> {
        Ok(raw)
    }
}

/// The 501 body of an operation the implementation does not serve (the trait's default).
pub fn not_implemented<E: ErrorEnvelope>(operation: &str) -> E {
    E::from_problem(&Problem::new(
        StatusCode::NOT_IMPLEMENTED,
        "not_implemented",
        format!("`{operation}` is not implemented by this server"),
    ))
}

/// A route: an operation's `handler` bound to the implementation, served as a tower service
/// rather than an axum handler, so that axum boxes its future once, with no extraction step
/// and no second future around it.
pub struct Bound<S, H> {
    service: Arc<S>,
    handler: H,
}

impl<S, H: Clone> Clone for Bound<S, H> {
    fn clone(&self) -> Self {
        Bound {
            service: Arc::clone(&self.service),
            handler: self.handler.clone(),
        }
    }
}

/// Binds an operation's handler to the implementation.
pub fn bind<S, H>(service: &Arc<S>, handler: H) -> Bound<S, H> {
    Bound {
        service: Arc::clone(service),
        handler,
    }
}

impl<S, H, Fut> tower_service::Service<axum::extract::Request> for Bound<S, H>
where
    H: Fn(Arc<S>, axum::extract::Request) -> Fut,
    Fut: std::future::Future<Output = Result<Response, Infallible>>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Fut;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Fut {
        (self.handler)(Arc::clone(&self.service), request)
    }
}

/// An operation's future, turning its answer into a [`Response`] where it completes (a
/// large answer is serialized where it lies, not moved through one more future first).
pub trait Respond: Send {
    fn poll_respond(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response>;
}

impl<F> Respond for F
where
    F: std::future::Future + Send,
    F::Output: IntoResponse,
{
    #[inline]
    fn poll_respond(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer.into_response()),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// An operation's answer in the making: the implementation's future, boxed. Its state holds
/// the operation's body and context, often near a kilobyte; boxed, the future the router
/// boxes for every request stays small enough for the allocator's fast path.
pub type Answer<'s> = Pin<Box<dyn Respond + 's>>;

/// Boxes an operation's future as an [`Answer`] (no future wraps it, so its arguments are
/// not held twice).
pub fn answer<'s, Fut>(future: Fut) -> Answer<'s>
where
    Fut: std::future::Future + Send + 's,
    Fut::Output: IntoResponse,
{
    Box::pin(future)
}

/// What an operation's method answers until it is implemented: a future ready at once
/// with the `fn`'s answer (the 501). Not `std::future::ready(answer)`: proving that one
/// `Send`, as the trait's `impl Future + Send` asks, walks the whole answer type (every
/// model it holds), once per method; a `fn` pointer is `Send` whatever it returns. For
/// Stripe's 452 methods that walk was 250 MB of the compiler's memory.
pub struct NotImplemented<R>(pub fn() -> R);

impl<R> std::future::Future for NotImplemented<R> {
    type Output = R;

    #[inline]
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<R> {
        Poll::Ready((self.0)())
    }
}

/// Which operation a handler serves, as its tracing span names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`.
    pub id: &'static str,
    /// The path template (`/v1/files/{file_id}`).
    pub path: &'static str,
}

/// Serves one operation: the request id, the path and query parameters, the auth hook
/// (when `security` is `Some`), the parameters, the body, then `call` with them all; every
/// rejection in the envelope, and the request id echoed. Traced as an `INFO` span named
/// `request` (operation id, method, path template, request id, then the status and the
/// latency in milliseconds), entered while the operation's method runs and for the
/// rejection event; with no `tracing` subscriber taking INFO it costs one check.
// Not an `async fn`: the request is split before the future is made, so the future holds
// its parts once (an `async fn` keeps its arguments besides whatever they are moved into).
pub fn handle<S, P, R, F>(
    service: S,
    request: axum::extract::Request,
    operation: &'static Operation,
    security: Option<Requirement>,
    documented: &'static Documented<'static>,
    reader: R,
    call: F,
) -> impl std::future::Future<Output = Result<Response, Infallible>> + Send
where
    S: Service,
    P: Params + Send,
    R: ReadBody + 'static,
    F: for<'s> FnOnce(&'s S::Api, RequestContext<S::Claims>, P, R::Body) -> Answer<'s>
        + Send
        + 'static,
{
    let (mut parts, body) = request.into_parts();
    let request_id = RequestId::from_headers(&parts.headers);
    let span = if !tracing::level_enabled!(tracing::Level::INFO) {
        tracing::Span::none()
    } else {
        tracing::info_span!(
        "request",
        operation = operation.id,
        method = %parts.method,
        path = operation.path,
        request_id = request_id.as_str(),
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    };
    // Only timed when someone listens.
    let started = (!span.is_disabled()).then(std::time::Instant::now);
    // The span is made only when a subscriber takes INFO, and entered around each poll of
    // the operation's method and around the rejection (not the auth hook's), rather than
    // wrapping this whole future: every instruction here counts against the hand-written
    // handler (docs/performance.md, "The generated server").
    async move {
        let service = &service;
        let mut overflow = None;
        // One async block, borrowing: every layer of futures would move the body once more.
        let result = async {
            // The order of the checks is the order of the rejections: head, path, auth,
            // parameters, body.
            check_head(&parts)?;
            let path = if P::IN_PATH {
                path_params(&mut parts).await?.renamed(P::PATH_NAMES)
            } else {
                PathParams::default()
            };
            let claims = match security {
                Some(requirement) => match credential(&parts, requirement)? {
                    Some(credential) => Some(service.check_credential(credential).await?),
                    None => None,
                },
                None => None,
            };
            let params = if P::NONE {
                P::extract(&RawParams::empty(&parts.headers))?
            } else {
                P::extract(&RawParams::new(&parts, path))?
            };
            let (raw, flag) = reader.read(&parts, body, service.body_limits()).await?;
            overflow = flag;
            let body = R::parse(raw)?;
            let ctx = RequestContext {
                request_id: request_id.clone(),
                headers: std::mem::take(&mut parts.headers),
                claims,
            };
            let mut answer = {
                let _entered = span.enter();
                call(service.api(), ctx, params, body)
            };
            Ok(std::future::poll_fn(|cx| {
                let _entered = span.enter();
                answer.as_mut().poll_respond(cx)
            })
            .await)
        }
        .await;
        let response = {
            let _entered = span.enter();
            finish::<S::Envelope>(result, overflow.as_ref(), request_id, documented)
        };
        if let Some(started) = started {
            span.record("status", response.status().as_u16());
            span.record("latency_ms", started.elapsed().as_secs_f64() * 1e3);
        }
        Ok(response)
    }
}

/// The most header bytes (values, in all) served: 431 beyond it. hyper itself answers
/// 431, with no body, when a head passes its read buffer (about 400 KiB) or has more than
/// 100 headers.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// 431, in the envelope, for headers hyper let through but no server should serve. (A
/// request target gets no such bound: every one hyper lets through, up to 64 KiB, is
/// served; long queries are valid requests.)
fn check_head(parts: &Parts) -> Result<(), Rejection> {
    let header_bytes: usize = parts.headers.values().map(HeaderValue::len).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(Rejection::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// The last step of every handler: the rejection (in the envelope) or the answer, a 413 if
/// a streamed body overflowed while the handler read it, and the request id echoed.
pub fn finish<E: ErrorEnvelope>(
    result: Result<Response, Rejection>,
    overflow: Option<&Overflow>,
    request_id: RequestId,
    documented: &Documented<'_>,
) -> Response {
    let rejection = match result {
        Ok(_) if overflow.is_some_and(Overflow::happened) => {
            Rejection::too_large(overflow.map_or(0, |o| o.limit))
        }
        Ok(mut response) => {
            response.headers_mut().insert(REQUEST_ID, request_id.0);
            return response;
        }
        Err(rejection) => rejection,
    };
    let problem = rejection.problem();
    tracing::info!(
        status = problem.status.as_u16(),
        code = %problem.code,
        reason = %problem.message,
        "request rejected"
    );
    let mut response = rejection.into_documented_response::<E>(documented);
    response.headers_mut().insert(REQUEST_ID, request_id.0);
    response
}

/// The `Allow` value of a path whose methods are compiled by different cargo features:
/// those compiled in.
pub fn allowed(methods: &[&str]) -> Cow<'static, str> {
    Cow::Owned(methods.join(", "))
}

/// A path's fallback handler for the methods it lacks: 405 with `Allow`, in the envelope.
pub fn method_not_allowed<E: ErrorEnvelope>(
    allow: impl Into<Cow<'static, str>>,
) -> impl FnOnce(HeaderMap) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    let allow = allow.into();
    move |headers: HeaderMap| {
        let rejection = Rejection::method_not_allowed(allow);
        std::future::ready(finish::<E>(
            Err(rejection),
            None,
            RequestId::from_headers(&headers),
            &Documented::ANY,
        ))
    }
}

/// The router's fallback: 404 in the envelope.
pub async fn not_found<E: ErrorEnvelope>(headers: HeaderMap) -> Response {
    finish::<E>(
        Err(Rejection::not_found()),
        None,
        RequestId::from_headers(&headers),
        &Documented::ANY,
    )
}
