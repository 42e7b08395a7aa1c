//! What the webhook knows about the cluster: namespaces (labels drive Pod Security) and pods (for the dry run
//! of a namespace relabel), from a file (`--namespaces-file`) or from a watch on the API server.
//!
//! Both sources fill the same [`ClusterCache`]. It is ready once namespaces and pods have been listed
//! completely; a re-list after a watch error keeps serving the previous contents until the new list is complete.

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use mamori_admission::{ClusterState, NamespaceInfo, PodInfo};
use mamori_load::{Input, Loaded};
use mamori_model::Node;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Pods of one namespace by name: a BTreeMap iterates in name order, the order a LIST returns them in, which
/// the relabel dry run's ordering rule depends on.
type PodsByName = BTreeMap<String, Arc<PodInfo>>;

/// Namespaces and pods, shared by the request handlers (readers) and the watch tasks (writers).
#[derive(Default)]
pub struct ClusterCache {
    /// Shared with the reviews that read them: a lookup clones an `Arc`, not the labels.
    namespaces: RwLock<HashMap<String, Arc<NamespaceInfo>>>,
    pods: RwLock<HashMap<String, PodsByName>>,
    namespaces_synced: AtomicBool,
    pods_synced: AtomicBool,
    live_lookup: Option<LiveLookup>,
}

/// A GET on the API server for a namespace the watch has not delivered yet (created a moment ago), as
/// upstream's namespace getter falls back from its lister to the client.
struct LiveLookup {
    api: Api<Namespace>,
    runtime: tokio::runtime::Handle,
}

/// How long a live namespace lookup may take before the request gets upstream's lookup failure.
const LIVE_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl std::fmt::Debug for ClusterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCache")
            .field("namespaces", &self.namespace_count())
            .field("pods", &self.pod_count())
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// What a `--namespaces-file` load found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileCounts {
    /// Namespace objects kept.
    pub namespaces: usize,
    /// Pod objects kept.
    pub pods: usize,
    /// Objects of other kinds, ignored.
    pub ignored: usize,
}

impl ClusterCache {
    /// An empty cache, not ready until both lists are in.
    pub fn new() -> ClusterCache {
        ClusterCache::default()
    }

    /// Loads Namespaces (and optionally Pods) from files as `kubectl get … -o yaml|json` prints them (Lists or
    /// multi-document YAML); other kinds are ignored. The cache is ready afterwards. Any read or parse error
    /// fails the load, naming file:line:col.
    pub fn from_files(paths: &[PathBuf]) -> Result<(ClusterCache, FileCounts), String> {
        let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
        let mut errors = Vec::new();
        let mut namespaces = HashMap::new();
        let mut pods: HashMap<String, PodsByName> = HashMap::new();
        let mut counts = FileCounts {
            namespaces: 0,
            pods: 0,
            ignored: 0,
        };
        for loaded in mamori_load::load_all(&inputs, &mamori_yaml::Limits::default()) {
            let object = match loaded {
                Loaded::Object(object) => object,
                Loaded::Note(_) => continue,
                Loaded::Error(err) => {
                    errors.push(err.to_string());
                    continue;
                }
            };
            let place = || format!("{}:{}", object.source.file, object.source.pos);
            match object.id.kind.as_str() {
                "Namespace" => match NamespaceInfo::from_node(&object.root) {
                    Some(info) => {
                        counts.namespaces += 1;
                        namespaces.insert(info.name.clone(), Arc::new(info));
                    }
                    None => errors.push(format!("{}: Namespace without a name", place())),
                },
                "Pod" => {
                    let namespace = object
                        .id
                        .namespace
                        .clone()
                        .unwrap_or_else(|| "default".to_owned());
                    let where_ = place();
                    match PodInfo::from_node(object.root) {
                        Some(info) => {
                            counts.pods += 1;
                            pods.entry(namespace)
                                .or_default()
                                .insert(info.name.clone(), Arc::new(info));
                        }
                        None => errors.push(format!("{where_}: Pod without a name")),
                    }
                }
                _ => counts.ignored += 1,
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        let cache = ClusterCache {
            namespaces: RwLock::new(namespaces),
            pods: RwLock::new(pods),
            namespaces_synced: AtomicBool::new(true),
            pods_synced: AtomicBool::new(true),
            live_lookup: None,
        };
        Ok((cache, counts))
    }

    /// An empty cache that, once synced, asks the API server directly for a namespace it does not hold (a
    /// namespace created a moment ago, whose watch event has not arrived). Lookups run on `runtime`, which must
    /// be a multi-thread runtime (the calling worker blocks in place while the GET runs).
    pub fn with_live_lookup(client: Client, runtime: tokio::runtime::Handle) -> ClusterCache {
        ClusterCache {
            live_lookup: Some(LiveLookup {
                api: Api::all(client),
                runtime,
            }),
            ..ClusterCache::default()
        }
    }

    /// The namespace from the API server, remembered in the cache; `Ok(None)` when it does not exist.
    fn lookup_live(
        &self,
        live: &LiveLookup,
        name: &str,
    ) -> Result<Option<Arc<NamespaceInfo>>, String> {
        // block_in_place needs a multi-thread runtime; anywhere else the miss stays a miss.
        let on_multi_thread = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
            handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        });
        if !on_multi_thread {
            return Ok(None);
        }
        let fetched = tokio::task::block_in_place(|| {
            live.runtime.block_on(tokio::time::timeout(
                LIVE_LOOKUP_TIMEOUT,
                live.api.get_opt(name),
            ))
        });
        match fetched {
            Ok(Ok(Some(namespace))) => {
                let info = namespace_info(&namespace).map(Arc::new);
                if let Some(info) = &info {
                    self.apply_shared_namespace(Arc::clone(info));
                }
                Ok(info)
            }
            Ok(Ok(None)) => Ok(None),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err(format!(
                "no answer from the API server within {} s",
                LIVE_LOOKUP_TIMEOUT.as_secs()
            )),
        }
    }

