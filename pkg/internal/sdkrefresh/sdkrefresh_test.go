package sdkrefresh

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/prereq"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// Each SDK is one long-lived process that makes a call at a steady pace
// for several credential lifetimes, on a clock sped up so that a lifetime
// passes in realLifetime. The helper runs that process starts are counted
// by the wrapper, and its STS calls by the local STS.

// realLifetime is how long one credential lifetime lasts in real time; the
// clocks run lifetime/realLifetime times as fast as the real one.
const realLifetime = 20 * time.Second

// lifetimes is how many lifetimes each process runs for: two renewals at
// least, whichever the SDK's window.
const lifetimes = 3

// callsPerLifetime is the pace: for an hour, one call every 30 s, which
// is 6 calls a second of real time.
const callsPerLifetime = 120

var (
	helperBin, goDriverBin string
	binDir                 string
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "oidc-aws-sdkrefresh-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		helperBin, goDriverBin = filepath.Join(dir, "helper"), filepath.Join(dir, "godriver")
		for bin, pkg := range map[string]string{helperBin: "./helper", goDriverBin: "./godriver"} {
			cmd := exec.Command("go", "build", "-o", bin, pkg)
			// Static, as the shipped binary is: libfaketime, preloaded into
			// the SDK processes that start them, cannot reach their clocks.
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// sdk is one client: the start of its driver's command line (the STS
// endpoint follows), which prepare finds or ends the test for lack of; and
// whether its clock is sped up by libfaketime, or else by the driver's own
// -speed flag.
type sdk struct {
	name     string
	prepare  func(t *testing.T) []string
	faketime bool
}

var sdks = []sdk{
	{name: "boto3", faketime: true, prepare: func(t *testing.T) []string {
		python := lookPath(t, "python3")
		if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
			prereq.Missing(t, "boto3 is not installed for", python)
		}
		return []string{python, "testdata/boto3_driver.py"}
	}},
	{name: "JS SDK v3 fromIni", faketime: true, prepare: func(t *testing.T) []string {
		return []string{lookPath(t, "node"), filepath.Join(jsModules(t), "driver.mjs"), "fromIni"}
	}},
	{name: "JS SDK v3 default chain", faketime: true, prepare: func(t *testing.T) []string {
		return []string{lookPath(t, "node"), filepath.Join(jsModules(t), "driver.mjs"), "default"}
	}},
	{name: "aws-sdk-go-v2 config", prepare: func(*testing.T) []string { return []string{goDriverBin} }},
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		prereq.Missing(t, name, "is not in PATH")
	}
	return p
}

var (
	jsOnce sync.Once
	jsDir  string
	jsErr  error
)

