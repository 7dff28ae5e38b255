package policycmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/org/oidc-aws-action/pkg/inputfile"
)

// maxClaimsBytes bounds --claims and --token files: a token is a few KiB.
const maxClaimsBytes = 1 << 20

// inputReader reads files, or stdin for "-", within a size bound. Files go
// through package inputfile, as the action's file inputs do: anything that
// is not a regular file (a FIFO, a device, a symlink to /dev/stdout) is
// refused rather than waited on, since a policy under review is untrusted
// input.
type inputReader struct {
	stdin     io.Reader
	stdinUsed bool
}

// read returns the file's contents. Its errors say what is wrong with the
// file; the caller names the file.
func (r *inputReader) read(path string, limit int64) ([]byte, error) {
	if path != "-" {
		data, err := inputfile.Read(context.Background(), path, limit)
		if errors.Is(err, inputfile.ErrTooLarge) {
			return nil, sizeError(limit)
		}
		return data, err
	}
	if r.stdinUsed {
		return nil, errors.New("stdin (\"-\") can be read only once")
	}
	r.stdinUsed = true
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(r.stdin, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, sizeError(limit)
	}
	return b.Bytes(), nil
}

func sizeError(limit int64) error {
	return fmt.Errorf("is larger than the %d MiB this command reads; give a policy, `aws iam get-role` output or a `terraform show -json` plan", limit>>20)
}
