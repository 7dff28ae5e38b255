package reliability

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

var (
	matrixReport = flag.String("matrix-report", "", "write the fault matrix's markdown table to this file")

	loadTest   = flag.Bool("load", false, "run TestLoad: many concurrent action runs against a throttling STS")
	loadN      = flag.Int("load-n", 256, "TestLoad: concurrent runs")
	loadRate   = flag.Float64("load-rate", 32, "TestLoad: STS requests per second (and burst)")
	loadReport = flag.String("load-report", "", "TestLoad: also write the report's markdown to this file")
	loadShape  = flag.String("load-shape", "", "run TestLoadRetryShape with this STS backoff, BASE,CAP (e.g. 3s,8s)")

	retrySweep    = flag.Bool("retry-sweep", false, "run TestRetryShapeSweep: model retry shapes against the load test's matrix")
	sweepAttempts = flag.Int("sweep-attempts", 12, "TestRetryShapeSweep: attempts each run may make (retry-max-attempts)")

	benchReport     = flag.Bool("bench-report", false, "run TestBenchReport: time whole action runs")
	benchRuns       = flag.Int("bench-runs", 50, "TestBenchReport: sequential runs")
	benchCompare    = flag.String("compare", "", "TestBenchReport: another entry point to time the same way, e.g. 'node /path/to/dist/index.js'")
	benchReportFile = flag.String("bench-report-file", "", "TestBenchReport: also write the report's markdown to this file")
)

var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "reliability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to make a directory for the binary:", err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds the action once per test binary, the Dockerfile's way, so
// that every test runs what users run.
func binary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() { binPath, binError = sandbox.Build(binDir) })
	if binError != nil {
		tb.Fatal(binError)
	}
	return binPath
}

// startSandbox starts a sandbox that closes with the test.
func startSandbox(tb testing.TB, o sandbox.Options) *sandbox.Sandbox {
	tb.Helper()
	sb, err := sandbox.Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sb.Close)
	return sb
}

// newStep prepares a step in a fresh directory.
func newStep(tb testing.TB, sb *sandbox.Sandbox, dir string, with map[string]string) *sandbox.Step {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	st, err := sb.NewStep(dir, with)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// settled waits until neither server is still handling a request, so that
// their counters include requests the finished process abandoned (a hung
// handler ends only once it sees the client go).
func settled(tb testing.TB, sb *sandbox.Sandbox) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for sb.STS.Stats().InFlight != 0 || sb.Issuer.Stats().InFlight != 0 {
		select {
		case <-ctx.Done():
			tb.Fatalf("servers still busy 10 s after the run: STS in flight %d, issuer in flight %d",
				sb.STS.Stats().InFlight, sb.Issuer.Stats().InFlight)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func writeReport(tb testing.TB, path, text string) {
	tb.Helper()
	if path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("wrote %s", path)
}
