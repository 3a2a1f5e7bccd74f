//! A corpus of hostile pushes and requests, against a real `hive serve` (raw HTTP/1.1 written by hand over a TCP
//! socket) and against a path remote (the library's `Peer` and path transport, fed handcrafted transfer streams).
//!
//! Every case must be refused: over HTTP with a 4xx status and the documented JSON error body (never 2xx, never
//! 5xx, never a hang), or, for a refusal per reference, with the documented push report in which every reference
//! is refused with a message; through the library with an `Err` or such a report. And every case must leave the
//! served repositories as they were. "As they were" means: every file outside `incoming/` is byte-identical
//! (same paths, same contents), and `incoming/` (the quarantine, docs/FORMAT.md) holds only what the protocol
//! keeps on purpose: the verified objects of an interrupted transfer, or of a push with an `invalid` reference, so
//! that a retry resumes (docs/PROTOCOL.md, "Receiving"). A push refused for any other reason leaves no quarantine,
//! and no quarantine is ever an empty directory.

use crate::util::{Project, hive_bin, hive_command, session};
use hive::ObjectId;
use hive::id::ObjectKind;
use hive::object::{Commit, EventList, RawObject};
use hive::store::ObjectStore;
use hive::sync::{
    Access, Grant, Level, Limits, PathTransport, Peer, ReceiveReport, SyncError, Transport,
    WantRequest,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server's limits, small so that the corpus can go over them cheaply.
const MAX_PUSH_MB: u64 = 2;
const MAX_OBJECT_MB: u64 = 1;
const MAX_UNPACKED_MB: u64 = 8;
/// Only to turn a hang into a failure; never reached by a healthy run, however slow the machine.
const HANG: Duration = Duration::from_secs(120);

fn limits() -> Limits {
    Limits {
        max_body: MAX_PUSH_MB << 20,
        max_stream: MAX_UNPACKED_MB << 20,
        max_object: MAX_OBJECT_MB << 20,
        max_header: 64 << 20,
    }
}

/// A `hive serve` process on a free port, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(root: &Path, log: &Path) -> Server {
        let mut child = Command::new(hive_bin())
            .args([
                "serve",
                "--root",
                root.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .args(["--max-push-mb", &MAX_PUSH_MB.to_string()])
            .args(["--max-object-mb", &MAX_OBJECT_MB.to_string()])
            .args(["--max-unpacked-mb", &MAX_UNPACKED_MB.to_string()])
            .args(["--grace", "1"])
            .env("HIVE_AUTHOR", "Server <server@example.com>")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("hive serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the server prints its URL");
        let address = line
            .trim()
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_token(root: &Path, name: &str, grant: &str) -> String {
    crate::sync::token(root, name, &[grant])
}

/// An HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` (bytes exactly as given) and reads the whole response; the server closes the connection after
/// it (`Connection: close`). The request is written from another thread, so a server that answers before it has
/// read all of a large body is seen answering. `half_close` shuts the sending side once the request is written.
fn exchange(address: &str, request: Vec<u8>, half_close: bool) -> Result<Reply, String> {
    let stream = TcpStream::connect(address).map_err(|error| error.to_string())?;
    stream.set_read_timeout(Some(HANG)).unwrap();
    stream.set_write_timeout(Some(HANG)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let written = writer.write_all(&request).and_then(|()| writer.flush());
        if half_close {
            let _ = writer.shutdown(Shutdown::Write);
        }
        written
    });
    let mut response = Vec::new();
    let read = (&stream).read_to_end(&mut response);
    let _ = stream.shutdown(Shutdown::Both);
    let _ = sending.join();
    if let Err(error) = read {
        if matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            return Err(format!("no answer within {HANG:?} (a hang)"));
        }
        // A server that answered before reading the whole body may reset the connection after its answer.
        if response.is_empty() {
            return Err(format!("the connection failed without an answer: {error}"));
        }
    }
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| {
            format!(
                "not an HTTP response: {:?}",
                String::from_utf8_lossy(&response[..response.len().min(200)])
            )
        })?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {head:?}"))?;
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Reply { status, head, body })
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = chunked.windows(2).position(|window| window == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&chunked[..end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        body.extend_from_slice(&chunked[start..(start + size).min(chunked.len())]);
        chunked = &chunked[(start + size + 2).min(chunked.len())..];
    }
    body
}

/// A request: `target` is the request target as raw bytes, `headers` whole lines without their CRLF.
fn request(method: &str, target: &[u8], headers: &[Vec<u8>], body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(method.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(target);
    bytes.extend_from_slice(b" HTTP/1.1\r\nHost: hive.test\r\nConnection: close\r\n");
    bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    for header in headers {
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    bytes
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Authorization: Bearer {token}").into_bytes()
}

// ---- transfer streams, built by hand (docs/PROTOCOL.md, "Transfer stream") ----

fn record(tag: u8, id: &ObjectId, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![tag];
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(body);
    bytes
}

fn object(raw: &RawObject) -> Vec<u8> {
    record(raw.kind.tag(), &raw.id(), &raw.body)
}

fn compress(records: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(records, 3).unwrap()
}

/// Magic, version, header; then `compressed` as it is.
fn framed(version: u32, header: &[u8], compressed: &[u8]) -> Vec<u8> {
    let mut bytes = b"HIVESYNC".to_vec();
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(compressed);
    bytes
}

/// A whole stream: `header`, then `records` and the end record.
fn stream(header: &[u8], records: &[Vec<u8>]) -> Vec<u8> {
    let mut plain = records.concat();
    plain.push(0);
    framed(1, header, &compress(&plain))
}

/// A push header; the push's name is derived from `seed`, so that no two cases share a quarantine.
fn push_header(seed: &str, commands: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "protocol": 1,
        "push": ObjectId::hash(ObjectKind::Blob, seed.as_bytes()).to_hex(),
        "commands": commands,
    }))
    .unwrap()
}

fn create_cmd(name: &str, new: &ObjectId) -> Value {
    json!({"name": name, "new": new.to_hex()})
}

fn blob(text: &str) -> RawObject {
    RawObject::new(ObjectKind::Blob, text.as_bytes().to_vec())
}

/// An id nothing has.
fn nothing(text: &str) -> ObjectId {
    ObjectId::hash(ObjectKind::Commit, format!("nothing {text}").as_bytes())
}

/// Deterministic bytes that do not compress.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

// ---- what a case expects, and what the repositories must look like afterwards ----

/// Who sends a case.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// `admin:*` over HTTP; full access on a path remote.
    Admin,
    /// `write:team`.
    Writer,
    /// `write:team:alice/`.
    Alice,
    /// `read:team`.
    Reader,
}

/// How a case must be refused.
#[derive(Clone, Debug)]
enum Expect {
    /// The request as a whole: this HTTP status and error code; the message (over HTTP and through the library)
    /// contains `says`.
    Error {
        status: u16,
        code: &'static str,
        says: &'static str,
    },
    /// Every reference refused with this status (a 200 answer whose report refuses each one, as documented), with
    /// a message containing `says`.
    Refs {
        status: &'static str,
        says: &'static str,
    },
    /// A request that is not valid HTTP: the HTTP layer answers 400 before hive sees it (no JSON body there).
    Malformed,
}

fn bad_request(says: &'static str) -> Expect {
    Expect::Error {
        status: 400,
        code: "bad-request",
        says,
    }
}

fn too_large(says: &'static str) -> Expect {
    Expect::Error {
        status: 413,
        code: "too-large",
        says,
    }
}

/// A push stream, sent both to the server (repository `team`) and to the path remote.
struct PushCase {
    name: String,
    who: Who,
    body: Vec<u8>,
    expect: Expect,
    /// The protocol keeps this push's quarantine on purpose (an interrupted stream, or an `invalid` reference).
    keeps: bool,
}

/// A request only the server gets.
struct HttpCase {
    name: String,
    request: Vec<u8>,
    half_close: bool,
    expect: Expect,
}

