// Command oidc-aws is the oidc-aws-action binary: with no arguments it runs
// as the GitHub Action; `oidc-aws policy …` explains, lints and generates
// trust policies; `oidc-aws credential-process …` is the helper that AWS
// SDKs run for refreshable credentials. Everything here ships in the action's image; the local
// stand-ins and the demo live under pkg/internal and never do.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
	"github.com/org/oidc-aws-action/pkg/policycmd"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// version is stamped by the build: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `oidc-aws: GitHub Actions OIDC to AWS credentials, without stored secrets.

Usage:
  oidc-aws                 run as the GitHub Action (reads INPUT_* variables)
  oidc-aws policy ...      explain, lint and generate IAM trust policies
                           (oidc-aws policy --help for the subcommands)
  oidc-aws credential-process ...
                           AWS credentials for an SDK's credential_process,
                           refreshed from the job's OIDC token (written into
                           a profile by refresh-credentials: true)
  oidc-aws version         print the version

Examples:
  oidc-aws policy explain --policy trust.json --token token.jwt
  oidc-aws policy lint --format sarif trust.json > lint.sarif
  oidc-aws policy generate --repo octo/app --repository-id 123456 --branch main \
      --account 123456789012
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		ctx, stop := stopOnSignal(func(msg string) { workflow.New(os.Stdout, os.Getenv).Errorf("%s", msg) })
		defer stop()
		// action.yml's post-entrypoint starts this same binary.
		if jobfiles.IsPost(os.Getenv) {
			if !jobfiles.Cleanup(workflow.New(os.Stdout, os.Getenv), os.Getenv) {
				return action.ExitFailed
			}
			return action.ExitOK
		}
		useFallbackRoots()
		return action.Run(ctx, action.Options{Version: version})
	}
	// The action writes its own log; everything else this program prints
	// may echo outside text (an argument, a policy file) and must be inert.
	out, errOut := workflow.NewInertWriter(stdout), workflow.NewInertWriter(stderr)
	defer out.Flush()
	defer errOut.Flush()
	stdout, stderr = out, errOut
	switch args[0] {
	case "policy":
		return policycmd.Run(args[1:], stdin, stdout, stderr)
	case credprocess.Command:
		ctx, stop := stopOnSignal(func(msg string) { fmt.Fprintln(stderr, "oidc-aws:", msg) })
		defer stop()
		return credprocess.Run(ctx, args[1:], credprocess.Options{Stdout: stdout, Stderr: stderr, Version: version, BeforeNetwork: useFallbackRoots})
	case "version", "--version":
		fmt.Fprintln(stdout, "oidc-aws", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "oidc-aws: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
