//! Serving a router to clients the server does not control: connections time out and are
//! capped, stalled bodies are answered, and a signal shuts the server down gracefully.
//! `axum::serve` does none of the first three (it gives hyper no timer, so even hyper's
//! header-read timeout never applies).

use super::*;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};

/// How a router is served ([`Serve::run`]); every limit has a default and a setter.
///
/// What it does not do, and a deployment facing the internet still needs in front of it:
/// TLS, rate limits per client, and limits per client address (one client may hold all the
/// connections).
#[derive(Debug, Clone)]
pub struct Serve {
    header_read_timeout: Option<Duration>,
    body_stall_timeout: Option<Duration>,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl Default for Serve {
    fn default() -> Self {
        Serve {
            header_read_timeout: Some(Duration::from_secs(30)),
            body_stall_timeout: Some(Duration::from_secs(30)),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl Serve {
    /// The defaults: 30 s to read a request's head (and to wait for the next one on a
    /// kept-alive connection), 30 s without a byte of a request body, 4,096 connections
    /// (fewer when the process may not open that many files), 30 s of grace on shutdown.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a client may take to send a request's line and headers, counted from when
    /// the server starts waiting for them: from the connection's start, and on a kept-alive
    /// connection from the end of the previous answer, so it is also the idle keep-alive
    /// timeout (hyper times both with one timer). The connection is closed when it passes:
    /// there is no request to answer yet. `None`: no limit.
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_read_timeout = timeout.into();
        self
    }

    /// How long a request body may go without a byte arriving: past it the operation is
    /// answered 408 in the API's envelope (or the closest status the operation documents)
    /// and the connection closed. `None`: no limit.
    pub fn body_stall_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.body_stall_timeout = timeout.into();
        self
    }

    /// How many connections are served at once. At the cap, the oldest connection with no
    /// request in flight (idle, or not yet through its headers) is closed to make room;
    /// when every connection has one in flight, the server stops accepting until one ends,
    /// and new clients wait in the listen backlog. Lowered to leave 64 files spare under
    /// the process's open-file limit.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// On shutdown, how long requests in flight may take to finish before the server
    /// returns anyway.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Serves `router` on `listener` until Ctrl-C or SIGTERM ([`shutdown_signal`]), then
    /// shuts down gracefully.
    pub async fn run(self, listener: TcpListener, router: axum::Router) -> std::io::Result<()> {
        self.run_until(listener, router, shutdown_signal()).await
    }

    /// Serves `router` on `listener` until `signal` completes, then stops accepting, lets
    /// each connection finish the request it is serving (closing idle ones at once) and
    /// returns when all have ended or the grace period has passed.
    pub async fn run_until(
        self,
        listener: TcpListener,
        router: axum::Router,
        signal: impl std::future::Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        // Within what a semaphore holds and `acquire_many` takes, whatever was set.
        let capacity = self
            .max_connections
            .min(open_file_budget())
            .min(u32::MAX as usize)
            .min(Semaphore::MAX_PERMITS);
        let slots = Arc::new(Semaphore::new(capacity));
        let registry = Arc::new(Registry::default());
        let (stop, stopped) = watch::channel(false);
        tokio::pin!(signal);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut signal => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                // Out of files: make room as at the cap, and give it a moment.
                Err(e) if is_out_of_files(&e) => {
                    registry.evict_oldest_idle();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                // The peer gave up before it was accepted, and the like.
                Err(_) => continue,
            };
            let slot = match Arc::clone(&slots).try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => {
                    registry.evict_oldest_idle();
                    tokio::select! {
                        slot = Arc::clone(&slots).acquire_owned() => match slot {
                            Ok(slot) => slot,
                            Err(_) => break,
                        },
                        () = &mut signal => break,
                    }
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = registry.add();
            let task = ConnectionTask {
                config: self.clone(),
                router: router.clone(),
                registry: Arc::clone(&registry),
                connection,
                stopped: stopped.clone(),
            };
            tokio::spawn(async move {
                task.run(stream).await;
                drop(slot);
            });
        }
        drop(listener);
        let _ = stop.send(true);
        // Every slot back: every connection has ended.
        let all = u32::try_from(capacity).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(self.shutdown_grace, slots.acquire_many(all)).await;
        Ok(())
    }
}

/// Completes on Ctrl-C, or on SIGTERM where there are signals (what `docker stop` and
/// Kubernetes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    () = ctrl_c => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// The marker of a request body that stalled, found in the body's error chain.
#[derive(Debug)]
pub struct BodyStalled(Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no byte of the request body arrived for {} s",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyStalled {}

impl Rejection {
    /// 408: the request body stalled ([`Serve::body_stall_timeout`]).
    pub fn body_stalled(stalled: &BodyStalled) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            stalled.to_string(),
        )
    }
}

/// The stall in an error reading a request body, if that is what it was.
pub fn stalled<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e BodyStalled> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(stalled) = error.downcast_ref::<BodyStalled>() {
            return Some(stalled);
        }
        cause = error.source();
    }
    None
}

