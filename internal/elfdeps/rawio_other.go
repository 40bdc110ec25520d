//go:build !unix

package elfdeps

import (
	"io/fs"
	"os"
)

type rfile struct{ *os.File }

func openFile(path string) (*rfile, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &rfile{f}, nil
}

func (f *rfile) executable() (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	return st.Mode()&0o111 != 0, nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
