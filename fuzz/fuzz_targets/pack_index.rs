//! Pack and index parsing: the input is `pack length (u32 LE) | pack file | index file`, written into a temporary
//! directory as `pack-<hex>.pack` and `pack-<hex>.idx` (hex: the checksum the pack ends with, so a real pack keeps
//! its name), then `Pack::open`, every object read (`read_at`, `canonical_at`, `canonical_sparse`, `find`, `ids`,
//! `ids_with_prefix`, `read_many`, `scan`) and `verify_pack`.
//!
//! Nothing may panic; reads may fail. Besides that, it checks: an object read hashes to the id the index gives it
//! whenever `verify_pack` finds no problem, `canonical_sparse` and `canonical_at` give the same bytes, and every
//! listed id is found again.
#![no_main]

use hive::id::HexPrefix;
use hive::store::{Pack, verify_pack};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let temp = tempfile::tempdir().expect("temporary directory");
        let path = temp.path().to_path_buf();
        (temp, path)
    })
    .1
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((length, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let length = (u32::from_le_bytes(*length) as usize).min(rest.len());
    let (pack_bytes, index_bytes) = rest.split_at(length);
    let name = match pack_bytes.len().checked_sub(32) {
        Some(at) => hex(&pack_bytes[at..]),
        None => "0".repeat(64),
    };
    let pack_path = dir().join(format!("pack-{name}.pack"));
    let index_path = dir().join(format!("pack-{name}.idx"));
    std::fs::write(&pack_path, pack_bytes).expect("write the pack");
    std::fs::write(&index_path, index_bytes).expect("write the index");
    check(&index_path);
    let _ = std::fs::remove_file(&pack_path);
    let _ = std::fs::remove_file(&index_path);
});

fn check(index_path: &std::path::Path) {
    let Ok(pack) = Pack::open(index_path) else {
        return;
    };
    let problems = verify_pack(&pack);
    let sound = problems.is_empty();
    let ids: Vec<_> = pack.ids().collect();
    assert_eq!(ids.len(), pack.len());
    assert_eq!(pack.is_empty(), ids.is_empty());
    for (position, id) in ids.iter().enumerate() {
        assert_eq!(pack.id_at(position), *id);
        let found = pack.find(id);
        let prefixed = HexPrefix::parse(&id.to_hex()[..4])
            .map(|prefix| pack.ids_with_prefix(&prefix))
            .expect("a 4-digit prefix parses");
        if sound {
            let found = found.expect("a sound pack finds every id it lists");
            assert_eq!(pack.id_at(found), *id);
            assert!(prefixed.contains(id));
        }
        let canonical = pack.canonical_at(position);
        let sparse = pack.canonical_sparse(position);
        let read = pack.read_at(position);
        if sound {
            let canonical = canonical.expect("a sound pack reads every object");
            assert_eq!(hive::ObjectId::hash_canonical(&canonical), *id);
            assert_eq!(
                sparse
                    .as_ref()
                    .expect("a sound pack reads every object sparsely"),
                &canonical
            );
            assert_eq!(read.expect("a sound pack reads every object").id(), *id);
        } else if let (Ok(canonical), Ok(sparse)) = (&canonical, &sparse) {
            assert_eq!(canonical, sparse, "canonical_sparse and canonical_at agree");
        }
    }
    let mut many = 0;
    let read_many = pack.read_many(&ids, |_, _| many += 1);
    let mut scanned = 0;
    let scan = pack.scan(|_, _| {
        scanned += 1;
        Ok(())
    });
    if sound {
        // A sound index is sorted without duplicates: each id is read once.
        assert!(read_many.is_ok() && scan.is_ok());
        assert_eq!(many, ids.len());
        assert_eq!(scanned, ids.len());
    }
}
