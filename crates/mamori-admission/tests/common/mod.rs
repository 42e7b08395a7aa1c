//! Shared helpers: an in-memory ClusterState, AdmissionReview bodies, YAML → JSON, response accessors.
#![allow(dead_code)]

use mamori_admission::{
    ClusterState, Engine, EngineSettings, NamespaceInfo, PodInfo, PodSecurityConfiguration,
    Reviewed,
};
use mamori_config::Date;
use mamori_model::{Node, Value as NodeValue};
use serde_json::{json, Value};
use std::sync::Arc;

/// Namespaces and pods held in memory; lookups and listings can be made to fail.
#[derive(Default)]
pub struct TestState {
    pub namespaces: Vec<NamespaceInfo>,
    pub pods: Vec<Arc<PodInfo>>,
    pub fail_lookup: bool,
    pub fail_list: bool,
}

impl TestState {
    pub fn with_namespace(name: &str, labels: &[(&str, &str)]) -> TestState {
        let mut state = TestState::default();
        state.add_namespace(name, labels);
        state
    }

    pub fn add_namespace(&mut self, name: &str, labels: &[(&str, &str)]) {
        self.namespaces.push(NamespaceInfo {
            name: name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
    }
}

impl ClusterState for TestState {
    fn namespace(&self, name: &str) -> Result<Option<Arc<NamespaceInfo>>, String> {
        if self.fail_lookup {
            return Err("connection refused".to_owned());
        }
        Ok(self
            .namespaces
            .iter()
            .find(|n| n.name == name)
            .map(|n| Arc::new(n.clone())))
    }

    fn pods(&self, namespace: &str) -> Result<Vec<Arc<PodInfo>>, String> {
        if self.fail_list {
            return Err("listing failed".to_owned());
        }
        Ok(self
            .pods
            .iter()
            .filter(|p| p.object.id.namespace.as_deref() == Some(namespace))
            .cloned()
            .collect())
    }
}

pub fn today() -> Date {
    Date::new(2026, 11, 28).expect("valid date")
}

pub fn engine(pod_security: PodSecurityConfiguration) -> Engine {
    Engine::new(EngineSettings {
        pod_security,
        config: None,
        dry_run: false,
        today: today(),
    })
    .expect("engine")
}

pub fn engine_with_config(yaml: &str, dry_run: bool) -> Engine {
    let config = mamori_config::parse(yaml, Arc::from("mamori.yaml")).expect("valid mamori.yaml");
    Engine::new(EngineSettings {
        pod_security: PodSecurityConfiguration::default(),
        config: Some(config),
        dry_run,
        today: today(),
    })
    .expect("engine")
}

/// A Node tree as serde_json would give it back.
pub fn to_json(node: &Node) -> Value {
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Int(i) => json!(i),
        NodeValue::Float(f) => json!(f),
        NodeValue::Str(s) => Value::String(s.clone()),
        NodeValue::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

pub fn yaml(text: &str) -> Value {
    let node = mamori_yaml::parse_document(text, 1, &mamori_yaml::Limits::default())
        .expect("valid YAML")
        .expect("a document");
    to_json(&node)
}

/// The request part of a review.
pub struct Req {
    pub operation: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub resource: &'static str,
    pub kind: &'static str,
    pub subresource: &'static str,
    pub name: String,
    pub namespace: String,
    pub username: &'static str,
    pub object: Option<Value>,
    pub old_object: Option<Value>,
}

impl Req {
    pub fn create_pod(namespace: &str, pod: Value) -> Req {
        let name = pod["metadata"]["name"].as_str().unwrap_or("").to_owned();
        Req {
            operation: "CREATE",
            group: "",
            version: "v1",
            resource: "pods",
            kind: "Pod",
            subresource: "",
            name,
            namespace: namespace.to_owned(),
            username: "alice",
            object: Some(pod),
            old_object: None,
        }
    }

    pub fn create(
        group: &'static str,
        resource: &'static str,
        kind: &'static str,
        namespace: &str,
        object: Value,
    ) -> Req {
        let mut req = Req::create_pod(namespace, object);
        req.group = group;
        req.resource = resource;
        req.kind = kind;
        req
    }

    pub fn body(&self) -> Vec<u8> {
        let mut request = json!({
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": self.group, "version": self.version, "kind": self.kind},
            "resource": {"group": self.group, "version": self.version, "resource": self.resource},
            "requestKind": {"group": self.group, "version": self.version, "kind": self.kind},
            "name": self.name,
            "namespace": self.namespace,
            "operation": self.operation,
            "userInfo": {"username": self.username, "groups": ["system:authenticated"]},
            "object": self.object.clone().unwrap_or(Value::Null),
            "oldObject": self.old_object.clone().unwrap_or(Value::Null),
            "dryRun": false
        });
        if !self.subresource.is_empty() {
            request["subResource"] = json!(self.subresource);
        }
        serde_json::to_vec(&json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": request
        }))
        .expect("serialisable")
    }
}

pub fn review(engine: &Engine, req: &Req, state: &TestState) -> (Reviewed, Value) {
    let reviewed = engine.review(&req.body(), state).expect("a response");
    let body: Value = serde_json::from_slice(&reviewed.body).expect("response is JSON");
    assert_eq!(
        body["response"]["allowed"].as_bool(),
        Some(reviewed.allowed)
    );
    (reviewed, body)
}

pub fn warnings(body: &Value) -> Vec<String> {
    body["response"]["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn message(body: &Value) -> &str {
    body["response"]["status"]["message"].as_str().unwrap_or("")
}

pub fn annotation<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body["response"]["auditAnnotations"][key].as_str()
}

/// A pod with one container named `app` and the given container securityContext (YAML flow text).
pub fn pod(name: &str, container_security: &str) -> Value {
    yaml(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext: {container_security}\n"
    ))
}

/// A pod that passes restricted:latest.
pub fn restricted_pod(name: &str) -> Value {
    yaml(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {{type: RuntimeDefault}}\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {{drop: [ALL]}}\n"
    ))
}
