//! `export`: a run's events back in the format its session came from.

use super::{RepoError, Repository};
use crate::formats::{self, Format};
use serde_json::Value;

impl Repository {
    /// The records of `run` in `format`, or in the format its events came from when `format` is `None`: for an
    /// imported agent session, the records of the transcript, the same and in the same order.
    pub fn export(
        &self,
        run: &str,
        format: Option<Format>,
    ) -> Result<(Format, Vec<Value>), RepoError> {
        let events: Vec<_> = self
            .events(run)?
            .into_iter()
            .map(|shown| shown.event)
            .collect();
        let format = format
            .or_else(|| formats::source_format(&events))
            .unwrap_or(Format::Hive);
        Ok((format, formats::export(format, events)?))
    }
}
