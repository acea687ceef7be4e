//! The lab console's calls: the lab controller's processes and scenarios (only when the
//! page was started by `make run`, which serves one), and moderation's live knobs and the
//! comments waiting for a person.

use super::{encode_segment, get, json_post, send, ApiError, Call, Failure};
use crate::config::Config;
use contract::lab::{Decision, KnobsView, ModerationKnobs, WaitingComment};
use contract::CommentStatus;
use gloo_net::http::Request;
use serde::Deserialize;

/// One process the controller can act on.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LabProcess {
    pub name: String,
    /// `nats` (a broker node) or `service`.
    pub kind: String,
    pub running: bool,
}

/// One scenario, and what it last said.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub watch: String,
    pub running: bool,
    pub said: Option<String>,
}

/// `GET {lab}/lab`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LabState {
    pub processes: Vec<LabProcess>,
    pub scenarios: Vec<Scenario>,
}

/// The controller's address, or the error that says there is none.
fn lab(config: &Config, call: Call) -> Result<&str, ApiError> {
    config
        .lab
        .as_deref()
        .ok_or_else(|| ApiError::new(call, Failure::Unreachable))
}

pub async fn lab_state(config: &Config) -> Result<LabState, ApiError> {
    let url = format!("{}/lab", lab(config, Call::LabState)?);
    send(Call::LabState, get(Call::LabState, &url)?).await
}

/// `POST {lab}/lab/processes/{name}/{action}`: `kill`, `stop` or `start`.
pub async fn act(config: &Config, name: &str, action: &str) -> Result<(), ApiError> {
    let call = Call::LabAction;
    let url = format!(
        "{}/lab/processes/{}/{}",
        lab(config, call)?,
        encode_segment(name),
        encode_segment(action)
    );
    send::<serde_json::Value>(call, json_post(call, &url, None, &Empty {})?).await?;
    Ok(())
}

/// `POST {lab}/lab/scenarios/{id}`.
pub async fn run_scenario(config: &Config, id: &str) -> Result<(), ApiError> {
    let call = Call::LabAction;
    let url = format!(
        "{}/lab/scenarios/{}",
        lab(config, call)?,
        encode_segment(id)
    );
    send::<serde_json::Value>(call, json_post(call, &url, None, &Empty {})?).await?;
    Ok(())
}

/// `GET {moderation}/knobs`.
pub async fn knobs(config: &Config) -> Result<KnobsView, ApiError> {
    let url = format!("{}/knobs", config.moderation);
    send(Call::Knobs, get(Call::Knobs, &url)?).await
}

/// `PUT {moderation}/knobs`: every moderation instance takes them within a second.
pub async fn set_knobs(config: &Config, knobs: &ModerationKnobs) -> Result<KnobsView, ApiError> {
    let url = format!("{}/knobs", config.moderation);
    let request = Request::put(&url)
        .json(knobs)
        .map_err(|_| ApiError::new(Call::Knobs, Failure::Unreadable))?;
    send(Call::Knobs, request).await
}

/// `DELETE {moderation}/knobs`: back to every instance's start-up defaults.
pub async fn reset_knobs(config: &Config) -> Result<(), ApiError> {
    let url = format!("{}/knobs", config.moderation);
    let request = Request::delete(&url)
        .build()
        .map_err(|_| ApiError::new(Call::Knobs, Failure::Unreadable))?;
    let response = request
        .send()
        .await
        .map_err(|_| ApiError::new(Call::Knobs, Failure::Unreachable))?;
    if response.ok() {
        Ok(())
    } else {
        Err(super::refusal(Call::Knobs, response).await)
    }
}

/// `GET {moderation}/waiting`: the comments waiting for a person, oldest first.
pub async fn waiting(config: &Config) -> Result<Vec<WaitingComment>, ApiError> {
    let url = format!("{}/waiting", config.moderation);
    send(Call::Moderate, get(Call::Moderate, &url)?).await
}

/// `POST {moderation}/waiting/{id}/decision`.
pub async fn decide(
    config: &Config,
    comment_id: &str,
    status: CommentStatus,
) -> Result<(), ApiError> {
    let call = Call::Moderate;
    let url = format!(
        "{}/waiting/{}/decision",
        config.moderation,
        encode_segment(comment_id)
    );
    send::<Decision>(call, json_post(call, &url, None, &Decision { status })?).await?;
    Ok(())
}

/// The body `{}`: the controller wants JSON, which a plain form on another site cannot send.
type Empty = contract::api::RetryRequest;
