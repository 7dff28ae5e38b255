// Package sdkrefresh measures how often real AWS SDKs, each one long-lived
// process, start the credential_process helper and make it call STS, per
// credential lifetime, across several expiries. Tests only.
//
// An hour-long lifetime is played in seconds: each SDK runs on a sped-up
// clock (libfaketime for boto3 and the JS SDK, whose clocks come from libc;
// aws-sdk-go-v2's own clock variable for Go), and the helper, the local STS
// and the local GitHub issuer run on the same clock, so that every party
// sees the credentials age as they would over hours. The helper runs
// through a test-only wrapper (./helper) that sets credprocess.Options.Now
// from a clock file; the shipped binary has no such seam.
package sdkrefresh

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// The environment of the test-only wrapper: where to read the clock and
// where to count its runs. The shipped binary reads neither.
const (
	EnvClockFile = "OIDC_AWS_TEST_CLOCK_FILE"
	EnvRunsFile  = "OIDC_AWS_TEST_RUNS_FILE"
)

// Clock is a sped-up clock: at the real time Real it read Virtual, and it
// runs Speed times as fast as the real one.
type Clock struct {
	Real, Virtual time.Time
	Speed         float64
}

// Now is the clock's time.
func (c Clock) Now() time.Time {
	return c.Virtual.Add(time.Duration(float64(time.Since(c.Real)) * c.Speed))
}

// Save writes the clock to path, for the wrapper to read.
func (c Clock) Save(path string) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// LoadClock reads a clock that Save wrote.
func LoadClock(path string) (Clock, error) {
	var c Clock
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Speed <= 0 {
		return c, fmt.Errorf("%s is not a clock: %v", path, err)
	}
	return c, nil
}
