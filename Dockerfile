# KeyTrack's container image (README, "Deploying"): the server, the site it serves and the agents
# "Add a computer" offers, on a slim Debian, run as a user of its own with the data in /data.
#
#   docker compose up -d --build        (compose.yaml), or
#   docker build -t keytrack . && docker run -d -p 3000:3000 -v keytrack-data:/data keytrack
#
# The binaries come from the `build` stage (from source, with the Rust image: a machine that
# reaches a registry), or with `--build-arg BINARIES=prebuilt` from `dist/docker/` in the build
# context, laid out as the build stage's /dist: what CI does with what its own steps built
# (scripts/container-test.sh), since no registry is reachable there.
ARG BINARIES=build

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nodejs npm pkg-config libx11-dev libxtst-dev libxi-dev libxrandr-dev gcc-mingw-w64-x86-64 \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add wasm32-unknown-unknown x86_64-pc-windows-gnu
WORKDIR /src
COPY . .
ENV CARGO_TARGET_DIR=/src/target LEPTOS_SITE_ROOT=/src/target/site
# What scripts/setup.sh would install that the build needs: the wasm-bindgen CLI of Cargo.lock's
# version, and the npm packages (Chart.js, wasm-opt).
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)" \
 && (cd end2end && npm ci --no-audit --no-fund) \
 && mkdir -p app/public/vendor && cp end2end/node_modules/chart.js/dist/chart.umd.min.js app/public/vendor/ \
 && scripts/build-site.sh --release \
 && cargo build --release -p keytrack-agent \
 && cargo build --release -p keytrack-agent --target x86_64-pc-windows-gnu \
 && mkdir -p /dist/agents \
 && cp target/release/keytrack /dist/keytrack \
 && cp -R target/site /dist/site \
 && cp target/release/keytrack-agent target/x86_64-pc-windows-gnu/release/keytrack-agent.exe /dist/agents/

FROM scratch AS prebuilt
COPY dist/docker/ /dist/

FROM ${BINARIES} AS binaries

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 keytrack \
 && useradd --system --uid 10001 --gid keytrack --home-dir /data --no-create-home --shell /usr/sbin/nologin keytrack \
 && mkdir /data && chown keytrack:keytrack /data && chmod 0700 /data
COPY --from=binaries /dist/keytrack /usr/local/bin/keytrack
COPY --from=binaries /dist/site /usr/local/share/keytrack/site
COPY --from=binaries /dist/agents /usr/local/share/keytrack/agents
ENV KEYTRACK_ADDR=0.0.0.0:3000 \
    KEYTRACK_DATA_DIR=/data \
    LEPTOS_SITE_ROOT=/usr/local/share/keytrack/site \
    KEYTRACK_AGENT_DOWNLOADS=/usr/local/share/keytrack/agents
VOLUME /data
WORKDIR /data
USER keytrack
EXPOSE 3000
# `keytrack health` asks /healthz/ready: the database answers and takes writes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["keytrack", "health"]
# SIGTERM: the server stops taking requests, the upload writer commits, then it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["keytrack"]
CMD ["serve"]
