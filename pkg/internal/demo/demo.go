// Command demo runs the real action end to end against the local GitHub OIDC
// issuer and local STS, and shows what a workflow would see: the step's log
// as the runner displays it (masks applied), GITHUB_ENV, the step outputs and
// the step summary. It lives under internal/ because it is never shipped: the
// action's binary and image carry none of the stand-ins it starts.
//
//	go run ./pkg/internal/demo
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// scenario is one step run in the demo.
type scenario struct {
	title  string
	claims map[string]any
	with   map[string]string
}

var scenarios = []scenario{
	{
		title: "A push to main assumes the deploy role",
		with:  map[string]string{"output-credentials": "false"},
	},
	{
		title:  "A pull-request job is refused, and the action explains why",
		claims: map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge", "head_ref": "feature", "base_ref": "main"},
		with:   map[string]string{"retry-max-attempts": "2"},
	},
	{
		title:  "debug-claims without a role: just show what the trust policy must match",
		claims: map[string]any{"environment": "production"},
		with:   map[string]string{"role-to-assume": "", "debug-claims": "true"},
	},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the demo and returns an exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./pkg/internal/demo\n\nRuns the action against a local GitHub OIDC issuer and a local STS on 127.0.0.1\nand prints what a workflow log, GITHUB_ENV and the step outputs would contain.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.MkdirTemp("", "oidc-aws-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "demo: failed to make a temporary directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)

	failed := false
	for i, sc := range scenarios {
		fmt.Fprintf(stdout, "\n=== %d. %s\n", i+1, sc.title)
		ok, err := runScenario(ctx, dir, i, sc, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
		// The second scenario is meant to fail; the others to succeed.
		if ok == (i == 1) {
			failed = true
			fmt.Fprintf(stdout, "!!! scenario %d did not end as expected\n", i+1)
		}
	}
	if failed {
		return 1
	}
	fmt.Fprintln(stdout, "\nAll scenarios ended as expected. The servers ran on 127.0.0.1 only; nothing left this machine.")
	return 0
}

func runScenario(ctx context.Context, root string, i int, sc scenario, w io.Writer) (bool, error) {
	sb, err := sandbox.Start(sandbox.Options{Claims: sc.claims})
	if err != nil {
		return false, err
	}
	defer sb.Close()
	dir, err := os.MkdirTemp(root, fmt.Sprintf("step%d-", i+1))
	if err != nil {
		return false, err
	}
	st, err := sb.NewStep(dir, sc.with)
	if err != nil {
		return false, err
	}
	fmt.Fprintln(w, "--- with:")
	for _, k := range []string{"role-to-assume", "aws-region", "debug-claims"} {
		if v := st.Env[inputs.EnvName(k)]; v != "" {
			fmt.Fprintf(w, "      %s: %s\n", k, v)
		}
	}
	var out bytes.Buffer
	start := time.Now()
	code := action.Run(ctx, action.Options{
		Getenv: st.Getenv,
		Stdout: &out,
		// Keep the demo quick: the refused scenario retries nothing, but
		// a transient failure would wait at most this long.
		Sleep: func(ctx context.Context, d time.Duration) error { time.Sleep(min(d, 50*time.Millisecond)); return nil },
	})
	took := time.Since(start)

	log := runnersim.ParseLog(out.Bytes())
	fmt.Fprintf(w, "--- step log, as the runner shows it (%d value(s) masked):\n", len(log.Masks))
	for _, l := range log.Lines {
		// An annotation decodes to several lines (the error, then Fix:).
		fmt.Fprint(w, indent(l))
	}
	res, err := st.Read()
	if err != nil {
		return false, err
	}
	fmt.Fprintln(w, "--- GITHUB_ENV, as later steps get it (secret values shown by length only):")
	fmt.Fprint(w, indent(sandbox.SortedLines(sandbox.Redact(res.Env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))))
	if len(res.Outputs) > 0 {
		fmt.Fprintln(w, "--- step outputs:")
		fmt.Fprint(w, indent(sandbox.SortedLines(res.Outputs)))
	}
	if s := strings.TrimSpace(res.Summary); s != "" {
		fmt.Fprintln(w, "--- step summary (markdown):")
		fmt.Fprint(w, indent(s+"\n"))
	}
	fmt.Fprintf(w, "--- exit code %d in %s\n", code, took.Round(time.Millisecond))
	return code == action.ExitOK, nil
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  | " + l + "\n")
	}
	return b.String()
}
