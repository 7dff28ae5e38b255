// Package policycmd implements `oidc-aws policy …`: explaining, linting and
// generating IAM trust policies for GitHub Actions OIDC from the command
// line, on top of package trustpolicy.
package policycmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// Exit codes shared by every subcommand.
const (
	ExitOK       = 0 // allowed / no error-level finding / generated
	ExitFindings = 1 // denied / error-level findings
	ExitUsage    = 2 // bad flags or unreadable input
)

// runCommand is Run before its output is made inert.
func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
		fmt.Fprintf(stderr, "policy: no help for %s; commands are explain, lint, generate\n", strconv.Quote(rest[0]))
		return ExitUsage
	case "explain":
		return runExplain(rest, stdin, stdout, stderr)
	case "lint":
		return runLint(rest, stdin, stdout, stderr)
	case "generate":
		return runGenerate(rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "policy: unknown command %s; commands are explain, lint, generate (run `oidc-aws policy help`)\n", strconv.Quote(cmd))
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

// inputReader reads files, or stdin for "-", refusing more than
// trustpolicy.MaxInputBytes so a wrong path (a log, a binary) fails fast.
type inputReader struct {
	stdin     io.Reader
	stdinUsed bool
}

func (r *inputReader) read(flagName, path string) ([]byte, error) {
	var src io.Reader
	if path == "-" {
		if r.stdinUsed {
			return nil, fmt.Errorf("%s: stdin (\"-\") can be read only once", flagName)
		}
		r.stdinUsed = true
		src = r.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: failed to open %s: %w", flagName, strconv.Quote(path), errors.Unwrap(err))
		}
		defer f.Close()
		src = f
	}
	data, err := io.ReadAll(io.LimitReader(src, trustpolicy.MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: failed to read %s: %w", flagName, strconv.Quote(path), err)
	}
	if len(data) > trustpolicy.MaxInputBytes {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes; pass a single policy, role or terraform plan", flagName, strconv.Quote(path), trustpolicy.MaxInputBytes)
	}
	return data, nil
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	policyPath := fs.String("policy", "", "")
	claimsPath := fs.String("claims", "", "")
	tokenPath := fs.String("token", "", "")
	action := fs.String("action", trustpolicy.DefaultAction, "")
	role := fs.String("role", "", "")
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "explain", fmt.Sprintf("unexpected argument %s; give the policy with --policy FILE", strconv.Quote(fs.Arg(0))))
	case *policyPath == "":
		return usageError(stderr, "explain", "missing --policy FILE (a policy document, `aws iam get-role` output, or `terraform show -json` output)")
	case *claimsPath == "" && *tokenPath == "":
		return usageError(stderr, "explain", "missing --claims FILE or --token FILE: give the token's claims as JSON, or the token itself")
	case *claimsPath != "" && *tokenPath != "":
		return usageError(stderr, "explain", "--claims and --token both given; give one")
	case *action == "":
		return usageError(stderr, "explain", "--action is empty; omit it for sts:AssumeRoleWithWebIdentity")
	}
	in := &inputReader{stdin: stdin}
	policyData, err := in.read("--policy", *policyPath)
	if err != nil {
		return inputError(stderr, "explain", err)
	}
	docs, err := trustpolicy.ParseDocuments(policyData)
	if err != nil {
		return inputError(stderr, "explain", fmt.Errorf("--policy %s: %w", strconv.Quote(*policyPath), err))
	}
	if *role != "" {
		var picked []trustpolicy.Document
		var names []string
		for _, d := range docs {
			names = append(names, strconv.Quote(d.Name))
			if d.Name == *role {
				picked = append(picked, d)
			}
		}
		if len(picked) == 0 {
			return usageError(stderr, "explain", fmt.Sprintf("--role %s names no policy in %s; it holds %s", strconv.Quote(*role), strconv.Quote(*policyPath), strings.Join(names, ", ")))
		}
		docs = picked
	}

	var tok *claims.Claims
	var source string
	if *tokenPath != "" {
		raw, err := in.read("--token", *tokenPath)
		if err != nil {
			return inputError(stderr, "explain", err)
		}
		if tok, err = claims.Decode(string(raw)); err != nil {
			return inputError(stderr, "explain", fmt.Errorf("--token %s: %w", strconv.Quote(*tokenPath), err))
		}
		source = "token (signature NOT verified: claims were only decoded; STS verifies the real token)"
	} else {
		raw, err := in.read("--claims", *claimsPath)
		if err != nil {
			return inputError(stderr, "explain", err)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil || m == nil {
			return inputError(stderr, "explain", fmt.Errorf("--claims %s: failed to parse: want a JSON object of claims such as {\"iss\": ..., \"sub\": ..., \"aud\": ...}", strconv.Quote(*claimsPath)))
		}
		if tok, err = claims.FromMap(m); err != nil {
			return inputError(stderr, "explain", fmt.Errorf("--claims %s: %w", strconv.Quote(*claimsPath), err))
		}
		source = "claims from " + strconv.Quote(*claimsPath)
	}
	if tok.Issuer == "" {
		return inputError(stderr, "explain", errors.New("the claims have no \"iss\"; condition keys are named after the issuer, so add it (e.g. \"https://token.actions.githubusercontent.com\")"))
	}

	fmt.Fprintf(stdout, "%s: iss %s, sub %s, aud %s\n", source, strconv.Quote(tok.Issuer), strconv.Quote(tok.Subject), quoteList(tok.Audience))
	code := ExitFindings
	var allowed []string
	compileFailed := false
	for _, d := range docs {
		if len(docs) > 1 {
			fmt.Fprintf(stdout, "\n== %s ==\n", strconv.Quote(d.Name))
		}
		c, err := d.Policy.Compile()
		if err != nil {
			fmt.Fprintf(stderr, "explain: %s: %v\n", strconv.Quote(d.Name), err)
			compileFailed = true
			continue
		}
		res := c.Check(trustpolicy.Request{Issuer: tok.Issuer, Claims: tok.Raw, Action: *action})
		if err := res.WriteText(stdout); err != nil {
			fmt.Fprintf(stderr, "explain: failed to write the report: %v\n", err)
			return ExitUsage
		}
		if res.Allowed {
			allowed = append(allowed, strconv.Quote(d.Name))
			code = ExitOK
		}
	}
	if len(docs) > 1 {
		fmt.Fprintf(stdout, "\nsummary: %d of %d policies allow this token", len(allowed), len(docs))
		if len(allowed) > 0 {
			fmt.Fprintf(stdout, ": %s", strings.Join(allowed, ", "))
		}
		fmt.Fprintln(stdout)
	}
	if compileFailed {
		return ExitUsage
	}
	return code
}

func inputError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	return ExitUsage
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var o trustpolicy.GenerateOptions
	var branches, envs, tags listFlag
	fs.StringVar(&o.Repo, "repo", "", "")
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

func quoteList(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