    /// True once namespaces and pods have been listed completely at least once.
    pub fn is_ready(&self) -> bool {
        self.namespaces_synced.load(Ordering::Acquire) && self.pods_synced.load(Ordering::Acquire)
    }

    /// Namespaces currently known.
    pub fn namespace_count(&self) -> usize {
        self.namespaces.read().map_or(0, |map| map.len())
    }

    /// Pods currently known.
    pub fn pod_count(&self) -> usize {
        self.pods
            .read()
            .map_or(0, |map| map.values().map(BTreeMap::len).sum())
    }

    /// Adds or replaces one namespace.
    pub fn apply_namespace(&self, info: NamespaceInfo) {
        self.apply_shared_namespace(Arc::new(info));
    }

    fn apply_shared_namespace(&self, info: Arc<NamespaceInfo>) {
        if let Ok(mut map) = self.namespaces.write() {
            map.insert(info.name.clone(), info);
        }
    }

    /// Removes one namespace.
    pub fn delete_namespace(&self, name: &str) {
        if let Ok(mut map) = self.namespaces.write() {
            map.remove(name);
        }
    }

    /// Replaces every namespace with a complete list and marks namespaces synced.
    pub fn replace_namespaces(&self, all: HashMap<String, NamespaceInfo>) {
        let all = all
            .into_iter()
            .map(|(name, info)| (name, Arc::new(info)))
            .collect();
        if let Ok(mut map) = self.namespaces.write() {
            *map = all;
        }
        self.namespaces_synced.store(true, Ordering::Release);
    }

    /// Adds or replaces one pod of `namespace`.
    pub fn apply_pod(&self, namespace: &str, info: PodInfo) {
        if let Ok(mut map) = self.pods.write() {
            map.entry(namespace.to_owned())
                .or_default()
                .insert(info.name.clone(), Arc::new(info));
        }
    }

    /// Removes one pod.
    pub fn delete_pod(&self, namespace: &str, name: &str) {
        if let Ok(mut map) = self.pods.write() {
            if let Some(pods) = map.get_mut(namespace) {
                pods.remove(name);
                if pods.is_empty() {
                    map.remove(namespace);
                }
            }
        }
    }

