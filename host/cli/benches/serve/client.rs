//! The bench's HTTP client: one keep-alive connection, the JSON 1.0 protocol.

use std::io::Write;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A minimal HTTP/1.1 client on one keep-alive connection.
pub(crate) struct Connection {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
    /// The request being sent (kept: one allocation per connection).
    out: Vec<u8>,
}

impl Connection {
    pub(crate) async fn open(addr: std::net::SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
            out: Vec::with_capacity(4096),
        })
    }

    /// Calls `operation`; returns the HTTP status and the JSON answer.
    pub(crate) async fn call(&mut self, operation: &str, body: &Value) -> std::io::Result<(u16, Value)> {
        self.call_text(operation, &body.to_string()).await
    }

    /// Calls `operation` with a body that is JSON text already; reads the
    /// answer as `T` (the load loop sends prepared text and reads one
    /// field: the client shares the server's two cores, so it stays light).
    pub(crate) async fn call_text<T: DeserializeOwned>(
        &mut self,
        operation: &str,
        body: &str,
    ) -> std::io::Result<(u16, T)> {
        self.out.clear();
        let _ = write!(
            self.out,
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: AWSStepFunctions.{operation}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.write_all(&self.out).await?;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(bad)?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| bad("no Content-Length"))?;
        while self.buf.len() < head_end + length {
            self.fill().await?;
        }
        let answer = serde_json::from_slice(&self.buf[head_end..head_end + length]).map_err(bad)?;
        self.buf.drain(..head_end + length);
        Ok((status, answer))
    }

    /// Calls an operation that must succeed.
    pub(crate) async fn ok(&mut self, operation: &str, body: &Value) -> Value {
        let (status, answer) = self.call(operation, body).await.expect("the connection works");
        assert_eq!(status, 200, "{operation} failed: {answer}");
        answer
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("the server closed the connection"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn bad(e: impl ToString) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}
