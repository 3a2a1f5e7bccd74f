//! hive's integration tests, in one binary.

mod bitrot;
mod cli;
mod concurrency;
mod conformance;
mod crash;
mod formats;
mod fsck;
mod golden;
mod history;
mod hooks;
mod hostile;
mod import;
mod power;
mod real_data;
mod redact;
mod remove;
mod search;
mod sync;
mod tour;
mod util;
mod workload;
mod workspace;
