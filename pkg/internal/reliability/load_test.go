package reliability

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/action"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/retry"
)

// TestLoad is the load gate: a job matrix of -load-n whole action runs,
// started together as separate processes, against one STS that admits
// -load-rate requests per second (burst the same) and throttles the rest.
// It asserts the targets: every run succeeds, at most 3 STS
// requests per successful run on average, and the last run done within
// twice the ideal N/R.
func TestLoad(t *testing.T) {
	if !*loadTest {
		t.Skip("load gate: run with -load [-load-n 256 -load-rate 32] (starts that many processes)")
	}
	bin := binary(t)
	b := action.DefaultThrottleBackoff
	loadGate(t, fmt.Sprintf("separate processes, the action's own throttling backoff (base %v, cap %v, full jitter)", b.Base, b.Cap), b,
		func(ctx context.Context, st *sandbox.Step) (*Run, error) { return Exec(ctx, st, bin) })
}

// TestLoadRetryShape runs the load gate's matrix in this process, through
// action.Run with the backoff given by -load-shape, to try a retry shape
// against the real servers before changing the action's default. Runs
// share this process's CPU and connections, unlike real jobs, so it is
// evidence for a shape, not a substitute for TestLoad.
func TestLoadRetryShape(t *testing.T) {
	if *loadShape == "" {
		t.Skip("retry-shape trial: run with -load-shape BASE,CAP (e.g. 3s,8s) [-load-n 256 -load-rate 32]")
	}
	baseS, capS, ok := strings.Cut(*loadShape, ",")
	base, err1 := time.ParseDuration(baseS)
	capd, err2 := time.ParseDuration(capS)
	if !ok || err1 != nil || err2 != nil || base <= 0 || capd < base {
		t.Fatalf("-load-shape %q: want BASE,CAP durations with 0 < BASE ≤ CAP, e.g. 3s,8s", *loadShape)
	}
	b := retry.Backoff{Base: base, Cap: capd}
	loadGate(t, fmt.Sprintf("in-process action.Run, backoff base %v, cap %v, full jitter", base, capd), b,
		func(ctx context.Context, st *sandbox.Step) (*Run, error) {
			var out bytes.Buffer
			start := time.Now()
			code := action.Run(ctx, action.Options{Getenv: st.Getenv, Stdout: &out, Version: "load", Backoff: b})
			return &Run{Run: sandbox.Run{ExitCode: code, Duration: time.Since(start), Stdout: out.Bytes()}}, nil
		})
}

