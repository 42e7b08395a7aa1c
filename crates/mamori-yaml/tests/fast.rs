//! The fast path, construct by construct: what it accepts must equal the reference exactly (positions
//! included), and what it must leave to the reference it declines.

use mamori_model::{Node, Pos, Value};
use mamori_yaml::{parse_document_fast, parse_document_reference, Limits};

/// Debug text compares floats bit-exactly and treats NaN as equal to itself, unlike `PartialEq`.
fn render(tree: &Option<Node>) -> String {
    format!("{tree:#?}")
}

/// Asserts the fast path accepts `text` and agrees with the reference; returns the tree.
fn accepted(text: &str) -> Node {
    let limits = Limits::default();
    let fast = parse_document_fast(text, 1, &limits)
        .unwrap_or_else(|| panic!("fast path bailed on:\n{text}"));
    let reference = parse_document_reference(text, 1, &limits)
        .unwrap_or_else(|e| panic!("reference failed ({e}) on:\n{text}"));
    assert_eq!(render(&fast), render(&reference), "input:\n{text}");
    fast.unwrap_or_else(|| panic!("empty document:\n{text}"))
}

fn bails(text: &str) {
    assert!(
        parse_document_fast(text, 1, &Limits::default()).is_none(),
        "fast path should leave this to the reference:\n{text}"
    );
}

#[test]
fn block_maps_and_nested_maps() {
    let root = accepted("a:\n  b: 1\n  c:\n    d: x\ne: y\n");
    assert_eq!(root.pos, Pos::new(1, 1));
    let b = root.path(&["a", "b"]).expect("a.b");
    assert_eq!(b.value, Value::Int(1));
    assert_eq!(b.pos, Pos::new(2, 6));
    assert_eq!(root.get("a").expect("a").pos, Pos::new(2, 3));
}

#[test]
fn kubectl_style_sequences_take_the_reference_positions() {
    let root = accepted("c:\n- x\n- k: v\n  j: w\nd:\n-   \n- b\n");
    let c = root.get("c").expect("c");
    // An indentless sequence starts where its first entry's content starts.
    assert_eq!(c.pos, Pos::new(2, 3));
    let d = root.get("d").expect("d");
    // ... or at the end of the first `-` line when that entry is empty.
    assert_eq!(d.pos, Pos::new(6, 5));
    assert_eq!(d.as_seq().expect("seq")[0].pos, Pos::new(6, 5));
}

#[test]
fn indented_sequences_start_at_the_dash() {
    let root = accepted("j:\n  - 1\n  - - a\n    - b\n  - name: x\n    port: 80\n");
    let j = root.get("j").expect("j");
    assert_eq!(j.pos, Pos::new(2, 3));
    let items = j.as_seq().expect("seq");
    assert_eq!(items[1].pos, Pos::new(3, 5));
    assert_eq!(items[2].get("port").expect("port").as_i64(), Some(80));
}

#[test]
fn empty_values_are_null_at_the_colon() {
    let root = accepted("a:\nb:   # comment\nc: ~\nd: null\n");
    assert_eq!(root.get("a").expect("a").pos, Pos::new(1, 2));
    assert_eq!(root.get("b").expect("b").pos, Pos::new(2, 2));
    assert!(root.get("c").expect("c").is_null());
}

#[test]
fn scalar_resolution_matches_kubernetes() {
    let root = accepted(
        "a: yes\nb: 0x1F\nc: 0755\nd: 1e3\ne: 100m\nf: .inf\ng: '80'\nh: \"true\"\ni: 1_000\nj: -x\n",
    );
    assert_eq!(root.get("a").expect("a").as_bool(), Some(true));
    assert_eq!(root.get("b").expect("b").as_i64(), Some(31));
    assert_eq!(root.get("c").expect("c").as_i64(), Some(0o755));
    assert_eq!(root.get("e").expect("e").as_str(), Some("100m"));
    assert_eq!(root.get("g").expect("g").as_str(), Some("80"));
    assert_eq!(root.get("h").expect("h").as_str(), Some("true"));
    assert_eq!(root.get("i").expect("i").as_i64(), Some(1000));
}

