# Dockerfile — the esc image for docker-compose.yml (production shape).
#
# Two stages on Debian 12, the platform esc is built and tested on: the
# first compiles `esc` with cmake + ninja against Debian's librdkafka,
# avro-c, libpq, libcurl, libmicrohttpd, jansson and libyaml; the second
# carries only the runtime libraries, the binary, the default policy and a
# small /etc/esc/esc.yaml. Everything deployment-specific (brokers,
# PostgreSQL URL, schema registry, tokens) comes from the environment
# (ESC_KAFKA_BROKERS, ESC_PG_URL, ...; DESIGN §5), so one image serves every
# worker: `esc worker ledger|sla|actions|timers`, `esc webhook`.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config \
        librdkafka-dev libavro-dev libpq-dev libcurl4-openssl-dev \
        libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the binary: tests and benchmarks run in CI, not in the image build.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && ninja -C /build esc \
 && strip --strip-debug /build/esc \
 && mkdir -p /src/config

FROM debian:12
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        librdkafka1 libavro23 libpq5 libcurl4 libmicrohttpd12 libjansson4 \
        libyaml-0-2 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/esc --create-home --shell /usr/sbin/nologin esc
COPY --from=build /build/esc /usr/local/bin/esc
COPY --from=build /src/config /etc/esc/config
# Relative paths in esc.yaml resolve against its directory; /metrics and
# /healthz listen on every interface inside the container (the port is
# published only where compose says so).
RUN printf '%s\n' \
        '# esc.yaml baked into the image; override with ESC_* environment' \
        '# variables or mount your own file and set ESC_CONFIG.' \
        'policy: config/policy.yaml' \
        'metrics:' \
        '  listen: 0.0.0.0:9464' \
        > /etc/esc/esc.yaml
ENV ESC_CONFIG=/etc/esc/esc.yaml \
    ESC_DEV_DIR=/var/lib/esc/.esc
USER esc
WORKDIR /var/lib/esc
EXPOSE 9464
# Workers drain on SIGTERM (finish the batch, flush, close the consumer).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/esc"]
CMD ["--help"]
