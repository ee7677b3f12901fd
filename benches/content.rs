//! Budget: parse + validate all embedded content ≤ 10 ms.
use criterion::{criterion_group, criterion_main, Criterion};
use sdlab::content::{embedded_files, Content};

fn bench(c: &mut Criterion) {
    let files = embedded_files();
    c.bench_function("content: parse + validate all embedded", |b| {
        b.iter(|| Content::load(std::hint::black_box(&files)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