#[test]
fn quoted_scalars_and_escapes() {
    let root = accepted(
        "a: 'it''s'\nb: \"q\\\"\\\\\\n\\t\\u00e9\\x41\"\n\"quoted key\": 1\n'single': 2\nc: \"日本 # not a comment\"\n",
    );
    assert_eq!(root.get("a").expect("a").as_str(), Some("it's"));
    assert_eq!(root.get("b").expect("b").as_str(), Some("q\"\\\n\té\u{41}"));
    assert_eq!(
        root.entry("quoted key").expect("key").key_pos,
        Pos::new(3, 1)
    );
    assert_eq!(
        root.get("c").expect("c").as_str(),
        Some("日本 # not a comment")
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let root = accepted("ключ: значение\nk: [é, ü]\n");
    assert_eq!(root.get("ключ").expect("key").pos, Pos::new(1, 7));
    let items = root.get("k").expect("k").as_seq().expect("seq");
    assert_eq!(items[1].pos, Pos::new(2, 8));
}

#[test]
fn comments_and_plain_scalars_with_hashes_and_colons() {
    let root = accepted(
        "# head\nurl: http://x:80/a#frag   # tail\n\n  # indented comment\nb: a,b [c] {d}\n",
    );
    assert_eq!(
        root.get("url").expect("url").as_str(),
        Some("http://x:80/a#frag")
    );
    assert_eq!(root.get("b").expect("b").as_str(), Some("a,b [c] {d}"));
}

#[test]
fn flow_collections_on_one_line() {
    let root = accepted(
        "a: [1, \"b\", {cpu: 100m, 'x y': [z]}, []]\nb: {}\nc: { k: v }   # note\nd: [ -1 , -x ]\n",
    );
    let a = root.get("a").expect("a");
    assert_eq!(a.pos, Pos::new(1, 4));
    let items = a.as_seq().expect("seq");
    assert_eq!(items.len(), 4);
    assert_eq!(items[2].get("cpu").expect("cpu").as_str(), Some("100m"));
    assert_eq!(items[2].entry("x y").expect("x y").key_pos, Pos::new(1, 25));
}

#[test]
fn literal_block_scalars_with_chomping() {
    let root = accepted(
        "a: |\n  one\n  two\n\nb: |-\n   x\n    y\nc: |+\n  k\n\n\nd: |\n\n  after blank\ne: |\n  no newline at end",
    );
    assert_eq!(root.get("a").expect("a").as_str(), Some("one\ntwo\n"));
    assert_eq!(root.get("a").expect("a").pos, Pos::new(2, 3));
    assert_eq!(root.get("b").expect("b").as_str(), Some("x\n y"));
    assert_eq!(root.get("c").expect("c").as_str(), Some("k\n\n\n"));
    assert_eq!(root.get("d").expect("d").as_str(), Some("\nafter blank\n"));
    assert_eq!(root.get("d").expect("d").pos, Pos::new(14, 3));
    assert_eq!(
        root.get("e").expect("e").as_str(),
        Some("no newline at end\n")
    );
}

/// Found by the `yaml_differential` fuzz target: a spaces-only last line without a line break inside a block
/// scalar adds a line break in the reference; the fast path leaves that case to it.
#[test]
fn block_scalar_ending_in_unterminated_blank_line_bails() {
    let text = "a:\n- |\n  x\n  ";
    bails(text);
    let reference = parse_document_reference(text, 1, &Limits::default())
        .expect("reference")
        .expect("tree");
    let item = &reference.get("a").expect("a").as_seq().expect("seq")[0];
    assert_eq!(item.as_str(), Some("x\n\n"));
    // With the line break, both agree.
    accepted("a:\n- |\n  x\n  \n");
}

#[test]
fn folded_block_scalars() {
    let root = accepted("f: >\n  a\n  b\n\n  c\ng: >-\n  x\n  y\n");
    assert_eq!(root.get("f").expect("f").as_str(), Some("a b\nc\n"));
    assert_eq!(root.get("g").expect("g").as_str(), Some("x y"));
}

#[test]
fn block_scalars_in_sequences() {
    let root = accepted("- |\n  text\n- k: |\n    more\n  j: 1\n");
    let items = root.as_seq().expect("seq");
    assert_eq!(items[0].as_str(), Some("text\n"));
    assert_eq!(items[1].get("k").expect("k").as_str(), Some("more\n"));
}

#[test]
fn leading_document_marker_comments_and_offsets() {
    let limits = Limits::default();
    let text = "# c\n---\napiVersion: v1\nkind: Pod\n";
    let fast = parse_document_fast(text, 40, &limits).expect("accepted");
    let reference = parse_document_reference(text, 40, &limits).expect("reference");
    assert_eq!(render(&fast), render(&reference));
    assert_eq!(fast.expect("tree").pos, Pos::new(42, 1));
}

#[test]
fn empty_documents() {
    for text in ["", "# only\n", "---\n", "\n\n  \n", "--- # c\n"] {
        let fast = parse_document_fast(text, 1, &Limits::default());
        assert_eq!(fast, Some(None), "{text:?}");
        assert_eq!(
            parse_document_reference(text, 1, &Limits::default()),
            Ok(None)
        );
    }
}

#[test]
fn root_can_be_indented_or_a_flow_collection() {
    accepted("  a: 1\n  b: 2\n");
    accepted("- 1\n- 2\n");
    accepted("{\"a\": 1, \"b\": [true, null]}\n");
}

#[test]
fn constructs_outside_the_subset_bail() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 5\n",
        "? a\n: b\n",
        "base: {x: 1}\nm:\n  <<: {y: 2}\n",
        "a: multi\n  line\n",
        "a: \"multi\n  line\"\n",
        "a:\n\tb: 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: [1,\n  2]\n",
        "a: 1\na: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\r\nb: 2\r\n",
        "a: |2\n    x\n",
        "a: |\nb: 1\n",
        "a: >\n  x\n    more indented\n",
        "a: \"\\q\"\n",
        "a: b: c\n",
        "a: -\n",
        "plain root scalar\n",
        "a: 1\n...\n",
        "\u{feff}a: 1\n",
        "a: \u{85}\n",
        "a: [b, ]\n",
        "a: {b}\n",
        "a: 'x'y\n",
        "a:\n  - 1\n - 2\n",
    ] {
        bails(text);
    }
}

