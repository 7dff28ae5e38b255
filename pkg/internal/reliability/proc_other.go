//go:build !linux

package reliability

import "os/exec"

func inOwnGroup(*exec.Cmd) {}
