package jobfiles

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputfile"
	"github.com/org/oidc-aws-action/pkg/jobdir"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// PostEntrypoint is the image's post entrypoint (action.yml's
// runs.post-entrypoint): a symlink to the one binary. The runner starts
// every stage of a container action with the same image and the same args,
// so the path the binary was started as is what tells the post step
// apart. Never an environment variable: the job's env: and an earlier
// step's GITHUB_ENV reach the main step too.
const PostEntrypoint = "/oidc-aws-post"

// IsPost reports whether argv0, the path this process was started as,
// names the post entrypoint. The base name alone decides, so that a copy
// run by hand under that name acts the same.
func IsPost(argv0 string) bool {
	return filepath.Base(argv0) == filepath.Base(PostEntrypoint)
}

// IgnoredState is the warning for a main step that sees a post step's
// state in its environment, or "" when there is none. Such a value comes
// from the job (env: or an earlier step's GITHUB_ENV), never from the
// runner, and the main step does not obey it.
func IgnoredState(getenv func(string) string) string {
	if getenv("STATE_"+stateKey) == "" {
		return ""
	}
	return "STATE_" + stateKey + " is set in this step's environment (by the job's env: or an earlier step's GITHUB_ENV); it is meant for this action's post step only, so the main step ignores it"
}

// BeginState saves an empty state for the post step, first thing in the
// main step, before anything can fail. The runner sets a step's saved
// state over the job's env when it starts the post step (actions/runner,
// ActionRunner.cs: "Apply action's intra-action state at last"), so the
// post step then gets this step's state, empty when it wrote nothing, and
// not a STATE_OIDC_AWS_CLEANUP the job set.
func BeginState(r *workflow.Runner) error {
	return saveCleanup(r, cleanupState{})
}

// Cleanup is the post step: it removes what the main step wrote for later
// steps, and reports whether it succeeded; it prints what it did and why it
// failed through r. Root-owned leftovers in the runner's temp directory can
// break later jobs on self-hosted runners (actions/runner#529), and
// credentials should not outlive the job's steps. Like
// configure-aws-credentials' post step, it does nothing when
// AWS_SKIP_CLEANUP_STEP is true.
//
// The state and the job's directory are both within reach of the job's
// earlier steps (the state through env: if the runner ever let it through,
// the directory because it is the runner user's), so neither is trusted to
// name what to touch: in the job's directory only this package's own file
// names, worked on through an os.Root and never through a link; outside it
// only a file the job's own variable still names (see userFile).
func Cleanup(r *workflow.Runner, getenv func(string) string) bool {
	if getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		r.Infof("AWS_SKIP_CLEANUP_STEP is true: leaving the files this action wrote.")
		return true
	}
	var s cleanupState
	if raw := getenv("STATE_" + stateKey); raw != "" {
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			r.Errorf("cleanup: the main step's state is not readable (%s); nothing was removed", workflow.Escape(err.Error()))
			return false
		}
	}
	if s.isEmpty() {
		r.Infof("Post step: the main step wrote no files, so there is nothing to remove.")
		return true
	}
	d, err := jobdir.Find(getenv)
	var dir *openDir
	if err == nil {
		dir, err = s.verify(d)
	}
	if err != nil {
		r.Errorf("cleanup: STATE_%s was not saved by this action's main step in this job: %s; nothing was removed", stateKey, workflow.Escape(err.Error()))
		return false
	}
	removed, left, err := s.clean(d, dir, getenv)
	if removed > 0 {
		r.Infof("Removed %d file(s) this action wrote for profile %s.", removed, display.LogQuote(s.Profile))
	}
	for _, l := range left {
		r.Warningf("cleanup: %s", workflow.Escape(l))
	}
	if err != nil {
		r.Errorf("cleanup: %s", workflow.Escape(err.Error()))
		return false
	}
	return true
}

// cleanupState tells the post step what this step wrote. Files it created
// in the job's directory are removed whole; in other files only the
// profile is taken out.
type cleanupState struct {
	Profile string `json:"profile,omitempty"`
	// Config and Credentials are the files the profile went to: one of
	// this package's own files in the job's directory, or the file the
	// job's variable (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) named.
	Config      string `json:"config,omitempty"`
	Credentials string `json:"credentials,omitempty"`
	// ConfigParent and CredentialsParent pin the directory holding a file
	// the job named: the post step leaves the file alone if its path now
	// leads elsewhere.
	ConfigParent      *fileID `json:"configParent,omitempty"`
	CredentialsParent *fileID `json:"credentialsParent,omitempty"`
	// Remove names the files this step created in the job's directory, by
	// their names there (ownNames).
	Remove []string `json:"remove,omitempty"`
	// Dir: this step created the job's directory, which its post step
	// removes once empty, after the later steps' post steps (which run
	// first) emptied it.
	Dir bool `json:"dir,omitempty"`
	// Helper: refresh-credentials put the credential_process helper in the
	// job's directory. The last of the job's post steps removes it and its
	// cache files, whichever step installed them.
	Helper bool `json:"helper,omitempty"`
	// Nonce names the marker file this step wrote in the job's directory
	// (markerPrefix + Nonce). The post step touches nothing unless it finds
	// it there. An earlier step could plant one, so it only gates: what the
	// post step may touch is bounded apart from it.
	Nonce string `json:"nonce,omitempty"`
}

