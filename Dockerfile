# syntax=docker/dockerfile:1
# One image per service, all from one build of every binary:
#   docker build --build-arg SERVICE=ingest -t lapor/ingest .
# SERVICE is one of ingest, worker, detector, web, simulator (the worker
# image also runs `migrate`). docker compose builds them all and shares the
# stages below between them, so the frontend and the Go binaries are built
# once, whatever the number of images.

# The frontend, built once in its own stage; only the web binary embeds it.
FROM node:20 AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# `npm run build` checks that every catalog symptom has its labels.
COPY services/shared/catalog/services.json /src/services/shared/catalog/services.json
RUN npm run build

# The Go modules of the whole workspace, in a layer that changes only when
# a go.mod or go.sum does. Every module go.work uses is listed here (a test
# in services/deploy checks it against go.work).
FROM golang:1.26 AS modules
WORKDIR /src
COPY go.work go.work.sum ./
COPY api/go.mod api/
COPY services/detector/go.mod services/detector/go.sum services/detector/
COPY services/ingest/go.mod services/ingest/go.sum services/ingest/
COPY services/shared/go.mod services/shared/go.sum services/shared/
COPY services/simulator/go.mod services/simulator/go.sum services/simulator/
COPY services/stack/go.mod services/stack/go.sum services/stack/
COPY services/web/go.mod services/web/go.sum services/web/
COPY services/worker/go.mod services/worker/go.sum services/worker/
RUN go mod download

# Every service binary at once, each to /out/<service>/app.
FROM modules AS build
COPY api/ api/
COPY services/ services/
COPY --from=frontend /src/services/web/internal/ui/dist/app/ services/web/internal/ui/dist/app/
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /tmp/bin/ \
      ./services/ingest/cmd/ingest ./services/worker/cmd/worker ./services/detector/cmd/detector \
      ./services/web/cmd/web ./services/simulator/cmd/simulator \
 && for s in ingest worker detector web simulator; do mkdir -p /out/$s && mv /tmp/bin/$s /out/$s/app; done

# The health check docker compose runs (no shell or curl in distroless):
# one file of the standard library, built alone.
FROM golang:1.26 AS healthcheck
WORKDIR /src
COPY services/deploy/healthcheck/main.go ./
RUN CGO_ENABLED=0 GOWORK=off go build -trimpath -ldflags="-s -w" -o /out/healthcheck main.go

FROM gcr.io/distroless/static-debian12:nonroot
ARG SERVICE
# An unknown or missing SERVICE fails here: /out/<SERVICE>/app does not exist.
COPY --from=build /out/${SERVICE}/app /app
COPY --from=healthcheck /out/healthcheck /healthcheck
# distroless's nonroot, by number, as the chart's runAsUser.
USER 65532:65532
ENTRYPOINT ["/app"]
