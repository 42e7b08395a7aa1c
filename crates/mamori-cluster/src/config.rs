//! Client configuration, resolved as kubectl resolves it.

use crate::{ClusterError, ClusterOptions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Config;

/// The context name reported for the in-cluster (service account) configuration.
pub(crate) const IN_CLUSTER: &str = "in-cluster";

/// A resolved client configuration and the name of the context it came from.
pub(crate) struct Target {
    pub config: Config,
    pub context: String,
}

/// `--kubeconfig` when given; else `KUBECONFIG` (a merged list) or `~/.kube/config`; and only when no kubeconfig
/// exists and no context was asked for, the in-cluster service account.
pub(crate) async fn resolve(opts: &ClusterOptions) -> Result<Target, ClusterError> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|err| ClusterError::Config {
            message: format!("{}: {}", path.display(), chain(&err)),
        })?,
        None => match Kubeconfig::read() {
            Ok(kubeconfig) => kubeconfig,
            Err(kubeconfig_err) if opts.context.is_none() => {
                return in_cluster().map_err(|in_cluster_err| ClusterError::Config {
                    message: format!(
                        "no kubeconfig ({}) and not running in a cluster ({in_cluster_err}); pass --kubeconfig or set KUBECONFIG",
                        chain(&kubeconfig_err)
                    ),
                });
            }
            Err(err) => {
                return Err(ClusterError::Config {
                    message: chain(&err),
                })
            }
        },
    };
    let context = opts
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_default();
    if context.is_empty() {
        return Err(ClusterError::Config {
            message: "the kubeconfig has no current-context; pass --context".to_owned(),
        });
    }
    if !kubeconfig
        .contexts
        .iter()
        .any(|named| named.name == context)
    {
        return Err(ClusterError::Config {
            message: format!("context \"{context}\" is not in the kubeconfig"),
        });
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|err| ClusterError::Config {
            message: format!("context \"{context}\": {}", chain(&err)),
        })?;
    Ok(Target { config, context })
}

fn in_cluster() -> Result<Target, String> {
    Config::incluster()
        .map(|config| Target {
            config,
            context: IN_CLUSTER.to_owned(),
        })
        .map_err(|err| chain(&err))
}

/// An error and its causes as one line (`outer: cause: root cause`), repeated texts dropped.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    crate::error::clean(&parts.join(": "))
}
