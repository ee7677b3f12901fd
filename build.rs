//! Embeds every file under content/ and lessons/ into the binary, so `sdlab` works from any
//! directory. Generating the list here (rather than a proc-macro crate) makes cargo rebuild when a
//! file is added, removed or edited.
use std::{env, fs, path::Path};

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("toml" | "md")) {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).to_path_buf();
    let mut files = Vec::new();
    for top in ["content", "lessons"] {
        println!("cargo:rerun-if-changed={top}");
        collect(&root, &root.join(top), &mut files);
    }
    let mut code = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        let abs = root.join(f);
        code.push_str(&format!("    ({f:?}, include_str!({:?})),\n", abs.to_string_lossy()));
    }
    code.push_str("];\n");
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("embedded.rs"), code).unwrap();
}
