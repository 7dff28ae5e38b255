package reliability

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// The targets, reported (not asserted) by TestBenchReport.
const (
	targetMedian    = 15 * time.Millisecond
	targetRSSKiB    = 20 * 1000 * 1000 / 1024 // 20 MB
	targetBinaryLen = 15 * 1000 * 1000        // 15 MB
)

// entryTiming is one entry point's figures over sequential runs.
type entryTiming struct {
	durations []time.Duration
	rss       []time.Duration // peak RSS in KiB, kept as durations to reuse Quantile
	ok        int
	runs      int
	firstFail string
}

// runnerVars are variables every job has, which other actions rely on
// (configure-aws-credentials tags its session with them).
var runnerVars = map[string]string{
	"GITHUB_REPOSITORY": "octo-org/octo-repo",
	"GITHUB_WORKFLOW":   "Deploy",
	"GITHUB_ACTION":     "__run",
	"GITHUB_ACTOR":      "octocat",
	"GITHUB_SHA":        localgh.DefaultSHA,
	"GITHUB_REF":        "refs/heads/main",
	"GITHUB_EVENT_NAME": "push",
	"GITHUB_RUN_ID":     "9876543210",
	"RUNNER_OS":         "Linux",
}

// timeEntry runs argv n times one after another against sb, each in a fresh
// step with the runner's usual variables, timing each run with Exec, then n
// more through Measure for peak RSS. A timed run counts as ok when it exits
// 0 with the access key, secret key and session token in GITHUB_ENV.
func timeEntry(t *testing.T, sb *sandbox.Sandbox, n int, argv []string) entryTiming {
	t.Helper()
	var e entryTiming
	root := t.TempDir()
	once := func(i int, measure, counted bool) *Run {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		st := newStep(t, sb, filepath.Join(root, fmt.Sprint(i)), map[string]string{"audience": "sts.amazonaws.com"})
		for k, v := range runnerVars {
			st.Env[k] = v
		}
		st.Env["RUNNER_TEMP"] = st.Dir
		run := func(ctx context.Context, st *sandbox.Step, argv ...string) (*Run, error) {
			return Exec(ctx, st, argv...)
		}
		if measure {
			run = Measure
		}
		r, err := run(ctx, st, argv...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Read()
		switch {
		case err != nil:
			err = fmt.Errorf("the runner would reject its files: %w", err)
		case r.ExitCode != 0:
			err = fmt.Errorf("exit %d: %s", r.ExitCode, lastLine(append(r.Stdout, r.Stderr...)))
		default:
			// Other actions need not export an expiry; the keys are
			// what later steps use.
			for _, k := range SecretVars {
				if res.Env[k] == "" && err == nil {
					err = fmt.Errorf("exit 0 but GITHUB_ENV lacks %s", k)
				}
			}
		}
		if err != nil && e.firstFail == "" {
			e.firstFail = err.Error()
		}
		if err == nil && counted {
			e.ok++
		}
		return r
	}
	// Warm the page cache and the servers' connections to nothing: the
	// first run of a binary pays for reading it from disk.
	for i := range 3 {
		once(-1-i, false, false)
	}
	for i := range n {
		e.durations = append(e.durations, once(i, false, true).Duration)
		e.runs++
	}
	for i := range n {
		r := once(n+i, true, false)
		if r.MaxRSSKiB > 0 {
			e.rss = append(e.rss, time.Duration(r.MaxRSSKiB))
		}
	}
	if len(e.rss) == 0 {
		t.Logf("peak RSS not measured: %v", ErrNoRSSProbe)
	}
	return e
}

// TestBenchReport times whole action runs, process start to exit with the
// credentials written, one after another against the local servers, and
// prints a markdown table for the README. With -compare it times another
// entry point (e.g. configure-aws-credentials' dist/index.js under node) the
// same way. It reports the targets; it asserts only that runs work.
func TestBenchReport(t *testing.T) {
	if !*benchReport {
		t.Skip("benchmark report: run with -bench-report [-bench-runs 50] [-compare 'node /path/to/dist/index.js'] -v")
	}
	if *benchRuns < 1 {
		t.Fatalf("-bench-runs %d must be positive", *benchRuns)
	}
	bin := binary(t)
	sb := startSandbox(t, sandbox.Options{})
	ours := timeEntry(t, sb, *benchRuns, []string{bin})
	if ours.ok != ours.runs {
		t.Errorf("%d of %d runs failed; first: %s", ours.runs-ours.ok, ours.runs, ours.firstFail)
	}
	size, static, stripped, err := binaryFacts(bin)
	if err != nil {
		t.Fatal(err)
	}

	var other *entryTiming
	var otherArgv []string
	if *benchCompare != "" {
		otherArgv = strings.Fields(*benchCompare)
		if _, err := exec.LookPath(otherArgv[0]); err != nil {
			t.Logf("not comparing: %v", err)
		} else {
			o := timeEntry(t, sb, *benchRuns, otherArgv)
			other = &o
		}
	}

	header := []string{"measure", "oidc-aws"}
	if other != nil {
		header = append(header, filepath.Base(otherArgv[len(otherArgv)-1])+" ("+filepath.Base(otherArgv[0])+")", "ratio (other / ours)")
	}
	header = append(header, "target (oidc-aws)")
	tab := Table{Header: header}
	row := func(name string, ourV, otherV float64, render func(float64) string, target string) {
		cells := []string{name, render(ourV)}
		if other != nil {
			ratio := "n/a"
			if ourV > 0 && otherV > 0 {
				ratio = fmt.Sprintf("%.1f×", otherV/ourV)
			}
			cells = append(cells, render(otherV), ratio)
		}
		tab.Add(append(cells, target)...)
	}
	dur := func(v float64) string { return Millis(time.Duration(v)) }
	kib := func(v float64) string { return MiB(int64(v)) }
	q := func(e *entryTiming, p float64, rss bool) float64 {
		if e == nil {
			return 0
		}
		if rss {
			return float64(Quantile(e.rss, p))
		}
		return float64(Quantile(e.durations, p))
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	medianWall := Quantile(ours.durations, 0.5)
	row("wall time, median", float64(medianWall), q(other, 0.5, false), dur, fmt.Sprintf("≤ %s: %s", Millis(targetMedian), met(medianWall <= targetMedian)))
	row("wall time, p90", q(&ours, 0.9, false), q(other, 0.9, false), dur, "")
	row("wall time, min", q(&ours, 0, false), q(other, 0, false), dur, "")
	peak := Quantile(ours.rss, 1)
	rssTarget := "not measured"
	if len(ours.rss) > 0 {
		rssTarget = fmt.Sprintf("≤ 20 MB: %s", met(int64(peak) <= targetRSSKiB))
	}
	row("peak RSS, median", q(&ours, 0.5, true), q(other, 0.5, true), kib, "")
	row("peak RSS, max", float64(peak), q(other, 1, true), kib, rssTarget)
	var otherSize float64
	if other != nil {
		if fi, err := os.Stat(otherArgv[len(otherArgv)-1]); err == nil {
			otherSize = float64(fi.Size())
		}
	}
	kind := "static"
	if !static {
		kind = "DYNAMIC"
	}
	if !stripped {
		kind += ", NOT stripped"
	} else {
		kind += ", stripped"
	}
	row("size on disk ("+kind+" binary; other: its script, runtime excluded)", float64(size), otherSize,
		func(v float64) string { return fmt.Sprintf("%.1f MB", v/1e6) },
		fmt.Sprintf("≤ 15 MB: %s", met(size <= targetBinaryLen && static && stripped)))
	okCell := func(e *entryTiming) string { return fmt.Sprintf("%d / %d", e.ok, e.runs) }
	cells := []string{"runs that exported credentials", okCell(&ours)}
	if other != nil {
		cells = append(cells, okCell(other), "")
	}
	tab.Add(append(cells, "all")...)
	md := tab.Markdown()
	md += fmt.Sprintf("\n%d sequential runs per entry point after 3 warm-up runs, against the local issuer and STS on loopback (no throttling); wall time from process start to exit, peak RSS from separate runs under GNU time.\n", *benchRuns)
	if other != nil && other.ok != other.runs {
		md += fmt.Sprintf("\nThe other entry point failed %d of %d runs; first failure: %s\n", other.runs-other.ok, other.runs, other.firstFail)
	}
	t.Logf("benchmark report:\n\n%s", md)
	writeReport(t, *benchReportFile, md)
}

// binaryFacts reads the size of an ELF binary and whether it is static (no
// interpreter) and stripped (no symbol table).
func binaryFacts(path string) (size int64, static, stripped bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false, false, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return 0, false, false, fmt.Errorf("failed to read %s as ELF: %w", path, err)
	}
	defer f.Close()
	static = true
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			static = false
		}
	}
	_, symErr := f.Symbols()
	stripped = errors.Is(symErr, elf.ErrNoSymbols)
	return fi.Size(), static, stripped, nil
}

// BenchmarkActionRun is one whole action run (a process, start to exit)
// per op, against the local servers; peak-RSS-KiB is the largest of a few
// measured runs after the timed loop.
func BenchmarkActionRun(b *testing.B) {
	bin := binary(b)
	sb := startSandbox(b, sandbox.Options{})
	dir := b.TempDir()
	ctx := context.Background()
	for b.Loop() {
		st := newStep(b, sb, dir, nil)
		r, err := Exec(ctx, st, bin)
		if err != nil {
			b.Fatal(err)
		}
		if r.ExitCode != 0 {
			b.Fatalf("exit %d: %s", r.ExitCode, lastLine(r.Stdout))
		}
	}
	var peak int64
	for range 5 {
		r, err := Measure(ctx, newStep(b, sb, dir, nil), bin)
		if errors.Is(err, ErrNoRSSProbe) {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, r.MaxRSSKiB)
	}
	b.ReportMetric(float64(peak), "peak-RSS-KiB")
}
