# idflow worker image: the worker (ENTRYPOINT) plus the starter CLI.
#
#   docker build -t idflow .
#   docker compose up --build        (see docker-compose.yml)
#
# Configured only by environment variables (TEMPORAL_*, IDFLOW_*); nothing
# else is read from the image. Builds with the classic builder too (no
# BuildKit-only syntax), so the old docker-compose 1.29 can build it as well.

# go.mod says `go 1.26.8`; the golang image sets GOTOOLCHAIN=local, so the
# builder must be at least that release.
ARG GO_VERSION=1.26.8
ARG ALPINE_VERSION=3.23

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Dependencies first: this layer is rebuilt only when go.mod or go.sum change
# (the download checks every module against go.sum).
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (the SQLite driver included), so static binaries that run on any
# base. The worker is built with the tag nodev: the image runs against a
# Temporal server, so the embedded one and its UI (-dev) are left out
# (53 MB instead of 220 before stripping).
RUN go build -trimpath -ldflags="-s -w" -tags nodev -o /out/worker ./worker && \
    go build -trimpath -ldflags="-s -w" -o /out/starter ./starter

# Alpine rather than distroless: the HEALTHCHECK below needs an HTTP client in
# the image (busybox wget). Distroless has none, and neither the worker nor
# the starter has a self-check subcommand that could stand in for it.
# ca-certificates for TLS to Temporal (TEMPORAL_TLS_*, Temporal Cloud) and to
# PostgreSQL; tzdata so that named time zones load.
FROM alpine:${ALPINE_VERSION}
RUN apk add --no-cache ca-certificates tzdata && \
    addgroup -S -g 10001 idflow && \
    adduser -S -D -H -u 10001 -G idflow -h /home/idflow idflow && \
    install -d -o idflow -g idflow -m 0750 /home/idflow
COPY --from=build /out/worker /usr/local/bin/worker
COPY --from=build /out/starter /usr/local/bin/starter
# Writable working directory for the non-root user; production keeps its data
# in PostgreSQL (IDFLOW_DATABASE_URL), never in the container.
WORKDIR /home/idflow
USER 10001:10001

# A container must listen beyond loopback (the binary's own default is
# 127.0.0.1:8080); the port must then match EXPOSE and the HEALTHCHECK.
ENV IDFLOW_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080

# Liveness only (/healthz): /readyz also fails while PostgreSQL or Temporal
# are down, which a restart of the worker would not fix.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1

# Exec form: the worker is PID 1 and receives SIGTERM itself, then drains
# within IDFLOW_SHUTDOWN_TIMEOUT (give `docker stop -t` / stop_grace_period
# more than twice that: the gateway and the worker drain one after the other).
ENTRYPOINT ["/usr/local/bin/worker"]
