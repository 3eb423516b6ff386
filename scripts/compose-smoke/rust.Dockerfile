# Stand-in for rust:1.95-slim-bookworm, named quantun-local/rust: the host's
# own Rust toolchain (copied into the context as toolchain/ by
# scripts/compose-smoke/release-build.sh) on Debian bookworm with the C
# toolchain, used once to build compose/Dockerfile's builder stage end to
# end where the registry image cannot be pulled.
FROM quantun-local/debian-base:bookworm
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev make pkg-config >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY toolchain/ /usr/local/rust/
# This machine's CA bundle: its HTTPS egress (crates.io) may be inspected by
# a proxy whose CA only the host trusts.
COPY host-ca-bundle.crt /etc/ssl/host-ca-bundle.crt
ENV CARGO_HTTP_CAINFO=/etc/ssl/host-ca-bundle.crt \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
