//! `hive serve`: many repositories over HTTP, with scoped tokens (docs/PROTOCOL.md).
//!
//! Each request is authenticated (a bearer token; 401 without a valid one), scoped to one repository
//! (`ROOT/REPO`, 404 when it is missing or the token may not read it, so a client never learns that a
//! repository it may not read exists), and served by a [`Peer`] on a blocking thread. A push streams its body
//! through the quarantine as it arrives; a fetch streams its response as it is produced. A push that creates a
//! repository fills it aside and puts it in place only if a reference landed. Every refusal, down to a URL
//! that does not decode or a method an endpoint does not take, is a JSON error body. On SIGINT or SIGTERM the
//! server stops accepting, lets transfers in flight finish for a grace period, then exits; a push cut off there
//! leaves its repository as it was.

pub mod token;

use crate::repo::Repository;
use crate::sync::http::{ErrorJson, RefJson, RefResultJson, RefsJson, ReportJson};
use crate::sync::peer::WantJson;
use crate::sync::remote::check_repo_name;
use crate::sync::{
    Access, Level, Limits, Peer, ReachCache, ReceiveReport, RefStatus, SyncError, ids_from_bytes,
    ids_to_bytes, to_bitmap,
};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use token::{TokenError, TokenStore};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The root is not a directory.
    #[error("{} is not a directory", .0.display())]
    NoRoot(PathBuf),
    /// The tokens file cannot be read.
    #[error(transparent)]
    Tokens(#[from] TokenError),
    /// The runtime failed.
    #[error("the server failed: {0}")]
    Runtime(std::io::Error),
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The directory holding one repository per subdirectory.
    pub root: PathBuf,
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// The tokens file; `None` serves without authentication, everyone with full access.
    pub tokens: Option<PathBuf>,
    /// Request limits.
    pub limits: Limits,
    /// How long transfers in flight may go on after a shutdown signal.
    pub grace: Duration,
}

/// A line for the server's log.
pub type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

struct ServerState {
    root: PathBuf,
    tokens: Option<TokenStore>,
    limits: Limits,
    caches: Mutex<HashMap<String, Arc<ReachCache>>>,
    /// One lock per repository name, held by a push that creates the repository.
    creating: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    log: LogFn,
}

/// An error as the client sees it.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn internal(log: &LogFn, what: impl std::fmt::Display) -> Self {
        log(&format!("internal error: {what}"));
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; its log says why",
        )
    }

    fn not_found(repo: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no repository named '{repo}'"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(ErrorJson {
                error: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"hive\""),
            );
        }
        response
    }
}

fn from_sync(error: SyncError, log: &LogFn) -> ApiError {
    match error {
        SyncError::Refused {
            status, message, ..
        } => ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            match status {
                403 => "forbidden",
                404 => "not-found",
                409 => "conflict",
                _ => "refused",
            },
            message,
        ),
        SyncError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            error.to_string(),
        ),
        SyncError::Version { .. } => ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported-protocol",
            error.to_string(),
        ),
        SyncError::Protocol { .. }
        | SyncError::NotConnected { .. }
        | SyncError::Connection { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "bad-request", error.to_string())
        }
        other => {
            log(&format!("internal error: {other}"));
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed; its log says why",
            )
        }
    }
}

/// Who is asking, and what they may do in the repository.
struct Caller {
    access: Access,
    who: String,
    identity: String,
}

/// The repository named in a URL; one that does not decode is refused like any invalid name.
struct RepoName(String);

impl<S: Send + Sync> FromRequestParts<S> for RepoName {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        UrlPath::<String>::from_request_parts(parts, state)
            .await
            .map(|UrlPath(repo)| RepoName(repo))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-name",
                    format!(
                        "the repository name in the URL cannot be read: {}",
                        rejection.body_text()
                    ),
                )
            })
    }
}