#[test]
fn limits_make_it_bail_so_the_reference_reports_them() {
    let limits = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let text = "a:\n  b:\n    c: 1\n";
    assert!(parse_document_fast(text, 1, &limits).is_none());
    assert!(parse_document_reference(text, 1, &limits).is_err());
    let limits = Limits {
        max_nodes: 4,
        ..Limits::default()
    };
    let text = "a: 1\nb: 2\nc: 3\n";
    assert!(parse_document_fast(text, 1, &limits).is_none());
    assert!(parse_document_reference(text, 1, &limits).is_err());
    // At the limit exactly, both accept.
    let limits = Limits {
        max_nodes: 7,
        max_depth: 1,
        ..Limits::default()
    };
    let fast = parse_document_fast(text, 1, &limits).expect("accepted at the limit");
    assert_eq!(
        render(&fast),
        render(&parse_document_reference(text, 1, &limits).expect("reference"))
    );
}

#[test]
fn parse_document_falls_back_and_reports_reference_errors() {
    let err = mamori_yaml::parse_document("a: 1\nb: 2\na: 3\n", 1, &Limits::default())
        .expect_err("duplicate keys");
    assert_eq!(err.message, "duplicate key \"a\" (first defined at line 1)");
    let root = mamori_yaml::parse_document("a: &x 1\nb: *x\n", 1, &Limits::default())
        .expect("parses")
        .expect("tree");
    assert_eq!(root.get("b").expect("b").as_i64(), Some(1));
}
