//! What the load test sends, by category, and what each request must get; and
//! the record of one request sent.

use std::time::Duration;

use lti_edge_e2e::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cat {
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
use Expect::*;

/// What a request of a category must get.
#[derive(Clone, Copy)]
pub enum Expect {
    /// 200 from the origin, which saw the request exactly once.
    Reached,
    /// This status, with a page naming this check, and nothing at the origin.
    Rejected(u16, &'static str),
}

/// Every category (hostile launches at `HOSTILE`, passthroughs at `PASSTHROUGH`),
/// its name in the report, and what each of its requests must get.
pub const CATS: [(Cat, &str, Expect); 15] = [
    (Valid, "valid launch", Reached),
    (
        ReplaySameState,
        "replay (state cookie back)",
        Rejected(401, "state"),
    ),
    (
        ReplayNewLogin,
        "replay (fresh login)",
        Rejected(401, "nonce"),
    ),
    (Tampered, "tampered signature", Rejected(401, "signature")),
    (AlgNone, "alg none", Rejected(401, "algorithm")),
    (
        Hs256PublicKey,
        "HS256 keyed w/ public key",
        Rejected(401, "algorithm"),
    ),
    (WrongAud, "wrong aud", Rejected(401, "aud")),
    (Expired, "expired", Rejected(401, "expired")),
    (ForeignNonce, "foreign nonce", Rejected(401, "nonce")),
    (Garbage, "garbage token", Rejected(400, "malformed")),
    (Oversized, "oversized body", Rejected(413, "too large")),
    (PassBare, "pass: no session", Reached),
    (PassForged, "pass: no session + forged", Reached),
    (PassSession, "pass: session", Reached),
    (PassSessionForged, "pass: session + forged", Reached),
];
pub const HOSTILE: std::ops::Range<usize> = 3..11;
pub const PASSTHROUGH: std::ops::Range<usize> = 11..15;

impl Cat {
    fn row(self) -> &'static (Cat, &'static str, Expect) {
        CATS.iter().find(|(cat, ..)| *cat == self).unwrap()
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn expect(self) -> Expect {
        self.row().2
    }
}

/// One request the test sent, and what came back.
pub struct Sent {
    pub cat: Cat,
    /// The target path only this request uses (no query).
    pub path: String,
    /// 0: no HTTP answer at all (the body says why).
    pub status: u16,
    pub body: String,
    pub cache_control: Option<String>,
    pub elapsed: Duration,
    /// For a valid launch, and a passthrough with a session: the nonce of the
    /// launch whose claims the origin's assertion must carry.
    pub nonce: Option<String>,
    /// For a replay: the path of the launch whose token it replays.
    pub replayed_path: Option<String>,
    /// A forged `Lti-Jwt-Assertion` value that must not reach the origin.
    pub forged: Option<String>,
}

/// A reply, or why there was none; and how long it took.
pub type Answer = (Result<Reply, String>, Duration);

impl Sent {
    pub fn new(cat: Cat, path: &str, (reply, elapsed): Answer) -> Self {
        let (status, body, cache_control) = match reply {
            Ok(r) => {
                let cache_control = r.header("cache-control").map(str::to_owned);
                (r.status, r.body, cache_control)
            }
            Err(error) => (0, error, None),
        };
        Self {
            cat,
            path: path.to_owned(),
            status,
            body,
            cache_control,
            elapsed,
            nonce: None,
            replayed_path: None,
            forged: None,
        }
    }
}