    /// Replaces every pod with a complete list and marks pods synced.
    pub fn replace_pods(&self, all: HashMap<String, PodsByName>) {
        if let Ok(mut map) = self.pods.write() {
            *map = all;
        }
        self.pods_synced.store(true, Ordering::Release);
    }
}

impl ClusterState for ClusterCache {
    fn namespace(&self, name: &str) -> Result<Option<Arc<NamespaceInfo>>, String> {
        if !self.namespaces_synced.load(Ordering::Acquire) {
            return Err("namespace cache not synced yet".to_owned());
        }
        let cached = self
            .namespaces
            .read()
            .map_err(|_| "namespace cache unavailable".to_owned())?
            .get(name)
            .cloned();
        match (cached, &self.live_lookup) {
            (Some(info), _) => Ok(Some(info)),
            (None, Some(live)) => self.lookup_live(live, name),
            (None, None) => Ok(None),
        }
    }

    fn pods(&self, namespace: &str) -> Result<Vec<Arc<PodInfo>>, String> {
        if !self.pods_synced.load(Ordering::Acquire) {
            return Err("pod cache not synced yet".to_owned());
        }
        let map = self
            .pods
            .read()
            .map_err(|_| "pod cache unavailable".to_owned())?;
        Ok(map
            .get(namespace)
            .map(|pods| pods.values().cloned().collect())
            .unwrap_or_default())
    }
}

/// A kube client configured as kubectl resolves it: `--kubeconfig` (else `KUBECONFIG`, else
/// `~/.kube/config`, else the in-cluster service account), with `--context` if given.
pub async fn kube_client(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Client, String> {
    use kube::config::{Config, KubeConfigOptions, Kubeconfig};
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = match kubeconfig {
        Some(path) => {
            let file =
                Kubeconfig::read_from(path).map_err(|err| format!("{}: {err}", path.display()))?;
            Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|err| format!("{}: {err}", path.display()))?
        }
        None if context.is_some() => Config::from_kubeconfig(&options)
            .await
            .map_err(|err| format!("kubeconfig: {err}"))?,
        None => Config::infer()
            .await
            .map_err(|err| format!("no kubeconfig and not in a cluster: {err}"))?,
    };
    Client::try_from(config).map_err(|err| format!("Kubernetes client: {err}"))
}

/// Keeps `cache` in sync with the cluster's Namespaces and Pods until the task is dropped. Watch errors are
/// logged and retried with backoff (kube's default), never fatal.
pub async fn watch_cluster(client: Client, cache: Arc<ClusterCache>) {
    let namespaces = watch_namespaces(Api::<Namespace>::all(client.clone()), Arc::clone(&cache));
    let pods = watch_pods(Api::<Pod>::all(client), cache);
    futures_util::future::join(namespaces, pods).await;
}

async fn watch_namespaces(api: Api<Namespace>, cache: Arc<ClusterCache>) {
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listing: Option<HashMap<String, NamespaceInfo>> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listing = Some(HashMap::new()),
            Ok(Event::InitApply(namespace)) => {
                if let (Some(all), Some(info)) = (listing.as_mut(), namespace_info(&namespace)) {
                    all.insert(info.name.clone(), info);
                }
            }
            Ok(Event::InitDone) => {
                let all = listing.take().unwrap_or_default();
                tracing::info!(namespaces = all.len(), "namespace cache synced");
                cache.replace_namespaces(all);
            }
            Ok(Event::Apply(namespace)) => {
                if let Some(info) = namespace_info(&namespace) {
                    cache.apply_namespace(info);
                }
            }
            Ok(Event::Delete(namespace)) => {
                if let Some(name) = namespace.metadata.name.as_deref() {
                    cache.delete_namespace(name);
                }
            }
            Err(err) => tracing::warn!(error = %err, "namespace watch failed; retrying"),
        }
    }
}

