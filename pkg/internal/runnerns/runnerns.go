// Package runnerns runs the action's built binary the way the GitHub
// Actions runner runs a container action, and runs the job's later steps
// the way the runner runs them, so that tests see files and paths as a
// real job would. It needs root and util-linux's unshare (Linux only).
//
// The emulation, and where it departs from the runner (everything here is
// read from actions/runner, src/Runner.Worker; see also pkg/jobdir):
//
//   - A job has the runner's layout on the host: a work directory with
//     _temp (RUNNER_TEMP) holding _github_home, _github_workflow and
//     _runner_file_commands, and the workspace at Work/<repo>/<repo>, all
//     owned by the runner's user (a non-root uid such as 1001).
//   - The action step is `docker run` as ContainerActionHandler.RunAsync
//     builds it: a new mount namespace (unshare --mount) whose root is the
//     image's file layout, rebuilt from the Dockerfile (Image) around the
//     built binary, started as action.yml's runs.entrypoint, with the
//     runner's bind mounts at /github/runner_temp,
//     /github/home, /github/workflow, /github/file_commands and
//     /github/workspace; working directory /github/workspace; run as root.
//     Its environment is the step's, with each value passed through the
//     runner's TranslateToContainerPath for those mounts (exact match, or
//     prefix and a slash), plus HOME=/github/home, GITHUB_ACTIONS=true and
//     CI=true. Docker would also give /proc, /dev, /sys and /etc/hosts;
//     the binary needs none, so they are left out, which is stricter. The
//     network namespace is the host's, so the binary reaches the local
//     stand-ins on 127.0.0.1 as the real one reaches GitHub and STS.
//   - The post step is the same run started as runs.post-entrypoint, by
//     its path in the image, with the same (empty) args, and STATE_<name>
//     for each value the main step saved through GITHUB_STATE
//     (ActionRunner.RunAsync).
//   - After a step, its GITHUB_ENV is parsed as the runner parses it
//     (runnersim) and added to the job's environment.
//   - A later `run:` step of a plain job runs on the host with the job's
//     environment as it is, as the runner's user. In a `container:` job it
//     runs in the job container as ContainerStepHost does: a mount
//     namespace whose root has the host's system directories (standing in
//     for the job container's image) with the work directory at /__w,
//     _github_home at /github/home and _github_workflow at /github/workflow
//     (ContainerOperationProvider), and each environment value passed
//     through the job container's TranslateToContainerPath. It too runs as
//     the runner's uid, the strictest choice: job containers often run as
//     root.
//   - A job on ARC's `kubernetes` mode (Job.Hook = HookKubernetes), read
//     from actions/runner-container-hooks v0.7, packages/k8s/src/k8s/
//     utils.ts, containerVolumes: the runner translates the action's
//     environment as above (RUNNER_TEMP still reads /github/runner_temp),
//     but the hook's pod mounts only the work volume at /__w and subPaths
//     of it at /github/workspace, /github/file_commands, /github/home and
//     /github/workflow; nothing at /github/runner_temp. Later steps run in
//     the job pod, which has the work volume at /__w, /github/home and
//     /github/workflow: the `container:` job's view above.
//   - HookUnknown stands in for a layout the action does not know (as
//     with v0.8's kubernetes-novolume mode, which copies the directories
//     into the pod rather than mounting them): only the /github/workspace,
//     file_commands, home and workflow mounts.
package runnerns

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// Available reports why the emulation cannot run here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root for mount namespaces")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return errors.New("needs util-linux's unshare")
	}
	out, err := exec.Command("unshare", "--mount", "--fork", "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("cannot make a mount namespace: %v %s", err, out)
	}
	return nil
}