/// Every file under `dir` but those of quarantines, by path relative to `dir`.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|name| name == "incoming") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The quarantines under `dir` (each repository's `incoming/KEY`), with the files in each.
fn quarantines(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|name| name == "incoming") {
                for quarantine in std::fs::read_dir(&path).unwrap() {
                    let quarantine = quarantine.unwrap().path();
                    let mut files: Vec<String> = std::fs::read_dir(&quarantine)
                        .map(|entries| {
                            entries
                                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                                .collect()
                        })
                        .unwrap_or_else(|_| vec!["<not a directory>".into()]);
                    files.sort();
                    found.insert(
                        quarantine.strip_prefix(dir).unwrap().display().to_string(),
                        files,
                    );
                }
            } else {
                stack.push(path);
            }
        }
    }
    found
}

/// What the corpus found.
#[derive(Default)]
struct Tally {
    cases: usize,
    rejected: usize,
    by_answer: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, answer: String, problems: Vec<String>) {
        self.cases += 1;
        if problems.is_empty() {
            self.rejected += 1;
            *self.by_answer.entry(answer).or_default() += 1;
        } else {
            self.failures
                .push(format!("{name} ({answer}): {}", problems.join("; ")));
        }
    }
}

/// Watches a directory of repositories across a case.
struct Watch {
    dir: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
    quarantines: BTreeMap<String, Vec<String>>,
}

impl Watch {
    fn new(dir: &Path) -> Watch {
        Watch {
            dir: dir.to_path_buf(),
            files: snapshot(dir),
            quarantines: quarantines(dir),
        }
    }

    /// What changed since the last look; `keeps`: a new quarantine may stay.
    fn changes(&mut self, keeps: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let files = snapshot(&self.dir);
        if files != self.files {
            let before: BTreeSet<&String> = self.files.keys().collect();
            let after: BTreeSet<&String> = files.keys().collect();
            let changed: Vec<&&String> = before
                .intersection(&after)
                .filter(|path| self.files[**path] != files[**path])
                .collect();
            problems.push(format!(
                "the repository changed: new {:?}, gone {:?}, changed {changed:?}",
                after.difference(&before).collect::<Vec<_>>(),
                before.difference(&after).collect::<Vec<_>>(),
            ));
        }
        let quarantines = quarantines(&self.dir);
        for (path, names) in &quarantines {
            let known = self.quarantines.get(path);
            if known == Some(names) {
                continue;
            }
            if known.is_none() && !keeps {
                problems.push(format!("a quarantine was left behind: {path} {names:?}"));
            }
            if names.is_empty() {
                problems.push(format!("an empty quarantine was left behind: {path}"));
            }
            let key = path.rsplit('/').next().unwrap();
            if key.len() != 64 || !key.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                problems.push(format!("{path} is not a quarantine"));
            }
            for name in names {
                let pack = name.starts_with("pack-")
                    && (name.ends_with(".pack") || name.ends_with(".idx"));
                if !pack {
                    problems.push(format!("{path} holds {name}, not a pack"));
                }
            }
        }
        self.files = files;
        self.quarantines = quarantines;
        problems
    }
}

/// Checks an HTTP answer against `expect`; returns how it answered and what is wrong.
fn judge_http(reply: &Result<Reply, String>, expect: &Expect) -> (String, Vec<String>) {
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => return ("no answer".into(), vec![error.clone()]),
    };
    let mut problems = Vec::new();
    let status = reply.status;
    if (200..300).contains(&status) && !matches!(expect, Expect::Refs { .. }) {
        problems.push(format!("accepted with {status}: {}", reply.text()));
    }
    if status >= 500 {
        problems.push(format!("a server error {status}: {}", reply.text()));
    }
    match expect {
        Expect::Malformed => {
            if status != 400 {
                problems.push(format!("{status} for a request that is not HTTP"));
            }
            (format!("HTTP {status} (not HTTP)"), problems)
        }
        Expect::Error {
            status: wanted,
            code,
            says,
        } => {
            if status != *wanted {
                problems.push(format!("status {status}, expected {wanted}"));
            }
            match serde_json::from_slice::<Value>(&reply.body) {
                Ok(body) => {
                    let error = body["error"].as_str().unwrap_or_default();
                    let message = body["message"].as_str().unwrap_or_default();
                    if error != *code {
                        problems.push(format!("error code {error:?}, expected {code:?}"));
                    }
                    if message.trim().is_empty()
                        || !message.to_lowercase().contains(&says.to_lowercase())
                    {
                        problems.push(format!("message {message:?} does not say {says:?}"));
                    }
                }
                Err(_) => problems.push(format!(
                    "not a JSON error body: {:?} ({})",
                    reply.text(),
                    reply.head.lines().next().unwrap_or_default()
                )),
            }
            if !reply
                .head
                .to_ascii_lowercase()
                .contains("content-type: application/json")
            {
                problems.push("the error is not application/json".into());
            }
            (format!("HTTP {status} {code}"), problems)
        }
        Expect::Refs {
            status: wanted,
            says,
        } => {
            if status != 200 {
                problems.push(format!(
                    "status {status}, expected 200 with a report: {}",
                    reply.text()
                ));
                return (format!("HTTP {status}"), problems);
            }
            match serde_json::from_slice::<Value>(&reply.body) {
                Ok(report) => problems.extend(judge_refs(
                    report["refs"].as_array().cloned().unwrap_or_default(),
                    wanted,
                    says,
                )),
                Err(_) => problems.push(format!("not a JSON report: {}", reply.text())),
            }
            (format!("HTTP 200, every reference {wanted}"), problems)
        }
    }
}

fn judge_refs(refs: Vec<Value>, wanted: &str, says: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if refs.is_empty() {
        problems.push("a report without references".into());
    }
    for entry in refs {
        let name = entry["name"].as_str().unwrap_or_default();
        let status = entry["status"].as_str().unwrap_or_default();
        let message = entry["message"].as_str().unwrap_or_default();
        if status != wanted {
            problems.push(format!("{name} is {status}, expected {wanted}"));
        }
        if message.trim().is_empty() || !message.to_lowercase().contains(&says.to_lowercase()) {
            problems.push(format!("{name}: message {message:?} does not say {says:?}"));
        }
    }
    problems
}

fn as_report(report: &ReceiveReport) -> Option<&ReceiveReport> {
    Some(report)
}

fn no_report<T>(_: &T) -> Option<&ReceiveReport> {
    None
}

/// Checks a library answer against `expect`.
fn judge_library<T: std::fmt::Debug>(
    result: &Result<T, SyncError>,
    report: impl Fn(&T) -> Option<&ReceiveReport>,
    expect: &Expect,
) -> (String, Vec<String>) {
    match (result, expect) {
        (Err(error), Expect::Error { says, .. }) => {
            let message = error.to_string();
            let mut problems = Vec::new();
            if !message.to_lowercase().contains(&says.to_lowercase()) {
                problems.push(format!("error {message:?} does not say {says:?}"));
            }
            let internal = matches!(error, SyncError::Repo(_) | SyncError::Io(_));
            if internal {
                problems.push(format!("an internal error, not a refusal: {error:?}"));
            }
            (format!("Err {}", variant(error)), problems)
        }
        (Ok(value), Expect::Refs { status, says }) => match report(value) {
            Some(report) => {
                let refs = report
                    .refs
                    .iter()
                    .map(|r| {
                        json!({
                            "name": r.name.as_str(),
                            "status": serde_json::to_value(&r.status).unwrap(),
                            "message": r.message,
                        })
                    })
                    .collect();
                (
                    format!("Ok, every reference {status}"),
                    judge_refs(refs, status, says),
                )
            }
            None => ("Ok".into(), vec![format!("accepted: {value:?}")]),
        },
        (Err(error), Expect::Refs { status, .. }) => (
            format!("Err {}", variant(error)),
            vec![format!(
                "failed ({error}) instead of refusing each reference as {status}"
            )],
        ),
        (Ok(value), _) => ("Ok".into(), vec![format!("accepted: {value:?}")]),
        (Err(error), Expect::Malformed) => (format!("Err {}", variant(error)), Vec::new()),
    }
}

fn variant(error: &SyncError) -> String {
    let debug = format!("{error:?}");
    let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
    match error {
        SyncError::Refused { status, .. } => format!("{name} {status}"),
        _ => name,
    }
}

/// What the corpus is built from: the seeded repository's ids.
#[derive(Clone)]
struct Seed {
    /// `runs/main-run`: two commits.
    main_head: ObjectId,
    main_commit: Commit,
    main_first: ObjectId,
    /// `runs/alice/start`.
    alice_head: ObjectId,
    alice_commit: Commit,
    /// `runs/secret-run`, which alice's prefix token may not read.
    secret_head: ObjectId,
    /// An event held by the repository.
    an_event: ObjectId,
}

