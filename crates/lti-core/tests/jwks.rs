//! The platform's keys as launches use them: fetched once, refetched when the
//! platform rotates, never fetched by every launch however a client forges
//! `kid`s or however long the platform is down.

mod support;

use lti_core::jwks::REFETCH_COOLDOWN;
use lti_core::Error;
use serde_json::json;
use support::*;

/// A launch signed with `pem` under `kid`, after a fresh login.
fn launch_signed(world: &World, pem: &str, kid: &str) -> Result<(), Error> {
    let (state, nonce) = login(world);
    let header = json!({"alg": "RS256", "kid": kid});
    launch(world, &state, sign(&header, &launch_claims(&nonce), pem)).map(drop)
}

#[test]
fn fetches_jwks_once_and_refetches_on_unknown_kid() {
    let world = World::new();
    for _ in 0..3 {
        let (state, nonce) = login(&world);
        launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    }
    assert_eq!(
        world.http.requests.get(),
        1,
        "cached after the first launch"
    );

    // The platform rotates to a new key: the unknown kid triggers one refetch,
    // at once (an ordinary fetch does not start the cooldown).
    *world.http.jwks.borrow_mut() = jwks(&[PLATFORM2_PEM]);
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
    assert_eq!(world.http.requests.get(), 2);

    // A kid nobody publishes: no refetch so soon after the last one...
    let forged = launch_signed(&world, PLATFORM2_PEM, "nope");
    assert!(matches!(forged, Err(Error::UnknownKey(_))));
    assert_eq!(
        world.http.requests.get(),
        2,
        "forged kids cannot cause a refetch storm"
    );
    // ...and exactly one more fetch after the cooldown, then a clear error.
    world.now.set(NOW + REFETCH_COOLDOWN);
    let forged = launch_signed(&world, PLATFORM2_PEM, "nope");
    assert!(matches!(forged, Err(Error::UnknownKey(_))));
    assert_eq!(world.http.requests.get(), 3);
}

#[test]
fn a_key_rotated_just_after_a_fetch_is_found_at_once() {
    let world = World::new();
    launch_signed(&world, PLATFORM_PEM, &signing_key(PLATFORM_PEM).kid).unwrap();
    *world.http.jwks.borrow_mut() = jwks(&[PLATFORM_PEM, PLATFORM2_PEM]);
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
    assert_eq!(world.http.requests.get(), 2, "the fetch, then one refetch");

    for i in 0..100 {
        let forged = launch_signed(&world, ATTACKER_PEM, &format!("forged-{i}"));
        assert!(matches!(forged, Err(Error::UnknownKey(_))), "{forged:?}");
    }
    assert!(
        world.http.requests.get() <= 3,
        "100 forged kids cost at most one more fetch, not {}",
        world.http.requests.get() - 2
    );
    // Both keys still serve.
    launch_signed(&world, PLATFORM_PEM, &signing_key(PLATFORM_PEM).kid).unwrap();
    launch_signed(&world, PLATFORM2_PEM, &signing_key(PLATFORM2_PEM).kid).unwrap();
}

#[test]
fn serves_stale_keys_while_the_platform_is_down() {
    let world = World::new();
    let (state, nonce) = login(&world);
    launch(&world, &state, id_token(&launch_claims(&nonce))).unwrap();
    world.now.set(NOW + 7200);
    world.http.down.set(true);
    let mut claims = launch_claims("");
    claims["iat"] = json!(NOW + 7200);
    claims["exp"] = json!(NOW + 7500);
    for _ in 0..10 {
        let (state, nonce) = login(&world);
        claims["nonce"] = json!(nonce);
        launch(&world, &state, id_token(&claims)).unwrap();
    }
    assert_eq!(
        world.http.requests.get(),
        2,
        "a failed fetch stands for the cooldown: the platform is not asked by every launch"
    );
    // A key it never saw cannot be served stale.
    let unseen = launch_signed(&world, PLATFORM2_PEM, "new");
    assert!(
        matches!(unseen, Err(Error::JwksUnavailable(_))),
        "{unseen:?}"
    );
    assert_eq!(world.http.requests.get(), 2);
    // After the cooldown the platform is asked again, once.
    world.now.set(NOW + 7200 + REFETCH_COOLDOWN);
    let unseen = launch_signed(&world, PLATFORM2_PEM, "new");
    assert!(
        matches!(unseen, Err(Error::JwksUnavailable(_))),
        "{unseen:?}"
    );
    assert_eq!(world.http.requests.get(), 3);
}

/// The cache policy alone, without a store, a clock or a platform.
mod policy {
    use lti_core::jwk::PublicJwk;
    use lti_core::jwks::{
        fetched_key, jwks_action, CachedJwks, JwksAction, RecentFetches, REFETCH_COOLDOWN,
    };
    use lti_core::Error;

    /// The stored set's lifetime: fresh before `EXPIRES`, stale from then on.
    const FETCHED: u64 = 1000;
    const EXPIRES: u64 = 2000;
    const FRESH: u64 = 1500;
    const EXPIRED: u64 = 2500;

    fn key(kid: &str) -> PublicJwk {
        PublicJwk {
            kid: Some(kid.into()),
            ..PublicJwk::rsa("n".into(), "AQAB".into())
        }
    }