// Job is one job on an emulated runner.
type Job struct {
	// Host paths, as the runner sees them.
	Work, Temp, Workspace, RunnerWorkspace string
	// UID and GID are the runner's user.
	UID, GID int
	// Container makes this a `container:` job: later steps run in the
	// job container's view.
	Container bool
	// Hook is how container actions are started; the zero value is the
	// runner's own Docker. With HookKubernetes later steps run in the job
	// pod, the job container's view.
	Hook Hook
	// Env is the job's environment as the runner keeps it (host paths),
	// grown by each step's GITHUB_ENV.
	Env map[string]string
	// Process is the runner's own process environment (a self-hosted
	// runner's service, an EKS pod's IRSA variables). A later `run:` step
	// of a plain job inherits it beneath Env; a container action gets only
	// the step's variables (ContainerActionHandler passes each as -e), so
	// never these.
	Process map[string]string

	root  string
	steps int
}

// Hook is what starts the job's container actions.
type Hook int

// The container action layouts the emulation has.
const (
	// HookNone: the runner's own `docker run` (and the Docker container
	// hook, which mounts the same).
	HookNone Hook = iota
	// HookKubernetes: runner container hooks' kubernetes mode.
	HookKubernetes
	// HookUnknown: a layout with neither the runner's temp directory nor
	// the work volume mounted.
	HookUnknown
)

