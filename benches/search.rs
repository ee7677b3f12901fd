//! Budget: fuzzy search of the whole corpus ≤ 1 ms per keystroke. Each iteration replays every
//! prefix of a query, as typing it does, and the time is divided by the keystrokes. "paxos" names
//! no term in the built-in content, so every keystroke of it also runs the full-text tier over
//! every body.
use criterion::{criterion_group, criterion_main, Criterion};
use sdlab::content::Content;
use sdlab::search::SearchIndex;

fn bench(c: &mut Criterion) {
    let (content, _) = Content::embedded();
    let glossary = SearchIndex::terms(&content);
    let everything = SearchIndex::everything(&content);
    for query in ["quorm", "consistent hashing", "qourum", "e", "paxos"] {
        c.bench_function(&format!("search: glossary, one keystroke of {query:?}"), |b| {
            b.iter_custom(|iters| {
                let prefixes: Vec<&str> = query.char_indices().map(|(i, c)| &query[..i + c.len_utf8()]).collect();
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    for prefix in &prefixes {
                        std::hint::black_box(glossary.search(prefix, usize::MAX));
                    }
                }
                start.elapsed() / prefixes.len() as u32
            })
        });
    }
    c.bench_function("search: go-to-anything, \"replication lag\"", |b| {
        b.iter(|| everything.search("replication lag", 200))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
