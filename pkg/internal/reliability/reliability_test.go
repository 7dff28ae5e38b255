package reliability

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

const (
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testJWT    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJl"
)

func TestLeaks(t *testing.T) {
	secrets := map[string]string{"AWS_SECRET_ACCESS_KEY": testSecret, "short": "abc"}
	tests := []struct {
		name           string
		stdout, stderr string
		want           []string
	}{
		{name: "masking a value is not leaking it", stdout: "::add-mask::" + testSecret + "\n::add-mask::" + testJWT + "\nAssumed the role\n"},
		{name: "an indented add-mask is still a mask", stdout: "  ::add-mask::" + testSecret + "\n"},
		{name: "a secret in a log line leaks", stdout: "key is " + testSecret + "\n",
			want: []string{"stdout line 1 shows AWS_SECRET_ACCESS_KEY", "the runner's visible log shows AWS_SECRET_ACCESS_KEY"}},
		{name: "a masked secret printed later still leaks from the raw log", stdout: "::add-mask::" + testSecret + "\nkey " + testSecret + "\n",
			want: []string{"stdout line 2 shows AWS_SECRET_ACCESS_KEY"}},
		{name: "a secret in an error annotation leaks", stdout: "::error::bad key " + testSecret + "\n",
			want: []string{"stdout line 1 shows AWS_SECRET_ACCESS_KEY", "the runner's visible log shows AWS_SECRET_ACCESS_KEY"}},
		{name: "a secret after a lone carriage return leaks", stdout: "ok\r" + testSecret,
			want: []string{"stdout line 2 shows AWS_SECRET_ACCESS_KEY", "the runner's visible log shows AWS_SECRET_ACCESS_KEY"}},
		{name: "a JWT-shaped string leaks even when its value is unknown", stdout: "token: " + testJWT + "\n",
			want: []string{`stdout line 1 shows a JWT-shaped string starting "eyJhbGciOiJS"`, `the runner's visible log shows a JWT-shaped string starting "eyJhbGciOiJS"`}},
		{name: "a JWT cut after its payload still leaks", stderr: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.",
			want: []string{`stderr shows a JWT-shaped string starting "eyJhbGciOiJS"`}},
		{name: "stderr is checked in full", stderr: "::add-mask::" + testSecret,
			want: []string{"stderr shows AWS_SECRET_ACCESS_KEY"}},
		{name: "values too short to tell from chance are not checked", stdout: "abc abc\n"},
		{name: "base64 that is not a JWT is not one", stdout: "eyJub3QiOiJhIGp3dCJ9 alone\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Leaks([]byte(tc.stdout), []byte(tc.stderr), secrets)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Leaks =\n  %q\nwant\n  %q", got, tc.want)
			}
		})
	}
}

func TestJWTsPicksTokensAmongMasks(t *testing.T) {
	masks := MaskedValues([]byte("::add-mask::" + testSecret + "\n::add-mask::" + testJWT + "\n"))
	if got := JWTs(masks); !slices.Equal(got, []string{testJWT}) {
		t.Errorf("JWTs(%q) = %q, want only the token", masks, got)
	}
}

