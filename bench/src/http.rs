//! A bare HTTP/1.1 client: one keep-alive connection, one request at a time — a browser tab,
//! in effect. Built on hyper's connection API rather than a pooled client, so that "64
//! clients" means exactly 64 connections and the generator's own cost stays small.
//!
//! Also a reader for server-sent events (`GET /posts/events`), for the latency figure.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(port: u16) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
        // Small requests and answers: send each at once rather than wait to fill a packet.
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .context("starting an HTTP/1.1 connection")?;
        // The connection's I/O runs in its own task; it ends when `sender` is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn {
            sender,
            host: format!("127.0.0.1:{port}"),
        })
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<(StatusCode, Bytes)> {
        let response = self.send(Method::GET, path, None).await?;
        read(response).await
    }

    pub async fn post_json(
        &mut self,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let response = self.send(Method::POST, path, Some(body)).await?;
        read(response).await
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> anyhow::Result<hyper::Response<Incoming>> {
        self.sender.ready().await.context("the connection closed")?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(body.unwrap_or_default()))
            .context("building a request")?;
        self.sender
            .send_request(request)
            .await
            .with_context(|| format!("requesting {path}"))
    }

    /// Opens a server-sent-events stream on `path`. The connection is then taken by it.
    pub async fn events(mut self, path: &str) -> anyhow::Result<EventStream> {
        self.sender.ready().await.context("the connection closed")?;
        let request = Request::get(path)
            .header(HOST, &self.host)
            .header(ACCEPT, "text/event-stream")
            .body(Full::new(Bytes::new()))
            .context("building a request")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .context("opening the event stream")?;
        if response.status() != StatusCode::OK {
            bail!("{path} answered {}", response.status());
        }
        Ok(EventStream {
            _sender: self.sender,
            body: response.into_body(),
            buffer: String::new(),
        })
    }
}

async fn read(response: hyper::Response<Incoming>) -> anyhow::Result<(StatusCode, Bytes)> {
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading an answer")?
        .to_bytes();
    Ok((status, body))
}

/// One server-sent event: its `event:` name and its `data:` lines joined.
#[derive(Debug)]
pub struct ServerEvent {
    pub name: String,
    pub data: String,
}

pub struct EventStream {
    // Dropping the sender would close the connection under the stream.
    _sender: SendRequest<Full<Bytes>>,
    body: Incoming,
    buffer: String,
}

impl EventStream {
    /// The next event; comments (keep-alives) are skipped.
    pub async fn next(&mut self) -> anyhow::Result<ServerEvent> {
        loop {
            // Events are separated by a blank line; one may arrive in several frames.
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Ok(event);
                }
                continue;
            }
            let frame = self.body.frame().await.context("the event stream ended")?;
            if let Ok(data) = frame.context("reading the event stream")?.into_data() {
                self.buffer
                    .push_str(std::str::from_utf8(&data).context("the event stream is not UTF-8")?);
            }
        }
    }
}

fn parse(block: &str) -> Option<ServerEvent> {
    let mut name = String::from("message");
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = value.trim_start().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    (!data.is_empty()).then(|| ServerEvent {
        name,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_event_and_skips_a_comment() {
        let event = parse("event: post\ndata: {\"id\":1}\n\n").expect("an event");
        assert_eq!(
            (event.name.as_str(), event.data.as_str()),
            ("post", "{\"id\":1}")
        );
        assert!(parse(": keep-alive\n\n").is_none());
    }
}
