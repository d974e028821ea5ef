//! An axum origin behind lti-edge: the `Assertion` extractor, a page showing the user,
//! and a grade posted through the worker. Env: WORKER_URL, AUDIENCE, PORT.

mod lti;

use std::env;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use lti::{Assertion, Verifier};

async fn home(lti: Assertion) -> Html<String> {
    let form = r#"<form method="post" action="/grade"><button>Post 8/10</button></form>"#;
    let grade = if lti.services.grades { form } else { "" };
    Html(format!(
        "<!doctype html><title>Hello</title><h1>Hello, {}</h1><p>Roles: {}</p>{grade}",
        escape(lti.user.name.as_deref().unwrap_or_default()),
        escape(&lti.user.roles.join(", "))
    ))
}

async fn grade(State(verifier): State<Verifier>, lti: Assertion) -> impl IntoResponse {
    let url = format!("{}/lti/services/scores", verifier.worker_url());
    let score = json!({"scoreGiven": 8, "scoreMaximum": 10,
                       "activityProgress": "Completed", "gradingProgress": "FullyGraded"});
    let reply = tokio::task::spawn_blocking(move || {
        let mut reply = ureq::post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("authorization", &format!("Bearer {}", lti.token))
            .send_json(&score)?;
        let status = reply.status().as_u16();
        Ok::<_, ureq::Error>((status, reply.body_mut().read_json::<Value>()?))
    })
    .await
    .expect("the grade task runs");
    match reply {
        Ok((status, answer)) => (StatusCode::from_u16(status).unwrap(), Json(answer)),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": e.to_string()})),
        ),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::main]
async fn main() {
    let var = |name: &str| env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let verifier = Verifier::new(&var("WORKER_URL"), &var("AUDIENCE"));
    let app = Router::new()
        .route("/", get(home))
        .route("/grade", post(grade))
        .with_state(verifier);
    let host = env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = env::var("PORT").unwrap_or_else(|_| "8000".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .unwrap();
    axum::serve(listener, app).await.unwrap();
}
