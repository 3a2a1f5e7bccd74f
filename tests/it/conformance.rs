//! One conformance suite, run against every object store.

use hive::id::{HexPrefix, ObjectKind};
use hive::object::{HashedObject, RawObject};
use hive::store::{LooseStore, MemoryStore, ObjectStore, Odb, OdbOptions, PackOptions, PackStore};

fn object(kind: ObjectKind, body: &str) -> HashedObject {
    RawObject::new(kind, body.as_bytes().to_vec()).hashed()
}

fn suite(store: &dyn ObjectStore) {
    let blob = object(ObjectKind::Blob, "payload");
    // Absent objects read as None.
    assert_eq!(store.read(&blob.id()).unwrap(), None);
    assert!(!store.contains(&blob.id()).unwrap());
    // A written object reads back with its kind and body.
    store.write(&blob).unwrap();
    assert_eq!(store.read(&blob.id()).unwrap().as_ref(), Some(blob.raw()));
    assert!(store.contains(&blob.id()).unwrap());
    // Writing it again succeeds and changes nothing.
    store.write(&blob).unwrap();
    assert_eq!(store.ids().unwrap(), vec![blob.id()]);
    // A batch with duplicates and an already-present object.
    let batch: Vec<HashedObject> = (0..40)
        .map(|index| {
            object(
                ObjectKind::ALL[index % ObjectKind::ALL.len()],
                &format!("body {}", index % 30),
            )
        })
        .chain([blob.clone()])
        .collect();
    store.write_batch(&batch).unwrap();
    let mut ids = store.ids().unwrap();
    ids.sort();
    let mut expected: Vec<_> = batch.iter().map(HashedObject::id).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(ids, expected, "ids lists each object once");
    for object in &batch {
        let read = store
            .read(&object.id())
            .unwrap()
            .expect("written object is present");
        assert_eq!(&read, object.raw());
        assert_eq!(read.id(), object.id());
    }
    // Prefix lookup.
    let target = batch[3].id();
    let prefix = HexPrefix::parse(&target.to_hex()[..10]).unwrap();
    assert_eq!(store.ids_with_prefix(&prefix).unwrap(), vec![target]);
    let whole = HexPrefix::parse(&target.to_hex()).unwrap();
    assert_eq!(store.ids_with_prefix(&whole).unwrap(), vec![target]);
    // An empty body and a large body.
    let empty = object(ObjectKind::Blob, "");
    let large = RawObject::new(
        ObjectKind::Blob,
        (0..3_000_000u32).map(|index| (index % 251) as u8).collect(),
    )
    .hashed();
    store.write_batch(&[empty.clone(), large.clone()]).unwrap();
    assert_eq!(store.read(&empty.id()).unwrap().unwrap().body.len(), 0);
    assert_eq!(store.read(&large.id()).unwrap().as_ref(), Some(large.raw()));
    // An empty batch is fine.
    store.write_batch(&[]).unwrap();
}

#[test]
fn memory_store() {
    suite(&MemoryStore::new());
}

#[test]
fn loose_store() {
    let dir = tempfile::tempdir().unwrap();
    suite(&LooseStore::new(dir.path()));
}

#[test]
fn pack_store() {
    let dir = tempfile::tempdir().unwrap();
    suite(&PackStore::new(dir.path(), PackOptions::default()).unwrap());
}

#[test]
fn pack_store_strong_compression() {
    let dir = tempfile::tempdir().unwrap();
    suite(&PackStore::new(dir.path(), PackOptions::repack()).unwrap());
}

#[test]
fn object_database() {
    let dir = tempfile::tempdir().unwrap();
    suite(&Odb::open(dir.path(), OdbOptions::default()).unwrap());
}

#[test]
fn object_database_read_sparsely() {
    let dir = tempfile::tempdir().unwrap();
    suite(
        &Odb::open(dir.path(), OdbOptions::default())
            .unwrap()
            .sparse(),
    );
}

#[test]
fn pack_store_sees_packs_of_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    let reader = PackStore::new(dir.path(), PackOptions::default()).unwrap();
    let writer = PackStore::new(dir.path(), PackOptions::default()).unwrap();
    let blob = object(ObjectKind::Blob, "from elsewhere");
    writer.write(&blob).unwrap();
    assert_eq!(reader.read(&blob.id()).unwrap().as_ref(), Some(blob.raw()));
}

#[test]
fn damaged_pack_is_reported_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let store = PackStore::new(dir.path(), PackOptions::default()).unwrap();
    let objects: Vec<_> = (0..20)
        .map(|index| object(ObjectKind::Blob, &format!("object {index}")))
        .collect();
    store.write_batch(&objects).unwrap();
    let pack = store.packs().pop().unwrap();
    assert!(hive::store::verify_pack(&pack).is_empty());
    let path = pack.path().to_path_buf();
    drop(pack);
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let store = PackStore::new(dir.path(), PackOptions::default()).unwrap();
    let problems = hive::store::verify_pack(&store.packs()[0]);
    assert!(
        problems.iter().any(|problem| problem.contains("checksum")),
        "{problems:?}"
    );
}
