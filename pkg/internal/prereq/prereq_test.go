package prereq

import (
	"errors"
	"fmt"
	"testing"
)

// ending records how Missing ends a test instead of ending this one.
type ending struct {
	testing.TB
	how string
}

func (e *ending) Helper()           {}
func (e *ending) Skip(args ...any)  { e.how = "skip: " + fmt.Sprint(args...) }
func (e *ending) Fatal(args ...any) { e.how = "fail: " + fmt.Sprint(args...) }

func TestMissingSkipsButFailsUnderCI(t *testing.T) {
	for _, c := range []struct{ ci, want string }{
		{"", "skip: no unshare: exit 1"},
		{"false", "skip: no unshare: exit 1"},
		{"true", "fail: CI=true, so a missing prerequisite fails: no unshare: exit 1"},
	} {
		t.Setenv("CI", c.ci)
		e := &ending{TB: t}
		Missing(e, "no unshare:", errors.New("exit 1"))
		if e.how != c.want {
			t.Errorf("with CI=%q: %q, want %q", c.ci, e.how, c.want)
		}
	}
}
