//! Evaluation latency on a realistic pod: a kube-dns-like 1 init + 3 container pod (~18 KB YAML, the shape
//! of kubernetes' `BenchmarkVerifyPod` input) that passes restricted:latest, plus a violating variant and the
//! PodView construction on its own.

use criterion::{criterion_group, criterion_main, Criterion};
use mamori_model::Node;
use mamori_pss::{pod_template, Evaluator, Level, LevelVersion, PodView, Version};
use mamori_yaml::{parse_document, Limits};
use std::hint::black_box;

const POD_RESTRICTED: &str = include_str!("pod_restricted.yaml");

fn parse(text: &str) -> Node {
    match parse_document(text, 1, &Limits::default()) {
        Ok(Some(node)) => node,
        other => panic!("benchmark fixture does not parse: {other:?}"),
    }
}

fn view(root: &Node) -> PodView {
    let template = pod_template("Pod", root).expect("the fixture is a Pod");
    PodView::from_template(&template).expect("the fixture is well-typed")
}

/// The same pod with privilege escalation allowed and root permitted in every container.
fn violating_text() -> String {
    POD_RESTRICTED
        .replace(
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        )
        .replace("runAsNonRoot: true", "runAsNonRoot: false")
}

fn benchmarks(c: &mut Criterion) {
    let evaluator = Evaluator::new();
    let restricted = LevelVersion::new(Level::Restricted, Version::LATEST);
    let baseline = LevelVersion::new(Level::Baseline, Version::LATEST);

    let root = parse(POD_RESTRICTED);
    let pod = view(&root);
    assert!(
        evaluator.evaluate(restricted, &pod).allowed(),
        "fixture must pass restricted:latest"
    );
    let violating_root = parse(&violating_text());
    let violating = view(&violating_root);
    assert!(!evaluator.evaluate(restricted, &violating).allowed());

    c.bench_function("evaluate/restricted_latest/allowed", |b| {
        b.iter(|| evaluator.evaluate(black_box(restricted), black_box(&pod)))
    });
    c.bench_function("evaluate/baseline_latest/allowed", |b| {
        b.iter(|| evaluator.evaluate(black_box(baseline), black_box(&pod)))
    });
    c.bench_function("evaluate/restricted_latest/violating", |b| {
        b.iter(|| evaluator.evaluate(black_box(restricted), black_box(&violating)))
    });
    c.bench_function("evaluate/restricted_latest/violating+detail", |b| {
        b.iter(|| {
            evaluator
                .evaluate(black_box(restricted), black_box(&violating))
                .forbidden_detail()
        })
    });
    c.bench_function("podview/from_template", |b| {
        b.iter(|| {
            let template = pod_template("Pod", black_box(&root)).expect("pod");
            PodView::from_template(&template)
        })
    });
    c.bench_function("podview+evaluate/restricted_latest", |b| {
        b.iter(|| {
            let template = pod_template("Pod", black_box(&root)).expect("pod");
            let pod = PodView::from_template(&template).expect("view");
            evaluator.evaluate(restricted, &pod)
        })
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
