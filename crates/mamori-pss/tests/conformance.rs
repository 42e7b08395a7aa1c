//! Runs all 4,537 upstream pod-security-admission fixtures under the runner rules of
//! `shared/conformance/psa/conformance.json` and pss-semantics.md §6.4: evaluate at the directory's level and
//! explicit version; pass → allowed; fail → forbidden, `forbidden_detail()` contains the stem's substring and
//! never `unknown forbidden reason`. Plus the derived cross-version tests of §6.4 rule 5. The data is read in
//! place (override the root with `MAMORI_SHARED_DIR`); missing data fails the test.

use mamori_model::Node;
use mamori_pss::{pod_template, Evaluator, Level, LevelVersion, PodView, PssResult, Version};
use mamori_yaml::{parse_document, Limits};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const EXPECTED_FIXTURES: usize = 4537;
const EXPECTED_PASS: usize = 1051;
const EXPECTED_FAIL: usize = 3486;

fn psa_dir() -> PathBuf {
    let shared = std::env::var_os("MAMORI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    shared.join("conformance/psa")
}

struct Fixture {
    /// Relative path, e.g. `restricted/v1.37/fail/privileged0.yaml`.
    name: String,
    level: Level,
    version: Version,
    pass: bool,
    stem: String,
    view: PodView,
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("conformance data missing: {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .collect();
    entries.sort();
    entries
}

fn load_fixtures() -> Vec<Fixture> {
    let testdata = psa_dir().join("testdata");
    let mut fixtures = Vec::new();
    for level_dir in sorted_entries(&testdata).into_iter().filter(|p| p.is_dir()) {
        let level_name = file_name(&level_dir);
        let level = Level::parse(&level_name).expect("level directory");
        for version_dir in sorted_entries(&level_dir) {
            let version = Version::parse(&file_name(&version_dir)).expect("version directory");
            for outcome in ["pass", "fail"] {
                let outcome_dir = version_dir.join(outcome);
                if !outcome_dir.exists() {
                    continue;
                }
                for file in sorted_entries(&outcome_dir) {
                    let file_stem = file_name(&file);
                    let Some(base) = file_stem.strip_suffix(".yaml") else {
                        continue;
                    };
                    let name = format!(
                        "{level_name}/{}/{outcome}/{file_stem}",
                        file_name(&version_dir)
                    );
                    let text = fs::read_to_string(&file).expect("fixture readable");
                    let root = parse_document(&text, 1, &Limits::default())
                        .unwrap_or_else(|e| panic!("{name}: YAML error {e:?}"))
                        .unwrap_or_else(|| panic!("{name}: empty document"));
                    let view = view_of(&name, &root);
                    fixtures.push(Fixture {
                        name,
                        level,
                        version,
                        pass: outcome == "pass",
                        stem: base
                            .trim_end_matches(|c: char| c.is_ascii_digit())
                            .to_owned(),
                        view,
                    });
                }
            }
        }
    }
    fixtures
}

fn view_of(name: &str, root: &Node) -> PodView {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or_default();
    let template = pod_template(kind, root).unwrap_or_else(|| panic!("{name}: not a pod"));
    PodView::from_template(&template).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
        .to_owned()
}

fn conformance_json() -> serde_json::Value {
    let path = psa_dir().join("conformance.json");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance data missing: {}: {e}", path.display()));
    serde_json::from_str(&text).expect("conformance.json is JSON")
}

/// fixture stem → expected substring of the stem's check.
fn expected_substrings(conformance: &serde_json::Value) -> BTreeMap<String, String> {
    conformance["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .map(|c| {
            (
                c["fixture_file_stem"].as_str().expect("stem").to_owned(),
                c["fail_expect_substring"]
                    .as_str()
                    .expect("substring")
                    .to_owned(),
            )
        })
        .collect()
}

fn mismatch(
    fixture: &Fixture,
    result: &PssResult,
    substrings: &BTreeMap<String, String>,
) -> Option<String> {
    let detail = result.forbidden_detail();
    if fixture.pass {
        return (!result.allowed())
            .then(|| format!("{}: expected allowed, got: {detail}", fixture.name));
    }
    let Some(substring) = substrings.get(&fixture.stem) else {
        return Some(format!(
            "{}: no expectation for stem {}",
            fixture.name, fixture.stem
        ));
    };
    if result.allowed() {
        return Some(format!("{}: expected forbidden, got allowed", fixture.name));
    }
    if !detail.contains(substring.as_str()) {
        return Some(format!(
            "{}: detail lacks {substring:?}: {detail}",
            fixture.name
        ));
    }
    if detail.contains("unknown forbidden reason") {
        return Some(format!(
            "{}: unknown forbidden reason: {detail}",
            fixture.name
        ));
    }
    None
}

#[test]
fn all_upstream_fixtures_conform() {
    let substrings = expected_substrings(&conformance_json());
    let evaluator = Evaluator::new();
    let fixtures = load_fixtures();
    assert_eq!(fixtures.len(), EXPECTED_FIXTURES, "fixture count");
    assert_eq!(fixtures.iter().filter(|f| f.pass).count(), EXPECTED_PASS);
    assert_eq!(fixtures.iter().filter(|f| !f.pass).count(), EXPECTED_FAIL);

    let mut matched = 0;
    let mut mismatches = Vec::new();
    for fixture in &fixtures {
        let result = evaluator.evaluate(
            LevelVersion::new(fixture.level, fixture.version),
            &fixture.view,
        );
        match mismatch(fixture, &result, &substrings) {
            Some(problem) => mismatches.push(problem),
            None => matched += 1,
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(matched, EXPECTED_FIXTURES);
}

#[test]
fn latest_and_future_versions_clamp_to_v1_37() {
    let evaluator = Evaluator::new();
    let fixtures = load_fixtures();
    let newest: Vec<&Fixture> = fixtures
        .iter()
        .filter(|f| f.version == Version::v1(37))
        .collect();
    assert_eq!(
        newest.len(),
        49 + 99,
        "v1.37 fixtures (baseline 49 + restricted 99)"
    );
    for fixture in newest {
        let at = |version: Version| {
            evaluator.evaluate(LevelVersion::new(fixture.level, version), &fixture.view)
        };
        let explicit = at(Version::v1(37));
        assert_eq!(at(Version::LATEST), explicit, "{} at latest", fixture.name);
        assert_eq!(at(Version::v1(99)), explicit, "{} at v1.99", fixture.name);
    }
}

#[test]
fn v1_35_fixtures_evaluate_identically_at_v1_36() {
    let evaluator = Evaluator::new();
    let fixtures = load_fixtures();
    let mut compared = 0;
    for fixture in fixtures.iter().filter(|f| f.version == Version::v1(35)) {
        let at = |version: Version| {
            evaluator.evaluate(LevelVersion::new(fixture.level, version), &fixture.view)
        };
        assert_eq!(at(Version::v1(36)), at(Version::v1(35)), "{}", fixture.name);
        compared += 1;
    }
    assert_eq!(compared, 49 + 99);
}

#[test]
fn active_check_tables_match_conformance_json() {
    let conformance = conformance_json();
    let evaluator = Evaluator::new();
    let mut compared = 0;
    for (level_name, versions) in conformance["active_checks"]
        .as_object()
        .expect("active_checks")
    {
        let level = Level::parse(level_name).expect("level");
        for (version_name, ids) in versions.as_object().expect("versions") {
            let version = Version::parse(version_name).expect("version");
            let expected: Vec<&str> = ids
                .as_array()
                .expect("ids")
                .iter()
                .map(|id| id.as_str().expect("id"))
                .collect();
            let actual: Vec<&str> = evaluator
                .active_check_ids(LevelVersion::new(level, version))
                .collect();
            assert_eq!(actual, expected, "{level_name} {version_name}");
            compared += 1;
        }
    }
    assert_eq!(compared, 76);
}
