// Package deploy holds no code: its tests check the deployment files
// that cannot run here (no Docker engine, no Kubernetes).
//
//   - The Helm chart (charts/lapor), rendered with Helm's engine for the
//     value sets in testdata/ (single, cluster, minimal): every manifest
//     decoded strictly into the Kubernetes API types, Helm's linter,
//     selectors that match their own release's pods and no other's, the
//     restricted Pod Security Standard, each container's environment
//     against the settings its command reads (from the services' own -h),
//     every setting the code reads reachable from values.yaml, and the
//     chart's refusals of values that would count people wrongly.
//   - docker-compose.yml: health checks, the ClickHouse login, the one-shot
//     migration, and each service's environment.
//   - The Dockerfile and .dockerignore: the stages, the module-download
//     layer, and a build context that holds what the build copies.
//
// The subpackage healthcheck is the images' health check command.
package deploy

// The module stays outside go.work on purpose: Helm's engine brings
// client-go, whose requirements would raise shared versions in every
// service binary. scripts/test.sh runs it with GOWORK=off.
