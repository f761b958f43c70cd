# Production image: a static portal binary; MongoDB runs beside it (docker-compose.yml).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portal ./cmd/portal \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portalctl ./cmd/portalctl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portal /out/portalctl /usr/local/bin/
ENV PORTAL_ADDR=0.0.0.0:8080 PORTAL_DATA=/data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/portal"]