// fileID is a directory's identity, device and inode.
type fileID struct{ Dev, Ino uint64 }

func idOf(st os.FileInfo) *fileID {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &fileID{Dev: uint64(sys.Dev), Ino: sys.Ino}
}

// parentID is the identity of the directory p is in, or nil.
func parentID(p string) *fileID {
	st, err := os.Stat(filepath.Dir(p))
	if err != nil {
		return nil
	}
	return idOf(st)
}

// The names of this package's own files in the job's directory. The
// helper's names (its executable, its cache) are pkg/credprocess's.
const (
	configName      = "config"
	credentialsName = "credentials"
	// markerPrefix starts the name of the marker file by which the post
	// step knows the state it got is its main step's.
	markerPrefix = ".post-"
	// helperTempPattern names the helper's copy until it is renamed into
	// place; the last post step removes any left by a step that died.
	helperTempPattern = ".oidc-aws-*"
)

// ownNames are the files a step may ask its post step to remove whole.
var ownNames = []string{configName, credentialsName}

// stateKey names the state the post step reads as STATE_OIDC_AWS_CLEANUP.
const stateKey = "OIDC_AWS_CLEANUP"

func saveCleanup(r *workflow.Runner, s cleanupState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return r.SaveState(stateKey, string(b))
}

func (s cleanupState) isEmpty() bool {
	return s.Profile == "" && len(s.Remove) == 0 && !s.Dir && !s.Helper
}

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

// openDir is the job's directory, opened as an os.Root after its Lstat, so
// that every name the post step uses stays inside it.
type openDir struct {
	root *os.Root
	id   os.FileInfo // the Lstat of the directory itself
}

// verify checks that the state can be its main step's in this job: the
// job's directory is a real directory of the runner's user (or root), the
// marker the state names is a regular file in it, and every file the
// state asks to remove whole is one of this package's own names.
func (s cleanupState) verify(d *jobdir.Dir) (*openDir, error) {
	if !isNonce(s.Nonce) {
		return nil, errors.New("it carries no marker")
	}
	for _, name := range s.Remove {
		if !isOwnName(name) {
			return nil, fmt.Errorf("it asks to remove %q, which is not a file this action makes in %s", name, d.Path)
		}
	}
	st, err := os.Lstat(d.Path)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Path)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || (int(sys.Uid) != d.UID && sys.Uid != 0) {
		return nil, fmt.Errorf("%s does not belong to the runner's user", d.Path)
	}
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return nil, err
	}
	// The directory opened must be the one just looked at, not a link
	// put in its place in between.
	if rst, err := root.Stat("."); err != nil || !os.SameFile(st, rst) {
		root.Close()
		return nil, fmt.Errorf("%s changed while the post step opened it", d.Path)
	}
	if mst, err := root.Lstat(markerPrefix + s.Nonce); err != nil || !mst.Mode().IsRegular() {
		root.Close()
		return nil, fmt.Errorf("its marker is not in %s", d.Path)
	}
	return &openDir{root: root, id: st}, nil
}

func isOwnName(name string) bool {
	for _, n := range ownNames {
		if name == n {
			return true
		}
	}
	return false
}

// profileFiles pairs each of the state's two files with the variable that
// may name it.
func (s cleanupState) profileFiles() []struct {
	variable, path, name string
	parent               *fileID
} {
	return []struct {
		variable, path, name string
		parent               *fileID
	}{
		{"AWS_CONFIG_FILE", s.Config, configName, s.ConfigParent},
		{"AWS_SHARED_CREDENTIALS_FILE", s.Credentials, credentialsName, s.CredentialsParent},
	}
}

