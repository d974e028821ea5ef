//! lti-edge: an LTI 1.3 gateway as a Cloudflare Worker. This crate is the thin
//! workers-rs adapter; the protocol is in `lti_core`.

mod body;
mod config;
mod context;
mod forward;
mod login_state;
mod platform;
mod register;
mod response;
mod routes;
mod services;

use worker::{event, worker_sys, Context, Env, Result};

#[event(fetch)]
async fn fetch(
    req: worker_sys::web_sys::Request,
    env: Env,
    _ctx: Context,
) -> Result<worker_sys::web_sys::Response> {
    routes::handle(req, env).await
}
