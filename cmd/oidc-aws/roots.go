//go:build !windows

package main

import "github.com/org/oidc-aws-action/pkg/caroots"

// The image is built FROM scratch, so there is no CA bundle on disk: the
// compiled-in roots are registered before a command's first network call,
// and only by the commands that make one (the action's main step here,
// credential-process through its BeforeNetwork). The post step, policy and
// version make none and so skip the parse (pkg/caroots).
func useFallbackRoots() { caroots.Use() }
