//! The HTTP transport: a repository served by `hive serve` (docs/PROTOCOL.md).

use super::peer::WantJson;
use super::stream::Limits;
use super::{
    Advertisement, PROTOCOL_VERSION, ReceiveReport, RefResult, RefStatus, RemoteRef, SyncError,
    Transport, WantRequest, from_bitmap, ids_from_bytes, ids_to_bytes,
};
use crate::id::ObjectId;
use crate::refs::RefName;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The most a JSON or id-list response may hold.
const MAX_RESPONSE: u64 = 1 << 30;

/// A repository on a hive server.
pub struct HttpTransport {
    url: String,
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// `GET /REPO/refs` (docs/PROTOCOL.md).
#[derive(Debug, Serialize, Deserialize)]
pub struct RefsJson {
    /// Protocol versions the server speaks.
    pub protocols: Vec<u32>,
    /// Readable references.
    pub refs: Vec<RefJson>,
    /// The server's limits.
    pub limits: Limits,
}

/// One reference in [`RefsJson`].
#[derive(Debug, Serialize, Deserialize)]
pub struct RefJson {
    /// Full name.
    pub name: String,
    /// Value, in hex.
    pub id: String,
}

/// The response to a push (docs/PROTOCOL.md).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportJson {
    /// Objects received.
    pub objects: u64,
    /// Objects moved into the repository.
    pub published: u64,
    /// One per command.
    pub refs: Vec<RefResultJson>,
}

/// One reference in [`ReportJson`].
#[derive(Debug, Serialize, Deserialize)]
pub struct RefResultJson {
    /// Full name.
    pub name: String,
    /// What happened.
    pub status: RefStatus,
    /// Why, when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An error body.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorJson {
    /// A stable code (docs/PROTOCOL.md).
    pub error: String,
    /// What went wrong.
    pub message: String,
}

impl HttpTransport {
    /// A transport to repository `repo` of the server at `base`, sending `token`.
    pub fn new(base: &str, repo: &str, token: Option<String>) -> HttpTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        HttpTransport {
            url: format!("{base}/{repo}"),
            base: format!("{base}/{repo}"),
            token,
            agent,
        }
    }

    fn connection(&self, error: impl std::fmt::Display) -> SyncError {
        SyncError::Connection {
            peer: self.url.clone(),
            reason: error.to_string(),
        }
    }

    fn with_headers<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let request = request.header("Hive-Protocol", PROTOCOL_VERSION.to_string());
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// Turns a non-success response into an error.
    fn check(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<ureq::http::Response<ureq::Body>, SyncError> {
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .unwrap_or_default();
        let (code, message) = error_of(status, &body);
        Err(SyncError::Refused {
            peer: self.url.clone(),
            status,
            code,
            message,
        })
    }

    fn read_all(&self, response: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, SyncError> {
        let mut response = self.check(response)?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|error| self.connection(error))
    }

    fn post(&self, path: &str, body: &[u8], kind: &str) -> Result<Vec<u8>, SyncError> {
        let request = self.with_headers(self.agent.post(format!("{}/{path}", self.base)));
        let response = request
            .header("Content-Type", kind)
            .send(body)
            .map_err(|error| self.connection(error))?;
        self.read_all(response)
    }
}

impl Transport for HttpTransport {
    fn peer(&self) -> &str {
        &self.url
    }

    fn advertise(&self) -> Result<Advertisement, SyncError> {
        let request = self.with_headers(self.agent.get(format!("{}/refs", self.base)));
        let response = request.call().map_err(|error| self.connection(error))?;
        let body = self.read_all(response)?;
        parse_refs(&self.url, &body)
    }

    fn has(&self, ids: &[ObjectId], push: &ObjectId) -> Result<Vec<bool>, SyncError> {
        let mut answers = Vec::with_capacity(ids.len());
        // In slices, so no request grows past a server's limits.
        for slice in ids.chunks(1 << 20) {
            let body = self.post(
                &format!("has?push={}", push.to_hex()),
                &ids_to_bytes(slice),
                "application/octet-stream",
            )?;
            answers.extend(from_bitmap(&self.url, &body, slice.len())?);
        }
        Ok(answers)
    }

    fn offer(&self, request: &WantRequest) -> Result<Vec<ObjectId>, SyncError> {
        let body = serde_json::to_vec(&WantJson::new(request, None)).expect("JSON");
        let answer = self.post("offer", &body, "application/json")?;
        ids_from_bytes(&self.url, &answer)
    }

    fn fetch(
        &self,
        request: &WantRequest,
        select: Option<&[bool]>,
        receive: &mut dyn FnMut(&mut dyn Read) -> Result<(), SyncError>,
    ) -> Result<(), SyncError> {
        let body = serde_json::to_vec(&WantJson::new(request, select)).expect("JSON");
        let response = self
            .with_headers(self.agent.post(format!("{}/fetch", self.base)))
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(|error| self.connection(error))?;
        let mut response = self.check(response)?;
        let mut reader = response.body_mut().as_reader();
        receive(&mut reader)
    }

    fn push(&self, stream: &mut (dyn Read + Send)) -> Result<ReceiveReport, SyncError> {
        let response = self
            .with_headers(self.agent.post(format!("{}/push", self.base)))
            .header("Content-Type", "application/x-hive-stream")
            .send(ureq::SendBody::from_reader(stream))
            .map_err(|error| self.connection(error))?;
        let body = self.read_all(response)?;
        parse_report(&self.url, &body)
    }
}

/// The code and message of an error response with `status` and `body`: the body's [`ErrorJson`], or else its
/// first 300 characters under the code `http-STATUS`.
#[doc(hidden)]
pub fn error_of(status: u16, body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<ErrorJson>(body) {
        Ok(error) => (error.error, error.message),
        Err(_) => (
            format!("http-{status}"),
            String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(300)
                .collect(),
        ),
    }
}

/// The advertisement in the body of a `GET /REPO/refs` response from `peer`: [`RefsJson`], every name and value
/// checked.
#[doc(hidden)]
pub fn parse_refs(peer: &str, body: &[u8]) -> Result<Advertisement, SyncError> {
    let refs: RefsJson = serde_json::from_slice(body)
        .map_err(|error| SyncError::protocol(peer, format!("refs: {error}")))?;
    let mut parsed = Vec::with_capacity(refs.refs.len());
    for entry in refs.refs {
        parsed.push(RemoteRef {
            name: RefName::parse(&entry.name)
                .map_err(|error| SyncError::protocol(peer, error.to_string()))?,
            id: ObjectId::from_hex(&entry.id)
                .map_err(|_| SyncError::protocol(peer, "refs: a value is not an id"))?,
        });
    }
    Ok(Advertisement {
        protocols: refs.protocols,
        refs: parsed,
        limits: refs.limits,
    })
}

/// The receiver's report in the body of a push response from `peer`: [`ReportJson`], every name checked.
#[doc(hidden)]
pub fn parse_report(peer: &str, body: &[u8]) -> Result<ReceiveReport, SyncError> {
    let report: ReportJson = serde_json::from_slice(body)
        .map_err(|error| SyncError::protocol(peer, format!("push report: {error}")))?;
    let mut refs = Vec::with_capacity(report.refs.len());
    for entry in report.refs {
        refs.push(RefResult {
            name: RefName::parse(&entry.name)
                .map_err(|error| SyncError::protocol(peer, error.to_string()))?,
            status: entry.status,
            message: entry.message,
        });
    }
    Ok(ReceiveReport {
        objects: report.objects,
        published: report.published,
        refs,
    })
}
