// Command helper is the credential_process helper on a test's sped-up
// clock: it counts its run, then runs credprocess as the shipped binary's
// `credential-process` subcommand does, with Options.Now from the clock file
// that package sdkrefresh's tests write. Installed as the job directory's
// oidc-aws, it is what the profile's credential_process line starts. Tests
// only: the shipped binary never takes its clock from outside.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/internal/sdkrefresh"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != credprocess.Command {
		fmt.Fprintln(os.Stderr, "helper: want", credprocess.Command, "and its flags")
		os.Exit(2)
	}
	clock, err := sdkrefresh.LoadClock(os.Getenv(sdkrefresh.EnvClockFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	runs, err := os.OpenFile(os.Getenv(sdkrefresh.EnvRunsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	// One line per run, written whole by one append: runs that overlap
	// are each counted.
	fmt.Fprintf(runs, "%d\n", clock.Now().UnixNano())
	runs.Close()
	os.Exit(credprocess.Run(context.Background(), os.Args[2:], credprocess.Options{Now: clock.Now, Version: "test"}))
}