// jsModules installs the pinned JS SDK (testdata/js/package-lock.json) with
// the driver once per test binary, and returns the directory.
func jsModules(t *testing.T) string {
	t.Helper()
	npm := lookPath(t, "npm")
	jsOnce.Do(func() {
		jsDir = filepath.Join(binDir, "js")
		if jsErr = os.MkdirAll(jsDir, 0o700); jsErr != nil {
			return
		}
		for _, f := range []string{"package.json", "package-lock.json", "driver.mjs"} {
			b, err := os.ReadFile(filepath.Join("testdata/js", f))
			if err != nil {
				jsErr = err
				return
			}
			if jsErr = os.WriteFile(filepath.Join(jsDir, f), b, 0o600); jsErr != nil {
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = jsDir
		if out, err := cmd.CombinedOutput(); err != nil {
			jsErr = fmt.Errorf("npm ci: %v\n%s", err, out)
		}
	})
	if jsErr != nil {
		t.Fatal(jsErr)
	}
	return jsDir
}

// libfaketimePath is Debian's libfaketime (package faketime), or "".
var libfaketimePath = func() string {
	libs, _ := filepath.Glob("/usr/lib/*/faketime/libfaketime.so.1")
	if len(libs) == 0 {
		return ""
	}
	return libs[0]
}()

// sharedClock is the sped-up clock of one SDK process, which the local
// STS and issuer read too. Until the process has said what its clock
// reads, it is the real one.
type sharedClock struct{ c atomic.Pointer[Clock] }

func (s *sharedClock) Now() time.Time {
	if c := s.c.Load(); c != nil {
		return c.Now()
	}
	return time.Now()
}

// measurement is what one SDK process cost over the run.
type measurement struct {
	calls, helperRuns, stsCalls int
	elapsed                     time.Duration // on the SDK's clock
	lifetime                    time.Duration
	// clockError bounds how far the SDK's clock and the others' differ.
	clockError time.Duration
	runTimes   []time.Duration // since the start, on the SDK's clock
}

func (m measurement) lifetimes() float64 { return float64(m.elapsed) / float64(m.lifetime) }

func (m measurement) String() string {
	return fmt.Sprintf("%d calls over %.2f lifetimes of %v: %d helper runs (%.2f per lifetime), %d STS calls (%.2f per lifetime); clocks within %v",
		m.calls, m.lifetimes(), m.lifetime, m.helperRuns, float64(m.helperRuns)/m.lifetimes(), m.stsCalls, float64(m.stsCalls)/m.lifetimes(), m.clockError.Round(time.Millisecond)) +
		fmt.Sprintf("; helper runs at %v", shorten(m.runTimes))
}

// measure runs one SDK process, started by argv and then the STS
// endpoint, against a refreshable profile whose credentials live lifetime
// (role-duration-seconds), on a clock sped up so that a lifetime passes in
// realLifetime, and counts what it cost. It runs on a goroutine of its own,
// so it reports failures as errors.
func measure(t *testing.T, s sdk, argv []string, lifetime time.Duration) (m measurement, err error) {
	var clock sharedClock
	speed := float64(lifetime) / float64(realLifetime)
	// A call signed just before expiry may take a real second to reach STS
	// on a loaded machine, which is minutes on the sped-up clock: aws-sdk-go-v2
	// uses credentials up to their expiry. STS takes them that much longer;
	// the SDKs' and the helper's decisions, which are counted, never see it.
	sb, err := sandbox.Start(sandbox.Options{Clock: clock.Now, ExpiryGrace: time.Duration(speed) * time.Second})
	if err != nil {
		return m, err
	}
	defer sb.Close()
	speedText := strconv.FormatFloat(speed, 'f', -1, 64)
	argv = slices.Clone(argv)
	if !s.faketime {
		argv = append(argv, "-speed", speedText)
	}
	argv = append(argv, sb.STS.URL())

	dir := t.TempDir()
	exe, err := os.ReadFile(helperBin)
	if err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(dir, credprocess.Executable), exe, 0o700); err != nil {
		return m, err
	}
	files := awsprofile.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials"), UID: -1, GID: -1}
	args := []string{"--role-to-assume", sandbox.RoleARN, "--aws-region", "us-east-1", "--sts-endpoint", sb.STS.URL(),
		"--role-duration-seconds", strconv.Itoa(int(lifetime / time.Second))}
	if _, err := files.Write(awsprofile.Profile{Name: "deploy", Region: "us-east-1", CredentialProcess: credprocess.ProfileCommand(args)}, false); err != nil {
		return m, err
	}
	clockFile, runsFile := filepath.Join(dir, "clock.json"), filepath.Join(dir, "runs")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=" + files.Config,
		"AWS_SHARED_CREDENTIALS_FILE=" + files.Credentials,
		"AWS_PROFILE=deploy",
		"AWS_EC2_METADATA_DISABLED=true",
		credprocess.DirVariable + "=" + dir,
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + sb.Issuer.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + sb.Issuer.RequestToken(),
		EnvClockFile + "=" + clockFile,
		EnvRunsFile + "=" + runsFile,
	}
	if s.faketime {
		// Only the wall clock: timers and timeouts keep real time.
		env = append(env, "LD_PRELOAD="+libfaketimePath, "FAKETIME=+0 x"+speedText, "FAKETIME_DONT_FAKE_MONOTONIC=1")
	}

	ctx, cancel := context.WithTimeout(context.Background(), lifetimes*realLifetime+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return m, err
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		return m, err
	}
	if err := cmd.Start(); err != nil {
		return m, err
	}
	defer func() {
		stdin.Close()
		if werr := cmd.Wait(); werr != nil && err == nil {
			err = fmt.Errorf("%v\n%s", werr, stderr.String())
		}
	}()
	stdout := bufio.NewReader(stdoutPipe)
	readLine := func() (string, error) {
		line, err := stdout.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("the process stopped: %v\n%s", err, stderr.String())
		}
		return strings.TrimSuffix(line, "\n"), nil
	}

	// The process says what its clock reads; from then on STS, the
	// issuer and the helper read the same clock. Its reading was taken
	// between the question and the answer: the quickest of a few
	// exchanges pins it best, as NTP does.
	var c Clock
	best := time.Duration(math.MaxInt64)
	for range 8 {
		asked := time.Now()
		if _, err := io.WriteString(stdin, "clock\n"); err != nil {
			return m, fmt.Errorf("%v\n%s", err, stderr.String())
		}
		line, err := readLine()
		if err != nil {
			return m, err
		}
		rtt := time.Since(asked)
		ns, perr := strconv.ParseInt(strings.TrimPrefix(line, "clock "), 10, 64)
		if perr != nil || !strings.HasPrefix(line, "clock ") {
			return m, fmt.Errorf("asked for its clock, the process answered %q", line)
		}
		if rtt < best {
			best, c = rtt, Clock{Real: asked.Add(rtt / 2), Virtual: time.Unix(0, ns), Speed: speed}
		}
	}
	m.clockError = time.Duration(float64(best/2) * speed)
	if err := c.Save(clockFile); err != nil {
		return m, err
	}
	clock.c.Store(&c)

	start := c.Now()
	interval := realLifetime / callsPerLifetime
	m.lifetime = lifetime
	for next := time.Now(); c.Now().Sub(start) < lifetimes*lifetime; next = next.Add(interval) {
		time.Sleep(time.Until(next))
		if _, err := io.WriteString(stdin, "call\n"); err != nil {
			return m, fmt.Errorf("%v\n%s", err, stderr.String())
		}
		m.calls++
		line, err := readLine()
		if err != nil {
			return m, err
		}
		if !strings.HasPrefix(line, "ok arn:aws:sts::"+sandbox.Account+":assumed-role/") {
			return m, fmt.Errorf("call %d, %v in: %s\nhelper runs at %v\n%s", m.calls, c.Now().Sub(start).Round(time.Second), line, runTimes(runsFile, start), stderr.String())
		}
	}
	m.elapsed = c.Now().Sub(start)

	b, err := os.ReadFile(runsFile)
	if err != nil {
		return m, err
	}
	m.helperRuns = strings.Count(string(b), "\n")
	m.runTimes = runTimes(runsFile, start)
	m.stsCalls = int(sb.STS.Stats().ByAction["AssumeRoleWithWebIdentity"])
	// Every call reached STS signed with credentials it had issued and
	// that had not expired on its clock.
	n := 0
	for _, r := range sb.STS.Requests() {
		if r.Action == "GetCallerIdentity" {
			n++
			if r.Outcome != localsts.OutcomeSuccess {
				return m, fmt.Errorf("a call failed at STS: %s", r.Outcome)
			}
		}
	}
	if n != m.calls {
		return m, fmt.Errorf("STS saw %d calls of %d", n, m.calls)
	}
	return m, nil
}

