//! The benchmark pod must stay what the benchmark claims: ~18 KB, 4 containers, allowed at restricted:latest.

use mamori_pss::{pod_template, Evaluator, Level, LevelVersion, PodView, Version};
use mamori_yaml::{parse_document, Limits};

#[test]
fn benchmark_pod_is_a_realistic_restricted_pod() {
    let text = include_str!("../benches/pod_restricted.yaml");
    assert!(
        (16_000..20_000).contains(&text.len()),
        "size {}",
        text.len()
    );
    let root = parse_document(text, 1, &Limits::default())
        .expect("parses")
        .expect("non-empty");
    let view = PodView::from_template(&pod_template("Pod", &root).expect("pod")).expect("view");
    assert_eq!(view.container_names().count(), 4);
    let evaluator = Evaluator::new();
    for level in Level::ALL {
        let result = evaluator.evaluate(LevelVersion::new(level, Version::LATEST), &view);
        assert!(result.allowed(), "{level}: {}", result.forbidden_detail());
    }
}
