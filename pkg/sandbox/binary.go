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
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = st.Environ()
	cmd.Dir = st.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &Run{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	default:
		return nil, fmt.Errorf("failed to run %s: %w", bin, err)
	}
	return r, nil
}
