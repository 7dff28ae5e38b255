// Package motoiam runs moto_server, an independent emulator of AWS IAM, on
// 127.0.0.1 for a test, and drives it with the AWS CLI v2, so that what a
// test reads has the CLI's own shape. moto is not IAM: its Policies
// entries lack PolicyName and PolicyId, RoleLastUsed is always empty, and
// it accepts trust policies IAM refuses. Tests cover those shapes with
// hand-written fixtures instead.
package motoiam

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/prereq"
)

// Account is the account ID moto gives every resource.
const Account = "123456789012"

// startTimeout bounds moto's start-up: it loads every AWS managed policy
// first.
const startTimeout = 60 * time.Second

// callTimeout bounds one CLI call.
const callTimeout = 60 * time.Second

// Server is a running moto_server and the CLI that talks to it.
type Server struct {
	Endpoint string
	cli      string
	env      []string
}

// Start runs moto_server on a free port of 127.0.0.1, with AWS's managed
// policies loaded, until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	moto := prereq.MotoServer(t)
	cli := prereq.AWSCLIv2(t)
	port := freePort(t)
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(moto, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		// The whole group: moto_server may run under a pyenv shim.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = log.Close()
	})
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cli: cli}
	// No credentials or config of the machine's: fixed test keys, and
	// files that do not exist.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			logText, _ := os.ReadFile(log.Name())
			t.Fatalf("moto_server did not answer on %s within %v: %v\n%s", s.Endpoint, startTimeout, err, logText)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Run runs `aws ARGS… --endpoint-url ENDPOINT --output json` and returns
// its stdout, or the failure with the CLI's stderr; it does not end a test,
// so any goroutine may call it.
func (s *Server) Run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.cli, append(args, "--endpoint-url", s.Endpoint, "--output", "json")...)
	cmd.Env = s.env
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("aws %v: %v\n%s", args, err, stderr)
	}
	return out, nil
}

// Parallel runs each sequence of CLI calls in its own goroutine, at most
// limit at once, and ends t with the first failure. Each CLI call is a
// Python process that starts in about a second, so independent set-up
// steps run side by side.
func (s *Server) Parallel(t testing.TB, limit int, seqs ...[][]string) {
	t.Helper()
	sem := make(chan struct{}, limit)
	errs := make(chan error, len(seqs))
	for _, seq := range seqs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, args := range seq {
				if _, err := s.Run(args...); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range seqs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		t.Fatal(first)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
