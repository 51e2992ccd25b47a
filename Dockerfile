# heiretsu as one binary in a small image.
#   docker build -t heiretsu .
#   docker run -p 8080:8080 -v "$PWD/site:/srv:ro" heiretsu /srv
#   docker run -p 9000:9000 -e HEIRETSU_PORT=9000 -e HEIRETSU_COMPRESS=true heiretsu
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY . .
RUN deno task compile

# The nonroot variant: no shell, no package manager, and the server runs as an unprivileged user
# (uid 65532), so a mounted site must be readable by others (files 644, folders 755).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/heiretsu /heiretsu
USER 65532:65532
# Settings go in HEIRETSU_* variables, not flags, so `docker run -e HEIRETSU_…` can change each
# of them (flags would win over the environment). Listen on every interface inside the
# container; the health path lets orchestrators drain it.
# `docker stop` sends SIGTERM and kills the container 10 s later: the drain delay (health check
# says 503, still serving) plus the grace period (in-flight responses finish) is 7 s, so the
# shutdown ends inside it. Raise them together with `docker stop -t` or `--stop-timeout`.
ENV HEIRETSU_HOST=0.0.0.0 \
    HEIRETSU_HEALTH=/.well-known/heiretsu/health \
    HEIRETSU_DRAIN_DELAY=2 \
    HEIRETSU_GRACE=5
STOPSIGNAL SIGTERM
EXPOSE 8080
# Distroless has no shell or curl: the binary checks itself, on loopback, at HEIRETSU_PORT
# (8080 by default) and HEIRETSU_HEALTH, and exits 0 only on a 200.
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
  CMD ["/heiretsu", "--health-check"]
ENTRYPOINT ["/heiretsu"]
