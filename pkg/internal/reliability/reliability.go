// Package reliability gathers the evidence that the action holds up: how a
// whole run (the real binary, as the runner starts it) ends under each fault
// the local GitHub issuer and local STS can inject, how a large job matrix
// fares against a throttling STS, and how fast and small a run is.
//
// The library part is what those tests share and what is worth testing on
// its own: running a step as a process with its peak memory, finding secrets
// in a step's log, summarising durations, rendering markdown tables, and a
// model of many runs retrying against a rate-limited STS, for comparing
// retry shapes without starting hundreds of processes.
package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// Run is one finished process run of a step, with its peak memory.
type Run struct {
	sandbox.Run
	// MaxRSSKiB is the process's peak resident set size, from Measure;
	// 0 from Exec.
	MaxRSSKiB int64
}

// Exec runs argv in the step's directory with the step's environment only,
// as the runner would: argv is the action binary alone, or another entry
// point such as {"node", "dist/index.js"}. A non-zero exit is a Run, not an
// error; only a process that could not be started or waited for is.
//
// It leaves MaxRSSKiB at 0: on Linux a child started by a Go program (vfork,
// then exec) inherits the parent's peak RSS in its own ru_maxrss, so the
// child's rusage says how big the test is, not the action. Measure works
// around that.
func Exec(ctx context.Context, st *sandbox.Step, argv ...string) (*Run, error) {
	return execute(ctx, st, nil, argv)
}

// ErrNoRSSProbe means Measure has no way to see a child's own peak RSS here.
var ErrNoRSSProbe = errors.New("GNU time (" + gnuTime + ") is not available to measure peak RSS")

const gnuTime = "/usr/bin/time"

var (
	probeOnce sync.Once
	probeOK   bool
)

// haveGNUTime says whether gnuTime is GNU time, whose -f %M reports its
// child's peak RSS in KiB. It forks (rather than vforks) from a small
// process, so its child's peak starts from that process's few hundred KiB.
func haveGNUTime() bool {
	probeOnce.Do(func() {
		out, err := exec.Command(gnuTime, "--version").CombinedOutput()
		probeOK = err == nil && bytes.Contains(out, []byte("GNU"))
	})
	return probeOK
}

// Measure is Exec with the child's own peak RSS in MaxRSSKiB, measured
// through GNU time. Duration then includes starting GNU time (about a
// millisecond), so wall-time figures should come from Exec. It returns
// ErrNoRSSProbe where GNU time is missing.
func Measure(ctx context.Context, st *sandbox.Step, argv ...string) (*Run, error) {
	if !haveGNUTime() {
		return nil, ErrNoRSSProbe
	}
	f, err := os.CreateTemp("", "reliability-rss-")
	if err != nil {
		return nil, fmt.Errorf("failed to make a file for the RSS figure: %w", err)
	}
	f.Close()
	defer os.Remove(f.Name())
	r, err := execute(ctx, st, []string{gnuTime, "-f", "%M", "-o", f.Name()}, argv)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, fmt.Errorf("failed to read the RSS figure: %w", err)
	}
	// GNU time writes "Command exited with non-zero status N" first when
	// the child fails; the figure is the last line.
	lines := strings.Fields(strings.TrimSpace(string(b)))
	if len(lines) == 0 {
		return nil, fmt.Errorf("failed to measure peak RSS: %s wrote nothing", gnuTime)
	}
	if r.MaxRSSKiB, err = strconv.ParseInt(lines[len(lines)-1], 10, 64); err != nil {
		return nil, fmt.Errorf("failed to measure peak RSS: %s wrote %q", gnuTime, b)
	}
	return r, nil
}

func execute(ctx context.Context, st *sandbox.Step, wrapper, argv []string) (*Run, error) {
	r, err := st.Exec(ctx, inOwnGroup, append(slices.Clone(wrapper), argv...)...)
	if err != nil {
		return nil, err
	}
	return &Run{Run: *r}, nil
}

// CredentialVars are the variables a successful run exports to later steps.
var CredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}

// SecretVars are the exported variables whose values must never be logged.
var SecretVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// CheckCredentials says what is wrong with a step's exported environment:
// after a success every credential variable must be set, after a failure
// none may be (a half-configured job would run later steps with the wrong
// identity).
func CheckCredentials(env map[string]string, succeeded bool) error {
	var missing, present []string
	for _, k := range CredentialVars {
		if env[k] == "" {
			missing = append(missing, k)
		} else {
			present = append(present, k)
		}
	}
	switch {
	case succeeded && len(missing) > 0:
		return fmt.Errorf("the run succeeded but GITHUB_ENV lacks %v", missing)
	case !succeeded && len(present) > 0:
		return fmt.Errorf("the run failed but GITHUB_ENV exports %v", present)
	}
	return nil
}
