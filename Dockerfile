# One image per service: docker build --build-arg SERVICE=ingest -t lapor/ingest .
# The web binary embeds the frontend's build, made in its own stage.
FROM node:20 AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY services/shared/catalog/services.json /src/services/shared/catalog/services.json
RUN npm run build

FROM golang:1.26 AS build
ARG SERVICE
WORKDIR /src
COPY go.work ./
COPY services/ services/
COPY api/ api/
COPY --from=frontend /src/services/web/internal/ui/dist/app/ services/web/internal/ui/dist/app/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./services/${SERVICE}/cmd/${SERVICE}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
