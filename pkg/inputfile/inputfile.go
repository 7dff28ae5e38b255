// Package inputfile reads the files the action's inputs name (trust-policy,
// web-identity-token-file): regular files only, bounded in size, within the
// step's deadline.
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
		data, err := read(path, limit)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("not read before the step ended: %w", context.Cause(ctx))
	}
}

func read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise.
	// O_NOCTTY: a terminal device must not become the controlling one.
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, plain(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, plain(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("is %s, not a regular file", kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w of %d bytes (it has %d)", ErrTooLarge, limit, st.Size())
	}
	var b bytes.Buffer
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
