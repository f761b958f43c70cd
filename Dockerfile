# Production image: static portal, portalctl and healthcheck binaries on
# distroless (no shell). MongoDB, the second replica and the proxy run beside
# it (docker-compose.yml, docs/scale-out.md).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portal ./cmd/portal \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portalctl ./cmd/portalctl \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/healthcheck ./deploy/healthcheck

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portal /out/portalctl /out/healthcheck /usr/local/bin/
# PORTAL_DATA only matters for the embedded database; with MONGODB_URI the
# portal keeps nothing on disk.
ENV PORTAL_ADDR=0.0.0.0:8080 PORTAL_DATA=/tmp/portal
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/portal"]
