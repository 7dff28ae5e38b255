//go:build !linux

package reliability

import "os"

// maxRSSKiB is unknown off Linux: ru_maxrss units differ by platform, and a
// wrong unit would be worse than none.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
