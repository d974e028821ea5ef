//! The two pages of a launch through platform storage, and the new-window
//! link of its refusals. Each page runs one inline script, allowed by a
//! fresh CSP nonce, that holds no value: the values are HTML-escaped
//! `data-*` attributes of the script element (`document.currentScript
//! .dataset`), so none can close the script or open markup.
//!
//! The script posts to `TARGET`, the window the login's
//! `lti_storage_target` names (`window.parent` for `_parent`, else
//! `window.parent.frames[name]`), with the origin of the registration's
//! `authorization_endpoint` as `targetOrigin`, and accepts an answer only
//! from that origin, with its request's `message_id` and subject
//! `<request>.response`. `lti.capabilities` goes to `TARGET` too: the
//! frame that stores is the one that knows whether it can.

use url::Url;

use super::held::HeldLaunchId;
use super::{storage_key, CAPABILITIES_TIMEOUT_MS, PROOF_PATH, STORAGE_TIMEOUT_MS};
use crate::error::{Error, Result};
use crate::html::escape;
use crate::login::{random_token, LoginRedirect};
use crate::ports::Rng;
use crate::registration::PlatformRegistration;

pub use crate::html::Page;

/// The messaging both pages share: `W` is the storage frame (or undefined),
/// `ask(message, ms, done)` posts and calls `done(answer)` once, with
/// `undefined` after `ms` or when posting fails.
const ASK: &str = r#"var c=document.currentScript.dataset,n=0,W;try{W=c.target=="_parent"?parent:parent.frames[c.target]}catch(e){}if(W===window)W=null;
function ask(m,ms,done){var id=c.ids+n++,t,f=function(e){var d=e.data;if(e.origin===c.origin&&d&&d.message_id===id&&d.subject===m.subject+".response")end(d)};
function end(d){clearTimeout(t);removeEventListener("message",f);done(d)}
m.message_id=id;addEventListener("message",f);t=setTimeout(function(){end()},ms);try{W.postMessage(m,c.origin)}catch(e){end()}}
"#;

/// Login: put the proof in storage when the platform may support it, then
/// go on to the authorization endpoint whatever happened. A capabilities
/// answer that lists no `lti.put_data` skips storage; no answer does not.
const LOGIN_JS: &str = r#"function go(){location.replace(c.url)}
if(!W)go();else ask({subject:"lti.capabilities"},c.wait,function(d){var s=d&&d.supported_messages;
if(Array.isArray(s)&&!s.some(function(x){return x&&x.subject=="lti.put_data"}))return go();
ask({subject:"lti.put_data",key:c.key,value:c.value},c.storage,go)})"#;

/// Launch: read the proof back and post it, or show the refusal.
const PROOF_JS: &str = r#"function fail(){document.getElementById("lti-confirming").hidden=true;document.getElementById("lti-storage-failed").hidden=false}
if(!W)fail();else ask({subject:"lti.get_data",key:c.key},c.storage,function(d){if(!d||d.error||typeof d.value!="string"||!d.value)return fail();
var f=document.getElementById("lti-launch-proof");f.elements.proof.value=d.value;f.submit()})"#;

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#222}h1{font-size:1.3rem;color:#a11}</style>"#;