func TestCheckCredentials(t *testing.T) {
	full := map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T", "AWS_CREDENTIAL_EXPIRATION": "E", "AWS_REGION": "us-east-1"}
	regionOnly := map[string]string{"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
	half := map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_REGION": "us-east-1"}
	tests := []struct {
		name      string
		env       map[string]string
		succeeded bool
		wantErr   string
	}{
		{"a success exports every credential", full, true, ""},
		{"a failure exports only the region", regionOnly, false, ""},
		{"a success without credentials is wrong", regionOnly, true, "lacks [AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION]"},
		{"a success with half the credentials is wrong", half, true, "lacks [AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION]"},
		{"a failure that exports anything is wrong", half, false, "exports [AWS_ACCESS_KEY_ID]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCredentials(tc.env, tc.succeeded)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{10, 3, 7, 1, 9, 2, 8, 4, 6, 5}
	orig := slices.Clone(ds)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0, 1}, {0.1, 1}, {0.5, 5}, {0.9, 9}, {0.95, 10}, {1, 10}, {-1, 1}, {2, 10}} {
		if got := Quantile(ds, tc.q); got != tc.want {
			t.Errorf("Quantile(q=%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if !slices.Equal(ds, orig) {
		t.Errorf("Quantile reordered its input: %v", ds)
	}
	if got := Quantile(nil, 0.5); got != 0 {
		t.Errorf("Quantile(nil) = %v, want 0", got)
	}
}

func TestGaugeRemembersThePeak(t *testing.T) {
	var g Gauge
	for _, d := range []int{1, 1, 1, -1, -1, 1, -1, -1} {
		g.Add(d)
	}
	if g.Peak() != 3 {
		t.Errorf("Peak = %d, want 3", g.Peak())
	}
}

func TestTableMarkdown(t *testing.T) {
	tab := Table{Header: []string{"fault", "outcome"}}
	tab.Add("a|b", "line\nbreak")
	tab.Add("short row")
	want := "| fault | outcome |\n|---|---|\n| a\\|b | line break |\n| short row |  |\n"
	if got := tab.Markdown(); got != want {
		t.Errorf("Markdown =\n%s\nwant\n%s", got, want)
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Millis(1500 * time.Microsecond), "1.50 ms"},
		{Millis(150 * time.Millisecond), "150 ms"},
		{Millis(2500 * time.Millisecond), "2.50 s"},
		{MiB(12 * 1024), "12.0 MiB"},
		{MiB(0), "n/a"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestSimulate(t *testing.T) {
	base := LoadModel{Runs: 256, Rate: 32, Burst: 32, StartSpread: 2 * time.Second, RoundTrip: 5 * time.Millisecond,
		Backoff: retry.Backoff{Base: time.Second, Cap: 20 * time.Second}, MaxAttempts: 12, Seed: 7}

	t.Run("runs within the burst each make one request", func(t *testing.T) {
		m := base
		m.Runs, m.StartSpread = 32, 0
		o := Simulate(m)
		if o.Succeeded != 32 || o.Requests != 32 || o.Failed != 0 {
			t.Errorf("got %d succeeded, %d failed in %d requests; want 32, 0, 32", o.Succeeded, o.Failed, o.Requests)
		}
	})
	t.Run("no retries means only the burst succeeds", func(t *testing.T) {
		m := base
		m.StartSpread, m.MaxAttempts = 0, 1
		o := Simulate(m)
		if o.Succeeded != 32 || o.Failed != 224 || o.Requests != 256 {
			t.Errorf("got %d succeeded, %d failed in %d requests; want 32, 224, 256", o.Succeeded, o.Failed, o.Requests)
		}
	})
	t.Run("the same seed gives the same outcome", func(t *testing.T) {
		if a, b := Simulate(base), Simulate(base); !reflect.DeepEqual(a, b) {
			t.Errorf("two runs of one model differ: %+v vs %+v", a.Makespan, b.Makespan)
		}
	})
	t.Run("every run ends and STS admits no more than its rate", func(t *testing.T) {
		for seed := range uint64(20) {
			m := base
			m.Seed = seed
			o := Simulate(m)
			if o.Succeeded+o.Failed != m.Runs {
				t.Fatalf("seed %d: %d succeeded + %d failed, want %d runs", seed, o.Succeeded, o.Failed, m.Runs)
			}
			if o.Requests < m.Runs || o.Requests > m.Runs*m.MaxAttempts || o.MaxAttemptsUsed > m.MaxAttempts {
				t.Fatalf("seed %d: %d requests (at most %d by one run) for %d runs of at most %d attempts", seed, o.Requests, o.MaxAttemptsUsed, m.Runs, m.MaxAttempts)
			}
			if limit := float64(m.Burst) + m.Rate*o.Makespan.Seconds(); float64(o.Succeeded) > limit {
				t.Fatalf("seed %d: %d admitted in %v, more than burst + rate × time = %.0f", seed, o.Succeeded, o.Makespan, limit)
			}
			for i, d := range o.PerRun {
				if d < m.RoundTrip {
					t.Fatalf("seed %d: run %d took %v, less than one round trip", seed, i, d)
				}
			}
		}
	})
	t.Run("amplification is requests per success", func(t *testing.T) {
		if got := (LoadOutcome{Succeeded: 4, Requests: 10}).Amplification(); got != 2.5 {
			t.Errorf("Amplification = %v, want 2.5", got)
		}
		if got := (LoadOutcome{Requests: 10}).Amplification(); got != 0 {
			t.Errorf("Amplification with no success = %v, want 0", got)
		}
	})
}
