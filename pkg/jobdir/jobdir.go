// Package jobdir finds where a step of this action can leave files for the
// job's later steps, and the paths those steps know them by.
//
// The action runs in its own container, and the runner lays it out
// differently from the steps after it. What follows is read from
// actions/runner (src/Runner.Worker):
//
//   - Handlers/ContainerActionHandler.cs, RunAsync: the action's container
//     gets the runner's temp directory (HostContext.GetDirectory(
//     WellKnownDirectory.Temp)) mounted at /github/runner_temp, its
//     _github_home at /github/home (also the container's HOME),
//     _github_workflow at /github/workflow, _runner_file_commands at
//     /github/file_commands and the workspace at /github/workspace; every
//     environment value is passed through ContainerInfo.
//     TranslateToContainerPath, so RUNNER_TEMP reads /github/runner_temp
//     and GITHUB_ENV /github/file_commands/set_env_<id>. Nothing else of the
//     runner's disk is visible: ~/.aws in the container is in _github_home,
//     not in the runner user's home.
//   - Container/ContainerInfo.cs, TranslateToContainerPath: a value is
//     rewritten only when it equals a mapped host directory or starts with
//     it and a slash. RUNNER_WORKSPACE (the runner context's workspace,
//     Work/<pipeline directory>, set in JobExtension.cs) is the parent of
//     the workspace, matches no mapping and reaches the container as the
//     runner's own path.
//   - Runner.Common/HostContext.cs, GetDirectory: Temp is Work/_temp. So
//     the runner's path of /github/runner_temp is
//     dirname(RUNNER_WORKSPACE)/_temp.
//   - FileCommandManager.cs: values written to GITHUB_ENV are stored as
//     they are, untranslated.
//   - Later steps: in a plain job they run on the runner and see its paths
//     as they are. In a `container:` job, Handlers/StepHost.cs
//     (ContainerStepHost.ExecuteAsync) passes each environment value
//     through the job container's TranslateToContainerPath, whose mappings
//     (ContainerInfo's constructor and ContainerOperationProvider.cs) put
//     Work, and so Work/_temp, at /__w: the runner's path <Work>/_temp/x
//     reaches a later `run:` step as /__w/_temp/x, where the job container
//     has it mounted. A later container action gets it as
//     /github/runner_temp/x the same way.
//
// So the step writes its files under /github/runner_temp and exports the
// runner's own path of them: the runner itself turns that into each later
// step's view, plain or container job. The job container's /__w path would
// be wrong for a later container action, which the runner would not
// translate.
//
// Self-hosted runners on Kubernetes (actions-runner-controller) may run
// container actions through runner container hooks instead of Docker
// (ContainerActionHandler.RunAsync hands the container to
// IContainerHookManager.RunContainerStepAsync, after the same environment
// translation, so RUNNER_TEMP still reads /github/runner_temp). Read from
// actions/runner-container-hooks, packages/k8s:
//
//   - v0.7 (`kubernetes` mode), src/k8s/utils.ts, containerVolumes with
//     containerAction: the step's pod gets the runner's work volume at
//     /__w, and subPaths of it at /github/workspace,
//     /github/file_commands (_temp/_runner_file_commands), /github/home
//     and /github/workflow; the runner's /github/runner_temp mount is not
//     passed on. The runner's temp directory is still there, as /__w/_temp,
//     and the job pod, where later `run:` steps run, has the same volume at
//     /__w (containerVolumes for the job container), so the runner's path
//     <Work>/_temp/x reaches those steps as /__w/_temp/x as in a
//     `container:` job. A later container action is given
//     /github/runner_temp/x, which this package maps back to /__w/_temp/x
//     (Local).
//   - v0.8 (`kubernetes-novolume` mode), src/hooks/run-container-step.ts:
//     the hook copies the work directory into the step's pod and copies
//     nothing back, so file commands and files written there never reach
//     later steps. It also refuses an action without runs.entrypoint and
//     runs the action through a shell script. Find sees neither a
//     /github/runner_temp mount nor the work volume at /__w there, and
//     fails.
//
// Where the layout is none of the above, Find fails rather than guess,
// before the step spends a token.
package jobdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Name is the directory's name in the runner's temp directory, which the
// runner empties at the start and end of every job.
const Name = "oidc-aws"

// The container action's mounts, from ContainerActionHandler.RunAsync.
const (
	containerTemp         = "/github/runner_temp"
	containerFileCommands = "/github/file_commands"
)

