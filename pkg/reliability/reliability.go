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
	"os/exec"
	"time"

	"github.com/org/oidc-aws-action/pkg/sandbox"
)

// Run is one finished process run of a step.
type Run struct {
	ExitCode int
	// Duration is from just before the process starts to just after it
	// exits (and its output is drained).
	Duration time.Duration
	// MaxRSSKiB is the process's peak resident set size; 0 where the
	// platform does not report it.
	MaxRSSKiB int64
	Stdout    []byte
	Stderr    []byte
}

// Exec runs argv in the step's directory with the step's environment only,
// as the runner would: argv is the action binary alone, or another entry
// point such as {"node", "dist/index.js"}. A non-zero exit is a Run, not an
// error; only a process that could not be started or waited for is.
func Exec(ctx context.Context, st *sandbox.Step, argv ...string) (*Run, error) {
	if len(argv) == 0 {
		return nil, errors.New("failed to run a step: no command given")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = st.Environ()
	cmd.Dir = st.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A hung child must not hold the test past its deadline through its
	// output pipes.
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := &Run{Duration: time.Since(start), Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if cmd.ProcessState != nil {
		r.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	default:
		return nil, fmt.Errorf("failed to run %s: %w", argv[0], err)
	}
	return r, nil
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
