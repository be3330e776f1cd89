use super::*;

const SECOND: Duration = Duration::from_secs(1);

fn request(member_id: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.into(),
        client_id: "c".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout: 10 * SECOND,
        rebalance_timeout: 30 * SECOND,
        protocol_type: "consumer".into(),
        protocols: protocols.iter().map(|p| (p.to_string(), Bytes::from(format!("{member_id}:{p}")))).collect(),
    }
}

fn join(g: &mut ClassicGroup, id: &str, new_id: &str, now: Instant) -> oneshot::Receiver<Result<Joined>> {
    let (tx, rx) = oneshot::channel();
    g.join("g", request(id, &["range", "roundrobin"]), new_id.into(), tx, now).expect("join");
    rx
}

fn sync(
    g: &mut ClassicGroup,
    generation: i32,
    id: &str,
    assign: &[(&str, &str)],
    now: Instant,
) -> oneshot::Receiver<Result<Bytes>> {
    let (tx, rx) = oneshot::channel();
    let assignments = assign
        .iter()
        .map(|(m, a)| (m.to_string(), Assignment { bytes: Bytes::from(a.to_string()), ..Default::default() }))
        .collect();
    g.sync("g", generation, id, assignments, tx, now).expect("sync");
    rx
}

fn joined(rx: &mut oneshot::Receiver<Result<Joined>>) -> Joined {
    rx.try_recv().expect("answered").expect("joined")
}

#[test]
fn members_joining_an_empty_group_together_share_its_first_generation() {
    let t0 = Instant::now();
    let mut g = ClassicGroup::new();
    let mut a = join(&mut g, "", "a", t0);
    let mut b = join(&mut g, "", "b", t0 + SECOND / 2);
    assert!(a.try_recv().is_err(), "an empty group waits the initial delay");
    g.try_complete_join(t0 + 2 * SECOND);
    let (ja, jb) = (joined(&mut a), joined(&mut b));
    assert_eq!((ja.generation, ja.leader.as_str(), ja.protocol.as_str()), (1, "a", "range"));
    assert_eq!(ja.members.len(), 2, "the leader sees every member's metadata");
    assert!(jb.members.is_empty(), "followers see none");
    assert_eq!(jb.member_id, "b");

    let mut waiting = sync(&mut g, 1, "b", &[], t0 + 2 * SECOND);
    assert!(waiting.try_recv().is_err(), "a follower waits for the leader's assignment");
    let mut leader = sync(&mut g, 1, "a", &[("a", "p0"), ("b", "p1")], t0 + 2 * SECOND);
    assert_eq!(leader.try_recv().expect("answered").expect("ok"), "p0");
    assert_eq!(waiting.try_recv().expect("answered").expect("ok"), "p1");
    assert_eq!(g.phase, Phase::Stable);
    assert!(g.check_member("g", 1, "b", t0 + 3 * SECOND).is_ok());
}

#[test]
fn a_new_member_makes_the_others_rejoin_and_a_missing_one_is_dropped_at_the_deadline() {
    let t0 = Instant::now();
    let mut g = ClassicGroup::new();
    let (mut a, mut b) = (join(&mut g, "", "a", t0), join(&mut g, "", "b", t0));
    g.try_complete_join(t0 + 2 * SECOND);
    let (_, _) = (joined(&mut a), joined(&mut b));
    let _synced = sync(&mut g, 1, "a", &[("a", "x"), ("b", "y")], t0 + 2 * SECOND);

    let mut c = join(&mut g, "", "c", t0 + 3 * SECOND);
    let heartbeat = g.check_member("g", 1, "a", t0 + 3 * SECOND);
    assert!(matches!(heartbeat, Err(Error::RebalanceInProgress { .. })), "{heartbeat:?}");
    let mut a = join(&mut g, "a", "unused", t0 + 4 * SECOND);
    assert!(c.try_recv().is_err(), "b has not rejoined yet");
    // b never rejoins: at the rebalance deadline it is out.
    g.try_complete_join(t0 + 40 * SECOND);
    let (ja, jc) = (joined(&mut a), joined(&mut c));
    assert_eq!((ja.generation, ja.leader.as_str()), (2, "a"), "the leader stays the leader");
    assert_eq!(jc.generation, 2);
    assert!(!g.members.contains_key("b"));
    let stale = g.check_member("g", 1, "a", t0 + 41 * SECOND);
    assert!(matches!(stale, Err(Error::IllegalGeneration { current: 2, .. })), "{stale:?}");
}

#[test]
fn when_everyone_rejoins_the_join_completes_at_once() {
    let t0 = Instant::now();
    let mut g = ClassicGroup::new();
    let mut a = join(&mut g, "", "a", t0);
    g.try_complete_join(t0 + 2 * SECOND);
    joined(&mut a);
    let _synced = sync(&mut g, 1, "a", &[("a", "x")], t0 + 2 * SECOND);
    let mut again = join(&mut g, "a", "unused", t0 + 3 * SECOND);
    assert_eq!(joined(&mut again).generation, 2, "no wait when every member is in");
}

#[test]
fn silent_members_expire_and_leaving_members_go_at_once() {
    let t0 = Instant::now();
    let mut g = ClassicGroup::new();
    let (mut a, mut b) = (join(&mut g, "", "a", t0), join(&mut g, "", "b", t0));
    g.try_complete_join(t0 + 2 * SECOND);
    let (_, _) = (joined(&mut a), joined(&mut b));
    let _synced = sync(&mut g, 1, "a", &[], t0 + 2 * SECOND);
    assert!(g.check_member("g", 1, "a", t0 + 11 * SECOND).is_ok());
    assert_eq!(g.expire("g", t0 + 13 * SECOND), vec!["b".to_string()], "b was silent for 11 s");
    assert!(matches!(g.phase, Phase::Joining { .. }));
    let results = g.leave("g", &["a".into(), "zz".into()], t0 + 14 * SECOND);
    assert!(results[0].is_ok() && matches!(results[1], Err(Error::UnknownMember { .. })));
    assert_eq!(g.phase, Phase::Empty);
}

#[test]
fn protocols_must_agree_and_the_most_preferred_common_one_is_chosen() {
    let t0 = Instant::now();
    let mut g = ClassicGroup::new();
    let (tx, mut a) = oneshot::channel();
    g.join("g", request("", &["cooperative-sticky", "range"]), "a".into(), tx, t0).expect("a");
    let (tx, mut b) = oneshot::channel();
    g.join("g", request("", &["range"]), "b".into(), tx, t0).expect("b");
    let (tx, _) = oneshot::channel();
    let none_common = g.join("g", request("", &["sticky"]), "c".into(), tx, t0);
    assert!(matches!(none_common, Err(Error::InconsistentGroupProtocol { .. })), "{none_common:?}");
    let (tx, _) = oneshot::channel();
    let other_type =
        g.join("g", JoinRequest { protocol_type: "connect".into(), ..request("", &["range"]) }, "d".into(), tx, t0);
    assert!(matches!(other_type, Err(Error::InconsistentGroupProtocol { .. })));
    g.try_complete_join(t0 + 2 * SECOND);
    assert_eq!(joined(&mut a).protocol, "range");
    assert_eq!(joined(&mut b).members.len(), 0);
    let (tx, _) = oneshot::channel();
    let unknown = g.join("g", request("ghost", &["range"]), "x".into(), tx, t0);
    assert!(matches!(unknown, Err(Error::UnknownMember { .. })));
}
