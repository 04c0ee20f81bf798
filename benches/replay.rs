//! Headless replay of a 1,000,000-entry recording. Budget (DESIGN.md): under 2 s, memory
//! bounded (the recording is streamed one step at a time).
//!
//! The recording is generated in the setup: the nonblocking connect lifecycle of
//! `benches/compare.rs` (12 calls on two sockets, a refused connect among them) and a `wait`,
//! recorded through a `Recorder` on the simulated network, over and over until the file holds
//! 1,000,000 entries (calls, facts, answers of four personalities, waits' events). Set
//! `SOCKLAB_BENCH_KEEP=PATH` to keep a copy of it (docs/performance.md measures peak memory on
//! it with `/usr/bin/time -v socklab replay PATH --headless`).

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use socklab::core::call::{AddrKind, Call, ConnectApi, Family, NamedTarget, Proto, SockAddrArg, SockRef};
use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::session::lab::Lab;
use socklab::session::record::{self, Header, Journal, Network, Recorder, WaitSpec};
use socklab::session::replay::check;

const ENTRIES: usize = 1_000_000;

fn experiment() -> Vec<(String, Call)> {
    let s = || SockRef::Name("s".into());
    let f = || SockRef::Name("f".into());
    let to = |t| SockAddrArg { kind: AddrKind::Target(t), len: None };
    vec![
        ("socket tcp as s".into(), Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() }),
        ("ioctlsocket s FIONBIO 1".into(), Call::Fionbio { sock: s(), on: true }),
        (
            "connect s @accept".into(),
            Call::Connect { sock: s(), addr: to(NamedTarget::Accept), api: ConnectApi::Connect },
        ),
        (
            "connect s @accept".into(),
            Call::Connect { sock: s(), addr: to(NamedTarget::Accept), api: ConnectApi::Connect },
        ),
        (
            "select write=s except=s timeout=0".into(),
            Call::Select { read: vec![], write: vec![s()], except: vec![s()], timeout: Some(Duration::ZERO) },
        ),
        ("socket tcp as f".into(), Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "f".into() }),
        ("ioctlsocket f FIONBIO 1".into(), Call::Fionbio { sock: f(), on: true }),
        (
            "connect f @refuse".into(),
            Call::Connect { sock: f(), addr: to(NamedTarget::Refuse), api: ConnectApi::Connect },
        ),
        (
            "select read=f write=f except=f timeout=5000".into(),
            Call::Select {
                read: vec![f()],
                write: vec![f()],
                except: vec![f()],
                timeout: Some(Duration::from_secs(5)),
            },
        ),
        (
            "connect f @refuse".into(),
            Call::Connect { sock: f(), addr: to(NamedTarget::Refuse), api: ConnectApi::Connect },
        ),
        ("closesocket s".into(), Call::Close { sock: s() }),
        ("closesocket f".into(), Call::Close { sock: f() }),
    ]
}

/// Write a recording of at least `n` entries; returns how many it holds.
fn generate(path: &std::path::Path, n: usize) -> usize {
    let header = Header::new(PersonalityId::ALL, Network::Sim, "2026-01-01T00:00:00Z".into(), &SimNet);
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut rec = Recorder::new(file, &header, None).unwrap();
    let mut lab = Lab::new(PersonalityId::ALL, rec.tap().facts(Box::new(SimNet)));
    let calls = experiment();
    while rec.entries() < n {
        for (k, (text, call)) in calls.iter().enumerate() {
            let recs = lab.call(call);
            rec.call(Some(k + 1), text, call, recs).unwrap();
        }
        let recs = lab.wait_for(Duration::from_millis(10));
        rec.wait(Some(13), "wait 10", &WaitSpec::For { ms: 10.0 }, &recs).unwrap();
    }
    let n = rec.entries();
    rec.stop().unwrap().flush().unwrap();
    n
}

fn replay(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay-1m.ndjson");
    let n = generate(&path, ENTRIES);
    if let Some(keep) = std::env::var_os("SOCKLAB_BENCH_KEEP") {
        std::fs::copy(&path, keep).unwrap();
    }
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("headless_check_1m_entries", |b| {
        b.iter(|| {
            let checked = check(record::open(&path).unwrap(), 10);
            assert!(checked.divergences.is_empty() && checked.error.is_none());
            assert_eq!(checked.entries, n);
            black_box(checked.steps)
        })
    });
    g.bench_function("headless_transcript_1m_entries", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            let r = socklab::script::replay::replay(record::open(&path).unwrap(), false, &mut sink).unwrap();
            assert_eq!(r.diverged, 0);
            black_box(r.entries)
        })
    });
    g.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
