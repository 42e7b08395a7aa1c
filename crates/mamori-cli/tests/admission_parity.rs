//! End to end: the real `mamori admission serve` binary over HTTPS against `mamori scan --format json`, over
//! every object under examples/. With every catalogue rule in mode `audit`, the rule ids the webhook reports
//! for an object (its `mamori-audit` audit annotation) equal the object rules `mamori scan` finds for it
//! (Pod Security findings and cross-object inventory rules are out of scope: admission sees one object).

use mamori_load::{Input, Loaded};
use mamori_model::{Node, Value as NodeValue};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAMORI: &str = env!("CARGO_BIN_EXE_mamori");

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The server process; killed if the test fails before the graceful stop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_pki(dir: &Path) -> String {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.signed_by(&key, &issuer).expect("cert");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("write cert");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("write key");
    ca_cert.pem()
}

/// Starts `mamori admission serve` on a free port and reads the bound address from its JSON log.
fn start_server(dir: &Path, config: &Path, namespaces: &Path) -> Server {
    let mut child = Command::new(MAMORI)
        .args(["admission", "serve", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .arg("--config")
        .arg(config)
        .arg("--namespaces-file")
        .arg(namespaces)
        .args(["--shutdown-grace", "5"])
        .env("MAMORI_TODAY", "2026-11-28")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mamori admission serve");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let parsed: Value = serde_json::from_str(&line)
                .unwrap_or_else(|err| panic!("log line is not JSON ({err}): {line}"));
            if let Some(address) = parsed.pointer("/fields/address").and_then(Value::as_str) {
                let _ = sender.send(address.to_owned());
            }
        }
    });
    let address = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the server logs its address");
    Server {
        child,
        addr: address.parse().expect("socket address"),
    }
}

