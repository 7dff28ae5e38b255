package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// BuildFlags are the flags the Dockerfile builds the shipped binary with;
// tests build it the same way so that they test what users run.
var BuildFlags = []string{"build", "-trimpath", "-ldflags", "-s -w -X main.version=test", "-o"}

// Build compiles cmd/oidc-aws into dir as the Dockerfile does (static,
// stripped) and returns its path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "oidc-aws")
	args := append(append([]string(nil), BuildFlags...), bin, "github.com/org/oidc-aws-action/cmd/oidc-aws")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("failed to build oidc-aws: %v\n%s", err, out)
	}
	return bin, nil
}

// Run is one finished process run of a step.
type Run struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	Duration time.Duration
}

// Run executes the binary as the runner would for this step: the step's
// environment only, no arguments, stdout captured as the log.
func (st *Step) Run(ctx context.Context, bin string) (*Run, error) {
	return st.Exec(ctx, nil, bin)
}

// Exec runs argv in the step's directory with the step's environment only.
// prepare, if not nil, may adjust the command before it starts (a process
// group, say). A non-zero exit is a Run, not an error; only a process that
// could not be started or waited for is.
func (st *Step) Exec(ctx context.Context, prepare func(*exec.Cmd), argv ...string) (*Run, error) {
	return Command(ctx, st.Dir, st.Environ(), prepare, argv...)
}

// Command runs argv in dir with exactly environ, as Exec does for a step:
// output captured, a non-zero exit a Run rather than an error.
func Command(ctx context.Context, dir string, environ []string, prepare func(*exec.Cmd), argv ...string) (*Run, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command given")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = environ
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A hung child must not hold the caller past its deadline through its
	// output pipes.
	cmd.WaitDelay = 2 * time.Second
	if prepare != nil {
		prepare(cmd)
	}
	start := time.Now()
	err := cmd.Run()
	r := &Run{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	default:
		return nil, fmt.Errorf("cannot run %s: %w", argv[0], err)
	}
	return r, nil
}
