# The action's image: a static Go binary on an empty base.
#
# The builder runs on the build machine's own platform and cross-compiles
# (GOOS/GOARCH from BuildKit's TARGET* args), so the multi-arch release
# needs no emulation. It is pinned by digest (Go 1.26.8, Alpine 3.24) so a
# rebuild of a tag uses the same toolchain; Dependabot proposes new digests.
FROM --platform=$BUILDPLATFORM golang:1.26-alpine@sha256:ce864e7223ac17b1775e6fd0b4c0db580c2eb50e7953a427916379e4b92a1628 AS build

WORKDIR /src
# Modules first, so that editing code does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
# pkg/internal (the local stand-ins, the demo and the test harness) is not in
# the build context at all (.dockerignore), so the build fails if the action
# ever imports it.
COPY pkg/ pkg/

ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# These flags must stay those of sandbox.BuildFlags, which the tests build
# with (pkg/internal/metadata checks): CGO off for a static binary that runs on
# scratch, -trimpath for reproducible output, -s -w to strip it.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/oidc-aws ./cmd/oidc-aws
# The post step's entrypoint (action.yml's post-entrypoint) is a link to the
# same binary, which tells the two steps apart by the path it was started
# as. Made here and copied as part of /out/: COPY keeps a symlink inside a
# copied directory, but follows one named as its source, which would add a
# second copy of the binary.
RUN ln -s oidc-aws /out/oidc-aws-post

FROM scratch
# CA roots are compiled into the binary (cmd/oidc-aws/roots.go), so the
# image needs no certificate files, and nothing else.
COPY --from=build /out/ /
# No USER: GitHub requires container actions to run as the default user,
# root. The workspace and the file-command files (GITHUB_ENV, GITHUB_OUTPUT,
# ...) are mounted from the runner and owned by its user, so any other user
# could not write the step's results.
ENTRYPOINT ["/oidc-aws"]
