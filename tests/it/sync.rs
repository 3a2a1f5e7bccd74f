//! Sync between repositories: path remotes, and a real `hive serve` process on 127.0.0.1 with tokens.

use crate::util::{Project, hive_bin, hive_command, session};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A `hive serve` process on a free port, killed when dropped.
pub(crate) struct Server {
    child: Child,
    url: String,
    root: PathBuf,
}

impl Server {
    fn start(root: &Path) -> Server {
        Self::start_with(root, &[])
    }

    /// A server that lets anyone read and write (`--no-auth`).
    pub(crate) fn start_open(root: &Path) -> Server {
        Self::start_with(root, &["--no-auth"])
    }

    fn start_with(root: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(hive_bin())
            .args([
                "serve",
                "--root",
                root.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
                "--grace",
                "5",
            ])
            .args(extra)
            .env("HIVE_AUTHOR", "Server <server@example.com>")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("hive serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the server prints its URL");
        assert!(
            line.starts_with("http://"),
            "unexpected first line {line:?}"
        );
        Server {
            child,
            url: line.trim().to_string(),
            root: root.to_path_buf(),
        }
    }

    pub(crate) fn repo_url(&self, repo: &str) -> String {
        format!("{}/{repo}", self.url)
    }

    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// One request; returns the status and body.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connects");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text[9..12].parse().expect("a status line");
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn token(root: &Path, name: &str, grants: &[&str]) -> String {
    let mut args = vec![
        "token",
        "create",
        "--root",
        root.to_str().unwrap(),
        "--name",
        name,
    ];
    for grant in grants {
        args.extend(["--grant", grant]);
    }
    let run = Project::empty().hive(&args);
    run.ok().trim().to_string()
}

fn with_token(project: &Project, token: &str, args: &[&str]) -> crate::util::Run {
    crate::util::Run::from(
        hive_command(project.path())
            .env("HIVE_TOKEN", token)
            .args(args)
            .output()
            .expect("hive runs"),
    )
}

/// `hive push -q` started in each project at once, with `token`.
fn spawn_pushes(projects: &[Project], token: &str) -> Vec<Child> {
    projects
        .iter()
        .map(|project| {
            hive_command(project.path())
                .env("HIVE_TOKEN", token)
                .args(["push", "-q"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

fn clone_of(url: &str, token: Option<&str>) -> Project {
    let project = Project::empty();
    let mut command = hive_command(project.path());
    if let Some(token) = token {
        command.env("HIVE_TOKEN", token);
    }
    let output = command.args(["clone", url, "."]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    project
}

fn runs(project: &Project) -> Vec<(String, String)> {
    let listed = project.hive(&["runs", "--json"]).json_lines();
    let mut runs: Vec<(String, String)> = listed
        .iter()
        .map(|run| {
            (
                run["name"].as_str().unwrap().to_string(),
                run["head"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    runs.sort();
    runs
}

fn fsck_clean(dir: &Path) {
    let output = hive_command(dir)
        .env("HIVE_DIR", dir)
        .args(["fsck"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fsck of {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout)
    );
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A session with a large tool output (20 kB that do not compress), shared between runs that read the same file.
fn session_with_file(text: &str, file: &str) -> String {
    let seed = file.bytes().fold(7u64, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u64::from(byte))
    });
    let output = noise(seed, 20_000);
    format!(
        "{}{{\"kind\":\"tool_result\",\"call_id\":\"c2\",\"output\":\"{output}\"}}\n",
        session(text)
    )
}

#[test]
fn two_teammates_share_runs_through_a_path_remote() {
    let team = tempfile::tempdir().unwrap();
    let remote = team.path().join("team.hive");
    let alice = Project::new();
    alice.stage_and_commit(
        "fix-login",
        &session_with_file("fix the login", "README contents"),
    );
    alice
        .hive(&["remote", "add", "origin", remote.to_str().unwrap()])
        .ok();
    let pushed = alice.hive(&["push", "--json"]).json();
    assert_eq!(
        statuses(&pushed),
        [("runs/fix-login".into(), "created".into())]
    );
    assert!(pushed["objects"].as_u64().unwrap() >= 8);
    // A second push has nothing to send.
    let again = alice.hive(&["push", "--json"]).json();
    assert_eq!(
        statuses(&again),
        [("runs/fix-login".into(), "up-to-date".into())]
    );
    assert_eq!(again["objects"], 0);

    let bob = clone_of(remote.to_str().unwrap(), None);
    assert_eq!(runs(&bob), runs(&alice));
    // Bob's new run reads the same file: its payload is not sent again.
    bob.stage_and_commit(
        "add-tests",
        &session_with_file("add tests", "README contents"),
    );
    let pushed = bob.hive(&["push", "--json"]).json();
    assert_eq!(statuses(&pushed)[0].1, "created");
    let repo = hive::Repository::open(&bob.hive_dir()).unwrap();
    let head = repo.head("add-tests").unwrap().unwrap().0;
    let blobs = count_kind(&repo, head, hive::id::ObjectKind::Blob);
    assert!(blobs >= 1, "the session stores its output as a blob");
    // The commit, its event list, and the events the remote lacks; not the shared 20 kB blob.
    let events = repo.events("add-tests").unwrap().len() as u64;
    assert!(pushed["objects"].as_u64().unwrap() < 2 + events, "{pushed}");
    assert!(pushed["bytes"].as_u64().unwrap() < 5_000, "{pushed}");

    // Alice pulls: the new run arrives, hers is unchanged.
    let pulled = alice.hive(&["pull", "--json"]).json();
    let created: Vec<&str> = pulled["refs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "created")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["runs/add-tests"]);
    assert_eq!(runs(&alice), runs(&bob));
    for project in [&alice, &bob] {
        fsck_clean(&project.hive_dir());
    }
    fsck_clean(&remote);
}

fn count_kind(repo: &hive::Repository, head: hive::ObjectId, kind: hive::id::ObjectKind) -> usize {
    use hive::store::ObjectStore;
    let commit = hive::repo::read_commit(repo.odb(), head).unwrap();
    let list = hive::object::EventList::decode(
        &repo.odb().read(&commit.events.unwrap()).unwrap().unwrap(),
    )
    .unwrap();
    let mut found = std::collections::HashSet::new();
    for event in list.events {
        let raw = repo.odb().read(&event).unwrap().unwrap();
        let value = hive::object::decode_event_json(&raw).unwrap();
        for reference in hive::payload::refs_of(&value).unwrap() {
            if repo.odb().read(&reference.blob).unwrap().unwrap().kind == kind {
                found.insert(reference.blob);
            }
        }
    }
    found.len()
}

#[test]
fn a_diverged_run_is_refused_then_merged_by_pull() {
    let team = tempfile::tempdir().unwrap();
    let remote = team.path().join("team.hive");
    let alice = Project::new();
    alice.stage_and_commit("shared", &session("start"));
    alice.hive(&["push", remote.to_str().unwrap()]).ok();
    alice
        .hive(&["remote", "add", "origin", remote.to_str().unwrap()])
        .ok();
    alice.hive(&["fetch"]).ok();
    let bob = clone_of(remote.to_str().unwrap(), None);
    alice.stage_and_commit(
        "shared",
        "{\"kind\":\"user_message\",\"text\":\"alice goes on\"}\n",
    );
    bob.stage_and_commit(
        "shared",
        "{\"kind\":\"user_message\",\"text\":\"bob goes on\"}\n",
    );
    bob.hive(&["push"]).ok();
    let refused = alice.hive(&["push", "--json"]);
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(refused.stderr.contains("hive pull"), "{}", refused.stderr);
    let report: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(statuses(&report)[0].1, "non-fast-forward");
    // Pull merges: a commit whose second parent is bob's head; then alice's push is a fast-forward.
    let pulled = alice.hive(&["pull", "--json"]).json();
    assert_eq!(pulled["refs"][0]["status"], "merged", "{pulled}");
    let log = alice.hive(&["log", "shared", "--json"]).json_lines();
    assert_eq!(log[0]["parents"].as_array().unwrap().len(), 2);
    let pushed = alice.hive(&["push", "--json"]).json();
    assert_eq!(statuses(&pushed)[0].1, "fast-forward");
    let pulled = bob.hive(&["pull", "--json"]).json();
    assert_eq!(pulled["refs"][0]["status"], "fast-forward");
    assert_eq!(runs(&alice), runs(&bob));
    // --force replaces, on a path remote.
    bob.hive(&["rm", "shared"]).ok();
    bob.stage_and_commit("shared", &session("again"));
    assert_eq!(bob.hive(&["push"]).code, 5);
    let forced = bob.hive(&["push", "--force", "--json"]).json();
    assert_eq!(statuses(&forced)[0].1, "forced");
    fsck_clean(&remote);
}

#[test]
fn teammates_push_and_pull_both_ways_through_hive_serve() {
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let server = Server::start(root.path());
    let alice = Project::new();
    alice.stage_and_commit("fix-login", &session("fix the login"));
    let url = server.repo_url("team");
    alice
        .hive(&["remote", "add", "origin", &url, "--token", &admin])
        .ok();
    let pushed = alice.hive(&["push", "--json"]).json();
    assert_eq!(
        statuses(&pushed),
        [("runs/fix-login".into(), "created".into())]
    );
    let bob = clone_of(&url, Some(&admin));
    assert_eq!(runs(&bob), runs(&alice));
    bob.stage_and_commit(
        "fix-login",
        "{\"kind\":\"user_message\",\"text\":\"one more thing\"}\n",
    );
    bob.stage_and_commit("bob-run", &session("bob's work"));
    with_token(&bob, &admin, &["push"]).ok();
    let pulled = alice.hive(&["pull", "--json"]).json();
    let mut seen: Vec<(String, String)> = pulled["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("runs/bob-run".to_string(), "created".to_string()),
            ("runs/fix-login".into(), "fast-forward".into())
        ]
    );
    alice.stage_and_commit(
        "bob-run",
        "{\"kind\":\"user_message\",\"text\":\"reviewed\"}\n",
    );
    alice.hive(&["push"]).ok();
    with_token(&bob, &admin, &["pull"]).ok();
    assert_eq!(runs(&alice), runs(&bob));
    // Remote-tracking references name the server's runs.
    let tracked = alice.hive(&["log", "remotes/origin/runs/bob-run", "--json"]);
    assert_eq!(tracked.code, 0, "{tracked:?}");
    for project in [&alice, &bob] {
        fsck_clean(&project.hive_dir());
    }
    fsck_clean(&server.root.join("team"));
}

#[test]
fn tokens_scope_what_each_client_reads_and_writes() {
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let reader = token(root.path(), "reader", &["read:team"]);
    let alice = token(root.path(), "alice", &["write:team:alice/"]);
    let other = token(root.path(), "other", &["admin:other"]);
    let revoked = token(root.path(), "revoked", &["admin:*"]);
    Project::empty()
        .hive(&[
            "token",
            "revoke",
            "--root",
            root.path().to_str().unwrap(),
            "revoked",
        ])
        .ok();
    let server = Server::start(root.path());
    let url = server.repo_url("team");
    let owner = Project::new();
    owner.stage_and_commit("secret-run", &session("the secret plan"));
    owner.stage_and_commit("alice/start", &session("alice's start"));
    with_token(&owner, &admin, &["push", &url]).ok();
    let secret_head = runs(&owner)[1].1.clone();

    // No token, a wrong one, a revoked one: 401, for a repository that exists as for one that does not.
    for path in ["/team/refs", "/nothing/refs"] {
        assert_eq!(server.request("GET", path, None, b"").0, 401);
        assert_eq!(
            server.request("GET", path, Some("hive_0000_1111"), b"").0,
            401
        );
        assert_eq!(server.request("GET", path, Some(&revoked), b"").0, 401);
    }
    // A token for another repository: 404, the same answer as for a missing one.
    let (status, hidden) = server.request("GET", "/team/refs", Some(&other), b"");
    let (missing_status, missing) = server.request("GET", "/nothing/refs", Some(&reader), b"");
    assert_eq!((status, missing_status), (404, 404));
    assert_eq!(hidden.replace("team", "X"), missing.replace("nothing", "X"));
    let outsider = Project::new();
    let refused = with_token(&outsider, &other, &["fetch", &url]);
    assert_eq!(refused.code, 4, "{refused:?}");

    // A prefix token sees and fetches only its runs.
    let (status, refs) = server.request("GET", "/team/refs", Some(&alice), b"");
    assert_eq!(status, 200);
    assert!(
        refs.contains("runs/alice/start") && !refs.contains("secret-run"),
        "{refs}"
    );
    let mate = clone_of(&url, Some(&alice));
    assert_eq!(runs(&mate).len(), 1);
    // Asking for the hidden run's head by id gets nothing, and so does asking whether its objects exist.
    let want = format!("{{\"wants\":[\"{secret_head}\"],\"haves\":[]}}");
    let (status, _) = server.request("POST", "/team/fetch", Some(&alice), want.as_bytes());
    assert_eq!(status, 409);
    let (status, _) = server.request("POST", "/team/offer", Some(&alice), want.as_bytes());
    assert_eq!(status, 409);
    let id = hive::ObjectId::from_hex(&secret_head).unwrap();
    let (status, bits) = server.request(
        "POST",
        &format!("/team/has?push={}", "0".repeat(64)),
        Some(&alice),
        id.as_bytes(),
    );
    assert_eq!((status, bits.as_bytes()), (200, &[0u8][..]));
    // It writes under its prefix only, and cannot force.
    mate.stage_and_commit("alice/next", &session("next"));
    mate.stage_and_commit("not-alice", &session("elsewhere"));
    let pushed = with_token(&mate, &alice, &["push", "--json"]);
    assert_eq!(pushed.code, 5);
    let report: Value = serde_json::from_str(&pushed.stdout).unwrap();
    let mut seen = statuses(&report);
    seen.sort();
    assert_eq!(
        seen,
        [
            ("runs/alice/next".to_string(), "created".to_string()),
            ("runs/alice/start".into(), "up-to-date".into()),
            ("runs/not-alice".into(), "forbidden".into())
        ]
    );
    mate.hive(&["rm", "alice/start"]).ok();
    mate.stage_and_commit("alice/start", &session("rewritten"));
    let forced = with_token(&mate, &alice, &["push", "--force", "--json", "alice/start"]);
    let report: Value = serde_json::from_str(&forced.stdout).unwrap();
    assert_eq!(statuses(&report)[0].1, "forbidden");
    // A read token reads everything and writes nothing.
    let reading = clone_of(&url, Some(&reader));
    assert_eq!(runs(&reading).len(), 3);
    reading.stage_and_commit("from-reader", &session("nope"));
    let refused = with_token(&reading, &reader, &["push", "from-reader"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("may not write"),
        "{}",
        refused.stderr
    );
    // The admin can force.
    let forced = with_token(&mate, &admin, &["push", "--force", "--json", "alice/start"]);
    let report: Value = serde_json::from_str(&forced.stdout).unwrap();
    assert_eq!(statuses(&report)[0].1, "forced");
    fsck_clean(&root.path().join("team"));
}

#[test]
fn twenty_clients_push_different_runs_at_once() {
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let server = Server::start(root.path());
    let url = server.repo_url("team");
    let seed = Project::new();
    seed.stage_and_commit("seed", &session("seed"));
    with_token(&seed, &admin, &["push", &url]).ok();
    let clients: Vec<Project> = (0..20)
        .map(|index| {
            let client = clone_of(&url, Some(&admin));
            client.stage_and_commit(
                &format!("client-{index}"),
                &session_with_file(&format!("work {index}"), &format!("file {index}")),
            );
            client
        })
        .collect();
    let children = spawn_pushes(&clients, &admin);
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let everyone = clone_of(&url, Some(&admin));
    assert_eq!(runs(&everyone).len(), 21);
    fsck_clean(&root.path().join("team"));
}

#[test]
fn racing_pushes_to_one_run_let_one_win_and_the_other_pull() {
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let server = Server::start(root.path());
    let url = server.repo_url("team");
    let seed = Project::new();
    seed.stage_and_commit("shared", &session("start"));
    with_token(&seed, &admin, &["push", &url]).ok();
    let racers: Vec<Project> = (0..2).map(|_| clone_of(&url, Some(&admin))).collect();
    for (index, racer) in racers.iter().enumerate() {
        racer.stage_and_commit(
            "shared",
            &format!("{{\"kind\":\"user_message\",\"text\":\"racer {index}\"}}\n"),
        );
    }
    let children = spawn_pushes(&racers, &admin);
    let codes: Vec<i32> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 5], "one push wins, the other is refused");
    let loser = &racers[codes.iter().position(|code| *code == 5).unwrap()];
    with_token(loser, &admin, &["pull"]).ok();
    with_token(loser, &admin, &["push"]).ok();
    let winner = &racers[codes.iter().position(|code| *code == 0).unwrap()];
    with_token(winner, &admin, &["pull"]).ok();
    assert_eq!(runs(winner), runs(loser));
    fsck_clean(&root.path().join("team"));
}

/// Deterministic bytes that do not compress, as hex text.
fn noise(seed: u64, bytes: usize) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = String::with_capacity(bytes);
    while text.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        text.push_str(&format!("{state:016x}"));
    }
    text
}

#[test]
fn a_server_killed_mid_push_leaves_its_repository_whole_and_the_retry_sends_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let mut server = Server::start(root.path());
    let url = server.repo_url("team");
    let project = Project::new();
    project
        .hive(&["remote", "add", "origin", &url, "--token", &admin])
        .ok();
    project.stage_and_commit("seed", &session("seed"));
    project.hive(&["push"]).ok();
    // About 48 MB that does not compress, in 1 MiB outputs.
    let mut input = String::new();
    for index in 0..48u64 {
        input.push_str(&format!(
            "{{\"kind\":\"tool_result\",\"call_id\":\"c{index}\",\"output\":\"{}\"}}\n",
            noise(index, 1 << 20)
        ));
    }
    project.stage_and_commit("big", &input);
    let full = tempfile::tempdir().unwrap();
    let whole = project
        .hive(&[
            "push",
            "--json",
            full.path().join("x").to_str().unwrap(),
            "big",
        ])
        .json();
    let whole_bytes = whole["bytes"].as_u64().unwrap();
    let mut push = hive_command(project.path())
        .args(["push", "-q", "big"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once the server has kept a first part of the push.
    let incoming = root.path().join("team/incoming");
    let started = std::time::Instant::now();
    let kept = loop {
        let packs = crate::util::all_files(&incoming)
            .into_iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
            .count();
        if packs > 0 {
            break true;
        }
        if push.try_wait().unwrap().is_some()
            || started.elapsed() > std::time::Duration::from_secs(120)
        {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    server.kill();
    let output = push.wait_with_output().unwrap();
    assert!(
        kept,
        "the server never kept part of the push: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "the push was cut off");
    // The repository is as before: the seed only, and whole.
    fsck_clean(&root.path().join("team"));
    let restarted = Server::start(root.path());
    let url = restarted.repo_url("team");
    project.hive(&["remote", "remove", "origin"]).ok();
    project
        .hive(&["remote", "add", "origin", &url, "--token", &admin])
        .ok();
    let retried = project.hive(&["push", "--json"]).json();
    assert_eq!(
        statuses(&retried)[0],
        ("runs/big".to_string(), "created".to_string())
    );
    // What the server kept before it was killed does not travel again.
    let sent = retried["bytes"].as_u64().unwrap();
    assert!(
        sent + (4 << 20) < whole_bytes,
        "the retry sent {sent} of {whole_bytes} bytes"
    );
    fsck_clean(&root.path().join("team"));
    fsck_clean(&project.hive_dir());
    let copy = clone_of(&url, Some(&admin));
    assert_eq!(runs(&copy), runs(&project));
}

#[test]
fn a_clone_of_the_real_sessions_holds_them_all() {
    let Some(data) = crate::util::test_data() else {
        eprintln!("HIVE_TEST_DATA is not set: the clone of real sessions is skipped");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let admin = token(root.path(), "admin", &["admin:*"]);
    let server = Server::start(root.path());
    let url = server.repo_url("real");
    let source = Project::new();
    for folder in [
        "claude-code",
        "codex",
        "swe-agent",
        "mini-swe-agent",
        "openhands",
        "tau-bench",
    ] {
        let path = data.join(folder);
        if path.is_dir() {
            source
                .hive(&["import", path.to_str().unwrap(), "-q", "--json"])
                .json();
        }
    }
    let expected = runs(&source);
    assert!(expected.len() > 50, "{} runs", expected.len());
    with_token(&source, &admin, &["push", &url, "-q"]).ok();
    let copy = clone_of(&url, Some(&admin));
    assert_eq!(runs(&copy), expected);
    fsck_clean(&copy.hive_dir());
    fsck_clean(&root.path().join("real"));
    // Every run reads back the same events.
    for (run, _) in expected.iter().step_by(7) {
        assert_eq!(
            copy.hive(&["show", run, "--json"]).stdout,
            source.hive(&["show", run, "--json"]).stdout
        );
    }
    // A second clone through a path remote matches too.
    let by_path = clone_of(root.path().join("real").to_str().unwrap(), None);
    assert_eq!(runs(&by_path), expected);
}
