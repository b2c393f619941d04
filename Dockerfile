# One image per service: docker build --build-arg SERVICE=ingest -t lapor/ingest .
FROM golang:1.26 AS build
ARG SERVICE
WORKDIR /src
COPY go.work ./
COPY services/ services/
COPY api/ api/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./services/${SERVICE}/cmd/${SERVICE}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
