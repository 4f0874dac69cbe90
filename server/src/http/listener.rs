//! Serves a router on a TCP listener, bounding what one client can hold: the time to send a
//! request's head and its body, the size of the head, and the number of open connections.
//! The replacement for `axum::serve(...).with_graceful_shutdown(...)` on every listener.
//!
//! Each refusal answers the status HTTP has for it when the client is waiting for one (408,
//! 431, 503 with `Retry-After`), closes the connection, is logged at DEBUG (never a header's
//! contents) and counted in `shortlink_http_refused_total{listener, reason}`.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// What one client may hold on a listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to read a request's head (request line and headers), counted from when the
    /// connection is ready for it: accepted, or the previous answer sent. It is also the
    /// idle time of a keep-alive connection before its next request. A head late in part
    /// is answered 408 and closed; a connection that sent nothing is closed without an
    /// answer, as no request waits for one.
    pub header_timeout: Duration,
    /// Time to read a request's whole body, from its head; 408 (then close) when exceeded.
    /// Only a handler that reads the body waits for it.
    pub body_timeout: Duration,
    /// Most bytes of request head (request line + headers) accepted; larger gets 431
    /// Request Header Fields Too Large, as do more than 100 header fields.
    pub max_header_bytes: usize,
    /// Most open connections on this listener; past it a new connection gets a 503 with
    /// Retry-After and is closed (not left hanging in the backlog).
    pub max_connections: usize,
}

/// How long requests in flight may take to finish once `shutdown` resolved; connections
/// still open then are closed.
const DRAIN: Duration = Duration::from_secs(30);

/// How long a refused connection is read (and what it sends thrown away) after its answer,
/// so that the close does not reset the connection before the client read the answer:
/// closing a socket with unread input sends a RST, and the client may lose the answer.
const LINGER: Duration = Duration::from_secs(1);
/// Most bytes read and thrown away while lingering.
const LINGER_BYTES: u64 = 64 * 1024;
/// Most connections refused for `max_connections` that linger at once; past it a refused
/// connection gets its 503 and is closed at once.
const LINGERING_REFUSALS: usize = 256;

/// Written, before any request is read, to a connection past `max_connections`.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Retry-After: 1\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 21\r\n\r\ntoo many connections\n";
/// Written to a connection whose request head did not arrive within `header_timeout`.
const HEADER_TIMEOUT: &[u8] = b"HTTP/1.1 408 Request Timeout\r\n\
Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 22\r\n\r\nrequest head too slow\n";

/// Where the listener is: serving, finishing what is in flight, or closing what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    Draining,
    Closing,
}

/// What every connection of one listener shares.
struct Shared {
    http: http1::Builder,
    router: Router,
    limits: Limits,
    name: &'static str,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets the
/// requests in flight finish (30 s at most, then closes what is left) and returns.
///
/// Handlers may extract `ConnectInfo<SocketAddr>`, the socket's peer, as with
/// `into_make_service_with_connect_info::<SocketAddr>()`. HTTP/1.1 only. Every accepted
/// socket has TCP_NODELAY: answers are small and written whole, so they go at once.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    name: &'static str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes);
    // Every open connection holds a permit: all of them back means none is open.
    let max = limits
        .max_connections
        .clamp(1, u32::MAX as usize)
        .min(Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let lingering = Arc::new(Semaphore::new(LINGERING_REFUSALS));
    let shared = Arc::new(Shared {
        http,
        router,
        limits,
        name,
    });
    let (phase, _) = watch::channel(Phase::Serving);
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            // The client gave up before it was accepted.
            Err(e) if is_connection_error(&e) => continue,
            // Out of file descriptors, most likely: accepting again at once would spin.
            Err(e) => {
                tracing::error!(
                    listener = name, error = %e,
                    "cannot accept connections; retrying in 1 s"
                );
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        let _ = tcp.set_nodelay(true);
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(connection(
                    tcp,
                    peer,
                    shared.clone(),
                    phase.subscribe(),
                    permit,
                ));
            }
            Err(_) => refuse_connection(tcp, name, &lingering),
        }
    }
    // New connections now get a refusal from the kernel instead of waiting in the backlog.
    drop(listener);

    let _ = phase.send(Phase::Draining);
    let all = max as u32;
    if tokio::time::timeout(DRAIN, permits.acquire_many(all))
        .await
        .is_err()
    {
        let open = max - permits.available_permits();
        tracing::warn!(
            listener = name,
            open,
            "closing the connections still open {} s after the stop",
            DRAIN.as_secs()
        );
        let _ = phase.send(Phase::Closing);
        let _ = tokio::time::timeout(Duration::from_secs(1), permits.acquire_many(all)).await;
    }
    Ok(())
}