fn seed() -> (Project, Seed) {
    let project = Project::new();
    project.stage_and_commit("main-run", &session("the main run"));
    project.stage_and_commit(
        "main-run",
        "{\"kind\":\"user_message\",\"text\":\"one more thing\"}\n",
    );
    project.stage_and_commit("alice/start", &session("alice's start"));
    project.stage_and_commit("secret-run", &session("the secret plan"));
    let repo = hive::Repository::open(&project.hive_dir()).unwrap();
    let (main_head, main_commit) = repo.head("main-run").unwrap().unwrap();
    let (alice_head, alice_commit) = repo.head("alice/start").unwrap().unwrap();
    let secret_head = repo.head("secret-run").unwrap().unwrap().0;
    let list = EventList::decode(
        &repo
            .odb()
            .read(&main_commit.events.unwrap())
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let seed = Seed {
        main_first: main_commit.parents[0],
        main_head,
        main_commit,
        alice_head,
        alice_commit,
        secret_head,
        an_event: list.events[0],
    };
    (project, seed)
}

/// A commit like `base` with another message (so another id), and `edit` applied.
fn commit_like(base: &Commit, message: &str, edit: impl FnOnce(&mut Commit)) -> RawObject {
    let mut commit = base.clone();
    commit.message = message.to_string();
    edit(&mut commit);
    commit.encode()
}

fn push_cases(seed: &Seed) -> Vec<PushCase> {
    let mut cases = Vec::new();
    let mut add = |name: &str, who: Who, body: Vec<u8>, expect: Expect, keeps: bool| {
        cases.push(PushCase {
            name: name.to_string(),
            who,
            body,
            expect,
            keeps,
        });
    };
    let main = seed.main_head.to_hex();
    // A valid new run, to carry framing damage after a good start.
    let fresh = commit_like(&seed.main_commit, "fresh", |c| {
        c.parents = vec![seed.main_head]
    });
    let good_header =
        |case: &str| push_header(case, json!([create_cmd("runs/fresh", &fresh.id())]));

    // -- framing --
    add(
        "empty body",
        Who::Admin,
        Vec::new(),
        bad_request("ends early"),
        false,
    );
    add(
        "seven bytes",
        Who::Admin,
        b"HIVESYN".to_vec(),
        bad_request("ends early"),
        false,
    );
    let mut magic = stream(&good_header("magic"), &[object(&fresh)]);
    magic[7] = b'X';
    add(
        "bad magic",
        Who::Admin,
        magic,
        bad_request("not a hive transfer stream"),
        false,
    );
    let mut lower = stream(&good_header("lower"), &[object(&fresh)]);
    lower[..8].copy_from_slice(b"hivesync");
    add(
        "lowercase magic",
        Who::Admin,
        lower,
        bad_request("not a hive transfer stream"),
        false,
    );
    add(
        "a JSON body instead of a stream",
        Who::Admin,
        good_header("json body"),
        bad_request("not a hive transfer stream"),
        false,
    );
    for version in [0u32, 2, u32::MAX] {
        let mut body = stream(&good_header("version"), &[object(&fresh)]);
        body[8..12].copy_from_slice(&version.to_le_bytes());
        add(
            &format!("stream version {version}"),
            Who::Admin,
            body,
            bad_request("transfer stream version"),
            false,
        );
    }
    let mut long = b"HIVESYNC".to_vec();
    long.extend_from_slice(&1u32.to_le_bytes());
    long.extend_from_slice(&u32::MAX.to_le_bytes());
    add(
        "a header length of 4 GiB",
        Who::Admin,
        long,
        too_large("stream header"),
        false,
    );
    let mut short = b"HIVESYNC".to_vec();
    short.extend_from_slice(&1u32.to_le_bytes());
    short.extend_from_slice(&1000u32.to_le_bytes());
    short.extend_from_slice(b"{\"protocol\":1");
    add(
        "a header cut short",
        Who::Admin,
        short,
        bad_request("ends early"),
        false,
    );
    add(
        "a header and no objects at all",
        Who::Admin,
        framed(1, &good_header("no zstd"), b""),
        bad_request("ends early"),
        false,
    );
    add(
        "garbage instead of zstd",
        Who::Admin,
        framed(1, &good_header("garbage zstd"), &noise(1, 5000)),
        bad_request("damaged"),
        false,
    );
    let mut no_end = object(&blob("no end record"));
    no_end.extend(object(&fresh));
    add(
        "objects without the end record",
        Who::Admin,
        framed(1, &good_header("no end"), &compress(&no_end)),
        bad_request("ends early"),
        true,
    );
    let whole = stream(
        &good_header("cut"),
        &[object(&blob("cut short")), object(&fresh)],
    );
    add(
        "the compressed stream cut short",
        Who::Admin,
        whole[..whole.len() - 12].to_vec(),
        bad_request("ends early"),
        true,
    );
    for tag in [7u8, 255] {
        add(
            &format!("unknown object kind {tag}"),
            Who::Admin,
            stream(
                &good_header("kind"),
                &[record(tag, &fresh.id(), &fresh.body)],
            ),
            bad_request("unknown object kind"),
            false,
        );
    }
    let mut trailing = stream(&good_header("trailing"), &[object(&fresh)]);
    trailing.extend_from_slice(b"and then some garbage");
    add(
        "garbage after the end record",
        Who::Admin,
        trailing,
        bad_request("after the end"),
        false,
    );
    let mut second = stream(&good_header("second frame"), &[object(&fresh)]);
    second.extend(compress(&object(&blob("smuggled"))));
    add(
        "a second zstd frame after the end record",
        Who::Admin,
        second,
        bad_request("after the end"),
        false,
    );
    let mut inside = object(&fresh);
    inside.push(0);
    inside.extend_from_slice(b"more after the end tag");
    add(
        "bytes after the end tag inside the frame",
        Who::Admin,
        framed(1, &good_header("after tag"), &compress(&inside)),
        bad_request("after the end"),
        false,
    );

    // -- objects --
    let other = blob("the real content");
    add(
        "bytes that do not match their id",
        Who::Admin,
        stream(
            &good_header("mismatch"),
            &[record(1, &other.id(), b"other content"), object(&fresh)],
        ),
        bad_request("does not match its content"),
        false,
    );
    add(
        "the right body under another kind",
        Who::Admin,
        stream(
            &good_header("kind swap"),
            &[
                record(ObjectKind::Event.tag(), &other.id(), &other.body),
                object(&fresh),
            ],
        ),
        bad_request("does not match its content"),
        false,
    );
    add(
        "a good object, then one that does not match its id",
        Who::Admin,
        stream(
            &good_header("good then bad"),
            &[
                object(&blob("good first")),
                record(1, &other.id(), b"bad second"),
                object(&fresh),
            ],
        ),
        bad_request("does not match its content"),
        false,
    );
    add(
        "a commit whose id is of another commit",
        Who::Admin,
        stream(
            &good_header("commit id"),
            &[record(5, &seed.main_head, &fresh.body)],
        ),
        bad_request("does not match its content"),
        false,
    );
    let mut claims = vec![1u8];
    claims.extend_from_slice(&((MAX_OBJECT_MB << 20) as u32 + 1).to_le_bytes());
    claims.extend_from_slice(other.id().as_bytes());
    add(
        "an object that claims to be over the object limit",
        Who::Admin,
        framed(1, &good_header("claims big"), &compress(&claims)),
        too_large("object"),
        false,
    );
    let big = RawObject::new(
        ObjectKind::Blob,
        vec![7u8; (MAX_OBJECT_MB << 20) as usize + (512 << 10)],
    );
    add(
        "an object over the object limit",
        Who::Admin,
        stream(&good_header("big object"), &[object(&big), object(&fresh)]),
        too_large("object"),
        false,
    );
    let mut cut = object(&blob("a body cut short"));
    cut.truncate(cut.len() - 3);
    add(
        "a body shorter than its length",
        Who::Admin,
        framed(1, &good_header("short body"), &compress(&cut)),
        bad_request("ends early"),
        false,
    );
    // 64 MiB of near-zeros in objects under the object limit: a few hundred kB on the wire.
    let mut bomb = Vec::new();
    for index in 0..64u32 {
        let mut body = vec![0u8; 1 << 20];
        body[..4].copy_from_slice(&index.to_le_bytes());
        bomb.extend(object(&RawObject::new(ObjectKind::Blob, body)));
    }
    bomb.extend(object(&fresh));
    bomb.push(0);
    let bomb = framed(1, &good_header("bomb"), &compress(&bomb));
    assert!(
        bomb.len() < 1 << 20,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    add(
        "a zstd bomb",
        Who::Admin,
        bomb,
        too_large("decompressed stream"),
        false,
    );
    let heavy: Vec<Vec<u8>> = (0..6)
        .map(|index| object(&RawObject::new(ObjectKind::Blob, noise(index, 512 << 10))))
        .collect();
    add(
        "a body over the body limit",
        Who::Admin,
        stream(&good_header("heavy"), &heavy),
        too_large("request body"),
        false,
    );

    // -- connectivity: objects missing on both sides --
    let refused = |name: &str, new: &RawObject, sent: &[&RawObject]| -> Vec<u8> {
        stream(
            &push_header(name, json!([create_cmd(name, &new.id())])),
            &sent.iter().map(|raw| object(raw)).collect::<Vec<_>>(),
        )
    };
    let missing = "which was not sent and is not here";
    let no_events = commit_like(&seed.main_commit, "no events", |c| {
        c.parents = vec![];
        c.events = Some(nothing("events"));
    });
    add(
        "a commit whose event list is missing",
        Who::Admin,
        refused("runs/no-events", &no_events, &[&no_events]),
        Expect::Refs {
            status: "invalid",
            says: missing,
        },
        true,
    );
    let no_parent = commit_like(&seed.main_commit, "no parent", |c| {
        c.parents = vec![nothing("parent")]
    });
    add(
        "a commit whose parent is missing",
        Who::Admin,
        refused("runs/no-parent", &no_parent, &[&no_parent]),
        Expect::Refs {
            status: "invalid",
            says: missing,
        },
        true,
    );
    let no_tree = commit_like(&seed.main_commit, "no tree", |c| {
        c.tree = Some(nothing("tree"))
    });
    add(
        "a commit whose tree is missing",
        Who::Admin,
        refused("runs/no-tree", &no_tree, &[&no_tree]),
        Expect::Refs {
            status: "invalid",
            says: missing,
        },
        true,
    );
    let list = EventList {
        first_seq: 0,
        events: vec![nothing("event")],
    }
    .encode();
    let no_event = commit_like(&seed.main_commit, "no event", |c| {
        c.parents = vec![];
        c.events = Some(list.id());
    });
    add(
        "an event list whose event is missing",
        Who::Admin,
        refused("runs/no-event", &no_event, &[&list, &no_event]),
        Expect::Refs {
            status: "invalid",
            says: missing,
        },
        true,
    );
    add(
        "a reference to nothing",
        Who::Admin,
        stream(
            &push_header(
                "to nothing",
                json!([create_cmd("runs/to-nothing", &nothing("ref"))]),
            ),
            &[],
        ),
        Expect::Refs {
            status: "invalid",
            says: missing,
        },
        true,
    );
    let not_commit = blob("not a commit");
    add(
        "a reference to a blob sent along",
        Who::Admin,
        refused("runs/to-blob", &not_commit, &[&not_commit]),
        Expect::Refs {
            status: "invalid",
            says: "commit",
        },
        true,
    );
    add(
        "a reference to an event the repository holds",
        Who::Admin,
        stream(
            &push_header(
                "to event",
                json!([create_cmd("runs/to-event", &seed.an_event)]),
            ),
            &[],
        ),
        Expect::Refs {
            status: "invalid",
            says: "commit",
        },
        true,
    );
    let garbage = RawObject::new(ObjectKind::Commit, b"{not json".to_vec());
    add(
        "a reference to a commit that does not decode",
        Who::Admin,
        refused("runs/garbage-commit", &garbage, &[&garbage]),
        Expect::Refs {
            status: "invalid",
            says: "commit",
        },
        true,
    );
    let poison = commit_like(&seed.main_commit, "poison", |c| {
        c.parents = vec![];
        c.events = Some(nothing("poison events"));
    });
    let child = commit_like(&seed.main_commit, "child of poison", |c| {
        c.parents = vec![poison.id()]
    });
    add(
        "a reference built on another one's missing objects",
        Who::Admin,
        stream(
            &push_header(
                "poison",
                json!([
                    create_cmd("runs/poison-a", &poison.id()),
                    create_cmd("runs/poison-b", &child.id())
                ]),
            ),
            &[object(&poison), object(&child)],
        ),
        Expect::Refs {
            status: "invalid",
            says: "",
        },
        true,
    );
    add(
        "an update from a value the reference does not hold",
        Who::Admin,
        stream(
            &push_header(
                "stale",
                json!([{"name": "runs/main-run", "old": seed.main_first.to_hex(), "new": fresh.id().to_hex()}]),
            ),
            &[object(&fresh)],
        ),
        Expect::Refs {
            status: "stale",
            says: "changed since",
        },
        false,
    );
    add(
        "a creation of a reference that exists",
        Who::Admin,
        stream(
            &push_header("exists", json!([create_cmd("runs/main-run", &fresh.id())])),
            &[object(&fresh)],
        ),
        Expect::Refs {
            status: "stale",
            says: "changed since",
        },
        false,
    );
    add(
        "a push without commands",
        Who::Admin,
        stream(
            &push_header("no commands", json!([])),
            &[object(&blob("for nothing"))],
        ),
        bad_request("no reference"),
        false,
    );

    // -- non-fast-forward updates and scopes --
    let rewrite = commit_like(&seed.main_commit, "rewritten", |c| {
        c.parents = vec![seed.main_first]
    });
    let non_ff = |case: &str, force: bool| {
        stream(
            &push_header(
                case,
                json!([{"name": "runs/main-run", "old": main, "new": rewrite.id().to_hex(), "force": force}]),
            ),
            &[object(&rewrite)],
        )
    };
    add(
        "a non-fast-forward update with new objects",
        Who::Admin,
        non_ff("nff objects", false),
        Expect::Refs {
            status: "non-fast-forward",
            says: "runs/main-run",
        },
        false,
    );
    add(
        "a non-fast-forward update to an older commit",
        Who::Admin,
        stream(
            &push_header(
                "nff older",
                json!([{"name": "runs/main-run", "old": main, "new": seed.main_first.to_hex()}]),
            ),
            &[],
        ),
        Expect::Refs {
            status: "non-fast-forward",
            says: "runs/main-run",
        },
        false,
    );
    add(
        "a forced update without admin access",
        Who::Writer,
        non_ff("forced writer", true),
        Expect::Refs {
            status: "forbidden",
            says: "admin",
        },
        false,
    );
    add(
        "a deletion without admin access",
        Who::Writer,
        stream(
            &push_header("delete", json!([{"name": "runs/main-run", "old": main}])),
            &[],
        ),
        Expect::Refs {
            status: "forbidden",
            says: "admin",
        },
        false,
    );
    let alice_rewrite = commit_like(&seed.alice_commit, "alice rewritten", |c| {
        c.parents = vec![]
    });
    add(
        "a forced update under a write prefix",
        Who::Alice,
        stream(
            &push_header(
                "alice force",
                json!([{"name": "runs/alice/start", "old": seed.alice_head.to_hex(),
                        "new": alice_rewrite.id().to_hex(), "force": true}]),
            ),
            &[object(&alice_rewrite)],
        ),
        Expect::Refs {
            status: "forbidden",
            says: "admin",
        },
        false,
    );
    let forbidden = Expect::Error {
        status: 403,
        code: "forbidden",
        says: "may not write",
    };
    add(
        "a prefix token writing outside its prefix",
        Who::Alice,
        stream(
            &push_header("outside", json!([create_cmd("runs/bob/x", &fresh.id())])),
            &[object(&fresh)],
        ),
        forbidden.clone(),
        false,
    );
    add(
        "a prefix token writing a name that only starts like its prefix",
        Who::Alice,
        stream(
            &push_header("alicex", json!([create_cmd("runs/alicex", &fresh.id())])),
            &[object(&fresh)],
        ),
        forbidden.clone(),
        false,
    );
    add(
        "a read-only token pushing",
        Who::Reader,
        stream(
            &push_header(
                "reader",
                json!([create_cmd("runs/from-reader", &fresh.id())]),
            ),
            &[object(&fresh)],
        ),
        forbidden.clone(),
        false,
    );
    for name in [
        "runs",
        "refs/heads/main",
        "remotes/origin/runs/x",
        "config",
        "objects/pack",
        "HEAD",
    ] {
        add(
            &format!("a reference outside runs/ and workspaces/: {name}"),
            Who::Admin,
            stream(
                &push_header(name, json!([create_cmd(name, &fresh.id())])),
                &[object(&fresh)],
            ),
            Expect::Error {
                status: 403,
                code: "forbidden",
                says: "only runs/ and workspaces/",
            },
            false,
        );
    }

    // -- push headers --
    let header_case = |_: &str, header: Vec<u8>| stream(&header, &[object(&fresh)]);
    for (name, header) in [
        ("not JSON", b"not json".to_vec()),
        ("an open brace", b"{".to_vec()),
        ("an array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("an empty object", b"{}".to_vec()),
        ("an empty header", Vec::new()),
        (
            "invalid UTF-8",
            b"{\"protocol\":1,\"push\":\"\xff\xfe\",\"commands\":[]}".to_vec(),
        ),
        (
            "10000 nested arrays",
            [vec![b'['; 10_000], vec![b']'; 10_000]].concat(),
        ),
        (
            "a command value of the wrong type",
            serde_json::to_vec(
                &json!({"protocol":1,"push":main,"commands":[{"name":"runs/x","new":5}]}),
            )
            .unwrap(),
        ),
        (
            "commands as an object",
            serde_json::to_vec(&json!({"protocol":1,"push":main,"commands":{"runs/x":main}}))
                .unwrap(),
        ),
    ] {
        add(
            &format!("push header: {name}"),
            Who::Admin,
            header_case(name, header),
            bad_request("push header"),
            false,
        );
    }
    add(
        "push header: protocol 2",
        Who::Admin,
        header_case(
            "p2",
            serde_json::to_vec(&json!({"protocol":2,"push":main,"commands":[]})).unwrap(),
        ),
        Expect::Error {
            status: 400,
            code: "unsupported-protocol",
            says: "protocol",
        },
        false,
    );
    add(
        "push header: a push name that is not an id",
        Who::Admin,
        header_case(
            "push id",
            serde_json::to_vec(&json!({"protocol":1,"push":"../../etc","commands":[create_cmd("runs/x", &fresh.id())]}))
                .unwrap(),
        ),
        bad_request("not an id"),
        false,
    );
    for (name, value) in [("new", "zz"), ("new", "../../../etc/passwd"), ("old", "")] {
        add(
            &format!("push header: {name} {value:?}"),
            Who::Admin,
            header_case(name, {
                let mut command = serde_json::Map::new();
                command.insert("name".into(), json!("runs/x"));
                command.insert(name.into(), json!(value));
                push_header(value, json!([command]))
            }),
            bad_request("not an object id"),
            false,
        );
    }
    add(
        "push header: a reference named twice",
        Who::Admin,
        header_case(
            "twice",
            push_header(
                "twice",
                json!([
                    create_cmd("runs/x", &fresh.id()),
                    create_cmd("runs/x", &fresh.id())
                ]),
            ),
        ),
        bad_request("named twice"),
        false,
    );
    let long_name = format!("runs/{}", "a".repeat(300));
    let bad_names: Vec<&str> = vec![
        "",
        "runs/",
        "/etc/passwd",
        "runs/../../etc/passwd",
        "runs/..",
        "runs/.",
        "../runs/x",
        "runs/a\0b",
        "runs/a\nb",
        "runs/a\rb",
        "runs/a\x1bb",
        "runs/a b",
        long_name.as_str(),
        "runs//x",
        "/runs/x",
        "runs/x/",
        "runs\\x",
        "runs/x\\..\\..\\y",
        "runs/x.lock",
        "runs/.hidden",
        "runs/-x",
        "runs/%2e%2e",
        "runs/%2fetc",
        "workspaces/../../x",
        "runs/é",
    ];
    for name in bad_names {
        add(
            &format!("a reference named {name:?}"),
            Who::Admin,
            header_case(
                name,
                push_header(name, json!([create_cmd(name, &fresh.id())])),
            ),
            bad_request("not a valid name"),
            false,
        );
    }
    cases
}

/// A served root with tokens and a seeded repository `team`, the same repository as a path remote, and what the
/// corpus found so far.
struct Bench {
    started: std::time::Instant,
    root: tempfile::TempDir,
    scratch: tempfile::TempDir,
    log: PathBuf,
    server: Option<Server>,
    /// The project the repositories were seeded from.
    project: Project,
    seed: Seed,
    admin: String,
    writer: String,
    alice: String,
    reader: String,
    other: String,
    alice_admin: String,
    revoked: String,
    path_remote: PathBuf,
    path_repo: hive::Repository,
    http: Tally,
    path: Tally,
    served: Watch,
    local: Watch,
}

impl Bench {
    fn new() -> Bench {
        let started = std::time::Instant::now();
        let root = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let token = |name: &str, grant: &str| create_token(root.path(), name, grant);
        let (admin, writer, alice, reader) = (
            token("admin", "admin:*"),
            token("writer", "write:team"),
            token("alice", "write:team:alice/"),
            token("reader", "read:team"),
        );
        let (other, alice_admin, revoked) = (
            token("other", "admin:other"),
            token("alice-admin", "admin:team:alice/"),
            token("revoked", "admin:*"),
        );
        Project::empty()
            .hive(&[
                "token",
                "revoke",
                "--root",
                root.path().to_str().unwrap(),
                "revoked",
            ])
            .ok();
        let log = scratch.path().join("server.log");
        let server = Server::start(root.path(), &log);
        let (project, seed) = seed();
        let url = format!("http://{}/team", server.address);
        crate::util::Run::from(
            hive_command(project.path())
                .env("HIVE_TOKEN", &admin)
                .args(["push", &url])
                .output()
                .unwrap(),
        )
        .ok();
        let path_remote = scratch.path().join("team.hive");
        project.hive(&["push", path_remote.to_str().unwrap()]).ok();
        Bench {
            started,
            served: Watch::new(root.path()),
            local: Watch::new(&path_remote),
            path_repo: hive::Repository::open(&path_remote).unwrap(),
            root,
            scratch,
            log,
            server: Some(server),
            project,
            seed,
            admin,
            writer,
            alice,
            reader,
            other,
            alice_admin,
            revoked,
            path_remote,
            http: Tally::default(),
            path: Tally::default(),
        }
    }

    fn token(&self, who: Who) -> &str {
        match who {
            Who::Admin => &self.admin,
            Who::Writer => &self.writer,
            Who::Alice => &self.alice,
            Who::Reader => &self.reader,
        }
    }

    fn access(who: Who) -> Access {
        let grant = |prefix: &str, level| Grant {
            repo: "team".into(),
            prefix: prefix.into(),
            level,
        };
        match who {
            Who::Admin => Access::Full,
            Who::Writer => Access::Scoped(vec![grant("", Level::Write)]),
            Who::Alice => Access::Scoped(vec![grant("alice/", Level::Write)]),
            Who::Reader => Access::Scoped(vec![grant("", Level::Read)]),
        }
    }

    fn send(&self, request: Vec<u8>, half_close: bool) -> Result<Reply, String> {
        let server = self.server.as_ref().expect("the server runs");
        exchange(&server.address, request, half_close)
    }

    fn peer(&self, who: Who) -> Peer<'_> {
        Peer::new(
            &self.path_repo,
            Bench::access(who),
            "hostile",
            "path",
            limits(),
            None,
        )
    }

    /// Sends each push to the server (repository `team`) and to the path remote.
    fn pushes(&mut self, cases: Vec<PushCase>) {
        for case in cases {
            let reply = self.send(
                request(
                    "POST",
                    b"/team/push",
                    &[bearer(self.token(case.who)), b"Hive-Protocol: 1".to_vec()],
                    &case.body,
                ),
                false,
            );
            let (answer, mut problems) = judge_http(&reply, &case.expect);
            problems.extend(self.served.changes(case.keeps));
            self.http
                .record(&format!("push: {}", case.name), answer, problems);

            let received = self
                .peer(case.who)
                .receive(&mut case.body.as_slice(), &|_| {});
            let (answer, mut problems) = judge_library(&received, as_report, &case.expect);
            problems.extend(self.local.changes(case.keeps));
            self.path
                .record(&format!("push: {}", case.name), answer, problems);
        }
    }

    /// A legitimate push to both, which the watches must see: they would notice a hostile case that changed
    /// anything.
    fn control(&mut self) {
        self.project
            .stage_and_commit("control", &session("a legitimate run"));
        let url = format!("http://{}/team", self.server.as_ref().unwrap().address);
        crate::util::Run::from(
            hive_command(self.project.path())
                .env("HIVE_TOKEN", &self.admin)
                .args(["push", &url, "control"])
                .output()
                .unwrap(),
        )
        .ok();
        let path_remote = self.path_remote.to_str().unwrap().to_string();
        self.project.hive(&["push", &path_remote, "control"]).ok();
        for (watch, name) in [
            (&mut self.served, "hive serve"),
            (&mut self.local, "path remote"),
        ] {
            let seen = watch.changes(false);
            assert!(
                seen.len() == 1 && seen[0].contains("runs/control"),
                "the {name} watch did not see a legitimate push: {seen:?}"
            );
        }
    }

    /// Checks that both repositories are whole, prints the tally, and fails on any case not refused properly.
    fn finish(mut self, at_least: usize) {
        let mut whole = Vec::new();
        for dir in [self.root.path().join("team"), self.path_remote.clone()] {
            let output = hive_command(&dir)
                .env("HIVE_DIR", &dir)
                .arg("fsck")
                .output()
                .unwrap();
            if !output.status.success() {
                whole.push(format!(
                    "fsck of {}: {}",
                    dir.display(),
                    String::from_utf8_lossy(&output.stdout)
                ));
            }
        }
        drop(self.server.take());
        let server_log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let (http, path) = (&self.http, &self.path);
        let cases = http.cases + path.cases;
        let rejected = http.rejected + path.rejected;
        eprintln!(
            "hostile corpus: {cases} cases, {rejected} rejected ({}%): hive serve {}/{} {:?}; path remote {}/{} {:?} ({:.1} s)",
            rejected * 100 / cases.max(1),
            http.rejected,
            http.cases,
            http.by_answer,
            path.rejected,
            path.cases,
            path.by_answer,
            self.started.elapsed().as_secs_f64()
        );
        let failures: Vec<String> = http
            .failures
            .iter()
            .map(|failure| format!("hive serve: {failure}"))
            .chain(
                path.failures
                    .iter()
                    .map(|failure| format!("path remote: {failure}")),
            )
            .collect();
        assert!(
            failures.is_empty() && whole.is_empty(),
            "{} of {cases} cases were not refused properly:\n{}\n{}\nserver log:\n{server_log}",
            failures.len(),
            failures.join("\n"),
            whole.join("\n")
        );
        assert_eq!(rejected, cases);
        assert!(cases >= at_least, "the corpus has {cases} cases");
        let _ = &self.scratch;
    }
}

#[test]
fn hostile_pushes_and_requests_are_refused_and_change_nothing() {
    let mut bench = Bench::new();
    bench.pushes(push_cases(&bench.seed));
    let seed = bench.seed.clone();
    let (admin, writer, alice, reader) = (
        bench.admin.clone(),
        bench.writer.clone(),
        bench.alice.clone(),
        bench.reader.clone(),
    );
    let (other, alice_admin, revoked) = (
        bench.other.clone(),
        bench.alice_admin.clone(),
        bench.revoked.clone(),
    );
    let path_remote = bench.path_remote.clone();
    let scratch = bench.scratch.path().to_path_buf();
    let path_repo = hive::Repository::open(&path_remote).unwrap();
    let address = bench.server.as_ref().unwrap().address.clone();
    let send = |request: Vec<u8>, half_close: bool| exchange(&address, request, half_close);
    let access_of = Bench::access;

    // The path transport itself, as `hive push` reaches a path remote.
    let transport = PathTransport::open("team.hive", &path_remote, false, "hostile").unwrap();
    for (name, body, says) in [
        (
            "bad magic",
            b"HIVESYNX\x01\0\0\0\x02\0\0\0{}".to_vec(),
            "not a hive transfer stream",
        ),
        ("an empty stream", Vec::new(), "ends early"),
        (
            "a reference to nothing",
            stream(
                &push_header(
                    "transport nothing",
                    json!([create_cmd("runs/x", &nothing("x"))]),
                ),
                &[],
            ),
            "not sent and is not here",
        ),
    ] {
        let result = transport.push(&mut body.as_slice());
        let expect = if name == "a reference to nothing" {
            Expect::Refs {
                status: "invalid",
                says,
            }
        } else {
            bad_request(says)
        };
        let (answer, mut problems) = judge_library(&result, as_report, &expect);
        problems.extend(bench.local.changes(true));
        bench
            .path
            .record(&format!("path transport push: {name}"), answer, problems);
    }
    let not_a_repo = scratch.join("not-a-repo");
    std::fs::create_dir(&not_a_repo).unwrap();
    std::fs::write(not_a_repo.join("file"), "keep me").unwrap();
    let opened = PathTransport::open("not-a-repo", &not_a_repo, false, "hostile").map(|_| ());
    let (answer, mut problems) = judge_library(
        &opened,
        no_report,
        &Expect::Error {
            status: 404,
            code: "not-found",
            says: "no hive repository",
        },
    );
    let left: Vec<_> = std::fs::read_dir(&not_a_repo).unwrap().collect();
    if left.len() != 1 {
        problems.push("opening a directory that is not a repository changed it".into());
    }
    bench.path.record(
        "open a directory that is not a repository",
        answer,
        problems,
    );

    // Wants of objects no readable reference reaches, through the library.
    let conflict = Expect::Error {
        status: 409,
        code: "conflict",
        says: "not the value of a reference you may read",
    };
    for (name, who, wants) in [
        (
            "a hidden run's head under a prefix scope",
            Who::Alice,
            vec![seed.secret_head],
        ),
        ("an event id", Who::Admin, vec![seed.an_event]),
        ("an id nothing has", Who::Admin, vec![nothing("want")]),
        (
            "an older commit, not a reference's value",
            Who::Reader,
            vec![seed.main_first],
        ),
    ] {
        let peer = Peer::new(
            &path_repo,
            access_of(who),
            "hostile",
            "path",
            limits(),
            None,
        );
        let request = WantRequest {
            wants,
            haves: Vec::new(),
        };
        let offered = peer.offer(&request);
        let (answer, mut problems) = judge_library(&offered, no_report, &conflict);
        let mut sink = Vec::new();
        let sent = peer.send(&request, None, &mut sink);
        let (_, more) = judge_library(&sent, no_report, &conflict);
        problems.extend(more);
        if !sink.is_empty() {
            problems.push(format!("{} bytes were sent", sink.len()));
        }
        problems.extend(bench.local.changes(false));
        bench.path.record(&format!("want {name}"), answer, problems);
    }
    for (name, wants) in [
        ("an event id", vec![seed.an_event]),
        ("an id nothing has", vec![nothing("t")]),
    ] {
        let request = WantRequest {
            wants,
            haves: Vec::new(),
        };
        let offered = transport.offer(&request);
        let (answer, mut problems) = judge_library(&offered, no_report, &conflict);
        let fetched = transport.fetch(&request, None, &mut |reader| {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
            Ok(())
        });
        problems.extend(judge_library(&fetched, no_report, &conflict).1);
        problems.extend(bench.local.changes(false));
        bench
            .path
            .record(&format!("path transport want {name}"), answer, problems);
    }

    // Requests only a server gets: names in URLs, tokens, endpoints, request bodies.
    let valid_push = stream(
        &push_header("url", json!([create_cmd("runs/url", &nothing("url"))])),
        &[],
    );
    let mut cases = Vec::new();
    let mut add = |name: String, request: Vec<u8>, expect: Expect| {
        cases.push(HttpCase {
            name,
            request,
            half_close: false,
            expect,
        })
    };
    let auth = |token: &str| vec![bearer(token)];
    let bad_name = Expect::Error {
        status: 400,
        code: "bad-name",
        says: "repository name",
    };
    let no_route = Expect::Error {
        status: 404,
        code: "not-found",
        says: "no such endpoint",
    };
    let long_repo = "a".repeat(101);
    let huge_repo = "b".repeat(20_000);
    for (repo, expect) in [
        ("..", bad_name.clone()),
        (".", bad_name.clone()),
        ("%2e%2e", bad_name.clone()),
        ("%2E%2E", bad_name.clone()),
        ("%2e%2e%2f%2e%2e%2fetc", bad_name.clone()),
        ("..%2f..%2ftmp", bad_name.clone()),
        ("%2fetc%2fpasswd", bad_name.clone()),
        ("team%2f..%2f..", bad_name.clone()),
        ("%00", bad_name.clone()),
        ("team%00", bad_name.clone()),
        ("%0a", bad_name.clone()),
        ("team%0d%0aX-Injected:%201", bad_name.clone()),
        ("%1b%5b31m", bad_name.clone()),
        ("team%5c..%5c..", bad_name.clone()),
        ("team\\..\\..", bad_name.clone()),
        (".tokens.json", bad_name.clone()),
        ("-team", bad_name.clone()),
        (".hidden", bad_name.clone()),
        ("t%C3%A9am", bad_name.clone()),
        ("team%20", bad_name.clone()),
        ("%ff%fe", bad_name.clone()),
        (long_repo.as_str(), bad_name.clone()),
        (huge_repo.as_str(), bad_name.clone()),
        ("", bad_name.clone()),
        ("/etc/passwd", no_route.clone()),
        ("team/", no_route.clone()),
        ("team/../team", no_route.clone()),
    ] {
        let shown: String = repo.chars().take(40).collect();
        add(
            format!("GET refs of repository {shown:?}"),
            request(
                "GET",
                format!("/{repo}/refs").as_bytes(),
                &auth(&admin),
                b"",
            ),
            expect.clone(),
        );
        add(
            format!("admin push creating repository {shown:?}"),
            request(
                "POST",
                format!("/{repo}/push").as_bytes(),
                &auth(&admin),
                &valid_push,
            ),
            expect,
        );
    }
    for (name, target) in [
        ("a NUL in the path", b"/te\0am/refs".to_vec()),
        ("an escape in the path", b"/te\x1bam/refs".to_vec()),
        ("a CR in the path", b"/te\ram/refs".to_vec()),
        ("a LF in the path", b"/te\nam/refs".to_vec()),
        ("a space in the path", b"/te am/refs".to_vec()),
        ("a DEL in the path", b"/te\x7fam/refs".to_vec()),
        ("an empty target", Vec::new()),
    ] {
        add(
            format!("a request line with {name}"),
            request("GET", &target, &auth(&admin), b""),
            Expect::Malformed,
        );
    }
    let unauthorized = |says| Expect::Error {
        status: 401,
        code: "unauthorized",
        says,
    };
    let big_token = format!("hive_{}", "x".repeat(50_000));
    // The admin's token with its last digit changed.
    let wrong_secret = format!(
        "{}{}",
        &admin[..admin.len() - 1],
        if admin.ends_with('0') { '1' } else { '0' }
    );
    for (name, headers) in [
        ("no token", Vec::new()),
        (
            "Basic credentials",
            vec![b"Authorization: Basic YWRtaW46YWRtaW4=".to_vec()],
        ),
        (
            "a lowercase scheme",
            vec![format!("Authorization: bearer {admin}").into_bytes()],
        ),
        (
            "a scheme without a token",
            vec![b"Authorization: Bearer".to_vec()],
        ),
        ("an empty token", vec![b"Authorization: Bearer ".to_vec()]),
        ("a wrong secret", vec![bearer(&wrong_secret)]),
        (
            "a secret cut short",
            vec![bearer(&admin[..admin.len() - 10])],
        ),
        ("an unknown id", vec![bearer("hive_000000000000_0000")]),
        (
            "an id alone",
            vec![bearer(admin.rsplit_once('_').unwrap().0)],
        ),
        ("garbage", vec![bearer("../../etc/passwd")]),
        (
            "bytes that are not UTF-8",
            vec![b"Authorization: Bearer hive_\xff\xfe".to_vec()],
        ),
        ("a 50 kB token", vec![bearer(&big_token)]),
        ("a revoked token", vec![bearer(&revoked)]),
    ] {
        let says = if headers.is_empty() {
            "token is required"
        } else {
            ""
        };
        let says = if name == "a wrong secret" || name == "a revoked token" {
            "not valid"
        } else {
            says
        };
        add(
            format!("refs with {name}"),
            request("GET", b"/team/refs", &headers, b""),
            unauthorized(says),
        );
        add(
            format!("push with {name}"),
            request("POST", b"/team/push", &headers, &valid_push),
            unauthorized(says),
        );
    }
    add(
        "a control character in the Authorization header".into(),
        request(
            "GET",
            b"/team/refs",
            &[format!("Authorization: Bearer {admin}\x01").into_bytes()],
            b"",
        ),
        Expect::Malformed,
    );
    let not_found = Expect::Error {
        status: 404,
        code: "not-found",
        says: "no repository named",
    };
    add(
        "a token for another repository reading".into(),
        request("GET", b"/team/refs", &auth(&other), b""),
        not_found.clone(),
    );
    add(
        "a token for another repository pushing".into(),
        request("POST", b"/team/push", &auth(&other), &valid_push),
        not_found.clone(),
    );
    add(
        "a write token creating a repository".into(),
        request("POST", b"/fresh/push", &auth(&writer), &valid_push),
        not_found.clone(),
    );
    add(
        "a prefix admin creating a repository".into(),
        request("POST", b"/fresh/push", &auth(&alice_admin), &valid_push),
        not_found.clone(),
    );
    add(
        "a token for another repository creating one".into(),
        request("POST", b"/fresh/push", &auth(&other), &valid_push),
        not_found.clone(),
    );
    add(
        "a reader listing a repository that does not exist".into(),
        request("GET", b"/fresh/refs", &auth(&reader), b""),
        not_found.clone(),
    );
    for (name, body) in [
        ("bad magic", b"HIVESYNX".to_vec()),
        ("a reference to nothing", valid_push.clone()),
        (
            "a truncated stream",
            valid_push[..valid_push.len() - 4].to_vec(),
        ),
    ] {
        let expect = if name == "a reference to nothing" {
            Expect::Refs {
                status: "invalid",
                says: "not sent",
            }
        } else {
            bad_request("")
        };
        add(
            format!("admin creating a repository with {name}"),
            request("POST", b"/fresh/push", &auth(&admin), &body),
            expect,
        );
    }
    for version in ["2", "0", "one", "1, 2", "-1"] {
        add(
            format!("Hive-Protocol: {version}"),
            request(
                "POST",
                b"/team/push",
                &[
                    bearer(&admin),
                    format!("Hive-Protocol: {version}").into_bytes(),
                ],
                &valid_push,
            ),
            Expect::Error {
                status: 400,
                code: "unsupported-protocol",
                says: "protocol",
            },
        );
    }
    let zero_push = "0".repeat(64);
    add(
        "has from a read-only token".into(),
        request(
            "POST",
            format!("/team/has?push={zero_push}").as_bytes(),
            &auth(&reader),
            seed.main_head.as_bytes(),
        ),
        Expect::Error {
            status: 403,
            code: "forbidden",
            says: "may not write",
        },
    );
    add(
        "has without a push name".into(),
        request(
            "POST",
            b"/team/has",
            &auth(&admin),
            seed.main_head.as_bytes(),
        ),
        bad_request("push"),
    );
    add(
        "has with a push name that is not an id".into(),
        request(
            "POST",
            b"/team/has?push=..%2f..%2f",
            &auth(&admin),
            seed.main_head.as_bytes(),
        ),
        bad_request("push"),
    );
    add(
        "has with 33 bytes".into(),
        request(
            "POST",
            format!("/team/has?push={zero_push}").as_bytes(),
            &auth(&admin),
            &[0u8; 33],
        ),
        bad_request("32-byte ids"),
    );
    let wants = |ids: &[ObjectId]| {
        serde_json::to_vec(
            &json!({"wants": ids.iter().map(ObjectId::to_hex).collect::<Vec<_>>(), "haves": []}),
        )
        .unwrap()
    };
    for endpoint in ["offer", "fetch"] {
        let target = format!("/team/{endpoint}");
        for (name, token, body) in [
            (
                "a hidden run's head under a prefix scope",
                &alice,
                wants(&[seed.secret_head]),
            ),
            ("an event id", &admin, wants(&[seed.an_event])),
            ("an id nothing has", &admin, wants(&[nothing("http want")])),
            ("an older commit", &reader, wants(&[seed.main_first])),
            (
                "a readable and a hidden head",
                &alice,
                wants(&[seed.alice_head, seed.secret_head]),
            ),
        ] {
            add(
                format!("{endpoint}: want {name}"),
                request("POST", target.as_bytes(), &auth(token), &body),
                Expect::Error {
                    status: 409,
                    code: "conflict",
                    says: "not the value of a reference",
                },
            );
        }
        for (name, body, says) in [
            ("garbage JSON", b"{wants".to_vec(), ""),
            (
                "wants that are not ids",
                b"{\"wants\":[\"../../etc/passwd\"]}".to_vec(),
                "not an object id",
            ),
            (
                "haves that are not ids",
                format!("{{\"wants\":[],\"haves\":[\"{}\"]}}", "z".repeat(64)).into_bytes(),
                "not an object id",
            ),
            (
                "wants of the wrong type",
                b"{\"wants\":\"all\"}".to_vec(),
                "",
            ),
        ] {
            add(
                format!("{endpoint}: {name}"),
                request("POST", target.as_bytes(), &auth(&admin), &body),
                bad_request(says),
            );
        }
    }
    let select = |hex: &str| {
        serde_json::to_vec(&json!({"wants": [seed.main_head.to_hex()], "haves": [], "select": hex}))
            .unwrap()
    };
    add(
        "fetch: a selection longer than the offer".into(),
        request(
            "POST",
            b"/team/fetch",
            &auth(&admin),
            &select(&"ff".repeat(4096)),
        ),
        Expect::Error {
            status: 409,
            code: "conflict",
            says: "selection",
        },
    );
    add(
        "fetch: a selection of an odd length".into(),
        request("POST", b"/team/fetch", &auth(&admin), &select("fff")),
        bad_request("odd"),
    );
    add(
        "fetch: a selection that is not hex".into(),
        request("POST", b"/team/fetch", &auth(&admin), &select("zz")),
        bad_request("not hex"),
    );
    let not_allowed = Expect::Error {
        status: 405,
        code: "method-not-allowed",
        says: "method",
    };
    for (method, target) in [
        ("GET", "/team/push"),
        ("POST", "/team/refs"),
        ("DELETE", "/team/refs"),
        ("PUT", "/team/push"),
    ] {
        add(
            format!("{method} {target}"),
            request(method, target.as_bytes(), &auth(&admin), b""),
            not_allowed.clone(),
        );
    }
    for target in [
        "/team/objects",
        "/team",
        "/",
        "/team/refs/x",
        "/team/../../etc/passwd",
    ] {
        add(
            format!("GET {target}"),
            request("GET", target.as_bytes(), &auth(&admin), b""),
            no_route.clone(),
        );
    }
    let mut chunked =
        b"POST /team/push HTTP/1.1\r\nHost: hive.test\r\nConnection: close\r\n".to_vec();
    chunked.extend_from_slice(&bearer(&admin));
    chunked.extend_from_slice(b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nHIVESYNC\r\n0\r\n\r\n");
    add(
        "a chunk size that is not hex".into(),
        chunked,
        Expect::Malformed,
    );
    // Over the 64 MiB limit of a JSON request.
    let mut oversized = b"{\"wants\":[],\"haves\":[".to_vec();
    oversized.resize((64 << 20) + 100, b' ');
    add(
        "offer: a JSON body over 64 MiB".into(),
        request("POST", b"/team/offer", &auth(&admin), &oversized),
        too_large("over"),
    );
    // A body that ends before its Content-Length: the client went away mid-push.
    let mut cut_off = request("POST", b"/team/push", &auth(&admin), &valid_push);
    let declared = format!("Content-Length: {}", valid_push.len());
    let at = cut_off
        .windows(declared.len())
        .position(|window| window == declared.as_bytes())
        .unwrap();
    cut_off.splice(
        at..at + declared.len(),
        b"Content-Length: 100000".iter().copied(),
    );
    cases.push(HttpCase {
        name: "a body shorter than its Content-Length".into(),
        request: cut_off,
        half_close: true,
        expect: bad_request(""),
    });
    let mut cut_json = request("POST", b"/team/offer", &auth(&admin), b"{\"wants\":[");
    let declared = b"Content-Length: 10\r\n";
    let at = cut_json
        .windows(declared.len())
        .position(|window| window == declared)
        .unwrap();
    cut_json.splice(
        at..at + declared.len(),
        b"Content-Length: 5000\r\n".iter().copied(),
    );
    cases.push(HttpCase {
        name: "a JSON body shorter than its Content-Length".into(),
        request: cut_json,
        half_close: true,
        expect: bad_request("cut off"),
    });

    for case in cases {
        let reply = send(case.request, case.half_close);
        let (answer, mut problems) = judge_http(&reply, &case.expect);
        problems.extend(bench.served.changes(false));
        bench.http.record(&case.name, answer, problems);
    }

    // A has answers nothing about objects outside the token's reach, and the repositories are whole.
    let reply = send(
        request(
            "POST",
            format!("/team/has?push={zero_push}").as_bytes(),
            &auth(&alice),
            &[
                seed.secret_head.as_bytes().as_slice(),
                seed.an_event.as_bytes(),
            ]
            .concat(),
        ),
        false,
    )
    .unwrap();
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &[0u8][..]),
        "{reply:?}"
    );
    bench.control();
    bench.finish(300);
}

/// Objects a pushed object references that the repository already holds, but of another kind than the reference
/// needs. The connectivity check (`Quarantine::check`, src/sync/receive.rs) stops at any object the repository
/// holds without looking at its kind, so these are accepted, and the repository gets a run whose history does
/// not read.
#[test]
fn hostile_pushes_referencing_held_objects_of_the_wrong_kind_are_refused() {
    let mut bench = Bench::new();
    let seed = bench.seed.clone();
    let cases = wrong_kind_cases(&seed);
    bench.pushes(cases);
    bench.finish(8);
}

fn wrong_kind_cases(seed: &Seed) -> Vec<PushCase> {
    let held_event = seed.an_event;
    let held_commit = seed.main_first;
    let mut cases = Vec::new();
    let mut add = |name: &str, run: &str, commit: RawObject, sent: Vec<&RawObject>| {
        let mut records: Vec<Vec<u8>> = sent.into_iter().map(object).collect();
        records.push(object(&commit));
        cases.push(PushCase {
            name: name.to_string(),
            who: Who::Admin,
            body: stream(
                &push_header(run, json!([create_cmd(run, &commit.id())])),
                &records,
            ),
            expect: Expect::Refs {
                status: "invalid",
                says: "",
            },
            keeps: true,
        });
    };
    add(
        "a commit whose parent is an event the repository holds",
        "runs/parent-event",
        commit_like(&seed.main_commit, "parent event", |c| {
            c.parents = vec![held_event]
        }),
        vec![],
    );
    add(
        "a commit whose event list is a commit the repository holds",
        "runs/events-commit",
        commit_like(&seed.main_commit, "events commit", |c| {
            c.parents = vec![];
            c.events = Some(held_commit);
        }),
        vec![],
    );
    let list = EventList {
        first_seq: 0,
        events: vec![held_commit],
    }
    .encode();
    add(
        "an event list whose event is a commit the repository holds",
        "runs/event-commit",
        commit_like(&seed.main_commit, "event commit", |c| {
            c.parents = vec![];
            c.events = Some(list.id());
        }),
        vec![&list],
    );
    add(
        "a commit whose tree is an event the repository holds",
        "runs/tree-event",
        commit_like(&seed.main_commit, "tree event", |c| {
            c.tree = Some(held_event)
        }),
        vec![],
    );
    cases
}
