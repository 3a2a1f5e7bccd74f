//! Bit rot: single-bit flips, one at a time, across a repository's loose objects, packs and pack indexes. Every
//! flip is found by fsck, which names the damaged object or file, and no read of any object returns bytes other
//! than the ones its id names (an error, or nothing, is the only other answer).

use crate::util::Lcg;
use hive::Repository;
use hive::repo::{CommitOptions, GcOptions};
use hive::store::ObjectStore;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Flips in all, a third in each kind of file: 10,000 in the slow tier (`HIVE_SLOW=1`, as CI runs), 1,500
/// otherwise.
fn flips() -> usize {
    if crate::util::slow() { 10_000 } else { 1_500 }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Loose,
    Pack,
    Index,
}

fn lines(tag: &str, count: usize) -> String {
    (0..count)
        .map(|n| match n % 4 {
            1 => format!(
                "{{\"kind\":\"tool_result\",\"ts\":\"2026-01-02T03:04:05Z\",\"call_id\":\"{tag}{n}\",\"output\":\"{}\"}}\n",
                format!("{tag} output line {n}\\n").repeat(60 + n * 7)
            ),
            3 => format!(
                "{{\"kind\":\"file_op\",\"op\":\"write\",\"ts\":\"2026-01-02T03:04:05Z\",\"path\":\"src/{tag}.rs\",\"after\":\"fn {tag}_{n}() {{}}\\n\"}}\n"
            ),
            _ => format!(
                "{{\"kind\":\"user_message\",\"ts\":\"2026-01-02T03:04:05Z\",\"text\":\"{tag} {n}\"}}\n"
            ),
        })
        .collect()
}

/// The files that hold objects, by kind.
fn object_files(hive_dir: &Path) -> Vec<(Kind, PathBuf)> {
    let mut out = Vec::new();
    for path in crate::util::all_files(&hive_dir.join("objects")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let kind = if name.ends_with(".pack") {
            Kind::Pack
        } else if name.ends_with(".idx") {
            Kind::Index
        } else if name.len() == 62 && name.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            Kind::Loose
        } else {
            continue;
        };
        out.push((kind, path));
    }
    out.sort();
    out
}

/// What fsck must name for a flip in `path`: the object's id for a loose object, the pack's name for a pack or
/// its index.
fn named(kind: Kind, path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    match kind {
        Kind::Loose => {
            let fan = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            format!("{fan}{name}")
        }
        Kind::Pack | Kind::Index => name
            .trim_start_matches("pack-")
            .split('.')
            .next()
            .unwrap()
            .to_string(),
    }
}

#[test]
fn every_flipped_bit_is_found_by_fsck_and_never_read_as_data() {
    let project = tempfile::tempdir().unwrap();
    let (repo, _) = Repository::init(project.path()).unwrap();
    let options = CommitOptions {
        time: Some(hive::time::Timestamp(1_767_323_045_000)),
        ..CommitOptions::default()
    };
    for run in ["one", "two", "three"] {
        repo.append(run, lines(run, 12).as_bytes()).unwrap();
    }
    repo.commit(None, &options).unwrap();
    // Packs and their indexes, then loose objects beside them.
    repo.gc(&GcOptions::default()).unwrap();
    for run in ["one", "four"] {
        repo.append(run, lines(&format!("{run}b"), 8).as_bytes())
            .unwrap();
    }
    repo.commit(None, &options).unwrap();
    // Objects written one at a time are loose files.
    for n in 0..24 {
        let body = format!(
            "{{\"kind\":\"user_message\",\"text\":\"loose {n} {}\"}}",
            "y".repeat(n * 40)
        );
        let object =
            hive::object::RawObject::new(hive::ObjectKind::Event, body.into_bytes()).hashed();
        repo.odb().write(&object).unwrap();
    }
    let hive_dir = repo.dir().to_path_buf();
    drop(repo);

    let files = object_files(&hive_dir);
    let by_kind = |kind| -> Vec<&PathBuf> {
        files
            .iter()
            .filter(|(found, _)| *found == kind)
            .map(|(_, path)| path)
            .collect()
    };
    for kind in [Kind::Loose, Kind::Pack, Kind::Index] {
        assert!(
            !by_kind(kind).is_empty(),
            "the repository has {kind:?} files"
        );
    }
    let originals: HashMap<hive::ObjectId, Vec<u8>> = {
        let repo = Repository::open(&hive_dir).unwrap();
        let report = repo.fsck().unwrap();
        assert!(!report.has_errors(), "{:?}", report.problems);
        repo.odb()
            .ids()
            .unwrap()
            .into_iter()
            .map(|id| {
                let raw = repo.odb().read(&id).unwrap().unwrap();
                (id, raw.canonical_bytes())
            })
            .collect()
    };

    let mut random = Lcg(0xb17_2077);
    let mut done: HashMap<Kind, usize> = HashMap::new();
    let mut refused_reads = 0u64;
    let mut good_reads = 0u64;
    for flip in 0..flips() {
        let kind = [Kind::Loose, Kind::Pack, Kind::Index][flip % 3];
        let candidates = by_kind(kind);
        let path = candidates[random.next() as usize % candidates.len()];
        let original = std::fs::read(path).unwrap();
        let offset = random.next() as usize % original.len();
        let bit = random.next() % 8;
        let mut damaged = original.clone();
        damaged[offset] ^= 1 << bit;
        std::fs::write(path, &damaged).unwrap();
        let context = format!(
            "flip {flip}: bit {bit} of byte {offset} of {}",
            path.display()
        );

        let repo = Repository::open(&hive_dir).unwrap();
        let report = repo.fsck().unwrap();
        let name = named(kind, path);
        assert!(
            report.has_errors()
                && report.problems.iter().any(|problem| {
                    problem.subject.contains(&name) || problem.detail.contains(&name)
                }),
            "{context}: fsck finds it and names {name}: {:?}",
            report.problems
        );
        for (id, bytes) in &originals {
            match repo.odb().read(id) {
                Ok(Some(raw)) => {
                    assert_eq!(
                        &raw.canonical_bytes(),
                        bytes,
                        "{context}: a read of {id} returns its own bytes"
                    );
                    good_reads += 1;
                }
                Ok(None) | Err(_) => refused_reads += 1,
            }
        }
        drop(repo);
        std::fs::write(path, &original).unwrap();
        *done.entry(kind).or_default() += 1;
    }
    eprintln!(
        "bit rot: {} flips ({done:?}), each found by fsck; {good_reads} reads returned the right bytes, \
         {refused_reads} refused, none wrong",
        done.values().sum::<usize>()
    );
    let repo = Repository::open(&hive_dir).unwrap();
    assert!(!repo.fsck().unwrap().has_errors());
}
