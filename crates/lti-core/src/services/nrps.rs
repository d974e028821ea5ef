//! Names and Role Provisioning Services 2.0: the context's members, every
//! page followed, optionally filtered.

use serde_json::Value;

use super::grant::{scope, Grant};
use super::paging::{all_pages, page_request, parse_page_response, Page};
use super::{with_filters, Platform};
use crate::error::Result;
use crate::ports::{HttpRequest, HttpResponse, Runtime};

pub const MEMBERSHIP_CONTAINER: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// The filters an origin may pass on: `rlid`, the members of one resource
/// link (NRPS 2.0 §2.4.1), and `role`, the members with one role, as a short
/// name or a full URI (§2.3). Both go to the platform as given.
pub(crate) const MEMBER_FILTERS: [&str; 2] = ["rlid", "role"];

/// The first page of members: the launch's membership URL, its own query
/// kept, with the origin's filters added.
pub(crate) fn members_url(memberships_url: &str, query: &[(String, String)]) -> Result<String> {
    with_filters(memberships_url, query, &MEMBER_FILTERS)
}

/// The GET of one page of members (NRPS 2.0 §2.2).
pub fn members_request(url: &str) -> HttpRequest {
    page_request(url, MEMBERSHIP_CONTAINER)
}

/// One page of members: the container's `members`, and the next page.
pub fn parse_members_response(response: &HttpResponse, url: &str) -> Result<Page> {
    parse_page_response(response, url, |page| {
        page.get("members").and_then(Value::as_array).cloned()
    })
}

/// Every member of the launch's context, as one list; next pages are the
/// platform's `Link` targets, which carry the filters on themselves.
pub async fn members<R: Runtime>(
    platform: &Platform<'_, R>,
    grant: Grant<'_>,
    query: &[(String, String)],
) -> Result<Vec<Value>> {
    let url = members_url(grant.memberships_url()?, query)?;
    let (request, parse) = (members_request, parse_members_response);
    all_pages(
        platform,
        &[scope::MEMBERSHIP_READONLY],
        &url,
        request,
        parse,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn filters_join_the_membership_url_query() {
        let base = "https://lms/ctx/1/members?type_id=2";
        let role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
        let url = members_url(
            base,
            &query(&[("rlid", "rl 1"), ("limit", "1"), ("role", role)]),
        )
        .unwrap();
        let pairs: Vec<_> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            query(&[("type_id", "2"), ("rlid", "rl 1"), ("role", role)]),
            "only rlid and role pass, after the URL's own query"
        );
        let short = members_url(base, &query(&[("role", "Learner")])).unwrap();
        assert_eq!(short, "https://lms/ctx/1/members?type_id=2&role=Learner");
    }

    #[test]
    fn without_filters_the_membership_url_is_sent_as_given() {
        let base = "https://LMS/ctx/1/members?a=%7e";
        assert_eq!(members_url(base, &query(&[("tag", "x")])).unwrap(), base);
    }
}
