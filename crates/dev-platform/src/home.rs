//! The home page: one section per profile, each with its launch buttons, and for the
//! `dynreg` profile the administrator's "Register the tool" button.

use url::Url;

use crate::claims::{DEEP_LINKING, SUBMISSION_REVIEW};
use crate::directory::KnownClient;
use crate::http::{encode_query, escape, page, Reply};
use crate::launch::RESOURCE_LINK;
use crate::platform::State;
use crate::registry::{Kind, BRIGHTSPACE_TOKEN_AUDIENCE, PROFILES, SKILLSTOWN_AUDIENCE};

/// A launch button: label, message type, CSS class.
type Button = (&'static str, &'static str, &'static str);

const RESOURCE_LINK_BUTTON: Button = ("Launch (resource link)", RESOURCE_LINK, "button");
const DEEP_LINKING_BUTTON: Button = ("Deep linking launch", DEEP_LINKING, "button alt");
const SUBMISSION_REVIEW_BUTTON: Button = ("Submission review", SUBMISSION_REVIEW, "button alt");

pub(crate) fn home(state: &State) -> Reply {
    let sections: String = PROFILES
        .iter()
        .map(|(platform, kind, _)| section(state, platform, *kind))
        .collect();
    let body = format!(
        "<h1>lti-edge dev platform</h1>\n<p class=\"muted\">A mock LMS with one issuer per \
         profile, each behaving like a real platform. Tool under test: <code>{}</code></p>\n\
         {sections}",
        escape(&state.tool_base)
    );
    Reply::html(200, page("lti-edge dev platform", &body))
}

/// What sets the profile apart, for the reader of the page.
fn description(kind: Kind) -> String {
    match kind {
        Kind::Plain => "LTI 1.3 and LTI Advantage by the book.".into(),
        Kind::Canvas => "Canvas: API calls without a User-Agent get 403; every launch is a new \
                         course-level install, so a new deployment id (the registration lists \
                         <code>[\"*\"]</code>)."
            .into(),
        Kind::Brightspace => format!(
            "Brightspace: client assertions must have <code>aud</code> = <code>{}</code>, a \
             string (the registration's <code>token_audience</code>).",
            escape(BRIGHTSPACE_TOKEN_AUDIENCE)
        ),
        Kind::SkillsTown => format!(
            "SkillsTown: login by POST, a minimal id_token whose <code>aud</code> is \
             <code>{}</code>, progress POSTed to the line item URL itself. \
             <code>skillstown-strict</code> is the same platform under a plain registration: \
             the worker refuses its launches.",
            escape(SKILLSTOWN_AUDIENCE)
        ),
        Kind::Moodle => "Moodle: submission review launches; NRPS honours the <code>rlid</code> \
                         and <code>role</code> filters."
            .into(),
        Kind::DynReg => "LTI Dynamic Registration: the tool registers itself; each registration \
                         adds a client with its deployment below."
            .into(),
    }
}

fn section(state: &State, platform: &str, kind: Kind) -> String {
    let issuer = state.issuer(platform);
    let rows: String = state
        .directory
        .clients(platform)
        .iter()
        .map(|client| client_rows(platform, kind, client))
        .collect();
    let registration = match kind {
        Kind::DynReg => registration_block(state),
        _ => String::new(),
    };
    format!(
        "<h2>Platform {p}</h2>\n<p>{description}</p>\n<p>Issuer <code>{iss}</code> · \
         <a href=\"{iss}/jwks\">JWKS</a></p>\n\
         <p class=\"muted\">LTI Advantage: token <code>{iss}/token</code> · AGS \
         <code>{iss}/lineitems/ctx-1</code> · NRPS <code>{iss}/memberships/ctx-1</code> · \
         deep linking return <code>{iss}/deep-link-return</code></p>\n{registration}\
         <table><tr><th>client_id</th><th>deployment_id</th><th></th></tr>\n{rows}</table>\n",
        p = escape(&platform.to_uppercase()),
        description = description(kind),
        iss = escape(&issuer),
    )
}

/// The launch rows of one client, as the profile starts launches.
fn client_rows(platform: &str, kind: Kind, client: &KnownClient) -> String {
    let id = client.client_id.as_str();
    match kind {
        // No deployment in the link: each click installs the tool in a new course.
        Kind::Canvas => {
            let made = client.deployments.join(", ");
            let note = format!("new on each launch (so far: {})", none_if_empty(&made));
            launch_row(platform, id, None, &note, &[RESOURCE_LINK_BUTTON], false)
        }
        Kind::SkillsTown => {
            let login = [("Launch (POST login)", RESOURCE_LINK, "button")];
            let rows = client.deployments.iter();
            rows.map(|dep| launch_row(platform, id, Some(dep), dep, &login, false))
                .collect()
        }
        _ => {
            let buttons: &[Button] = match kind {
                Kind::Moodle => &[
                    RESOURCE_LINK_BUTTON,
                    DEEP_LINKING_BUTTON,
                    SUBMISSION_REVIEW_BUTTON,
                ],
                _ => &[RESOURCE_LINK_BUTTON, DEEP_LINKING_BUTTON],
            };
            let rows = client.deployments.iter();
            rows.map(|dep| launch_row(platform, id, Some(dep), dep, buttons, true))
                .collect()
        }
    }
}

/// The launch inside an LMS course page: the tool in an iframe, with platform storage
/// for browsers that block its cookies there (see `course/mod.rs`).
fn course_link(platform: &str, client_id: &str, deployment_id: &str) -> String {
    let query = [
        ("client_id", client_id.to_string()),
        ("deployment_id", deployment_id.to_string()),
    ];
    format!(
        "<a class=\"button alt\" href=\"{}\">In a course page</a>",
        escape(&format!("/{platform}/course?{}", encode_query(&query)))
    )
}

fn none_if_empty(text: &str) -> &str {
    if text.is_empty() {
        "none"
    } else {
        text
    }
}

fn launch_row(
    platform: &str,
    client_id: &str,
    deployment_id: Option<&str>,
    shown: &str,
    buttons: &[Button],
    in_course: bool,
) -> String {
    let link = |message_type: &str| {
        let mut query = vec![("client_id", client_id.to_string())];
        if let Some(deployment_id) = deployment_id {
            query.push(("deployment_id", deployment_id.to_string()));
        }
        query.push(("message_type", message_type.to_string()));
        escape(&format!("/{platform}/start?{}", encode_query(&query)))
    };
    let mut buttons: Vec<String> = buttons
        .iter()
        .map(|(label, message_type, class)| {
            format!(
                "<a class=\"{class}\" href=\"{}\">{label}</a>",
                link(message_type)
            )
        })
        .collect();
    if let Some(deployment_id) = deployment_id.filter(|_| in_course) {
        buttons.push(course_link(platform, client_id, deployment_id));
    }
    format!(
        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
        escape(client_id),
        escape(shown),
        buttons.join(" ")
    )
}

/// The administrator's side of Dynamic Registration: the worker's registration URL in
/// an iframe (or a new window), closed when the tool posts `org.imsglobal.lti.close`.
fn registration_block(state: &State) -> String {
    let config = escape(&state.openid_configuration_url());
    let Some(url) = state.registration_url() else {
        return format!(
            "<p class=\"muted\">OpenID configuration <code>{config}</code>. Start the dev \
             platform with <code>--registration-secret</code> (as <code>scripts/dev</code> \
             does) to register the tool from here.</p>\n"
        );
    };
    let origin = Url::parse(&state.tool_base)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    // JSON is a JS string literal; `<` escaped so it can never close the script element.
    let origin = serde_json::to_string(&origin)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    format!(
        "<p>OpenID configuration <code>{config}</code></p>\n\
         <p><button type=\"button\" id=\"register-frame-button\" data-url=\"{url}\">Register the \
         tool</button> <button type=\"button\" id=\"register-window-button\" \
         data-url=\"{url}\">Register in a new window</button></p>\n\
         <p id=\"register-status\" class=\"muted\"></p>\n\
         <iframe id=\"register-frame\" title=\"Tool registration\" hidden \
         style=\"width:100%;height:24rem;border:1px solid #ddd\"></iframe>\n\
         <script>{}</script>\n",
        REGISTRATION_SCRIPT.replace("TOOL_ORIGIN", &origin),
        url = escape(&url),
    )
}

/// Opens the registration, then waits for the tool's close message (from the tool's
/// origin only) to put the page back and show the new client's launch row.
const REGISTRATION_SCRIPT: &str = "(() => {
  const toolOrigin = TOOL_ORIGIN;
  const frame = document.getElementById('register-frame');
  const status = document.getElementById('register-status');
  let popup = null;
  document.getElementById('register-frame-button').addEventListener('click', (event) => {
    frame.src = event.target.dataset.url;
    frame.hidden = false;
    status.textContent = 'Registering in the frame below…';
  });
  document.getElementById('register-window-button').addEventListener('click', (event) => {
    popup = window.open(event.target.dataset.url, 'lti-registration');
    status.textContent = 'Registering in a new window…';
  });
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.origin !== toolOrigin || !data || data.subject !== 'org.imsglobal.lti.close') {
      return;
    }
    frame.hidden = true;
    frame.src = 'about:blank';
    if (popup) { popup.close(); popup = null; }
    status.textContent = 'The tool closed the registration; reloading.';
    window.location.reload();
  });
})();";