/// Errors of one connection that was not accepted after all; any other stops accepting for
/// a while (axum::serve's rule).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

fn refused(name: &'static str, reason: &'static str) {
    metrics::counter!("shortlink_http_refused_total", "listener" => name, "reason" => reason)
        .increment(1);
}

/// Answers 503 to a connection past `max_connections` at once, without reading its request:
/// the answer is written straight to the fresh socket's empty send buffer, so the accept
/// loop never waits for the client.
fn refuse_connection(tcp: TcpStream, name: &'static str, lingering: &Arc<Semaphore>) {
    refused(name, "too_many_connections");
    tracing::debug!(
        listener = name,
        "refused a connection: too many connections"
    );
    let Ok(std) = tcp.into_std() else { return };
    let _ = io::Write::write(&mut &std, TOO_MANY_CONNECTIONS);
    let _ = std.shutdown(std::net::Shutdown::Write);
    if let Ok(permit) = lingering.clone().try_acquire_owned() {
        if let Ok(mut tcp) = TcpStream::from_std(std) {
            tokio::spawn(async move {
                linger(&mut tcp).await;
                drop(permit);
            });
        }
    }
}

/// Ends a connection whose answer was written: no more output, and its input read and
/// thrown away until the client closes (`LINGER` and `LINGER_BYTES` at most).
async fn linger(tcp: &mut TcpStream) {
    let _ = tcp.shutdown().await;
    let _ = tokio::time::timeout(
        LINGER,
        tokio::io::copy(&mut (&mut *tcp).take(LINGER_BYTES), &mut tokio::io::sink()),
    )
    .await;
}

/// What a connection's requests tell the task that serves it.
#[derive(Default)]
struct Seen {
    /// A request head arrived.
    request: AtomicBool,
    /// A request was answered 408 for its body.
    body_timeout: AtomicBool,
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
    _permit: OwnedSemaphorePermit,
) {
    let Shared {
        http,
        router,
        limits,
        name,
    } = &*shared;
    let name = *name;
    let seen = Seen::default();
    let service = hyper::service::service_fn(|req| request(req, router, peer, limits, name, &seen));
    let mut conn = http.serve_connection(TokioIo::new(tcp), service);
    let result = loop {
        tokio::select! {
            biased;
            result = &mut conn => break result,
            changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                Ok(Phase::Serving) => {}
                // Idle connections close at once, busy ones after their answer.
                Ok(Phase::Draining) => Pin::new(&mut conn).graceful_shutdown(),
                Ok(Phase::Closing) | Err(_) => return,
            },
        }
    };
    match result {
        // hyper closes without an answer when the head is late; the 408 is ours to send.
        Err(e) if e.is_timeout() => {
            let parts = conn.into_parts();
            let mut tcp = parts.io.into_inner();
            if !parts.read_buf.is_empty() {
                refused(name, "header_timeout");
                tracing::debug!(listener = name, "refused a request: its head was too slow");
                let _ = tokio::time::timeout(LINGER, tcp.write_all(HEADER_TIMEOUT)).await;
                linger(&mut tcp).await;
            } else if !seen.request.load(Ordering::Relaxed) {
                // Nothing was sent: no request waits for an answer, the connection is just
                // closed. Counted, as a connection held without a request; a keep-alive
                // connection idle after its requests is not.
                refused(name, "header_timeout");
                tracing::debug!(listener = name, "closed a connection that sent no request");
            }
        }
        // hyper answered 431 itself and shut the connection's output.
        Err(e) if e.is_parse_too_large() => {
            refused(name, "header_too_large");
            tracing::debug!(listener = name, "refused a request: its head was too large");
            linger(&mut conn.into_parts().io.into_inner()).await;
        }
        Err(e) => tracing::debug!(listener = name, error = %e, "connection ended with an error"),
        Ok(()) if seen.body_timeout.load(Ordering::Relaxed) => {
            linger(&mut conn.into_parts().io.into_inner()).await;
        }
        Ok(()) => {}
    }
}

