package main

import (
	"github.com/org/oidc-aws-action/pkg/caroots"
	"github.com/org/oidc-aws-action/pkg/credprocess"
)

// The image is built FROM scratch, so there is no CA bundle on disk; every
// command but credential-process registers the compiled-in roots first
// thing. credential-process does it before its first network call only:
// from its cache it needs none (pkg/caroots).
func useFallbackRoots(args []string) {
	if len(args) == 0 || args[0] != credprocess.Command {
		caroots.Use()
	}
}
