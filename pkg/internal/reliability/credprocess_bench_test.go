package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// targetHelperMedian is the target for a helper run answered from
// the cache.
const targetHelperMedian = 5 * time.Millisecond

// cachedHelper prepares a per-job directory whose cache holds fresh
// credentials, then stops the servers: every run after that is answered
// from the cache or fails, so the figures are of runs without network.
// It returns the step to run in and the credential_process line.
func cachedHelper(tb testing.TB) (*sandbox.Step, string) {
	tb.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	exe, err := os.ReadFile(binary(tb))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, credprocess.Executable), exe, 0o700); err != nil {
		tb.Fatal(err)
	}
	st, err := sb.NewStep(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st.Env[credprocess.DirVariable] = dir
	line := credprocess.ProfileCommand([]string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--sts-endpoint", sb.STS.URL()})
	first, err := Exec(context.Background(), st, "sh", "-c", line)
	if err != nil || first.ExitCode != 0 {
		tb.Fatalf("the first, refreshing run: %v %s", err, first.Stderr)
	}
	if n := sb.STS.Stats().Requests; n != 1 {
		tb.Fatalf("the first run made %d STS calls", n)
	}
	sb.Close()
	return st, line
}

func checkHelperRun(r *Run) error {
	if r.ExitCode != 0 {
		return fmt.Errorf("exit %d: %s", r.ExitCode, lastLine(r.Stderr))
	}
	var out credprocess.Output
	if err := json.Unmarshal(r.Stdout, &out); err != nil || out.Version != 1 || out.SessionToken == "" {
		return fmt.Errorf("not credential_process output: %v", err)
	}
	return nil
}

// BenchmarkCredentialProcessFromCache is one helper run answered from the
// cache per op, started as aws-sdk-go-v2 starts it (sh -c LINE), with the
// servers already stopped.
func BenchmarkCredentialProcessFromCache(b *testing.B) {
	st, line := cachedHelper(b)
	ctx := context.Background()
	for b.Loop() {
		r, err := Exec(ctx, st, "sh", "-c", line)
		if err != nil {
			b.Fatal(err)
		}
		if err := checkHelperRun(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCredentialProcessBenchReport times helper runs answered from the
// cache, one after another, and prints a markdown table for the README:
// as SDKs start it (sh -c LINE) and the binary alone. It reports the
// target; it asserts only that runs work.
func TestCredentialProcessBenchReport(t *testing.T) {
	if !*benchReport {
		t.Skip("benchmark report: run with -bench-report [-bench-runs 50] -v")
	}
	st, line := cachedHelper(t)
	ctx := context.Background()
	exe := filepath.Join(st.Env[credprocess.DirVariable], credprocess.Executable)
	args, _ := credprocess.ParseProfileCommand(line)
	tab := Table{Header: []string{"helper run from the cache", "median", "p90", "min", "peak RSS, max", "target"}}
	for _, entry := range []struct {
		name string
		argv []string
	}{
		{"as SDKs start it: sh -c LINE", []string{"sh", "-c", line}},
		{"the binary alone", append([]string{exe, credprocess.Command}, args...)},
	} {
		for range 3 { // warm the page cache
			if _, err := Exec(ctx, st, entry.argv...); err != nil {
				t.Fatal(err)
			}
		}
		var walls, rss []time.Duration
		for range *benchRuns {
			r, err := Exec(ctx, st, entry.argv...)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkHelperRun(r); err != nil {
				t.Fatal(err)
			}
			walls = append(walls, r.Duration)
		}
		for range 10 {
			r, err := Measure(ctx, st, entry.argv...)
			if errors.Is(err, ErrNoRSSProbe) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rss = append(rss, time.Duration(r.MaxRSSKiB))
		}
		peak := "n/a"
		if len(rss) > 0 {
			peak = MiB(int64(Quantile(rss, 1)))
		}
		med := Quantile(walls, 0.5)
		verdict := "met"
		if med > targetHelperMedian {
			verdict = "MISSED"
		}
		tab.Add(entry.name, Millis(med), Millis(Quantile(walls, 0.9)), Millis(Quantile(walls, 0)), peak, fmt.Sprintf("≤ %s: %s", Millis(targetHelperMedian), verdict))
	}
	md := tab.Markdown()
	md += fmt.Sprintf("\n%d sequential runs each after 3 warm-ups, with the local issuer and STS stopped (no network: a run that needed it would fail); peak RSS from 10 runs under GNU time.\n", *benchRuns)
	t.Logf("credential-process benchmark:\n\n%s", md)
	writeReport(t, *benchReportFile, md)
}
