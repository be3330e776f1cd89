//! Whether a broker's removal can commit in a shard, decided before anything changes: a
//! removal that stopped halfway would leave the broker a learner of the metadata shard (the
//! copies balancer standing down) until it is run again and finishes.
//!
//! Each change is a joint-consensus change in openraft: it commits with a majority of the
//! voters before it and a majority of those after it. Taking voter L out of a shard of voters
//! V is, in order: L made a learner (`V` → `V - L`); or, where the shard would keep fewer
//! voters than its factor, a copy on a live broker C first (C a learner, then `V` → `V + C`),
//! then `V + C` → `V + C - L`.

/// Whether taking a voter out of a shard of `voters` voters can commit, when `others_live` of
/// the others answer, the one leaving answers or not (`leaving_alive`), and `copied`: a copy
/// goes to another live broker first.
pub fn removal_commits(voters: usize, others_live: usize, leaving_alive: bool, copied: bool) -> bool {
    let live_now = others_live + usize::from(leaving_alive);
    let (voters_after, live_after) = match copied {
        true => (voters, others_live + 1),
        false => (voters - 1, others_live),
    };
    live_now * 2 > voters && live_after * 2 > voters_after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_broker_leaves_a_shard_whose_other_voters_are_a_majority() {
        // Three voters, the one leaving down: the two others carry every change.
        assert!(removal_commits(3, 2, false, false));
        assert!(removal_commits(3, 2, false, true));
        // One of the others down too: nothing commits.
        assert!(!removal_commits(3, 1, false, true));
        // Factor 2 with one copy down: the other is no majority of the two.
        assert!(!removal_commits(2, 1, false, true));
        // Factor 1, its copy down: nothing to copy from.
        assert!(!removal_commits(1, 0, false, true));
    }

    #[test]
    fn a_live_broker_hands_its_copy_over_first() {
        // The only copy, live: copied to another broker, then it leaves.
        assert!(removal_commits(1, 0, true, true));
        // Two voters, both live, no copy (a shard on every broker): the other stays alone.
        assert!(removal_commits(2, 1, true, false));
        // A live broker leaving a shard of three whose other two are down.
        assert!(!removal_commits(3, 0, true, false));
        // Four voters, one other down: 3 of 4 now, 2 of 3 after.
        assert!(removal_commits(4, 2, true, false));
    }
}