/// One HTTP/1.1 request over a new blocking rustls connection (`Connection: close`, read to EOF).
fn exchange(
    addr: SocketAddr,
    tls: &Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, String) {
    let name = ServerName::try_from("localhost").expect("name");
    let connection = rustls::ClientConnection::new(Arc::clone(tls), name).expect("TLS client");
    let tcp = TcpStream::connect(addr).expect("connect");
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    stream.flush().expect("flush");
    let mut response = Vec::new();
    match stream.read_to_end(&mut response) {
        Ok(_) => {}
        // Servers may close without close_notify after `Connection: close`; what was read is complete.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(err) => panic!("read response: {err}"),
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status");
    (status, body.to_owned())
}

fn json_of(node: &Node) -> Value {
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(value) => json!(value),
        NodeValue::Int(value) => json!(value),
        NodeValue::Float(value) => json!(value),
        NodeValue::Str(value) => json!(value),
        NodeValue::Seq(items) => Value::Array(items.iter().map(json_of).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|entry| (entry.key.clone(), json_of(&entry.value)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

/// The resource (plural) of a kind, enough for the kinds in examples/.
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        lower
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') || lower.ends_with('x') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

type ObjectKey = (String, String, String, String); // file, kind, namespace, name

fn is_object_rule(id: &str) -> bool {
    !id.starts_with("pss.")
        && mamori_rules::rule(id)
            .is_some_and(|rule| matches!(rule.check, mamori_rules::Check::Object(_)))
}

#[test]
fn webhook_and_scan_report_the_same_rules_for_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_pem = write_pki(dir.path());
    let config = dir.path().join("mamori.yaml");
    std::fs::write(&config, "admission:\n  defaultMode: audit\n").expect("config");
    let examples = examples_dir().canonicalize().expect("examples/ exists");

    // The objects, loaded as the scan loads them.
    let mut objects = Vec::new();
    for loaded in mamori_load::load_all(
        &[Input::Path(examples.clone())],
        &mamori_yaml::Limits::default(),
    ) {
        if let Loaded::Object(object) = loaded {
            objects.push(object);
        }
    }
    assert!(
        objects.len() > 20,
        "examples/ holds objects: {}",
        objects.len()
    );

    // Every namespace the objects live in, unlabelled (Pod Security privileged: only the catalogue speaks).
    let mut namespaces: BTreeSet<String> = objects
        .iter()
        .filter_map(|object| object.id.namespace.clone())
        .collect();
    namespaces.insert("default".to_owned());
    let items: Vec<Value> = namespaces
        .iter()
        .map(|name| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
        .collect();
    let namespaces_file = dir.path().join("namespaces.json");
    std::fs::write(
        &namespaces_file,
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
            .expect("json"),
    )
    .expect("namespaces file");

    // `mamori scan` with the same mamori.yaml.
    let scan = Command::new(MAMORI)
        .args(["scan", "--format", "json", "--no-progress", "--config"])
        .arg(&config)
        .arg(&examples)
        .env("MAMORI_TODAY", "2026-11-28")
        .output()
        .expect("run mamori scan");
    let report: Value = serde_json::from_slice(&scan.stdout).unwrap_or_else(|err| {
        panic!(
            "scan JSON ({err}); stderr: {}",
            String::from_utf8_lossy(&scan.stderr)
        )
    });
    let mut expected: BTreeMap<ObjectKey, BTreeSet<String>> = BTreeMap::new();
    for finding in report["findings"].as_array().expect("findings") {
        let id = finding["ruleId"].as_str().unwrap_or_default();
        if !is_object_rule(id) {
            continue;
        }
        let object = &finding["object"];
        let key = (
            finding["location"]["file"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            object["kind"].as_str().unwrap_or_default().to_owned(),
            object["namespace"].as_str().unwrap_or_default().to_owned(),
            object["name"].as_str().unwrap_or_default().to_owned(),
        );
        expected.entry(key).or_default().insert(id.to_owned());
    }
    assert!(
        expected.len() > 5,
        "the examples trigger object rules: {expected:?}"
    );

    let server = start_server(dir.path(), &config, &namespaces_file);
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM"))
        .expect("CA");
    let tls = Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while exchange(server.addr, &tls, "GET", "/readyz", b"").0 != 200 {
        assert!(Instant::now() < deadline, "the server never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut actual: BTreeMap<ObjectKey, BTreeSet<String>> = BTreeMap::new();
    for (index, object) in objects.iter().enumerate() {
        let (group, version) = match object.id.api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", object.id.api_version.as_str()),
        };
        let namespace = object.id.namespace.clone().unwrap_or_default();
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": format!("parity-{index}"),
                "kind": {"group": group, "version": version, "kind": object.id.kind},
                "resource": {"group": group, "version": version, "resource": plural(&object.id.kind)},
                "name": object.id.name,
                "namespace": namespace,
                "operation": "CREATE",
                "userInfo": {"username": "parity-test"},
                "object": json_of(&object.root),
            }
        });
        let body = serde_json::to_vec(&review).expect("review");
        let (status, response) = exchange(server.addr, &tls, "POST", "/validate", &body);
        assert_eq!(status, 200, "{}: {response}", object.id.display_name());
        let response: Value = serde_json::from_str(&response).expect("response JSON");
        assert_eq!(
            response["response"]["uid"],
            format!("parity-{index}"),
            "{response}"
        );
        let audited = response
            .pointer("/response/auditAnnotations/mamori-audit")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ids: BTreeSet<String> = audited
            .lines()
            .filter_map(|line| line.strip_prefix("mamori: "))
            .filter_map(|rest| rest.split_once(": ").map(|(id, _)| id.to_owned()))
            .collect();
        if !ids.is_empty() {
            let key = (
                object.source.file.to_string(),
                object.id.kind.clone(),
                namespace,
                object.id.name.clone(),
            );
            actual.entry(key).or_default().extend(ids);
        }
    }
    assert_eq!(actual, expected, "webhook (left) vs mamori scan (right)");

    // SIGTERM: the binary drains and exits 0.
    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}
