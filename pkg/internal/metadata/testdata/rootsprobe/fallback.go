//go:build !nofallback

package main

// The same import as cmd/oidc-aws/roots.go; -tags nofallback leaves it out,
// which is the control that shows the host has no roots of its own here.
import _ "golang.org/x/crypto/x509roots/fallback"
