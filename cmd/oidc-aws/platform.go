//go:build !windows

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// platform is the whole program: the action runs in its Linux image, and
// credential-process in Linux and macOS jobs.
var platform = commands{action: runAction, post: runPost, credentialProcess: runCredentialProcess}

func runAction() int {
	ctx, stop := stopOnSignal(func(msg string) { workflow.New(os.Stdout, os.Getenv).Errorf("%s", msg) })
	defer stop()
	useFallbackRoots()
	return action.Run(ctx, action.Options{Version: version})
}

func runCredentialProcess(args []string, stdout, stderr io.Writer) int {
	ctx, stop := stopOnSignal(func(msg string) { fmt.Fprintln(stderr, "oidc-aws:", msg) })
	defer stop()
	return credprocess.Run(ctx, args, credprocess.Options{Stdout: stdout, Stderr: stderr, Version: version, BeforeNetwork: useFallbackRoots})
}

func runPost(argv0 string) (int, bool) {
	// action.yml's post-entrypoint, a link to this binary. The runner
	// gives it the main step's args too, so they are not read.
	if !jobfiles.IsPost(argv0) {
		return 0, false
	}
	if !jobfiles.Cleanup(workflow.New(os.Stdout, os.Getenv), os.Getenv) {
		return action.ExitFailed, true
	}
	return action.ExitOK, true
}
