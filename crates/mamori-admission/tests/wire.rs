//! The AdmissionReview envelope: HTTP-level rejections, the request echoed verbatim, response shape.

mod common;

use common::*;
use mamori_admission::{PodSecurityConfiguration, RESPONSE_HEAD};
use serde_json::Value;

#[test]
fn bodies_that_are_not_an_admission_review_v1_are_rejected() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = TestState::default();
    for (body, needle) in [
        (&b"not json"[..], "invalid AdmissionReview JSON"),
        (b"", "invalid AdmissionReview JSON"),
        (b"[]", "expected apiVersion admission.k8s.io/v1"),
        (b"{}", "expected apiVersion admission.k8s.io/v1"),
        (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}"#, "expected apiVersion admission.k8s.io/v1"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}}"#, "expected apiVersion"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "has no request"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#, "has no uid"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}"#, "has no uid"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}"#, "invalid AdmissionReview request"),
    ] {
        let err = engine.review(body, &state).expect_err("rejected");
        assert!(err.message.contains(needle), "{:?}: {}", String::from_utf8_lossy(body), err.message);
    }
}

#[test]
fn objects_that_do_not_decode_are_never_admitted_unchecked() {
    // Duplicate keys: valid JSON syntax, but not an object the engine can read.
    let body = |resource: &str, object: &str| {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","operation":"CREATE","namespace":"team","resource":{{"group":"","version":"v1","resource":"{resource}"}},"object":{object}}}}}"#
        )
    };
    let pod = r#"{"kind":"Pod","metadata":{"name":"a"},"metadata":{"name":"b"}}"#;
    let state = TestState::with_namespace(
        "team",
        &[("pod-security.kubernetes.io/enforce", "restricted")],
    );
    let reviewed = engine(PodSecurityConfiguration::default())
        .review(body("pods", pod).as_bytes(), &state)
        .expect("reviewed");
    assert!(!reviewed.allowed);
    let response: Value = serde_json::from_slice(&reviewed.body).expect("json");
    assert_eq!(response["response"]["status"]["reason"], "BadRequest");
    assert!(
        annotation(&response, "error").is_some_and(|e| e.contains("duplicate")),
        "{response}"
    );
    // With the catalogue on, any resource that does not decode is rejected too.
    let with_catalogue = engine_with_config("", false);
    let reviewed = with_catalogue
        .review(body("configmaps", r#"{"a":1,"a":2}"#).as_bytes(), &state)
        .expect("reviewed");
    assert!(!reviewed.allowed);
    // Without anything to decide (no catalogue, not a PSA resource), nothing is decoded and it is admitted.
    let reviewed = engine(PodSecurityConfiguration::default())
        .review(body("configmaps", r#"{"a":1,"a":2}"#).as_bytes(), &state)
        .expect("reviewed");
    assert!(reviewed.allowed);
}

#[test]
fn the_request_is_echoed_byte_for_byte() {
    let engine = engine(PodSecurityConfiguration::default());
    // Odd spacing, unicode escapes and unknown fields survive untouched.
    let request = r#"{ "uid" : "abc", "kind":{"group":"","version":"v1","kind":"ConfigMap"},
        "resource":{"group":"","version":"v1","resource":"configmaps"}, "operation":"CREATE",
        "namespace":"team", "name":"c\u00e9", "userInfo":{"username":"bob"}, "x-extra": [1, 2.50],
        "object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c\u00e9"}} }"#;
    let body = format!(
        r#"{{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{request}}}"#
    );
    let reviewed = engine
        .review(body.as_bytes(), &TestState::default())
        .expect("reviewed");
    let text = String::from_utf8(reviewed.body.clone()).expect("utf-8");
    assert_eq!(
        text,
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{request},"response":{{"uid":"abc","allowed":true}}}}"#
        )
    );
    assert_eq!(reviewed.uid, "abc");
    assert_eq!(reviewed.operation, "CREATE");
    assert_eq!(reviewed.resource, "configmaps");
    assert_eq!(reviewed.namespace, "team");
    assert!(reviewed.allowed);
    assert_eq!(reviewed.echo, None);
    // Echoing in place gives the same bytes, the request taken from the input.
    let echoing = engine
        .review_echoing(body.as_bytes(), &TestState::default(), None)
        .expect("reviewed");
    let range = echoing.echo.clone().expect("echoed in place");
    assert_eq!(&body[range.clone()], request);
    let joined = [RESPONSE_HEAD, &body.as_bytes()[range], &echoing.body].concat();
    assert_eq!(joined, reviewed.body);
}

