//! The seam to a replicated log: who leads, and how a catalog change reaches every broker. A
//! single broker has none (it leads everything and applies catalog changes at once); a cluster
//! member gets its leadership and catalog proposals from its Raft group (`crate::cluster`).
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::Broker;
use super::catalog::{CatalogApplied, CatalogOp};
use crate::error::{Error, Result};

/// Who leads the log this broker belongs to, as this broker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leadership {
    pub leader: bool,
    pub leader_id: Option<u64>,
    /// The leader's client address.
    pub leader_addr: Option<String>,
}

pub trait Replication: Send + Sync {
    fn leadership(&self) -> Leadership;

    /// Proposes a catalog change; resolves once this broker applied it.
    fn propose_catalog(&self, op: CatalogOp) -> BoxFuture<'static, Result<CatalogApplied>>;

    /// Catalog changes applied here, for this broker's own housekeeping (families to create or
    /// reclaim). Taken once.
    fn take_catalog_events(&self) -> Option<mpsc::UnboundedReceiver<CatalogApplied>>;
}

impl Broker {
    /// `Ok` if this broker leads now (always, alone); else `NotLeader` naming the leader.
    pub fn ensure_leader(&self) -> Result<()> {
        match &self.replication {
            None => Ok(()),
            Some(replication) => {
                let leadership = replication.leadership();
                if leadership.leader {
                    Ok(())
                } else {
                    Err(Error::NotLeader { leader_id: leadership.leader_id, leader_addr: leadership.leader_addr })
                }
            }
        }
    }

    /// Who leads, as this broker sees it.
    pub fn leadership(&self) -> Leadership {
        match &self.replication {
            None => Leadership { leader: true, leader_id: Some(self.identity.node_id), leader_addr: None },
            Some(replication) => replication.leadership(),
        }
    }
}