impl ServerState {
    /// Authenticates the request and scopes it to `repo`. A missing repository is 404, except to a caller with
    /// admin access to all of it, for whom it is `None`: a push may create it, and otherwise it reads as empty.
    fn authorize(
        &self,
        headers: &HeaderMap,
        repo: &str,
    ) -> Result<(Caller, Option<Repository>), ApiError> {
        check_repo_name(repo)
            .map_err(|reason| ApiError::new(StatusCode::BAD_REQUEST, "bad-name", reason))?;
        if let Some(version) = headers.get("Hive-Protocol") {
            let speaks = version
                .to_str()
                .ok()
                .and_then(|text| text.parse::<u32>().ok())
                == Some(crate::sync::PROTOCOL_VERSION);
            if !speaks {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported-protocol",
                    format!(
                        "this server speaks protocol {}; the request asks for {:?}",
                        crate::sync::PROTOCOL_VERSION,
                        version
                    ),
                ));
            }
        }
        let caller = match &self.tokens {
            None => Caller {
                access: Access::Full,
                who: "anonymous".into(),
                identity: "anonymous".into(),
            },
            Some(tokens) => {
                let presented = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNAUTHORIZED,
                            "unauthorized",
                            "a token is required",
                        )
                    })?;
                let entry = tokens
                    .authenticate(presented.trim())
                    .map_err(|error| {
                        (self.log)(&format!("tokens: {error}"));
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            "the server's tokens file is unreadable",
                        )
                    })?
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNAUTHORIZED,
                            "unauthorized",
                            "the token is not valid (mistyped or revoked)",
                        )
                    })?;
                let grants: Vec<_> = entry
                    .grants
                    .iter()
                    .filter(|grant| grant.covers_repo(repo))
                    .cloned()
                    .collect();
                Caller {
                    access: Access::Scoped(grants),
                    who: format!("{} (token {})", entry.name, entry.id),
                    identity: entry.id.clone(),
                }
            }
        };
        if !caller.access.any(Level::Read) {
            return Err(ApiError::not_found(repo));
        }
        let dir = self.root.join(repo);
        if !dir.join("config").is_file() {
            let admin = match &caller.access {
                Access::Full => true,
                Access::Scoped(grants) => grants
                    .iter()
                    .any(|grant| grant.level == Level::Admin && grant.prefix.is_empty()),
            };
            if !admin {
                return Err(ApiError::not_found(repo));
            }
            return Ok((caller, None));
        }
        let repository =
            Repository::open(&dir).map_err(|error| from_sync(error.into(), &self.log))?;
        Ok((caller, Some(repository)))
    }

    /// Runs `work` with the caller's [`Peer`] over `repository`.
    fn run<T>(
        &self,
        repo: &str,
        repository: &Repository,
        caller: Caller,
        work: impl FnOnce(&Peer<'_>) -> Result<T, SyncError>,
    ) -> Result<T, ApiError> {
        let cache = self.cache(repo);
        let peer = Peer::new(
            repository,
            caller.access,
            &caller.who,
            &caller.identity,
            self.limits,
            Some(&cache),
        );
        work(&peer).map_err(|error| from_sync(error, &self.log))
    }

    /// Runs a push into repository `repo`, which does not exist: it is made aside (in `ROOT/.new-*`, a name no
    /// request reaches) and renamed into place only if `lands` says the push changed a reference, so that a
    /// refused push leaves no repository behind. Pushes creating the same repository take turns.
    fn create<T>(
        &self,
        repo: &str,
        caller: Caller,
        lands: fn(&T) -> bool,
        work: impl FnOnce(&Peer<'_>) -> Result<T, SyncError>,
    ) -> Result<T, ApiError> {
        let turn = self
            .creating
            .lock()
            .expect("lock poisoned only by a panic")
            .entry(repo.to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().expect("lock poisoned only by a panic");
        let dir = self.root.join(repo);
        if dir.join("config").is_file() {
            // Made by the push before this one.
            let repository =
                Repository::open(&dir).map_err(|error| from_sync(error.into(), &self.log))?;
            return self.run(repo, &repository, caller, work);
        }
        let aside = tempfile::Builder::new()
            .prefix(".new-")
            .tempdir_in(&self.root)
            .map_err(|error| ApiError::internal(&self.log, error))?;
        let staged = aside.path().join(repo);
        let who = caller.who.clone();
        let result = {
            let (repository, _) = Repository::init_bare(&staged)
                .map_err(|error| from_sync(error.into(), &self.log))?;
            self.run(repo, &repository, caller, work)
        };
        if let Ok(value) = &result
            && lands(value)
        {
            std::fs::rename(&staged, &dir).map_err(|error| {
                ApiError::internal(
                    &self.log,
                    format!(
                        "cannot move the new repository into {}: {error}",
                        dir.display()
                    ),
                )
            })?;
            crate::fsutil::sync_dir(&self.root)
                .map_err(|error| ApiError::internal(&self.log, error))?;
            (self.log)(&format!("created repository {repo} for {who}"));
        }
        result
    }

    fn cache(&self, repo: &str) -> Arc<ReachCache> {
        self.caches
            .lock()
            .expect("lock poisoned only by a panic")
            .entry(repo.to_string())
            .or_default()
            .clone()
    }
}

type Shared = Arc<ServerState>;

/// Runs `work` on a blocking thread with the repository and the caller's [`Peer`]. A repository that does not
/// exist yet (for an admin, who may create it) is served as an empty one; with `create` (a push), it is created
/// if [`ServerState::create`]'s `lands` says the push changed a reference.
async fn blocking<T: Send + 'static>(
    state: Shared,
    headers: HeaderMap,
    repo: String,
    create: Option<fn(&T) -> bool>,
    work: impl FnOnce(&Peer<'_>) -> Result<T, SyncError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || {
        let (caller, repository) = state.authorize(&headers, &repo)?;
        match (repository, create) {
            (Some(repository), _) => state.run(&repo, &repository, caller, work),
            (None, Some(lands)) => state.create(&repo, caller, lands, work),
            (None, None) => {
                let empty =
                    tempfile::tempdir().map_err(|error| ApiError::internal(&state.log, error))?;
                let (repository, _) = Repository::init_bare(empty.path())
                    .map_err(|error| from_sync(error.into(), &state.log))?;
                state.run(&repo, &repository, caller, work)
            }
        }
    })
    .await
    .map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    })?
}

