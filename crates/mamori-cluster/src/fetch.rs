//! The listing: one tokio runtime, one task per kind (a few at once), pages handed to the caller in kind order.

use crate::config::{chain, resolve};
use crate::error::{clean, ListScope, ListTarget};
use crate::page::{continue_of, parse_page};
use crate::{
    ClusterError, ClusterOptions, FetchItem, KindSpec, DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE,
};
use http_body_util::{BodyExt, Limited};
use kube::api::ListParams;
use kube::client::Body;
use kube::core::Request;
use kube::Client;
use mamori_model::Node;
use mamori_yaml::Limits;
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

/// Longest wait for response bytes before a request fails as unreachable.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Pages a kind may hold ready ahead of the caller (bounds memory while later kinds are read).
const PAGES_AHEAD: usize = 2;

/// Runs the whole fetch on a private runtime; every outcome reaches `sink`.
pub(crate) fn run(opts: &ClusterOptions, kinds: &[KindSpec], sink: &mut dyn FnMut(FetchItem)) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            sink(FetchItem::Error(ClusterError::Config {
                message: format!("cannot start the client runtime: {err}"),
            }));
            return;
        }
    };
    runtime.block_on(fetch_all(opts, kinds, sink));
}

/// What every kind's task shares.
struct Lister {
    client: Client,
    server: String,
    context: String,
    /// `cluster:<context>`: the source file of every object.
    file: Arc<str>,
    page_size: u32,
    limits: Limits,
}

async fn fetch_all(opts: &ClusterOptions, kinds: &[KindSpec], sink: &mut dyn FnMut(FetchItem)) {
    // rustls needs to be told which provider to use (it picks none on its own when the build enables more than
    // one). An error only means a provider was installed already.
    let _ = mamori_tls::provider().install_default();
    if let Some(namespace) = &opts.namespace {
        if !is_dns_label(namespace) {
            sink(FetchItem::Error(ClusterError::InvalidNamespace {
                namespace: namespace.clone(),
            }));
            return;
        }
    }
    let target = match resolve(opts).await {
        Ok(target) => target,
        Err(err) => {
            sink(FetchItem::Error(err));
            return;
        }
    };
    let server = target
        .config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let mut config = target.config;
    // kubeconfig-based configurations wait forever for a stalled server; a LIST page never needs minutes.
    config.read_timeout = config.read_timeout.or(Some(READ_TIMEOUT));
    let client = match Client::try_from(config) {
        Ok(client) => client,
        Err(err) => {
            sink(FetchItem::Error(ClusterError::Config {
                message: format!("context \"{}\": {}", target.context, chain(&err)),
            }));
            return;
        }
    };
    let lister = Arc::new(Lister {
        client,
        file: Arc::from(format!("cluster:{}", target.context)),
        server,
        context: target.context,
        page_size: if opts.page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            opts.page_size
        },
        limits: Limits::default(),
    });
    // One cheap request first, so an unreachable server or rejected credentials give one clear error instead
    // of one per kind.
    if let Err(err) = probe(&lister).await {
        sink(FetchItem::Error(err));
        return;
    }
    sink(FetchItem::Connected {
        context: lister.context.clone(),
        server: lister.server.clone(),
    });

    let plans: Vec<(KindSpec, ListScope)> = kinds
        .iter()
        .filter_map(|kind| plan(kind, opts.namespace.as_deref()).map(|scope| (*kind, scope)))
        .collect();
    let concurrency = if opts.concurrency == 0 {
        DEFAULT_CONCURRENCY
    } else {
        opts.concurrency
    };
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut receivers = Vec::with_capacity(plans.len());
    let mut senders = Vec::with_capacity(plans.len());
    for _ in &plans {
        let (tx, rx) = mpsc::channel(PAGES_AHEAD);
        senders.push(tx);
        receivers.push(rx);
    }
    // Permits are taken in kind order, so the kind the caller is draining always holds one: no deadlock, and
    // at most `concurrency` kinds are read (and buffered) at a time.
    let starter = tokio::spawn(async move {
        for ((kind, scope), tx) in plans.into_iter().zip(senders) {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let lister = lister.clone();
            tokio::spawn(async move {
                list_kind(&lister, kind, scope, &tx).await;
                drop(permit);
            });
        }
    });
    // A connection or credential failure in the middle of the fetch hits every kind still being read; say it once.
    let mut said: Vec<ClusterError> = Vec::new();
    for mut rx in receivers {
        while let Some(item) = rx.recv().await {
            if let FetchItem::Error(
                error @ (ClusterError::Unreachable { .. } | ClusterError::Unauthorized { .. }),
            ) = &item
            {
                if said.contains(error) {
                    continue;
                }
                said.push(error.clone());
            }
            sink(item);
        }
    }
    let _ = starter.await;
}

