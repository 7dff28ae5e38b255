//go:build !nofallback

package main

import "github.com/org/oidc-aws-action/pkg/caroots"

// The same registration as the shipped binary's (cmd/oidc-aws/roots.go);
// -tags nofallback leaves it out, which is the control that shows the host
// has no roots of its own here.
func init() { caroots.Use() }
