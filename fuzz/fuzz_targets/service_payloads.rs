//! The origin's JSON payloads for AGS and deep linking, the platform's `Link`
//! paging header, and line item URLs the origin names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lti_core::services::grant::AgsEndpoint;
use lti_core::services::{ags, deep_linking, paging, parse_payload};
use lti_edge_fuzz::{render_err, NOW};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let ags_claim = AgsEndpoint {
        scope: vec![],
        lineitems: Some("https://lms.example.edu/api/lti/courses/7/line_items?type=1".into()),
        lineitem: Some("https://lms.example.edu/api/lti/courses/7/line_items/9".into()),
    };
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(next) = paging::next_link(text) {
            assert!(text.contains(next.as_str()));
            let _ = paging::same_origin(
                "https://lms.example.edu/api/lti/courses/7/names_and_roles",
                &next,
            );
        }
        choose(&ags_claim, Some(text));
    }
    let payload = parse_payload(data);
    render_err(&payload);
    let Ok(payload) = payload else {
        return;
    };
    render_err(&ags::score_body(&payload, Some("user-1"), NOW));
    render_err(&ags::score_body(&payload, None, NOW));
    let lineitem = ags::lineitem_body(&payload);
    render_err(&lineitem);
    if let Ok(body) = lineitem {
        assert_eq!(body.as_object(), Some(&payload));
    }
    choose(&ags_claim, payload.get("lineitem").and_then(Value::as_str));
    let items = payload.get("content_items").cloned().unwrap_or(json!([]));
    let fixed = json!({
        "deep_link_return_url": "https://lms.example.edu/deep_link_return",
        "accept_types": ["ltiResourceLink", "link", "file", "html", "image"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": true,
        "accept_lineitem": true
    });
    let settings = payload.get("settings").and_then(Value::as_object);
    for settings in [fixed.as_object(), settings].into_iter().flatten() {
        let checked = deep_linking::validate_content_items(&items, settings);
        render_err(&checked);
        if let Ok(checked) = checked {
            assert_eq!(Some(&checked), items.as_array());
        }
    }
});

fn choose(ags_claim: &AgsEndpoint, requested: Option<&str>) {
    let chosen = ags::choose_lineitem(ags_claim, requested);
    render_err(&chosen);
    if let Ok(chosen) = chosen {
        if let Some(requested) = requested {
            assert_eq!(chosen, requested);
        }
        render_err(&ags::lineitem_child(&chosen, "scores"));
    }
}
