//! The clients and deployments each profile knows at run time: the fixed registrations,
//! plus the deployments course installs create (Canvas) and the clients Dynamic
//! Registration adds. The token endpoint, the authorize step, the deep linking return
//! and the home page all ask here, so a client registered at run time works everywhere.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::platform::lock;
use crate::registry::PROFILES;

/// One client of a profile and the deployments the platform made for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnownClient {
    pub client_id: String,
    pub deployments: Vec<String>,
}

pub(crate) struct Directory {
    clients: Mutex<HashMap<String, Vec<KnownClient>>>,
}

impl Directory {
    /// The fixed registrations; `*` is the tool's wildcard, not a deployment of ours.
    pub fn new() -> Directory {
        let clients = PROFILES
            .iter()
            .map(|(platform, _, clients)| {
                let known = clients
                    .iter()
                    .map(|(client_id, deployments)| KnownClient {
                        client_id: client_id.to_string(),
                        deployments: deployments
                            .iter()
                            .filter(|dep| **dep != "*")
                            .map(|dep| dep.to_string())
                            .collect(),
                    })
                    .collect();
                (platform.to_string(), known)
            })
            .collect();
        Directory {
            clients: Mutex::new(clients),
        }
    }

    pub fn clients(&self, platform: &str) -> Vec<KnownClient> {
        lock(&self.clients)
            .get(platform)
            .cloned()
            .unwrap_or_default()
    }

    /// The deployments of `client_id`, or `None` when it is not a client of `platform`.
    pub fn deployments(&self, platform: &str, client_id: &str) -> Option<Vec<String>> {
        self.clients(platform)
            .into_iter()
            .find(|client| client.client_id == client_id)
            .map(|client| client.deployments)
    }

    /// Adds a deployment to an existing client (once); false for an unknown client.
    pub fn add_deployment(&self, platform: &str, client_id: &str, deployment: &str) -> bool {
        let mut clients = lock(&self.clients);
        let client = clients
            .get_mut(platform)
            .and_then(|list| list.iter_mut().find(|c| c.client_id == client_id));
        match client {
            Some(client) => {
                if !client.deployments.iter().any(|d| d == deployment) {
                    client.deployments.push(deployment.to_string());
                }
                true
            }
            None => false,
        }
    }

    pub fn add_client(&self, platform: &str, client: KnownClient) {
        lock(&self.clients)
            .entry(platform.to_string())
            .or_default()
            .push(client);
    }
}
