//! Times a 10 KiB `copy_from_slice` (glibc's `memcpy`) with the destination a few bytes past the source modulo
//! 4 KiB, the pattern rustls produces when it copies a record's plaintext behind the 5-byte record header.
//! On AMD Zen 3/4 with a glibc that copies with `rep movsb` from 2 KiB up (glibc bug 30994), offsets 1-31 are
//! many times slower than the others; with `GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=0x1000000` they
//! are not. `scripts/bench-admission.sh` runs the generator that way (docs/benchmarks.md).
//!
//!     cargo run --release -p mamori-loadgen --example copy_alias
//!     GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=0x1000000 cargo run --release -p mamori-loadgen --example copy_alias

use std::hint::black_box;
use std::time::Instant;

const LEN: usize = 10 * 1024;
const ROUNDS: u32 = 100_000;

fn main() {
    // One allocation holds both buffers, so their distance is exactly what is asked for. The source starts on a
    // 4 KiB boundary of the allocation; the destination 64 KiB + offset further on.
    let mut arena = vec![1u8; 4096 + 16 * 4096 + 4096 + LEN];
    let base = arena.as_ptr() as usize;
    let src_at = (4096 - base % 4096) % 4096;
    println!("offset (bytes past the source, mod 4 KiB) -> ns per 10 KiB copy");
    for offset in [0usize, 1, 5, 16, 31, 32, 64, 256, 2048] {
        let dst_at = src_at + 16 * 4096 + offset;
        let (head, tail) = arena.split_at_mut(dst_at);
        let src = &head[src_at..src_at + LEN];
        let dst = &mut tail[..LEN];
        let started = Instant::now();
        for _ in 0..ROUNDS {
            dst.copy_from_slice(black_box(src));
            black_box(&mut *dst);
        }
        let ns = started.elapsed().as_nanos() as f64 / f64::from(ROUNDS);
        println!("{offset:>5} -> {ns:>7.0}");
    }
}
