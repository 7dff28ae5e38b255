//go:build unix

package policycmd

import "syscall"

const openNonBlock = syscall.O_NONBLOCK