#[test]
fn echoing_in_place_gives_the_same_responses_as_copying() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = TestState::with_namespace(
        "strict",
        &[("pod-security.kubernetes.io/enforce", "restricted")],
    );
    let privileged = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}});
    let compliant = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"},
        "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "i", "securityContext": {"allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]}}}]}});
    for pod in [privileged, compliant] {
        let body = Req::create_pod("strict", pod).body();
        // The serde reference path too: a duplicate envelope member sends the body there.
        let text = String::from_utf8(body.clone()).expect("utf-8");
        let reference = text.replacen('{', r#"{"x":1,"x":2,"#, 1);
        for input in [body, reference.into_bytes()] {
            let copied = engine.review(&input, &state).expect("reviewed");
            let echoing = engine
                .review_echoing(&input, &state, None)
                .expect("reviewed");
            let range = echoing.echo.clone().expect("echoed in place");
            let joined = [RESPONSE_HEAD, &input[range], &echoing.body].concat();
            assert_eq!(joined, copied.body);
            assert_eq!(echoing.allowed, copied.allowed);
            assert_eq!(echoing.decisions, copied.decisions);
        }
    }
}

#[test]
fn response_keys_follow_the_go_encoder_order() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/warn", "baseline"),
            ("pod-security.kubernetes.io/audit", "baseline"),
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/enforce-version", "v1.0"),
        ],
    );
    let mut pod = pod("web", "{privileged: true}");
    pod["spec"]["hostPID"] = Value::Bool(true);
    let reviewed = engine
        .review(&Req::create_pod("team", pod).body(), &state)
        .expect("reviewed");
    let text = String::from_utf8(reviewed.body).expect("utf-8");
    let response = &text[text.find(r#""response":"#).expect("response")..];
    assert!(response.starts_with(r#""response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":false,"status":{"metadata":{},"status":"Failure","message":"pods \"web\" is forbidden: violates PodSecurity \"baseline:v1.0\": host namespaces (hostPID=true), privileged (container \"app\" must not set securityContext.privileged=true)","reason":"Forbidden","details":{"name":"web","kind":"pods"},"code":403},"auditAnnotations":{"audit-violations":"would violate PodSecurity \"baseline:latest\": "#), "{response}");
}

#[test]
fn arbitrary_bytes_never_panic_and_never_allow_a_pod_by_accident() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = TestState::with_namespace(
        "team",
        &[("pod-security.kubernetes.io/enforce", "restricted")],
    );
    let good = Req::create_pod("team", pod("web", "{}")).body();
    // Truncations and single-byte corruptions of a denied pod's review: a 400, or a response for a request
    // that is no longer the same Pod CREATE in "team", or still a denial.
    let original: Value = serde_json::from_slice(&good).expect("json");
    let mut checked = 0;
    for cut in 0..good.len() {
        let mut truncated = good.clone();
        truncated.truncate(cut);
        let mut flipped = good.clone();
        if let Some(b) = flipped.get_mut(cut) {
            *b ^= 0x20;
        }
        for body in [truncated, flipped] {
            if let Ok(r) = engine.review(&body, &state) {
                let same_object = serde_json::from_slice::<Value>(&body)
                    .is_ok_and(|v| v["request"]["object"] == original["request"]["object"]);
                if same_object
                    && r.resource == "pods"
                    && r.operation == "CREATE"
                    && r.namespace == "team"
                    && r.subresource.is_empty()
                {
                    assert!(!r.allowed, "byte {cut}: {}", String::from_utf8_lossy(&body));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}
