//go:build unix

package inputfile

import "syscall"

const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