// The kubernetes hook's work volume, where the runner's Work directory is,
// and the runner's temp directory (HostContext's Temp, Work/_temp) and
// file-command directory (FileCommandManager's) in it.
const (
	hookWork         = "/__w"
	hookTemp         = hookWork + "/_temp"
	hookFileCommands = hookTemp + "/_runner_file_commands"
)

// containerMounts are the directories a container action can reach that
// later steps see too.
var containerMounts = []string{containerTemp, "/github/home", "/github/workflow", "/github/workspace"}

// hookMounts are the same for the kubernetes hook: the whole work volume,
// which holds the temp directory, the home and workflow stand-ins and the
// workspace.
var hookMounts = []string{hookWork, "/github/home", "/github/workflow", "/github/workspace"}

// layout is how the runner laid out the step's view of the job's disk.
type layout int

const (
	// onHost: the binary runs where the runner's own paths are valid.
	onHost layout = iota
	// docker: a container action run by the runner's Docker, or by the
	// Docker container hook (ARC's dind mode), with /github/runner_temp.
	docker
	// kubernetes: a container action run by runner container hooks'
	// kubernetes mode, with the work volume at /__w.
	kubernetes
)

// Dir is the job's directory for this action's files.
type Dir struct {
	// Path is where this process reaches the directory.
	Path string
	// UID and GID own the runner's own files (the GITHUB_ENV file); the
	// directory and files are given to them so that later steps, run as
	// the runner's user, can read them.
	UID, GID int
	// layout is the view this process has.
	layout layout
	// later is the directory as later steps name it.
	later string
}

// Find works out the directory from the step's environment; it creates
// nothing.
func Find(getenv func(string) string) (*Dir, error) {
	return find(getenv, "/")
}

// find is Find with the container's paths under root, for tests.
func find(getenv func(string) string, root string) (*Dir, error) {
	temp, envFile := getenv("RUNNER_TEMP"), getenv("GITHUB_ENV")
	if temp == "" || envFile == "" {
		return nil, errors.New("RUNNER_TEMP or GITHUB_ENV is not set, so this step cannot tell where later steps would find its files; run it as a step of a GitHub Actions job")
	}
	d := &Dir{}
	if temp == containerTemp {
		// The runner's container action layout.
		if !within(envFile, containerFileCommands) {
			return nil, fmt.Errorf("RUNNER_TEMP is %s but GITHUB_ENV is %s, not under %s: this is not the runner's container layout, so this step cannot tell where later steps would find its files", containerTemp, envFile, containerFileCommands)
		}
		ws := getenv("RUNNER_WORKSPACE")
		if !filepath.IsAbs(ws) || filepath.Clean(ws) != ws || filepath.Dir(ws) == ws || within(ws, "/github") {
			return nil, fmt.Errorf("RUNNER_WORKSPACE is %q, not the runner's own path of the job's work directory, so this step cannot tell where later steps would find its files", ws)
		}
		d.later = filepath.Join(filepath.Dir(ws), "_temp", Name)
		switch {
		case isDir(filepath.Join(root, containerTemp)):
			d.layout = docker
			d.Path = filepath.Join(root, containerTemp, Name)
		case hookLayout(root, envFile):
			d.layout = kubernetes
			d.Path = filepath.Join(root, hookTemp, Name)
		default:
			return nil, display.Fixed(fmt.Sprintf("RUNNER_TEMP is %s, but nothing is mounted there and the job's work volume is not at %s as runner container hooks' kubernetes mode mounts it, so this step cannot tell where later steps would find its files", containerTemp, hookWork),
				"run it where the runner's Docker, the Docker container hook or the kubernetes container hook starts it; runner container hooks' kubernetes-novolume mode copies no files back to later steps, so the action cannot work there (the README's \"Where the action runs\")")
		}
		envFile = filepath.Join(root, envFile)
	} else {
		// The binary runs where the runner's paths are valid as they are.
		if !filepath.IsAbs(temp) {
			return nil, fmt.Errorf("RUNNER_TEMP is %q, not an absolute path, so this step cannot tell where later steps would find its files", temp)
		}
		if st, err := os.Stat(temp); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("RUNNER_TEMP %s is not a directory here, so files written there would not reach later steps", temp)
		}
		d.Path = filepath.Join(temp, Name)
		d.later = d.Path
	}
	st, err := os.Stat(envFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read the owner of GITHUB_ENV: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("cannot read the owner of GITHUB_ENV on this system")
	}
	d.UID, d.GID = int(sys.Uid), int(sys.Gid)
	return d, nil
}

