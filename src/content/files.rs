use std::borrow::Cow;
use std::{fs, io, path::Path};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A content file: its path relative to the content root (`content/...` or `lessons/...`), the
/// path to show in messages, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub rel: String,
    pub display: String,
    /// Borrowed from the binary for the built-in content: copying 1.5 MB at every start is waste.
    pub text: Cow<'static, str>,
}

pub fn embedded_files() -> Vec<SourceFile> {
    embedded::FILES
        .iter()
        .map(|(rel, text)| SourceFile {
            rel: rel.to_string(),
            display: rel.to_string(),
            text: Cow::Borrowed(*text),
        })
        .collect()
}

/// Reads every `.toml` and `.md` file under `dir/content` and `dir/lessons`.
pub fn read_dir_files(dir: &Path) -> io::Result<Vec<SourceFile>> {
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} is not a directory", dir.display()),
        ));
    }
    let mut out = Vec::new();
    for top in ["content", "lessons"] {
        walk(dir, &dir.join(top), &mut out)?;
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<_> = fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("toml" | "md")) {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = fs::read(&path)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            out.push(SourceFile {
                rel,
                display: path.display().to_string(),
                text: text.into(),
            });
        }
    }
    Ok(())
}
