package reliability

import (
	"os/exec"
	"syscall"
)

// inOwnGroup puts the child in its own process group and kills the whole
// group on cancel, so that a child started through a wrapper dies with it.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
