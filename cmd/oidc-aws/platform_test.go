//go:build !windows

package main

import (
	"testing"

	"github.com/org/oidc-aws-action/pkg/credprocess"
)

// The policy-only build names the helper without importing it.
func TestCredentialProcessCommandIsTheHelpers(t *testing.T) {
	if credentialProcessCommand != credprocess.Command {
		t.Fatalf("main names the helper %q, package credprocess %q", credentialProcessCommand, credprocess.Command)
	}
}