/// The scope a kind is listed in, or `None` when it is out of scope: with a namespace, cluster-scoped kinds are
/// not read, except that namespace's own Namespace object.
fn plan(kind: &KindSpec, namespace: Option<&str>) -> Option<ListScope> {
    match (namespace, kind.namespaced) {
        (None, true) => Some(ListScope::AllNamespaces),
        (None, false) => Some(ListScope::Cluster),
        (Some(namespace), true) => Some(ListScope::Namespace(namespace.to_owned())),
        (Some(namespace), false) if kind.group.is_empty() && kind.plural == "namespaces" => {
            Some(ListScope::Namespace(namespace.to_owned()))
        }
        (Some(_), false) => None,
    }
}

/// `GET /version`: readable by every authenticated client (and usually anonymous ones).
async fn probe(lister: &Lister) -> Result<(), ClusterError> {
    let request = http::Request::get("/version").body(Vec::new());
    let request = match request {
        Ok(request) => request,
        Err(err) => {
            return Err(ClusterError::Config {
                message: err.to_string(),
            })
        }
    };
    let response = lister
        .client
        .send(request.map(Body::from))
        .await
        .map_err(|err| unreachable(lister, &err))?;
    let status = response.status().as_u16();
    if status == 401 {
        let body = read_body(response.into_body(), &lister.limits)
            .await
            .unwrap_or_default();
        return Err(ClusterError::Unauthorized {
            server: lister.server.clone(),
            context: lister.context.clone(),
            message: status_message(&body, &lister.limits, "Unauthorized"),
        });
    }
    // Any other answer (even 403 or 404 from a locked-down server) proves the server is reachable; the LISTs
    // then say precisely what is allowed.
    Ok(())
}

fn unreachable(lister: &Lister, err: &kube::Error) -> ClusterError {
    ClusterError::Unreachable {
        server: lister.server.clone(),
        context: lister.context.clone(),
        cause: chain(err),
    }
}