/// One request: the router's answer, with the peer address for `ConnectInfo` and, when
/// the request has a body, its deadline.
fn request<'a>(
    mut req: Request<Incoming>,
    router: &Router,
    peer: SocketAddr,
    limits: &Limits,
    name: &'static str,
    seen: &'a Seen,
) -> impl Future<Output = Result<Response, Infallible>> + Send + 'a {
    seen.request.store(true, Ordering::Relaxed);
    req.extensions_mut().insert(ConnectInfo(peer));
    // Only a request with a body pays for a deadline (a GET has none).
    let timed_out = if req.body().is_end_stream() {
        None
    } else {
        Some(Arc::new(AtomicBool::new(false)))
    };
    let req = match &timed_out {
        None => req.map(Body::new),
        Some(flag) => req.map(|inner| {
            Body::new(DeadlineBody {
                inner,
                deadline: Box::pin(tokio::time::sleep(limits.body_timeout)),
                timed_out: flag.clone(),
                name,
            })
        }),
    };
    // Router is always ready (its poll_ready is Ready(Ok)), as axum::serve relies on too.
    let answer = tower_service::Service::call(&mut router.clone(), req);
    async move {
        let response = answer.await?;
        match timed_out {
            Some(flag) if flag.load(Ordering::Relaxed) => {
                seen.body_timeout.store(true, Ordering::Relaxed);
                Ok((
                    StatusCode::REQUEST_TIMEOUT,
                    [(header::CONNECTION, "close")],
                    "request body too slow\n",
                )
                    .into_response())
            }
            _ => Ok(response),
        }
    }
}

