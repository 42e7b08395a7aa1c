use mamori_model::{Pos, Value};
use mamori_yaml::{parse_document, Limits};

fn parse(text: &str) -> mamori_model::Node {
    parse_document(text, 1, &Limits::default())
        .expect("parses")
        .expect("not empty")
}

#[test]
fn positions_are_absolute_and_one_based() {
    let doc = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    securityContext:\n      privileged: true\n";
    let root = parse_document(doc, 10, &Limits::default())
        .unwrap()
        .unwrap();
    let sc = root
        .path(&["spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get("securityContext")
        .unwrap();
    let e = sc.entry("privileged").unwrap();
    assert_eq!(e.key_pos, Pos::new(16, 7));
    assert_eq!(e.value.pos, Pos::new(16, 19));
    assert_eq!(e.value.value, Value::Bool(true));
}

#[test]
fn json_is_read_too() {
    let root = parse(
        r#"{"apiVersion": "v1", "kind": "Pod", "spec": {"hostPID": true, "ports": [80, "x"]}}"#,
    );
    assert_eq!(
        root.path(&["spec", "hostPID"]).unwrap().as_bool(),
        Some(true)
    );
    assert_eq!(
        root.path(&["spec", "ports"]).unwrap().as_seq().unwrap()[0].as_i64(),
        Some(80)
    );
}

#[test]
fn quoted_scalars_stay_strings() {
    let root = parse("a: \"true\"\nb: '80'\nc: !!str 5\nd: yes\ne: |\n  text\n");
    assert_eq!(root.get("a").unwrap().as_str(), Some("true"));
    assert_eq!(root.get("b").unwrap().as_str(), Some("80"));
    assert_eq!(root.get("c").unwrap().as_str(), Some("5"));
    assert_eq!(root.get("d").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("e").unwrap().as_str(), Some("text\n"));
}

#[test]
fn empty_documents_are_none() {
    for text in ["", "# only a comment\n", "---\n", "\n\n"] {
        assert_eq!(
            parse_document(text, 1, &Limits::default()).unwrap(),
            None,
            "{text:?}"
        );
    }
}

#[test]
fn duplicate_keys_are_rejected_with_both_lines() {
    let err = parse_document("a: 1\nb: 2\na: 3\n", 1, &Limits::default()).unwrap_err();
    assert_eq!(err.pos, Pos::new(3, 1));
    assert_eq!(err.message, "duplicate key \"a\" (first defined at line 1)");
}

#[test]
fn merge_keys_apply_with_explicit_keys_winning() {
    let root = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
    let m = root.get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.get("y").unwrap().as_i64(), Some(3));
    assert!(m.get("<<").is_none());
}

#[test]
fn billion_laughs_is_refused() {
    let mut doc = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        doc.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    let err = parse_document(&doc, 1, &Limits::default()).unwrap_err();
    assert!(err.message.contains("nodes"), "{}", err.message);
}

#[test]
fn absurd_nesting_is_refused_without_overflow() {
    let doc = "[".repeat(100_000);
    let err = parse_document(&doc, 1, &Limits::default()).unwrap_err();
    assert!(err.message.contains("nesting"), "{}", err.message);
    let doc = (0..1000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect::<String>();
    let err = parse_document(&doc, 1, &Limits::default()).unwrap_err();
    assert!(err.message.contains("nesting"), "{}", err.message);
}

#[test]
fn syntax_errors_have_positions() {
    let err = parse_document("a: b\n  c: d\n", 5, &Limits::default()).unwrap_err();
    assert_eq!(err.pos.line, 6, "{err}");
    let err = parse_document("a: [1, 2\n", 1, &Limits::default()).unwrap_err();
    assert!(err.pos.line >= 1, "{err}");
}

#[test]
fn two_documents_in_one_text_are_an_error() {
    let err = parse_document("a: 1\n---\nb: 2\n", 1, &Limits::default()).unwrap_err();
    assert_eq!(err.pos.line, 2);
}

#[test]
fn huge_maps_parse_in_linear_time_and_still_catch_duplicates() {
    // 200k keys: a linear duplicate scan per key would be 2e10 comparisons (minutes); with the index it is instant.
    let mut doc = String::with_capacity(200_000 * 16);
    for i in 0..200_000 {
        doc.push_str(&format!("k{i}: v\n"));
    }
    let root = parse_document(&doc, 1, &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(root.as_map().unwrap().len(), 200_000);
    doc.push_str("k123: again\n");
    let err = parse_document(&doc, 1, &Limits::default()).unwrap_err();
    assert_eq!(
        err.message,
        "duplicate key \"k123\" (first defined at line 124)"
    );
    assert_eq!(err.pos.line, 200_001);
}
