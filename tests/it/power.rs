//! Power loss: at every step that writes, flushes, renames or removes a file during a journal append, a commit,
//! a gc and a push's receive, the power is cut (hive::fault). Each crash image (only what was flushed; all of it;
//! and random mixes that lose or keep each unflushed name and tear unflushed bytes) must open, pass fsck, hold
//! either the state before the operation or the state after it, keep every commit acknowledged before, and take
//! the next commit.

use hive::Repository;
use hive::fault::{self, Plan, Step};
use hive::repo::{CommitOptions, GcOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Crash images per step: flushed only, everything, and this many minus two random mixes.
const IMAGES: usize = 5;

/// What a user can see of a repository: each run's committed events and the events staged after them.
type State = BTreeMap<String, (Vec<Value>, Vec<Value>)>;

fn state(repo: &Repository) -> State {
    let mut runs: Vec<String> = repo
        .runs()
        .unwrap()
        .into_iter()
        .map(|run| run.name)
        .collect();
    runs.extend(repo.journal().runs().unwrap());
    runs.sort();
    runs.dedup();
    let mut out = State::new();
    for run in runs {
        let committed: Vec<Value> = match repo.head(&run).unwrap() {
            Some(_) => repo
                .events(&run)
                .unwrap()
                .into_iter()
                .map(|shown| Value::Object(shown.event))
                .collect(),
            None => Vec::new(),
        };
        let staged: Vec<Value> = repo
            .journal()
            .read(&run)
            .unwrap()
            .events
            .into_iter()
            .filter(|staged| staged.seq >= committed.len() as u64)
            .map(|staged| Value::Object(staged.event))
            .collect();
        if committed.is_empty() && staged.is_empty() {
            continue;
        }
        out.insert(run, (committed, staged));
    }
    out
}

/// Commit options with a fixed time, so that every run of an operation writes the same objects in the same steps.
fn options() -> CommitOptions {
    CommitOptions {
        time: Some(hive::time::Timestamp(1_767_323_045_000)),
        ..CommitOptions::default()
    }
}

fn heads(repo: &Repository) -> Vec<(String, String)> {
    repo.runs()
        .unwrap()
        .into_iter()
        .map(|run| {
            let (head, _) = repo.require_head(&run.name).unwrap();
            (run.name, head.to_hex())
        })
        .collect()
}

fn events(tag: &str, count: usize) -> String {
    (0..count)
        .map(|n| {
            if n % 3 == 1 {
                // Large enough to be stored as a payload object of its own.
                format!(
                    "{{\"kind\":\"tool_result\",\"ts\":\"2026-01-02T03:04:05Z\",\"call_id\":\"{tag}-{n}\",\"output\":\"{}\"}}\n",
                    format!("{tag} {n} ").repeat(900)
                )
            } else {
                format!("{{\"kind\":\"user_message\",\"ts\":\"2026-01-02T03:04:05Z\",\"text\":\"{tag} {n}\"}}\n")
            }
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A repository with two committed runs (loose objects and a pack) and staged events on one.
fn base(dir: &Path) -> PathBuf {
    let (repo, _) = Repository::init(dir).unwrap();
    repo.append("alpha", events("a1", 6).as_bytes()).unwrap();
    repo.append("beta", events("b1", 4).as_bytes()).unwrap();
    repo.commit(None, &options()).unwrap();
    repo.gc(&GcOptions::default()).unwrap();
    repo.append("alpha", events("a2", 5).as_bytes()).unwrap();
    repo.commit(Some("alpha"), &options()).unwrap();
    repo.append("beta", events("b2", 4).as_bytes()).unwrap();
    repo.dir().to_path_buf()
}

/// A temporary directory in memory when the machine has one (flushes there cost nothing, and the test flushes
/// thousands of times), else on disk.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

/// The figures of one explored operation.
#[derive(Debug, Default)]
struct Explored {
    steps: usize,
    images: usize,
    before: usize,
    after: usize,
    mixed: usize,
}

/// Cuts the power at every step of `operation` (run on a copy of `before`, a repository directory), and checks
/// every crash image. `armed` picks the directory the power is cut in from the copy (the repository itself, or
/// the remote a push writes to), whose state is compared.
fn explore(
    name: &str,
    before: &Path,
    armed: impl Fn(&Path) -> PathBuf,
    operation: impl Fn(&Path) -> Result<(), String>,
) -> Explored {
    let scratch = scratch();
    let source = before.parent().unwrap();
    let open = |dir: &Path| Repository::open(dir).unwrap();

    // A run without a cut: the steps, and the state after.
    let whole = scratch.path().join("whole");
    copy_dir(source, &whole);
    let before_state = state(&open(&armed(&whole)));
    let before_heads = heads(&open(&armed(&whole)));
    let steps = {
        let guard = fault::arm(&armed(&whole), Plan::Record).unwrap();
        operation(&whole).unwrap_or_else(|error| panic!("{name} without a cut: {error}"));
        guard.log()
    };
    let after_state = state(&open(&armed(&whole)));
    assert_ne!(before_state, after_state, "{name} changes what a user sees");
    assert!(
        steps.iter().any(|logged| logged.step == Step::Flush),
        "{name} flushes"
    );

    let mut figures = Explored {
        steps: steps.len(),
        ..Explored::default()
    };
    for (at, cut) in steps.iter().enumerate() {
        let copy = scratch.path().join(format!("cut-{at}"));
        copy_dir(source, &copy);
        let out = scratch.path().join(format!("images-{at}"));
        let guard = fault::arm(
            &armed(&copy),
            Plan::Crash {
                at,
                out: out.clone(),
                images: IMAGES,
                seed: at as u64,
            },
        )
        .unwrap();
        let result = operation(&copy);
        assert!(guard.crashed(), "{name}: the power was cut at step {at}");
        // An operation that reports success although a step failed must have made its work durable before:
        // only a best-effort step (removing a leftover) may fail without failing it.
        let acknowledged = result.is_ok();
        let images = guard.images();
        drop(guard);
        for (number, image) in images.iter().enumerate() {
            let context = format!("{name}, power cut at step {at} ({:?}), image {number}", cut);
            let repo = Repository::open(image)
                .unwrap_or_else(|error| panic!("{context}: the repository opens: {error}"));
            let report = repo.fsck().unwrap();
            assert!(
                !report.has_errors(),
                "{context}: fsck finds no damage: {:?}",
                report.problems
            );
            // Each run is as it was before or as it is after (an operation on several runs, such as a push of
            // several, is atomic run by run).
            let found = state(&repo);
            let runs: std::collections::BTreeSet<&String> = before_state
                .keys()
                .chain(after_state.keys())
                .chain(found.keys())
                .collect();
            for run in runs {
                let now = found.get(run);
                assert!(
                    now == before_state.get(run) || now == after_state.get(run),
                    "{context}: run {run} is as before or as after\nbefore: {:?}\nafter: {:?}\nfound: {:?}",
                    summary(&before_state),
                    summary(&after_state),
                    summary(&found)
                );
            }
            assert!(
                !acknowledged || found == after_state,
                "{context}: {name} reported success, so its work is durable\nafter: {:?}\nfound: {:?}",
                summary(&after_state),
                summary(&found)
            );
            if found == before_state {
                figures.before += 1;
            } else if found == after_state {
                figures.after += 1;
            } else {
                figures.mixed += 1;
            }
            // Every commit acknowledged before the cut is still in its run's history.
            crate::util::assert_in_history(
                &repo,
                &before_heads,
                &format!("{context}: acknowledged commit"),
            );
            // And the repository takes new work.
            repo.append("after-cut", events("z", 2).as_bytes())
                .unwrap_or_else(|error| panic!("{context}: an append after the cut: {error}"));
            repo.commit(None, &options())
                .unwrap_or_else(|error| panic!("{context}: a commit after the cut: {error}"));
            let report = repo.fsck().unwrap();
            assert!(
                !report.has_errors(),
                "{context}: fsck after new work: {:?}",
                report.problems
            );
            figures.images += 1;
        }
        let _ = std::fs::remove_dir_all(&copy);
        let _ = std::fs::remove_dir_all(&out);
    }
    eprintln!("power loss, {name}: {figures:?}");
    figures
}

fn summary(state: &State) -> Vec<(String, usize, usize)> {
    state
        .iter()
        .map(|(run, (committed, staged))| (run.clone(), committed.len(), staged.len()))
        .collect()
}

fn assert_explored(figures: &Explored) {
    assert!(figures.steps >= 3, "{figures:?}");
    assert_eq!(figures.images, figures.steps * IMAGES, "{figures:?}");
    assert!(figures.before > 0 && figures.after > 0, "{figures:?}");
}

#[test]
fn a_power_cut_during_an_append_keeps_the_before_or_the_after_state() {
    let project = scratch();
    let hive_dir = base(project.path());
    let figures = explore("append", &hive_dir, |copy| copy.join(".hive"), append_gamma);
    assert_explored(&figures);
}

#[test]
fn a_power_cut_during_a_commit_keeps_the_before_or_the_after_state() {
    let project = scratch();
    let hive_dir = base(project.path());
    let figures = explore("commit", &hive_dir, |copy| copy.join(".hive"), commit_beta);
    assert_explored(&figures);
}

#[test]
fn a_power_cut_during_a_whole_session_commit_keeps_the_before_or_the_after_state() {
    let project = scratch();
    let hive_dir = base(project.path());
    let figures = explore(
        "commit of a whole session",
        &hive_dir,
        |copy| copy.join(".hive"),
        commit_whole_session,
    );
    assert_explored(&figures);
}

#[test]
fn a_power_cut_during_gc_loses_nothing_reachable() {
    let project = scratch();
    let hive_dir = base(project.path());
    {
        // Garbage for gc to delete: a removed run, and loose objects to pack.
        let repo = Repository::open(&hive_dir).unwrap();
        repo.append("doomed", events("x", 6).as_bytes()).unwrap();
        repo.commit(Some("doomed"), &options()).unwrap();
        repo.remove_run("doomed").unwrap();
        repo.commit(Some("beta"), &options()).unwrap();
        repo.append("beta", events("b3", 2).as_bytes()).unwrap();
    }
    let figures = explore(
        "gc, then a commit",
        &hive_dir,
        |copy| copy.join(".hive"),
        gc_then_commit,
    );
    assert_explored(&figures);
}

#[test]
fn a_power_cut_while_a_remote_receives_a_push_keeps_its_before_or_after_state() {
    let project = scratch();
    let hive_dir = base(project.path());
    {
        // The remote holds alpha already; the push brings alpha's next commit, beta and a new run.
        let remote = project.path().join("remote.hive");
        Repository::init_bare(&remote).unwrap();
        let repo = Repository::open(&hive_dir).unwrap();
        push(&repo, &remote, &["alpha"]).unwrap();
        repo.append("alpha", events("a3", 4).as_bytes()).unwrap();
        repo.commit(None, &options()).unwrap();
        repo.append("epsilon", events("e", 3).as_bytes()).unwrap();
        repo.commit(None, &options()).unwrap();
    }
    let figures = explore(
        "push, received",
        &hive_dir,
        |copy| copy.join("remote.hive"),
        push_everything,
    );
    assert_explored(&figures);
}

fn push(repo: &Repository, remote: &Path, runs: &[&str]) -> Result<hive::sync::PushReport, String> {
    let transport = hive::sync::PathTransport::open(
        &remote.display().to_string(),
        remote,
        false,
        "Test Author <test@example.com>",
    )
    .map_err(|error| error.to_string())?;
    hive::sync::push(
        repo,
        None,
        &transport,
        &hive::sync::PushOptions {
            refs: runs.iter().map(|run| run.to_string()).collect(),
            force: false,
        },
        &|_| {},
    )
    .map_err(|error| error.to_string())
}

/// The operations both tests run on a copy of a prepared project (`copy/.hive`, and `copy/remote.hive` for a
/// push); `Err` carries the message.
type Operation = fn(&Path) -> Result<(), String>;

fn in_project(copy: &Path) -> Result<Repository, String> {
    Repository::open(&copy.join(".hive")).map_err(|error| error.to_string())
}

fn done<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<(), String> {
    result.map(drop).map_err(|error| error.to_string())
}

fn append_gamma(copy: &Path) -> Result<(), String> {
    done(in_project(copy)?.append("gamma", events("g", 5).as_bytes()))
}

fn commit_beta(copy: &Path) -> Result<(), String> {
    done(in_project(copy)?.commit(Some("beta"), &options()))
}

fn commit_whole_session(copy: &Path) -> Result<(), String> {
    done(in_project(copy)?.commit_input("delta", events("d", 7).as_bytes(), &options()))
}

/// gc changes no state a user sees; the commit after it gives the check an "after" side.
fn gc_then_commit(copy: &Path) -> Result<(), String> {
    let repo = in_project(copy)?;
    done(repo.gc(&GcOptions {
        grace: std::time::Duration::ZERO,
        ..GcOptions::default()
    }))?;
    done(repo.commit(Some("beta"), &options()))
}

/// Pushes every run to `copy/remote.hive`; a refused run is an error.
fn push_everything(copy: &Path) -> Result<(), String> {
    let report = push(&in_project(copy)?, &copy.join("remote.hive"), &[])?;
    if report.all_accepted() {
        Ok(())
    } else {
        Err(format!("refused: {:?}", report.refs))
    }
}

/// The operations the I/O-fault test fails step by step.
fn operations() -> [(&'static str, Operation); 4] {
    [
        ("append", append_gamma),
        ("commit", commit_beta),
        ("gc, then a commit", gc_then_commit),
        ("push", push_everything),
    ]
}

#[test]
fn an_io_error_at_any_step_fails_clearly_and_leaves_nothing_partial() {
    const EIO: i32 = 5;
    const ENOSPC: i32 = 28;
    let project = scratch();
    base(project.path());
    Repository::init_bare(&project.path().join("remote.hive")).unwrap();
    let scratch = scratch();
    let mut failed = 0;
    for (name, operation) in operations() {
        // The operation's own repository, or the remote for a push (its client side only reads).
        let armed = |copy: &Path| {
            if name == "push" {
                copy.join("remote.hive")
            } else {
                copy.join(".hive")
            }
        };
        let whole = scratch.path().join(format!("{name}-whole"));
        copy_dir(project.path(), &whole);
        let before = state(&Repository::open(&armed(&whole)).unwrap());
        let steps = {
            let guard = fault::arm(&armed(&whole), Plan::Record).unwrap();
            operation(&whole).unwrap();
            guard.log()
        };
        let after = state(&Repository::open(&armed(&whole)).unwrap());
        for at in 0..steps.len() {
            for errno in [EIO, ENOSPC] {
                let copy = scratch.path().join(format!("{name}-{at}-{errno}"));
                copy_dir(project.path(), &copy);
                let guard = fault::arm(&armed(&copy), Plan::Fail { at, errno }).unwrap();
                let result = operation(&copy);
                let log = guard.log();
                drop(guard);
                let context = format!("{name}, {:?} failed with errno {errno}", steps[at]);
                let failed_step = log.iter().find(|logged| logged.failed);
                assert!(
                    failed_step.is_some(),
                    "{context}: the step was reached: {} steps of {}: {log:#?}",
                    log.len(),
                    steps.len()
                );
                let failed_step = failed_step.unwrap().clone();
                // No flush of a file after a failed flush of it: its bytes may be gone whatever a second one says.
                if failed_step.step == Step::Flush {
                    let retried =
                        log.iter()
                            .skip_while(|logged| !logged.failed)
                            .skip(1)
                            .any(|logged| {
                                logged.step == Step::Flush && logged.path == failed_step.path
                            });
                    assert!(
                        !retried,
                        "{context}: a failed flush is not retried: {log:?}"
                    );
                    assert!(
                        result.is_err(),
                        "{context}: a failed flush fails the operation"
                    );
                }
                let repo = Repository::open(&armed(&copy)).unwrap();
                let found = state(&repo);
                match &result {
                    Err(message) => {
                        failed += 1;
                        // The message says what failed, where, and why.
                        let reason = std::io::Error::from_raw_os_error(errno).to_string();
                        let reason = reason.split(" (os error").next().unwrap();
                        assert!(
                            message.contains(reason) && message.contains(copy.to_str().unwrap()),
                            "{context}: the error names the cause and the path: {message}"
                        );
                        // Nothing partial is visible: each run is as it was, or (when the failure came after the
                        // operation's own commit point) as it is after.
                        for run in before.keys().chain(after.keys()) {
                            let now = found.get(run);
                            assert!(
                                now == before.get(run) || now == after.get(run),
                                "{context}: run {run} is whole: {:?}",
                                summary(&found)
                            );
                        }
                    }
                    Ok(()) => assert_eq!(found, after, "{context}: a success is complete"),
                }
                let report = repo.fsck().unwrap();
                assert!(!report.has_errors(), "{context}: {:?}", report.problems);
                // Once the disk is well again, the operation (or what is left of it) completes.
                let again = operation(&copy);
                assert!(
                    again.is_ok() || result.is_ok(),
                    "{context}: a retry completes: {again:?}"
                );
                let _ = std::fs::remove_dir_all(&copy);
            }
        }
    }
    eprintln!("I/O faults: {failed} failed operations, each clear and whole");
    assert!(failed > 100);
}
