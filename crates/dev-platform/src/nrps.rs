//! Names and Role Provisioning Services 2.0: the membership of context `ctx-1`.

use serde_json::{json, Value};

use crate::claims::{self, ROLES, USER_ID};
use crate::http::{param, Reply};
use crate::services::{paged_reply, paginate, service_error, Call};

pub(crate) const MEMBERSHIP_CONTAINER: &str =
    "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

const SUB_ROLES: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership/";
/// Small, so that the 25 members span three pages.
const PAGE_SIZE: usize = 10;
/// Learners besides the launch user: `(given_name, family_name)`.
const LEARNERS: [(&str, &str); 22] = [
    ("Charles", "Babbage"),
    ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
    ("John", "McCarthy"),
    ("Margaret", "Hamilton"),
    ("Dennis", "Ritchie"),
    ("Radia", "Perlman"),
    ("Ken", "Thompson"),
    ("Shafi", "Goldwasser"),
    ("Tony", "Hoare"),
    ("Hedy", "Lamarr"),
    ("Niklaus", "Wirth"),
    ("Sophie", "Wilson"),
    ("Leslie", "Lamport"),
    ("Karen", "Sparck Jones"),
    ("Robin", "Milner"),
    ("Adele", "Goldberg"),
    ("Claude", "Shannon"),
    ("Mary", "Kenneth Keller"),
];

/// Full LIS role URI; `Parent#Sub` names a sub-role, which has its own path.
fn role_uri(role: &str) -> String {
    match role.split_once('#') {
        Some((parent, sub)) => format!("{SUB_ROLES}{parent}#{sub}"),
        None => format!("{ROLES}{role}"),
    }
}

fn member(user_id: &str, given: &str, family: &str, roles: &[&str]) -> Value {
    let email_name = format!("{given}.{family}").replace(' ', "").to_lowercase();
    let roles: Vec<String> = roles.iter().map(|role| role_uri(role)).collect();
    json!({
        "status": "Active",
        "name": format!("{given} {family}"),
        "given_name": given,
        "family_name": family,
        "email": format!("{email_name}@example.edu"),
        "user_id": user_id,
        "roles": roles,
    })
}

/// 25 members: an instructor, a teaching assistant, the launch user and 22 more learners.
pub(crate) fn members() -> Vec<Value> {
    let mut members = vec![
        member("user-100", "Grace", "Hopper", &["Instructor"]),
        member(
            "user-101",
            "Alan",
            "Turing",
            &["Instructor", "Instructor#TeachingAssistant"],
        ),
        member(USER_ID, "Ada", "Lovelace", &["Learner"]),
    ];
    let learners = LEARNERS.iter().enumerate().map(|(index, (given, family))| {
        member(
            &format!("user-{}", 201 + index),
            given,
            family,
            &["Learner"],
        )
    });
    members.extend(learners);
    members
}

/// `role` filter of NRPS: a full role URI, or its short name (`Learner`).
fn has_role(member: &Value, wanted: &str) -> bool {
    let roles = member["roles"].as_array().into_iter().flatten();
    roles
        .filter_map(Value::as_str)
        .any(|role| role == wanted || role == role_uri(wanted))
}

/// The members who can reach a resource link: `rl-1` (the launches' link) is open to
/// the whole course, `rl-2` to a small group; `None` for an unknown link.
fn link_audience(rlid: &str) -> Option<fn(&Value) -> bool> {
    match rlid {
        "rl-1" => Some(|_| true),
        "rl-2" => Some(|member| GROUP.iter().any(|id| member["user_id"] == *id)),
        _ => None,
    }
}

/// Who may open resource link `rl-2`: the instructor, the launch user and two learners.
const GROUP: [&str; 4] = ["user-100", USER_ID, "user-201", "user-202"];

/// `GET memberships/ctx-1`: one page of the membership container, filtered as NRPS 2.0
/// allows: `rlid` (members of that resource link) and `role` (members holding it).
pub(crate) fn memberships(call: &Call<'_>) -> Reply {
    let query = call.req.query.clone();
    call.state.advantage.with(call.platform, |ledger| {
        ledger.membership_queries.push(query);
    });
    let in_link: fn(&Value) -> bool = match param(&call.req.query, "rlid") {
        None => |_| true,
        Some(rlid) => match link_audience(rlid) {
            Some(filter) => filter,
            None => return service_error(404, "not_found", &format!("no resource link {rlid}")),
        },
    };
    let role = param(&call.req.query, "role");
    let members: Vec<Value> = members()
        .into_iter()
        .filter(|member| in_link(member) && role.is_none_or(|role| has_role(member, role)))
        .collect();
    let page = match paginate(call, &members, PAGE_SIZE) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let context = claims::context();
    let body = json!({
        "id": format!("{}/memberships/ctx-1", call.issuer()),
        "context": {"id": context["id"], "label": context["label"], "title": context["title"]},
        "members": page.items,
    });
    paged_reply(MEMBERSHIP_CONTAINER, &body, page.next)
}