async fn refs(
    State(state): State<Shared>,
    RepoName(repo): RepoName,
    headers: HeaderMap,
) -> Result<axum::Json<RefsJson>, ApiError> {
    let adv = blocking(state, headers, repo, None, |peer| peer.advertise()).await?;
    Ok(axum::Json(RefsJson {
        protocols: adv.protocols,
        refs: adv
            .refs
            .into_iter()
            .map(|r| RefJson {
                name: r.name.as_str().to_string(),
                id: r.id.to_hex(),
            })
            .collect(),
        limits: adv.limits,
    }))
}

/// Reads a JSON or id-list request body, up to the header limit. A body over it is read on (within reason) before
/// the answer, so that the client gets the answer rather than a broken connection.
async fn read_body(state: &ServerState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.limits.max_header as usize;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("the request body was cut off: {error}"),
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            let mut drained = 0usize;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len();
                if drained > 64 << 20 {
                    break;
                }
            }
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("the request is over {limit} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

#[derive(serde::Deserialize)]
struct HasQuery {
    push: String,
}

async fn has(
    State(state): State<Shared>,
    RepoName(repo): RepoName,
    query: Result<Query<HasQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!(
                "name the push in the query (has?push=<64 hex>): {}",
                rejection.body_text()
            ),
        )
    })?;
    let bytes = read_body(&state, body).await?;
    blocking(state, headers, repo, None, move |peer| {
        if !peer.access().any(Level::Write) {
            return Err(SyncError::Refused {
                peer: String::new(),
                status: 403,
                code: "forbidden".into(),
                message: "your token may not write to this repository".into(),
            });
        }
        let ids = ids_from_bytes("the client", &bytes)?;
        let push = crate::id::ObjectId::from_hex(&query.push)
            .map_err(|_| SyncError::protocol("the client", "push: not an id"))?;
        Ok(to_bitmap(&peer.has(&ids, &push)?))
    })
    .await
}

async fn offer(
    State(state): State<Shared>,
    RepoName(repo): RepoName,
    headers: HeaderMap,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let bytes = read_body(&state, body).await?;
    blocking(state, headers, repo, None, move |peer| {
        let request: WantJson = serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol("the client", error.to_string()))?;
        let (request, _) = request.parse("the client")?;
        Ok(ids_to_bytes(&peer.offer(&request)?))
    })
    .await
}

/// Writes into a channel that feeds a response body.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= 256 << 10 {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

async fn fetch(
    State(state): State<Shared>,
    RepoName(repo): RepoName,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&state, body).await?;
    let request: WantJson = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", error.to_string())
    })?;
    let (request, select) = request
        .parse("the client")
        .map_err(|error| from_sync(error, &state.log))?;
    // Wants are authorized, and a selection matched against the offer, before the response starts, so that those
    // errors get a status. A fetch of everything (a clone) walks its objects once, while sending.
    let checked = request.clone();
    let selection = select.as_ref().map(Vec::len);
    let matches = blocking(
        state.clone(),
        headers.clone(),
        repo.clone(),
        None,
        move |peer| match selection {
            None => peer.check_wants(&checked).map(|()| true),
            Some(bytes) => Ok(bytes == peer.offer(&checked)?.len().div_ceil(8)),
        },
    )
    .await?;
    if !matches {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "the selection does not match the offer (the repository changed); fetch again",
        ));
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let log = state.log.clone();
    tokio::spawn(async move {
        let failure = sender.clone();
        let result = blocking(state, headers, repo, None, move |peer| {
            let mut writer = ChannelWriter {
                sender,
                buffer: Vec::new(),
            };
            peer.send(&request, select.as_deref(), &mut writer)?;
            std::io::Write::flush(&mut writer).map_err(|error| SyncError::Connection {
                peer: "the client".into(),
                reason: error.to_string(),
            })
        })
        .await;
        if let Err(error) = result {
            log(&format!("fetch cut off: {}", error.message));
            // The client sees the stream end early, which it reports as an interrupted transfer.
            let _ = failure
                .send(Err(std::io::Error::other(error.message)))
                .await;
        }
    });
    let stream = futures_util::stream::poll_fn(move |context| receiver.poll_recv(context));
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/x-hive-stream")
        .body(Body::from_stream(stream))
        .expect("a valid response"))
}