    fn set(kids: &[&str]) -> CachedJwks {
        CachedJwks {
            keys: kids.iter().map(|kid| key(kid)).collect(),
            fetched_at: FETCHED,
            expires_at: EXPIRES,
        }
    }

    fn failed(at: u64) -> RecentFetches {
        RecentFetches {
            failure: Some((at, "HTTP status 503".into())),
            unknown_kid_refetch: None,
        }
    }

    fn refetched(at: u64) -> RecentFetches {
        RecentFetches {
            failure: None,
            unknown_kid_refetch: Some(at),
        }
    }

    /// An action as the table writes it: the key's `kid`, or the error.
    fn summary(action: JwksAction) -> String {
        let kid = |k: &PublicJwk| k.kid.clone().unwrap_or_default();
        match action {
            JwksAction::UseCached(k) => format!("cached {}", kid(&k)),
            JwksAction::UseStale(k) => format!("stale {}", kid(&k)),
            JwksAction::Fetch { stale: Some(k) } => format!("fetch, else stale {}", kid(&k)),
            JwksAction::Fetch { stale: None } => "fetch".into(),
            JwksAction::RefetchForUnknownKid => "refetch".into(),
            JwksAction::Refuse(Error::UnknownKey(kid)) => format!("refuse: unknown {kid}"),
            JwksAction::Refuse(Error::JwksUnavailable(why)) => format!("refuse: {why}"),
            JwksAction::Refuse(other) => format!("refuse: {other:?}"),
        }
    }

    /// One situation: the stored set, what the isolate remembers, the time, the `kid`.
    type Situation<'a> = (Option<&'a CachedJwks>, RecentFetches, u64, Option<&'a str>);

    #[test]
    fn decides_from_the_cache_the_memory_and_the_time() {
        let none = RecentFetches::default;
        let (one, two) = (set(&["a"]), set(&["a", "b"]));
        let (one, two) = (Some(&one), Some(&two));
        let cooldown = REFETCH_COOLDOWN;
        #[rustfmt::skip]
        let cases: [(&str, Situation, &str); 16] = [
            ("fresh hit", (one, none(), FRESH, Some("a")), "cached a"),
            ("fresh hit despite a recent failure",
                (one, failed(FRESH - 1), FRESH, Some("a")), "cached a"),
            ("no kid, a set of one", (one, none(), FRESH, None), "cached a"),
            ("no set yet", (None, none(), FRESH, Some("a")), "fetch"),
            ("expired set holding the kid",
                (one, none(), EXPIRED, Some("a")), "fetch, else stale a"),
            ("expired from the second of expiry",
                (one, none(), EXPIRES, Some("a")), "fetch, else stale a"),
            ("expired set without the kid", (one, none(), EXPIRED, Some("z")), "fetch"),
            ("fresh miss: the platform may have rotated",
                (one, none(), FRESH, Some("z")), "refetch"),
            ("fresh miss, no kid, a set of two", (two, none(), FRESH, None), "refetch"),
            ("fresh miss within the refetch cooldown",
                (one, refetched(FRESH - 1), FRESH, Some("z")), "refuse: unknown z"),
            ("fresh miss once the cooldown is over",
                (one, refetched(FRESH - cooldown), FRESH, Some("z")), "refetch"),
            ("recent failure, expired set holding the kid",
                (one, failed(EXPIRED - 1), EXPIRED, Some("a")), "stale a"),
            ("recent failure, expired set without the kid",
                (one, failed(EXPIRED - 1), EXPIRED, Some("z")), "refuse: HTTP status 503"),
            ("recent failure, no set",
                (None, failed(FRESH - 1), FRESH, Some("a")), "refuse: HTTP status 503"),
            ("recent failure outranks a refetch for a fresh miss",
                (one, failed(FRESH - 1), FRESH, Some("z")), "refuse: HTTP status 503"),
            ("failure older than the cooldown: ask again",
                (one, failed(EXPIRED - cooldown), EXPIRED, Some("a")), "fetch, else stale a"),
        ];
        for (case, (cached, recent, now, kid), expected) in cases {
            let action = summary(jwks_action(cached, &recent, now, kid));
            assert_eq!(action, expected, "{case}");
        }
    }

    #[test]
    fn a_fetch_yields_the_kid_or_else_the_stale_key() {
        let fetched = set(&["a", "b"]);
        let kid = |k: PublicJwk| k.kid.unwrap();
        assert_eq!(
            kid(fetched_key(Ok(&fetched), None, Some("b")).unwrap()),
            "b"
        );
        assert!(
            matches!(
                fetched_key(Ok(&fetched), Some(key("z")), Some("z")),
                Err(Error::UnknownKey(k)) if k == "z"
            ),
            "a fetched set without the kid is final: the stale key is not served"
        );
        assert!(matches!(
            fetched_key(Ok(&fetched), None, None),
            Err(Error::UnknownKey(k)) if k == "(none)"
        ));
        assert_eq!(
            kid(fetched_key(Err("down"), Some(key("a")), Some("a")).unwrap()),
            "a"
        );
        assert!(matches!(
            fetched_key(Err("HTTP status 500"), None, Some("a")),
            Err(Error::JwksUnavailable(why)) if why == "HTTP status 500"
        ));
    }
}