// runTimes are the times of the helper's runs, since start on its clock.
func runTimes(runsFile string, start time.Time) []time.Duration {
	b, _ := os.ReadFile(runsFile)
	var out []time.Duration
	for _, f := range strings.Fields(string(b)) {
		if ns, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, time.Unix(0, ns).Sub(start).Round(time.Second))
		}
	}
	return out
}

// shorten keeps a long list of times to its first few.
func shorten(ts []time.Duration) string {
	if len(ts) <= 12 {
		return fmt.Sprint(ts)
	}
	return fmt.Sprint(ts[:12]) + fmt.Sprintf(" and %d more", len(ts)-12)
}

// measureAll runs every SDK with credentials of each lifetime, all at once:
// the processes mostly wait, and one at a time would take minutes each.
func measureAll(t *testing.T, lifetimes ...time.Duration) map[string]map[time.Duration]measurement {
	t.Helper()
	argvs := make([][]string, len(sdks))
	for i, s := range sdks {
		if s.faketime && libfaketimePath == "" {
			prereq.Missing(t, "no libfaketime (apt-get install faketime)")
		}
		argvs[i] = s.prepare(t)
	}
	var mu sync.Mutex
	out := map[string]map[time.Duration]measurement{}
	var wg sync.WaitGroup
	for i, s := range sdks {
		out[s.name] = map[time.Duration]measurement{}
		for _, life := range lifetimes {
			wg.Go(func() {
				m, err := measure(t, s, argvs[i], life)
				if err != nil {
					t.Errorf("%s, %v credentials: %v", s.name, life, err)
					return
				}
				t.Logf("%s: %v", s.name, m)
				mu.Lock()
				out[s.name][life] = m
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// With hour-long credentials, each SDK starts the helper about once per
// lifetime (two at most), and one process makes at most one STS call per
// three quarters of a lifetime, the first included.
func TestEachSDKStartsTheHelperAboutOncePerHourLongLifetime(t *testing.T) {
	t.Parallel()
	for name, byLife := range measureAll(t, time.Hour) {
		m := byLife[time.Hour]
		if limit := 2 * int(math.Ceil(m.lifetimes())); m.helperRuns > limit {
			t.Errorf("%s: %d helper runs over %.2f lifetimes, want at most %d", name, m.helperRuns, m.lifetimes(), limit)
		}
		wantSTSCallsAtMostOnePerThreeQuartersOfALifetime(t, name, m)
	}
}

// With credentials shorter than an hour, the SDKs whose window is wider
// than a quarter of the lifetime start the helper more often (what each
// costs is logged, and written in the README), but at most twice per call;
// STS is still called at most once per three quarters of a lifetime.
func TestEachSDKCallsSTSAtMostOncePerThreeQuartersOfAShorterLifetime(t *testing.T) {
	t.Parallel()
	for name, byLife := range measureAll(t, 30*time.Minute, 15*time.Minute) {
		for _, m := range byLife {
			// The JS SDK asks at most twice within a request.
			if m.helperRuns > 2*m.calls {
				t.Errorf("%s: %d helper runs for %d calls", name, m.helperRuns, m.calls)
			}
			wantSTSCallsAtMostOnePerThreeQuartersOfALifetime(t, name, m)
		}
	}
}

func wantSTSCallsAtMostOnePerThreeQuartersOfALifetime(t *testing.T, name string, m measurement) {
	t.Helper()
	if limit := int(m.elapsed/(m.lifetime*3/4)) + 1; m.stsCalls > limit || m.stsCalls < 1 {
		t.Errorf("%s, %v credentials: %d STS calls over %v, want 1 to %d", name, m.lifetime, m.stsCalls, m.elapsed.Round(time.Second), limit)
	}
}
