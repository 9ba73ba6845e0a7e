# syntax=docker/dockerfile:1
#
# zpa-enricher container image.
#
#   docker build -t zpa-enricher:local .
#   docker run --rm -p 9464:9464 -e ZPA_ENRICHER__KAFKA__BROKERS=kafka:9092 zpa-enricher:local
#
# Build stage: the Rust toolchain of rust-toolchain.toml (scripts/check_dockerfile.py checks
# that RUST_VERSION is its channel) plus what librdkafka's build needs (C toolchain, OpenSSL
# headers, perl, python3). zlib and zstd are built in statically.
# Runtime stage: distroless "cc" (glibc, libgcc, OpenSSL 3, CA certificates; no shell, no
# package manager), running as the image's non-root user 65532.

ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-bookworm AS build
# Build-only packages; the runtime stage does not inherit them, so their exact versions do not
# reach the image (DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev perl python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Everything the package needs to build: the manifest and lock file, the sources, the catalog
# and default settings compiled into the binary, and the benchmark targets Cargo.toml declares.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY benches ./benches
# Symbols stay (readable panics); debug line tables do not (a third of the size).
ENV CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=debuginfo
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin zpa-enricher \
 && install -D -m 0755 target/release/zpa-enricher /out/zpa-enricher

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="zpa-enricher" \
      org.opencontainers.image.description="Enriches Zscaler Private Access LSS records with status-code context, Kafka to Kafka, with Prometheus metrics" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/zpa-enricher /usr/local/bin/zpa-enricher
# The shipped catalog and every setting with its default, for reference and as a starting
# point (both are also compiled into the binary; mount your own and point --config or
# ZPA_ENRICHER__CATALOG__PATH at it).
COPY config/catalog.toml config/default.toml /etc/zpa-enricher/
# Settings come from ZPA_ENRICHER__<SECTION>__<KEY> variables (or a mounted --config file).
ENV ZPA_ENRICHER__METRICS__ADDR=0.0.0.0:9464 \
    ZPA_ENRICHER__LOG__FORMAT=json
USER 65532:65532
EXPOSE 9464
# Ready: partitions assigned and the producer working (GET /readyz answers 200). The binary is
# its own probe: the image has no shell and no HTTP client.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/zpa-enricher", "healthcheck", "--endpoint", "ready"]
ENTRYPOINT ["/usr/local/bin/zpa-enricher"]
CMD ["run"]
