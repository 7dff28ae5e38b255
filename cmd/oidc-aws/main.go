// Command oidc-aws is the oidc-aws-action binary: with no arguments it runs
// as the GitHub Action; `oidc-aws policy …` explains, lints and generates
// trust policies; `oidc-aws credential-process …` is the helper that AWS
// SDKs run for refreshable credentials. Everything here ships in the action's image; the local
// stand-ins and the demo live under pkg/internal and never do.
//
// The Windows build is the policy CLI only (platform_windows.go): the
// action runs in its Linux image, and the action and the helper rely on
// Unix file semantics (owners, O_NOFOLLOW, flock) that Windows lacks.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/org/oidc-aws-action/pkg/policycmd"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// version is stamped by the build: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// credentialProcessCommand is credprocess.Command, spelt out so that the
// policy-only build can name the command it refuses without importing the
// helper (main_test.go keeps the two equal).
const credentialProcessCommand = "credential-process"

const usageHead = `oidc-aws: GitHub Actions OIDC to AWS credentials, without stored secrets.

Usage:
`

const usageAction = `  oidc-aws                 run as the GitHub Action (reads INPUT_* variables)
  oidc-aws-post            (a link to this binary) the action's post step:
                           remove what its main step wrote for the job
`

const usagePolicy = `  oidc-aws policy ...      explain, lint and generate IAM trust policies
                           (oidc-aws policy --help for the subcommands)
`

const usageCredentialProcess = `  oidc-aws credential-process ...
                           AWS credentials for an SDK's credential_process,
                           refreshed from the job's OIDC token (written into
                           a profile by refresh-credentials: true)
`

const usageTail = `  oidc-aws version         print the version

Examples:
  oidc-aws policy explain --policy trust.json --token token.jwt
  oidc-aws policy lint --format sarif trust.json > lint.sarif
  oidc-aws policy generate --repo octo/app --repository-id 123456 --branch main \
      --account 123456789012
`

// policyOnlyNote ends the usage of a build without the action and the
// helper, so that its help says what is missing and where to find it.
const policyOnlyNote = `
This build has the policy commands only. The action runs from its Linux
image (uses: in a workflow); credential-process runs in a Linux or macOS job.
`

// commands are the parts of the program a platform may lack: nil means
// this build does not have it.
type commands struct {
	// action runs the GitHub Action (no arguments).
	action func() int
	// post runs the action's post step if argv0 names its entrypoint,
	// and says whether it did.
	post func(argv0 string) (code int, ran bool)
	// credentialProcess runs `oidc-aws credential-process ARGS…`.
	credentialProcess func(args []string, stdout, stderr io.Writer) int
}

func (c commands) usage() string {
	u := usageHead
	if c.action != nil {
		u += usageAction
	}
	u += usagePolicy
	if c.credentialProcess != nil {
		u += usageCredentialProcess
	}
	u += usageTail
	if c.action == nil || c.credentialProcess == nil {
		u += policyOnlyNote
	}
	return u
}

func main() {
	if platform.post != nil {
		if code, ran := platform.post(os.Args[0]); ran {
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the program on this platform's commands.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(platform, args, stdin, stdout, stderr)
}

func runWith(cmds commands, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		if cmds.action == nil {
			fmt.Fprint(stderr, "oidc-aws: this build cannot run as the GitHub Action; a workflow runs the action's image with `uses:`, which needs no binary. Run `oidc-aws policy --help` for what this build does.\n")
			return 2
		}
		return cmds.action()
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
	case credentialProcessCommand:
		if cmds.credentialProcess == nil {
			fmt.Fprintf(stderr, "oidc-aws: this build has no %s; use the Linux or macOS binary in the job that assumes the role\n", credentialProcessCommand)
			return 2
		}
		return cmds.credentialProcess(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "oidc-aws", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, cmds.usage())
		return 0
	default:
		fmt.Fprintf(stderr, "oidc-aws: unknown command %q\n\n%s", args[0], cmds.usage())
		return 2
	}
}
