# heiretsu as one binary in a small image.
#   docker build -t heiretsu .
#   docker run -p 8080:8080 -v "$PWD/site:/srv:ro" heiretsu /srv
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY . .
RUN deno task compile

FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/dist/heiretsu /heiretsu
EXPOSE 8080
# Listen on every interface inside the container; the health check lets orchestrators drain it.
ENTRYPOINT ["/heiretsu", "--host", "0.0.0.0", "--health", "/.well-known/heiretsu/health", "--drain-delay", "5"]
