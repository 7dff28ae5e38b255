// Package policycmd implements `oidc-aws policy …`: explaining, linting and
// generating IAM trust policies for GitHub Actions OIDC from the command
// line, on top of package trustpolicy.
package policycmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// Exit codes shared by every subcommand.
const (
	ExitOK       = 0 // allowed / no error-level finding / generated
	ExitFindings = 1 // denied / error-level findings
	ExitUsage    = 2 // bad flags or unreadable input
)

// runCommand is Run before its output is made inert.
// now is audit's clock, for RoleLastUsed.
func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usagePolicy)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usagePolicy)
			return ExitOK
		}
		if u, ok := usages[rest[0]]; ok {
			fmt.Fprint(stdout, u)
			return ExitOK
		}
		fmt.Fprintf(stderr, "policy: no help for %s; commands are explain, lint, generate, audit\n", strconv.Quote(rest[0]))
		return ExitUsage
	case "explain":
		return runExplain(rest, stdin, stdout, stderr)
	case "lint":
		return runLint(rest, stdin, stdout, stderr)
	case "generate":
		return runGenerate(rest, stdout, stderr)
	case "audit":
		return runAudit(rest, stdin, stdout, stderr, now)
	}
	fmt.Fprintf(stderr, "policy: unknown command %s; commands are explain, lint, generate, audit (run `oidc-aws policy help`)\n", strconv.Quote(cmd))
	return ExitUsage
}

// parseFlags parses fs, printing help to stdout for -h and a prefixed
// error to stderr otherwise. It returns -1 to continue.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	fs.SetOutput(io.Discard) // we print our own usage
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usages[fs.Name()])
		return ExitOK
	}
	if err != nil {
		return usageError(stderr, fs.Name(), err.Error())
	}
	return -1
}

func usageError(stderr io.Writer, cmd, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\nrun `oidc-aws policy %s --help` for usage\n", cmd, msg, cmd)
	return ExitUsage
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func inputError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	return ExitUsage
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var o trustpolicy.GenerateOptions
	var branches, envs, tags listFlag
	fs.StringVar(&o.Repo, "repo", "", "")
	fs.StringVar(&o.RepositoryID, "repository-id", "", "")
	fs.StringVar(&o.OwnerID, "owner-id", "", "")
	fs.Var(&branches, "branch", "")
	fs.Var(&envs, "environment", "")
	fs.Var(&tags, "tag", "")
	fs.BoolVar(&o.PullRequest, "pull-request", false, "")
	fs.StringVar(&o.Account, "account", "", "")
	fs.StringVar(&o.ProviderARN, "provider-arn", "", "")
	fs.StringVar(&o.Audience, "audience", trustpolicy.DefaultAudience, "")
	fs.StringVar(&o.Issuer, "issuer", trustpolicy.DefaultIssuer, "")
	fs.StringVar(&o.Partition, "partition", "", "")
	format := fs.String("format", "json", "")
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "generate", fmt.Sprintf("unexpected argument %s; every option is a flag, e.g. --branch main", strconv.Quote(fs.Arg(0))))
	}
	if *format != "json" && *format != "terraform" {
		return usageError(stderr, "generate", fmt.Sprintf("invalid --format %s: want json or terraform", strconv.Quote(*format)))
	}
	o.Branches, o.Environments, o.Tags = branches, envs, tags
	p, err := trustpolicy.Generate(o)
	if err != nil {
		return usageError(stderr, "generate", err.Error())
	}
	if *format == "terraform" {
		fmt.Fprint(stdout, p.Terraform())
		return ExitOK
	}
	out, err := p.JSON()
	if err != nil {
		fmt.Fprintf(stderr, "generate: failed to render the policy: %v\n", err)
		return ExitUsage
	}
	_, _ = stdout.Write(out)
	return ExitOK
}