/// A request body that fails once `deadline` passed, for a body sent too slowly in all
/// (not per read, which a client sending a byte at a time would never exceed). The
/// handler then sees an error, and `request` answers 408 whatever the handler answered.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
    name: &'static str,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(body_timeout())));
        }
        if self.deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.timed_out.store(true, Ordering::Relaxed);
        refused(self.name, "body_timeout");
        tracing::debug!(
            listener = self.name,
            "refused a request: its body was too slow"
        );
        Poll::Ready(Some(Err(body_timeout())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

fn body_timeout() -> axum::BoxError {
    io::Error::new(io::ErrorKind::TimedOut, "request body timeout").into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use metrics::{
        Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit,
    };
    use std::sync::Mutex;
    use tokio::sync::oneshot;
    use tokio::time::Instant;

    const SECOND: Duration = Duration::from_secs(1);

    fn limits() -> Limits {
        Limits {
            header_timeout: SECOND,
            body_timeout: SECOND,
            max_header_bytes: 16 * 1024,
            max_connections: 100,
        }
    }

    fn router() -> Router {
        Router::new()
            .route("/", get(|| async { "ok" }))
            .route(
                "/peer",
                get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "done"
                }),
            )
            .route(
                "/echo",
                post(|body: String| async move { body.len().to_string() }),
            )
    }

    /// The reasons counted in `shortlink_http_refused_total`, in order. Tests run on one
    /// thread (`#[tokio::test]`), the server's tasks too: a recorder local to the thread
    /// sees every refusal of its test and of no other.
    #[derive(Clone, Default)]
    struct Refusals(Arc<Mutex<Vec<&'static str>>>);

    impl Refusals {
        fn counted(&self) -> Vec<&'static str> {
            self.0.lock().unwrap().clone()
        }
    }

    struct Reason(&'static str, Refusals);

    impl CounterFn for Reason {
        fn increment(&self, n: u64) {
            let mut counted = self.1 .0.lock().unwrap();
            counted.extend((0..n).map(|_| self.0));
        }
        fn absolute(&self, _: u64) {}
    }

    impl metrics::Recorder for Refusals {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            assert_eq!(key.name(), "shortlink_http_refused_total");
            let label = |name| key.labels().find(|l| l.key() == name).map(|l| l.value());
            assert_eq!(label("listener"), Some("test"));
            let reason = match label("reason") {
                Some("header_timeout") => "header_timeout",
                Some("body_timeout") => "body_timeout",
                Some("header_too_large") => "header_too_large",
                Some("too_many_connections") => "too_many_connections",
                other => panic!("unknown reason {other:?}"),
            };
            Counter::from_arc(Arc::new(Reason(reason, self.clone())))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    /// A listener on a free port; dropping the sender stops it.
    struct Server {
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        done: tokio::task::JoinHandle<io::Result<()>>,
    }

    async fn start(limits: Limits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(serve(listener, router(), limits, "test", async {
            let _ = stopped.await;
        }));
        Server { addr, stop, done }
    }

    /// One HTTP answer: status, head and body (by Content-Length).
    #[derive(Debug)]
    struct Answer {
        status: u16,
        head: String,
        body: String,
    }

    /// Reads one answer; None when the connection closed before a whole one.
    async fn read_answer(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Answer> {
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into();
                    buf.drain(..end + 4 + length);
                    let status = head[9..12].parse().unwrap();
                    return Some(Answer { status, head, body });
                }
            }
            let mut chunk = [0; 4096];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// True when the server closed the connection (EOF or reset) without sending more.
    async fn closed(tcp: &mut TcpStream) -> bool {
        let mut chunk = [0; 64];
        matches!(tcp.read(&mut chunk).await, Ok(0) | Err(_))
    }

    async fn fetch(tcp: &mut TcpStream, path: &str) -> Option<Answer> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.ok()?;
        read_answer(tcp, &mut Vec::new()).await
    }

    /// Writes `bytes` one per 100 ms, until the server closes.
    fn dribble(mut writer: tokio::net::tcp::OwnedWriteHalf, bytes: Vec<u8>) {
        tokio::spawn(async move {
            for b in bytes {
                if writer.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    fn bounded<F: Future>(f: F) -> tokio::time::Timeout<F> {
        tokio::time::timeout(Duration::from_secs(10), f)
    }

    #[tokio::test]
    async fn head_sent_too_slowly_gets_408_and_a_close() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let tcp = TcpStream::connect(server.addr).await.unwrap();
            let (mut reader, writer) = tcp.into_split();
            let started = Instant::now();
            dribble(
                writer,
                b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n".to_vec(),
            );
            let mut answer = Vec::new();
            let _ = reader.read_to_end(&mut answer).await;
            let elapsed = started.elapsed();
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(answer.contains("Connection: close"), "{answer}");
            assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
            assert!(elapsed < Duration::from_millis(3000), "{elapsed:?}");
            assert_eq!(refusals.counted(), ["header_timeout"]);
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn body_sent_too_slowly_gets_408_and_a_close() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
                .await
                .unwrap();
            let (mut reader, writer) = tcp.into_split();
            let started = Instant::now();
            dribble(writer, vec![b'a'; 100]);
            let mut answer = Vec::new();
            let _ = reader.read_to_end(&mut answer).await;
            let elapsed = started.elapsed();
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(answer.contains("connection: close"), "{answer}");
            assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
            assert!(elapsed < Duration::from_millis(3000), "{elapsed:?}");
            assert_eq!(refusals.counted(), ["body_timeout"]);
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn body_sent_in_time_is_read_whole() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab")
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            tcp.write_all(b"cde").await.unwrap();
            let answer = read_answer(&mut tcp, &mut Vec::new()).await.unwrap();
            assert_eq!((answer.status, answer.body.as_str()), (200, "5"));
            // The connection is kept for the next request.
            assert_eq!(fetch(&mut tcp, "/").await.unwrap().status, 200);
            assert!(refusals.counted().is_empty());
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn head_larger_than_the_cap_gets_431_and_a_close() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            // Under the cap: served.
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            let fits = format!(
                "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
                "a".repeat(15 * 1024)
            );
            tcp.write_all(fits.as_bytes()).await.unwrap();
            assert_eq!(
                read_answer(&mut tcp, &mut Vec::new()).await.unwrap().status,
                200
            );

            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            let big = format!(
                "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
                "a".repeat(20 * 1024)
            );
            tcp.write_all(big.as_bytes()).await.unwrap();
            let answer = read_answer(&mut tcp, &mut Vec::new()).await.unwrap();
            assert_eq!(answer.status, 431, "{answer:?}");
            assert!(closed(&mut tcp).await);
            assert_eq!(refusals.counted(), ["header_too_large"]);

            // So are more than 100 header fields, however short.
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            let many: String = (0..101).map(|i| format!("X-{i}: a\r\n")).collect();
            let many = format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n");
            tcp.write_all(many.as_bytes()).await.unwrap();
            let answer = read_answer(&mut tcp, &mut Vec::new()).await.unwrap();
            assert_eq!(answer.status, 431, "{answer:?}");
            assert_eq!(refusals.counted(), ["header_too_large"; 2]);
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn connection_past_the_cap_gets_503_and_a_close() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(Limits {
                max_connections: 3,
                ..limits()
            })
            .await;
            let mut open = Vec::new();
            for _ in 0..3 {
                let mut tcp = TcpStream::connect(server.addr).await.unwrap();
                assert_eq!(fetch(&mut tcp, "/").await.unwrap().status, 200);
                open.push(tcp);
            }
            let mut fourth = TcpStream::connect(server.addr).await.unwrap();
            let _ = fourth.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
            let answer = read_answer(&mut fourth, &mut Vec::new()).await.unwrap();
            assert_eq!(answer.status, 503, "{answer:?}");
            assert!(answer.head.contains("Retry-After: 1"), "{answer:?}");
            assert!(closed(&mut fourth).await);
            assert_eq!(refusals.counted(), ["too_many_connections"]);

            // One closes: a new connection is served (once the server saw the close).
            drop(open.pop());
            let mut attempts = 0;
            loop {
                let mut tcp = TcpStream::connect(server.addr).await.unwrap();
                match fetch(&mut tcp, "/").await.unwrap().status {
                    200 => break,
                    503 if attempts < 20 => attempts += 1,
                    status => panic!("status {status} after {attempts} attempts"),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // The others are still served.
            for tcp in &mut open {
                assert_eq!(fetch(tcp, "/").await.unwrap().status, 200);
            }
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn idle_keep_alive_connection_is_closed_after_the_header_timeout() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            assert_eq!(fetch(&mut tcp, "/").await.unwrap().status, 200);
            let started = Instant::now();
            // Closed without an answer: no request is waiting for one.
            let mut rest = Vec::new();
            let _ = tcp.read_to_end(&mut rest).await;
            let elapsed = started.elapsed();
            assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
            assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
            assert!(elapsed < Duration::from_millis(3000), "{elapsed:?}");
            // Closing an idle keep-alive connection refuses nothing.
            assert!(refusals.counted().is_empty());

            // So is a connection that never sends anything, counted as held without a
            // request.
            let mut silent = TcpStream::connect(server.addr).await.unwrap();
            let started = Instant::now();
            assert!(closed(&mut silent).await);
            assert!(started.elapsed() < Duration::from_millis(3000));
            assert_eq!(refusals.counted(), ["header_timeout"]);
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn keep_alive_connection_serves_several_requests_with_the_peer_address() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            let me = tcp.local_addr().unwrap().to_string();
            for _ in 0..5 {
                let answer = fetch(&mut tcp, "/peer").await.unwrap();
                assert_eq!((answer.status, answer.body.as_str()), (200, me.as_str()));
            }
            // Pipelined: both answered, in order.
            tcp.write_all(
                b"GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /peer HTTP/1.1\r\nHost: t\r\n\r\n",
            )
            .await
            .unwrap();
            let mut buf = Vec::new();
            assert_eq!(read_answer(&mut tcp, &mut buf).await.unwrap().body, "ok");
            assert_eq!(read_answer(&mut tcp, &mut buf).await.unwrap().body, me);
            assert!(refusals.counted().is_empty());
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn stop_finishes_the_request_in_flight_then_returns() {
        let refusals = Refusals::default();
        let _recorder = metrics::set_default_local_recorder(&refusals);
        bounded(async {
            let server = start(limits()).await;
            let mut busy = TcpStream::connect(server.addr).await.unwrap();
            let mut idle = TcpStream::connect(server.addr).await.unwrap();
            assert_eq!(fetch(&mut idle, "/").await.unwrap().status, 200);
            busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = Instant::now();
            server.stop.send(()).unwrap();
            let answer = read_answer(&mut busy, &mut Vec::new()).await.unwrap();
            assert_eq!((answer.status, answer.body.as_str()), (200, "done"));
            // The answer closed the connection, the idle one was closed at once.
            assert!(closed(&mut busy).await);
            assert!(closed(&mut idle).await);
            server.done.await.unwrap().unwrap();
            assert!(started.elapsed() < SECOND);
            // Nobody listens any more.
            assert!(TcpStream::connect(server.addr).await.is_err());
        })
        .await
        .unwrap();
    }
}