async fn watch_pods(api: Api<Pod>, cache: Arc<ClusterCache>) {
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listing: Option<HashMap<String, PodsByName>> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listing = Some(HashMap::new()),
            Ok(Event::InitApply(pod)) => {
                if let (Some(all), Some((namespace, info))) = (listing.as_mut(), pod_info(&pod)) {
                    all.entry(namespace)
                        .or_default()
                        .insert(info.name.clone(), Arc::new(info));
                }
            }
            Ok(Event::InitDone) => {
                let all = listing.take().unwrap_or_default();
                tracing::info!(
                    pods = all.values().map(BTreeMap::len).sum::<usize>(),
                    "pod cache synced"
                );
                cache.replace_pods(all);
            }
            Ok(Event::Apply(pod)) => {
                if let Some((namespace, info)) = pod_info(&pod) {
                    cache.apply_pod(&namespace, info);
                }
            }
            Ok(Event::Delete(pod)) => {
                if let (Some(namespace), Some(name)) = (
                    pod.metadata.namespace.as_deref(),
                    pod.metadata.name.as_deref(),
                ) {
                    cache.delete_pod(namespace, name);
                }
            }
            Err(err) => tracing::warn!(error = %err, "pod watch failed; retrying"),
        }
    }
}

/// The annotation `kubectl apply` stores a copy of the whole object in; never read by Pod Security.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A watched object as the document tree the engine reads, without `status`, `managedFields` and kubectl's
/// last-applied copy (none is read by Pod Security; the latter two can be larger than the object itself).
fn lean_node<T: serde::Serialize>(object: &T) -> Option<Node> {
    let mut value = serde_json::to_value(object).ok()?;
    if let Some(map) = value.as_object_mut() {
        map.remove("status");
        if let Some(metadata) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            metadata.remove("managedFields");
            if let Some(annotations) = metadata
                .get_mut("annotations")
                .and_then(|a| a.as_object_mut())
            {
                annotations.remove(LAST_APPLIED);
            }
        }
    }
    Some(mamori_yaml::node_from_json_value(&value))
}

fn namespace_info(namespace: &Namespace) -> Option<NamespaceInfo> {
    NamespaceInfo::from_node(&lean_node(namespace)?)
}

fn pod_info(pod: &Pod) -> Option<(String, PodInfo)> {
    let namespace = pod.metadata.namespace.clone()?;
    Some((namespace, PodInfo::from_node(lean_node(pod)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn files_give_namespaces_and_pods() {
        let dir = tempfile::tempdir().expect("tempdir");
        let namespaces = write(
            dir.path(),
            "ns.yaml",
            "apiVersion: v1\nkind: NamespaceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: prod\n    labels: {pod-security.kubernetes.io/enforce: baseline}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: dev}\n",
        );
        let pods = write(
            dir.path(),
            "pods.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: prod}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: prod}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n",
        );
        let (cache, counts) = ClusterCache::from_files(&[namespaces, pods]).expect("load");
        assert_eq!(
            counts,
            FileCounts {
                namespaces: 2,
                pods: 2,
                ignored: 1
            }
        );
        assert!(cache.is_ready());
        let prod = cache.namespace("prod").expect("lookup").expect("prod");
        assert_eq!(
            prod.labels,
            vec![(
                "pod-security.kubernetes.io/enforce".to_owned(),
                "baseline".to_owned()
            )]
        );
        assert!(cache.namespace("other").expect("lookup").is_none());
        let names: Vec<String> = cache
            .pods("prod")
            .expect("pods")
            .iter()
            .map(|pod| pod.name.clone())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(cache.pods("dev").expect("pods").is_empty());
    }

    #[test]
    fn file_errors_name_file_and_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let broken = write(
            dir.path(),
            "broken.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: [unclosed\n",
        );
        let err = ClusterCache::from_files(std::slice::from_ref(&broken)).expect_err("broken YAML");
        assert!(err.contains("broken.yaml:"), "{err}");
        let missing = dir.path().join("missing.yaml");
        let err = ClusterCache::from_files(&[missing]).expect_err("missing file");
        assert!(err.contains("missing.yaml"), "{err}");
    }

    #[test]
    fn unsynced_cache_fails_lookups() {
        let cache = ClusterCache::new();
        assert!(!cache.is_ready());
        assert!(cache.namespace("x").is_err());
        assert!(cache.pods("x").is_err());
        cache.replace_namespaces(HashMap::new());
        assert!(cache.namespace("x").expect("synced").is_none());
        assert!(!cache.is_ready());
        cache.replace_pods(HashMap::new());
        assert!(cache.is_ready());
    }
}