/// The login's answer when it carries `lti_storage_target`: stores the
/// proof, then continues exactly as the `302` would (`location.replace`).
/// `None` for a login without platform storage.
pub fn login_page(redirect: &LoginRedirect, rng: &dyn Rng) -> Option<Page> {
    let proof = redirect.proof.as_ref()?;
    let (target, _) = redirect.login_state.platform_storage()?;
    let url = Url::parse(&redirect.location).ok()?;
    let location = escape(&redirect.location);
    let data = format!(
        r#" data-value="{}" data-url="{location}" data-wait="{CAPABILITIES_TIMEOUT_MS}""#,
        escape(proof.expose()),
    );
    let body =
        format!(r#"<p>Starting the tool… <a id="continue" href="{location}">Continue</a></p>"#);
    let script = Script {
        target,
        origin: &url.origin().ascii_serialization(),
        state: &redirect.state,
        data: &data,
        js: LOGIN_JS,
    };
    Some(page("Starting the tool", &body, script, rng))
}

/// What the proof page is made of.
pub(crate) struct ProofPage<'a> {
    pub held: &'a HeldLaunchId,
    /// The login's `lti_storage_target`.
    pub target: &'a str,
    /// The login's `state`: the storage key names it.
    pub state: &'a str,
    pub registration: &'a PlatformRegistration,
    /// Where the refusal's new-window link goes, if anywhere.
    pub new_window: Option<&'a Url>,
    pub rng: &'a dyn Rng,
}

/// The answer to a launch without the state cookie whose login used
/// platform storage: reads the proof back and posts it with the held
/// launch's id to [`PROOF_PATH`]; on no answer, an error or a timeout, shows
/// a refusal with a new-window link.
pub(crate) fn proof_page(p: ProofPage<'_>) -> Result<Page> {
    let body = format!(
        r#"<p id="lti-confirming">Confirming the launch…</p>
<form id="lti-launch-proof" method="post" action="{PROOF_PATH}"><input type="hidden" name="launch" value="{}"><input type="hidden" name="proof"></form>
<div id="lti-storage-failed" hidden><h1>LTI launch failed</h1><p>This browser blocked the tool's cookies, and the platform's storage did not confirm the launch.</p>{}</div>"#,
        escape(p.held.as_str()),
        p.new_window.map(new_window_link).unwrap_or_default(),
    );
    let script = Script {
        target: p.target,
        origin: &authorization_origin(p.registration)?,
        state: p.state,
        data: "",
        js: PROOF_JS,
    };
    Ok(page("Launching the tool", &body, script, p.rng))
}

/// The refusals' way out: the login again, in a new top-level window where
/// the worker's cookies are first-party. A plain link: no script, no
/// permission prompt.
pub fn new_window_link(url: &Url) -> String {
    format!(
        r#"<p>Your browser blocks this tool's cookies inside the course page. <a id="open-in-new-window" href="{}" target="_blank" rel="noopener" style="padding:.3em 1em;background:#1a56a8;color:#fff">Open the tool in a new window</a></p>"#,
        escape(url.as_str())
    )
}

/// The `targetOrigin` of every message: the origin of the registration's
/// `authorization_endpoint`, as the spec requires.
fn authorization_origin(registration: &PlatformRegistration) -> Result<String> {
    let url = Url::parse(registration.authorization_endpoint())
        .map_err(|e| Error::Config(format!("authorization_endpoint: {e}")))?;
    Ok(url.origin().ascii_serialization())
}

/// A page's script: the shared messaging and the page's own code, and the
/// values they read from the script element's `data-*` attributes.
struct Script<'a> {
    target: &'a str,
    origin: &'a str,
    /// The login's `state`: the storage key names it.
    state: &'a str,
    /// The page's own attributes, escaped.
    data: &'a str,
    js: &'a str,
}

fn page(title: &str, body: &str, script: Script<'_>, rng: &dyn Rng) -> Page {
    // Message ids: unique per page, and unlike another tool's on the LMS page.
    let ids = &random_token(rng)[..12];
    Page::with_script(rng, |nonce| {
        format!(
            "{HEAD}<title>{title}</title></head><body>{body}\n<script nonce=\"{nonce}\" \
         data-target=\"{}\" data-origin=\"{}\" data-key=\"{}\" data-ids=\"lti-edge-{ids}-\" \
         data-storage=\"{STORAGE_TIMEOUT_MS}\"{}>(function(){{{ASK}{}}})()</script></body></html>",
            escape(script.target),
            escape(script.origin),
            escape(&storage_key(script.state)),
            script.data,
            script.js,
        )
    })
}

#[cfg(test)]
mod tests;