// loadGate runs the matrix with runOne and checks the targets.
func loadGate(t *testing.T, how string, model retry.Backoff, runOne func(context.Context, *sandbox.Step) (*Run, error)) {
	n, rate := *loadN, *loadRate
	if n < 1 || rate <= 0 {
		t.Fatalf("-load-n %d and -load-rate %v must be positive", n, rate)
	}
	sb := startSandbox(t, sandbox.Options{RateLimit: rate, Burst: int(rate)})
	ideal := time.Duration(float64(n) / rate * float64(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 5*ideal+30*time.Second)
	defer cancel()

	// Steps are prepared first so that the clock measures runs only.
	root := t.TempDir()
	steps := make([]*sandbox.Step, n)
	for i := range steps {
		steps[i] = newStep(t, sb, filepath.Join(root, fmt.Sprint(i)), map[string]string{"role-session-name": session(i)})
	}

	var procs Gauge
	stsPeak := 0
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sampling:
				return
			case <-tick.C:
				stsPeak = max(stsPeak, int(sb.STS.Stats().InFlight))
			}
		}
	}()

	type result struct {
		run *Run
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, st := range steps {
		wg.Go(func() {
			procs.Add(1)
			defer procs.Add(-1)
			r, err := runOne(ctx, st)
			results[i] = result{r, err}
		})
	}
	wg.Wait()
	makespan := time.Since(start)
	close(sampling)
	<-sampled
	settled(t, sb)

	succeeded, maxAttempts := 0, 0
	var durations []time.Duration
	var failures []string
	for i, r := range results {
		switch {
		case r.err != nil:
			failures = append(failures, fmt.Sprintf("run %d: %v", i, r.err))
			continue
		case r.run.ExitCode != 0:
			failures = append(failures, fmt.Sprintf("run %d: exit %d: %s", i, r.run.ExitCode, lastLine(r.run.Stdout)))
		default:
			succeeded++
		}
		durations = append(durations, r.run.Duration)
		maxAttempts = max(maxAttempts, stsAttempts(r.run.Stdout))
		res, err := steps[i].Read()
		if err != nil {
			t.Errorf("run %d: the runner would reject its files: %v", i, err)
			continue
		}
		if err := CheckCredentials(res.Env, r.run.ExitCode == 0); err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}

	stats := sb.STS.Stats()
	amp := 0.0
	if succeeded > 0 {
		amp = float64(stats.Requests) / float64(succeeded)
	}

	tab := Table{Header: []string{"measure", "value", "target"}}
	tab.Add("runs, started together", fmt.Sprintf("%d (%s)", n, how), "")
	tab.Add("STS rate limit", fmt.Sprintf("%.0f req/s, burst %d", rate, int(rate)), "")
	tab.Add("succeeded", fmt.Sprintf("%d (%.1f%%)", succeeded, 100*float64(succeeded)/float64(n)), "100%")
	tab.Add("STS requests", fmt.Sprintf("%d (%d throttled)", stats.Requests, stats.ByOutcome[localsts.CodeThrottling]), "")
	tab.Add("STS requests per successful run", fmt.Sprintf("%.2f", amp), "≤ 3")
	tab.Add("most STS requests by one run (from its log)", fmt.Sprint(maxAttempts), "")
	tab.Add("last run done after", fmt.Sprintf("%s (%.2f× ideal %s)", Millis(makespan), makespan.Seconds()/ideal.Seconds(), Millis(ideal)), "≤ 2× ideal")
	tab.Add("per-run duration p50 / p95 / max", fmt.Sprintf("%s / %s / %s", Millis(Quantile(durations, 0.5)), Millis(Quantile(durations, 0.95)), Millis(Quantile(durations, 1))), "")
	tab.Add("peak concurrent runs", fmt.Sprint(procs.Peak()), "")
	tab.Add("peak STS requests in flight (sampled)", fmt.Sprint(stsPeak), "")
	md := tab.Markdown()

	// The model of the same matrix, to check it against reality before
	// trusting its sweeps. How spread out the first requests are is not
	// observable here, so it shows both ends of what is plausible.
	md += "\nModel of the same matrix with the same backoff (50 seeds each):\n\n"
	for _, spread := range []time.Duration{250 * time.Millisecond, 2 * time.Second} {
		var mAmp float64
		var mSpans []time.Duration
		for s := range 50 {
			o := Simulate(LoadModel{Runs: n, Rate: rate, Burst: int(rate), StartSpread: spread, RoundTrip: 5 * time.Millisecond,
				Backoff: model, MaxAttempts: 12, Seed: uint64(s)})
			mAmp += o.Amplification() / 50
			mSpans = append(mSpans, o.Makespan)
		}
		md += fmt.Sprintf("- first requests spread over %s: %.2f STS requests per run; last run done after %s median (%.2f× ideal), %s worst\n",
			Millis(spread), mAmp, Millis(Quantile(mSpans, 0.5)), Quantile(mSpans, 0.5).Seconds()/ideal.Seconds(), Millis(Quantile(mSpans, 1)))
	}
	t.Logf("load test:\n\n%s", md)
	writeReport(t, *loadReport, md)

	for i, f := range failures {
		if i == 10 {
			t.Errorf("… and %d more failed runs", len(failures)-10)
			break
		}
		t.Errorf("%s", f)
	}
	if succeeded != n {
		t.Errorf("target missed: %d of %d runs succeeded, want all", succeeded, n)
	}
	if amp > 3 {
		t.Errorf("target missed: %.2f STS requests per successful run, want ≤ 3", amp)
	}
	if makespan > 2*ideal {
		t.Errorf("target missed: the last run finished after %v, want ≤ 2× ideal = %v", makespan.Round(time.Millisecond), 2*ideal)
	}
}

func session(i int) string { return fmt.Sprintf("load-%d", i) }

// stsAttempts is how many STS requests a run made, from its own log: one,
// plus one per "STS attempt N failed; retrying" line.
func stsAttempts(stdout []byte) int {
	return 1 + strings.Count(string(stdout), "STS attempt ")
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return firstLine(s, 200)
}
