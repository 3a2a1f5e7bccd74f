//! Does a per-repository trained zstd dictionary pay for small objects? Compares stored sizes of the same objects
//! written loose (one zstd frame each) and packed (64 KiB frames at level 3 as commits write them, 1 MiB frames at
//! level 19 with long-distance matching as gc writes them), each with and without a dictionary trained on the first
//! half of the sessions and applied to the second half. Run: `cargo bench --bench dictionary`
//! (set HIVE_TEST_DATA to include the real sessions).

mod workload;

use hive::canonical;
use hive::id::ObjectKind;
use hive::object::{HashedObject, RawObject};
use hive::payload;
use serde_json::{Map, Value};
use std::time::Instant;

const DICTIONARY_SIZE: usize = 112 * 1024;

/// Compresses the measured objects in one layout, with or without a dictionary; returns the bytes.
type Layout<'a> = dyn Fn(Option<&[u8]>) -> usize + 'a;

fn objects_of(sessions: &[Vec<Map<String, Value>>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for session in sessions {
        let mut objects: Vec<HashedObject> = Vec::new();
        for mut event in workload::numbered_events(session, 0) {
            payload::externalize(&mut event, payload::DEFAULT_THRESHOLD, &mut objects);
            objects.push(
                RawObject::new(ObjectKind::Event, canonical::to_vec(&Value::Object(event)))
                    .hashed(),
            );
        }
        out.extend(objects.iter().map(|object| object.raw().canonical_bytes()));
    }
    out
}

fn compress_each(objects: &[Vec<u8>], level: i32, dictionary: Option<&[u8]>) -> usize {
    let mut compressor = match dictionary {
        Some(dictionary) => zstd::bulk::Compressor::with_dictionary(level, dictionary).unwrap(),
        None => zstd::bulk::Compressor::new(level).unwrap(),
    };
    objects
        .iter()
        .map(|object| compressor.compress(object).unwrap().len())
        .sum()
}

fn compress_frames(
    objects: &[Vec<u8>],
    frame: usize,
    level: i32,
    long: bool,
    dictionary: Option<&[u8]>,
) -> usize {
    let mut compressor = match dictionary {
        Some(dictionary) => zstd::bulk::Compressor::with_dictionary(level, dictionary).unwrap(),
        None => zstd::bulk::Compressor::new(level).unwrap(),
    };
    if long {
        compressor
            .set_parameter(zstd::zstd_safe::CParameter::EnableLongDistanceMatching(
                true,
            ))
            .unwrap();
    }
    let mut total = 0;
    let mut buffer = Vec::new();
    for object in objects {
        if !buffer.is_empty() && buffer.len() + object.len() > frame {
            total += compressor.compress(&buffer).unwrap().len();
            buffer.clear();
        }
        buffer.extend_from_slice(object);
    }
    if !buffer.is_empty() {
        total += compressor.compress(&buffer).unwrap().len();
    }
    total
}

fn measure(name: &str, sessions: Vec<Vec<Map<String, Value>>>) {
    if sessions.len() < 4 {
        println!("{name}: too few sessions, skipped");
        return;
    }
    let (train, test) = sessions.split_at(sessions.len() / 2);
    let train_objects = objects_of(train);
    let test_objects = objects_of(test);
    let small: Vec<&Vec<u8>> = train_objects
        .iter()
        .filter(|object| object.len() <= 16 * 1024)
        .collect();
    let started = Instant::now();
    let dictionary = zstd::dict::from_samples(&small, DICTIONARY_SIZE).unwrap();
    let trained_in = started.elapsed();
    let raw: usize = test_objects.iter().map(Vec::len).sum();
    println!(
        "\n{name}: {} objects ({:.1} MB canonical) measured; dictionary of {} KiB trained on {} objects of the other half in {:.2}s",
        test_objects.len(),
        raw as f64 / 1e6,
        dictionary.len() / 1024,
        small.len(),
        trained_in.as_secs_f64()
    );
    println!(
        "{:<44} {:>12} {:>12} {:>8}",
        "layout", "bytes", "+dictionary", "gain"
    );
    let rows: [(&str, Box<Layout>); 3] = [
        (
            "loose: one zstd frame per object, level 3",
            Box::new(|dictionary| compress_each(&test_objects, 3, dictionary)),
        ),
        (
            "commit pack: 64 KiB frames, level 3",
            Box::new(|dictionary| compress_frames(&test_objects, 64 * 1024, 3, false, dictionary)),
        ),
        (
            "gc pack: 1 MiB frames, level 19, long",
            Box::new(|dictionary| compress_frames(&test_objects, 1 << 20, 19, true, dictionary)),
        ),
    ];
    for (label, run) in rows {
        let plain = run(None);
        let with = run(Some(&dictionary)) + dictionary.len();
        println!(
            "{label:<44} {plain:>12} {with:>12} {:>7.1}%",
            (plain as f64 - with as f64) * 100.0 / plain as f64
        );
    }
}

fn main() {
    let generated: Vec<_> = (0..200)
        .map(|session| workload::session(session, 200))
        .collect();
    measure("generated sessions (200 x 200 events)", generated);
    let real = workload::real_sessions();
    if real.is_empty() {
        println!("\nreal sessions: HIVE_TEST_DATA not set, skipped");
    } else {
        measure("real sessions (HIVE_TEST_DATA)", real);
    }
}
