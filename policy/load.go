package policy

import (
	"fmt"
	"io"
	"os"
)

// ParseFile reads and parses one policy file; the format comes from its
// extension, else its content (see FormatAuto).
func ParseFile(name string) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read %s: %w", name, err)
	}
	return Parse(data, FormatAuto, name)
}

// Load parses the files, composes them in order (the result does not
// depend on the order) and resolves the composition against the process
// environment.
func Load(files ...string) (*Resolved, error) {
	if len(files) == 0 {
		return nil, &Error{Err: fmt.Errorf("%w: no policy file given", ErrEmpty)}
	}
	cfgs := make([]*Config, len(files))
	for i, name := range files {
		c, err := ParseFile(name)
		if err != nil {
			return nil, err
		}
		cfgs[i] = c
	}
	c, err := Compose(cfgs...)
	if err != nil {
		return nil, err
	}
	return c.Resolve()
}
