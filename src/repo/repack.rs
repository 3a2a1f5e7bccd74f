//! Keeping the number of packs small: after a commit, packs are merged geometrically, so a repository holds about
//! log₂(objects) packs however many commits wrote one, and opening it stays cheap.
//!
//! Merging copies every object of the merged packs into one new pack before deleting them, so no object is ever
//! missing; it takes `gc.lock` (skipping the merge if gc or another merge runs), so it never races with gc.

use super::{RepoError, Repository};
use crate::fsutil;
use crate::store::{Pack, PackOptions};
use std::sync::Arc;
use std::time::Duration;

/// Packs are merged only when there are more than this many, so that most commits merge nothing: opening a
/// repository costs little per pack, and a commit that merges takes longer than one that does not.
const MIN_PACKS: usize = 16;

/// Which of `sizes` (ascending) to merge: the first `m` packs, where every pack left is at least twice the size of
/// all the packs before it put together (git's geometric repacking with factor 2). Returns 0 when nothing needs
/// merging.
pub fn geometric_split(sizes: &[u64]) -> usize {
    let mut merge = 0;
    let mut sum = 0u64;
    for (index, size) in sizes.iter().enumerate() {
        if index > 0 && *size < sum.saturating_mul(2) {
            merge = index + 1;
        }
        sum = sum.saturating_add(*size);
    }
    if merge >= 2 { merge } else { 0 }
}

impl Repository {
    /// Merges small packs when there are too many. Returns how many packs were merged (0 when none were, or when
    /// gc or another merge holds the repository).
    pub fn consolidate_packs(&self) -> Result<usize, RepoError> {
        let packs = self.odb.packs();
        packs.refresh()?;
        let mut current = packs.packs();
        if current.len() <= MIN_PACKS {
            return Ok(0);
        }
        let Ok(_lock) = fsutil::lock_file(&self.dir.join("gc.lock"), Duration::ZERO) else {
            return Ok(0);
        };
        let size = |pack: &Arc<Pack>| {
            std::fs::metadata(pack.path())
                .map(|meta| meta.len())
                .unwrap_or(0)
        };
        current.sort_by_key(size);
        let sizes: Vec<u64> = current.iter().map(size).collect();
        let merge = geometric_split(&sizes);
        if merge == 0 {
            return Ok(0);
        }
        let chosen = &current[..merge];
        let mut merged = packs.buffer(PackOptions::bulk())?;
        for pack in chosen {
            pack.scan(|id, raw| merged.push(super::gc::checked(pack, id, raw)?))?;
        }
        let merged = merged.finish()?;
        for pack in chosen {
            if merged
                .as_ref()
                .is_some_and(|summary| summary.name == pack.name())
            {
                continue;
            }
            packs.remove(pack)?;
        }
        fsutil::sync_dir(packs.dir())?;
        Ok(merge)
    }
}

#[cfg(test)]
mod tests {
    use super::geometric_split;

    #[test]
    fn geometric_rule() {
        assert_eq!(geometric_split(&[]), 0);
        assert_eq!(geometric_split(&[5]), 0);
        assert_eq!(geometric_split(&[1, 1]), 2);
        assert_eq!(geometric_split(&[1, 2]), 0);
        assert_eq!(geometric_split(&[1, 1, 2]), 3);
        assert_eq!(geometric_split(&[1, 2, 8, 100]), 0);
        assert_eq!(geometric_split(&[1, 1, 8, 100]), 2);
        assert_eq!(geometric_split(&[3, 3, 3, 3, 3]), 5);
    }
}
