package policycmd

import (
	"io"
	"time"

	"github.com/org/oidc-aws-action/pkg/workflow"
)

// Run executes `oidc-aws policy ARGS…` and returns the exit code. args are
// the words after "policy".
//
// Policy files, their names and claims come from outside (lint runs on pull
// requests that change them), and the runner executes workflow commands
// from any line a step prints. So every line, on stdout and stderr, passes
// through the action's own neutraliser here, where no path can go around it.
// JSON and SARIF stay JSON with the same value (workflow.InertWriter).
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runAt(args, stdin, stdout, stderr, time.Now)
}

// runAt is Run on the clock now.
func runAt(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	out, errOut := workflow.NewInertWriter(stdout), workflow.NewInertWriter(stderr)
	code := runCommand(args, stdin, out, errOut, now)
	// Write errors here are ones the subcommand would have met too.
	_ = out.Flush()
	_ = errOut.Flush()
	return code
}