// File returns where this process writes the named file in the directory
// and the path to export for later steps.
func (d *Dir) File(name string) (path, later string) {
	return filepath.Join(d.Path, name), filepath.Join(d.later, name)
}

// Check fails, creating nothing, when Create would fail for what is there
// now: a step calls it before it spends a token. The directory may be
// missing (the first step of the job makes it), but its parent must be a
// directory, and one already there must pass Create's checks.
func (d *Dir) Check() error {
	if err := d.checkExisting(); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := filepath.Dir(d.Path); !isDir(parent) {
		return display.Fixed(fmt.Sprintf("%s, where this job's directory goes, is not a directory here", parent), "run this step as the runner starts it, with RUNNER_TEMP as the runner sets it")
	}
	return nil
}

// checkExisting checks the directory as it is: a directory, not a
// symlink, owned by UID or root. An error wrapping fs.ErrNotExist says
// there is none.
func (d *Dir) checkExisting() error {
	st, err := os.Lstat(d.Path)
	if err != nil {
		return err
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || sys == nil || (int(sys.Uid) != d.UID && sys.Uid != 0) {
		return display.Fixed(fmt.Sprintf("%s exists but is not a directory of this job's runner user", d.Path), "remove it")
	}
	return nil
}

// Create makes the directory, mode 0700, owned by UID and GID. It reports
// whether this call created it. One already there (from an earlier step)
// must be a directory, not a symlink, owned by UID or root.
func (d *Dir) Create() (bool, error) {
	err := os.Mkdir(d.Path, 0o700)
	created := err == nil
	if err != nil && !errors.Is(err, os.ErrExist) {
		return false, err
	}
	if err := d.checkExisting(); err != nil {
		return created, err
	}
	if err := os.Chown(d.Path, d.UID, d.GID); err != nil {
		return created, err
	}
	return created, os.Chmod(d.Path, 0o700)
}

// Reachable checks a path the job set in a variable such as
// AWS_CONFIG_FILE, as this process sees it, before the step writes there.
// In the container only the runner's mounts reach later steps.
// The path is taken as Local gives it.
func (d *Dir) Reachable(variable, p string) error {
	p = d.Local(p)
	if !filepath.IsAbs(p) {
		return display.Fixed(fmt.Sprintf("%s is %q, not an absolute path, so this step cannot tell which file later steps would read", variable, p),
			"set it to an absolute path such as ${{ runner.temp }}/aws/config, or unset it")
	}
	mounts := containerMounts
	switch d.layout {
	case onHost:
		return nil
	case kubernetes:
		mounts = hookMounts
	}
	for _, m := range mounts {
		if within(filepath.Clean(p), m) {
			return nil
		}
	}
	mounted := "the runner mounts only RUNNER_TEMP, GITHUB_WORKSPACE and HOME's stand-in into it"
	if d.layout == kubernetes {
		mounted = "the kubernetes container hook mounts only the work volume (RUNNER_TEMP and GITHUB_WORKSPACE are in it) and HOME's stand-in into it"
	}
	return display.Fixed(fmt.Sprintf("%s is %s, which this action's container cannot reach: %s", variable, p, mounted),
		"point it under ${{ runner.temp }} or the workspace, or unset it to use this action's per-job directory")
}

// Local is where this process reaches a path a variable gives it. In the
// kubernetes hook's layout a path under /github/runner_temp (what a
// container action is given for the runner's temp directory) is under
// /__w/_temp, since nothing is mounted at the former; elsewhere paths are
// reached as they are.
func (d *Dir) Local(p string) string {
	if d.layout == kubernetes && within(p, containerTemp) {
		return hookTemp + strings.TrimPrefix(p, containerTemp)
	}
	return p
}

// hookLayout reports whether root has the kubernetes hook's layout: the
// work volume at /__w, whose runner file-command directory holds the very
// GITHUB_ENV file mounted at /github/file_commands. The same file, not
// just a name, so that a /__w of another kind (a job container's image)
// is not taken for it.
func hookLayout(root, envFile string) bool {
	if !isDir(filepath.Join(root, hookTemp)) {
		return false
	}
	mounted, err := os.Stat(filepath.Join(root, envFile))
	if err != nil {
		return false
	}
	inVolume, err := os.Stat(filepath.Join(root, hookFileCommands, filepath.Base(envFile)))
	return err == nil && os.SameFile(mounted, inVolume)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// within reports whether p is dir or under it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
