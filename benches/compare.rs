//! Core throughput through `--compare`: one call answered by all four personalities counts as
//! one call. Budget (DESIGN.md): at least 1,000,000 simulated calls per second.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use socklab::core::call::{AddrKind, Call, ConnectApi, Family, NamedTarget, Proto, SockAddrArg, SockRef};
use socklab::core::personality::PersonalityId;
use socklab::net::sim::SimNet;
use socklab::session::lab::Lab;

/// One experiment: the nonblocking connect lifecycle on two sockets, 12 calls.
fn experiment() -> Vec<Call> {
    let s = || SockRef::Name("s".into());
    let f = || SockRef::Name("f".into());
    let to = |t| SockAddrArg { kind: AddrKind::Target(t), len: None };
    vec![
        Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "s".into() },
        Call::Fionbio { sock: s(), on: true },
        Call::Connect { sock: s(), addr: to(NamedTarget::Accept), api: ConnectApi::Connect },
        Call::Connect { sock: s(), addr: to(NamedTarget::Accept), api: ConnectApi::Connect },
        Call::Select { read: vec![], write: vec![s()], except: vec![s()], timeout: Some(Duration::ZERO) },
        Call::Socket { proto: Proto::Tcp, family: Family::V4, name: "f".into() },
        Call::Fionbio { sock: f(), on: true },
        Call::Connect { sock: f(), addr: to(NamedTarget::Refuse), api: ConnectApi::Connect },
        Call::Select { read: vec![f()], write: vec![f()], except: vec![f()], timeout: Some(Duration::from_secs(5)) },
        Call::Connect { sock: f(), addr: to(NamedTarget::Refuse), api: ConnectApi::Connect },
        Call::Close { sock: s() },
        Call::Close { sock: f() },
    ]
}

fn compare(c: &mut Criterion) {
    let calls = experiment();
    let rounds = 100;
    let mut g = c.benchmark_group("compare");
    g.throughput(Throughput::Elements((calls.len() * rounds) as u64));
    g.bench_function("four_personalities", |b| {
        b.iter(|| {
            let mut lab = Lab::new(PersonalityId::ALL, Box::new(SimNet));
            for _ in 0..rounds {
                for call in &calls {
                    black_box(lab.call(call));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
