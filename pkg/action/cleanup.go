package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// IsPost reports whether this run is the action's post step. The runner
// starts post-entrypoint in the same image with the same inputs, and only
// the state the main step saved tells the two apart.
func IsPost(getenv func(string) string) bool {
	return getenv("STATE_"+stateKey) != ""
}

// Cleanup is the post step: it removes what the main step wrote for later
// steps. Root-owned leftovers in the runner's temp directory can break
// later jobs on self-hosted runners (actions/runner#529), and credentials
// should not outlive the job's steps. Like configure-aws-credentials' post
// step, it does nothing when AWS_SKIP_CLEANUP_STEP is true.
func Cleanup(_ context.Context, o Options) int {
	o.defaults()
	r := workflow.New(o.Stdout, o.Getenv)
	if o.Getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		r.Infof("AWS_SKIP_CLEANUP_STEP is true: leaving the files this action wrote.")
		return ExitOK
	}
	var s cleanupState
	if err := json.Unmarshal([]byte(o.Getenv("STATE_"+stateKey)), &s); err != nil {
		r.Errorf("cleanup: the main step's state is not readable (%s); nothing was removed", workflow.Escape(err.Error()))
		return ExitFailed
	}
	removed, err := s.clean()
	if removed > 0 {
		r.Infof("Removed %d file(s) this action wrote for profile %s.", removed, quote(s.Profile))
	}
	if err != nil {
		r.Errorf("cleanup: %s", workflow.Escape(err.Error()))
		return ExitFailed
	}
	return ExitOK
}

// clean removes the files the main step created and takes its profile out
// of files that were there before; then the job's directory if the main
// step created it and nothing else is left in it. It goes on after an
// error, so one stuck file does not keep the others.
func (s cleanupState) clean() (int, error) {
	var errs []error
	removed := 0
	whole := map[string]bool{}
	for _, p := range s.Remove {
		whole[p] = true
		switch err := removeFile(p); {
		case err == nil:
			removed++
		case !errors.Is(err, os.ErrNotExist):
			errs = append(errs, err)
		}
	}
	if s.Profile != "" {
		f := awsprofile.Files{UID: -1, GID: -1}
		if !whole[s.Config] {
			f.Config = s.Config
		}
		if !whole[s.Credentials] {
			f.Credentials = s.Credentials
		}
		if err := f.Remove(s.Profile); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Helper != "" {
		// The helper and its cache: files later steps' helpers made too.
		for _, pattern := range []string{credprocess.Executable, "cred-*", ".cred-*", ".oidc-aws-*"} {
			matches, _ := filepath.Glob(filepath.Join(s.Helper, pattern))
			for _, p := range matches {
				switch err := removeFile(p); {
				case err == nil:
					removed++
				case !errors.Is(err, os.ErrNotExist):
					errs = append(errs, err)
				}
			}
		}
	}
	if s.Dir != "" {
		// Not empty means another step's files are still there; that
		// step's own post step, or the runner's end-of-job cleaning,
		// removes them.
		if err := os.Remove(s.Dir); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// removeFile removes a regular file named by an absolute path; a symlink
// put in its place is removed itself, never followed.
func removeFile(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("refusing to remove %q: not an absolute path", p)
	}
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("refusing to remove %s: it is a directory", p)
	}
	return os.Remove(p)
}