/// Lists one kind page by page into `tx`; errors and notes go to `tx` as well. Stops early when the caller has
/// gone away.
async fn list_kind(
    lister: &Lister,
    kind: KindSpec,
    scope: ListScope,
    tx: &mpsc::Sender<FetchItem>,
) {
    let target = ListTarget {
        group: kind.group,
        plural: kind.plural,
        scope,
    };
    let path = list_path(&kind, &target.scope);
    let field_selector = match &target.scope {
        ListScope::Namespace(namespace) if !kind.namespaced => {
            Some(format!("metadata.name={namespace}"))
        }
        _ => None,
    };
    let mut continue_token: Option<String> = None;
    let mut read: u64 = 0;
    loop {
        let params = ListParams {
            limit: Some(lister.page_size),
            continue_token: continue_token.clone(),
            field_selector: field_selector.clone(),
            ..ListParams::default()
        };
        let request = Request::new(path.as_str());
        let request = if kind.metadata_only {
            request.list_metadata(&params)
        } else {
            request.list(&params)
        };
        let request = match request {
            Ok(request) => request,
            Err(err) => {
                let message = chain(&err);
                let _ = tx
                    .send(FetchItem::Error(ClusterError::Response { target, message }))
                    .await;
                return;
            }
        };
        let response = match lister.client.send(request.map(Body::from)).await {
            Ok(response) => response,
            Err(err) => {
                let _ = tx.send(FetchItem::Error(unreachable(lister, &err))).await;
                return;
            }
        };
        let status = response.status().as_u16();
        let body = match read_body(response.into_body(), &lister.limits).await {
            Ok(body) => body,
            Err(message) => {
                let _ = tx
                    .send(FetchItem::Error(ClusterError::Response { target, message }))
                    .await;
                return;
            }
        };
        let outcome = match status {
            200 => match parse_page(&body, &kind, &lister.file, &lister.limits) {
                Ok(page) => {
                    read += page.objects.len() as u64;
                    let next = page.continue_token;
                    if tx
                        .send(FetchItem::Page {
                            kind,
                            objects: page.objects,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                    match next {
                        Some(token) => {
                            continue_token = Some(token);
                            continue;
                        }
                        None => FetchItem::KindDone {
                            kind,
                            objects: read,
                        },
                    }
                }
                Err(message) => FetchItem::Error(ClusterError::Response { target, message }),
            },
            410 if continue_token.is_some() => match resume_token(&body, &lister.limits) {
                Some(token) => {
                    let note = format!(
                            "listing {target}: the continue token expired (410 Gone) after {read} objects; resumed \
                             with the server's token, so objects changed meanwhile may be missing or seen twice"
                        );
                    if tx.send(FetchItem::Note(note)).await.is_err() {
                        return;
                    }
                    continue_token = Some(token);
                    continue;
                }
                None => FetchItem::Error(ClusterError::ListExpired {
                    message: status_message(&body, &lister.limits, "Gone"),
                    target,
                    read,
                }),
            },
            401 => FetchItem::Error(ClusterError::Unauthorized {
                server: lister.server.clone(),
                context: lister.context.clone(),
                message: status_message(&body, &lister.limits, "Unauthorized"),
            }),
            403 => FetchItem::Error(ClusterError::Forbidden {
                message: status_message(&body, &lister.limits, "Forbidden"),
                target,
            }),
            404 => FetchItem::Note(format!(
                "the API server does not serve {}/{} {}; not read",
                if kind.group.is_empty() {
                    "core"
                } else {
                    kind.group
                },
                kind.version,
                kind.plural
            )),
            code => FetchItem::Error(ClusterError::Api {
                message: status_message(&body, &lister.limits, "no message"),
                target,
                code,
            }),
        };
        let _ = tx.send(outcome).await;
        return;
    }
}

/// `/api/v1[/namespaces/NS]/PLURAL` or `/apis/GROUP/VERSION[/namespaces/NS]/PLURAL`.
fn list_path(kind: &KindSpec, scope: &ListScope) -> String {
    let base = if kind.group.is_empty() {
        format!("/api/{}", kind.version)
    } else {
        format!("/apis/{}/{}", kind.group, kind.version)
    };
    match scope {
        ListScope::Namespace(namespace) if kind.namespaced => {
            format!("{base}/namespaces/{namespace}/{}", kind.plural)
        }
        _ => format!("{base}/{}", kind.plural),
    }
}

/// The whole body, refused beyond the document size limit (a page is one JSON document).
async fn read_body(body: Body, limits: &Limits) -> Result<Vec<u8>, String> {
    Limited::new(body, limits.max_document_bytes)
        .collect()
        .await
        .map(|collected| collected.to_bytes().to_vec())
        .map_err(|err| {
            let mut parts = vec![err.to_string()];
            let mut source = err.source();
            while let Some(cause) = source {
                parts.push(cause.to_string());
                source = cause.source();
            }
            clean(&format!(
                "reading the response failed: {}",
                parts.join(": ")
            ))
        })
}

/// `message` of a `Status` body (else `fallback`), cleaned for one line.
fn status_message(body: &[u8], limits: &Limits, fallback: &str) -> String {
    mamori_yaml::parse_json(body, limits)
        .ok()
        .as_ref()
        .and_then(|status| status.get("message").and_then(Node::as_str).map(clean))
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

/// The token a 410 `Status` offers to continue an expired list (`metadata.continue`).
fn resume_token(body: &[u8], limits: &Limits) -> Option<String> {
    let status = mamori_yaml::parse_json(body, limits).ok()?;
    continue_of(status.get("metadata")?)
}

/// RFC 1123 label: what a namespace name must be (it is placed in request paths).
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_scopes() {
        let pods = crate::scan_kinds()
            .iter()
            .find(|k| k.plural == "pods")
            .copied()
            .unwrap();
        let roles = crate::rbac_kinds()[0];
        let namespaces = crate::scan_kinds()[0];
        let nodes = crate::scan_kinds()[1];
        assert_eq!(list_path(&pods, &ListScope::AllNamespaces), "/api/v1/pods");
        assert_eq!(
            list_path(&roles, &ListScope::Namespace("x".into())),
            "/apis/rbac.authorization.k8s.io/v1/namespaces/x/roles"
        );
        assert_eq!(
            plan(&namespaces, Some("x")),
            Some(ListScope::Namespace("x".into()))
        );
        assert_eq!(
            list_path(&namespaces, &ListScope::Namespace("x".into())),
            "/api/v1/namespaces"
        );
        assert_eq!(plan(&nodes, Some("x")), None);
        assert_eq!(plan(&nodes, None), Some(ListScope::Cluster));
    }

    #[test]
    fn namespace_names() {
        assert!(is_dns_label("kube-system"));
        for bad in ["", "-a", "a-", "A", "a/b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad:?}");
        }
    }
}
