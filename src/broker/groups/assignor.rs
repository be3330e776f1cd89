//! The group coordinator's assignor: balanced and sticky.
//!
//! Topics are assigned one at a time (in name order) among the members subscribed to them.
//! Each gets `n / m` partitions and `n % m` of them one more; the extras go to the members with
//! the fewest partitions so far (so totals stay within one of each other when subscriptions
//! are the same), ties to those who held more of the topic before. Within its quota a member
//! keeps what it held; only the surplus moves.
use std::collections::{BTreeMap, BTreeSet};

pub type TopicPartition = (String, u32);
pub type Assignment = BTreeMap<String, BTreeSet<TopicPartition>>;

/// `members`: member id → subscribed topics. `topics`: topic → partition count (topics that do
/// not exist are absent). `previous`: the last target, for stickiness.
pub fn assign(
    members: &BTreeMap<String, BTreeSet<String>>,
    topics: &BTreeMap<String, u32>,
    previous: &Assignment,
) -> Assignment {
    let mut result: Assignment = members.keys().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (topic, &count) in topics {
        let subscribers: Vec<&String> = members.iter().filter(|(_, t)| t.contains(topic)).map(|(m, _)| m).collect();
        if subscribers.is_empty() || count == 0 {
            continue;
        }
        assign_topic(topic, count, &subscribers, previous, &mut result);
    }
    result
}

fn assign_topic(topic: &str, count: u32, subscribers: &[&String], previous: &Assignment, result: &mut Assignment) {
    let held = |m: &String| -> Vec<u32> {
        previous
            .get(m)
            .map(|set| set.iter().filter(|(t, p)| t == topic && *p < count).map(|(_, p)| *p).collect())
            .unwrap_or_default()
    };
    let mut order: Vec<&String> = subscribers.to_vec();
    order.sort_by_key(|m| (result[*m].len(), std::cmp::Reverse(held(m).len()), (*m).clone()));
    let m = order.len() as u32;
    let quota = |i: usize| (count / m + u32::from((i as u32) < count % m)) as usize;
    let mut taken = BTreeSet::new();
    let mut mine: Vec<Vec<u32>> = Vec::with_capacity(order.len());
    for (i, member) in order.iter().enumerate() {
        let keep: Vec<u32> = held(member).into_iter().filter(|p| !taken.contains(p)).take(quota(i)).collect();
        taken.extend(keep.iter().copied());
        mine.push(keep);
    }
    let mut free = (0..count).filter(|p| !taken.contains(p));
    for (i, member) in order.iter().enumerate() {
        while mine[i].len() < quota(i) {
            let Some(p) = free.next() else { break };
            mine[i].push(p);
        }
        let set = result.get_mut(*member).expect("every subscriber has an entry");
        set.extend(mine[i].iter().map(|p| (topic.to_string(), *p)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(ids: &[&str], topics: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
        ids.iter().map(|m| (m.to_string(), topics.iter().map(|t| t.to_string()).collect())).collect()
    }

    fn counts(a: &Assignment) -> Vec<usize> {
        a.values().map(BTreeSet::len).collect()
    }

    fn covered(a: &Assignment) -> BTreeSet<TopicPartition> {
        let all: Vec<&TopicPartition> = a.values().flatten().collect();
        let set: BTreeSet<TopicPartition> = all.iter().map(|tp| (*tp).clone()).collect();
        assert_eq!(all.len(), set.len(), "no partition assigned twice");
        set
    }

    #[test]
    fn splits_evenly_and_covers_everything() {
        let topics = BTreeMap::from([("t".to_string(), 6)]);
        let a = assign(&members(&["a", "b"], &["t"]), &topics, &Assignment::new());
        assert_eq!(counts(&a), vec![3, 3]);
        assert_eq!(covered(&a).len(), 6);
    }

    #[test]
    fn a_third_member_takes_only_surplus() {
        let topics = BTreeMap::from([("t".to_string(), 6)]);
        let before = assign(&members(&["a", "b"], &["t"]), &topics, &Assignment::new());
        let after = assign(&members(&["a", "b", "c"], &["t"]), &topics, &before);
        assert_eq!(counts(&after), vec![2, 2, 2]);
        for m in ["a", "b"] {
            assert!(after[m].is_subset(&before[m]), "{m} keeps what it keeps: {:?} ⊆ {:?}", after[m], before[m]);
        }
        assert_eq!(covered(&after).len(), 6);
    }

    #[test]
    fn totals_stay_within_one_across_topics() {
        let topics: BTreeMap<String, u32> =
            [("a", 3), ("b", 3), ("c", 1), ("d", 5)].iter().map(|(t, n)| (t.to_string(), *n)).collect();
        let subs = members(&["m1", "m2", "m3", "m4"], &["a", "b", "c", "d"]);
        let mut previous = Assignment::new();
        for _ in 0..3 {
            let a = assign(&subs, &topics, &previous);
            let c = counts(&a);
            assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1, "{c:?}");
            assert_eq!(covered(&a).len(), 12);
            assert_eq!(a, assign(&subs, &topics, &a), "stable once balanced");
            previous = a;
        }
    }

    #[test]
    fn follows_partition_growth_and_topic_deletion() {
        let subs = members(&["a", "b"], &["t", "u"]);
        let before = assign(&subs, &BTreeMap::from([("t".into(), 2), ("u".into(), 2)]), &Assignment::new());
        let grown = assign(&subs, &BTreeMap::from([("t".into(), 4), ("u".into(), 2)]), &before);
        assert_eq!(covered(&grown).len(), 6);
        let deleted = assign(&subs, &BTreeMap::from([("t".into(), 4)]), &grown);
        assert!(covered(&deleted).iter().all(|(t, _)| t == "t"));
        assert_eq!(counts(&deleted), vec![2, 2]);
    }

    #[test]
    fn only_subscribers_get_a_topic() {
        let mut subs = members(&["a"], &["t"]);
        subs.insert("b".into(), BTreeSet::from(["u".to_string()]));
        let a = assign(&subs, &BTreeMap::from([("t".into(), 3), ("u".into(), 1)]), &Assignment::new());
        assert_eq!(a["a"].len(), 3);
        assert_eq!(a["b"], BTreeSet::from([("u".to_string(), 0)]));
    }
}