// clean removes the files the main step created in the job's directory d
// and takes its profile out of files elsewhere or that were there before;
// then the job's directory if the main step created it and nothing else is
// left in it. It goes on after an error, so one stuck file does not keep
// the others. left lists what it would not touch, and why.
func (s cleanupState) clean(d *jobdir.Dir, dir *openDir, getenv func(string) string) (removed int, left []string, _ error) {
	root := dir.root
	defer root.Close()
	var errs []error
	// remove takes out one file of the job's directory by its name there;
	// a link is removed, never followed; one already gone is no error.
	remove := func(name string) {
		switch err := removeIn(root, name); {
		case err == nil:
			removed++
		case !errors.Is(err, os.ErrNotExist):
			errs = append(errs, err)
		}
	}
	whole := map[string]bool{}
	for _, name := range s.Remove {
		whole[name] = true
		remove(name)
	}
	if s.Profile != "" {
		f := awsprofile.Files{UID: -1, GID: -1}
		for _, pf := range s.profileFiles() {
			var path string
			switch own, _ := d.File(pf.name); {
			case pf.path == "":
			case pf.path == own:
				// This package's own file in the job's directory, there
				// before this step: only a regular file, not a link.
				if whole[pf.name] {
					break
				}
				if st, err := root.Lstat(pf.name); err == nil && st.Mode().IsRegular() {
					path = own
				} else if err == nil {
					left = append(left, fmt.Sprintf("left %s: it is not a regular file", own))
				}
			default:
				if why := userFile(d, getenv, pf.variable, pf.path, pf.parent); why != "" {
					left = append(left, fmt.Sprintf("left profile %s in %s: %s", display.LogQuote(s.Profile), pf.path, why))
					break
				}
				path = pf.path
			}
			if pf.name == configName {
				f.Config = path
			} else {
				f.Credentials = path
			}
		}
		if err := f.Remove(s.Profile); err != nil {
			errs = append(errs, err)
		}
	}
	// This step's marker goes first, so that the markers left say which
	// main steps' post steps are still to come.
	if err := removeIn(root, markerPrefix+s.Nonce); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	// The helper and its cache serve every refreshable profile of the job,
	// and post steps run in reverse order with other actions' post steps
	// between them, which may still use an earlier step's profile. So the
	// last post step to run (the first step's) removes them, whether or not
	// its own step installed the helper.
	names, err := listNames(root)
	if err != nil {
		errs = append(errs, err)
	} else if !markerIn(names) {
		for _, name := range names {
			if isHelperFile(name) {
				remove(name)
			}
		}
	}
	if s.Dir {
		// Only the directory opened above, and only once empty: not empty
		// means another step's files are still there, which that step's
		// own post step, or the runner's end-of-job cleaning, removes.
		if st, err := os.Lstat(d.Path); err == nil && os.SameFile(st, dir.id) {
			if err := os.Remove(d.Path); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return removed, left, errors.Join(errs...)
}

// userFile says why the post step must leave a file named in the state
// that is not one of the job's directory's, or "" when it may take the
// profile out of it: it must still be the file the job's variable names,
// in a place this container reaches (a later step changed neither), in the
// directory the main step wrote to, and a regular file, not a link, of the
// runner's user. Its own inode is not pinned: every write of it (this
// action's and other tools') is a new file renamed into place.
func userFile(d *jobdir.Dir, getenv func(string) string, variable, path string, parent *fileID) string {
	if d.Local(getenv(variable)) != path {
		return variable + " does not name it now"
	}
	if err := d.Reachable(variable, path); err != nil {
		return err.Error()
	}
	if got := parentID(path); parent == nil || got == nil || *got != *parent {
		return "its directory is not the one the main step wrote to"
	}
	// Not following a link, and not blocking on a FIFO.
	f, err := inputfile.Open(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return "it is not a regular file, opened without following a link: " + err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != d.UID {
		return "it does not belong to the runner's user"
	}
	return ""
}

// maxDirNames bounds the listing of the job's directory, which holds a
// handful of files per step.
const maxDirNames = 10000

// listNames lists the job's directory through root.
func listNames(root *os.Root) ([]string, error) {
	f, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(maxDirNames)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return names, err
}

// markerIn reports whether names hold a main step's marker: a post step of
// this action is still to come.
func markerIn(names []string) bool {
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, markerPrefix); ok && isNonce(rest) {
			return true
		}
	}
	return false
}

// isHelperFile reports whether name is one of the helper's files: the
// helper itself, its copy before the rename, or its cache.
func isHelperFile(name string) bool {
	if name == credprocess.Executable || credprocess.IsCacheFile(name) {
		return true
	}
	rest, ok := strings.CutPrefix(name, strings.TrimSuffix(helperTempPattern, "*"))
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// removeIn removes the file name in root: a link is removed itself, never
// followed, and a directory is refused.
func removeIn(root *os.Root, name string) error {
	st, err := root.Lstat(name)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("refusing to remove %s: it is a directory", filepath.Join(root.Name(), name))
	}
	return root.Remove(name)
}
