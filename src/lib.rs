//! lti-edge: an LTI 1.3 gateway as a Cloudflare Worker. This crate is the thin
//! workers-rs adapter; the protocol is in `lti_core`.

mod config;
mod forward;
mod login_state;
mod platform;
mod response;
mod routes;
mod services;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    routes::handle(req, env).await
}
