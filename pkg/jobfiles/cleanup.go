package jobfiles

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// BeginState saves an empty state for the post step, first thing in the
// main step, before anything can fail: the post step runs the same binary
// and knows itself by this state (see stateKey).
func BeginState(r *workflow.Runner) error {
	return saveCleanup(r, cleanupState{})
}

// IsPost reports whether this run is the action's post step. The runner
// starts post-entrypoint in the same image with the same inputs, and only
// the state the main step saved tells the two apart. A job-level env: of
// that name reaches the main step too: Cleanup then finds no marker of the
// main step in the job's directory, removes nothing and fails the step
// with a message saying why.
func IsPost(getenv func(string) string) bool {
	return getenv("STATE_"+stateKey) != ""
}

// Cleanup is the post step: it removes what the main step wrote for later
// steps, and reports whether it succeeded; it prints what it did and why it
// failed through r. Root-owned leftovers in the runner's temp directory can
// break later jobs on self-hosted runners (actions/runner#529), and
// credentials should not outlive the job's steps. Like
// configure-aws-credentials' post step, it does nothing when
// AWS_SKIP_CLEANUP_STEP is true.
func Cleanup(r *workflow.Runner, getenv func(string) string) bool {
	if getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		r.Infof("AWS_SKIP_CLEANUP_STEP is true: leaving the files this action wrote.")
		return true
	}
	var s cleanupState
	if err := json.Unmarshal([]byte(getenv("STATE_"+stateKey)), &s); err != nil {
		r.Errorf("cleanup: the main step's state is not readable (%s); nothing was removed", workflow.Escape(err.Error()))
		return false
	}
	if s.isEmpty() {
		// Said, not silent: a job-level env: of this name would make the
		// main step land here too, and this line is what shows it.
		r.Infof("Post step: the main step wrote no files, so there is nothing to remove.")
		return true
	}
	d, err := jobdir.Find(getenv)
	if err == nil {
		err = s.verify(d)
	}
	if err != nil {
		r.Errorf("cleanup: STATE_%s was not saved by this action's main step in this job (a job-level env: of that name?): %s; nothing was removed", stateKey, workflow.Escape(err.Error()))
		return false
	}
	removed, err := s.clean(d)
	if removed > 0 {
		r.Infof("Removed %d file(s) this action wrote for profile %s.", removed, quote(s.Profile))
	}
	if err != nil {
		r.Errorf("cleanup: %s", workflow.Escape(err.Error()))
		return false
	}
	return true
}

func (s cleanupState) isEmpty() bool {
	return s.Profile == "" && len(s.Remove) == 0 && s.Dir == "" && s.Helper == ""
}

// markerPrefix starts the name of the marker file, in the job's directory,
// by which the post step knows the state it got is its main step's.
const markerPrefix = ".post-"

// isNonce reports whether s is a nonce as writeMarker makes them: 32
// lowercase hex digits. Checked by hand, not by a regexp compiled at
// start-up for the post step alone.
func isNonce(s string) bool {
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

// writeMarker puts a new marker in the job's directory and returns its
// nonce.
func writeMarker(d *jobdir.Dir) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	nonce := hex.EncodeToString(b)
	path, _ := d.File(markerPrefix + nonce)
	return nonce, createEmpty(path, d.UID, d.GID)
}

// createEmpty creates an empty file, mode 0600, owned by uid and gid. It
// fails (fs.ErrExist) when anything is already there, a symlink included.
func createEmpty(path string, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	err = f.Chown(uid, gid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// verify checks that the state is the main step's of this job: its marker
// is a regular file in the job's directory (which must be a real
// directory), and every directory it names is the job's directory.
func (s cleanupState) verify(d *jobdir.Dir) error {
	if !isNonce(s.Nonce) {
		return errors.New("it carries no marker")
	}
	if st, err := os.Lstat(d.Path); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory", d.Path)
	}
	marker, _ := d.File(markerPrefix + s.Nonce)
	if st, err := os.Lstat(marker); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("its marker is not in %s", d.Path)
	}
	for _, dir := range []string{s.Dir, s.Helper} {
		if dir != "" && dir != d.Path {
			return fmt.Errorf("it names %s, not this job's directory %s", dir, d.Path)
		}
	}
	return nil
}

// clean removes the files the main step created in the job's directory d
// and takes its profile out of files elsewhere or that were there before;
// then the job's directory if the main step created it and nothing else is
// left in it. Only files directly in d are removed, never through a
// symlink. It goes on after an error, so one stuck file does not keep the
// others.
func (s cleanupState) clean(d *jobdir.Dir) (int, error) {
	var errs []error
	removed := 0
	// remove takes out one file; one already gone is no error.
	remove := func(p string) {
		switch err := removeFile(p); {
		case err == nil:
			removed++
		case !errors.Is(err, os.ErrNotExist):
			errs = append(errs, err)
		}
	}
	whole := map[string]bool{}
	for _, p := range s.Remove {
		if filepath.Dir(p) != d.Path {
			// A file the job named (AWS_CONFIG_FILE) that this step created:
			// only the profile is taken out of it, below.
			continue
		}
		whole[p] = true
		remove(p)
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
	// This step's marker goes first, so that the markers left say which
	// main steps' post steps are still to come.
	marker, _ := d.File(markerPrefix + s.Nonce)
	if err := removeFile(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	// The helper and its cache serve every refreshable profile of the job,
	// and post steps run in reverse order with other actions' post steps
	// between them, which may still use an earlier step's profile. So the
	// last post step to run (the first step's) removes them, whether or not
	// its own step installed the helper.
	if last, err := noMarkerLeft(d); err != nil {
		errs = append(errs, err)
	} else if last {
		for _, pattern := range append([]string{credprocess.Executable, helperTempPattern}, credprocess.CacheFilePatterns...) {
			matches, _ := filepath.Glob(filepath.Join(d.Path, pattern))
			for _, p := range matches {
				remove(p)
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

// noMarkerLeft reports whether no main step's marker is left in the job's
// directory: no post step of this action is still to come.
func noMarkerLeft(d *jobdir.Dir) (bool, error) {
	matches, err := filepath.Glob(filepath.Join(d.Path, markerPrefix+"*"))
	return len(matches) == 0, err
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
