package reliability

import (
	"os"
	"syscall"
)

// maxRSSKiB reads the child's peak RSS; Linux reports ru_maxrss in KiB.
func maxRSSKiB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