/// How much of the process's open-file limit connections may take (64 kept for the rest:
/// the listener, logs, uploads spilled to disk).
fn open_file_budget() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the limit into the struct it is given, nothing else.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
        {
            let files = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX);
            return files.saturating_sub(64).max(1);
        }
    }
    usize::MAX
}

fn is_out_of_files(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// A connection as the accept loop sees it, to pick one to close at the cap.
#[derive(Debug, Default)]
struct Connection {
    id: u64,
    /// Requests in flight, their answers' bodies included.
    busy: AtomicUsize,
    evicted: AtomicBool,
    evict: Notify,
}

/// The live connections, oldest first.
#[derive(Debug, Default)]
struct Registry {
    next_id: AtomicU64,
    live: Mutex<VecDeque<Arc<Connection>>>,
}

impl Registry {
    fn add(&self) -> Arc<Connection> {
        let connection = Arc::new(Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            ..Connection::default()
        });
        self.lock().push_back(Arc::clone(&connection));
        connection
    }

    fn remove(&self, id: u64) {
        let mut live = self.lock();
        if let Some(at) = live.iter().position(|c| c.id == id) {
            live.remove(at);
        }
    }

    /// Asks the oldest connection with nothing in flight to close; false when there is none.
    fn evict_oldest_idle(&self) -> bool {
        let live = self.lock();
        let idle = live.iter().find(|c| {
            c.busy.load(Ordering::Acquire) == 0 && !c.evicted.swap(true, Ordering::AcqRel)
        });
        match idle {
            Some(connection) => {
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Connection>>> {
        // A panic elsewhere while holding it leaves the list as valid as before.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct ConnectionTask {
    config: Serve,
    router: axum::Router,
    registry: Arc<Registry>,
    connection: Arc<Connection>,
    stopped: watch::Receiver<bool>,
}

impl ConnectionTask {
    async fn run(mut self, stream: TcpStream) {
        let stall = self.config.body_stall_timeout;
        let connection = Arc::clone(&self.connection);
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |request: axum::http::Request<Incoming>| {
            let busy = Busy::new(&connection);
            let request = request.map(|body| match stall {
                Some(stall) => Body::new(StallTimed::new(body, stall)),
                None => Body::new(body),
            });
            let answer = tower_service::Service::call(&mut router.clone(), request);
            async move {
                let response = answer.await?;
                // The connection stays busy until the answer's body has been sent.
                Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _busy: busy })))
            }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.config.header_read_timeout);
        let serving = http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(serving);
        let shutdown = async {
            tokio::select! {
                () = self.connection.evict.notified() => false,
                _ = self.stopped.wait_for(|stop| *stop) => true,
            }
        };
        tokio::select! {
            _ = serving.as_mut() => {}
            shutting_down = shutdown => {
                // Evicted with nothing in flight: close at once (a half-sent head would
                // keep a graceful close waiting). Otherwise, or on shutdown: finish what
                // is in flight, then close.
                if shutting_down || self.connection.busy.load(Ordering::Acquire) > 0 {
                    serving.as_mut().graceful_shutdown();
                    let _ = serving.await;
                }
            }
        }
        self.registry.remove(self.connection.id);
    }
}

/// A request in flight on a connection, from its head to the end of its answer's body.
struct Busy(Arc<Connection>);

impl Busy {
    fn new(connection: &Arc<Connection>) -> Self {
        connection.busy.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(connection))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body, keeping its connection busy until sent (or dropped).
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A request body that fails with [`BodyStalled`] when no frame arrives for `stall`.
struct StallTimed {
    body: Incoming,
    stall: Duration,
    // Made when the body first has to wait, reset on every frame.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl StallTimed {
    fn new(body: Incoming, stall: Duration) -> Self {
        StallTimed {
            body,
            stall,
            timer: None,
        }
    }
}

impl http_body::Body for StallTimed {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(timer) = &mut this.timer {
                    timer
                        .as_mut()
                        .reset(tokio::time::Instant::now() + this.stall);
                }
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let stall = this.stall;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                match std::future::Future::poll(timer.as_mut(), cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(stall))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
