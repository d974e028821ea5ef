//! What the load test sends, by category, and what each request must get; and
//! the record of one request sent.

use std::time::Duration;

use lti_edge_e2e::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cat {
    #[default]
    Valid,
    ReplaySameState,
    ReplayNewLogin,
    Tampered,
    AlgNone,
    Hs256PublicKey,
    WrongAud,
    Expired,
    ForeignNonce,
    Garbage,
    Oversized,
    PassBare,
    PassForged,
    PassSession,
    PassSessionForged,
}

use Cat::*;

/// Every category and the status its requests must get. 200: through to the
/// origin exactly once, which answers `origin saw <path>`. Any other: a
/// `no-store` page naming the failed check (the fragment), nothing at the origin.
pub const CATS: [(Cat, u16, &str); 15] = [
    (Valid, 200, ""),
    (ReplaySameState, 401, "state"),
    (ReplayNewLogin, 401, "nonce"),
    (Tampered, 401, "signature"),
    (AlgNone, 401, "algorithm"),
    (Hs256PublicKey, 401, "algorithm"),
    (WrongAud, 401, "aud"),
    (Expired, 401, "expired"),
    (ForeignNonce, 401, "nonce"),
    (Garbage, 400, "malformed"),
    (Oversized, 413, "too large"),
    (PassBare, 200, ""),
    (PassForged, 200, ""),
    (PassSession, 200, ""),
    (PassSessionForged, 200, ""),
];

/// What a client picks at random besides a valid launch (replays follow one).
pub const PICKED: &[(Cat, u16, &str)] = CATS.split_at(3).1;

impl Cat {
    /// The status and the check named, from [`CATS`].
    pub fn expect(self) -> (u16, &'static str) {
        let (_, status, check) = CATS.iter().find(|row| row.0 == self).unwrap();
        (*status, check)
    }
}

/// A reply (status 0 and the error as the body without an HTTP answer), and
/// how long it took.
pub type Answer = (Reply, Duration);

/// One request the test sent, and what came back.
#[derive(Default)]
pub struct Sent {
    pub cat: Cat,
    /// The target path only this request uses (no query).
    pub path: String,
    pub reply: Reply,
    pub elapsed: Duration,
    /// For a valid launch, and a passthrough with a session: the nonce of the
    /// launch whose claims the origin's assertion must carry.
    pub nonce: Option<String>,
    /// For a replay: the path of the launch whose token it replays.
    pub replayed: Option<String>,
    /// A forged `Lti-Jwt-Assertion` value that must not reach the origin.
    pub forged: Option<String>,
}

/// A reply for a request that got no HTTP answer, saying why.
pub fn no_answer(body: String) -> Reply {
    Reply {
        body,
        ..Reply::default()
    }
}

impl Sent {
    pub fn new(cat: Cat, path: &str, (reply, elapsed): Answer) -> Self {
        let path = path.to_owned();
        Self {
            cat,
            path,
            reply,
            elapsed,
            ..Self::default()
        }
    }
}
