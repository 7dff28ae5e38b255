// Package inputfile opens and reads files whose paths come from outside
// the program: the action's trust-policy and web-identity-token-file
// inputs, the AWS config files a job names, the credential helper's cache.
// Regular files only, bounded in size, within the step's deadline.
//
// A path in the workspace is whatever the repository commits. A FIFO there,
// or a symlink to /dev/stdout or /dev/ptmx, would make a plain open or read
// wait forever, past action-timeout-s and past the runner's cancellation.
// So the file is opened without blocking, refused unless fstat says it is a
// regular file, and read where the step's context can end the wait.
package inputfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrTooLarge means the file holds more than the limit Read was given.
var ErrTooLarge = errors.New("larger than the limit")

// Read returns the contents of the regular file at path, at most limit
// bytes. Its errors say what is wrong with the file and never name it: the
// caller names the input. When ctx ends first, Read returns at once with
// an error that wraps ctx's cause; the abandoned open or read ends with the
// process.
func Read(ctx context.Context, path string, limit int64) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := ReadFile(path, 0, limit)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("not read before the step ended: %w", context.Cause(ctx))
	}
}

// ReadFile is Read without a deadline, for a file of the caller's own
// whose opening it chooses: flag is added to os.O_RDONLY (syscall.O_NOFOLLOW
// for a file the caller also replaces, so that a symbolic link planted in
// its place is refused, not followed). Its errors wrap the system's, so
// errors.Is finds fs.ErrNotExist or syscall.ELOOP.
func ReadFile(path string, flag int, limit int64) ([]byte, error) {
	f, err := Open(path, os.O_RDONLY|flag, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, plain(err)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w of %d bytes (it has %d)", ErrTooLarge, limit, st.Size())
	}
	var b bytes.Buffer
	// Room for the whole file up front: growing by doubling would hold up
	// to three times a large file (a 150 MB terraform plan) at the end.
	// MinRead spare, so that reading the EOF does not grow it once more.
	b.Grow(int(st.Size()) + bytes.MinRead)
	// The file may grow between the stat and the read.
	n, err := b.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, plain(err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
	}
	return b.Bytes(), nil
}

// Open opens path with flag and perm as os.OpenFile does, but without
// blocking, and returns it only if fstat says it is a regular file. A
// caller that writes or locks the file (O_CREATE, say) uses it directly.
func Open(path string, flag int, perm fs.FileMode) (*os.File, error) {
	// O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise.
	// O_NOCTTY: a terminal device must not become the controlling one.
	f, err := os.OpenFile(path, flag|openFlags, perm)
	if err != nil {
		return nil, plain(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, plain(err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("is %s, not a regular file", kind(st.Mode()))
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

// plain drops the operation and path that os puts in its errors.
func plain(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