/// A request body read from a blocking thread.
struct BodyReader {
    stream: axum::body::BodyDataStream,
    handle: tokio::runtime::Handle,
    current: Bytes,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(error)) => return Err(std::io::Error::other(error)),
                None => return Ok(0),
            }
        }
        let count = buf.len().min(self.current.len());
        buf[..count].copy_from_slice(&self.current[..count]);
        let _ = self.current.split_to(count);
        Ok(count)
    }
}

async fn push(
    State(state): State<Shared>,
    RepoName(repo): RepoName,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<ReportJson>, ApiError> {
    let handle = tokio::runtime::Handle::current();
    let log = state.log.clone();
    let name = repo.clone();
    let report = blocking(state, headers, repo, Some(lands), move |peer| {
        let mut reader = BodyReader {
            stream: body.into_data_stream(),
            handle,
            current: Bytes::new(),
        };
        let received = peer.receive(&mut reader, &|_| {});
        if received.is_err() {
            // The client may still be sending: read on (within reason), so that it gets the answer rather than
            // a broken connection.
            let _ = std::io::copy(
                &mut std::io::Read::take(&mut reader, 64 << 20),
                &mut std::io::sink(),
            );
        }
        received
    })
    .await?;
    let accepted = report.refs.iter().filter(|r| r.status.accepted()).count();
    log(&format!(
        "{name}: push of {} objects, {accepted}/{} references accepted",
        report.objects,
        report.refs.len()
    ));
    Ok(axum::Json(ReportJson {
        objects: report.objects,
        published: report.published,
        refs: report
            .refs
            .into_iter()
            .map(|r| RefResultJson {
                name: r.name.as_str().to_string(),
                status: r.status,
                message: r.message,
            })
            .collect(),
    }))
}

/// Whether a push changed a reference (so that a repository it creates is kept).
fn lands(report: &ReceiveReport) -> bool {
    report
        .refs
        .iter()
        .any(|r| r.status.accepted() && r.status != RefStatus::UpToDate)
}

async fn fallback() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such endpoint (docs/PROTOCOL.md lists them)",
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "{} does not take the method {method} (docs/PROTOCOL.md lists the endpoints)",
            uri.path()
        ),
    )
}

/// Serves until SIGINT or SIGTERM. `ready` is called with the address once the server listens.
pub fn serve(
    options: ServeOptions,
    ready: impl FnOnce(SocketAddr),
    log: LogFn,
) -> Result<(), ServeError> {
    if !options.root.is_dir() {
        return Err(ServeError::NoRoot(options.root));
    }
    let tokens = options
        .tokens
        .as_deref()
        .map(TokenStore::open)
        .transpose()?;
    let state = Arc::new(ServerState {
        root: options.root.clone(),
        tokens,
        limits: options.limits,
        caches: Mutex::new(HashMap::new()),
        creating: Mutex::new(HashMap::new()),
        log: log.clone(),
    });
    let app = axum::Router::new()
        .route("/{repo}/refs", get(refs))
        .route("/{repo}/has", post(has))
        .route("/{repo}/offer", post(offer))
        .route("/{repo}/fetch", post(fetch))
        .route("/{repo}/push", post(push))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(fallback)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let grace = options.grace;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: options.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        ready(addr);
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = stopping.clone();
            let log = log.clone();
            async move {
                shutdown_signal().await;
                log("shutting down: finishing transfers in flight");
                stopping.notify_waiters();
            }
        };
        let server = axum::serve(listener, app).with_graceful_shutdown(signal);
        let deadline = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result.map_err(ServeError::Runtime)?,
            () = deadline => log("grace period over: transfers still in flight are cut off (their repositories are unchanged)"),
        }
        Ok::<(), ServeError>(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(terminate) => terminate,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
