package policycmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxClaimsBytes bounds --claims and --token files: a token is a few KiB.
const maxClaimsBytes = 1 << 20

// inputReader reads files, or stdin for "-", within a size bound. It
// refuses anything that is not a regular file (a FIFO, a device, a symlink
// to /dev/stdout): reading one could wait forever, and a policy under
// review is untrusted input.
type inputReader struct {
	stdin     io.Reader
	stdinUsed bool
}

// read returns the file's contents. Its errors say what is wrong with the
// file; the caller names the file.
func (r *inputReader) read(path string, limit int64) ([]byte, error) {
	if path == "-" {
		if r.stdinUsed {
			return nil, errors.New("stdin (\"-\") can be read only once")
		}
		r.stdinUsed = true
		return readBounded(r.stdin, limit, 0)
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, plainErr(err)
	}
	if st.Size() > limit {
		return nil, sizeError(st.Size(), limit)
	}
	return readBounded(f, limit, st.Size())
}

// openRegular opens path without blocking (a FIFO's open waits for a
// writer) and refuses what is not a regular file, checked on the opened
// file so a swap between check and open cannot slip past. O_NONBLOCK has
// no effect on reads of a regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, plainErr(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, plainErr(err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("is %s, not a regular file; give a file (or \"-\" and pipe it to stdin)", kind(st.Mode()))
	}
	return f, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// plainErr drops the operation and path that os puts in its errors: the
// caller names the file once.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readBounded(src io.Reader, limit, size int64) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(int(min(size, limit)) + 1)
	n, err := b.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, plainErr(err)
	}
	if n > limit {
		return nil, sizeError(n, limit)
	}
	return b.Bytes(), nil
}

func sizeError(n, limit int64) error {
	more := ""
	if n > limit+1 {
		more = fmt.Sprintf(" (%d bytes)", n)
	}
	return fmt.Errorf("is larger than the %d MiB this command reads%s; give a policy, `aws iam get-role` output or a `terraform show -json` plan", limit>>20, more)
}