// NewJob lays out a runner's work directory under root, a directory that
// the runner's user can reach.
func NewJob(root string, uid, gid int, container bool) (*Job, error) {
	j := &Job{
		Work:      filepath.Join(root, "work"),
		UID:       uid,
		GID:       gid,
		Container: container,
		root:      root,
		Env:       map[string]string{},
	}
	j.Temp = filepath.Join(j.Work, "_temp")
	j.RunnerWorkspace = filepath.Join(j.Work, "repo")
	j.Workspace = filepath.Join(j.RunnerWorkspace, "repo")
	for _, d := range []string{j.Work, j.Temp, j.home(), j.workflow(), j.fileCommands(), j.RunnerWorkspace, j.Workspace, j.userHome()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func (j *Job) home() string         { return filepath.Join(j.Temp, "_github_home") }
func (j *Job) workflow() string     { return filepath.Join(j.Temp, "_github_workflow") }
func (j *Job) fileCommands() string { return filepath.Join(j.Temp, "_runner_file_commands") }

// userHome is the runner user's own home, for later steps of a plain job.
func (j *Job) userHome() string { return filepath.Join(j.root, "home") }

// Step is one step's file-command files, host paths.
type Step struct {
	Env, Output, State, Summary string
}

// Result is one finished process.
type Result struct{ sandbox.Run }

// Log is the step's log as the runner shows it.
func (r *Result) Log() *runnersim.Log { return runnersim.ParseLog(r.Stdout) }

// NewStep makes the next step's file-command files, owned by the runner's
// user as the runner makes them (FileCommandManager.InitializeFiles).
func (j *Job) NewStep() (*Step, error) {
	j.steps++
	id := strconv.Itoa(j.steps)
	st := &Step{
		Env:     filepath.Join(j.fileCommands(), "set_env_"+id),
		Output:  filepath.Join(j.fileCommands(), "set_output_"+id),
		State:   filepath.Join(j.fileCommands(), "save_state_"+id),
		Summary: filepath.Join(j.fileCommands(), "step_summary_"+id),
	}
	for _, f := range []string{st.Env, st.Output, st.State, st.Summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, err
		}
		if err := os.Chown(f, j.UID, j.GID); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// runnerEnv is what the runner adds to every step's environment.
func (j *Job) runnerEnv(st *Step) map[string]string {
	return map[string]string{
		"RUNNER_TEMP":         j.Temp,
		"RUNNER_WORKSPACE":    j.RunnerWorkspace,
		"GITHUB_WORKSPACE":    j.Workspace,
		"GITHUB_ENV":          st.Env,
		"GITHUB_OUTPUT":       st.Output,
		"GITHUB_STATE":        st.State,
		"GITHUB_STEP_SUMMARY": st.Summary,
	}
}

// mapping is one of the runner's path translations, host to container.
type mapping struct{ host, container string }

// translate is ContainerInfo.TranslateToContainerPath: the first mapping
// whose host path equals the value or prefixes it with a slash.
func translate(ms []mapping, v string) string {
	for _, m := range ms {
		if v == m.host {
			return m.container
		}
		if strings.HasPrefix(v, m.host+"/") {
			return m.container + v[len(m.host):]
		}
	}
	return v
}

// actionMounts are ContainerActionHandler's, in the order its
// AddPathTranslateMapping calls leave them (each inserts at the front).
func (j *Job) actionMounts() []mapping {
	return []mapping{
		{j.Workspace, "/github/workspace"},
		{j.fileCommands(), "/github/file_commands"},
		{j.workflow(), "/github/workflow"},
		{j.home(), "/github/home"},
		{j.Temp, "/github/runner_temp"},
	}
}

// hookActionMounts are what the hook's pod mounts for a container action,
// as (host, container) pairs: the work volume at /__w, then its subPaths.
func (j *Job) hookActionMounts() []mapping {
	github := []mapping{
		{j.Workspace, "/github/workspace"},
		{j.fileCommands(), "/github/file_commands"},
		{j.home(), "/github/home"},
		{j.workflow(), "/github/workflow"},
	}
	if j.Hook == HookKubernetes {
		return append([]mapping{{j.Work, "/__w"}}, github...)
	}
	return github
}

// jobContainerMounts are the job container's: the constructor's Work
// mapping, then _github_home and _github_workflow inserted in front.
func (j *Job) jobContainerMounts() []mapping {
	return []mapping{
		{j.workflow(), "/github/workflow"},
		{j.home(), "/github/home"},
		{j.Work, "/__w"},
	}
}

// RunAction runs the binary as the runner runs the action's main step,
// with the step's own environment (inputs, token variables: host values)
// on top of the job's.
func (j *Job) RunAction(ctx context.Context, bin string, st *Step, env map[string]string) (*Result, error) {
	return j.runContainer(ctx, bin, false, st, env, nil)
}

// RunPost runs the action's post step for an earlier step st: the same
// binary, with the state st saved.
func (j *Job) RunPost(ctx context.Context, bin string, st *Step, env map[string]string) (*Result, error) {
	b, err := os.ReadFile(st.State)
	if err != nil {
		return nil, err
	}
	state, err := runnersim.ParseFileCommands(b)
	if err != nil {
		return nil, fmt.Errorf("the runner would reject GITHUB_STATE: %w", err)
	}
	post, err := j.NewStep()
	if err != nil {
		return nil, err
	}
	return j.runContainer(ctx, bin, true, post, env, state)
}

func (j *Job) runContainer(ctx context.Context, bin string, post bool, st *Step, env, state map[string]string) (*Result, error) {
	repo, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	entry, err := ActionEntrypoints(repo)
	if err != nil {
		return nil, err
	}
	entrypoint := entry.Main
	if post {
		entrypoint = entry.Post
	}
	vars := maps.Clone(j.Env)
	maps.Copy(vars, env)
	maps.Copy(vars, j.runnerEnv(st))
	vars["HOME"] = j.home()
	for k, v := range state {
		vars["STATE_"+k] = v
	}
	// The runner translates the environment for its own mounts whatever
	// then starts the container.
	ms := j.actionMounts()
	binds := ms
	if j.Hook != HookNone {
		binds = j.hookActionMounts()
	}
	environ := []string{
		// Docker's PATH for an image that sets none; the shell that sets
		// up the mounts uses it too. (The shell is bash, which passes on
		// variables such as INPUT_ROLE-TO-ASSUME that dash would drop.)
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GITHUB_ACTIONS=true",
		"CI=true",
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		environ = append(environ, k+"="+translate(ms, vars[k]))
	}

	rootfs, err := os.MkdirTemp(j.root, "action-rootfs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(rootfs)
	if err := Image(repo, bin, rootfs); err != nil {
		return nil, err
	}
	script := "set -e\n"
	args := []string{}
	for _, m := range binds {
		target := filepath.Join(rootfs, m.container)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return nil, err
		}
		args = append(args, m.host, target)
	}
	script += `while [ $# -gt 2 ]; do mount --bind "$1" "$2"; shift 2; done
exec env -u PWD -u OLDPWD -u SHLVL -u _ unshare --root="$1" --wd=/github/workspace "$2"
`
	args = append(args, rootfs, entrypoint)
	return run(ctx, environ, nil, append([]string{"unshare", "--mount", "--propagation", "private", "--fork", "bash", "-c", script, "bash"}, args...))
}

// Apply adds the step's GITHUB_ENV to the job's environment, as the runner
// does after each step.
func (j *Job) Apply(st *Step) error {
	b, err := os.ReadFile(st.Env)
	if err != nil {
		return err
	}
	vars, err := runnersim.ParseFileCommands(b)
	if err != nil {
		return fmt.Errorf("the runner would reject GITHUB_ENV: %w", err)
	}
	maps.Copy(j.Env, vars)
	return nil
}

// RunLater runs argv as a later `run:` step, as the runner's user, with
// the job's environment plus extra. argv[0] and any paths in extra are
// host paths; in a container job they are translated like the rest.
func (j *Job) RunLater(ctx context.Context, argv []string, extra map[string]string) (*Result, error) {
	st, err := j.NewStep()
	if err != nil {
		return nil, err
	}
	vars := maps.Clone(j.Env)
	maps.Copy(vars, j.runnerEnv(st))
	maps.Copy(vars, extra)
	cred := &syscall.Credential{Uid: uint32(j.UID), Gid: uint32(j.GID), NoSetGroups: true}
	if !j.Container && j.Hook == HookNone {
		for k, v := range j.Process {
			if _, ok := vars[k]; !ok {
				vars[k] = v
			}
		}
		vars["HOME"] = j.userHome()
		environ := []string{"PATH=" + os.Getenv("PATH")}
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			environ = append(environ, k+"="+vars[k])
		}
		return run(ctx, environ, cred, argv)
	}

	ms := j.jobContainerMounts()
	// ContainerOperationProvider sets HOME to _github_home's path there.
	vars["HOME"] = j.home()
	environ := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		environ = append(environ, k+"="+translate(ms, vars[k]))
	}
	rootfs, err := os.MkdirTemp(j.root, "job-container-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(rootfs)
	if err := os.Chmod(rootfs, 0o755); err != nil {
		return nil, err
	}
	var binds []string
	// The image: the host's system directories, read-only in spirit.
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64", "/usr", "/etc", "/dev", "/proc"} {
		if st, err := os.Lstat(d); err != nil || !st.IsDir() {
			continue // a merged-/usr symlink comes with /usr
		}
		binds = append(binds, d, filepath.Join(rootfs, d))
	}
	// A symlinked /bin or /lib (merged /usr) is recreated as a symlink.
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64"} {
		if target, err := os.Readlink(d); err == nil {
			if err := os.Symlink(target, filepath.Join(rootfs, d)); err != nil {
				return nil, err
			}
		}
	}
	if err := os.Mkdir(filepath.Join(rootfs, "tmp"), 0o777|os.ModeSticky); err != nil {
		return nil, err
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o777|os.ModeSticky); err != nil {
		return nil, err
	}
	for _, m := range ms {
		binds = append(binds, m.host, filepath.Join(rootfs, m.container))
	}
	for i := 1; i < len(binds); i += 2 {
		if err := os.MkdirAll(binds[i], 0o755); err != nil {
			return nil, err
		}
	}
	argv = append([]string{translate(ms, argv[0])}, argv[1:]...)
	script := `set -e
while [ "$1" != -- ]; do mount --rbind "$1" "$2"; shift 2; done
shift
root=$1; uid=$2; gid=$3; shift 3
exec env -u PWD -u OLDPWD -u SHLVL -u _ unshare --root="$root" --wd=/__w/repo/repo setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
`
	args := append(append(binds, "--", rootfs, strconv.Itoa(j.UID), strconv.Itoa(j.GID)), argv...)
	return run(ctx, environ, nil, append([]string{"unshare", "--mount", "--propagation", "private", "--fork", "bash", "-c", script, "bash"}, args...))
}

// run runs argv with exactly environ, bounded by ctx, as cred when set.
func run(ctx context.Context, environ []string, cred *syscall.Credential, argv []string) (*Result, error) {
	r, err := sandbox.Command(ctx, "/", environ, func(cmd *exec.Cmd) {
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
	}, argv...)
	if err != nil {
		return nil, err
	}
	return &Result{*r}, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}
