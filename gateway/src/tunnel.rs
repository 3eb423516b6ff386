//! Upgraded connections (WebSocket and other `101 Switching Protocols`):
//! bytes copied both ways between client and upstream, under the same
//! bounds as any connection. The tunnel keeps the client connection's slot
//! under `QSGW_MAX_CONNECTIONS` and the per-IP cap until it ends, is closed
//! after `QSGW_IDLE_TIMEOUT_SECS` with no byte either way, and counts its
//! bytes in `qsgw_tunnel_bytes_total{direction}`.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::listener::ConnGuard;

/// Copies both ways until either side closes or nothing moves for `idle`.
pub async fn splice(
    client: OnUpgrade,
    upstream: OnUpgrade,
    guard: Option<Arc<ConnGuard>>,
    idle: Duration,
) {
    let (c, u) = match tokio::try_join!(client, upstream) {
        Ok(x) => x,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    let moved = Arc::new(AtomicBool::new(false));
    let mut c = Counted {
        inner: TokioIo::new(c),
        moved: moved.clone(),
        bytes: metrics::counter!("qsgw_tunnel_bytes_total", "direction" => "upstream"),
    };
    let mut u = Counted {
        inner: TokioIo::new(u),
        moved: moved.clone(),
        bytes: metrics::counter!("qsgw_tunnel_bytes_total", "direction" => "downstream"),
    };
    let active = metrics::gauge!("qsgw_tunnels_active");
    active.increment(1.0);
    tokio::select! {
        r = tokio::io::copy_bidirectional(&mut c, &mut u) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "upgraded connection ended");
            }
        }
        () = quiet_for(&moved, idle) => {
            metrics::counter!("qsgw_tunnels_idle_closed_total").increment(1);
        }
    }
    active.decrement(1.0);
    drop(guard);
}

/// Resolves once no byte moved for `idle` (sampled every eighth of it).
async fn quiet_for(moved: &AtomicBool, idle: Duration) {
    let step = (idle / 8).max(Duration::from_millis(50));
    let mut quiet = Duration::ZERO;
    loop {
        tokio::time::sleep(step).await;
        if moved.swap(false, Relaxed) {
            quiet = Duration::ZERO;
        } else {
            quiet += step;
            if quiet >= idle {
                return;
            }
        }
    }
}

/// One side of a tunnel: notes that bytes moved and counts those read.
struct Counted<T> {
    inner: T,
    moved: Arc<AtomicBool>,
    bytes: metrics::Counter,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.moved.store(true, Relaxed);
            self.bytes.increment(n as u64);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
