//! The code repository a session ran in, and the default author, read with gix.

use crate::object::CodeContext;
use std::path::Path;

/// The git work tree containing `dir`: root, HEAD commit, branch, and whether tracked files changed.
/// `None` when `dir` is not inside a git work tree or it cannot be read.
pub fn detect(dir: &Path) -> Option<CodeContext> {
    let repo = gix::discover(dir).ok()?;
    let root = repo.workdir()?.to_path_buf();
    let commit = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|name| name.shorten().to_string());
    let dirty = repo.is_dirty().unwrap_or(false);
    Some(CodeContext {
        root: root.to_string_lossy().to_string(),
        commit,
        branch,
        dirty,
    })
}

/// `Name <email>` from git's configuration: the repository's at `dir` if there is one, else the user's global.
pub fn git_author(dir: &Path) -> Option<String> {
    if let Ok(repo) = gix::discover(dir)
        && let Some(Ok(author)) = repo.author()
    {
        return Some(format!("{} <{}>", author.name, author.email));
    }
    let config = gix::config::File::from_globals().ok()?;
    let name = config.string("user.name")?;
    let email = config.string("user.email")?;
    Some(format!("{name} <{email}>"))
}
