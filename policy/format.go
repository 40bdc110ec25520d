package policy

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is the syntax of a policy document.
type Format int

const (
	// FormatAuto picks the format from the file name's extension
	// (".toml" or ".json", any case), else from the content: a document
	// whose first non-blank character is "{" is JSON, anything else TOML.
	FormatAuto Format = iota
	FormatTOML
	FormatJSON
)

func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatTOML:
		return "TOML"
	case FormatJSON:
		return "JSON"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// DetectFormat returns the format FormatAuto stands for, for a document
// with this name and content.
func DetectFormat(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".toml":
		return FormatTOML
	case ".json":
		return FormatJSON
	}
	data = bytes.TrimLeft(bytes.TrimPrefix(data, bom), " \t\r\n")
	if len(data) > 0 && data[0] == '{' {
		return FormatJSON
	}
	return FormatTOML
}
